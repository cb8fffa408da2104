// The admission handlers: AdmissionRequest -> engine -> AdmissionResponse. The engine decides;
// this layer only translates its decision into the protocol.
import { evaluate, type Decision, type EngineContext, type Review } from '../engine/evaluate.js';
import { mutations, type JsonPatchOperation } from '../engine/mutate.js';
import { metadataProblem, shapeProblem } from '../engine/shape.js';
import { isStagewallError, StagewallError } from '../errors.js';
import { allowed, denied, patched, warningText, type AdmissionRequest, type AdmissionResponse } from './review.js';

export const VIOLATIONS_AUDIT_KEY = 'violations';

export interface Handled {
  readonly response: AdmissionResponse;
  readonly decision?: Decision;
  readonly patch?: readonly JsonPatchOperation[];
}

export function reviewOf(request: AdmissionRequest): Review {
  return {
    operation: request.operation,
    object: request.object ?? undefined,
    oldObject: request.oldObject ?? undefined,
    namespace: request.namespace ?? undefined,
    user: request.userInfo ?? undefined,
  };
}

/** The denial message: every denying violation, each led by its rule id. */
export function denialMessage(decision: Decision): string {
  return decision.violations
    .filter((v) => v.severity === 'deny')
    .map((v) => `[${v.rule}] ${v.message}`)
    .join('\n');
}

/**
 * What the API server never sends but a hand-made review may: no object to judge on an operation
 * that has one, or metadata (labels, annotations, names, and a pod template's) of the wrong type.
 * Costs the size of the metadata, so it runs up front; the engine then reads these as strings.
 */
export function requestProblem(request: AdmissionRequest): string | undefined {
  const { operation, object, oldObject } = request;
  if ((operation === 'CREATE' || operation === 'UPDATE') && !object) return `request.object is required on ${operation}, but it is ${object === null ? 'null' : 'missing'}`;
  if (operation === 'DELETE' && !oldObject) return `request.oldObject is required on DELETE, but it is ${oldObject === null ? 'null' : 'missing'}`;
  return (object ? metadataProblem(object, 'request.object.') : undefined) ?? (oldObject ? metadataProblem(oldObject, 'request.oldObject.') : undefined);
}

/**
 * The API server only sends objects of the right shape; a review made by hand may not. The cheap
 * part (the objects' presence and metadata) is checked first, since a wrong type there would be
 * judged, not fail. For the rest, when the engine fails on an object, a shape problem found in it
 * is the answer (a 400 naming the field), and only a well-shaped object that still fails is a bug:
 * checked after the fact, so well-formed traffic pays nothing for the full walk.
 */
function judging<T>(request: AdmissionRequest, judge: () => T): T {
  const problem = requestProblem(request);
  if (problem) throw new StagewallError('ADMISSION_BAD_REQUEST', problem);
  try {
    return judge();
  } catch (err) {
    if (isStagewallError(err)) throw err;
    for (const [field, object] of [['object', request.object], ['oldObject', request.oldObject]] as const) {
      const problem = object ? shapeProblem(object, `request.${field}.`) : undefined;
      if (problem) throw new StagewallError('ADMISSION_BAD_REQUEST', problem);
    }
    throw err;
  }
}

export function handleValidate(request: AdmissionRequest, ctx: EngineContext): Handled {
  const decision = judging(request, () => evaluate(reviewOf(request), ctx));
  const uid = request.uid;
  if (decision.violations.length === 0) return { response: allowed(uid), decision };
  // Warnings are single header lines; the full message is in the denial or the audit event.
  const warnings = decision.violations.filter((v) => v.severity === 'warn').map((v) => warningText(`[${v.rule}] ${v.message.split('\n')[0] ?? ''}`));
  const auditAnnotations =
    decision.mode === 'audit' ? { [VIOLATIONS_AUDIT_KEY]: JSON.stringify(decision.violations.map((v) => ({ rule: v.rule, message: v.message }))) } : undefined;
  const extra = { ...(warnings.length > 0 ? { warnings } : {}), ...(auditAnnotations ? { auditAnnotations } : {}) };
  if (decision.verdict === 'deny') return { response: denied(uid, denialMessage(decision), extra), decision };
  return { response: allowed(uid, extra), decision };
}

export function handleMutate(request: AdmissionRequest, ctx: EngineContext): Handled {
  const patch = judging(request, () => mutations(reviewOf(request), ctx));
  return { response: patched(request.uid, patch), patch };
}
