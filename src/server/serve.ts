// `stagewall serve`: wires config, view, engine, HTTPS webhook and the ops port together, and
// owns their life cycle (reloads, readiness, graceful shutdown).
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import { parseConfig } from '../config/load.js';
import type { StagewallConfig } from '../config/model.js';
import type { EngineContext, ViewSource } from '../engine/index.js';
import { isStagewallError, StagewallError } from '../errors.js';
import { createWebhookApp } from './app.js';
import { trackConnections } from './connections.js';
import type { Logger } from './log.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createOpsApp } from './ops.js';
import { certificateFrom, clientCaFrom, TLS_SERVER_OPTIONS, type LoadedCertificate } from './tls.js';
import type { CertificateSource } from '../certs/manager.js';
import { DEFAULT_STABLE_MS, readFiles, watchFiles, type FileSnapshot } from './watch.js';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from '../defaults.js';

// The longest wait for requests in flight once the server stops accepting: below the pod's 30 s
// grace period, with the 5 s delay (src/defaults.ts, so that the CLI's help needs no server).
export { DEFAULT_SHUTDOWN_TIMEOUT_MS };
/** How long the ops port may take to close after the webhook has drained. */
export const OPS_CLOSE_TIMEOUT_MS = 1000;
/** While draining, a keep-alive socket with nothing in flight is closed after being quiet this long. */
export const DEFAULT_DRAIN_IDLE_MS = 1000;
/** Headers must arrive within this time (and, by default, the first byte after the handshake, and the handshake itself). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;

export interface ServeOptions {
  /** The config file, watched and reloaded; or a fixed config (embedded default). */
  readonly configPath?: string | undefined;
  readonly config?: StagewallConfig | undefined;
  /** The serving certificate and key files, watched and reloaded; or `certificateSource`. */
  readonly tlsCert?: string | undefined;
  readonly tlsKey?: string | undefined;
  /** Certificates kept elsewhere (serve --manage-certs): served, swapped on change, part of readiness. */
  readonly certificateSource?: CertificateSource | undefined;
  /** A PEM bundle of CAs: when given, every client must present a certificate signed by one of them. */
  readonly clientCa?: string | undefined;
  readonly port: number;
  readonly metricsPort: number;
  readonly host?: string | undefined;
  readonly viewSource: ViewSource;
  readonly ownNamespace?: string | undefined;
  readonly logger: Logger;
  readonly metrics?: Metrics | undefined;
  /** How often config and certificate files are read to look for changes (default 1 s). */
  readonly reloadIntervalMs?: number | undefined;
  /** A changed file applies only once read unchanged this long (default DEFAULT_STABLE_MS, 2 s). */
  readonly reloadStableMs?: number | undefined;
  /** Slow clients are cut off: all headers within this time, the whole request within the other. */
  readonly headersTimeoutMs?: number | undefined;
  readonly requestTimeoutMs?: number | undefined;
  /** A connection that sends no byte this long after its TLS handshake is closed (default: headersTimeoutMs). */
  readonly firstByteTimeoutMs?: number | undefined;
  /** A TLS handshake must complete within this time (default: headersTimeoutMs). */
  readonly handshakeTimeoutMs?: number | undefined;
  /** Longest wait for in-flight requests once the server stops accepting (default DEFAULT_SHUTDOWN_TIMEOUT_MS). */
  readonly shutdownTimeoutMs?: number | undefined;
  /** While draining, a quiet keep-alive socket is closed after this long (default DEFAULT_DRAIN_IDLE_MS). */
  readonly drainIdleMs?: number | undefined;
}

export interface RunningServer {
  readonly port: number;
  readonly metricsPort: number;
  readonly metrics: Metrics;
  readonly webhook: HttpsServer;
  readonly ops: HttpServer;
  /** The config in force. */
  config(): StagewallConfig;
  /**
   * Reports not-ready at once and keeps serving for `delayMs` (so the API server and the Service
   * stop sending here first), every answer with `Connection: close` and quiet keep-alive sockets
   * closed; then stops accepting, answers the requests in flight (at most shutdownTimeoutMs) and
   * stops the view.
   */
  close(delayMs?: number): Promise<void>;
}

/** Listens on `port`; a port that is busy or not allowed is a LISTEN error naming `flag`. */
function listen(server: HttpServer | HttpsServer, port: number, host: string | undefined, flag: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = `${host ?? '*'}:${port}`;
      if (err.code === 'EADDRINUSE')
        reject(new StagewallError('LISTEN', `${flag} ${port}: the port is already in use (${where}); stop what listens there or choose another port`));
      else if (err.code === 'EACCES')
        reject(new StagewallError('LISTEN', `${flag} ${port}: not allowed to listen on ${where} (ports below 1024 need privileges)`));
      else if (err.code === 'EADDRNOTAVAIL') reject(new StagewallError('LISTEN', `${flag} ${port}: --host ${host} is not an address of this machine`));
      else reject(err);
    });
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Closes the plain-HTTP ops port (probes and scrapes only: nothing there is worth a drain). */
function closeOps(server: HttpServer, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, timeoutMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    // Keep-alive connections with no request in flight would hold close() open.
    server.closeIdleConnections();
  });
}

function configFrom(snapshot: FileSnapshot, path: string): StagewallConfig {
  const text = snapshot.contents[0];
  if (text === undefined) throw new StagewallError('CONFIG_READ', `cannot read config ${path}`);
  return parseConfig(text.toString('utf8'), path);
}

interface TlsFiles {
  readonly certificate: LoadedCertificate;
  /** The context options: serving pair, ciphers and, with a client CA, the CAs to verify clients by. */
  readonly context: SecureContextOptions;
}

/** The watched files: the serving pair (unless a certificate source serves it), then the client CA. */
function tlsPathsOf(options: ServeOptions): string[] {
  const pair = options.certificateSource ? [] : [options.tlsCert ?? '', options.tlsKey ?? ''];
  return [...pair, ...(options.clientCa === undefined ? [] : [options.clientCa])];
}

function tlsFrom(snapshot: FileSnapshot, options: ServeOptions): TlsFiles {
  const source = options.certificateSource;
  const served = source?.current();
  const [cert, key, clientCa] = source ? [served && Buffer.from(served.cert), served && Buffer.from(served.key), snapshot.contents[0]] : snapshot.contents;
  const certificate = certificateFrom(
    cert,
    key,
    source ? 'the managed certificate' : (options.tlsCert ?? ''),
    source ? 'the managed key' : (options.tlsKey ?? ''),
  );
  const ca = options.clientCa === undefined ? {} : clientCaFrom(clientCa, options.clientCa);
  return { certificate, context: { ...TLS_SERVER_OPTIONS, ...certificate.options, ...ca } };
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const { logger, viewSource } = options;
  const metrics = options.metrics ?? createMetrics();
  const watching = { intervalMs: options.reloadIntervalMs ?? 1000, stableMs: options.reloadStableMs ?? DEFAULT_STABLE_MS };
  const stops: (() => void)[] = [];

  // Certificates first: a start that fails on them leaves no watcher behind.
  if (!options.certificateSource && (options.tlsCert === undefined || options.tlsKey === undefined))
    throw new Error('startServer needs tlsCert and tlsKey, or a certificateSource');
  const tlsPaths = tlsPathsOf(options);
  let tlsFiles = readFiles(tlsPaths);
  const tls = tlsFrom(tlsFiles, options);
  let certificate = tls.certificate;
  metrics.certificateExpiry.set(certificate.expiresAt.getTime() / 1000);

  let config: StagewallConfig;
  const configPath = options.config ? undefined : options.configPath;
  let configFiles: FileSnapshot | undefined;
  if (options.config) {
    config = options.config;
  } else if (configPath) {
    configFiles = readFiles([configPath]);
    config = configFrom(configFiles, configPath);
  } else {
    throw new Error('startServer needs configPath or config');
  }
  metrics.configReloads.inc({ result: 'success' });
  metrics.configLastReloadSuccess.set(1);

  let ctx: EngineContext = { config, view: viewSource.view, ownNamespace: options.ownNamespace };
  if (configPath) {
    stops.push(
      watchFiles([configPath], { ...watching, initial: configFiles }, (snapshot) => {
        try {
          const next = configFrom(snapshot, configPath);
          ctx = { ...ctx, config: next };
          viewSource.configChanged?.();
          metrics.configReloads.inc({ result: 'success' });
          metrics.configLastReloadSuccess.set(1);
          logger.info({ event: 'config-reload', path: configPath, pipelines: next.pipelines.size }, 'config reloaded');
        } catch (err) {
          metrics.configReloads.inc({ result: 'failure' });
          metrics.configLastReloadSuccess.set(0);
          const detail = isStagewallError(err) ? err.describe() : (err as Error).message;
          logger.error({ event: 'config-reload-failed', path: configPath, error: detail }, 'config reload failed; the last good config stays in force');
        }
      }),
    );
  }

  const app = createWebhookApp({
    context: () => ctx,
    metrics,
    logger,
    ...(viewSource.ensureNamespace ? { ensureNamespace: viewSource.ensureNamespace.bind(viewSource) } : {}),
  });
  // Slow or stalled clients are cut off; the API server's own webhook timeout is at most 30 s.
  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const requestTimeout = Math.max(options.requestTimeoutMs ?? 30_000, headersTimeout);
  const webhook = createHttpsServer({
    ...tls.context,
    // With a client CA, a client without a certificate signed by it fails the handshake.
    ...(options.clientCa === undefined ? {} : { requestCert: true, rejectUnauthorized: true }),
    handshakeTimeout: options.handshakeTimeoutMs ?? headersTimeout,
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: 65_000,
    // How often Node checks those timeouts (default 30 s, far coarser than they are).
    connectionsCheckingInterval: Math.min(1000, headersTimeout),
  });
  const connections = trackConnections(webhook, {
    firstByteTimeoutMs: options.firstByteTimeoutMs ?? headersTimeout,
    drainIdleMs: options.drainIdleMs ?? DEFAULT_DRAIN_IDLE_MS,
    onConnection: () => metrics.connectionsAccepted.inc(),
  });
  webhook.on('request', connections.listener(app));

  const reloadTls = (snapshot: FileSnapshot) => {
    try {
      tlsFiles = snapshot;
      const next = tlsFrom(snapshot, options);
      // setSecureContext throws on a key that does not match: only then is `next` in force.
      webhook.setSecureContext(next.context);
      certificate = next.certificate;
      metrics.certificateExpiry.set(certificate.expiresAt.getTime() / 1000);
      metrics.certificateReloads.inc({ result: 'success' });
      logger.info({ event: 'certificate-reload', expiresAt: certificate.expiresAt.toISOString() }, 'serving certificate reloaded');
    } catch (err) {
      metrics.certificateReloads.inc({ result: 'failure' });
      logger.error({ event: 'certificate-reload-failed', error: (err as Error).message }, 'certificate reload failed; the previous one stays in use');
    }
  };
  if (tlsPaths.length > 0) stops.push(watchFiles(tlsPaths, { ...watching, initial: tlsFiles }, reloadTls));
  // A managed certificate arrives from the source; the client CA file (if any) is still watched.
  options.certificateSource?.onChange(() => reloadTls(tlsFiles));
  if (options.certificateSource) stops.push(() => options.certificateSource?.stop());

  const refreshViewMetrics = () => {
    metrics.viewSynced.set(viewSource.synced() ? 1 : 0);
    metrics.viewObjects.set({ kind: 'Namespace' }, viewSource.view.namespaceCount);
    metrics.viewObjects.set({ kind: 'NetworkPolicy' }, viewSource.view.policyCount);
  };
  const ops = createHttpServer(
    createOpsApp(
      metrics,
      {
        notReadyBecause: () => {
          refreshViewMetrics();
          const reasons: string[] = [];
          if (shuttingDown) reasons.push('shutting down');
          if (!viewSource.synced()) reasons.push(`view not synced (${viewSource.description})`);
          if (certificate.expiresAt.getTime() < Date.now()) reasons.push('serving certificate expired');
          if (options.certificateSource) reasons.push(...options.certificateSource.notReadyBecause());
          return reasons;
        },
      },
      refreshViewMetrics,
    ),
  );

  let port: number;
  let metricsPort: number;
  try {
    await viewSource.start(() => ctx.config);
    port = await listen(webhook, options.port, options.host, '--port');
    metricsPort = await listen(ops, options.metricsPort, options.host, '--metrics-port');
  } catch (err) {
    // Nothing half-running: watchers, both servers and the view (its watches hold the process) stop.
    for (const stop of stops) stop();
    webhook.close();
    ops.close();
    await viewSource.stop();
    throw err;
  }
  refreshViewMetrics();
  logger.info(
    {
      event: 'started',
      port,
      metricsPort,
      view: viewSource.description,
      pipelines: config.pipelines.size,
      certificateExpiresAt: certificate.expiresAt.toISOString(),
      clientAuth: options.clientCa !== undefined,
    },
    'stagewall webhook serving',
  );

  let closing: Promise<void> | undefined;
  let shuttingDown = false;
  return {
    port,
    metricsPort,
    metrics,
    webhook,
    ops,
    config: () => ctx.config,
    close(delayMs = 0) {
      closing ??= (async () => {
        shuttingDown = true;
        connections.startDraining();
        logger.info({ event: 'draining', delayMs, connections: connections.size }, 'not ready; answering with Connection: close until the delay is over');
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        for (const stop of stops) stop();
        const timeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
        const { forced } = await connections.drain(timeoutMs);
        if (forced > 0)
          logger.warn({ event: 'drain-timeout', connections: forced, timeoutMs }, 'requests still in flight after the shutdown timeout were cut off');
        await Promise.all([closeOps(ops, OPS_CLOSE_TIMEOUT_MS), viewSource.stop()]);
        logger.info({ event: 'stopped' }, 'stagewall webhook stopped');
      })();
      return closing;
    },
  };
}
