// The AdmissionReview protocol (admission.k8s.io v1 and v1beta1): decoding requests and
// building responses. Pure translation; no policy lives here.
import { StagewallError } from '../errors.js';
import { isRecord, type KubeObject, type Operation, type UserInfo } from '../engine/types.js';
import type { JsonPatchOperation } from '../engine/mutate.js';

export const ADMISSION_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type AdmissionVersion = (typeof ADMISSION_VERSIONS)[number];

export interface AdmissionRequest {
  readonly uid: string;
  readonly kind?: { group?: string; version?: string; kind?: string };
  readonly resource?: { group?: string; version?: string; resource?: string };
  readonly subResource?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly operation: Operation;
  readonly userInfo?: UserInfo;
  readonly object?: KubeObject | null;
  readonly oldObject?: KubeObject | null;
  readonly dryRun?: boolean;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason?: string; message: string; status?: 'Failure' };
  patchType?: 'JSONPatch';
  patch?: string;
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

export interface DecodedReview {
  readonly apiVersion: AdmissionVersion;
  readonly request: AdmissionRequest;
}

const OPERATIONS: ReadonlySet<string> = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

function bad(message: string): StagewallError {
  return new StagewallError('ADMISSION_BAD_REQUEST', message);
}


/** Checks the envelope of a decoded body; throws ADMISSION_BAD_REQUEST naming what is wrong. */
export function decodeReview(body: unknown): DecodedReview {
  if (!isRecord(body)) throw bad('the body must be a JSON object (an AdmissionReview)');
  const { apiVersion, kind, request } = body;
  if (kind !== 'AdmissionReview') throw bad(`kind must be "AdmissionReview", not ${JSON.stringify(kind)}`);
  if (!ADMISSION_VERSIONS.includes(apiVersion as AdmissionVersion)) {
    throw bad(`apiVersion must be one of ${ADMISSION_VERSIONS.join(', ')}, not ${JSON.stringify(apiVersion)}`);
  }
  if (!isRecord(request)) throw bad('the AdmissionReview has no request');
  if (typeof request['uid'] !== 'string' || request['uid'] === '') throw bad('the AdmissionReview request has no uid');
  if (typeof request['operation'] !== 'string' || !OPERATIONS.has(request['operation'])) {
    throw bad(`request.operation must be one of ${[...OPERATIONS].join(', ')}`);
  }
  for (const field of ['object', 'oldObject'] as const) {
    const value = request[field];
    if (value !== undefined && value !== null && !isRecord(value)) throw bad(`request.${field} must be an object`);
  }
  return { apiVersion: apiVersion as AdmissionVersion, request: request as unknown as AdmissionRequest };
}

/** Wraps a response in an AdmissionReview of the request's own version. */
export function encodeReview(apiVersion: AdmissionVersion, response: AdmissionResponse): { apiVersion: AdmissionVersion; kind: 'AdmissionReview'; response: AdmissionResponse } {
  return { apiVersion, kind: 'AdmissionReview', response };
}

// Named response helpers, after controller-runtime's admission package.

export function allowed(uid: string, extra: Partial<AdmissionResponse> = {}): AdmissionResponse {
  return { uid, allowed: true, ...extra };
}

export function denied(uid: string, message: string, extra: Partial<AdmissionResponse> = {}): AdmissionResponse {
  return { uid, allowed: false, status: { code: 403, reason: 'Forbidden', status: 'Failure', message }, ...extra };
}

/** The request cannot be judged as sent: refused with a status code of its own (e.g. 400). */
export function errored(uid: string, code: number, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { code, reason: code === 400 ? 'BadRequest' : 'InternalError', status: 'Failure', message } };
}

export function patched(uid: string, patch: readonly JsonPatchOperation[], extra: Partial<AdmissionResponse> = {}): AdmissionResponse {
  if (patch.length === 0) return allowed(uid, extra);
  return { uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64'), ...extra };
}

/** Longer warnings may be cut by the API server once the total grows past 4 KiB. */
export const MAX_WARNING_LENGTH = 256;

/** A header-safe warning: the API server drops warnings with control characters. */
export function warningText(text: string): string {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length <= MAX_WARNING_LENGTH ? line : `${line.slice(0, MAX_WARNING_LENGTH - 1)}…`;
}
