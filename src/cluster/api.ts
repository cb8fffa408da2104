// Reads from the API server as wire JSON. client-node's typed clients turn answers into model
// classes that rename fields (a NetworkPolicy ingress rule's `from` becomes `_from`) and dates
// into Date objects; the engine reads objects as the API server writes them, as the watch
// delivers them. The kubeconfig still decides everything about the connection (TLS, credentials,
// exec plugins, proxies) through client-node.
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { isRecord, type KubeObject } from '../engine/index.js';

/** The API server answered with an error status (its Status message when it sent one). */
export class ApiStatusError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiStatusError';
  }
}

export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * GET `path` (with `query`) from the kubeconfig's current cluster; resolves with the parsed body.
 * `timeoutMs` is one deadline for everything: credentials (an exec plugin may wait for a login),
 * connecting, and the whole answer, however slowly it trickles in.
 */
export async function getJson(
  kc: KubeConfig,
  path: string,
  query: Record<string, string | number | undefined> = {},
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<unknown> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`the kubeconfig's context "${kc.getCurrentContext()}" names no cluster`);
  const url = new URL(cluster.server.replace(/\/+$/, '') + path);
  for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer from ${url.origin} within ${timeoutMs} ms`)), timeoutMs);
  try {
    return await request(kc, url, controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

/** A write: `method` with a JSON `body` (as `contentType`, e.g. a JSON Patch), one deadline for all. */
export async function sendJson(
  kc: KubeConfig,
  method: 'POST' | 'PUT' | 'PATCH',
  path: string,
  body: unknown,
  contentType = 'application/json',
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<unknown> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`the kubeconfig's context "${kc.getCurrentContext()}" names no cluster`);
  const url = new URL(cluster.server.replace(/\/+$/, '') + path);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer from ${url.origin} within ${timeoutMs} ms`)), timeoutMs);
  try {
    return await request(kc, url, controller.signal, { method, body: JSON.stringify(body), contentType });
  } finally {
    clearTimeout(timer);
  }
}

async function request(kc: KubeConfig, url: URL, signal: AbortSignal, write?: { method: string; body: string; contentType: string }): Promise<unknown> {
  const options: RequestOptions = {
    method: write?.method ?? 'GET',
    headers: { accept: 'application/json', ...(write ? { 'content-type': write.contentType, 'content-length': Buffer.byteLength(write.body) } : {}) },
  };
  // Credentials, CA, client certificate and an agent (proxy aware); an exec plugin may hang.
  await Promise.race([kc.applyToHTTPSOptions(options), aborted(signal)]);
  signal.throwIfAborted();
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { ...options, signal }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300 && body !== undefined) {
          resolve(body);
          return;
        }
        const message =
          isRecord(body) && typeof body['message'] === 'string' ? body['message'] : text.trim().slice(0, 200) || res.statusMessage || 'no message';
        reject(new ApiStatusError(status, message));
      });
    });
    // An abort (the deadline) destroys the request; report the deadline, not "AbortError".
    req.on('error', (err) => reject(signal.aborted ? signal.reason : err));
    req.end(write?.body);
  });
}

/** Rejects with the signal's reason once it is aborted. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

export interface ListResult {
  readonly items: KubeObject[];
  /** The resourceVersion of the list, to watch from. */
  readonly resourceVersion: string;
}

/** Items per list call: big clusters are read in pages rather than one huge answer. */
export const LIST_PAGE_SIZE = 500;

/**
 * Lists every object at `path` (e.g. /api/v1/namespaces), page by page; the pages of one list are
 * one consistent snapshot. Items get `apiVersion` and `kind` back (lists leave them out).
 */
export async function listAll(kc: KubeConfig, path: string, type: { apiVersion: string; kind: string }, pageSize = LIST_PAGE_SIZE): Promise<ListResult> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await listPages(kc, path, type, pageSize);
    } catch (err) {
      // A continue token expires (410 Gone) when the list outlives etcd's compaction window: start
      // over, as client-go does, rather than stitch pages of two different snapshots.
      if (!(err instanceof ApiStatusError && err.statusCode === 410) || attempt >= MAX_LIST_ATTEMPTS) throw err;
    }
  }
}

/** How often a list that keeps expiring mid-way is started over. */
const MAX_LIST_ATTEMPTS = 3;

async function listPages(kc: KubeConfig, path: string, type: { apiVersion: string; kind: string }, pageSize: number): Promise<ListResult> {
  const items: KubeObject[] = [];
  let continueToken: string | undefined;
  let resourceVersion = '';
  do {
    const page = await getJson(kc, path, { limit: pageSize, continue: continueToken });
    if (!isRecord(page) || !Array.isArray(page['items'])) throw new Error(`${path} did not answer with a list`);
    for (const item of page['items'] as unknown[]) if (isRecord(item)) items.push({ ...item, apiVersion: type.apiVersion, kind: type.kind } as KubeObject);
    const metadata = isRecord(page['metadata']) ? page['metadata'] : {};
    resourceVersion = typeof metadata['resourceVersion'] === 'string' ? metadata['resourceVersion'] : resourceVersion;
    continueToken = typeof metadata['continue'] === 'string' && metadata['continue'] !== '' ? metadata['continue'] : undefined;
  } while (continueToken);
  return { items, resourceVersion };
}

export const NAMESPACES = { path: '/api/v1/namespaces', apiVersion: 'v1', kind: 'Namespace' } as const;
export const PODS = { path: '/api/v1/pods', apiVersion: 'v1', kind: 'Pod' } as const;
export const NETWORK_POLICIES = { path: '/apis/networking.k8s.io/v1/networkpolicies', apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' } as const;
