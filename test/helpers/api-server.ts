// A stand-in for the read side of a kube-apiserver, for unit tests of the cluster snapshot: it
// serves Namespace, NetworkPolicy and Pod lists the way the real one does (no kind or apiVersion on
// the items, pages of `limit` items chained by `continue`) and can answer with an error Status.
// The real API server is exercised by the e2e suite.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { KubeObject } from '../../src/engine/types.js';

export interface StandInApi {
  readonly url: string;
  /** Every request's path and query, in order. */
  readonly requests: string[];
  /** Set to answer every request with this HTTP status and a Status body. */
  fail?: { code: number; message: string } | undefined;
  /** Set to answer the next request that carries a continue token with 410 Gone (an expired token). */
  expireNextContinue?: boolean;
  /** Set to send the headers and then a byte a second, forever: a server that never finishes. */
  trickle?: boolean;
  /** A kubeconfig file whose current context points here. */
  kubeconfig(): string;
  close(): Promise<void>;
}

const LISTS: Record<string, { kind: string; listKind: string }> = {
  '/api/v1/namespaces': { kind: 'Namespace', listKind: 'NamespaceList' },
  '/apis/networking.k8s.io/v1/networkpolicies': { kind: 'NetworkPolicy', listKind: 'NetworkPolicyList' },
  '/api/v1/pods': { kind: 'Pod', listKind: 'PodList' },
};

export async function startStandInApi(objects: readonly KubeObject[]): Promise<StandInApi> {
  const requests: string[] = [];
  const api: Partial<StandInApi> & { requests: string[] } = { requests };
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'application/json');
    const answer = (code: number, body: unknown) => {
      res.statusCode = code;
      res.end(JSON.stringify(body));
    };
    if (api.fail) return answer(api.fail.code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: api.fail.message, code: api.fail.code });
    if (api.trickle) {
      res.writeHead(200);
      const timer = setInterval(() => res.write(' '), 1000);
      res.on('close', () => clearInterval(timer));
      return;
    }
    if (api.expireNextContinue && url.searchParams.has('continue')) {
      api.expireNextContinue = false;
      return answer(410, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'Expired',
        message: 'The provided continue parameter is too old',
        code: 410,
      });
    }
    const list = LISTS[url.pathname];
    if (!list) return answer(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
    const all = objects.filter((o) => o.kind === list.kind).map(({ kind: _k, apiVersion: _a, ...item }) => item);
    const limit = Number(url.searchParams.get('limit') ?? all.length) || all.length;
    const from = Number(url.searchParams.get('continue') ?? 0);
    const next = from + limit < all.length ? String(from + limit) : undefined;
    answer(200, {
      kind: list.listKind,
      apiVersion: 'v1',
      metadata: { resourceVersion: '42', ...(next ? { continue: next } : {}) },
      items: all.slice(from, from + limit),
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(api, {
    url,
    kubeconfig() {
      const file = join(tmpdir(), `stagewall-standin-${process.pid}-${(server.address() as AddressInfo).port}.kubeconfig`);
      writeFileSync(
        file,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'standin', cluster: { server: url, 'insecure-skip-tls-verify': true } }], // client-node refuses http:// otherwise
          users: [{ name: 'reader', user: { token: 't' } }],
          contexts: [
            { name: 'standin', context: { cluster: 'standin', user: 'reader' } },
            { name: 'other', context: { cluster: 'standin', user: 'reader' } },
          ],
          'current-context': 'standin',
        }),
      );
      return file;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  }) as StandInApi;
}
