// One benchmark server in its own process, run from the built dist/ exactly as in production
// (no TypeScript loader), so neither the load generator nor a loader shares its CPU or memory:
//   node bench/server.mjs stagewall CERT_DIR CONFIG MANIFESTS
//   node bench/server.mjs baseline CERT_DIR
// It reports {port, rss_mb} over IPC once listening, and its RSS, CPU time or a CPU profile when
// asked (see `handlers`).
import { readFileSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfigFile } from '../dist/config/load.js';
import { loadManifests } from '../dist/manifests/load.js';
import { buildStaticView } from '../dist/manifests/view.js';
import { createMetrics } from '../dist/server/metrics.js';
import { startServer } from '../dist/server/serve.js';
import { TLS_SERVER_OPTIONS } from '../dist/server/tls.js';
import { staticViewSource } from '../dist/engine/view-source.js';

const [kind, certDir, configFile, manifests] = process.argv.slice(2);
const cert = join(certDir, 'tls.crt');
const key = join(certDir, 'tls.key');
const rss = () => Math.round(process.memoryUsage().rss / 1024 / 1024);

async function startStagewall() {
  const view = buildStaticView(loadManifests([manifests]));
  const server = await startServer({
    config: loadConfigFile(configFile),
    tlsCert: cert,
    tlsKey: key,
    port: 0,
    metricsPort: 0,
    host: '127.0.0.1',
    viewSource: staticViewSource(view, 'benchmark view'),
    logger: pino({ level: 'info' }, pino.destination('/dev/null')),
    metrics: createMetrics(),
  });
  return server.port;
}

/** The physical limit of this stack: parse the same JSON, answer allowed, same TLS settings. */
function startBaseline() {
  const server = createServer({ ...TLS_SERVER_OPTIONS, cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const body = JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

const port = kind === 'stagewall' ? await startStagewall() : await startBaseline();
process.send?.({ port, rss_mb: rss() });

// Requests from bench/run.ts, each answered with a message of the same type.
let session;
const handlers = {
  rss: () => ({ rss_mb: rss() }),
  /** CPU time of the whole process (all threads), µs: per request, what a server spends. */
  cpu: () => ({ cpu_us: process.cpuUsage() }),
  'profile-start': async () => {
    session = new inspector.Session();
    session.connect();
    await post('Profiler.enable');
    await post('Profiler.start');
    return {};
  },
  'profile-stop': async (m) => {
    const { profile } = await post('Profiler.stop');
    writeFileSync(m.file, JSON.stringify(profile));
    session.disconnect();
    return { file: m.file };
  },
};
const post = (method) => new Promise((resolve, reject) => session.post(method, (err, result) => (err ? reject(err) : resolve(result))));
process.on('message', async (m) => {
  const handler = handlers[m?.type];
  if (handler) process.send?.({ type: m.type, ...(await handler(m)) });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
