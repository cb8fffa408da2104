// The shape of bench/apiserver.json and the table printed from it: one source for both, so that
// the file, the console and the README say the same thing. Pure functions, tested in
// test/bench/apiserver-results.test.ts.

export const SCENARIOS = ['none', 'vap', 'stagewall', 'kyverno', 'kyverno-coverage'] as const;
export type Scenario = (typeof SCENARIOS)[number];
export const MODES = ['create', 'dryrun'] as const;
export type Mode = (typeof MODES)[number];

/** What one round of load against one scenario measured. */
export interface Round {
  readonly scenario: Scenario;
  readonly mode: Mode;
  readonly concurrency: number;
  readonly seconds: number;
  /** Latency of every answered request, ms. */
  readonly latencies_ms: readonly number[];
  readonly wrong: number;
  readonly errors: number;
  /** CPU seconds the webhook process used during the round; null when there is no webhook. */
  readonly webhook_cpu_s: number | null;
}

export interface Result {
  scenario: Scenario;
  mode: Mode;
  concurrency: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  wrong: number;
  errors: number;
  webhook_cpu_s_per_1k: number | null;
}

export interface BenchFile {
  settings: Record<string, unknown>;
  results: Result[];
  skipped: Partial<Record<Scenario, string>>;
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * One result per scenario, mode and concurrency, over all its rounds: throughput is answered
 * requests over the rounds' total time, the percentiles are over every request of every round,
 * and the webhook's CPU is over all its rounds' requests. Ordered as SCENARIOS and MODES.
 */
export function summarise(rounds: readonly Round[]): Result[] {
  const cells = new Map<string, Round[]>();
  for (const r of rounds) {
    const key = `${r.scenario}\u0000${r.mode}\u0000${r.concurrency}`;
    cells.set(key, [...(cells.get(key) ?? []), r]);
  }
  const results: Result[] = [];
  for (const cell of cells.values()) {
    const first = cell[0] as Round;
    const latencies = cell.flatMap((r) => r.latencies_ms).sort((a, b) => a - b);
    const seconds = cell.reduce((n, r) => n + r.seconds, 0);
    const cpu = cell.every((r) => r.webhook_cpu_s !== null) ? cell.reduce((n, r) => n + (r.webhook_cpu_s as number), 0) : null;
    results.push({
      scenario: first.scenario,
      mode: first.mode,
      concurrency: first.concurrency,
      rps: round2(latencies.length / seconds),
      p50_ms: round2(percentile(latencies, 50)),
      p99_ms: round2(percentile(latencies, 99)),
      wrong: cell.reduce((n, r) => n + r.wrong, 0),
      errors: cell.reduce((n, r) => n + r.errors, 0),
      webhook_cpu_s_per_1k: cpu === null || latencies.length === 0 ? null : Number(((cpu / latencies.length) * 1000).toFixed(3)),
    });
  }
  const order = (r: Result) => [MODES.indexOf(r.mode), r.concurrency, SCENARIOS.indexOf(r.scenario)];
  return results.sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
  });
}

export interface Ratios {
  readonly rps_vs_none: number | null;
  readonly p99_vs_none: number | null;
  readonly rps_vs_vap: number | null;
  readonly p99_vs_vap: number | null;
}

/** A result's throughput and p99 as ratios to `none` and `vap` of the same mode and concurrency. */
export function ratios(result: Result, all: readonly Result[]): Ratios {
  const peer = (scenario: Scenario) => all.find((r) => r.scenario === scenario && r.mode === result.mode && r.concurrency === result.concurrency);
  const ratio = (a: number, b: number | undefined) => (b === undefined || b === 0 ? null : Number((a / b).toFixed(2)));
  const none = peer('none');
  const vap = peer('vap');
  return {
    rps_vs_none: ratio(result.rps, none?.rps),
    p99_vs_none: ratio(result.p99_ms, none?.p99_ms),
    rps_vs_vap: ratio(result.rps, vap?.rps),
    p99_vs_vap: ratio(result.p99_ms, vap?.p99_ms),
  };
}

/** The Markdown table of the README and the console. */
export function table(results: readonly Result[]): string {
  const x = (v: number | null) => (v === null ? '–' : `${v.toFixed(2)}×`);
  const lines = [
    '| mode | clients | scenario | req/s | p50 ms | p99 ms | req/s vs none | p99 vs none | req/s vs vap | p99 vs vap | webhook CPU s / 1k | wrong | errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const q = ratios(r, results);
    lines.push(
      `| ${r.mode} | ${r.concurrency} | ${r.scenario} | ${r.rps.toFixed(0)} | ${r.p50_ms.toFixed(1)} | ${r.p99_ms.toFixed(1)} | ${x(q.rps_vs_none)} | ${x(q.p99_vs_none)} | ${x(q.rps_vs_vap)} | ${x(q.p99_vs_vap)} | ${r.webhook_cpu_s_per_1k === null ? '–' : r.webhook_cpu_s_per_1k.toFixed(2)} | ${r.wrong} | ${r.errors} |`,
    );
  }
  return lines.join('\n');
}

/**
 * Admission's answers: 403 (a webhook's default) or 422 (a ValidatingAdmissionPolicy), or
 * whatever code a webhook put in its response's status, which the API server passes on: Kyverno
 * denies with 400. A 400 counts as a refusal only with the API server's "denied the request" text,
 * so that a malformed request still counts as an error.
 */
export function refusal(status: number, text: string): boolean {
  if (status === 403 || status === 422) return true;
  return status === 400 && /admission webhook \\?"[^"\\]+\\?" denied the request/.test(text);
}
