// `stagewall check`: judges manifests as CREATE against a view made of those same manifests.
import type { StagewallConfig } from '../config/model.js';
import { evaluate, type Decision } from '../engine/evaluate.js';
import type { KubeObject } from '../engine/types.js';
import type { LoadedObject, SourcePosition } from '../manifests/load.js';
import { buildStaticView } from '../manifests/view.js';

export interface CheckResult {
  readonly decision: Decision;
  readonly source: SourcePosition;
}

export interface CheckReport {
  readonly results: readonly CheckResult[];
  readonly summary: { readonly objects: number; readonly denied: number; readonly warned: number };
}

/** Judges `objects`; `live` (a cluster's Namespaces and NetworkPolicies) only fills the view. */
export function checkObjects(objects: readonly LoadedObject[], config: StagewallConfig, defaultNamespace = 'default', live: readonly KubeObject[] = []): CheckReport {
  const view = buildStaticView(objects, defaultNamespace, config, live);
  const ctx = { config, view, pipelineRules: true };
  const results: CheckResult[] = [];
  for (const { object, source, judged } of objects) {
    if (!judged) continue;
    results.push({ decision: evaluate({ operation: 'CREATE', object, namespace: defaultNamespace }, ctx), source });
  }
  return {
    results,
    summary: {
      objects: results.length,
      denied: results.filter((r) => r.decision.verdict === 'deny').length,
      warned: results.filter((r) => r.decision.verdict === 'warn').length,
    },
  };
}

/** 0 when nothing is denied, 1 otherwise (2, bad input, is decided by the caller). */
export function exitCodeOf(report: CheckReport): 0 | 1 {
  return report.summary.denied > 0 ? 1 : 0;
}
