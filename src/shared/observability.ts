// The logger and metric shapes the adapters (cluster, certs, server) write to. The server builds
// the real ones (pino, prom-client: server/log.ts, server/metrics.ts); the cluster and certs
// layers see only these types, so they never import the server.
export type { Logger } from 'pino';

/** A counter by labels, as prom-client's Counter takes it. */
export interface CounterMetric<L extends string> {
  inc(labels: Partial<Record<L, string | number>>, value?: number): void;
}

/** A gauge without labels. */
export interface GaugeMetric {
  set(value: number): void;
}

/** A histogram without labels. */
export interface HistogramMetric {
  observe(value: number): void;
}

/** What the default-deny reconciler (cluster/reconciler.ts) counts. */
export interface ReconcilerMetrics {
  readonly policiesApplied: CounterMetric<'policy'>;
  readonly policyApplyFailures: CounterMetric<'policy'>;
  /** Seconds from a pipeline namespace's creation to its default-deny being applied. */
  readonly namespaceToPolicySeconds: HistogramMetric;
}

/** What the certificate manager (certs/manager.ts) counts under --manage-certs. */
export interface CertificateMetrics {
  readonly caExpiry: GaugeMetric;
  readonly certificateRotations: CounterMetric<'certificate'>;
  readonly caBundleWrites: CounterMetric<'result'>;
  readonly certificateSyncs: CounterMetric<'result'>;
}
