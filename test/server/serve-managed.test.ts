import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { makeCertificates } from '../../src/certs/make.js';
import type { CertificateSource, ServedCertificate } from '../../src/certs/manager.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { staticViewSource } from '../../src/engine/view-source.js';
import { postJson } from '../helpers/https.js';
import { admissionReview, pod } from '../helpers/review.js';
import { collectingLogger } from '../helpers/server.js';
import { examplesView } from '../helpers/view.js';

/** The certificate a TLS client is shown, trusting `ca`. */
function servedCertificate(port: number, ca: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca }, () => {
      const peer = socket.getPeerX509Certificate();
      socket.end();
      if (peer) resolve(peer);
      else reject(new Error('no peer certificate'));
    });
    socket.on('error', reject);
  });
}

/** A certificate source under the test's control, as the manager is to the server. */
function testSource(first: ServedCertificate) {
  let current = first;
  const listeners: ((next: ServedCertificate) => void)[] = [];
  const source: CertificateSource & { set(next: ServedCertificate): void; reasons: string[]; stopped: boolean } = {
    reasons: ['the caBundle of ValidatingWebhookConfiguration stagewall webhook pods does not trust the served certificate yet'],
    stopped: false,
    current: () => current,
    onChange: (l) => listeners.push(l),
    notReadyBecause: () => source.reasons,
    stop: () => {
      source.stopped = true;
    },
    set(next) {
      current = next;
      for (const l of listeners) l(next);
    },
  };
  return source;
}

describe('server/serve: certificates from a source (serve --manage-certs)', function () {
  this.timeout(30_000);
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("serves the source's certificate, switches to a new one without a restart, and is ready only when the source says it is trusted", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagewall-managed-'));
    copyFileSync('examples/stagewall.yaml', join(dir, 'stagewall.yaml'));
    const first = await makeCertificates({ service: 'stagewall', namespace: 'stagewall-system', dns: ['localhost'] });
    const second = await makeCertificates({ service: 'stagewall', namespace: 'stagewall-system', dns: ['localhost'] });
    const source = testSource(first);
    server = await startServer({
      configPath: join(dir, 'stagewall.yaml'),
      certificateSource: source,
      port: 0,
      metricsPort: 0,
      host: '127.0.0.1',
      viewSource: staticViewSource(examplesView(), 'examples'),
      logger: collectingLogger([]),
    });
    const ready = async () => (await fetch(`http://127.0.0.1:${server?.metricsPort}/readyz`)).json() as Promise<{ status: string; reasons: string[] }>;
    assert.deepEqual(await ready(), { status: 'not ready', reasons: source.reasons });
    source.reasons = [];
    assert.equal((await ready()).status, 'ready');

    assert.equal((await servedCertificate(server.port, first.caCert)).fingerprint256, new X509Certificate(first.cert).fingerprint256);
    const review = await postJson(server.port, '/validate', admissionReview(pod('etl-transform', 'debug')), { ca: first.caCert });
    assert.equal(review.body.response.allowed, false);
    source.set(second);
    assert.equal((await servedCertificate(server.port, second.caCert)).fingerprint256, new X509Certificate(second.cert).fingerprint256);
    await server.close();
    server = undefined;
    assert.ok(source.stopped, 'closing the server stops the source');
  });
});
