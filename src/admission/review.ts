// The AdmissionReview protocol (admission.k8s.io v1 and v1beta1): decoding requests and
// building responses. Pure translation; no policy lives here.
import { StagewallError } from '../errors.js';
import { isRecord, kindOf, type KubeObject, type Operation, type UserInfo } from '../engine/index.js';
import type { JsonPatchOperation } from './patch.js';

export const ADMISSION_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type AdmissionVersion = (typeof ADMISSION_VERSIONS)[number];

export interface AdmissionRequest {
  readonly uid: string;
  // Optional fields may also be null (taken for absent); decodeReview checks every type below.
  readonly kind?: { group?: string; version?: string; kind?: string } | null;
  readonly resource?: { group?: string; version?: string; resource?: string } | null;
  readonly subResource?: string | null;
  readonly name?: string | null;
  readonly namespace?: string | null;
  readonly operation: Operation;
  readonly userInfo?: UserInfo | null;
  readonly object?: KubeObject | null;
  readonly oldObject?: KubeObject | null;
  readonly dryRun?: boolean | null;
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

/** The API server's uids are UUIDs (36 characters); the response echoes the uid, so it is bounded too. */
export const MAX_UID_LENGTH = 256;

const OBJECT_FIELDS = ['object', 'oldObject'] as const;
const STRING_FIELDS = ['name', 'namespace', 'subResource', 'requestSubResource'] as const;
const GVK_FIELDS = ['kind', 'requestKind'] as const;
const GVK_STRINGS = ['group', 'version', 'kind'] as const;
const GVR_FIELDS = ['resource', 'requestResource'] as const;
const GVR_STRINGS = ['group', 'version', 'resource'] as const;
const USER_STRINGS = ['username', 'uid'] as const;

/** The request's optional fields may be null, taken for absent (some clients encode unset fields
 * so); the fields inside them are strings or absent. */
function stringsProblem(parent: Record<string, unknown>, path: string, fields: readonly string[], orNull: boolean): string | undefined {
  for (const field of fields) {
    const value = parent[field];
    if (value === undefined || typeof value === 'string' || (orNull && value === null)) continue;
    return `${path}.${field} must be a string, not ${kindOf(value)}`;
  }
  return undefined;
}

/** A mapping (or absent, or null) whose listed fields are strings (or absent). */
function mappingProblem(value: unknown, path: string, fields: readonly string[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) return `${path} must be a mapping, not ${kindOf(value)}`;
  return stringsProblem(value, path, fields, false);
}

const stringOrAbsent = (v: unknown): boolean => v === undefined || typeof v === 'string';
const stringOrNull = (v: unknown): boolean => v === undefined || v === null || typeof v === 'string';

function groupVersionKindOk(v: unknown): boolean {
  return v === undefined || v === null || (isRecord(v) && stringOrAbsent(v['group']) && stringOrAbsent(v['version']) && stringOrAbsent(v['kind']));
}

function groupVersionResourceOk(v: unknown): boolean {
  return v === undefined || v === null || (isRecord(v) && stringOrAbsent(v['group']) && stringOrAbsent(v['version']) && stringOrAbsent(v['resource']));
}

function groupsOk(v: unknown): boolean {
  if (v === undefined) return true;
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i += 1) if (typeof v[i] !== 'string') return false;
  return true;
}

/**
 * The fast check of envelopeProblem, on every admission: fixed property reads and typeof, no
 * allocation. Only a request that fails it is walked again to name the field.
 */
function envelopeOk(r: Record<string, unknown>): boolean {
  if (!(stringOrNull(r['name']) && stringOrNull(r['namespace']) && stringOrNull(r['subResource']) && stringOrNull(r['requestSubResource']))) return false;
  if (!(
    groupVersionKindOk(r['kind']) &&
    groupVersionKindOk(r['requestKind']) &&
    groupVersionResourceOk(r['resource']) &&
    groupVersionResourceOk(r['requestResource'])
  ))
    return false;
  const dryRun = r['dryRun'];
  if (!(dryRun === undefined || dryRun === null || typeof dryRun === 'boolean')) return false;
  const user = r['userInfo'];
  if (user === undefined || user === null) return true;
  return isRecord(user) && stringOrAbsent(user['username']) && stringOrAbsent(user['uid']) && groupsOk(user['groups']);
}

/**
 * The types of the request fields the webhook reads or logs, so that a hand-made review cannot
 * reach the engine or a log line with, say, a namespace that is a mapping. Names the first field
 * of the wrong type; only called once envelopeOk has found one.
 */
function envelopeProblem(request: Record<string, unknown>): string | undefined {
  const problem = stringsProblem(request, 'request', STRING_FIELDS, true);
  if (problem) return problem;
  for (const field of GVK_FIELDS) {
    const p = mappingProblem(request[field], `request.${field}`, GVK_STRINGS);
    if (p) return p;
  }
  for (const field of GVR_FIELDS) {
    const p = mappingProblem(request[field], `request.${field}`, GVR_STRINGS);
    if (p) return p;
  }
  const dryRun = request['dryRun'];
  if (dryRun !== undefined && dryRun !== null && typeof dryRun !== 'boolean') return `request.dryRun must be true or false, not ${kindOf(dryRun)}`;
  const user = request['userInfo'];
  const userProblem = mappingProblem(user, 'request.userInfo', USER_STRINGS);
  if (userProblem || !isRecord(user)) return userProblem;
  const groups = user['groups'];
  if (groups === undefined) return undefined;
  if (!Array.isArray(groups)) return `request.userInfo.groups must be a list, not ${kindOf(groups)}`;
  for (let i = 0; i < groups.length; i += 1) {
    if (typeof groups[i] !== 'string') return `request.userInfo.groups[${i}] must be a string, not ${kindOf(groups[i])}`;
  }
  return undefined;
}

/** Checks the envelope of a decoded body; throws ADMISSION_BAD_REQUEST naming what is wrong. */
export function decodeReview(body: unknown): DecodedReview {
  if (!isRecord(body)) throw bad('the body must be a JSON object (an AdmissionReview)');
  const { apiVersion, kind, request } = body;
  if (kind !== 'AdmissionReview') throw bad(`kind must be "AdmissionReview", not ${kind === undefined ? 'missing' : kindOf(kind)}`);
  if (!ADMISSION_VERSIONS.includes(apiVersion as AdmissionVersion)) {
    throw bad(`apiVersion must be one of ${ADMISSION_VERSIONS.join(', ')}, not ${apiVersion === undefined ? 'missing' : kindOf(apiVersion)}`);
  }
  if (request === undefined || request === null) throw bad('the AdmissionReview has no request');
  if (!isRecord(request)) throw bad(`request must be a mapping, not ${kindOf(request)}`);
  const uid = request['uid'];
  if (uid === undefined || uid === '') throw bad('the AdmissionReview request has no uid');
  if (typeof uid !== 'string') throw bad(`request.uid must be a string, not ${kindOf(uid)}`);
  if (uid.length > MAX_UID_LENGTH) throw bad(`request.uid is longer than ${MAX_UID_LENGTH} characters (${uid.length}); the API server sends a UUID`);
  const operation = request['operation'];
  if (typeof operation !== 'string' || !OPERATIONS.has(operation)) {
    throw bad(`request.operation must be one of ${[...OPERATIONS].join(', ')}, not ${operation === undefined ? 'missing' : kindOf(operation)}`);
  }
  for (const field of OBJECT_FIELDS) {
    const value = request[field];
    if (value !== undefined && value !== null && !isRecord(value)) throw bad(`request.${field} must be an object, not ${kindOf(value)}`);
  }
  if (!envelopeOk(request)) throw bad(envelopeProblem(request) ?? 'the AdmissionReview request is malformed');
  return { apiVersion: apiVersion as AdmissionVersion, request: request as unknown as AdmissionRequest };
}

/** Wraps a response in an AdmissionReview of the request's own version. */
export function encodeReview(
  apiVersion: AdmissionVersion,
  response: AdmissionResponse,
): { apiVersion: AdmissionVersion; kind: 'AdmissionReview'; response: AdmissionResponse } {
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
