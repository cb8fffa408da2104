// Serving certificate and key from files, reloadable without a restart (setSecureContext).
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import { StagewallError } from '../errors.js';

export interface LoadedCertificate {
  readonly options: SecureContextOptions;
  readonly expiresAt: Date;
  readonly subjectAltName: string;
}

export function loadCertificate(certPath: string, keyPath: string): LoadedCertificate {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(certPath);
    key = readFileSync(keyPath);
  } catch (err) {
    throw new StagewallError('CERTS', `cannot read the serving certificate: ${(err as Error).message} (make one with: stagewall certs --out DIR)`);
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new StagewallError('CERTS', `${certPath} is not a PEM certificate: ${(err as Error).message}`);
  }
  return { options: { cert, key }, expiresAt: new Date(x509.validTo), subjectAltName: x509.subjectAltName ?? '' };
}

/** TLS settings shared by the webhook and the benchmark's baseline server. */
export const TLS_SERVER_OPTIONS = { minVersion: 'TLSv1.2' } as const;
