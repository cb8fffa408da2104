// The runtime side of `serve --manage-certs`: syncs the Secret and the webhook bundles every
// interval, hands a changed serving certificate to the server (setSecureContext, no restart), and
// says whether the served certificate is trusted by every webhook's bundle (readiness).
import { X509Certificate } from 'node:crypto';
import { StagewallError } from '../errors.js';
import type { CertificateMetrics, Logger } from '../shared/observability.js';
import { bundleTrusts, syncCertificates, type CertificatePlanner, type CertificateState, type CertificateStore } from './managed.js';

export interface ServedCertificate {
  readonly cert: string;
  readonly key: string;
}

/** What the server needs from a certificate source other than files. */
export interface CertificateSource {
  current(): ServedCertificate;
  /** Called with each new serving certificate. */
  onChange(listener: (next: ServedCertificate) => void): void;
  /** Empty when the served certificate is trusted where it must be. */
  notReadyBecause(): string[];
  stop(): void;
}

export interface CertificateManagerOptions {
  readonly store: CertificateStore;
  readonly planner: CertificatePlanner;
  readonly logger: Logger;
  readonly metrics: CertificateMetrics;
  /** How often the Secret and the webhook configurations are read (default 5 s). */
  readonly intervalMs?: number;
  /** Where the configurations are, for messages. */
  readonly describe: string;
}

export const DEFAULT_CERT_SYNC_INTERVAL_MS = 5000;

export class CertificateManager implements CertificateSource {
  private state: CertificateState | undefined;
  private bundles: ReadonlyMap<string, string> = new Map();
  private readonly listeners: ((next: ServedCertificate) => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: CertificateManagerOptions) {}

  /** The first sync must succeed: without a certificate there is nothing to serve. */
  async start(): Promise<void> {
    try {
      await this.syncOnce();
    } catch (err) {
      throw new StagewallError('CERTS', `--manage-certs: cannot read or write ${this.options.describe}: ${(err as Error).message}`);
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.syncOnce()
        .catch((err: unknown) => {
          this.options.logger.error(
            { event: 'certificate-sync-failed', error: (err as Error).message },
            'certificate sync failed; retrying at the next interval',
          );
        })
        .finally(() => this.schedule());
    }, this.options.intervalMs ?? DEFAULT_CERT_SYNC_INTERVAL_MS);
    this.timer.unref();
  }

  /** One sync now (the loop runs them every interval). */
  async syncOnce(): Promise<void> {
    const { metrics, logger } = this.options;
    let result;
    try {
      result = await syncCertificates(this.options.store, this.options.planner);
    } catch (err) {
      metrics.certificateSyncs.inc({ result: 'failure' });
      throw err;
    }
    metrics.certificateSyncs.inc({ result: 'success' });
    if (result.bundleError !== undefined) {
      metrics.caBundleWrites.inc({ result: 'failure' });
      logger.error(
        { event: 'ca-bundle-write-failed', error: result.bundleError },
        'cannot write the CA bundle into the webhook configurations; retrying at the next interval',
      );
    }
    if (result.bundleWritten) {
      metrics.caBundleWrites.inc({ result: 'success' });
      logger.info({ event: 'ca-bundle-written', cas: countCerts(result.state.bundle) }, 'CA bundle written into the webhook configurations');
    }
    for (const action of result.actions) {
      if (action.kind === 'none') continue;
      if (action.kind === 'waiting') {
        logger.debug({ event: 'certificate-waiting', reason: action.reason }, 'certificate rotation waiting');
        continue;
      }
      if (action.kind === 'ca-added') metrics.certificateRotations.inc({ certificate: 'ca' });
      if (action.kind === 'serving-renewed') metrics.certificateRotations.inc({ certificate: 'serving' });
      logger.info({ event: `certificate-${action.kind}`, ...('reason' in action ? { reason: action.reason } : {}) }, `certificates: ${action.kind}`);
    }
    const previous = this.state;
    this.state = result.state;
    this.bundles = result.bundles;
    metrics.caExpiry.set(Date.parse(new X509Certificate(result.state.caCert).validTo) / 1000);
    if (previous && previous.cert !== result.state.cert) {
      logger.info({ event: 'certificate-adopted', expiresAt: new X509Certificate(result.state.cert).validTo }, 'serving the certificate of the Secret');
      for (const listener of this.listeners) listener({ cert: result.state.cert, key: result.state.key });
    }
  }

  current(): ServedCertificate {
    if (!this.state) throw new Error('the certificate manager has not started');
    return { cert: this.state.cert, key: this.state.key };
  }

  onChange(listener: (next: ServedCertificate) => void): void {
    this.listeners.push(listener);
  }

  notReadyBecause(): string[] {
    if (!this.state) return ['no serving certificate yet'];
    if (this.bundles.size === 0) return [`no webhook found in ${this.options.describe}`];
    const served = new X509Certificate(this.state.cert);
    const untrusting = [...this.bundles].filter(([, bundle]) => !bundleTrusts(bundle, served)).map(([name]) => name);
    return untrusting.length === 0 ? [] : [`the caBundle of ${untrusting.join(', ')} does not trust the served certificate yet`];
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

function countCerts(bundle: string): number {
  return (bundle.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;
}
