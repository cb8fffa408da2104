// End-to-end harness: a real etcd and kube-apiserver on loopback (built from their Go modules by
// assets/build.sh, or taken from $KUBEBUILDER_ASSETS), stagewall running against them as a
// separate process, and kubectl as users see it. Nothing here is a mock.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { makeCertificates } from '../../src/certs/make.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const STAGEWALL_USER = 'system:serviceaccount:stagewall-system:stagewall';

function log(message: string): void {
  process.stderr.write(`[e2e ${new Date().toISOString().slice(11, 23)}] ${message}\n`);
}

/** The etcd, kube-apiserver and kubectl binaries; builds them on first use. Fails loudly. */
export function assetDir(): string {
  const result = spawnSync('bash', [join(ROOT, 'test/e2e/assets/build.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 60 * 60 * 1000,
  });
  const dir = result.stdout.trim().split('\n').pop() ?? '';
  if (result.status !== 0 || !dir || !existsSync(join(dir, 'kube-apiserver'))) {
    throw new Error(`the e2e assets could not be built (test/e2e/assets/build.sh exited ${result.status}); see its log above`);
  }
  return dir;
}

/** The helm binary's directory (assets/build-helm.sh, from helm.sh/helm/v3); builds it on first use. Fails loudly. */
export function helmDir(): string {
  const result = spawnSync('bash', [join(ROOT, 'test/e2e/assets/build-helm.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 60 * 60 * 1000,
  });
  const dir = result.stdout.trim().split('\n').pop() ?? '';
  if (result.status !== 0 || !dir || !existsSync(join(dir, 'helm'))) {
    throw new Error(`helm could not be built (test/e2e/assets/build-helm.sh exited ${result.status}); see its log above`);
  }
  return dir;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000, everyMs = 100): Promise<number> {
  const started = Date.now();
  let lastError: unknown;
  while (Date.now() - started < timeoutMs) {
    try {
      if (await check()) return Date.now() - started;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

class Process {
  private child: ChildProcess | undefined;
  exited = false;

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: readonly string[],
    private readonly logFile: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** The process id while it runs (for CPU accounting and pinning in bench/apiserver.ts). */
  get pid(): number | undefined {
    return this.exited ? undefined : this.child?.pid;
  }

  start(): void {
    const out = createWriteStream(this.logFile, { flags: 'a' });
    this.exited = false;
    const child = spawn(this.command, [...this.args], { stdio: ['ignore', 'pipe', 'pipe'], env: this.env });
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    child.once('exit', () => {
      this.exited = true;
    });
    this.child = child;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  async stop(graceMs = 15_000): Promise<number | null> {
    const child = this.child;
    if (!child || this.exited) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }

  tail(lines = 40): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }
}

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class Cluster {
  readonly work = mkdtempSync(join(tmpdir(), 'stagewall-e2e-'));
  readonly assets = assetDir();
  private etcd!: Process;
  private apiserver!: Process;
  server = '';
  private apiPort = 0;
  private readonly adminToken = randomBytes(24).toString('hex');
  private readonly stagewallToken = randomBytes(24).toString('hex');
  /** An authenticated user with no RBAC at all: what a CI account without permissions sees. */
  private readonly nobodyToken = randomBytes(24).toString('hex');

  static async start(): Promise<Cluster> {
    const cluster = new Cluster();
    await cluster.boot();
    return cluster;
  }

  private path(name: string): string {
    return join(this.work, name);
  }

  private async boot(): Promise<void> {
    const certs = await makeCertificates({ service: 'kubernetes', namespace: 'default', dns: ['localhost', '127.0.0.1'] });
    writeFileSync(this.path('ca.crt'), certs.caCert);
    writeFileSync(this.path('apiserver.crt'), certs.cert);
    writeFileSync(this.path('apiserver.key'), certs.key);
    const sa = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    writeFileSync(this.path('sa.pub'), sa.publicKey);
    writeFileSync(this.path('sa.key'), sa.privateKey);
    writeFileSync(
      this.path('tokens.csv'),
      `${this.adminToken},e2e-admin,e2e-admin,"system:masters"\n` +
        `${this.stagewallToken},${STAGEWALL_USER},stagewall-uid,"system:serviceaccounts,system:serviceaccounts:stagewall-system,system:authenticated"\n` +
        `${this.nobodyToken},e2e-nobody,nobody-uid,"system:authenticated"\n`,
    );

    const etcdPort = await freePort();
    const peerPort = await freePort();
    this.etcd = new Process(
      'etcd',
      join(this.assets, 'etcd'),
      [
        '--name=e2e',
        `--data-dir=${this.path('etcd-data')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=e2e=http://127.0.0.1:${peerPort}`,
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      this.path('etcd.log'),
    );
    this.etcd.start();
    await waitUntil('etcd', async () => (await fetch(`http://127.0.0.1:${etcdPort}/health`)).ok, 30_000);

    this.apiPort = await freePort();
    this.server = `https://127.0.0.1:${this.apiPort}`;
    this.apiserver = new Process(
      'kube-apiserver',
      join(this.assets, 'kube-apiserver'),
      [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${this.apiPort}`,
        `--tls-cert-file=${this.path('apiserver.crt')}`,
        `--tls-private-key-file=${this.path('apiserver.key')}`,
        `--client-ca-file=${this.path('ca.crt')}`,
        `--token-auth-file=${this.path('tokens.csv')}`,
        '--authorization-mode=RBAC',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${this.path('sa.pub')}`,
        `--service-account-signing-key-file=${this.path('sa.key')}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--allow-privileged=true',
        '--endpoint-reconciler-type=none',
        // No controller-manager runs, so no "default" ServiceAccount would ever appear.
        '--disable-admission-plugins=ServiceAccount',
      ],
      this.path('kube-apiserver.log'),
    );
    this.writeKubeconfig('admin', this.adminToken);
    this.writeKubeconfig('stagewall', this.stagewallToken);
    this.writeKubeconfig('nobody', this.nobodyToken);
    await this.startApiServer();
  }

  private async startApiServer(): Promise<void> {
    const started = Date.now();
    this.apiserver.start();
    try {
      await waitUntil(
        'kube-apiserver /readyz',
        () => {
          if (this.apiserver.exited) throw new Error(`kube-apiserver exited:\n${this.apiserver.tail()}`);
          return this.kubectl(['get', '--raw', '/readyz']).then((r) => r.code === 0);
        },
        180_000,
        250,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- kube-apiserver log:\n${this.apiserver.tail()}`, { cause: err });
    }
    log(`kube-apiserver ready on ${this.server} in ${Date.now() - started} ms`);
  }

  /** Stops and starts the API server on the same port, as a control-plane upgrade would. */
  async restartApiServer(): Promise<void> {
    await this.apiserver.stop();
    await this.startApiServer();
  }

  private writeKubeconfig(user: string, token: string): void {
    writeFileSync(
      this.kubeconfig(user),
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'e2e', cluster: { server: this.server, 'certificate-authority': this.path('ca.crt') } }],
        users: [{ name: user, user: { token } }],
        contexts: [{ name: 'e2e', context: { cluster: 'e2e', user } }],
        'current-context': 'e2e',
      }),
    );
  }

  kubeconfig(user: 'admin' | 'stagewall' | 'nobody' | string): string {
    return this.path(`kubeconfig-${user}`);
  }

  kubectl(args: readonly string[], options: { input?: string; user?: string } = {}): Promise<KubectlResult> {
    return new Promise((resolveResult) => {
      const child = spawn(join(this.assets, 'kubectl'), [`--kubeconfig=${this.kubeconfig(options.user ?? 'admin')}`, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('close', (code) => resolveResult({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(options.input ?? '');
    });
  }

  /** kubectl that must succeed. */
  async must(args: readonly string[], input?: string): Promise<string> {
    const r = await this.kubectl(args, input === undefined ? {} : { input });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  async stop(): Promise<void> {
    await this.apiserver?.stop();
    await this.etcd?.stop();
    if (!process.env['STAGEWALL_E2E_KEEP']) rmSync(this.work, { recursive: true, force: true });
  }

  /** The process ids of kube-apiserver and etcd while they run. */
  pids(): { apiserver: number | undefined; etcd: number | undefined } {
    return { apiserver: this.apiserver?.pid, etcd: this.etcd?.pid };
  }

  logs(): string {
    return `--- kube-apiserver:\n${this.apiserver.tail()}\n--- etcd:\n${this.etcd.tail()}`;
  }
}

/** stagewall itself, as a separate process running the built CLI (npm run build first). */
export class Stagewall {
  private process!: Process;
  port = 0;
  metricsPort = 0;
  readonly certDir: string;
  readonly configPath: string;

  /**
   * `options.manageCerts`: serve --manage-certs with these extra flags instead of certificate files.
   * `options.logLevel`: debug for the e2e suite (its assertions read the log); the benchmark runs at info, as installed.
   */
  constructor(
    private readonly cluster: Cluster,
    config: string,
    private readonly options: { name?: string; manageCerts?: readonly string[]; logLevel?: string } = {},
  ) {
    this.certDir = join(cluster.work, 'stagewall-certs');
    this.configPath = join(cluster.work, 'stagewall.yaml');
    writeFileSync(this.configPath, config);
  }

  /** Starts the process; waits for /readyz unless `wait` is false (then see ready()). */
  async start(wait = true): Promise<void> {
    const managed = this.options.manageCerts;
    if (!managed && !existsSync(join(this.certDir, 'tls.crt'))) {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin/stagewall.js'), 'certs', '--out', this.certDir, '--dns', 'localhost', '127.0.0.1'], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`stagewall certs failed: ${r.stderr}`);
    }
    this.port ||= await freePort();
    this.metricsPort ||= await freePort();
    this.process = new Process(
      'stagewall',
      process.execPath,
      [
        join(ROOT, 'bin/stagewall.js'),
        'serve',
        `--config=${this.configPath}`,
        ...(managed ? ['--manage-certs', ...managed] : [`--tls-cert=${join(this.certDir, 'tls.crt')}`, `--tls-key=${join(this.certDir, 'tls.key')}`]),
        `--port=${this.port}`,
        `--metrics-port=${this.metricsPort}`,
        '--host=127.0.0.1',
        `--log-level=${this.options.logLevel ?? 'debug'}`,
      ],
      join(this.cluster.work, `${this.options.name ?? 'stagewall'}.log`),
      { ...process.env, KUBECONFIG: this.cluster.kubeconfig('stagewall'), POD_NAMESPACE: 'stagewall-system' },
    );
    this.process.start();
    if (wait) await this.ready();
  }

  /** Waits until /readyz answers 200. */
  async ready(): Promise<void> {
    await waitUntil(
      'stagewall /readyz',
      async () => {
        if (this.process.exited) throw new Error(`stagewall exited:\n${this.process.tail()}`);
        return (await fetch(`http://127.0.0.1:${this.metricsPort}/readyz`)).ok;
      },
      60_000,
    );
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  stop(): Promise<number | null> {
    return this.process.stop();
  }

  async metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`)).text();
  }

  logLines(): Record<string, unknown>[] {
    return this.process
      .log()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  tail(): string {
    return this.process.tail();
  }

  /**
   * The webhook configurations of manifests/webhooks.yaml (or of `source`, for example the chart's
   * rendered webhooks.yaml), pointed at this process by URL.
   */
  webhookConfigurations(withBundle = true, source = readFileSync(join(ROOT, 'manifests/webhooks.yaml'), 'utf8')): string {
    const caBundle = withBundle ? readFileSync(join(this.certDir, 'ca.crt')).toString('base64') : undefined;
    const docs = parseAllDocuments(source);
    const list = (Array.isArray(docs) ? docs : [docs]).map(
      (d) =>
        d.toJS() as { webhooks: { clientConfig: { service?: { path: string }; url?: string; caBundle?: string }; matchConditions?: { name: string }[] }[] },
    );
    for (const config of list) {
      for (const hook of config.webhooks) {
        const path = hook.clientConfig.service?.path ?? '/validate';
        hook.clientConfig = { url: `https://127.0.0.1:${this.port}${path}`, ...(caBundle === undefined ? {} : { caBundle }) };
        // With a bundle written by hand, the starting guard goes with it (as install-certs.sh does).
        if (caBundle !== undefined) hook.matchConditions = hook.matchConditions?.filter((c) => c.name !== 'stagewall-starting');
      }
    }
    return list.map((d) => stringify(d)).join('---\n');
  }
}
