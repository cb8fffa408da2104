// `serve --manage-certs`: stagewall keeps its own CA and serving certificate in a Secret and the CA
// bundle in its webhook configurations, and rotates both before they expire with no failed call.
//
// Every replica runs the same loop over the same Secret; the Secret is the state and writes are
// optimistic (create, or update at the read resourceVersion), so replicas never need to talk to
// each other: a replica that loses a race re-reads and adopts what the winner wrote.
//
// The states, read from the Secret (`bundle` is the CAs trusted, `ca` the one that signs):
//
//   NONE / INVALID ──create──▶ STABLE        bundle [ca], serving signed by ca
//   STABLE ──CA has < 1/3 of its life left──▶ CA_ADDED          bundle [old, new], serving by old
//   CA_ADDED ──every webhook's caBundle trusts new──▶ SWITCHED  bundle [old, new], serving by new
//   SWITCHED ──servedSince + grace passed──▶ STABLE              bundle [new]
//   STABLE ──serving has < 1/3 of its life left (or wrong names)──▶ STABLE (new serving, same CA)
//
// The order is what makes it safe. The API server trusts what the webhooks' caBundle holds; each
// replica serves what the Secret holds (re-read every sync). A new CA enters the bundle before
// anything it signs is served; the serving certificate switches only once every webhook's bundle
// is seen to trust the new CA; the old CA leaves the bundle only `grace` after the switch, long
// enough for every replica to have re-read the Secret (grace is several sync intervals). A
// serving certificate is only ever signed by a CA that the webhooks already trust.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { StagewallError } from '../errors.js';
import { makeCa, makeServing, servingNames, type MadeCa } from './make.js';

/** The Secret's data keys (values are PEM text). tls.crt/tls.key as kubernetes.io/tls has them. */
export const SECRET_KEYS = { caCert: 'ca.crt', caKey: 'ca.key', bundle: 'ca-bundle.crt', cert: 'tls.crt', key: 'tls.key' } as const;
/** When the serving certificate in the Secret was last replaced (ISO time), an annotation. */
export const SERVED_SINCE = 'stagewall.dev/serving-since';

export interface CertificateState {
  readonly caCert: string;
  readonly caKey: string;
  /** PEM certificates, the CAs the webhooks must trust: [ca] or [old, ca]. */
  readonly bundle: string;
  readonly cert: string;
  readonly key: string;
  readonly servedSince: Date;
}

export interface StoredState {
  readonly state: CertificateState | undefined;
  /** Why the stored data is not a usable state (when the Secret exists but is broken). */
  readonly invalid?: string | undefined;
  /** undefined: no Secret. */
  readonly resourceVersion: string | undefined;
}

/** A write lost a race (409: AlreadyExists on create, Conflict on update). */
export class WriteConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WriteConflict';
  }
}

/** Where the state lives and where the bundle goes: the API server, or a fake in tests. */
export interface CertificateStore {
  read(): Promise<StoredState>;
  /** Creates (no resourceVersion) or updates at `resourceVersion`; throws WriteConflict on 409. */
  write(state: CertificateState, resourceVersion: string | undefined): Promise<void>;
  /** The caBundle (PEM text, '' when unset) of every webhook of both configurations, by a name for messages. */
  readBundles(): Promise<ReadonlyMap<string, string>>;
  /** Writes `bundle` into every webhook of both configurations. */
  writeBundles(bundle: string): Promise<void>;
}

export interface ManagedCertificateOptions {
  readonly service: string;
  readonly namespace: string;
  /** Extra DNS names and IP addresses (--cert-dns). */
  readonly dns: readonly string[];
  /** The serving certificate's lifetime; the CA lives CA_LIFETIME_FACTOR times as long. */
  readonly validityMs: number;
  /** How long the old CA stays in the bundle after the serving certificate switched away from it. */
  readonly graceMs: number;
  readonly now: () => Date;
}

/** The CA outlives the serving certificates it signs. */
export const CA_LIFETIME_FACTOR = 2;

/** What one step did, for logs and metrics. */
export type CertificateAction =
  | { readonly kind: 'created'; readonly reason: string }
  | { readonly kind: 'ca-added' }
  | { readonly kind: 'serving-renewed'; readonly reason: string }
  | { readonly kind: 'ca-dropped' }
  | { readonly kind: 'waiting'; readonly reason: string }
  | { readonly kind: 'none' };

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;

export function pemCertificates(bundle: string): string[] {
  return (bundle.match(PEM_CERTIFICATE) ?? []).map((p) => (p.endsWith('\n') ? p : `${p}\n`));
}

export interface ParsedState {
  readonly ca: X509Certificate;
  readonly bundle: readonly X509Certificate[];
  readonly serving: X509Certificate;
}

/** Parses and checks a state: every piece present and consistent. Throws with the reason. */
export function parseState(state: CertificateState): ParsedState {
  const ca = new X509Certificate(state.caCert);
  if (!ca.ca) throw new Error(`${SECRET_KEYS.caCert} is not a CA`);
  if (!ca.checkPrivateKey(createPrivateKey(state.caKey))) throw new Error(`${SECRET_KEYS.caKey} does not match ${SECRET_KEYS.caCert}`);
  const bundle = pemCertificates(state.bundle).map((p) => new X509Certificate(p));
  if (!bundle.some((c) => c.fingerprint256 === ca.fingerprint256)) throw new Error(`${SECRET_KEYS.bundle} does not hold ${SECRET_KEYS.caCert}`);
  const serving = new X509Certificate(state.cert);
  if (!serving.checkPrivateKey(createPrivateKey(state.key))) throw new Error(`${SECRET_KEYS.key} does not match ${SECRET_KEYS.cert}`);
  if (!bundle.some((c) => serving.checkIssued(c) && serving.verify(c.publicKey)))
    throw new Error(`${SECRET_KEYS.cert} is signed by no CA of ${SECRET_KEYS.bundle}`);
  return { ca, bundle, serving };
}

function lifetime(cert: X509Certificate): { from: number; to: number } {
  return { from: Date.parse(cert.validFrom), to: Date.parse(cert.validTo) };
}

/** Less than a third of its lifetime left (or expired). */
export function renewalDue(cert: X509Certificate, now: Date): boolean {
  const { from, to } = lifetime(cert);
  return to - now.getTime() < (to - from) / 3;
}

/** True when `bundle` (PEM text) holds the certificate `ca`. */
export function bundleHolds(bundle: string, ca: X509Certificate): boolean {
  return pemCertificates(bundle).some((p) => {
    try {
      return new X509Certificate(p).fingerprint256 === ca.fingerprint256;
    } catch {
      return false;
    }
  });
}

/** True when `bundle` trusts `serving`: it holds a CA that issued and signed it. */
export function bundleTrusts(bundle: string, serving: X509Certificate): boolean {
  return pemCertificates(bundle).some((p) => {
    try {
      const ca = new X509Certificate(p);
      return serving.checkIssued(ca) && serving.verify(ca.publicKey);
    } catch {
      return false;
    }
  });
}

/** Backdating tolerates clock skew between nodes, a tenth of the lifetime at most. */
function notBefore(now: Date, validityMs: number): Date {
  return new Date(now.getTime() - Math.min(5 * 60_000, Math.floor(validityMs / 10)));
}

export class CertificatePlanner {
  readonly names: readonly string[];
  readonly commonName: string;

  constructor(private readonly options: ManagedCertificateOptions) {
    this.names = servingNames({ service: options.service, namespace: options.namespace, dns: options.dns });
    this.commonName = `${options.service}.${options.namespace}.svc`;
  }

  private async serving(ca: MadeCa, caCert: X509Certificate, now: Date): Promise<MadeCa> {
    // Never outlive the CA that signs it.
    const to = Math.min(now.getTime() + this.options.validityMs, Date.parse(caCert.validTo));
    return makeServing(ca, this.commonName, this.names, notBefore(now, this.options.validityMs), new Date(to));
  }

  async fresh(): Promise<CertificateState> {
    const now = this.options.now();
    const ca = await makeCa(
      this.options.namespace,
      notBefore(now, this.options.validityMs),
      new Date(now.getTime() + this.options.validityMs * CA_LIFETIME_FACTOR),
    );
    const serving = await this.serving(ca, new X509Certificate(ca.cert), now);
    return { caCert: ca.cert, caKey: ca.key, bundle: ca.cert, cert: serving.cert, key: serving.key, servedSince: now };
  }

  private namesMatch(serving: X509Certificate): boolean {
    const have = new Set((serving.subjectAltName ?? '').split(', ').map((n) => n.replace(/^(DNS|IP Address):/, '')));
    return this.names.every((n) => have.has(n));
  }

  /**
   * The next state from `state`, given what the webhooks' bundles hold; undefined when nothing is
   * to be written. `bundles` are the caBundles of every webhook as last read.
   */
  async next(state: CertificateState, bundles: ReadonlyMap<string, string>): Promise<{ state?: CertificateState; action: CertificateAction }> {
    const now = this.options.now();
    const parsed = parseState(state);
    const { ca, bundle, serving } = parsed;
    const signedByCa = serving.checkIssued(ca) && serving.verify(ca.publicKey);
    const webhooksTrustCa = bundles.size > 0 && [...bundles.values()].every((b) => bundleHolds(b, ca));

    // SWITCHED -> STABLE: the old CA leaves once every replica has had time to serve the new cert.
    if (bundle.length > 1 && signedByCa) {
      if (now.getTime() - state.servedSince.getTime() >= this.options.graceMs)
        return { state: { ...state, bundle: state.caCert }, action: { kind: 'ca-dropped' } };
      return { action: { kind: 'waiting', reason: 'the old CA stays in the bundle until every replica serves the new certificate' } };
    }
    // STABLE -> CA_ADDED: a new CA joins the bundle first; it signs nothing yet.
    if (bundle.length === 1 && renewalDue(ca, now)) {
      const next = await makeCa(
        this.options.namespace,
        notBefore(now, this.options.validityMs),
        new Date(now.getTime() + this.options.validityMs * CA_LIFETIME_FACTOR),
      );
      return { state: { ...state, caCert: next.cert, caKey: next.key, bundle: state.caCert + next.cert }, action: { kind: 'ca-added' } };
    }
    // CA_ADDED -> SWITCHED, or STABLE -> STABLE with a renewed serving certificate.
    const reason = !signedByCa
      ? 'the CA was renewed'
      : renewalDue(serving, now)
        ? 'less than a third of its lifetime is left'
        : !this.namesMatch(serving)
          ? 'the names changed'
          : undefined;
    if (reason === undefined) return { action: { kind: 'none' } };
    if (!webhooksTrustCa)
      return { action: { kind: 'waiting', reason: `the serving certificate is renewed (${reason}) once every webhook's caBundle trusts the current CA` } };
    const next = await this.serving({ cert: state.caCert, key: state.caKey }, ca, now);
    return { state: { ...state, cert: next.cert, key: next.key, servedSince: now }, action: { kind: 'serving-renewed', reason } };
  }
}

export interface SyncResult {
  /** The state now in the Secret (this replica's write, or the one it adopted). */
  readonly state: CertificateState;
  readonly actions: readonly CertificateAction[];
  /** True when this step wrote the bundle into the webhooks. */
  readonly bundleWritten: boolean;
  /** Why writing the bundle failed, when it did. */
  readonly bundleError?: string;
  /** The webhooks' bundles after the step. */
  readonly bundles: ReadonlyMap<string, string>;
}

/** How often a step re-reads after losing a race before giving up until the next sync. */
const MAX_CONFLICTS = 5;

/**
 * One sync: read the Secret (create it when missing or invalid), move the state machine at most
 * one transition, make the webhooks' bundles equal to the Secret's bundle. A lost race re-reads
 * and adopts the winner's state.
 */
export async function syncCertificates(store: CertificateStore, planner: CertificatePlanner): Promise<SyncResult> {
  const actions: CertificateAction[] = [];
  let bundles = await store.readBundles();
  let state: CertificateState | undefined;
  for (let attempt = 0; state === undefined; attempt += 1) {
    if (attempt >= MAX_CONFLICTS) throw new StagewallError('CERTS', `the certificate Secret kept changing under ${MAX_CONFLICTS} attempts to write it`);
    const stored = await store.read();
    try {
      if (stored.state === undefined || stored.invalid !== undefined) {
        const fresh = await planner.fresh();
        await store.write(fresh, stored.resourceVersion);
        actions.push({ kind: 'created', reason: stored.resourceVersion === undefined ? 'no Secret' : `the Secret is invalid: ${stored.invalid}` });
        state = fresh;
        continue;
      }
      const step = await planner.next(stored.state, bundles);
      if (step.state) await store.write(step.state, stored.resourceVersion);
      actions.push(step.action);
      state = step.state ?? stored.state;
    } catch (err) {
      if (!(err instanceof WriteConflict)) throw err;
      // Another replica wrote first: read again and go on from its state.
    }
  }
  let bundleWritten = false;
  if ([...bundles.values()].some((b) => b !== state.bundle)) {
    try {
      await store.writeBundles(state.bundle);
    } catch (err) {
      // The Secret step stands; the bundle is written again at the next sync.
      return { state, actions, bundleWritten: false, bundleError: (err as Error).message, bundles };
    }
    bundleWritten = true;
    bundles = await store.readBundles();
  }
  return { state, actions, bundleWritten, bundles };
}

/** Reads a state from Secret data (PEM text per key); the reason when it is not a usable one. */
export function stateFromData(data: Readonly<Record<string, string>>, servedSince: string | undefined): { state?: CertificateState; invalid?: string } {
  const get = (key: string) => data[key];
  const missing = Object.values(SECRET_KEYS).filter((k) => !get(k));
  if (missing.length > 0) return { invalid: `missing ${missing.join(', ')}` };
  const since = servedSince ? new Date(servedSince) : new Date(0);
  const state: CertificateState = {
    caCert: get(SECRET_KEYS.caCert) as string,
    caKey: get(SECRET_KEYS.caKey) as string,
    bundle: get(SECRET_KEYS.bundle) as string,
    cert: get(SECRET_KEYS.cert) as string,
    key: get(SECRET_KEYS.key) as string,
    servedSince: Number.isNaN(since.getTime()) ? new Date(0) : since,
  };
  try {
    parseState(state);
  } catch (err) {
    return { invalid: (err as Error).message };
  }
  return { state };
}

export function dataFromState(state: CertificateState): Record<string, string> {
  return {
    [SECRET_KEYS.caCert]: state.caCert,
    [SECRET_KEYS.caKey]: state.caKey,
    [SECRET_KEYS.bundle]: state.bundle,
    [SECRET_KEYS.cert]: state.cert,
    [SECRET_KEYS.key]: state.key,
  };
}
