import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect, createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { RunningServer, ServeOptions } from '../../src/server/serve.js';
import { makeServingCert, type Pem } from '../helpers/certs.js';
import { startTestServer } from '../helpers/server.js';

type KeyType = 'ecdsa' | 'rsa';

interface Endpoint {
  readonly port: number;
  readonly close: () => Promise<void>;
}

/** Connects with exactly one cipher suite offered; resolves with the suite negotiated or the error. */
function handshake(port: number, suite: string, version: 'TLSv1.2' | 'TLSv1.3'): Promise<{ cipher?: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      rejectUnauthorized: false, // the subject here is the suite, not the chain
      ciphers: suite,
      minVersion: version,
      maxVersion: version,
    });
    socket.once('secureConnect', () => {
      const cipher = socket.getCipher().name;
      socket.destroy();
      resolve({ cipher });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
  });
}

/** One row per suite: TLS 1.2 offers only ECDHE key exchange with AEAD (GCM, ChaCha20-Poly1305). */
const TLS12_SUITES: readonly { suite: string; key: KeyType; allowed: boolean; why: string }[] = [
  { suite: 'ECDHE-ECDSA-AES128-GCM-SHA256', key: 'ecdsa', allowed: true, why: 'ECDHE + AES-GCM' },
  { suite: 'ECDHE-ECDSA-AES256-GCM-SHA384', key: 'ecdsa', allowed: true, why: 'ECDHE + AES-GCM' },
  { suite: 'ECDHE-ECDSA-CHACHA20-POLY1305', key: 'ecdsa', allowed: true, why: 'ECDHE + ChaCha20-Poly1305' },
  { suite: 'ECDHE-RSA-AES128-GCM-SHA256', key: 'rsa', allowed: true, why: 'ECDHE + AES-GCM, for an RSA certificate' },
  { suite: 'ECDHE-RSA-AES256-GCM-SHA384', key: 'rsa', allowed: true, why: 'ECDHE + AES-GCM, for an RSA certificate' },
  { suite: 'ECDHE-RSA-CHACHA20-POLY1305', key: 'rsa', allowed: true, why: 'ECDHE + ChaCha20-Poly1305, for an RSA certificate' },
  { suite: 'ECDHE-ECDSA-AES128-SHA', key: 'ecdsa', allowed: false, why: 'CBC with SHA-1' },
  { suite: 'ECDHE-ECDSA-AES256-SHA384', key: 'ecdsa', allowed: false, why: 'CBC' },
  { suite: 'ECDHE-ECDSA-AES128-CCM', key: 'ecdsa', allowed: false, why: 'CCM' },
  { suite: 'ECDHE-ECDSA-ARIA128-GCM-SHA256', key: 'ecdsa', allowed: false, why: 'ARIA' },
  { suite: 'AES128-SHA', key: 'rsa', allowed: false, why: 'static RSA key exchange, CBC with SHA-1' },
  { suite: 'ECDHE-RSA-AES128-SHA', key: 'rsa', allowed: false, why: 'CBC with SHA-1' },
  { suite: 'ECDHE-RSA-AES128-SHA256', key: 'rsa', allowed: false, why: 'CBC' },
  { suite: 'AES128-CCM', key: 'rsa', allowed: false, why: 'static RSA, CCM' },
  { suite: 'AES128-GCM-SHA256', key: 'rsa', allowed: false, why: 'GCM, but static RSA: no forward secrecy' },
  { suite: 'AES256-GCM-SHA384', key: 'rsa', allowed: false, why: 'GCM, but static RSA: no forward secrecy' },
  { suite: 'ARIA128-GCM-SHA256', key: 'rsa', allowed: false, why: 'ARIA, static RSA' },
  { suite: 'ECDHE-ARIA128-GCM-SHA256', key: 'rsa', allowed: false, why: 'ARIA' },
  { suite: 'DHE-RSA-AES128-GCM-SHA256', key: 'rsa', allowed: false, why: 'finite-field DHE, not ECDHE' },
  { suite: 'DHE-RSA-CHACHA20-POLY1305', key: 'rsa', allowed: false, why: 'finite-field DHE, not ECDHE' },
];

const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const;

describe('server/tls: the cipher suites the webhook offers', function () {
  this.timeout(30_000);
  const webhook = new Map<KeyType, RunningServer>();
  const control = new Map<KeyType, Endpoint>();

  /** A TLS server with Node's default suites and the same certificate: proof the client can negotiate a suite at all. */
  function defaultsServer(pem: Pem): Promise<Endpoint> {
    const server: TlsServer = createTlsServer({ cert: pem.cert, key: pem.key, minVersion: 'TLSv1.2', dhparam: 'auto' }, (s) => s.end());
    return new Promise((resolve) => {
      server.listen(0, '127.0.0.1', () =>
        resolve({ port: (server.address() as AddressInfo).port, close: () => new Promise<void>((r) => server.close(() => r())) }),
      );
    });
  }

  before(async () => {
    // stagewall certs makes ECDSA certificates; an operator may bring an RSA one.
    const ecdsa = await startTestServer();
    webhook.set('ecdsa', ecdsa.server);
    const rsa = await makeServingCert('rsa');
    const rsaDir = ecdsa.dir; // any folder will do for the RSA pair's files
    writeFileSync(join(rsaDir, 'rsa.crt'), rsa.cert);
    writeFileSync(join(rsaDir, 'rsa.key'), rsa.key);
    const rsaServer = await startTestServer({ tlsCert: join(rsaDir, 'rsa.crt'), tlsKey: join(rsaDir, 'rsa.key') } satisfies Partial<ServeOptions>);
    webhook.set('rsa', rsaServer.server);
    control.set('rsa', await defaultsServer(rsa));
    control.set('ecdsa', await defaultsServer(await makeServingCert('ec')));
  });
  after(async () => {
    for (const s of webhook.values()) await s.close();
    for (const c of control.values()) await c.close();
  });

  for (const row of TLS12_SUITES) {
    it(`TLS 1.2 ${row.suite} (${row.key} certificate) is ${row.allowed ? 'offered' : 'refused'}: ${row.why}`, async () => {
      const got = await handshake((webhook.get(row.key) as RunningServer).port, row.suite, 'TLSv1.2');
      if (row.allowed) {
        assert.equal(got.cipher, row.suite, got.error);
      } else {
        assert.equal(got.cipher, undefined, `the webhook negotiated ${got.cipher}`);
        assert.ok(got.error, 'the handshake failed');
        // Not the client's doing: with Node's default suites the same handshake succeeds.
        const baseline = await handshake((control.get(row.key) as Endpoint).port, row.suite, 'TLSv1.2');
        assert.equal(baseline.error, undefined, `a server with Node's defaults negotiates ${row.suite}`);
      }
    });
  }

  for (const suite of TLS13_SUITES) {
    it(`TLS 1.3 ${suite} is offered, as Node has it`, async () => {
      for (const key of ['ecdsa', 'rsa'] as const) {
        const got = await handshake((webhook.get(key) as RunningServer).port, suite, 'TLSv1.3');
        assert.equal(got.cipher, suite, `${key}: ${got.error ?? ''}`);
      }
    });
  }
});

describe('server/tls: connections that never get going are closed', function () {
  this.timeout(30_000);
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  function closedWithin(socket: { once(event: 'close', f: () => void): unknown }, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  function secureConnect(port: number): Promise<TLSSocket> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false });
      socket.once('secureConnect', () => resolve(socket));
      socket.once('error', reject);
    });
  }

  const idleCases: readonly { name: string; options: Partial<ServeOptions> }[] = [
    { name: 'firstByteTimeoutMs', options: { firstByteTimeoutMs: 300 } },
    { name: 'headersTimeoutMs, which it defaults to', options: { headersTimeoutMs: 300, requestTimeoutMs: 300 } },
  ];
  for (const c of idleCases) {
    it(`a connection that completes the handshake and never sends a byte is closed after ${c.name}`, async () => {
      server = (await startTestServer(c.options)).server;
      const socket = await secureConnect(server.port);
      assert.ok(await closedWithin(socket, 5000), 'closed within seconds');
    });
  }

  it('a connection that sent its request in time is not cut by that timeout: it stays open for the next one', async () => {
    server = (await startTestServer({ firstByteTimeoutMs: 300 })).server;
    const socket = await secureConnect(server.port);
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString()));
    socket.write('GET /nothing HTTP/1.1\r\nHost: localhost\r\n\r\n');
    assert.equal(await closedWithin(socket, 1000), false, 'still open well past 300 ms');
    assert.match(received, /^HTTP\/1\.1 404/);
    socket.destroy();
  });

  it('a TCP connection that never starts the TLS handshake is closed after handshakeTimeoutMs', async () => {
    server = (await startTestServer({ handshakeTimeoutMs: 300 })).server;
    const socket = netConnect({ host: '127.0.0.1', port: server.port });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    assert.ok(await closedWithin(socket, 5000), 'closed within seconds');
  });
});
