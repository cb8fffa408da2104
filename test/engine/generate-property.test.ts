// The proof of generate (issue 6): over a few hundred random configs (seeded, so every run checks
// the same ones), the generated policies (a) pass `check` with no violation, and (b) allow every
// declared stage-to-stage edge and no undeclared one, as the engine's connectivity decides it.
import { strict as assert } from 'node:assert';
import { checkObjects } from '../../src/cli/check.js';
import { resolveConfig } from '../../src/config/load.js';
import type { Stage, StagewallConfig } from '../../src/config/model.js';
import { stageFlow } from '../../src/engine/flow.js';
import { allowed, allowedPorts, type PodEndpoint, type TrafficPort } from '../../src/engine/reachability.js';
import { isEmpty } from '../../src/shared/ports.js';
import { generatePolicies } from '../../src/engine/generate.js';
import { stagePolicyName } from '../../src/shared/names.js';
import type { KubeObject, NetworkPolicy } from '../../src/engine/types.js';
import type { LoadedObject } from '../../src/manifests/load.js';
import { buildStaticView } from '../../src/manifests/view.js';
import { mulberry32 } from '../helpers/random.js';

const SEED = 20240611;
const CONFIGS = 300;

class Random {
  constructor(private readonly next: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)] as T;
  }
  subset<T>(items: readonly T[], p: number): T[] {
    return items.filter(() => this.chance(p));
  }
  /** `n` distinct items in random order (Fisher–Yates). */
  sample<T>(items: readonly T[], n: number): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i -= 1) {
      const j = this.int(0, i);
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy.slice(0, n);
  }
}

const STAGE_NAMES = ['extract', 'fetch', 'parse', 'clean', 'dedupe', 'join', 'enrich', 'score', 'load', 'publish'];
const PIPELINE_NAMES = ['etl', 'ml', 'report', 'billing'];
const OTHER_NAMESPACES = ['warehouse', 'monitoring', 'web'];

function randomPort(r: Random): unknown {
  const protocol = r.pick(['TCP', 'TCP', 'UDP', 'SCTP']);
  const port = r.int(1, 65000);
  switch (r.int(0, 4)) {
    case 0:
      return port; // shorthand: TCP
    case 1:
      return { port, protocol };
    case 2:
      return { port, endPort: port + r.int(0, 500), protocol };
    case 3:
      return { port: `${r.pick(['http', 'grpc', 'metrics', 'admin'])}-${r.int(0, 9)}`, ...(r.chance(0.5) ? { protocol } : {}) };
    default:
      return { port };
  }
}

function randomCidr(r: Random): string {
  if (r.chance(0.3)) {
    const prefix = r.int(16, 128);
    const hextets = Array.from({ length: 8 }, () => r.int(0, 0xffff));
    // 2001:db8::/32 keeps it documentation space; mask the host bits so the text is canonical.
    const bits = hextets.map((h, i) => {
      const keep = Math.max(0, Math.min(16, prefix - i * 16));
      return keep === 0 ? 0 : h & (0xffff << (16 - keep)) & 0xffff;
    });
    bits[0] = 0x2001;
    bits[1] = 0x0db8;
    return `${bits.map((h) => h.toString(16)).join(':')}/${Math.max(prefix, 32)}`;
  }
  const prefix = r.int(8, 32);
  const addr = (r.int(1, 223) * 2 ** 24 + r.int(0, 2 ** 24 - 1)) >>> 0;
  const masked = prefix === 32 ? addr : (addr & ~((1 << (32 - prefix)) - 1)) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (masked >>> s) & 255).join('.')}/${prefix}`;
}

function randomExternals(r: Random): unknown[] {
  return Array.from({ length: r.int(1, 2) }, () =>
    r.chance(0.5) ? randomCidr(r) : { cidr: randomCidr(r), ports: Array.from({ length: r.int(0, 2) }, () => randomPort(r)) },
  );
}

/** A random valid config document: 1–3 pipelines of 1–6 stages, fan-out, fan-in, cross-pipeline edges. */
function randomConfigDocument(r: Random): Record<string, unknown> {
  const pipelineNames = PIPELINE_NAMES.slice(0, r.int(1, 3));
  const stagesOf = new Map(pipelineNames.map((p) => [p, r.sample(STAGE_NAMES, r.int(1, 6))]));
  const refs = (own: string) => pipelineNames.flatMap((p) => (stagesOf.get(p) ?? []).map((s) => (p === own ? s : `${p}/${s}`)));
  const customLabels = r.chance(0.2);
  return {
    apiVersion: 'stagewall.dev/v1alpha1',
    kind: 'StagewallConfig',
    mode: r.chance(0.1) ? 'audit' : 'enforce',
    ...(customLabels ? { labels: { pipeline: 'example.com/pipeline', stage: 'example.com/step' } } : {}),
    defaultDeny: { enabled: r.chance(0.8), allowDNS: r.chance(0.7) },
    workloadCoverage: 'deny',
    pipelines: pipelineNames.map((p) => ({
      name: p,
      ...(r.chance(0.4) ? { namespace: `${p}-main` } : {}),
      stages: (stagesOf.get(p) ?? []).map((s) => {
        const stage: Record<string, unknown> = { name: s };
        // Stages of a pipeline may share a namespace or spread over several; pipelines never share one.
        if (r.chance(0.4)) stage['namespace'] = `${p}-${r.pick(['a', 'b', 'c'])}`;
        if (r.chance(0.35)) stage['egressTo'] = r.subset(refs(p), 0.3);
        if (r.chance(0.35)) stage['ingressFrom'] = r.subset(refs(p), 0.3);
        if (r.chance(0.6)) stage['ports'] = Array.from({ length: r.int(1, 3) }, () => randomPort(r));
        if (r.chance(0.3)) stage['egressExternal'] = randomExternals(r);
        if (r.chance(0.3)) stage['ingressExternal'] = randomExternals(r);
        if (r.chance(0.3)) stage['egressNamespaces'] = r.subset(OTHER_NAMESPACES, 0.5);
        if (r.chance(0.3)) stage['ingressNamespaces'] = r.subset(OTHER_NAMESPACES, 0.5);
        return stage;
      }),
    })),
  };
}

/** Named ports get concrete numbers on the pods, as a container spec would give them. */
function containerPorts(stage: Stage): { name: string; containerPort: number; protocol: string }[] {
  return stage.ports.flatMap((p, i) => (typeof p.port === 'string' ? [{ name: p.port, containerPort: 30000 + i, protocol: p.protocol }] : []));
}

/** The cluster running the generated policies: namespaces labelled for their pipelines, policies, a pod per stage. */
function clusterFor(config: StagewallConfig): KubeObject[] {
  const objects: KubeObject[] = [];
  const pipelineOf = new Map<string, string>();
  for (const stage of config.stages.values()) pipelineOf.set(stage.namespace, stage.pipeline);
  for (const [name, pipeline] of pipelineOf)
    objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [config.labels.pipeline]: pipeline } } });
  for (const name of OTHER_NAMESPACES) objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  for (const group of generatePolicies(config)) objects.push(...group.policies);
  for (const stage of config.stages.values()) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${stage.pipeline}-${stage.name}`, namespace: stage.namespace, labels: { [config.labels.stage]: stage.name } },
      spec: { containers: [{ name: 'main', image: 'busybox:1.36', ports: containerPorts(stage) }] },
    });
  }
  return objects;
}

function asLoaded(objects: readonly KubeObject[]): LoadedObject[] {
  return objects.map((object, i) => ({ object, source: { file: 'generated.yaml', line: i + 1 }, judged: true }));
}

/** A stage's pod as the connectivity function sees it: the labels it runs with, its container ports. */
function podOf(stage: Stage, config: StagewallConfig): PodEndpoint {
  return {
    namespace: stage.namespace,
    labels: { [config.labels.pipeline]: stage.pipeline, [config.labels.stage]: stage.name },
    containerPorts: containerPorts(stage),
  };
}

/** The ports to try from A to B: each port B serves (both ends and the middle of a range), or a spread when it serves none. */
function probes(stage: Stage): TrafficPort[] {
  if (stage.ports.length === 0) {
    return [{ port: 80 }, { port: 53, protocol: 'UDP' }, { port: 1, protocol: 'SCTP' }, { port: 65535, protocol: 'TCP' }];
  }
  return stage.ports.flatMap((p): TrafficPort[] => {
    if (typeof p.port === 'string') return [{ port: p.port, protocol: p.protocol }];
    const end = p.endPort ?? p.port;
    return [...new Set([p.port, Math.floor((p.port + end) / 2), end])].map((port) => ({ port, protocol: p.protocol }));
  });
}

interface Case {
  readonly index: number;
  readonly doc: Record<string, unknown>;
  readonly config: StagewallConfig;
}

function cases(): Case[] {
  const r = new Random(mulberry32(SEED));
  const out: Case[] = [];
  for (let index = 0; out.length < CONFIGS; index += 1) {
    const doc = randomConfigDocument(r);
    out.push({ index, doc, config: resolveConfig(doc, `random config #${index}`) });
  }
  return out;
}

describe('engine/generate: property over random configs (seeded)', () => {
  const all = cases();
  const totals = { configs: 0, declared: 0, undeclared: 0, probes: 0, crossPipeline: 0, fanOut: 0, fanIn: 0, multiNamespace: 0 };

  it(`(a) the generated policies of ${CONFIGS} configs pass check: no violation on any policy, namespace or stage pod`, () => {
    for (const c of all) {
      const objects = clusterFor(c.config);
      const report = checkObjects(asLoaded(objects), c.config);
      const problems = report.results.flatMap((res) => res.decision.violations.map((v) => `${v.rule}: ${v.message}`));
      assert.deepEqual(problems, [], `random config #${c.index}: ${JSON.stringify(c.doc)}`);
      // Every object was judged, none skipped: the zero is meaningful.
      const skipped = report.results.filter((res) => res.decision.skipped !== undefined).map((res) => `${res.decision.ref.kind} ${res.decision.ref.name}`);
      assert.deepEqual(skipped, [], `random config #${c.index}`);
      totals.configs += 1;
    }
  });

  it('(b) connectivity allows every declared edge on the destination ports, and no undeclared stage-to-stage edge on any port', () => {
    for (const c of all) {
      const { config } = c;
      const view = buildStaticView(asLoaded(clusterFor(config)));
      const where = `random config #${c.index}: ${JSON.stringify(c.doc)}`;
      for (const a of config.stages.values()) {
        for (const b of config.stages.values()) {
          const declared = a.egressTo.has(b.id);
          const from = podOf(a, config);
          const to = podOf(b, config);
          for (const port of probes(b)) {
            assert.equal(
              allowed(from, to, port, view),
              declared,
              `${a.id} -> ${b.id} on ${port.protocol ?? 'TCP'} ${port.port} (declared: ${declared}); ${where}`,
            );
            totals.probes += 1;
          }
          if (!declared) assert.ok(isEmpty(allowedPorts(from, to, view)), `${a.id} -> ${b.id} is undeclared but open on some port; ${where}`);
          if (declared) totals.declared += 1;
          else totals.undeclared += 1;
          if (declared && a.pipeline !== b.pipeline) totals.crossPipeline += 1;
        }
        if (a.egressTo.size > 1) totals.fanOut += 1;
        if (a.ingressFrom.size > 1) totals.fanIn += 1;
      }
      if (new Set([...config.stages.values()].map((s) => s.namespace)).size > config.pipelines.size) totals.multiNamespace += 1;
      // The stage-level view graph and flow-blocked use says the same: every declared edge allowed, no backdoor.
      const kinds = stageFlow(config, view).edges.map((e) => `${e.from.id}->${e.to.id} ${e.kind}`);
      const want = [...config.stages.values()].flatMap((a) =>
        [...config.stages.values()].filter((b) => a.egressTo.has(b.id)).map((b) => `${a.id}->${b.id} declared-allowed`),
      );
      assert.deepEqual(kinds, want, where);
    }
  });

  it('the random configs cover what the property is about (fan-out, fan-in, cross-pipeline, spread namespaces)', () => {
    if (process.env['STAGEWALL_PROPERTY_STATS']) console.log(totals);
    assert.equal(totals.configs, CONFIGS, 'run with (a)');
    assert.ok(totals.declared > 500, `declared edges: ${totals.declared}`);
    assert.ok(totals.undeclared > 2000, `undeclared pairs: ${totals.undeclared}`);
    assert.ok(totals.crossPipeline > 50, `cross-pipeline edges: ${totals.crossPipeline}`);
    assert.ok(totals.fanOut > 50 && totals.fanIn > 50, `fan-out ${totals.fanOut}, fan-in ${totals.fanIn}`);
    assert.ok(totals.multiNamespace > 50, `configs with stages over several namespaces: ${totals.multiNamespace}`);
    assert.ok(totals.probes > 5000, `probes: ${totals.probes}`);
  });

  it('the oracle has teeth: without a destination stage policy its declared edges are blocked, and flow-blocked says so', () => {
    let mutated = 0;
    for (const c of all.filter((x) => x.index % 5 === 0)) {
      const { config } = c;
      const edge = [...config.stages.values()]
        .flatMap((a) => [...a.egressTo].map((id) => [a, config.stages.get(id)!] as const))
        .find(([a, b]) => a.id !== b.id);
      if (!edge) continue;
      const [a, b] = edge;
      const objects = clusterFor(config).filter(
        (o) => !(o.kind === 'NetworkPolicy' && o.metadata?.name === stagePolicyName(b) && o.metadata?.namespace === b.namespace),
      );
      const view = buildStaticView(asLoaded(objects));
      const flowEdge = stageFlow(config, view).edges.find((e) => e.from.id === a.id && e.to.id === b.id);
      if (!config.defaultDeny.enabled) {
        // Without the default-deny nothing isolates b's ingress any more: the edge stays open.
        assert.equal(flowEdge?.kind, 'declared-allowed', `random config #${c.index}`);
        continue;
      }
      assert.equal(flowEdge?.kind, 'declared-blocked', `${a.id} -> ${b.id} without ${stagePolicyName(b)}; random config #${c.index}`);
      const report = checkObjects(asLoaded(objects), config);
      const warnings = report.results
        .filter((res) => res.decision.ref.kind === 'Namespace' && res.decision.ref.name === b.namespace)
        .flatMap((res) => res.decision.violations);
      assert.ok(
        warnings.some((v) => v.rule === 'flow-blocked' && v.severity === 'warn' && v.message.includes(`${a.id} -> ${b.id}`)),
        `flow-blocked on Namespace ${b.namespace} for ${a.id} -> ${b.id}; got ${JSON.stringify(warnings)}; random config #${c.index}`,
      );
      mutated += 1;
    }
    assert.ok(mutated > 20, `mutated configs: ${mutated}`);
  });

  it('the oracle has teeth: an extra allow-all policy in a stage namespace opens undeclared edges, and the graph shows them', () => {
    let opened = 0;
    for (const c of all.filter((x) => x.index % 7 === 0)) {
      const { config } = c;
      const target = [...config.stages.values()][0]!;
      const open: NetworkPolicy = {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'open-everything', namespace: target.namespace },
        spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] },
      };
      const view = buildStaticView(asLoaded([...clusterFor(config), open]));
      const backdoors = stageFlow(config, view).edges.filter((e) => e.kind === 'undeclared-allowed');
      // Every stage of that namespace may now talk to itself, at least, unless it declared it.
      const self = [...config.stages.values()].filter((s) => s.namespace === target.namespace && !s.egressTo.has(s.id));
      for (const s of self)
        assert.ok(
          backdoors.some((e) => e.from.id === s.id && e.to.id === s.id),
          `${s.id} -> ${s.id}; random config #${c.index}`,
        );
      opened += backdoors.length;
    }
    assert.ok(opened > 20, `backdoors found: ${opened}`);
  });
});
