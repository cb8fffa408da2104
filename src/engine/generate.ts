// Policy synthesis from the declared flow: the managed default-deny pair and, per stage, the
// policy that allows exactly what the config declares. Deterministic, so output diffs cleanly.
import type { ExternalEndpoint, PortSpec, Stage, StagewallConfig } from '../config/model.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './policies.js';
import type { NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort } from './types.js';
import { NAMESPACE_NAME_LABEL } from './view.js';

export const DEFAULT_DENY_NAME = 'stagewall-default-deny';
export const ALLOW_DNS_NAME = 'stagewall-allow-dns';
export const GENERATED_LABEL = 'stagewall.dev/generated';
export const PURPOSE_ANNOTATION = 'stagewall.dev/purpose';

function policy(name: string, namespace: string, labels: Record<string, string>, purpose: string, spec: NetworkPolicy['spec']): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace, labels, annotations: { [PURPOSE_ANNOTATION]: purpose } },
    spec,
  };
}

/** The managed policies stagewall applies to a pipeline namespace (SPEC §4). */
export function managedPolicies(namespace: string, config: StagewallConfig): NetworkPolicy[] {
  if (!config.defaultDeny.enabled) return [];
  const labels = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE };
  const result = [
    policy(DEFAULT_DENY_NAME, namespace, labels, 'Denies all ingress and egress of every pod not allowed by another policy.', {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    }),
  ];
  if (config.defaultDeny.allowDNS) {
    result.push(
      policy(ALLOW_DNS_NAME, namespace, labels, 'Allows every pod to resolve names through kube-dns.', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [
              {
                namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: 'kube-system' } },
                podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
              },
            ],
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
        ],
      }),
    );
  }
  return result;
}

export function managedPolicyNames(config: StagewallConfig): string[] {
  return managedPolicies('x', config).map((p) => p.metadata?.name ?? '');
}

function toPolicyPorts(ports: readonly PortSpec[]): NetworkPolicyPort[] {
  return ports.map((p) => ({ protocol: p.protocol, port: p.port, ...(p.endPort === undefined ? {} : { endPort: p.endPort }) }));
}

function withPorts<T extends object>(rule: T, ports: readonly PortSpec[]): T & { ports?: NetworkPolicyPort[] } {
  return ports.length === 0 ? rule : { ...rule, ports: toPolicyPorts(ports) };
}

function stagePeer(stage: Stage, config: StagewallConfig): NetworkPolicyPeer {
  return {
    namespaceSelector: { matchLabels: { [config.labels.pipeline]: stage.pipeline } },
    podSelector: { matchLabels: { [config.labels.pipeline]: stage.pipeline, [config.labels.stage]: stage.name } },
  };
}

function namespacePeer(namespace: string): NetworkPolicyPeer {
  return { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } } };
}

function externalPeer(endpoint: ExternalEndpoint): NetworkPolicyPeer {
  return { ipBlock: { cidr: endpoint.cidr.text } };
}

export function stagePolicyName(stage: Stage): string {
  return `stagewall-${stage.pipeline}-${stage.name}`;
}

/** The policy that allows exactly the declared flow of one stage, for pods in `namespace`. */
export function stagePolicy(stage: Stage, namespace: string, config: StagewallConfig): NetworkPolicy {
  const lookup = (id: string): Stage => {
    const found = config.stages.get(id);
    if (!found) throw new Error(`stage ${id} is not declared`); // the config loader guarantees it is
    return found;
  };
  const ingress: NetworkPolicyIngressRule[] = [];
  const sources = [...stage.ingressFrom].map(lookup).map((s) => stagePeer(s, config));
  const sourceNamespaces = [...stage.ingressNamespaces].sort().map(namespacePeer);
  if (sources.length + sourceNamespaces.length > 0) ingress.push(withPorts({ from: [...sources, ...sourceNamespaces] }, stage.ports));
  for (const ext of stage.ingressExternal) {
    ingress.push(withPorts({ from: [externalPeer(ext)] }, ext.ports.length > 0 ? ext.ports : stage.ports));
  }

  const egress: NetworkPolicyEgressRule[] = [];
  for (const target of [...stage.egressTo].map(lookup)) egress.push(withPorts({ to: [stagePeer(target, config)] }, target.ports));
  const targetNamespaces = [...stage.egressNamespaces].sort().map(namespacePeer);
  if (targetNamespaces.length > 0) egress.push({ to: targetNamespaces });
  for (const ext of stage.egressExternal) egress.push(withPorts({ to: [externalPeer(ext)] }, ext.ports));

  const inbound = [...stage.ingressFrom].join(', ') || 'no stage';
  const outbound = [...stage.egressTo].join(', ') || 'no stage';
  return policy(
    stagePolicyName(stage),
    namespace,
    { [GENERATED_LABEL]: 'true', [config.labels.pipeline]: stage.pipeline, [config.labels.stage]: stage.name },
    `Stage ${stage.id}: receives from ${inbound}; sends to ${outbound}. Generated by stagewall from the declared flow.`,
    {
      podSelector: { matchLabels: { [config.labels.pipeline]: stage.pipeline, [config.labels.stage]: stage.name } },
      policyTypes: ['Ingress', 'Egress'],
      ingress,
      egress,
    },
  );
}

export interface GenerateOptions {
  /** Only this pipeline. */
  readonly pipeline?: string | undefined;
  /** Put every stage in this namespace instead of its configured one. */
  readonly namespace?: string | undefined;
}

export interface GeneratedNamespace {
  readonly namespace: string;
  readonly policies: readonly NetworkPolicy[];
}

/**
 * Every policy the declared flow needs, grouped by namespace in config order: the managed
 * default-deny pair once per namespace, then one policy per stage.
 */
export function generatePolicies(config: StagewallConfig, options: GenerateOptions = {}): GeneratedNamespace[] {
  const byNamespace = new Map<string, NetworkPolicy[]>();
  for (const pipeline of config.pipelines.values()) {
    if (options.pipeline !== undefined && pipeline.name !== options.pipeline) continue;
    for (const stage of pipeline.stages) {
      const namespace = options.namespace ?? stage.namespace;
      let list = byNamespace.get(namespace);
      if (!list) {
        list = managedPolicies(namespace, config);
        byNamespace.set(namespace, list);
      }
      list.push(stagePolicy(stage, namespace, config));
    }
  }
  return [...byNamespace].map(([namespace, policies]) => ({ namespace, policies }));
}
