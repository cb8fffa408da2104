// Serving certificate and key (and, optionally, the CA bundle that client certificates must chain
// to) from files, reloadable without a restart (setSecureContext).
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import { StagewallError } from '../errors.js';

export interface LoadedCertificate {
  readonly options: SecureContextOptions;
  readonly expiresAt: Date;
  readonly subjectAltName: string;
}

const MAKE_ONE = 'make one with: stagewall certs --out DIR';

/** The serving certificate from the contents of its files; `certPath` and `keyPath` name them in errors. */
export function certificateFrom(cert: Buffer | undefined, key: Buffer | undefined, certPath: string, keyPath: string): LoadedCertificate {
  if (cert === undefined) throw new StagewallError('CERTS', `cannot read the serving certificate ${certPath} (${MAKE_ONE})`);
  if (key === undefined) throw new StagewallError('CERTS', `cannot read the serving key ${keyPath} (${MAKE_ONE})`);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new StagewallError('CERTS', `${certPath} is not a PEM certificate: ${(err as Error).message}`);
  }
  return { options: { cert, key }, expiresAt: new Date(x509.validTo), subjectAltName: x509.subjectAltName ?? '' };
}

function readOrUndefined(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

export function loadCertificate(certPath: string, keyPath: string): LoadedCertificate {
  return certificateFrom(readOrUndefined(certPath), readOrUndefined(keyPath), certPath, keyPath);
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The CA bundle for client certificates (`serve --client-ca`): every PEM certificate in it must parse, and at least one must be a CA. */
export function clientCaFrom(bundle: Buffer | undefined, path: string): SecureContextOptions {
  if (bundle === undefined) throw new StagewallError('CERTS', `cannot read the client CA bundle ${path}`);
  const pems = bundle.toString('utf8').match(PEM_CERTIFICATE) ?? [];
  if (pems.length === 0)
    throw new StagewallError('CERTS', `${path} holds no PEM certificate: --client-ca needs the CA bundle that signs the API server's client certificate`);
  let cas = 0;
  for (const [i, pem] of pems.entries()) {
    try {
      if (new X509Certificate(pem).ca) cas += 1;
    } catch (err) {
      throw new StagewallError('CERTS', `${path}: certificate ${i + 1} is not valid PEM: ${(err as Error).message}`);
    }
  }
  if (cas === 0)
    throw new StagewallError(
      'CERTS',
      `${path} holds no CA certificate (basicConstraints CA:TRUE): --client-ca needs the CA, not the client certificate itself`,
    );
  return { ca: pems };
}

/**
 * TLS 1.2 with forward secrecy and AEAD only: ECDHE key exchange (ECDSA certificates, as
 * `stagewall certs` makes, or RSA ones, as cert-manager often issues) with AES-GCM or
 * ChaCha20-Poly1305. No CBC, CCM, ARIA, or static-RSA/DHE suites. The TLS 1.3 suites are Node's
 * defaults (all AEAD).
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
] as const;
export const TLS13_CIPHERS = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'] as const;

/** TLS settings shared by the webhook and the benchmark's baseline server. */
export const TLS_SERVER_OPTIONS = {
  minVersion: 'TLSv1.2',
  ciphers: [...TLS13_CIPHERS, ...TLS12_CIPHERS].join(':'),
  honorCipherOrder: true,
} as const;
