// The admission handlers: AdmissionRequest -> engine -> AdmissionResponse. The engine decides;
// this layer only translates its decision into the protocol.
import { evaluate, type Decision, type EngineContext, type Review } from '../engine/evaluate.js';
import { mutations, type JsonPatchOperation } from '../engine/mutate.js';
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
    namespace: request.namespace,
    user: request.userInfo,
  };
}

/** The denial message: every denying violation, each led by its rule id. */
export function denialMessage(decision: Decision): string {
  return decision.violations
    .filter((v) => v.severity === 'deny')
    .map((v) => `[${v.rule}] ${v.message}`)
    .join('\n');
}

export function handleValidate(request: AdmissionRequest, ctx: EngineContext): Handled {
  const decision = evaluate(reviewOf(request), ctx);
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
  const patch = mutations(reviewOf(request), ctx);
  return { response: patched(request.uid, patch), patch };
}
