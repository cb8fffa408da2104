// Certificates for TLS tests: serving certificates of either key type (stagewall certs makes
// ECDSA ones; cert-manager often issues RSA).
import { generate } from 'selfsigned';

export interface Pem {
  readonly cert: string;
  readonly key: string;
}

const HOUR_MS = 60 * 60 * 1000;

function validity() {
  const now = Date.now();
  return { notBeforeDate: new Date(now - HOUR_MS), notAfterDate: new Date(now + 24 * HOUR_MS) };
}

/** A self-signed serving certificate for localhost with the given key type. */
export async function makeServingCert(keyType: 'rsa' | 'ec'): Promise<Pem> {
  const made = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType,
    ...(keyType === 'rsa' ? { keySize: 2048 } : { curve: 'P-256' as const }),
    algorithm: 'sha256',
    ...validity(),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { cert: made.cert, key: made.private };
}
