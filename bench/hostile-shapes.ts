// The hostile shapes of issue 10, as objects at a given size: what bench/hostile.ts times and
// what the scaling tests in test/engine/scaling.test.ts count. Each is a NetworkPolicy (or Pod)
// of the examples' pipeline (examples/stagewall.yaml), so it is judged, not skipped.
import type { KubeObject, NetworkPolicy } from '../src/engine/types.js';

const STAGE = 'stagewall.dev/stage';
const PIPELINE = 'stagewall.dev/pipeline';

function policy(namespace: string, name: string, spec: NetworkPolicy['spec']): NetworkPolicy {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}

/** A normal policy: transform's own, as `stagewall generate` writes it. The yardstick. */
export function smallPolicy(): NetworkPolicy {
  return policy('etl-transform', 'small', {
    podSelector: { matchLabels: { [PIPELINE]: 'etl', [STAGE]: 'transform' } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [
      {
        from: [{ podSelector: { matchLabels: { [STAGE]: 'extract' } }, namespaceSelector: { matchLabels: { [PIPELINE]: 'etl' } } }],
        ports: [{ protocol: 'TCP', port: 8080 }],
      },
    ],
    egress: [
      {
        to: [{ podSelector: { matchLabels: { [STAGE]: 'load' } }, namespaceSelector: { matchLabels: { [PIPELINE]: 'etl' } } }],
        ports: [{ protocol: 'TCP', port: 8080 }],
      },
    ],
  });
}

/** `rules` ingress rules into transform, each from extract pods of its namespace on a port of its own (about 100 bytes a rule). */
export function manyRules(rules: number): NetworkPolicy {
  return policy('etl-transform', `rules-${rules}`, {
    podSelector: { matchLabels: { [STAGE]: 'transform' } },
    policyTypes: ['Ingress'],
    ingress: Array.from({ length: rules }, (_, i) => ({
      from: [{ podSelector: { matchLabels: { [STAGE]: 'extract' } } }],
      ports: [{ protocol: 'TCP', port: 1024 + (i % 60000) }],
    })),
  });
}

/** One egress ipBlock 10.0.0.0/8 with `excepts` non-adjacent /32 holes (every other address). */
export function manyExcepts(excepts: number): NetworkPolicy {
  const except = Array.from({ length: excepts }, (_, i) => {
    const n = 2 * i + 1;
    return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}/32`;
  });
  return policy('etl-extract', `excepts-${excepts}`, {
    podSelector: { matchLabels: { [STAGE]: 'extract' } },
    policyTypes: ['Egress'],
    egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except } }], ports: [{ protocol: 'TCP', port: 443 }] }],
  });
}

/**
 * A peer podSelector with `requirements` In requirements of `values` values each on one key, plus
 * a NotIn of those same values: it can match no pod, so the policy is allowed; proving that took
 * (requirements × values) candidate values, each tried against every requirement.
 */
export function manyRequirements(requirements: number, values: number): NetworkPolicy {
  const list = Array.from({ length: values }, (_, j) => `v${j}`);
  return policy('etl-transform', `requirements-${requirements}x${values}`, {
    podSelector: { matchLabels: { [STAGE]: 'transform' } },
    policyTypes: ['Ingress'],
    ingress: [
      {
        from: [
          {
            namespaceSelector: { matchLabels: { [PIPELINE]: 'etl' } },
            podSelector: {
              matchLabels: { [STAGE]: 'extract' },
              matchExpressions: [
                ...Array.from({ length: requirements }, () => ({ key: 'app', operator: 'In', values: list })),
                { key: 'app', operator: 'NotIn', values: list },
              ],
            },
          },
        ],
        ports: [{ protocol: 'TCP', port: 8080 }],
      },
    ],
  });
}

/** A podSelector of `keys` distinct label keys (about 15 bytes a key): the memory shape. */
export function manyLabelKeys(keys: number, seed = 0): NetworkPolicy {
  const matchLabels: Record<string, string> = { [STAGE]: 'transform' };
  for (let i = 0; i < keys; i += 1) matchLabels[`k${seed}-${i}`] = 'v';
  return policy('etl-transform', `labels-${seed}`, { podSelector: { matchLabels }, policyTypes: ['Ingress'] });
}

/** One rule with `ports` named ports, each a name of its own. */
export function manyNamedPorts(ports: number): NetworkPolicy {
  return policy('etl-transform', `ports-${ports}`, {
    podSelector: { matchLabels: { [STAGE]: 'transform' } },
    policyTypes: ['Ingress'],
    ingress: [
      {
        from: [{ podSelector: { matchLabels: { [STAGE]: 'extract' } }, namespaceSelector: { matchLabels: { [PIPELINE]: 'etl' } } }],
        ports: Array.from({ length: ports }, (_, i) => ({ protocol: 'TCP', port: `p${i}` })),
      },
    ],
  });
}

/** A value nested `depth` levels deep: `{a: {a: … {}}}`, built without recursion. */
export function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < depth; i += 1) value = { a: value };
  return value;
}

/** A small policy whose peer podSelector carries an extra field nested `depth` levels deep. */
export function deepPeerField(depth: number): NetworkPolicy {
  const base = smallPolicy();
  const rule = base.spec!.ingress![0]!;
  const peer = rule.from![0]!;
  return {
    ...base,
    metadata: { name: `deep-${depth}`, namespace: 'etl-transform' },
    spec: { ...base.spec, ingress: [{ ...rule, from: [{ ...peer, podSelector: { ...peer.podSelector, extra: nested(depth) } as never }] }] },
  };
}

/** A Pod of stage transform, for the mutation and pod paths. */
export function smallPod(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'transformer-0', namespace: 'etl-transform', labels: { [STAGE]: 'transform', app: 'transformer' } },
    spec: { containers: [{ name: 'main', image: 'registry.example.com/transform:1.0', ports: [{ name: 'http', containerPort: 8080 }] }] },
  };
}

/**
 * A peer whose namespaceSelector names `names` namespaces by kubernetes.io/metadata.name and adds
 * `requirements` NotIn requirements on other keys (all of which every namespace passes).
 */
export function manyNamespaceNames(names: number, requirements: number): NetworkPolicy {
  return policy('etl-load', `names-${names}x${requirements}`, {
    podSelector: { matchLabels: { [STAGE]: 'load' } },
    policyTypes: ['Ingress'],
    ingress: [
      {
        from: [
          {
            namespaceSelector: {
              matchExpressions: [
                { key: 'kubernetes.io/metadata.name', operator: 'In', values: Array.from({ length: names }, (_, i) => `team-${i}`) },
                ...Array.from({ length: requirements }, (_, i) => ({ key: `k${i}`, operator: 'NotIn', values: ['x'] })),
              ],
            },
          },
        ],
        ports: [{ protocol: 'TCP', port: 8080 }],
      },
    ],
  });
}
