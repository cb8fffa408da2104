// `stagewall check`: judges manifests as CREATE against a view made of those same manifests.
import type { StagewallConfig } from '../config/model.js';
import { type Decision, evaluate, type IndexedView, type KubeObject, objectRef, type ObjectRef } from '../engine/index.js';
import { isStagewallError, StagewallError } from '../errors.js';
import type { LoadedObject, SourcePosition } from '../manifests/load.js';
import { buildStaticView } from '../manifests/view.js';
import type { FAIL_ON } from './formats.js';

export interface CheckResult {
  readonly decision: Decision;
  readonly source: SourcePosition;
}

/** An object that was read but not judged: a kind stagewall does not judge, or, with --ignore-unknown, an unknown one. */
export interface SkippedObject {
  readonly ref: ObjectRef;
  readonly apiVersion: string;
  readonly source: SourcePosition;
  readonly why: string;
}

/** What fails a run: denials only (the default), or warnings too. */
export type FailOn = (typeof FAIL_ON)[number];

export interface CheckReport {
  readonly results: readonly CheckResult[];
  readonly skipped: readonly SkippedObject[];
  readonly summary: { readonly objects: number; readonly denied: number; readonly warned: number; readonly skipped: number };
  readonly failOn: FailOn;
  /** The view the objects were judged against (for the flow graph of the Markdown report). */
  readonly view: IndexedView;
}

/** Judges `objects`; `live` (a cluster's Namespaces and NetworkPolicies) only fills the view. */
export function checkObjects(
  objects: readonly LoadedObject[],
  config: StagewallConfig,
  defaultNamespace = 'default',
  live: readonly KubeObject[] = [],
  failOn: FailOn = 'deny',
): CheckReport {
  const view = buildStaticView(objects, defaultNamespace, config, live);
  const ctx = { config, view, pipelineRules: true };
  const results: CheckResult[] = [];
  const skipped: SkippedObject[] = [];
  for (const { object, source, judged, unknown } of objects) {
    if (!judged) {
      const ref = objectRef(object, object.metadata?.namespace);
      skipped.push({ ref, apiVersion: object.apiVersion ?? '', source, why: unknown ? 'unknown kind (--ignore-unknown)' : 'not judged by stagewall' });
      continue;
    }
    let decision: Decision;
    try {
      decision = evaluate({ operation: 'CREATE', object, namespace: defaultNamespace }, ctx);
    } catch (err) {
      if (!isStagewallError(err)) throw err;
      throw new StagewallError(err.code, `${source.file}:${source.line}: ${err.message}`, err.details);
    }
    results.push({ decision, source });
  }
  return {
    results,
    skipped,
    summary: {
      objects: results.length,
      denied: results.filter((r) => r.decision.verdict === 'deny').length,
      warned: results.filter((r) => r.decision.verdict === 'warn').length,
      skipped: skipped.length,
    },
    failOn,
    view,
  };
}

/** Whether this result fails the run: a denial, or with --fail-on warn a warning too. */
export function fails(result: CheckResult, failOn: FailOn): boolean {
  return result.decision.verdict === 'deny' || (failOn === 'warn' && result.decision.verdict === 'warn');
}

/** 0 when nothing fails the run, 1 otherwise (2, bad input, is decided by the caller). */
export function exitCodeOf(report: CheckReport): 0 | 1 {
  return report.summary.denied > 0 || (report.failOn === 'warn' && report.summary.warned > 0) ? 1 : 0;
}
