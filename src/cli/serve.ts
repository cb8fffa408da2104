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
import { staticViewSource, type ViewSource } from '../server/view-source.js';
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
  if (viewPath && (opts.kubeconfig !== undefined || opts.context !== undefined)) {
    throw new StagewallError('USAGE', '--kubeconfig and --context choose the cluster view; they do not go with --view or --embedded');
  }
  const port = parsePort(opts.port, '--port');
  const metricsPort = parsePort(opts.metricsPort, '--metrics-port');
  const viewSource = viewPath ? manifestViewSource(viewPath) : await clusterViewSource(logger, metrics, opts);

  const server = await startServer({
    configPath,
    tlsCert,
    tlsKey,
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
    setTimeout(() => {
      logger.error({ event: 'shutdown-stuck' }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, shutdownDelay + shutdownTimeout + 3000).unref();
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
