// A rotation puts the old and the new CA into one caBundle. The served certificate must verify
// against that bundle in every client that may call the webhook: OpenSSL (curl and friends), Node,
// and Go (the Kubernetes API server). It did not when every CA had the same subject and no key
// identifiers: clients tried the wrong CA and failed with a signature error.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { caSubject, makeCertificates, type CertificateSet } from '../../src/certs/make.js';

const here = dirname(fileURLToPath(import.meta.url));
const SERVICE = { service: 'stagewall', namespace: 'stagewall-system', dns: ['localhost', '127.0.0.1'] };
const NAME = 'stagewall.stagewall-system.svc';

/** The X509v3 extensions OpenSSL prints for a certificate. */
function opensslText(pem: string): string {
  return execFileSync('openssl', ['x509', '-noout', '-text'], { input: pem, encoding: 'utf8' });
}

function keyIdentifiers(pem: string): { subject?: string; authority?: string } {
  const text = opensslText(pem);
  const after = (label: string) => new RegExp(`${label}:\\s*\\n\\s*(?:keyid:)?([0-9A-F:]+)`).exec(text)?.[1];
  return { subject: after('X509v3 Subject Key Identifier'), authority: after('X509v3 Authority Key Identifier') };
}

function goVerifier(): string | undefined {
  const go = ['go', '/usr/local/go/bin/go'].find((g) => spawnSync(g, ['version']).status === 0);
  if (!go) return undefined;
  const out = join(mkdtempSync(join(tmpdir(), 'stagewall-verify-')), 'verify-chain');
  execFileSync(go, ['build', '-o', out, 'verify-chain.go'], { cwd: here, env: { ...process.env, GOFLAGS: '', GOWORK: 'off' }, stdio: 'pipe' });
  return out;
}

describe('certs: a bundle of two CAs verifies in OpenSSL, Node and Go', function () {
  this.timeout(180_000); // the Go verifier is compiled once, cold on a fresh machine
  let oldSet: CertificateSet;
  let newSet: CertificateSet;
  let dir: string;
  let bundle: string;
  let verifier: string | undefined;

  before(async () => {
    [oldSet, newSet] = await Promise.all([makeCertificates(SERVICE), makeCertificates(SERVICE)]);
    dir = mkdtempSync(join(tmpdir(), 'stagewall-bundle-'));
    // The order hack/install-certs.sh writes: the new CA first, then the one in use.
    bundle = join(dir, 'bundle.pem');
    writeFileSync(bundle, newSet.caCert + oldSet.caCert);
    writeFileSync(join(dir, 'old.crt'), oldSet.cert);
    writeFileSync(join(dir, 'new.crt'), newSet.cert);
    verifier = goVerifier();
  });

  it('gives every CA a subject of its own, even two made at the same moment', () => {
    const subjects = [oldSet, newSet].map((s) => new X509Certificate(s.caCert).subject);
    assert.notEqual(subjects[0], subjects[1]);
    const now = new Date();
    assert.notEqual(caSubject('ns', now), caSubject('ns', now));
    assert.match(caSubject('ns', now), /^CN=stagewall-ca\.ns@\d+\.[0-9a-f]{8}, O=stagewall$/);
  });

  it('puts subject and authority key identifiers on each CA (its own key for both)', () => {
    for (const set of [oldSet, newSet]) {
      const ids = keyIdentifiers(set.caCert);
      assert.ok(ids.subject, 'a subject key identifier');
      assert.equal(ids.authority, ids.subject, 'a self-signed CA names its own key as the authority');
    }
    assert.notEqual(keyIdentifiers(oldSet.caCert).subject, keyIdentifiers(newSet.caCert).subject);
  });

  it('signs each serving certificate with its own CA and names that CA as the issuer', () => {
    for (const set of [oldSet, newSet]) {
      const ca = new X509Certificate(set.caCert);
      const cert = new X509Certificate(set.cert);
      assert.equal(cert.issuer, ca.subject);
      assert.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey));
    }
  });

  for (const which of ['old', 'new'] as const) {
    it(`OpenSSL verifies the ${which} serving certificate against the bundle`, () => {
      const result = spawnSync('openssl', ['verify', '-CAfile', bundle, '-verify_hostname', NAME, join(dir, `${which}.crt`)], { encoding: 'utf8' });
      assert.equal(result.status, 0, `openssl verify: ${result.stdout}${result.stderr}`);
    });

    it(`a Node TLS client trusting the bundle connects to a server with the ${which} certificate`, async () => {
      const set = which === 'old' ? oldSet : newSet;
      const server: Server = createServer({ cert: set.cert, key: set.key }, (_req, res) => res.end('ok'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const port = (server.address() as AddressInfo).port;
        const authorized = await new Promise<string>((resolve, reject) => {
          const socket = connect({ host: '127.0.0.1', port, servername: NAME, ca: [newSet.caCert, oldSet.caCert].join('') }, () => {
            resolve(socket.authorized ? 'authorized' : String(socket.authorizationError));
            socket.destroy();
          });
          socket.on('error', reject);
        });
        assert.equal(authorized, 'authorized');
      } finally {
        server.close();
      }
    });

    it(`Go's crypto/x509 (as the API server) verifies the ${which} serving certificate against the bundle`, function () {
      // Go is on every machine this project runs CI on; elsewhere this row cannot run.
      if (!verifier) {
        if (process.env['CI']) assert.fail('go is not installed, but CI must run the Go client check');
        this.skip();
      }
      assert.ok(existsSync(verifier));
      const result = spawnSync(verifier, [bundle, join(dir, `${which}.crt`), NAME], { encoding: 'utf8' });
      assert.equal(result.status, 0, `go verify: ${result.stdout}${result.stderr}`);
    });
  }
});
