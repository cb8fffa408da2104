// A minimal HTTPS JSON client for tests that talk to the real server.
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { join } from 'node:path';

export interface JsonResponse {
  readonly status: number;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export function postJson(port: number, path: string, body: unknown, options: RequestOptions = {}): Promise<JsonResponse> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        agent: false,
        ...options,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface ServeProcess {
  readonly child: import('node:child_process').ChildProcessWithoutNullStreams;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  readonly port: number;
  readonly metricsPort: number;
}

/** Runs `stagewall serve ARGS` (from source) on free ports and waits until it serves. */
/** `serve` on the examples' view with the certificates of `certDir` (as makeStagewallCerts writes them), then `extra`. */
export function examplesServeArgs(certDir: string, extra: readonly string[] = [], config = 'examples/stagewall.yaml'): string[] {
  return ['-c', config, '--view', 'examples/pipeline/manifests', '--tls-cert', join(certDir, 'tls.crt'), '--tls-key', join(certDir, 'tls.key'), ...extra];
}

export async function startServeProcess(args: readonly string[]): Promise<ServeProcess> {
  const { spawn } = await import('node:child_process');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/entry.ts', 'serve', ...args, '--port', '0', '--metrics-port', '0', '--host', '127.0.0.1'],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => /"event":"started"/.test(out), 30_000, 'the server to start');
  return {
    child,
    output: () => out,
    port: Number(/"port":(\d+)/.exec(out)?.[1]),
    metricsPort: Number(/"metricsPort":(\d+)/.exec(out)?.[1]),
  };
}
