import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifests } from '../../src/manifests/load.js';
import { startStandInApi, type StandInApi } from '../helpers/api-server.js';
import { makeStagewallCerts } from '../helpers/server.js';
import { waitFor } from '../helpers/https.js';
import { run } from './fake-io.js';

const CONFIG = ['-c', 'examples/stagewall.yaml'];
const VIEW = ['--view', 'examples/pipeline/manifests'];

/** A port held by someone else for the test's duration. */
async function occupy(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as { port: number }).port, server };
}

async function freePort(): Promise<number> {
  const { port, server } = await occupy();
  await new Promise((r) => server.close(r));
  return port;
}

/** True when nothing listens on the port any more. */
async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function withEnv<T>(env: Record<string, string | undefined>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const restore = () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  return body().finally(restore);
}

describe('cli: serve says what is wrong', function () {
  this.timeout(60_000);
  let certs: string;
  let api: StandInApi;
  const live = loadManifests(['examples/pipeline/manifests'])
    .map((o) => o.object)
    .filter((o) => o.kind === 'Namespace' || o.kind === 'NetworkPolicy');
  before(async () => {
    certs = mkdtempSync(join(tmpdir(), 'stagewall-serve-errors-'));
    await makeStagewallCerts(certs);
    api = await startStandInApi(live);
  });
  after(() => api.close());

  it('with no kubeconfig and no in-cluster config, exits 2 with "no kubeconfig found" (never http://localhost:8080)', async () => {
    const r = await withEnv({ KUBECONFIG: undefined, KUBERNETES_SERVICE_HOST: undefined, HOME: mkdtempSync(join(tmpdir(), 'stagewall-nohome-')) }, () =>
      run(['serve', ...CONFIG, '--certs', certs, '--port', '0', '--metrics-port', '0']),
    );
    assert.equal(r.code, 2);
    assert.match(
      r.err,
      /^stagewall: error CLUSTER: no kubeconfig found: set \$KUBECONFIG, write ~\/\.kube\/config, run in a pod, or pass --kubeconfig FILE\n$/,
    );
    assert.doesNotMatch(r.err, /localhost:8080/);
  });

  const refused: { name: string; args: () => string[]; message: RegExp }[] = [
    {
      name: 'an unknown --context names the contexts there are',
      args: () => ['--kubeconfig', api.kubeconfig(), '--context', 'prod'],
      message: /error CLUSTER: the kubeconfig has no context "prod" \(it has: standin, other\)/,
    },
    {
      name: 'a --kubeconfig that does not exist is named',
      args: () => ['--kubeconfig', '/nonexistent/kubeconfig'],
      message: /error CLUSTER: cannot load the kubeconfig \/nonexistent\/kubeconfig/,
    },
    {
      name: '--kubeconfig does not go with --view',
      args: () => [...VIEW, '--kubeconfig', api.kubeconfig()],
      message: /error USAGE: --kubeconfig and --context choose the cluster view/,
    },
  ];
  for (const row of refused) {
    it(`exits 2: ${row.name}`, async () => {
      const r = await run(['serve', ...CONFIG, '--certs', certs, '--port', '0', '--metrics-port', '0', ...row.args()]);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, row.message);
    });
  }

  it('--kubeconfig and --context choose the cluster the view reads', async () => {
    const before = api.requests.length;
    const metricsPort = await freePort();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/entry.ts',
        'serve',
        ...CONFIG,
        '--certs',
        certs,
        '--port',
        '0',
        '--metrics-port',
        String(metricsPort),
        '--host',
        '127.0.0.1',
        '--kubeconfig',
        api.kubeconfig(),
        '--context',
        'other',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig' },
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => /"event":"view-synced"/.test(out), 30_000, `the view to sync: ${out}`);
      assert.match(out, new RegExp(`"view":"cluster at ${api.url.replace(/\./g, '\\.')}"`));
      assert.ok(
        api.requests.slice(before).some((r) => r.startsWith('/api/v1/namespaces')),
        'the stand-in was listed',
      );
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  const busy: { flag: '--port' | '--metrics-port'; other: '--port' | '--metrics-port' }[] = [
    { flag: '--port', other: '--metrics-port' },
    { flag: '--metrics-port', other: '--port' },
  ];
  for (const { flag, other } of busy) {
    it(`a busy ${flag} exits 2 naming the flag and the port, and leaves nothing listening`, async () => {
      const held = await occupy();
      const otherPort = await freePort();
      try {
        const r = await run(['serve', ...CONFIG, ...VIEW, '--certs', certs, '--host', '127.0.0.1', flag, String(held.port), other, String(otherPort)]);
        assert.equal(r.code, 2, r.err);
        assert.equal(
          r.err,
          `stagewall: error LISTEN: ${flag} ${held.port}: the port is already in use (127.0.0.1:${held.port}); stop what listens there or choose another port\n`,
        );
        assert.ok(await isFree(otherPort), `${other} ${otherPort} is not left listening`);
      } finally {
        held.server.close();
      }
    });
  }

  it('a busy --metrics-port with the cluster view: the process exits 2 by itself (no half-running server)', async () => {
    const held = await occupy();
    try {
      // Not spawnSync: the stand-in API runs in this process and must answer the view's lists.
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/cli/entry.ts',
          'serve',
          ...CONFIG,
          '--certs',
          certs,
          '--host',
          '127.0.0.1',
          '--port',
          '0',
          '--metrics-port',
          String(held.port),
          '--kubeconfig',
          api.kubeconfig(),
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const r = await new Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
        child.once('exit', (status, signal) => resolve({ status, signal, stdout, stderr })),
      );
      clearTimeout(killer);
      assert.equal(r.signal, null, `the process had to be killed: ${r.stdout}${r.stderr}`);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`error LISTEN: --metrics-port ${held.port}: the port is already in use`));
      assert.doesNotMatch(r.stderr, /internal error/);
    } finally {
      held.server.close();
    }
  });
});

describe('package: npm start', function () {
  this.timeout(60_000);
  it('stopped with SIGTERM, leaves no server behind (npm forwards the signal to node itself)', async () => {
    const metricsPort = await freePort();
    // --ignore-scripts skips prestart's build: `npm test` has built already.
    const npm = spawn('npm', ['start', '--ignore-scripts', '--', '--port', '0', '--metrics-port', String(metricsPort)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    npm.stdout.on('data', (d: Buffer) => (out += d.toString()));
    npm.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => /"event":"started"/.test(out), 30_000, `npm start to serve: ${out}`);
      const served = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
      assert.equal(served.status, 200);
      npm.kill('SIGTERM');
      await new Promise((r) => npm.once('exit', r));
      await waitFor(() => isFree(metricsPort), 10_000, 'the server to stop with npm');
      assert.match(out, /"event":"stopped"/, 'the server shut down gracefully');
    } finally {
      // Whatever is left of the group (nothing, when the test passes).
      try {
        process.kill(-(npm.pid ?? 0), 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
  });
});
