// Peer resolution: what a NetworkPolicy peer *may* match, as a set of targets (stages, named
// namespaces, any namespace, CIDR ranges). Conservative by design: a namespaceSelector that does
// not name its namespaces may also match namespaces created tomorrow.
import type { Pipeline, Stage, StagewallConfig } from '../config/model.js';
import type { IpRange } from '../shared/cidr.js';
import { approvedExternalOf, flowNamespacesOf, flowStagesOf } from './direction.js';
import type { CompiledPeer, Direction } from './policies.js';
import { mayMatch, pinnedValues, requirementsOn, type CompiledSelector } from './selectors.js';
import { DNS_POD_LABEL, DNS_POD_VALUE, KUBE_SYSTEM_NAMESPACE, NAMESPACE_NAME_LABEL } from '../shared/names.js';
import { syntheticNamespace, type NamespaceInfo, type View } from './view.js';

export type Target =
  | { readonly kind: 'stage'; readonly stage: Stage; readonly namespace?: string }
  | { readonly kind: 'namespace'; readonly namespace: string }
  | { readonly kind: 'any-namespace' }
  | { readonly kind: 'dns' }
  | { readonly kind: 'external'; readonly ranges: readonly IpRange[]; readonly text: string };

/** A pipeline label value that no config declares and no selector names. */
const UNDECLARED_PIPELINE = '\u0000stagewall-undeclared';

/** The pipeline a namespace belongs to, when its pipeline label names a declared pipeline. */
export function pipelineOfNamespace(ns: NamespaceInfo | undefined, config: StagewallConfig): Pipeline | undefined {
  const name = ns?.labels[config.labels.pipeline];
  if (name === undefined || ns === undefined || config.exemptNamespaces.has(ns.name)) return undefined;
  return config.pipelines.get(name);
}

/** The stages of `pipeline` whose pods the selector may match (pods carry pipeline and stage labels). */
export function stagesMatching(selector: CompiledSelector | undefined, pipeline: Pipeline, config: StagewallConfig): Stage[] {
  if (!selector || selector.selectsAll) return [...pipeline.stages];
  return pipeline.stages.filter((stage) => mayMatch(selector, { [config.labels.pipeline]: pipeline.name, [config.labels.stage]: stage.name }));
}

function selectsOnlyDns(selector: CompiledSelector | undefined): boolean {
  if (!selector) return false;
  const values = pinnedValues(selector, DNS_POD_LABEL);
  return values !== undefined && values.size === 1 && values.has(DNS_POD_VALUE);
}

/** Targets of pods in one concrete namespace matched by `podSelector`. */
function targetsInNamespace(ns: NamespaceInfo, podSelector: CompiledSelector | undefined, config: StagewallConfig): Target[] {
  const pipeline = pipelineOfNamespace(ns, config);
  if (pipeline) {
    return stagesMatching(podSelector, pipeline, config).map((stage) => ({ kind: 'stage', stage, namespace: ns.name }));
  }
  if (podSelector && !mayMatch(podSelector, {})) return [];
  if (ns.name === KUBE_SYSTEM_NAMESPACE && selectsOnlyDns(podSelector)) return [{ kind: 'dns' }];
  return [{ kind: 'namespace', namespace: ns.name }];
}

/** Everything a peer may match, seen from a policy in `policyNamespace`. */
export function resolvePeer(peer: CompiledPeer, policyNamespace: string, view: View, config: StagewallConfig): Target[] {
  if (peer.ipBlock) {
    return [{ kind: 'external', ranges: peer.ipBlock.ranges, text: peer.ipBlock.cidr.text }];
  }
  const nsSelector = peer.namespaceSelector;
  if (!nsSelector) {
    // A podSelector-only peer stays in the policy's own namespace.
    const ns = view.namespace(policyNamespace) ?? syntheticNamespace(policyNamespace);
    return targetsInNamespace(ns, peer.podSelector, config);
  }
  const names = pinnedValues(nsSelector, NAMESPACE_NAME_LABEL);
  if (names) {
    return [...names].flatMap((name) => {
      const ns = view.namespace(name) ?? syntheticNamespace(name);
      return nsSelector.matches(ns.labels) ? targetsInNamespace(ns, peer.podSelector, config) : [];
    });
  }
  // Unnamed namespaces: any that exists or may exist with matching labels.
  const targets: Target[] = [];
  for (const pipeline of config.pipelines.values()) {
    if (mayMatch(nsSelector, { [config.labels.pipeline]: pipeline.name }, [NAMESPACE_NAME_LABEL])) {
      for (const stage of stagesMatching(peer.podSelector, pipeline, config)) targets.push({ kind: 'stage', stage });
    }
  }
  // A non-pipeline namespace has no pipeline label or one naming no declared pipeline.
  const pipelineLabel = config.labels.pipeline;
  const undeclared = [null, UNDECLARED_PIPELINE];
  for (const req of requirementsOn(nsSelector, pipelineLabel)) {
    for (const v of req.values) if (!config.pipelines.has(v)) undeclared.push(v);
  }
  const nonPipeline = undeclared.some((v) => mayMatch(nsSelector, { [pipelineLabel]: v }, [NAMESPACE_NAME_LABEL]));
  if (nonPipeline && (!peer.podSelector || mayMatch(peer.podSelector, {}))) targets.push({ kind: 'any-namespace' });
  return targets;
}

/** Is a target inside what `stage` may receive from (ingress) or send to (egress)? */
export function targetAllowed(target: Target, stage: Stage, direction: Direction, config: StagewallConfig): boolean {
  const stages = flowStagesOf(stage, direction);
  const namespaces = flowNamespacesOf(stage, direction);
  switch (target.kind) {
    case 'stage':
      return stages.has(target.stage.id);
    case 'namespace':
      return namespaces.has(target.namespace);
    case 'dns':
      return namespaces.has(KUBE_SYSTEM_NAMESPACE) || (direction === 'egress' && config.defaultDeny.allowDNS);
    case 'any-namespace':
      return false;
    case 'external':
      return true; // judged by the *-external rules, range by range
  }
}

export function describeTarget(target: Target): string {
  switch (target.kind) {
    case 'stage':
      return target.namespace
        ? `stage ${target.stage.id} (namespace ${target.namespace})`
        : `stage ${target.stage.id} (any namespace of pipeline ${target.stage.pipeline})`;
    case 'namespace':
      return `namespace ${target.namespace}`;
    case 'any-namespace':
      return 'pods of any non-pipeline namespace';
    case 'dns':
      return 'kube-dns in kube-system';
    case 'external':
      return `ipBlock ${target.text}`;
  }
}

/** What a stage may talk to in one direction, for "allowed:" hints in messages. */
export function describeAllowed(stage: Stage, direction: Direction): string {
  const stages = [...flowStagesOf(stage, direction)].map((s) => `stage ${s}`);
  const namespaces = [...flowNamespacesOf(stage, direction)].map((n) => `namespace ${n}`);
  const external = approvedExternalOf(stage, direction).map((e) => e.cidr.text);
  const all = [...stages, ...namespaces, ...(external.length ? [`CIDRs ${external.join(', ')}`] : [])];
  return all.length === 0 ? 'nothing' : all.join('; ');
}
