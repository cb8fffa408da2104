// Each command loads only what it uses (issue 12): the cluster client only for --cluster and
// serve, the server stack only for serve and certs. This guards the import graph, not the time
// (bench/cli-start.ts times it): it runs the built CLI with a preload that records every module
// loaded, then looks for the heavy packages by path.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HOOK = new URL('../support/record-imports.mjs', import.meta.url).href;
const CLUSTER_CLIENT = ['node_modules/@kubernetes/client-node/', 'dist/cluster/'];
const SERVER_STACK = [
  'node_modules/express/',
  'node_modules/pino/',
  'node_modules/pino-http/',
  'node_modules/prom-client/',
  'node_modules/selfsigned/',
  'node_modules/@peculiar/x509/',
  'dist/server/',
  'dist/certs/',
];
const CHECK = ['check', '-c', 'examples/stagewall.yaml', 'examples/pipeline/manifests'];

function modulesLoaded(args: string[], env: Record<string, string> = {}): { modules: string[]; status: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'stagewall-imports-'));
  const log = join(dir, 'modules.log');
  try {
    const r = spawnSync(process.execPath, ['--import', HOOK, 'bin/stagewall.js', ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...env, STAGEWALL_IMPORT_LOG: log },
    });
    return {
      modules: readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((m) => m.replace(/\\/g, '/')),
      status: r.status,
      stderr: r.stderr,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const loads = (modules: string[], part: string) => modules.some((m) => m.includes(part));

describe('cli: each command loads only what it uses', function () {
  this.timeout(60_000);
  const rows: { name: string; args: string[]; status: number; mustLoad: string[]; mustNotLoad: string[] }[] = [
    {
      name: '--version loads neither the engine nor YAML',
      args: ['--version'],
      status: 0,
      mustLoad: ['node_modules/commander/'],
      mustNotLoad: [...CLUSTER_CLIENT, ...SERVER_STACK, 'dist/engine/', 'node_modules/js-yaml/', 'node_modules/ajv/dist/ajv.js'],
    },
    {
      name: 'version likewise',
      args: ['version'],
      status: 0,
      mustLoad: ['node_modules/commander/'],
      mustNotLoad: [...CLUSTER_CLIENT, ...SERVER_STACK, 'dist/engine/', 'node_modules/js-yaml/'],
    },
    {
      name: 'rules loads the catalog, not the cluster client or the server',
      args: ['rules'],
      status: 0,
      mustLoad: ['dist/engine/rules/index.js'],
      mustNotLoad: [...CLUSTER_CLIENT, ...SERVER_STACK],
    },
    // ajv's compiler is not loaded either: the config validator is compiled ahead of time.
    {
      name: "check loads the engine and the loaders, not the cluster client, the server or ajv's compiler",
      args: CHECK,
      status: 0,
      mustLoad: ['dist/engine/evaluate.js', 'node_modules/js-yaml/', 'dist/config/validate.generated.js'],
      mustNotLoad: [...CLUSTER_CLIENT, ...SERVER_STACK, 'node_modules/ajv/dist/ajv.js', 'node_modules/ajv/dist/compile/'],
    },
    {
      name: 'check -o sarif and -o junit likewise',
      args: [...CHECK, '-o', 'sarif'],
      status: 0,
      mustLoad: ['dist/cli/report/sarif.js'],
      mustNotLoad: [...CLUSTER_CLIENT, ...SERVER_STACK],
    },
    {
      name: 'graph likewise',
      args: ['graph', '-c', 'examples/stagewall.yaml', 'examples/pipeline/manifests'],
      status: 0,
      mustLoad: ['dist/engine/flow.js'],
      mustNotLoad: [...CLUSTER_CLIENT, ...SERVER_STACK],
    },
    {
      name: 'generate likewise',
      args: ['generate', '-c', 'examples/stagewall.yaml'],
      status: 0,
      mustLoad: ['dist/engine/generate.js'],
      mustNotLoad: [...CLUSTER_CLIENT, ...SERVER_STACK],
    },
    // The positive rows: the recorder does see the heavy modules when a command needs them.
    {
      name: 'check --cluster loads the cluster client (and fails here: no kubeconfig)',
      args: [...CHECK, '--kubeconfig', '/nonexistent/kubeconfig'],
      status: 2,
      mustLoad: ['node_modules/@kubernetes/client-node/', 'dist/cluster/snapshot.js'],
      mustNotLoad: SERVER_STACK,
    },
    {
      name: 'certs loads the certificate code',
      args: ['certs', '--out', join(tmpdir(), `stagewall-imports-certs-${process.pid}`)],
      status: 0,
      mustLoad: ['dist/certs/make.js', 'node_modules/selfsigned/'],
      mustNotLoad: CLUSTER_CLIENT,
    },
  ];
  after(() => rmSync(join(tmpdir(), `stagewall-imports-certs-${process.pid}`), { recursive: true, force: true }));
  for (const row of rows) {
    it(row.name, () => {
      const { modules, status, stderr } = modulesLoaded(row.args);
      assert.equal(status, row.status, stderr);
      for (const part of row.mustLoad) assert.ok(loads(modules, part), `${row.args.join(' ')} should load ${part}`);
      for (const part of row.mustNotLoad) {
        assert.ok(
          !loads(modules, part),
          `${row.args.join(' ')} loads ${part}: ${modules
            .filter((m) => m.includes(part))
            .slice(0, 3)
            .join(', ')}`,
        );
      }
    });
  }
});
