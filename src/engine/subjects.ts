// Subjects: an admitted object turned into what the rules judge. Built once per admission;
// everything a rule needs is resolved here so rules stay small and pure.
import type { Pipeline, Stage, StagewallConfig } from '../config/model.js';
import { DEFAULT_STAGE_ANNOTATION } from '../shared/names.js';
import { peerFieldOf, rulesOf } from './direction.js';
import type { CompiledPolicy, Direction } from './policies.js';
import { openPeerReason } from './policies.js';
import { resolvePeer, stagesMatching, type Target } from './peers.js';
import type { KubeObject, Labels, NetworkPolicy, Operation, PodTemplate, UserInfo } from './types.js';
import type { NamespaceInfo, View } from './view.js';

export interface ObjectRef {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

export function describeRef(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}

export interface PodSubject {
  readonly type: 'pod';
  readonly ref: ObjectRef;
  /** "Pod etl/x" or "Deployment etl/x (pod template)". */
  readonly display: string;
  readonly workload: boolean;
  readonly namespace: NamespaceInfo;
  readonly pipeline: Pipeline;
  /**
   * The labels judged: after stagewall's own mutation (pipeline label set, default stage filled
   * in) when the pod is being created; as stored on a Pod UPDATE, which no mutation touches.
   */
  readonly labels: Labels;
  /** The stage label's value, when present. */
  readonly stageName: string | undefined;
  /** True when the stage came from the namespace's default-stage annotation, not the pod. */
  readonly stageFromNamespace: boolean;
  readonly stage: Stage | undefined;
  readonly hostNetwork: boolean;
}

export interface PeerAnalysis {
  /** 1-based, as people count rules in a YAML list. */
  readonly ruleNumber: number;
  /** 1-based; undefined when the rule has no peers at all. */
  readonly peerNumber: number | undefined;
  /** Why the peer (or peerless rule) admits everything; undefined when it does not. */
  readonly open: string | undefined;
  readonly targets: readonly Target[];
}

export interface PolicySubject {
  readonly type: 'policy';
  readonly ref: ObjectRef;
  readonly display: string;
  readonly namespace: NamespaceInfo;
  readonly pipeline: Pipeline;
  readonly policy: CompiledPolicy;
  /** Stages whose pods the policy's podSelector may select. */
  readonly selectedStages: readonly Stage[];
  analysis(direction: Direction): readonly PeerAnalysis[];
}

export interface NamespaceSubject {
  readonly type: 'namespace';
  readonly ref: ObjectRef;
  readonly display: string;
  readonly namespace: NamespaceInfo;
  /** The pipeline label's value, when present. */
  readonly pipelineName: string | undefined;
  /** On UPDATE: the pipeline label's value before the change. */
  readonly previousPipelineName: string | undefined;
  readonly user: UserInfo | undefined;
}

export interface PolicyChangeSubject {
  readonly type: 'policy-change';
  readonly ref: ObjectRef;
  readonly display: string;
  readonly operation: Operation;
  readonly user: UserInfo | undefined;
  readonly oldPolicy: NetworkPolicy;
  readonly newPolicy: NetworkPolicy | undefined;
}

export type Subject = PodSubject | PolicySubject | NamespaceSubject | PolicyChangeSubject;
export type SubjectType = Subject['type'];

export function objectRef(object: KubeObject, namespace: string | undefined): ObjectRef {
  const meta = object.metadata ?? {};
  const name = meta.name ?? (meta.generateName ? `${meta.generateName}*` : '(unnamed)');
  return { kind: object.kind ?? 'Unknown', name, ...(namespace === undefined ? {} : { namespace }) };
}

const NO_LABELS: Labels = Object.freeze({});

/**
 * The labels a pod will carry once stagewall's mutation has run: the namespace's pipeline label,
 * and the namespace's default stage when it has none. The mutating webhook patches exactly the
 * difference; the engine judges the result. Returns `labels` itself when nothing changes.
 */
export function effectivePodLabels(labels: Labels | undefined, ns: NamespaceInfo, pipeline: Pipeline, config: StagewallConfig): Labels {
  const own = labels ?? NO_LABELS;
  const defaultStage = own[config.labels.stage] === undefined ? ns.annotations[DEFAULT_STAGE_ANNOTATION] : undefined;
  if (own[config.labels.pipeline] === pipeline.name && !defaultStage) return own;
  const result: Record<string, string> = { ...own, [config.labels.pipeline]: pipeline.name };
  if (defaultStage) result[config.labels.stage] = defaultStage;
  return result;
}

export function podSubject(
  object: KubeObject,
  template: PodTemplate,
  ns: NamespaceInfo,
  pipeline: Pipeline,
  config: StagewallConfig,
  mutated: boolean,
): PodSubject {
  const ref = objectRef(object, ns.name);
  const workload = object.kind !== 'Pod';
  const own = template.metadata?.labels ?? NO_LABELS;
  const labels = mutated ? effectivePodLabels(own, ns, pipeline, config) : own;
  const stageName = labels[config.labels.stage];
  return {
    type: 'pod',
    ref,
    display: workload ? `${describeRef(ref)} (pod template)` : describeRef(ref),
    workload,
    namespace: ns,
    pipeline,
    labels,
    stageName,
    stageFromNamespace: stageName !== undefined && template.metadata?.labels?.[config.labels.stage] === undefined,
    stage: stageName === undefined ? undefined : pipeline.stage(stageName),
    hostNetwork: template.spec?.hostNetwork === true,
  };
}

export function policySubject(policy: CompiledPolicy, ns: NamespaceInfo, pipeline: Pipeline, view: View, config: StagewallConfig): PolicySubject {
  const ref = objectRef(policy.raw, ns.name);
  const cache = new Map<Direction, PeerAnalysis[]>();
  const analyse = (direction: Direction): PeerAnalysis[] => {
    const rules = rulesOf(policy, direction);
    const result: PeerAnalysis[] = [];
    rules.forEach((rule, r) => {
      if (rule.peers.length === 0) {
        const field = peerFieldOf(direction);
        result.push({ ruleNumber: r + 1, peerNumber: undefined, open: `it has no "${field}", so it matches every peer`, targets: [] });
        return;
      }
      rule.peers.forEach((peer, p) => {
        const open = openPeerReason(peer);
        result.push({
          ruleNumber: r + 1,
          peerNumber: p + 1,
          open,
          targets: open ? [] : resolvePeer(peer, policy.namespace, view, config),
        });
      });
    });
    return result;
  };
  return {
    type: 'policy',
    ref,
    display: describeRef(ref),
    namespace: ns,
    pipeline,
    policy,
    selectedStages: stagesMatching(policy.podSelector, pipeline, config),
    analysis(direction) {
      let found = cache.get(direction);
      if (!found) {
        found = analyse(direction);
        cache.set(direction, found);
      }
      return found;
    },
  };
}
