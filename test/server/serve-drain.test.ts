import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent } from 'node:https';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { load as loadYaml } from 'js-yaml';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS, OPS_CLOSE_TIMEOUT_MS, type RunningServer } from '../../src/server/serve.js';
import { postJson, examplesServeArgs, startServeProcess, waitFor } from '../helpers/https.js';
import { keepAliveLoad, LOAD_ID_HEADER, type LoadRequest } from '../helpers/load.js';
import { admissionReview, pod } from '../helpers/review.js';
import { makeStagewallCerts, slowLookupViewSource, startTestServer } from '../helpers/server.js';

const unlabelled = pod('etl-transform', 'debug');

/** Every third request names a namespace the view lacks, so its lookup keeps it in flight a while. */
function mixedBody(id: number): unknown {
  return id % 3 === 0 ? admissionReview(pod(`slow-${id}`, 'p')) : admissionReview(unlabelled);
}

/** Server side: when each request arrived and when its answer's headers were written. */
function observe(server: RunningServer) {
  const arrived = new Map<number, number>();
  const answeredAt = new Map<number, number>();
  server.webhook.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const id = Number(req.headers[LOAD_ID_HEADER]);
    arrived.set(id, performance.now());
    const target = res as unknown as { writeHead: (...args: unknown[]) => unknown };
    const writeHead = target.writeHead;
    target.writeHead = function (this: unknown, ...args: unknown[]) {
      answeredAt.set(id, performance.now());
      return writeHead.apply(this, args);
    };
  });
  return { arrived, answeredAt };
}

function connectTls(port: number, ca: Buffer): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends the headers and the first half of a review now; `finish()` sends the rest and resolves with the raw response. */
async function halfSentRequest(port: number, ca: Buffer) {
  const socket = await connectTls(port, ca);
  const payload = JSON.stringify(admissionReview(unlabelled));
  let response = '';
  socket.on('data', (d: Buffer) => (response += d.toString()));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(`POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n`);
  socket.write(payload.slice(0, 100));
  return {
    async finish(): Promise<string> {
      socket.write(payload.slice(100));
      await closed;
      return response;
    },
  };
}

function failedAfterSending(requests: readonly LoadRequest[]): LoadRequest[] {
  return requests.filter((r) => r.sent && r.status === undefined);
}

describe('server/serve: graceful drain under keep-alive load', function () {
  this.timeout(40_000);
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  for (const clients of [16, 32]) {
    it(`close(delay) with ${clients} keep-alive clients: /readyz fails at once, requests in flight are answered, every answer from then on says Connection: close, and no request that reached the server is reset`, async () => {
      const started = await startTestServer({ viewSource: slowLookupViewSource(300) });
      server = started.server;
      const s = started.server;
      const { arrived, answeredAt } = observe(s);
      const load = keepAliveLoad({ port: s.port, ca: started.ca, clients, body: mixedBody });
      await waitFor(() => load.answered() >= 64, 15_000, 'the load to run');

      const drainAt = performance.now();
      const closing = s.close(800);
      const ready = await fetch(`http://127.0.0.1:${s.metricsPort}/readyz`);
      assert.equal(ready.status, 503, 'not ready at once');
      await closing;
      await load.stop();

      const byId = new Map(load.requests.map((r) => [r.id, r]));
      for (const id of arrived.keys()) {
        const r = byId.get(id);
        assert.equal(r?.status, 200, `request ${id} reached the server and was answered (got ${r?.error ?? r?.status})`);
      }
      assert.deepEqual(failedAfterSending(load.requests), [], 'no request written to an open connection failed (no ECONNRESET, no socket hang up)');
      // When the listener closes, a connection still in the kernel's accept queue is refused or
      // reset before its TLS handshake: its request never left the client.
      for (const r of load.requests.filter((x) => x.status === undefined))
        assert.ok(!arrived.has(r.id) && !r.sent, `request ${r.id} failed only before it was sent (${r.error})`);

      const inFlight = [...arrived].filter(([id, at]) => at < drainAt && (answeredAt.get(id) ?? Infinity) > drainAt).map(([id]) => id);
      assert.ok(inFlight.length >= 3, `requests were in flight when the drain began (${inFlight.length})`);
      const duringDrain = [...arrived].filter(([, at]) => at > drainAt).length;
      assert.ok(duringDrain >= 16, `the server kept answering during the delay (${duringDrain} requests)`);

      const answeredAfter = [...answeredAt].filter(([, at]) => at > drainAt).map(([id]) => byId.get(id) as LoadRequest);
      const answeredBefore = [...answeredAt].filter(([, at]) => at < drainAt).map(([id]) => byId.get(id) as LoadRequest);
      assert.deepEqual(
        answeredAfter.filter((r) => r.connection !== 'close').map((r) => r.id),
        [],
        'every answer written after the drain began says Connection: close',
      );
      assert.ok(
        answeredBefore.every((r) => r.connection === 'keep-alive'),
        'answers before it kept the connection',
      );
      assert.ok(!started.logs.some((l) => l['event'] === 'drain-timeout'), 'nothing was cut off');
      const draining = started.logs.find((l) => l['event'] === 'draining');
      assert.ok(Number(draining?.['connections']) >= clients / 2, `the drain log counts the open connections (${String(draining?.['connections'])})`);
    });
  }

  it('closes a quiet keep-alive socket during the delay, answers a request still arriving after it, then refuses new connections', async () => {
    const started = await startTestServer({ drainIdleMs: 200 });
    server = started.server;
    const s = started.server;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const res = await postJson(s.port, '/validate', admissionReview(unlabelled), { ca: started.ca, agent });
    assert.equal(res.status, 200);
    const idle = Object.values(agent.freeSockets).flat()[0];
    assert.ok(idle, 'the client kept its connection');
    const idleClosed = new Promise<number>((resolve) => idle.once('close', () => resolve(performance.now())));
    const slow = await halfSentRequest(s.port, started.ca);

    const drainAt = performance.now();
    let closed = false;
    const closing = s.close(1500).then(() => (closed = true));
    const idleClosedAt = await idleClosed;
    assert.ok(idleClosedAt - drainAt < 1500 && !closed, `the quiet socket was closed during the delay (after ${Math.round(idleClosedAt - drainAt)} ms)`);

    await waitFor(
      () =>
        connectTls(s.port, started.ca).then(
          (socket) => (socket.destroy(), false),
          (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED',
        ),
      10_000,
      'the server to stop accepting',
    );
    const response = await slow.finish();
    assert.match(response, /^HTTP\/1\.1 200/);
    assert.match(response, /\r\nconnection: close\r\n/i);
    assert.match(response, /"allowed":false/);
    await closing;
    agent.destroy();
  });

  it('gives up on a request in flight after the shutdown timeout, so the process always exits in time', async () => {
    const view = slowLookupViewSource(10_000);
    const started = await startTestServer({ viewSource: view, shutdownTimeoutMs: 300 });
    server = started.server;
    const s = started.server;
    const stuck = postJson(s.port, '/validate', admissionReview(pod('slow-stuck', 'p')), { ca: started.ca }).then(
      () => 'answered',
      () => 'cut',
    );
    await waitFor(() => view.lookups.length === 1, 5000, 'the slow lookup');
    const t0 = performance.now();
    await s.close();
    assert.ok(performance.now() - t0 < 5000, 'close() returned after the timeout, not after the lookup');
    assert.equal(await stuck, 'cut');
    const timeout = started.logs.find((l) => l['event'] === 'drain-timeout');
    assert.equal(timeout?.['connections'], 1);
  });

  it("the Deployment's shutdown delay plus the shutdown timeout fit in its termination grace period", () => {
    const deployment = loadYaml(readFileSync('manifests/deployment.yaml', 'utf8')) as {
      spec: { template: { spec: { terminationGracePeriodSeconds: number; containers: { name: string; args: string[] }[] } } };
    };
    const pod = deployment.spec.template.spec;
    const args = pod.containers.find((c) => c.name === 'stagewall')?.args ?? [];
    const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
    const delay = Number(flag('shutdown-delay') ?? 0);
    const timeout = Number(flag('shutdown-timeout') ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
    assert.ok(delay > 0, 'the Deployment sets a shutdown delay');
    // Two seconds left for the view to stop and the process to exit before the kubelet's SIGKILL.
    assert.ok(
      delay + timeout + OPS_CLOSE_TIMEOUT_MS + 2000 <= pod.terminationGracePeriodSeconds * 1000,
      `${delay} + ${timeout} ms within ${pod.terminationGracePeriodSeconds} s`,
    );
  });
});

describe('cli: serve drains on SIGTERM under keep-alive load', function () {
  this.timeout(60_000);
  it('exits 0, answers the requests in flight (one still arriving after the delay), says Connection: close, and resets none that were sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagewall-sigterm-'));
    await makeStagewallCerts(dir);
    const ca = readFileSync(join(dir, 'ca.crt'));
    const serve = await startServeProcess(examplesServeArgs(dir, ['--shutdown-delay', '1000']));
    const { child, port, metricsPort } = serve;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    try {
      const load = keepAliveLoad({ port, ca, clients: 16, body: () => admissionReview(unlabelled) });
      await waitFor(() => load.answered() >= 100, 20_000, 'the load to run');
      const slow = await halfSentRequest(port, ca);
      child.kill('SIGTERM');
      await waitFor(() => /shutting down/.test(serve.output()), 10_000, 'the shutdown log');
      assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status, 503);
      await new Promise((r) => setTimeout(r, 1500)); // past the delay: the listener is closed now
      const response = await slow.finish();
      assert.equal(await exited, 0);
      await load.done;

      assert.match(response, /^HTTP\/1\.1 200/);
      assert.match(response, /\r\nconnection: close\r\n/i);
      assert.deepEqual(failedAfterSending(load.requests), [], 'no request written to an open connection failed (no ECONNRESET, no socket hang up)');
      assert.ok(
        load.requests.some((r) => r.connection === 'close'),
        'answers during the delay said Connection: close',
      );
      assert.ok(load.requests.every((r) => r.status === undefined || r.status === 200));
      assert.doesNotMatch(serve.output(), /drain-timeout/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
