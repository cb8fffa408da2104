// Fixtures for the rule, mutation and generate tests: Kubernetes objects from short literals, a
// view built from them, and assertions on decisions. Not a spec file (mocha only runs *.test.ts).
import { strict as assert } from 'node:assert';
import type { StagewallConfig } from '../../../src/config/model.js';
import { evaluate, type Decision, type Review } from '../../../src/engine/evaluate.js';
import type { KubeObject, NetworkPolicy, NetworkPolicySpec, Operation, UserInfo } from '../../../src/engine/types.js';
import { IndexedView } from '../../../src/engine/view.js';

export const PIPELINE = 'stagewall.dev/pipeline';
export const STAGE = 'stagewall.dev/stage';
export const DEFAULT_STAGE = 'stagewall.dev/default-stage';
export const NAME = 'kubernetes.io/metadata.name';
export const MANAGED = { 'app.kubernetes.io/managed-by': 'stagewall' } as const;

export function ns(name: string, opts: { pipeline?: string; labels?: Record<string, string>; annotations?: Record<string, string> } = {}): KubeObject {
  const labels = { ...(opts.labels ?? {}), ...(opts.pipeline === undefined ? {} : { [PIPELINE]: opts.pipeline }) };
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels, ...(opts.annotations ? { annotations: opts.annotations } : {}) },
  };
}

export interface PodOptions {
  labels?: Record<string, string> | undefined;
  hostNetwork?: boolean;
}

function podSpec(opts: PodOptions): Record<string, unknown> {
  return { ...(opts.hostNetwork === undefined ? {} : { hostNetwork: opts.hostNetwork }), containers: [{ name: 'main', image: 'busybox:1.36' }] };
}

/** A Pod; `labels: undefined` leaves the labels map out entirely. */
export function pod(namespace: string, name: string, opts: PodOptions = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, ...(opts.labels === undefined ? {} : { labels: opts.labels }) },
    spec: podSpec(opts),
  };
}

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** A workload whose pod template carries `opts.labels`, at the path its kind keeps it. */
export function workload(kind: WorkloadKind, namespace: string, name: string, opts: PodOptions = {}): KubeObject {
  const template = { metadata: { ...(opts.labels === undefined ? {} : { labels: opts.labels }) }, spec: podSpec(opts) };
  const apiVersion = kind === 'Job' || kind === 'CronJob' ? 'batch/v1' : 'apps/v1';
  const spec =
    kind === 'CronJob'
      ? { schedule: '0 3 * * *', jobTemplate: { spec: { template } } }
      : kind === 'Job'
        ? { template }
        : { selector: { matchLabels: { app: name } }, template };
  return { apiVersion, kind, metadata: { name, namespace }, spec };
}

export function netpol(namespace: string, name: string, spec: NetworkPolicySpec, labels?: Record<string, string>): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec,
  };
}

/** An IndexedView holding the given Namespaces and NetworkPolicies. */
export function viewOf(...objects: KubeObject[]): IndexedView {
  const view = new IndexedView();
  for (const o of objects) {
    if (o.kind === 'Namespace') view.upsertNamespace(o);
    else if (o.kind === 'NetworkPolicy') view.upsertPolicy(o as NetworkPolicy);
    else throw new Error(`viewOf: ${o.kind} is not part of a view`);
  }
  return view;
}

export interface JudgeOptions {
  /** Run pipeline-level rules too, as `check` does. */
  pipelineRules?: boolean;
  operation?: Operation;
  oldObject?: KubeObject;
  user?: UserInfo;
  ownNamespace?: string;
  namespace?: string;
}

/** evaluate() for one object; DELETE passes the object as oldObject, as the API server does. */
export function judge(object: KubeObject, config: StagewallConfig, view: IndexedView, opts: JudgeOptions = {}): Decision {
  const operation = opts.operation ?? 'CREATE';
  const review: Review =
    operation === 'DELETE'
      ? { operation, oldObject: opts.oldObject ?? object, user: opts.user, namespace: opts.namespace }
      : { operation, object, oldObject: opts.oldObject, user: opts.user, namespace: opts.namespace };
  return evaluate(review, { config, view, ownNamespace: opts.ownNamespace, pipelineRules: opts.pipelineRules });
}

export function ruleIds(decision: Decision): string[] {
  return decision.violations.map((v) => v.rule);
}

/**
 * The rule fired once or more, with that severity; its message names the object (`names`) and
 * says how to fix it. Returns the first matching message for further checks.
 */
export function assertFires(decision: Decision, rule: string, severity: 'deny' | 'warn', names: string, why = ''): string {
  const found = decision.violations.filter((v) => v.rule === rule);
  assert.ok(
    found.length > 0,
    `${rule} should fire${why ? ` (${why})` : ''}; got ${JSON.stringify(decision.violations.map((v) => v.rule))} skipped=${decision.skipped ?? '-'}`,
  );
  for (const v of found) {
    assert.equal(v.severity, severity, `${rule} severity`);
    assert.ok(v.message.includes(names), `${rule} message should name "${names}": ${v.message}`);
    assert.match(v.message, /Fix: \S/, `${rule} message should say how to fix it: ${v.message}`);
  }
  return found[0]!.message;
}

export function assertQuiet(decision: Decision, rule: string): void {
  const found = decision.violations.filter((v) => v.rule === rule);
  assert.deepEqual(found, [], `${rule} should not fire`);
}
