// `stagewall certs`: a CA and a serving certificate signed by it, for the webhook's Service.
//
// A rotation puts the old and the new CA into one caBundle. Clients pick the issuer of the served
// certificate by subject (and key identifier): so every CA gets a subject of its own and carries
// subject and authority key identifiers, or OpenSSL, Node and Go may try the wrong CA and fail
// with a signature error. selfsigned cannot write key identifiers, so the CA is built with
// @peculiar/x509 (the library selfsigned itself builds on); the serving certificate comes from
// selfsigned, signed by that CA.
import { randomBytes, webcrypto } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
} from '@peculiar/x509';
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

const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const EC_SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** PEM text ends with a newline, so that certificates can be concatenated into bundles. */
function withNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

function pemBlock(label: string, der: ArrayBuffer): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * The CA's subject: unique per CA, as client-go names its self-signed CAs (`host-ca@<unix time>`),
 * with random bits so that two CAs made in the same second still differ.
 */
export function caSubject(namespace: string, now = new Date()): string {
  return `CN=stagewall-ca.${namespace}@${Math.floor(now.getTime() / 1000)}.${randomBytes(4).toString('hex')}, O=stagewall`;
}

export interface MadeCa {
  readonly cert: string;
  readonly key: string;
}

export async function makeCa(namespace: string, notBefore: Date, notAfter: Date): Promise<MadeCa> {
  const keys = await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']);
  const cert = await X509CertificateGenerator.createSelfSigned({
    serialNumber: `01${randomBytes(15).toString('hex')}`,
    name: caSubject(namespace, notBefore),
    notBefore,
    notAfter,
    signingAlgorithm: EC_SIGNING,
    keys,
    extensions: [
      new BasicConstraintsExtension(true, 0, true),
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign | KeyUsageFlags.digitalSignature, true),
      await SubjectKeyIdentifierExtension.create(keys.publicKey),
      // A self-signed CA's authority key identifier is its own key's.
      await AuthorityKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: withNewline(cert.toString('pem')), key: pemBlock('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

/** A serving certificate (ECDSA P-256, serverAuth) for `names`, signed by `ca`. */
export async function makeServing(ca: MadeCa, commonName: string, names: readonly string[], notBefore: Date, notAfter: Date): Promise<MadeCa> {
  const serving = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: notAfter,
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: names.map((n) => (isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })) },
    ],
  });
  return { cert: withNewline(serving.cert), key: withNewline(serving.private) };
}

export async function makeCertificates(req: CertificateRequest): Promise<CertificateSet> {
  const days = req.days ?? 365;
  const now = new Date(Date.now() - 5 * 60 * 1000); // tolerate a little clock skew
  const names = servingNames(req);
  try {
    const ca = await makeCa(req.namespace, now, new Date(now.getTime() + Math.max(days * 2, 3650) * DAY_MS));
    const serving = await makeServing(ca, `${req.service}.${req.namespace}.svc`, names, now, new Date(now.getTime() + days * DAY_MS));
    return { caCert: ca.cert, cert: serving.cert, key: serving.key, names };
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
    writeFileSync(files[0] as string, set.caCert);
    writeFileSync(files[1] as string, set.cert);
    writeFileSync(files[2] as string, set.key, { mode: 0o600 });
    return { ...set, files };
  } catch (err) {
    throw new StagewallError('CERTS', `cannot write certificates into ${dir}: ${(err as Error).message}`);
  }
}
