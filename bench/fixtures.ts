// A large, realistic cluster for benchmarks: N namespaces, one per stage, of N/S pipelines of S
// stages; each namespace with its default-deny pair, its stage policy, narrower per-app policies
// and workloads. (Each stage names its namespace, as large installations should: flow-blocked
// then judges one placement per stage rather than every namespace of the pipeline.)
import { stringify } from 'yaml';
import { resolveConfig } from '../src/config/load.js';
import type { StagewallConfig } from '../src/config/model.js';
import { managedPolicies, stagePolicy } from '../src/engine/generate.js';
import type { KubeObject, NetworkPolicy } from '../src/engine/types.js';

export interface LargeSetOptions {
  readonly namespaces: number;
  /** NetworkPolicies per namespace, the managed pair included. */
  readonly policiesPerNamespace: number;
  /** Pods and workloads per namespace. */
  readonly podsPerNamespace: number;
  readonly stages?: number;
}

export interface LargeSet {
  readonly config: StagewallConfig;
  readonly configDocument: Record<string, unknown>;
  readonly objects: KubeObject[];
  readonly policies: number;
}

export function namespaceName(pipeline: number, stage: number): string {
  return `p${pipeline}-s${stage}`;
}

export function largeSet(options: LargeSetOptions): LargeSet {
  const stageCount = options.stages ?? 5;
  const pipelineCount = Math.ceil(options.namespaces / stageCount);
  const configDocument = {
    apiVersion: 'stagewall.dev/v1alpha1',
    kind: 'StagewallConfig',
    pipelines: Array.from({ length: pipelineCount }, (_, p) => ({
      name: `p${p}`,
      stages: Array.from({ length: stageCount }, (_, s) => ({
        name: `s${s}`,
        namespace: namespaceName(p, s),
        ports: [{ port: 8080 }],
        ...(s === 0 ? { egressExternal: ['203.0.113.0/24'] } : {}),
        ...(s === stageCount - 1 ? { egressNamespaces: ['warehouse'] } : {}),
      })),
    })),
  };
  const config = resolveConfig(configDocument);
  const objects: KubeObject[] = [];
  let policies = 0;
  for (let n = 0; n < options.namespaces; n += 1) {
    const p = Math.floor(n / stageCount);
    const pipeline = `p${p}`;
    const stage = config.stages.get(`${pipeline}/s${n % stageCount}`)!;
    const ns = namespaceName(p, n % stageCount);
    objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'stagewall.dev/pipeline': pipeline } } });
    const nsPolicies: NetworkPolicy[] = [...managedPolicies(ns, config), stagePolicy(stage, ns, config)];
    // Fill up with narrower per-app policies, as teams add them: same stage, one app each.
    for (let i = nsPolicies.length; i < options.policiesPerNamespace; i += 1) {
      const base = stagePolicy(stage, ns, config);
      nsPolicies.push({
        ...base,
        metadata: { ...base.metadata, name: `${stage.name}-app${i}` },
        spec: { ...base.spec, podSelector: { matchLabels: { 'stagewall.dev/stage': stage.name, app: `app${i}` } } },
      });
    }
    policies += nsPolicies.length;
    objects.push(...nsPolicies);
    for (let i = 0; i < options.podsPerNamespace; i += 1) {
      const labels = { app: `app${i}`, 'stagewall.dev/stage': stage.name };
      objects.push(
        i % 2 === 0
          ? { apiVersion: 'v1', kind: 'Pod', metadata: { name: `pod${i}`, namespace: ns, labels }, spec: { containers: [{ name: 'main', image: 'busybox' }] } }
          : {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              metadata: { name: `deploy${i}`, namespace: ns },
              spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'main', image: 'busybox' }] } } },
            },
      );
    }
  }
  return { config, configDocument, objects, policies };
}

export function toYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}
