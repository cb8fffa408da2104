// Prometheus metrics (prom-client), one registry per server so tests stay isolated.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type LabelValues } from 'prom-client';
import type { CertificateMetrics, ReconcilerMetrics } from '../shared/observability.js';

/** Every metric of a server: the reconciler and the certificate manager write theirs through the shared interfaces. */
export interface Metrics extends ReconcilerMetrics, CertificateMetrics {
  readonly registry: Registry;
  /** Admissions, their latency and violations: the hot path, counted without prom-client's per-call cost. */
  readonly admissions: AdmissionTally;
  readonly badRequests: Counter<'endpoint' | 'reason'>;
  /** TLS connections accepted on the webhook port (one per completed handshake, never per request). */
  readonly connectionsAccepted: Counter;
  readonly configReloads: Counter<'result'>;
  readonly configLastReloadSuccess: Gauge;
  readonly certificateExpiry: Gauge;
  readonly certificateReloads: Counter<'result'>;
  /** serve --manage-certs: the signing CA's expiry, rotations by certificate (ca|serving), bundle writes and Secret syncs. */
  readonly caExpiry: Gauge;
  readonly certificateRotations: Counter<'certificate'>;
  readonly caBundleWrites: Counter<'result'>;
  readonly certificateSyncs: Counter<'result'>;
  readonly viewSynced: Gauge;
  readonly viewObjects: Gauge<'kind'>;
  readonly policiesApplied: Counter<'policy'>;
  readonly policyApplyFailures: Counter<'policy'>;
  readonly namespaceToPolicySeconds: Histogram;
}

/** Upper bounds (seconds) of stagewall_admission_duration_seconds. */
export const ADMISSION_LATENCY_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** Kinds counted by name; anything else is `other`, so a caller cannot grow the label set. */
const COUNTED_KINDS: ReadonlySet<string> = new Set([
  'Pod',
  'Namespace',
  'NetworkPolicy',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
]);

export function kindLabel(kind: string): string {
  return COUNTED_KINDS.has(kind) ? kind : 'other';
}

const COUNTED_OPERATIONS: ReadonlySet<string> = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

/** The operation label: decodeReview admits only these four, and the tally does not rely on it. */
export function operationLabel(operation: string): string {
  return COUNTED_OPERATIONS.has(operation) ? operation : 'other';
}

interface CountSlot<L extends string> {
  readonly labels: Record<L, string>;
  count: number;
}

interface LatencySlot {
  readonly endpoint: string;
  /** Observations per bucket (not cumulative); the last one is above every bound (+Inf). */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * The admission hot path's numbers, kept as plain counts and read by the exported metrics when
 * /metrics is scraped. prom-client builds, validates and hashes a label object on every inc() and
 * observe() (prometheus/client_js#594); in the server that cost about 10 µs an admission, more
 * than the engine. Here an admission adds to slots found by one Map lookup each.
 */
export class AdmissionTally {
  readonly requests = new Map<string, CountSlot<'endpoint' | 'kind' | 'operation' | 'decision' | 'mode'>>();
  readonly latency = new Map<string, LatencySlot>();
  readonly violations = new Map<string, CountSlot<'rule' | 'severity'>>();

  /** Counts one admission and the seconds it took to answer. */
  admission(endpoint: string, kind: string, operation: string, decision: string, mode: string, seconds: number): void {
    const k = kindLabel(kind);
    const op = operationLabel(operation);
    const key = `${endpoint}\u0000${k}\u0000${op}\u0000${decision}\u0000${mode}`;
    const slot = this.requests.get(key);
    if (slot) slot.count += 1;
    else this.requests.set(key, { labels: { endpoint, kind: k, operation: op, decision, mode }, count: 1 });

    let latency = this.latency.get(endpoint);
    if (!latency) {
      latency = { endpoint, buckets: new Float64Array(ADMISSION_LATENCY_BUCKETS.length + 1), sum: 0, count: 0 };
      this.latency.set(endpoint, latency);
    }
    let bucket = 0;
    while (bucket < ADMISSION_LATENCY_BUCKETS.length && seconds > (ADMISSION_LATENCY_BUCKETS[bucket] as number)) bucket += 1;
    latency.buckets[bucket] = (latency.buckets[bucket] as number) + 1;
    latency.sum += seconds;
    latency.count += 1;
  }

  /** Counts one violation found by a rule, by the severity it was reported with. */
  violation(rule: string, severity: string): void {
    const key = `${rule}\u0000${severity}`;
    const slot = this.violations.get(key);
    if (slot) slot.count += 1;
    else this.violations.set(key, { labels: { rule, severity }, count: 1 });
  }

  reset(): void {
    this.requests.clear();
    this.latency.clear();
    this.violations.clear();
  }
}

/**
 * A prom-client Counter whose value is read from tally slots at scrape time (so resetting it alone
 * lasts until the next scrape; Registry.resetMetrics() resets the tally too).
 */
function talliedCounter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  slots: () => Iterable<CountSlot<L>>,
): Counter<L> {
  return new Counter<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const slot of slots()) this.inc(slot.labels as LabelValues<L>, slot.count);
    },
  });
}

/**
 * stagewall_admission_duration_seconds, read from the tally's latency slots: the shape of a
 * prom-client Histogram's values (cumulative `_bucket` series with `le`, `+Inf`, `_sum`,
 * `_count`), so the registry renders it like any other histogram.
 */
function talliedHistogram(registry: Registry, tally: AdmissionTally): void {
  const name = 'stagewall_admission_duration_seconds';
  const metric = {
    name,
    help: 'Time to judge and answer an admission request, from its arrival: reading the body, and looking up a namespace the view lacks, included.',
    type: 'histogram',
    aggregator: 'sum',
    get() {
      const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
      for (const slot of tally.latency.values()) {
        let cumulative = 0;
        ADMISSION_LATENCY_BUCKETS.forEach((le, i) => {
          cumulative += slot.buckets[i] as number;
          values.push({ labels: { le, endpoint: slot.endpoint }, value: cumulative, metricName: `${name}_bucket` });
        });
        values.push({ labels: { le: '+Inf', endpoint: slot.endpoint }, value: slot.count, metricName: `${name}_bucket` });
        values.push({ labels: { endpoint: slot.endpoint }, value: slot.sum, metricName: `${name}_sum` });
        values.push({ labels: { endpoint: slot.endpoint }, value: slot.count, metricName: `${name}_count` });
      }
      return Promise.resolve({ name, help: metric.help, type: 'histogram', aggregator: 'sum', values });
    },
    /** Registry.resetMetrics(): the tally is the source of all three admission metrics. */
    reset() {
      tally.reset();
    },
  };
  // The registry only calls get() and reset() (and reads name, help, type, aggregator); its typings
  // admit only prom-client's own classes. So registry.getSingleMetric() of this name returns an
  // object without observe(): the tally is the only way in.
  registry.registerMetric(metric as unknown as Histogram);
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'stagewall_' });
  const registers = [registry];
  const admissions = new AdmissionTally();
  talliedCounter(
    registry,
    'stagewall_admission_requests_total',
    'Admission requests by endpoint, object kind, operation, decision (allow|warn|deny|patch|error|ignored) and mode.',
    ['endpoint', 'kind', 'operation', 'decision', 'mode'],
    () => admissions.requests.values(),
  );
  talliedHistogram(registry, admissions);
  talliedCounter(registry, 'stagewall_violations_total', 'Violations found by rule and reported severity.', ['rule', 'severity'], () =>
    admissions.violations.values(),
  );
  return {
    registry,
    admissions,
    badRequests: new Counter({
      name: 'stagewall_bad_requests_total',
      help: 'Requests refused before the engine ran, by reason.',
      labelNames: ['endpoint', 'reason'],
      registers,
    }),
    connectionsAccepted: new Counter({
      name: 'stagewall_webhook_connections_total',
      help: 'TLS connections accepted on the webhook port (completed handshakes). Far fewer than admission requests when the API server reuses its connections.',
      registers,
    }),
    configReloads: new Counter({
      name: 'stagewall_config_reloads_total',
      help: 'Config reloads by result (success|failure).',
      labelNames: ['result'],
      registers,
    }),
    configLastReloadSuccess: new Gauge({
      name: 'stagewall_config_last_reload_successful',
      help: '1 when the last config (re)load succeeded, 0 when the last good config is still in force.',
      registers,
    }),
    certificateExpiry: new Gauge({
      name: 'stagewall_certificate_expiry_timestamp_seconds',
      help: 'Unix time at which the serving certificate expires.',
      registers,
    }),
    certificateReloads: new Counter({
      name: 'stagewall_certificate_reloads_total',
      help: 'Serving certificate reloads by result (success|failure).',
      labelNames: ['result'],
      registers,
    }),
    caExpiry: new Gauge({
      name: 'stagewall_ca_expiry_timestamp_seconds',
      help: 'Unix time at which the CA that signs the serving certificate expires (--manage-certs).',
      registers,
    }),
    certificateRotations: new Counter({
      name: 'stagewall_certificate_rotations_total',
      help: 'Certificates this replica renewed in the Secret, by certificate (ca|serving) (--manage-certs).',
      labelNames: ['certificate'],
      registers,
    }),
    caBundleWrites: new Counter({
      name: 'stagewall_ca_bundle_writes_total',
      help: 'Writes of the CA bundle into the webhook configurations by result (success|failure) (--manage-certs).',
      labelNames: ['result'],
      registers,
    }),
    certificateSyncs: new Counter({
      name: 'stagewall_certificate_syncs_total',
      help: 'Syncs of the certificate Secret and the webhook bundles by result (success|failure) (--manage-certs).',
      labelNames: ['result'],
      registers,
    }),
    viewSynced: new Gauge({ name: 'stagewall_view_synced', help: '1 once the view (informer cache or manifests) is synced.', registers }),
    viewObjects: new Gauge({ name: 'stagewall_view_objects', help: 'Objects in the view by kind.', labelNames: ['kind'], registers }),
    policiesApplied: new Counter({
      name: 'stagewall_managed_policies_applied_total',
      help: 'Managed NetworkPolicies applied (server-side apply).',
      labelNames: ['policy'],
      registers,
    }),
    policyApplyFailures: new Counter({
      name: 'stagewall_managed_policy_apply_failures_total',
      help: 'Failed applies of managed NetworkPolicies.',
      labelNames: ['policy'],
      registers,
    }),
    namespaceToPolicySeconds: new Histogram({
      name: 'stagewall_namespace_to_policy_seconds',
      help: "Time from a pipeline namespace's creation to its default-deny policy being applied.",
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    }),
  };
}
