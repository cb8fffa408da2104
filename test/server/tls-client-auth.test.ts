import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { RunningServer } from '../../src/server/serve.js';
import { makeCa, makeClientCert, type Pem } from '../helpers/certs.js';
import { postJson, examplesServeArgs, startServeProcess, waitFor } from '../helpers/https.js';
import { admissionReview, pod } from '../helpers/review.js';
import { makeStagewallCerts, startTestServer } from '../helpers/server.js';

const review = () => admissionReview(pod('etl-transform', 'debug'));

describe('server/tls: optional client authentication (serve --client-ca)', function () {
  this.timeout(30_000);
  let apiServerCa: Pem;
  let otherCa: Pem;
  let apiServer: Pem;
  let stranger: Pem;
  let server: RunningServer | undefined;

  before(async () => {
    apiServerCa = await makeCa('kube-apiserver-client-ca');
    otherCa = await makeCa('some-other-ca');
    apiServer = await makeClientCert(apiServerCa);
    stranger = await makeClientCert(otherCa, 'someone-else');
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function startWithClientCa(bundle: string) {
    const dir = mkdtempSync(join(tmpdir(), 'stagewall-client-ca-'));
    writeFileSync(join(dir, 'client-ca.crt'), bundle);
    const started = await startTestServer({ clientCa: join(dir, 'client-ca.crt') }, dir);
    server = started.server;
    return { ...started, clientCaPath: join(dir, 'client-ca.crt') };
  }

  /** 'answered' with the HTTP status, or 'refused' when TLS (or the request) failed. */
  function call(port: number, ca: Buffer, client?: Pem): Promise<string> {
    return postJson(port, '/validate', review(), { ca, ...(client ? { cert: client.cert, key: client.key } : {}) }).then(
      (res) => `answered ${res.status}`,
      () => 'refused',
    );
  }

  it('accepts a client certificate signed by a CA of the bundle; refuses one signed by another CA, and none; the ops port needs none', async () => {
    const s = await startWithClientCa(apiServerCa.cert);
    const cases: readonly [string, Pem | undefined, string][] = [
      ['signed by the client CA', apiServer, 'answered 200'],
      ['signed by another CA', stranger, 'refused'],
      ['no client certificate', undefined, 'refused'],
    ];
    for (const [name, client, expected] of cases) assert.equal(await call(s.server.port, s.ca, client), expected, name);
    assert.equal((await fetch(`http://127.0.0.1:${s.server.metricsPort}/readyz`)).status, 200, 'probes need no certificate');
    assert.ok(s.logs.some((l) => l['event'] === 'started' && l['clientAuth'] === true));
  });

  it('off by default: a client without a certificate is served', async () => {
    const started = await startTestServer();
    server = started.server;
    assert.equal(await call(server.port, started.ca), 'answered 200');
  });

  it('reloads the bundle like the other TLS files: a CA added is trusted, a CA removed is not', async () => {
    const s = await startWithClientCa(apiServerCa.cert);
    assert.equal(await call(s.server.port, s.ca, stranger), 'refused');
    writeFileSync(s.clientCaPath, `${apiServerCa.cert}\n${otherCa.cert}`);
    await waitFor(async () => (await call(s.server.port, s.ca, stranger)) === 'answered 200', 10_000, 'the second CA to be trusted');
    assert.equal(await call(s.server.port, s.ca, apiServer), 'answered 200', 'both CAs of the bundle');
    writeFileSync(s.clientCaPath, otherCa.cert);
    await waitFor(async () => (await call(s.server.port, s.ca, apiServer)) === 'refused', 10_000, 'the first CA to be dropped');
  });

  it('refuses to start with a bundle that holds no CA, saying so', async () => {
    await assert.rejects(startWithClientCa(apiServer.cert), /holds no CA certificate/);
    await assert.rejects(startWithClientCa('not a certificate\n'), /holds no PEM certificate/);
  });

  it('a reloaded bundle that holds no CA keeps the last good one', async () => {
    const s = await startWithClientCa(apiServerCa.cert);
    writeFileSync(s.clientCaPath, 'garbage');
    await waitFor(() => s.logs.some((l) => l['event'] === 'certificate-reload-failed'), 5000, 'the failed reload');
    assert.equal(await call(s.server.port, s.ca, apiServer), 'answered 200');
  });

  it('serve --help lists --client-ca', async () => {
    const output: string[] = [];
    await main(['serve', '--help'], { out: (t) => output.push(t), err: (t) => output.push(t), readStdin: () => '', color: false });
    assert.match(output.join(''), /--client-ca <file>\s+require a client certificate signed by a CA in\s+this\s+PEM bundle/);
  });

  it('through the CLI: serve --client-ca F answers the API server and refuses a client without a certificate', async function () {
    this.timeout(60_000);
    const dir = mkdtempSync(join(tmpdir(), 'stagewall-client-ca-cli-'));
    await makeStagewallCerts(dir);
    writeFileSync(join(dir, 'client-ca.crt'), apiServerCa.cert);
    const serve = await startServeProcess(examplesServeArgs(dir, ['--client-ca', join(dir, 'client-ca.crt')]));
    try {
      const ca = readFileSync(join(dir, 'ca.crt'));
      assert.equal(await call(serve.port, ca, apiServer), 'answered 200');
      assert.equal(await call(serve.port, ca), 'refused');
    } finally {
      serve.child.kill('SIGTERM');
    }
  });
});
