import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { loadConfigFile } from '../../src/config/load.js';
import { startServer, type RunningServer, type ServeOptions } from '../../src/server/serve.js';
import { staticViewSource, type ViewSource } from '../../src/engine/view-source.js';
import { admissionReview, pod } from '../helpers/review.js';
import { postJson, examplesServeArgs, startServeProcess, waitFor } from '../helpers/https.js';
import { collectingLogger, makeStagewallCerts, testServeOptions } from '../helpers/server.js';
import { examplesView } from '../helpers/view.js';

function quietIo(): CliIo & { output: string[] } {
  const output: string[] = [];
  return { output, out: (t) => output.push(t), err: (t) => output.push(t), readStdin: () => '', color: false };
}

const unlabelled = pod('etl-transform', 'debug');

describe('certs: stagewall certs', () => {
  it('writes a CA and a serving certificate signed by it, with the Service DNS names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagewall-certs-'));
    await main(['certs', '--out', dir, '--service', 'sw', '--namespace', 'ops', '--dns', 'hook.example.com'], quietIo());
    const ca = new X509Certificate(readFileSync(join(dir, 'ca.crt')));
    const cert = new X509Certificate(readFileSync(join(dir, 'tls.crt')));
    assert.ok(ca.ca, 'ca.crt is a CA');
    assert.ok(!cert.ca, 'tls.crt is not a CA');
    assert.ok(cert.verify(ca.publicKey), 'tls.crt is signed by ca.crt');
    for (const name of ['sw.ops.svc', 'sw.ops.svc.cluster.local', 'hook.example.com'])
      assert.match(cert.subjectAltName ?? '', new RegExp(`DNS:${name.replace(/\./g, '\\.')}(,|$)`));
    assert.equal(cert.publicKey.asymmetricKeyType, 'ec');
    const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
    assert.ok(days > 360 && days < 370, `valid for about a year (${days})`);
    assert.match(readFileSync(join(dir, 'tls.key'), 'utf8'), /PRIVATE KEY/);
  });
});

describe('server/serve: the real HTTPS server', function () {
  this.timeout(30_000);
  let dir: string;
  let server: RunningServer | undefined;
  const logs: Record<string, unknown>[] = [];
  const logger = collectingLogger(logs);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stagewall-serve-'));
    await makeStagewallCerts(dir);
    copyFileSync('examples/stagewall.yaml', join(dir, 'stagewall.yaml'));
    logs.length = 0;
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(viewSource: ViewSource = staticViewSource(examplesView(), 'examples'), extra: Partial<ServeOptions> = {}) {
    server = await startServer(testServeOptions(dir, { viewSource, logger, ...extra }));
    return server;
  }

  it('serves /validate over TLS to a client that trusts the CA written by stagewall certs', async () => {
    const s = await start();
    const res = await postJson(s.port, '/validate', admissionReview(unlabelled), { ca: readFileSync(join(dir, 'ca.crt')) });
    assert.equal(res.status, 200);
    assert.equal(res.body.response.allowed, false);
    assert.match(res.body.response.status.message, /\[stage-label-missing\]/);
  });

  it('refuses TLS below 1.2', async () => {
    const s = await start();
    await assert.rejects(
      postJson(s.port, '/validate', admissionReview(unlabelled), { ca: readFileSync(join(dir, 'ca.crt')), maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }),
    );
  });

  it('reloads a changed certificate without a restart', async () => {
    const s = await start();
    const oldCa = readFileSync(join(dir, 'ca.crt'));
    const next = mkdtempSync(join(tmpdir(), 'stagewall-certs2-'));
    await makeStagewallCerts(next);
    copyFileSync(join(next, 'tls.key'), join(dir, 'tls.key'));
    copyFileSync(join(next, 'tls.crt'), join(dir, 'tls.crt'));
    const newCa = readFileSync(join(next, 'ca.crt'));
    await waitFor(
      async () => {
        try {
          return (await postJson(s.port, '/validate', admissionReview(unlabelled), { ca: newCa })).status === 200;
        } catch {
          return false;
        }
      },
      10_000,
      'the new certificate',
    );
    await assert.rejects(postJson(s.port, '/validate', admissionReview(unlabelled), { ca: oldCa }), /self[- ]signed|unable to verify|certificate/i);
  });

  it('reloads a changed config; a bad one keeps the last good config in force, logged and counted', async () => {
    const s = await start();
    const ca = readFileSync(join(dir, 'ca.crt'));
    const path = join(dir, 'stagewall.yaml');
    writeFileSync(path, readFileSync(path, 'utf8').replace('mode: enforce', 'mode: audit'));
    await waitFor(() => s.config().mode === 'audit', 5000, 'the audit config');
    let res = await postJson(s.port, '/validate', admissionReview(unlabelled), { ca });
    assert.equal(res.body.response.allowed, true, 'audit admits');

    writeFileSync(path, 'apiVersion: stagewall.dev/v1alpha1\nkind: StagewallConfig\nmode: sometimes\npipelines: []\n');
    await waitFor(() => logs.some((l) => l['event'] === 'config-reload-failed'), 5000, 'the reload failure');
    assert.equal(s.config().mode, 'audit', 'the last good config stays');
    const failure = logs.find((l) => l['event'] === 'config-reload-failed');
    assert.match(String(failure?.['error']), /\/mode: must be one of/);
    const metrics = await s.metrics.registry.getSingleMetricAsString('stagewall_config_reloads_total');
    assert.match(metrics, /result="failure"} 1/);
    res = await postJson(s.port, '/validate', admissionReview(unlabelled), { ca });
    assert.equal(res.body.response.allowed, true);
  });

  it('reports /healthz always, and /readyz only once the view is synced', async () => {
    let synced = false;
    const source: ViewSource = { ...staticViewSource(examplesView(), 'test view'), synced: () => synced };
    const s = await start(source);
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${s.metricsPort}${path}`);
      return { status: res.status, body: (await res.json()) as { reasons?: string[] } };
    };
    assert.equal((await get('/healthz')).status, 200);
    const notReady = await get('/readyz');
    assert.equal(notReady.status, 503);
    assert.match(String(notReady.body.reasons), /view not synced/);
    synced = true;
    assert.equal((await get('/readyz')).status, 200);
    const metrics = await (await fetch(`http://127.0.0.1:${s.metricsPort}/metrics`)).text();
    assert.match(metrics, /stagewall_view_synced 1/);
    assert.match(metrics, /stagewall_certificate_expiry_timestamp_seconds \d+/);
    assert.match(metrics, /stagewall_view_objects\{kind="NetworkPolicy"\} 9/);
  });

  it('cuts off a client that never finishes its headers', async () => {
    const s = await start(undefined, { headersTimeoutMs: 300, requestTimeoutMs: 300 });
    const socket = tlsConnect({ host: '127.0.0.1', port: s.port, servername: 'localhost', ca: readFileSync(join(dir, 'ca.crt')) });
    await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
    socket.write('POST /validate HTTP/1.1\r\nHost: localhost\r\n');
    const started = Date.now();
    const response = await new Promise<string>((resolve) => {
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString()));
      socket.on('close', () => resolve(data));
    });
    assert.ok(Date.now() - started < 5000, 'closed within seconds');
    assert.match(response, /^HTTP\/1\.1 408|^$/);
  });

  it('on SIGTERM stops accepting, finishes the request in flight and exits 0', async function () {
    this.timeout(60_000);
    const serve = await startServeProcess(examplesServeArgs(dir, [], join(dir, 'stagewall.yaml')));
    const { child, port } = serve;
    // Send headers and half the body, then SIGTERM, then the rest.
    const payload = JSON.stringify(admissionReview(unlabelled));
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: readFileSync(join(dir, 'ca.crt')) });
    await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
    let response = '';
    socket.on('data', (d: Buffer) => (response += d.toString()));
    socket.write(
      `POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n`,
    );
    socket.write(payload.slice(0, 100));
    await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGTERM');
    await waitFor(() => /shutting down/.test(serve.output()), 10_000, 'the shutdown log');
    socket.end(payload.slice(100));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(code, 0);
    assert.match(response, /^HTTP\/1\.1 200/);
    assert.match(response, /"allowed":false/);
  });
});

describe('server/serve: shutdown delay', function () {
  this.timeout(60_000);
  it('with --shutdown-delay, SIGTERM makes /readyz fail at once while admissions are still answered, then exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagewall-delay-'));
    await makeStagewallCerts(dir);
    const serve = await startServeProcess(examplesServeArgs(dir, ['--shutdown-delay', '1500']));
    const { child, port, metricsPort } = serve;
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status, 200);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    child.kill('SIGTERM');
    await waitFor(() => /shutting down/.test(serve.output()), 10_000, 'the shutdown log');
    const ready = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(JSON.stringify(await ready.json()), /shutting down/);
    const res = await postJson(port, '/validate', admissionReview(unlabelled), { ca: readFileSync(join(dir, 'ca.crt')) });
    assert.equal(res.status, 200, 'still answering during the delay');
    assert.equal(await exited, 0);
  });
});

describe('server/serve: config at start', () => {
  it('an invalid config file is refused with every error and its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagewall-badconfig-'));
    writeFileSync(join(dir, 'c.yaml'), 'apiVersion: stagewall.dev/v1alpha1\nkind: StagewallConfig\nmode: sometimes\nworkloadCoverage: maybe\npipelines: []\n');
    assert.throws(
      () => loadConfigFile(join(dir, 'c.yaml')),
      (err: Error & { details?: string[] }) => {
        assert.ok(err.details?.some((d) => d.startsWith('/mode:')));
        assert.ok(err.details?.some((d) => d.startsWith('/workloadCoverage:')));
        return true;
      },
    );
  });
});

describe('cli: serve --embedded (what npm start runs)', function () {
  this.timeout(60_000);
  it('makes certificates on first start, serves the examples and prints how to try it with curl', async () => {
    const certs = mkdtempSync(join(tmpdir(), 'stagewall-embedded-'));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/entry.ts', 'serve', '--embedded', '--certs', certs, '--port', '0', '--metrics-port', '0', '--host', '127.0.0.1'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => /Try it:/.test(out), 30_000, 'the curl hint');
      assert.match(out, /made a CA and a serving certificate in /);
      assert.match(out, /curl --cacert \S+ca\.crt -H 'Content-Type: application\/json' --data @\S+pod-without-stage\.json https:\/\/localhost:\d+\/validate/);
      const port = Number(/"port":(\d+)/.exec(out)?.[1]);
      const sample = JSON.parse(readFileSync('examples/admission/pod-without-stage.json', 'utf8')) as unknown;
      const res = await postJson(port, '/validate', sample, { ca: readFileSync(join(certs, 'ca.crt')) });
      assert.equal(res.body.response.allowed, false);
      assert.match(res.body.response.status.message, /^\[stage-label-missing\] Pod etl-transform\/debug-shell/);
      const ok = await postJson(port, '/validate', JSON.parse(readFileSync('examples/admission/pod-labelled.json', 'utf8')), {
        ca: readFileSync(join(certs, 'ca.crt')),
      });
      assert.equal(ok.body.response.allowed, true);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
