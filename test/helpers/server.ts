// The real webhook server for tests: certificates from `stagewall certs` in a fresh folder, the
// examples' config and view, logs collected as objects.
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { createLogger } from '../../src/server/log.js';
import { startServer, type RunningServer, type ServeOptions } from '../../src/server/serve.js';
import { staticViewSource, type ViewSource } from '../../src/engine/view-source.js';
import { examplesView } from './view.js';

export interface TestServer {
  readonly server: RunningServer;
  /** The folder of stagewall.yaml, ca.crt, tls.crt and tls.key. */
  readonly dir: string;
  readonly ca: Buffer;
  readonly logs: Record<string, unknown>[];
}

/** Writes ca.crt, tls.crt and tls.key for localhost and 127.0.0.1 into `dir`. */
export async function makeStagewallCerts(dir: string): Promise<void> {
  const quiet = { out: () => undefined, err: () => undefined, readStdin: () => '', color: false };
  const code = await main(['certs', '--out', dir, '--dns', 'localhost', '127.0.0.1'], quiet);
  if (code !== 0) throw new Error(`stagewall certs exited ${code}`);
}

/** A logger whose JSON lines land in `logs`. */
export function collectingLogger(logs: Record<string, unknown>[]) {
  return createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk, _e, done) {
        for (const l of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    }),
  });
}

/** A view source over the examples whose namespace lookups (for namespaces it lacks) take `delayMs`. */
export function slowLookupViewSource(delayMs: number): ViewSource & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    ...staticViewSource(examplesView(), 'examples, slow lookups'),
    lookups,
    ensureNamespace: async (name: string) => {
      lookups.push(name);
      await new Promise((r) => setTimeout(r, delayMs));
    },
  };
}

/** The options of a test server over the certificates and config in `dir`: the examples' view, loopback, fast reloads. */
export function testServeOptions(dir: string, extra: Partial<ServeOptions> & Pick<ServeOptions, 'logger'>): ServeOptions {
  return {
    configPath: join(dir, 'stagewall.yaml'),
    tlsCert: join(dir, 'tls.crt'),
    tlsKey: join(dir, 'tls.key'),
    port: 0,
    metricsPort: 0,
    host: '127.0.0.1',
    viewSource: staticViewSource(examplesView(), 'examples'),
    reloadIntervalMs: 50,
    reloadStableMs: 200,
    ...extra,
  };
}

export async function startTestServer(extra: Partial<ServeOptions> = {}, dir = mkdtempSync(join(tmpdir(), 'stagewall-test-'))): Promise<TestServer> {
  await makeStagewallCerts(dir);
  copyFileSync('examples/stagewall.yaml', join(dir, 'stagewall.yaml'));
  const logs: Record<string, unknown>[] = [];
  const server = await startServer(testServeOptions(dir, { logger: collectingLogger(logs), ...extra }));
  return { server, dir, ca: readFileSync(join(dir, 'ca.crt')), logs };
}
