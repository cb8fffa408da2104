// `stagewall serve` and `stagewall certs`: the CLI side of the webhook.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../config/load.js';
import { writeCertificates } from '../certs/make.js';
import { loadManifests } from '../manifests/load.js';
import { buildStaticView } from '../manifests/view.js';
import { createLogger, type Logger } from '../server/log.js';
import { createMetrics, type Metrics } from '../server/metrics.js';
import { startServer, type RunningServer } from '../server/serve.js';
import { staticViewSource, type ViewSource } from '../engine/index.js';
import { StagewallError } from '../errors.js';
import type { CliIo } from './io.js';

/** The package root, from src/cli or dist/cli alike. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const EMBEDDED = {
  config: join(PACKAGE_ROOT, 'examples', 'stagewall.yaml'),
  view: join(PACKAGE_ROOT, 'examples', 'pipeline', 'manifests'),
  certs: join(PACKAGE_ROOT, 'certs'),
} as const;

export interface ServeCommandOptions {
  config: string;
  tlsCert?: string;
  tlsKey?: string;
  clientCa?: string;
  port: string;
  metricsPort: string;
  host?: string;
  view?: string;
  embedded: boolean;
  /** Where --embedded keeps the certificates it makes. */
  certs?: string;
  namespace: string;
  /** The cluster view's kubeconfig and context (default $KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeconfig?: string;
  context?: string;
  /** serve --manage-certs: certificates kept in a Secret, the CA bundle in the webhook configurations. */
  manageCerts?: boolean;
  tlsSecret?: string;
  webhookConfig?: string;
  service?: string;
  certDns?: string[];
  certValidity?: string;
  logLevel?: string;
  shutdownDelay: string;
  shutdownTimeout: string;
}

function parsePort(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new StagewallError('USAGE', `${flag} must be a port number (0-65535), not "${value}"`);
  return n;
}

function parseMs(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new StagewallError('USAGE', `${flag} must be milliseconds, not "${value}"`);
  return n;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, y: 365 * 86_400_000 };

/** A duration such as 90s, 2m, 720h, 30d or 1y. */
export function parseDuration(value: string, flag: string): number {
  const match = /^(\d+)(ms|s|m|h|d|y)$/.exec(value.trim());
  const ms = match ? Number(match[1]) * (DURATION_UNITS[match[2] as string] as number) : NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new StagewallError('USAGE', `${flag} must be a duration such as 90s, 2m, 720h, 30d or 1y, not "${value}"`);
  return ms;
}

/** The shortest --cert-validity: rotation needs a few sync intervals inside a third of it. */
export const MIN_CERT_VALIDITY_MS = 60_000;

/** The certificate Secret and the webhook bundles, kept by this replica (and its peers). */
async function managedCertificates(opts: ServeCommandOptions, logger: Logger, metrics: Metrics) {
  const validityMs = parseDuration(opts.certValidity ?? '1y', '--cert-validity');
  if (validityMs < MIN_CERT_VALIDITY_MS) throw new StagewallError('USAGE', `--cert-validity must be at least 1m, not "${opts.certValidity}"`);
  const [{ loadKubeConfigChoice }, { KubeCertificateStore }, { CertificatePlanner }, { CertificateManager, DEFAULT_CERT_SYNC_INTERVAL_MS }] = await Promise.all(
    [import('../cluster/snapshot.js'), import('../cluster/cert-store.js'), import('../certs/managed.js'), import('../certs/manager.js')],
  );
  const kc = loadKubeConfigChoice({ kubeconfig: opts.kubeconfig, context: opts.context });
  const secret = opts.tlsSecret ?? 'stagewall-tls';
  const webhookConfig = opts.webhookConfig ?? 'stagewall';
  // Short validities (tests, demos) sync more often, so a third of the lifetime spans many syncs.
  const intervalMs = Math.min(DEFAULT_CERT_SYNC_INTERVAL_MS, Math.floor(validityMs / 24));
  const manager = new CertificateManager({
    store: new KubeCertificateStore(kc, { namespace: opts.namespace, secret, webhookConfig }),
    planner: new CertificatePlanner({
      service: opts.service ?? 'stagewall',
      namespace: opts.namespace,
      dns: opts.certDns ?? [],
      validityMs,
      // Every replica re-reads the Secret each interval: after three, all serve the new certificate.
      graceMs: 3 * intervalMs,
      now: () => new Date(),
    }),
    logger,
    metrics,
    intervalMs,
    describe: `Secret ${opts.namespace}/${secret} and the webhook configurations ${webhookConfig}`,
  });
  await manager.start();
  return manager;
}

function manifestViewSource(path: string): ViewSource {
  return staticViewSource(buildStaticView(loadManifests([path], { ignoreUnknown: true })), `manifests under ${path}`);
}

/** The cluster view lives in src/cluster; loaded lazily so `check` never pulls in the client. */
async function clusterViewSource(logger: Logger, metrics: Metrics, opts: ServeCommandOptions): Promise<ViewSource> {
  const [{ createClusterViewSource }, { loadKubeConfigChoice }] = await Promise.all([import('../cluster/source.js'), import('../cluster/snapshot.js')]);
  // No kubeconfig and no in-cluster config is an error, never client-node's http://localhost:8080.
  const kubeConfig = loadKubeConfigChoice({ kubeconfig: opts.kubeconfig, context: opts.context });
  return createClusterViewSource({ logger, metrics, ownNamespace: opts.namespace, kubeConfig });
}

export async function runServe(opts: ServeCommandOptions, io: CliIo): Promise<RunningServer> {
  const logger = createLogger({ level: opts.logLevel });
  if (opts.manageCerts && (opts.tlsCert !== undefined || opts.tlsKey !== undefined || opts.certs !== undefined || opts.embedded)) {
    throw new StagewallError('USAGE', '--manage-certs keeps the certificates in a Secret; it does not go with --tls-cert, --tls-key, --certs or --embedded');
  }
  const configPath = opts.embedded ? EMBEDDED.config : opts.config;
  const certDir = opts.certs ?? (opts.embedded ? EMBEDDED.certs : 'certs');
  const tlsCert = opts.tlsCert ?? join(certDir, 'tls.crt');
  const tlsKey = opts.tlsKey ?? join(certDir, 'tls.key');
  if (opts.embedded && (!existsSync(tlsCert) || !existsSync(tlsKey))) {
    await writeCertificates(certDir, { service: 'stagewall', namespace: opts.namespace, dns: ['localhost', '127.0.0.1', '::1'] });
    io.err(`made a CA and a serving certificate in ${certDir}`);
  }
  loadConfigFile(configPath); // fail fast, with every error, before anything listens
  const shutdownDelay = parseMs(opts.shutdownDelay, '--shutdown-delay');
  const shutdownTimeout = parseMs(opts.shutdownTimeout, '--shutdown-timeout');
  const viewPath = opts.embedded ? EMBEDDED.view : opts.view;
  const metrics = createMetrics();
  if (viewPath && !opts.manageCerts && (opts.kubeconfig !== undefined || opts.context !== undefined)) {
    throw new StagewallError('USAGE', '--kubeconfig and --context choose the cluster view; they do not go with --view or --embedded');
  }
  const port = parsePort(opts.port, '--port');
  const metricsPort = parsePort(opts.metricsPort, '--metrics-port');
  const certificateSource = opts.manageCerts ? await managedCertificates(opts, logger, metrics) : undefined;
  let viewSource: ViewSource;
  try {
    viewSource = viewPath ? manifestViewSource(viewPath) : await clusterViewSource(logger, metrics, opts);
  } catch (err) {
    certificateSource?.stop();
    throw err;
  }

  const server = await startServer({
    configPath,
    ...(certificateSource ? { certificateSource } : { tlsCert, tlsKey }),
    clientCa: opts.clientCa,
    port,
    metricsPort,
    host: opts.host,
    viewSource,
    ownNamespace: opts.namespace,
    logger,
    metrics,
    shutdownTimeoutMs: shutdownTimeout,
  });

  if (opts.embedded) {
    const ca = join(certDir, 'ca.crt');
    const sample = join(PACKAGE_ROOT, 'examples', 'admission', 'pod-without-stage.json');
    io.err(
      [
        '',
        `stagewall is serving the embedded example on https://localhost:${server.port} (metrics: http://localhost:${server.metricsPort}/metrics)`,
        'Try it:',
        `  curl --cacert ${ca} -H 'Content-Type: application/json' --data @${sample} https://localhost:${server.port}/validate`,
        '',
      ].join('\n'),
    );
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'signal', signal, delayMs: shutdownDelay, timeoutMs: shutdownTimeout }, 'shutting down: not ready now, finishing requests in flight');
    // close() is bounded by the delay and the timeout; this only catches a view that never stops.
    setTimeout(
      () => {
        logger.error({ event: 'shutdown-stuck' }, 'shutdown did not finish in time; exiting');
        process.exit(1);
      },
      shutdownDelay + shutdownTimeout + 3000,
    ).unref();
    server.close(shutdownDelay).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ event: 'error', err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return server;
}

export interface CertsCommandOptions {
  out: string;
  service: string;
  namespace: string;
  dns: string[];
  days: string;
}

export async function runCerts(opts: CertsCommandOptions, io: CliIo): Promise<void> {
  const days = Number(opts.days);
  if (!Number.isInteger(days) || days < 1) throw new StagewallError('USAGE', `--days must be a whole number of days, not "${opts.days}"`);
  const made = await writeCertificates(opts.out, { service: opts.service, namespace: opts.namespace, dns: opts.dns, days });
  io.out(`wrote ${made.files.join(', ')}\nserving certificate names: ${made.names.join(', ')}`);
}
