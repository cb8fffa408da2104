// The engine: (review, view, config) -> decision. Pure and synchronous: no I/O, no clock.
// The webhook and the CLI both call `evaluate`, so they give the same ids and messages.
import type { Mode } from '../config/model.js';
import { checkStructure } from './limits.js';
import { compilePolicy } from './policies.js';
import { RULES_BY_SUBJECT } from './rules/index.js';
import type { RuleContext, Violation } from './rule.js';
import {
  describeRef,
  objectRef,
  podSubject,
  policySubject,
  type ObjectRef,
  type Subject,
} from './subjects.js';
import { namespaceIn, scopeOf, type ScopeContext } from './scope.js';
import type { KubeObject, NetworkPolicy, Operation, UserInfo } from './types.js';
import { namespaceInfo } from './view.js';
import { podTemplateOf, WORKLOAD_KINDS } from './workloads.js';

export interface Review {
  readonly operation: Operation;
  /** The object as it will be stored; absent on DELETE. */
  readonly object?: KubeObject | undefined;
  /** The stored object before an UPDATE or DELETE. */
  readonly oldObject?: KubeObject | undefined;
  /** The request's namespace, used when the object does not name one. */
  readonly namespace?: string | undefined;
  readonly user?: UserInfo | undefined;
}

export interface EngineContext extends RuleContext, ScopeContext {
  /** Also run pipeline-level rules (flow-blocked). `check` does; the webhook does not. */
  readonly pipelineRules?: boolean | undefined;
}

export type Verdict = 'allow' | 'warn' | 'deny';

/** Why an object was admitted without being judged. */
export type SkipReason = 'exempt-namespace' | 'not-a-pipeline' | 'mode-off' | 'kind-not-judged' | 'operation-not-judged';

export interface Decision {
  readonly ref: ObjectRef;
  readonly verdict: Verdict;
  readonly mode: Mode;
  readonly violations: readonly Violation[];
  /** Set when no rule ran. */
  readonly skipped?: SkipReason;
}

function labelsChanged(a: KubeObject | undefined, b: KubeObject | undefined): boolean {
  const la = a?.metadata?.labels ?? {};
  const lb = b?.metadata?.labels ?? {};
  const keys = new Set([...Object.keys(la), ...Object.keys(lb)]);
  for (const k of keys) if (la[k] !== lb[k]) return true;
  return false;
}

interface Plan {
  readonly subjects: readonly Subject[];
  readonly mode: Mode;
  readonly skipped?: SkipReason;
}

function skip(reason: SkipReason, mode: Mode): Plan {
  return { subjects: [], mode, skipped: reason };
}

function plan(review: Review, object: KubeObject, ctx: EngineContext): Plan {
  const { config, view } = ctx;
  const kind = object.kind ?? '';
  const isNamespace = kind === 'Namespace';
  const namespace = isNamespace ? (object.metadata?.name ?? '') : (object.metadata?.namespace ?? review.namespace ?? 'default');
  if (isNamespace) {
    const ns = namespaceInfo(object);
    const pipelineName = ns.labels[config.labels.pipeline];
    const previousPipelineName = review.operation === 'UPDATE' ? review.oldObject?.metadata?.labels?.[config.labels.pipeline] : undefined;
    // A namespace losing its pipeline label is judged in the mode of the pipeline it leaves.
    const labelled = pipelineName === undefined && previousPipelineName !== undefined && review.oldObject ? namespaceInfo(review.oldObject) : ns;
    const { skipped, mode } = scopeOf(ns.name, labelled, ctx);
    if (skipped === 'exempt-namespace') return skip(skipped, mode);
    if (review.operation === 'DELETE' || review.operation === 'CONNECT') return skip('operation-not-judged', config.mode);
    const ref = objectRef(object, undefined);
    return { mode, subjects: [{ type: 'namespace', ref, display: describeRef(ref), namespace: ns, pipelineName, previousPipelineName, user: review.user }] };
  }

  const ns = namespaceIn(view, namespace, config);
  const { skipped, pipeline, mode } = scopeOf(namespace, ns, ctx);
  if (skipped === 'exempt-namespace') return skip(skipped, mode);
  const subjects: Subject[] = [];

  if (kind === 'NetworkPolicy') {
    if ((review.operation === 'UPDATE' || review.operation === 'DELETE') && review.oldObject) {
      const ref = objectRef(review.oldObject, namespace);
      subjects.push({
        type: 'policy-change',
        ref,
        display: describeRef(ref),
        operation: review.operation,
        user: review.user,
        oldPolicy: review.oldObject as NetworkPolicy,
        newPolicy: review.operation === 'UPDATE' ? (object as NetworkPolicy) : undefined,
      });
    }
    if (pipeline && (review.operation === 'CREATE' || review.operation === 'UPDATE')) {
      subjects.push(policySubject(compilePolicy(object as NetworkPolicy, namespace), ns, pipeline, view, config));
    }
    if (subjects.length === 0) return skip(pipeline ? 'operation-not-judged' : 'not-a-pipeline', mode);
    return { mode, subjects };
  }

  if (kind === 'Pod' || WORKLOAD_KINDS.has(kind)) {
    if (!pipeline) return skip('not-a-pipeline', mode);
    const judgedOperation =
      review.operation === 'CREATE' ||
      (review.operation === 'UPDATE' && (kind !== 'Pod' || labelsChanged(review.oldObject, object)));
    if (!judgedOperation) return skip('operation-not-judged', mode);
    const template = podTemplateOf(object);
    if (!template) return skip('kind-not-judged', mode);
    // Pods are mutated on CREATE only; workload templates become pods that will be.
    const mutated = kind !== 'Pod' || review.operation === 'CREATE';
    return { mode, subjects: [podSubject(object, template, ns, pipeline, config, mutated)] };
  }
  return skip('kind-not-judged', mode);
}

export function verdictOf(violations: readonly Violation[]): Verdict {
  if (violations.some((v) => v.severity === 'deny')) return 'deny';
  return violations.length > 0 ? 'warn' : 'allow';
}

/**
 * Judges one admission. Throws a StagewallError only for objects the API server would reject,
 * among them objects beyond the structural limits of limits.ts.
 */
export function evaluate(review: Review, ctx: EngineContext): Decision {
  // Before anything reads them: an object beyond the structural limits is refused, not judged.
  if (review.object) checkStructure(review.object, 'object');
  if (review.oldObject) checkStructure(review.oldObject, 'oldObject');
  const object = review.operation === 'DELETE' ? (review.oldObject ?? review.object) : review.object;
  if (!object) {
    return { ref: { kind: 'Unknown', name: '(none)' }, verdict: 'allow', mode: ctx.config.mode, violations: [], skipped: 'kind-not-judged' };
  }
  const { subjects, mode, skipped } = plan(review, object, ctx);
  const ref = objectRef(object, object.kind === 'Namespace' ? undefined : (object.metadata?.namespace ?? review.namespace ?? 'default'));
  if (skipped) return { ref, verdict: 'allow', mode, violations: [], skipped };
  if (mode === 'off') return { ref, verdict: 'allow', mode, violations: [], skipped: 'mode-off' };

  const violations: Violation[] = [];
  for (const subject of subjects) {
    for (const rule of RULES_BY_SUBJECT.get(subject.type) ?? []) {
      if (rule.pipelineLevel && !ctx.pipelineRules) continue;
      for (const finding of rule.check(subject as never, ctx)) {
        const severity = mode === 'audit' ? 'warn' : (finding.severity ?? rule.severity);
        violations.push({ rule: rule.id, severity, message: finding.message });
      }
    }
  }
  return { ref, verdict: verdictOf(violations), mode, violations };
}
