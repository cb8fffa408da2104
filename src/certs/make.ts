// `stagewall certs`: a CA and a serving certificate signed by it, for the webhook's Service.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { generate } from 'selfsigned';
import { StagewallError } from '../errors.js';

export interface CertificateRequest {
  readonly service: string;
  readonly namespace: string;
  /** Extra DNS names and IP addresses for the serving certificate. */
  readonly dns?: readonly string[];
  readonly days?: number;
}

export interface CertificateSet {
  readonly caCert: string;
  readonly cert: string;
  readonly key: string;
  /** The serving certificate's subject alternative names. */
  readonly names: readonly string[];
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The DNS names the API server may use to reach the Service, plus any extra names. */
export function servingNames(req: CertificateRequest): string[] {
  const { service, namespace } = req;
  const names = [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`, ...(req.dns ?? [])];
  return [...new Set(names)];
}

export async function makeCertificates(req: CertificateRequest): Promise<CertificateSet> {
  const days = req.days ?? 365;
  const now = new Date(Date.now() - 5 * 60 * 1000); // tolerate a little clock skew
  const names = servingNames(req);
  try {
    const ca = await generate([{ name: 'commonName', value: `stagewall-ca.${req.namespace}` }, { name: 'organizationName', value: 'stagewall' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: now,
      notAfterDate: new Date(now.getTime() + Math.max(days * 2, 3650) * DAY_MS),
      extensions: [
        { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    });
    const serving = await generate([{ name: 'commonName', value: `${req.service}.${req.namespace}.svc` }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: now,
      notAfterDate: new Date(now.getTime() + days * DAY_MS),
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: names.map((n) => (isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })) },
      ],
    });
    return { caCert: ca.cert, cert: serving.cert, key: serving.private, names };
  } catch (err) {
    throw new StagewallError('CERTS', `cannot make certificates: ${(err as Error).message}`);
  }
}

/** Writes ca.crt, tls.crt and tls.key (mode 0600) into `dir`. The CA key is not kept. */
export async function writeCertificates(dir: string, req: CertificateRequest): Promise<CertificateSet & { files: string[] }> {
  const set = await makeCertificates(req);
  try {
    mkdirSync(dir, { recursive: true });
    const files = [join(dir, 'ca.crt'), join(dir, 'tls.crt'), join(dir, 'tls.key')];
    // PEM files end with a newline, so they can be concatenated into bundles.
    const pem = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);
    writeFileSync(files[0] as string, pem(set.caCert));
    writeFileSync(files[1] as string, pem(set.cert));
    writeFileSync(files[2] as string, pem(set.key), { mode: 0o600 });
    return { ...set, files };
  } catch (err) {
    throw new StagewallError('CERTS', `cannot write certificates into ${dir}: ${(err as Error).message}`);
  }
}
