// The admission handlers: AdmissionRequest -> engine -> AdmissionResponse. The engine decides;
// this layer only translates its decision into the protocol.
import { type Decision, type EngineContext, evaluate, metadataProblem, type Review, shapeProblem, type Violation } from '../engine/index.js';
import { isStagewallError, StagewallError } from '../errors.js';
import {
  boundedEntries,
  clipChars,
  clipUtf8,
  MAX_AUDIT_ANNOTATION_BYTES,
  MAX_DENIAL_MESSAGE_BYTES,
  MAX_WARNINGS_LENGTH,
  moreViolations,
  type ListBounds,
} from './bounds.js';
import { mutationPatch, type JsonPatchOperation } from './patch.js';
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

const utf8Length = (text: string): number => Buffer.byteLength(text);
const utf8AtMost = (text: string): number => text.length * 3;
const denialEntry = (v: Violation): string => `[${v.rule}] ${v.message}`;
const warningEntry = (v: Violation): string => warningText(`[${v.rule}] ${v.message.split('\n')[0] ?? ''}`);

// The bounds of each list, made once: the hot path allocates none of this per request.
const DENIAL_BOUNDS: ListBounds<Violation> = {
  render: denialEntry,
  size: utf8Length,
  sizeAtMost: utf8AtMost,
  budget: MAX_DENIAL_MESSAGE_BYTES,
  separator: 1,
  cut: (v, room) => clipUtf8(denialEntry(v), room),
  summary: moreViolations,
};

const WARNING_BOUNDS: ListBounds<Violation> = {
  render: warningEntry,
  size: (text) => text.length,
  sizeAtMost: (text) => text.length,
  budget: MAX_WARNINGS_LENGTH,
  separator: 0,
  cut: (v, room) => clipChars(warningEntry(v), room),
  summary: moreViolations,
};

/** One violation of the audit annotation, its message cut until the entry fits in `room` bytes. */
function auditEntryWithin(v: Violation, room: number): string {
  let message = v.message;
  let text = JSON.stringify({ rule: v.rule, message });
  while (utf8Length(text) > room && message.length > 0) {
    message = clipUtf8(message, Math.floor(utf8Length(message) / 2));
    if (message === '…') message = '';
    text = JSON.stringify({ rule: v.rule, message });
  }
  return text;
}

const AUDIT_BOUNDS: ListBounds<Violation> = {
  render: (v) => JSON.stringify({ rule: v.rule, message: v.message }),
  size: utf8Length,
  sizeAtMost: utf8AtMost,
  budget: MAX_AUDIT_ANNOTATION_BYTES - 2, // the brackets
  separator: 1,
  cut: auditEntryWithin,
  summary: (omitted) => JSON.stringify({ more: omitted.count, message: moreViolations(omitted) }),
};

/**
 * The denial message: the denying violations, each led by its rule id, one a line; past
 * MAX_REPORTED_VIOLATIONS or MAX_DENIAL_MESSAGE_BYTES, a last line says how many more, of which rules.
 */
export function denialMessage(decision: Decision): string {
  return boundedEntries(
    decision.violations.filter((v) => v.severity === 'deny'),
    DENIAL_BOUNDS,
  ).join('\n');
}

/** Warnings are single header lines; the full message is in the denial or the audit event. */
export function warningsOf(violations: readonly Violation[]): string[] {
  return boundedEntries(violations, WARNING_BOUNDS);
}

/**
 * The audit annotation: a JSON list of {rule, message}, at most MAX_AUDIT_ANNOTATION_BYTES; past
 * the caps a last {more, message} entry says how many more, of which rules. Always valid JSON.
 */
export function auditAnnotation(violations: readonly Violation[]): string {
  return `[${boundedEntries(violations, AUDIT_BOUNDS).join(',')}]`;
}

/**
 * What the API server never sends but a hand-made review may: no object to judge on an operation
 * that has one, or metadata (labels, annotations, names, and a pod template's) of the wrong type.
 * Costs the size of the metadata, so it runs up front; the engine then reads these as strings.
 */
export function requestProblem(request: AdmissionRequest): string | undefined {
  const { operation, object, oldObject } = request;
  if ((operation === 'CREATE' || operation === 'UPDATE') && !object)
    return `request.object is required on ${operation}, but it is ${object === null ? 'null' : 'missing'}`;
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
    for (const [field, object] of [
      ['object', request.object],
      ['oldObject', request.oldObject],
    ] as const) {
      const problem = object ? shapeProblem(object, `request.${field}.`) : undefined;
      if (problem) throw new StagewallError('ADMISSION_BAD_REQUEST', problem);
    }
    throw err;
  }
}

export function handleValidate(request: AdmissionRequest, ctx: EngineContext): Handled {
  return validationResponse(
    request.uid,
    judging(request, () => evaluate(reviewOf(request), ctx)),
  );
}

/** A decision as an AdmissionResponse: its size bounded whatever the number of violations (see bounds.ts). */
export function validationResponse(uid: string, decision: Decision): Handled {
  if (decision.violations.length === 0) return { response: allowed(uid), decision };
  const warning = decision.violations.filter((v) => v.severity === 'warn');
  const warnings = warning.length > 0 ? warningsOf(warning) : undefined;
  const auditAnnotations = decision.mode === 'audit' ? { [VIOLATIONS_AUDIT_KEY]: auditAnnotation(decision.violations) } : undefined;
  const extra = { ...(warnings ? { warnings } : {}), ...(auditAnnotations ? { auditAnnotations } : {}) };
  if (decision.verdict === 'deny') return { response: denied(uid, denialMessage(decision), extra), decision };
  return { response: allowed(uid, extra), decision };
}

export function handleMutate(request: AdmissionRequest, ctx: EngineContext): Handled {
  const patch = judging(request, () => mutationPatch(reviewOf(request), ctx));
  return { response: patched(request.uid, patch), patch };
}
