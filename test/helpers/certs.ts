// Certificates for TLS tests: CAs with names of their own, client certificates signed by them, and
// an RSA serving certificate (stagewall certs makes ECDSA ones; cert-manager often issues RSA).
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

/** A CA; each gets its own subject, so bundles of several verify. */
export async function makeCa(name: string): Promise<Pem> {
  const made = await generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ...validity(),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: made.cert, key: made.private };
}

/** A client certificate (extKeyUsage clientAuth) signed by `ca`, as the API server presents. */
export async function makeClientCert(ca: Pem, name = 'kube-apiserver-webhook-client'): Promise<Pem> {
  const made = await generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ...validity(),
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
  return { cert: made.cert, key: made.private };
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
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { cert: made.cert, key: made.private };
}
