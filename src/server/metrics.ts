// Prometheus metrics (prom-client), one registry per server so tests stay isolated.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  readonly requests: Counter<'endpoint' | 'kind' | 'operation' | 'decision' | 'mode'>;
  readonly latency: Histogram<'endpoint'>;
  readonly violations: Counter<'rule' | 'severity'>;
  readonly badRequests: Counter<'endpoint' | 'reason'>;
  readonly configReloads: Counter<'result'>;
  readonly configLastReloadSuccess: Gauge;
  readonly certificateExpiry: Gauge;
  readonly certificateReloads: Counter<'result'>;
  readonly viewSynced: Gauge;
  readonly viewObjects: Gauge<'kind'>;
  readonly policiesApplied: Counter<'policy'>;
  readonly policyApplyFailures: Counter<'policy'>;
  readonly namespaceToPolicySeconds: Histogram;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'stagewall_' });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'stagewall_admission_requests_total',
      help: 'Admission requests by endpoint, object kind, operation, decision (allow|warn|deny|patch|error|ignored) and mode.',
      labelNames: ['endpoint', 'kind', 'operation', 'decision', 'mode'],
      registers,
    }),
    latency: new Histogram({
      name: 'stagewall_admission_duration_seconds',
      help: 'Time to answer an admission request, from body parsed to response written.',
      labelNames: ['endpoint'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    violations: new Counter({
      name: 'stagewall_violations_total',
      help: 'Violations found by rule and reported severity.',
      labelNames: ['rule', 'severity'],
      registers,
    }),
    badRequests: new Counter({
      name: 'stagewall_bad_requests_total',
      help: 'Requests refused before the engine ran, by reason.',
      labelNames: ['endpoint', 'reason'],
      registers,
    }),
    configReloads: new Counter({ name: 'stagewall_config_reloads_total', help: 'Config reloads by result (success|failure).', labelNames: ['result'], registers }),
    configLastReloadSuccess: new Gauge({ name: 'stagewall_config_last_reload_successful', help: '1 when the last config (re)load succeeded, 0 when the last good config is still in force.', registers }),
    certificateExpiry: new Gauge({ name: 'stagewall_certificate_expiry_timestamp_seconds', help: 'Unix time at which the serving certificate expires.', registers }),
    certificateReloads: new Counter({ name: 'stagewall_certificate_reloads_total', help: 'Serving certificate reloads by result (success|failure).', labelNames: ['result'], registers }),
    viewSynced: new Gauge({ name: 'stagewall_view_synced', help: '1 once the view (informer cache or manifests) is synced.', registers }),
    viewObjects: new Gauge({ name: 'stagewall_view_objects', help: 'Objects in the view by kind.', labelNames: ['kind'], registers }),
    policiesApplied: new Counter({ name: 'stagewall_managed_policies_applied_total', help: 'Managed NetworkPolicies applied (server-side apply).', labelNames: ['policy'], registers }),
    policyApplyFailures: new Counter({ name: 'stagewall_managed_policy_apply_failures_total', help: 'Failed applies of managed NetworkPolicies.', labelNames: ['policy'], registers }),
    namespaceToPolicySeconds: new Histogram({
      name: 'stagewall_namespace_to_policy_seconds',
      help: "Time from a pipeline namespace's creation to its default-deny policy being applied.",
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    }),
  };
}

/** Kinds counted by name; anything else is `other`, so a caller cannot grow the label set. */
const COUNTED_KINDS: ReadonlySet<string> = new Set(['Pod', 'Namespace', 'NetworkPolicy', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']);

export function kindLabel(kind: string): string {
  return COUNTED_KINDS.has(kind) ? kind : 'other';
}

/**
 * Counts one admission and its latency. prom-client hashes a label object on every call; the
 * children are cached by a joined key instead, which keeps the hot path cheap.
 */
export function admissionRecorder(metrics: Metrics): (endpoint: string, kind: string, operation: string, decision: string, mode: string, seconds: number) => void {
  const counters = new Map<string, { inc(): void }>();
  const histograms = new Map<string, { observe(value: number): void }>();
  return (endpoint, kind, operation, decision, mode, seconds) => {
    const k = kindLabel(kind);
    const key = `${endpoint}\u0000${k}\u0000${operation}\u0000${decision}\u0000${mode}`;
    let counter = counters.get(key);
    if (!counter) {
      counter = metrics.requests.labels({ endpoint, kind: k, operation, decision, mode });
      counters.set(key, counter);
    }
    counter.inc();
    let histogram = histograms.get(endpoint);
    if (!histogram) {
      histogram = metrics.latency.labels({ endpoint });
      histograms.set(endpoint, histogram);
    }
    histogram.observe(seconds);
  };
}
