// The engine: (review, view, config) -> decision. Pure and synchronous: no I/O, no clock.
// The webhook and the CLI both call `evaluate`, so they give the same ids and messages.
import type { Mode, Pipeline } from '../config/model.js';
import { checkStructure } from './limits.js';
import { compilePolicy } from './policies.js';
import { RULES_BY_SUBJECT } from './rules/index.js';
import type { Finding, Rule, RuleContext, SubjectOf, Violation } from './rule.js';
import {
  describeRef,
  objectRef,
  podSubject,
  policySubject,
  type NamespaceSubject,
  type ObjectRef,
  type PolicyChangeSubject,
  type SubjectType,
} from './subjects.js';
import { isProtectedNamespace, namespaceIn, scopeOf, type ScopeContext } from './scope.js';
import type { KubeObject, NetworkPolicy, Operation, UserInfo } from './types.js';
import { namespaceInfo, type NamespaceInfo } from './view.js';
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

/** A subject bound to the rules of its type, where both are known: running it needs no cast. */
type Judgement = (ctx: EngineContext, record: (rule: Pick<Rule, 'id' | 'severity'>, finding: Finding) => void) => void;

function judgement<T extends SubjectType>(subject: SubjectOf<T>, rules: readonly Rule<T>[]): Judgement {
  return (ctx, record) => {
    for (const rule of rules) {
      if (rule.pipelineLevel && !ctx.pipelineRules) continue;
      for (const finding of rule.check(subject, ctx)) record(rule, finding);
    }
  };
}

interface Plan {
  readonly judgements: readonly Judgement[];
  readonly mode: Mode;
  readonly skipped?: SkipReason;
}

function skip(reason: SkipReason, mode: Mode): Plan {
  return { judgements: [], mode, skipped: reason };
}

/** One admission as the routes see it: the object judged and the namespace it lives in. */
interface Admission {
  readonly review: Review;
  readonly object: KubeObject;
  readonly kind: string;
  readonly namespace: string;
  readonly ctx: EngineContext;
}

/** The namespace of an object other than a Namespace, its pipeline and the mode it is judged in. */
function admissionScope({ namespace, ctx }: Admission): { ns: NamespaceInfo; pipeline: Pipeline | undefined; mode: Mode } {
  const ns = namespaceIn(ctx.view, namespace, ctx.config);
  const { pipeline, mode } = scopeOf(namespace, ns, ctx);
  return { ns, pipeline, mode };
}

/** How one operation of one kind is judged: the subjects it makes, with their rules, or why none. */
type Route = (admission: Admission) => Plan;

/** The operations of a kind that are judged, and what an operation not listed gets. */
interface KindRoutes {
  readonly operations: Partial<Readonly<Record<Operation, Route>>>;
  readonly unlisted: Route;
}

function judgeNamespace({ review, object, ctx }: Admission): Plan {
  const { config } = ctx;
  const ns = namespaceInfo(object);
  const pipelineName = ns.labels[config.labels.pipeline];
  const previousPipelineName = review.operation === 'UPDATE' ? review.oldObject?.metadata?.labels?.[config.labels.pipeline] : undefined;
  // A namespace losing its pipeline label is judged in the mode of the pipeline it leaves.
  const labelled = pipelineName === undefined && previousPipelineName !== undefined && review.oldObject ? namespaceInfo(review.oldObject) : ns;
  const { mode } = scopeOf(ns.name, labelled, ctx);
  const ref = objectRef(object, undefined);
  const subject: NamespaceSubject = { type: 'namespace', ref, display: describeRef(ref), namespace: ns, pipelineName, previousPipelineName, user: review.user };
  return { mode, judgements: [judgement(subject, RULES_BY_SUBJECT.namespace)] };
}

/** CREATE judges the new policy; UPDATE the change and the new policy; DELETE the change. */
function judgePolicy(admission: Admission): Plan {
  const { review, object, namespace, ctx } = admission;
  const { ns, pipeline, mode } = admissionScope(admission);
  const judgements: Judgement[] = [];
  if ((review.operation === 'UPDATE' || review.operation === 'DELETE') && review.oldObject) {
    const ref = objectRef(review.oldObject, namespace);
    const change: PolicyChangeSubject = {
      type: 'policy-change',
      ref,
      display: describeRef(ref),
      operation: review.operation,
      user: review.user,
      oldPolicy: review.oldObject as NetworkPolicy,
      newPolicy: review.operation === 'UPDATE' ? (object as NetworkPolicy) : undefined,
    };
    judgements.push(judgement(change, RULES_BY_SUBJECT['policy-change']));
  }
  if (pipeline && (review.operation === 'CREATE' || review.operation === 'UPDATE')) {
    judgements.push(judgement(policySubject(compilePolicy(object as NetworkPolicy, namespace), ns, pipeline, ctx.view, ctx.config), RULES_BY_SUBJECT.policy));
  }
  if (judgements.length === 0) return skip(pipeline ? 'operation-not-judged' : 'not-a-pipeline', mode);
  return { mode, judgements };
}

/** A Pod, or a workload's pod template, as a pod of its namespace. */
function judgePod(admission: Admission): Plan {
  const { review, object, kind, ctx } = admission;
  const { ns, pipeline, mode } = admissionScope(admission);
  if (!pipeline) return skip('not-a-pipeline', mode);
  // A Pod UPDATE can change nothing judged but its labels.
  if (kind === 'Pod' && review.operation === 'UPDATE' && !labelsChanged(review.oldObject, object)) return skip('operation-not-judged', mode);
  const template = podTemplateOf(object);
  if (!template) return skip('kind-not-judged', mode);
  // Pods are mutated on CREATE only; workload templates become pods that will be.
  const mutated = kind !== 'Pod' || review.operation === 'CREATE';
  return { mode, judgements: [judgement(podSubject(object, template, ns, pipeline, ctx.config, mutated), RULES_BY_SUBJECT.pod)] };
}

/** An operation a pipeline's kind does not judge: outside a pipeline that comes first. */
function unlistedInPipeline(admission: Admission): Plan {
  const { pipeline, mode } = admissionScope(admission);
  return skip(pipeline ? 'operation-not-judged' : 'not-a-pipeline', mode);
}

const POD_ROUTES: KindRoutes = { operations: { CREATE: judgePod, UPDATE: judgePod }, unlisted: unlistedInPipeline };

/** Kind, then operation, as controller-runtime's Validator routes ValidateCreate, ValidateUpdate and ValidateDelete. */
const ROUTES: ReadonlyMap<string, KindRoutes> = new Map<string, KindRoutes>([
  ['Namespace', { operations: { CREATE: judgeNamespace, UPDATE: judgeNamespace }, unlisted: ({ ctx }) => skip('operation-not-judged', ctx.config.mode) }],
  ['NetworkPolicy', { operations: { CREATE: judgePolicy, UPDATE: judgePolicy, DELETE: judgePolicy }, unlisted: unlistedInPipeline }],
  ['Pod', POD_ROUTES],
  ...[...WORKLOAD_KINDS].map((kind): [string, KindRoutes] => [kind, POD_ROUTES]),
]);

function plan(review: Review, object: KubeObject, ctx: EngineContext): Plan {
  const kind = object.kind ?? '';
  const isNamespace = kind === 'Namespace';
  const namespace = isNamespace ? (object.metadata?.name ?? '') : (object.metadata?.namespace ?? review.namespace ?? 'default');
  if (isProtectedNamespace(namespace, ctx)) return skip('exempt-namespace', ctx.config.mode);
  const admission: Admission = { review, object, kind, namespace, ctx };
  const routes = ROUTES.get(kind);
  if (!routes) return skip('kind-not-judged', admissionScope(admission).mode);
  return (routes.operations[review.operation] ?? routes.unlisted)(admission);
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
  const { judgements, mode, skipped } = plan(review, object, ctx);
  const ref = objectRef(object, object.kind === 'Namespace' ? undefined : (object.metadata?.namespace ?? review.namespace ?? 'default'));
  if (skipped) return { ref, verdict: 'allow', mode, violations: [], skipped };
  if (mode === 'off') return { ref, verdict: 'allow', mode, violations: [], skipped: 'mode-off' };

  const violations: Violation[] = [];
  for (const judge of judgements) {
    judge(ctx, (rule, finding) => {
      const severity = mode === 'audit' ? 'warn' : (finding.severity ?? rule.severity);
      violations.push({ rule: rule.id, severity, message: finding.message });
    });
  }
  return { ref, verdict: verdictOf(violations), mode, violations };
}
