// `stagewall connectivity`: every allowed connection between the workloads of the manifests, and
// between workloads and the IP ranges outside the cluster. txt and json are exactly
// netpol-analyzer's `list` formats, so the two tools can be diffed; csv, md, dot and mermaid are
// for people. With a config, pipeline workloads are tagged with their stage and undeclared
// stage-to-stage connections are marked as backdoors. The engine decides; this file only draws.
import { loadKubeConfigChoice, readClusterPods, readClusterSnapshot } from '../cluster/snapshot.js';
import { loadConfigFile } from '../config/load.js';
import type { StagewallConfig } from '../config/model.js';
import { type Connection, connectivityOf, isBackdoor, type KubeObject, type Peer } from '../engine/index.js';
import { StagewallError } from '../errors.js';
import { loadManifests, type LoadedObject } from '../manifests/load.js';
import { buildStaticView } from '../manifests/view.js';
import type { CliIo } from './io.js';

export const CONNECTIVITY_FORMATS = ['txt', 'json', 'csv', 'md', 'dot', 'mermaid'] as const;
export type ConnectivityFormat = (typeof CONNECTIVITY_FORMATS)[number];

export interface ConnectivityOptions {
  readonly config?: string;
  readonly format: ConnectivityFormat;
  readonly focus?: string;
  readonly namespace: string;
  readonly ignoreUnknown: boolean;
  readonly cluster: boolean;
  readonly kubeconfig?: string;
  readonly context?: string;
}

export interface ConnectivityReport {
  readonly connections: readonly Connection[];
  /** Only with a config. */
  readonly config: StagewallConfig | undefined;
}

/** The connections of a view made of these manifests (on top of `live`, a cluster's Namespaces and NetworkPolicies). */
export function connectivityReport(
  objects: readonly LoadedObject[],
  options: {
    readonly config?: StagewallConfig | undefined;
    readonly defaultNamespace?: string;
    readonly focus?: string | undefined;
    readonly live?: readonly KubeObject[];
  } = {},
): ConnectivityReport {
  const defaultNamespace = options.defaultNamespace ?? 'default';
  const view = buildStaticView(objects, defaultNamespace, options.config, options.live ?? []);
  // The view's own workloads: the ones graph and the rules judge.
  const workloads = view.workloads();
  let connections = connectivityOf(workloads, view);
  if (options.focus !== undefined) {
    const focus = options.focus;
    const matches = (peer: Peer) => peer.type === 'workload' && (peer.id === focus || `${peer.workload.namespace}/${peer.workload.name}` === focus);
    if (!workloads.some((w) => w.id === focus || `${w.namespace}/${w.name}` === focus)) {
      throw new StagewallError('USAGE', `--focus ${focus}: no workload of that namespace and name in the manifests (write NS/NAME or NS/NAME[Kind])`);
    }
    connections = connections.filter((c) => matches(c.src) || matches(c.dst));
  }
  return { connections, config: options.config };
}

function stageOf(peer: Peer): string | undefined {
  return peer.type === 'workload' ? peer.workload.stage : undefined;
}

function tags(c: Connection, config: StagewallConfig) {
  return { srcStage: stageOf(c.src), dstStage: stageOf(c.dst), backdoor: isBackdoor(c, config) };
}

export function renderTxt({ connections, config }: ConnectivityReport): string {
  const lines = connections.map((c) => {
    const line = `${c.src.id} => ${c.dst.id} : ${c.conn}`;
    if (!config) return line;
    const t = tags(c, config);
    if (t.srcStage === undefined && t.dstStage === undefined) return line;
    return `${line}  # stage ${t.srcStage ?? '-'} => ${t.dstStage ?? '-'}${t.backdoor ? ' BACKDOOR (undeclared)' : ''}`;
  });
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

export function renderJson({ connections, config }: ConnectivityReport): string {
  const rows = connections.map((c) => {
    const row = { src: c.src.id, dst: c.dst.id, conn: c.conn };
    if (!config) return row;
    const t = tags(c, config);
    return {
      ...row,
      ...(t.srcStage ? { srcStage: t.srcStage } : {}),
      ...(t.dstStage ? { dstStage: t.dstStage } : {}),
      ...(t.backdoor ? { backdoor: true } : {}),
    };
  });
  return `${JSON.stringify(rows, null, 2)}\n`;
}

/** A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderCsv({ connections, config }: ConnectivityReport): string {
  const header = config ? ['src', 'dst', 'conn', 'src_stage', 'dst_stage', 'backdoor'] : ['src', 'dst', 'conn'];
  const rows = connections.map((c) => {
    const base = [c.src.id, c.dst.id, c.conn];
    if (!config) return base;
    const t = tags(c, config);
    return [...base, t.srcStage ?? '', t.dstStage ?? '', t.backdoor ? 'true' : 'false'];
  });
  return `${[header, ...rows].map((r) => r.map(csvField).join(',')).join('\n')}\n`;
}

const mdCell = (text: string) => text.replace(/\|/g, '\\|');

export function renderMd({ connections, config }: ConnectivityReport): string {
  const lines = config ? ['| src | dst | conn | stages |', '|-----|-----|------|--------|'] : ['| src | dst | conn |', '|-----|-----|------|'];
  for (const c of connections) {
    const cells = [c.src.id, c.dst.id, c.conn];
    if (config) {
      const t = tags(c, config);
      cells.push(t.srcStage === undefined && t.dstStage === undefined ? '' : `${t.srcStage ?? '-'} → ${t.dstStage ?? '-'}${t.backdoor ? ' **backdoor**' : ''}`);
    }
    lines.push(`| ${cells.map(mdCell).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

interface Drawn {
  readonly peers: { id: string; peer: Peer; key: string }[];
  readonly byNamespace: Map<string, { id: string; peer: Peer; key: string }[]>;
  readonly external: { id: string; peer: Peer; key: string }[];
  readonly keyOf: Map<string, string>;
}

/** Node ids by position (n0, n1…), namespaces sorted, so no name can clash with a keyword. */
function drawn(connections: readonly Connection[]): Drawn {
  const all = new Map<string, Peer>();
  for (const c of connections) {
    all.set(c.src.id, c.src);
    all.set(c.dst.id, c.dst);
  }
  const ids = [...all.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const peers = ids.map((id, i) => ({ id, peer: all.get(id)!, key: `n${i}` }));
  const byNamespace = new Map<string, { id: string; peer: Peer; key: string }[]>();
  const external: { id: string; peer: Peer; key: string }[] = [];
  for (const p of peers) {
    if (p.peer.type !== 'workload') {
      external.push(p);
      continue;
    }
    const list = byNamespace.get(p.peer.workload.namespace) ?? [];
    list.push(p);
    byNamespace.set(p.peer.workload.namespace, list);
  }
  return { peers, byNamespace, external, keyOf: new Map(peers.map((p) => [p.id, p.key])) };
}

const peerLabel = (peer: Peer, config: StagewallConfig | undefined) => {
  if (peer.type !== 'workload') return peer.id;
  const stage = config ? peer.workload.stage : undefined;
  return `${peer.workload.name}[${peer.workload.kind}]${stage ? ` (stage ${stage})` : ''}`;
};

const dotText = (text: string) => text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

export function renderDot({ connections, config }: ConnectivityReport): string {
  const d = drawn(connections);
  const lines = [
    '// stagewall connectivity: the allowed connections; namespaces are clusters.',
    'digraph connectivity {',
    '  rankdir=LR;',
    '  node [shape=box, style=rounded, fontname="Helvetica,Arial,sans-serif"];',
    '  edge [fontname="Helvetica,Arial,sans-serif", fontsize=10];',
  ];
  [...d.byNamespace.keys()].sort().forEach((ns, i) => {
    lines.push(`  subgraph cluster_${i} {`, `    label="${dotText(ns)}";`);
    for (const p of d.byNamespace.get(ns)!) lines.push(`    ${p.key} [label="${dotText(peerLabel(p.peer, config))}", color="#0969da", fontcolor="#0969da"];`);
    lines.push('  }');
  });
  for (const p of d.external) lines.push(`  ${p.key} [label="${dotText(p.id)}", shape=ellipse, color="#cf222e", fontcolor="#cf222e"];`);
  for (const c of connections) {
    const backdoor = config !== undefined && isBackdoor(c, config);
    const label = backdoor ? `BACKDOOR ${c.conn}` : c.conn;
    const color = backdoor ? '#bc4c00' : '#57606a';
    lines.push(
      `  ${d.keyOf.get(c.src.id)} -> ${d.keyOf.get(c.dst.id)} [label="${dotText(label)}", color="${color}", fontcolor="${color}"${backdoor ? ', penwidth=3' : ''}];`,
    );
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

const mermaidText = (text: string) => text.replace(/"/g, '#quot;');

export function renderMermaid({ connections, config }: ConnectivityReport): string {
  const d = drawn(connections);
  const lines = ['flowchart LR', '  %% stagewall connectivity: the allowed connections; namespaces are subgraphs.'];
  [...d.byNamespace.keys()].sort().forEach((ns, i) => {
    lines.push(`  subgraph ns${i}["${mermaidText(ns)}"]`);
    for (const p of d.byNamespace.get(ns)!) lines.push(`    ${p.key}["${mermaidText(peerLabel(p.peer, config))}"]`);
    lines.push('  end');
  });
  for (const p of d.external) lines.push(`  ${p.key}(["${mermaidText(p.id)}"])`);
  const backdoors: number[] = [];
  connections.forEach((c, i) => {
    const backdoor = config !== undefined && isBackdoor(c, config);
    if (backdoor) backdoors.push(i);
    lines.push(`  ${d.keyOf.get(c.src.id)} ${backdoor ? '==>' : '-->'}|"${mermaidText(backdoor ? `BACKDOOR ${c.conn}` : c.conn)}"| ${d.keyOf.get(c.dst.id)}`);
  });
  if (backdoors.length > 0) lines.push(`  linkStyle ${backdoors.join(',')} stroke:#bc4c00,color:#bc4c00,stroke-width:3px`);
  return `${lines.join('\n')}\n`;
}

export function renderConnectivity(report: ConnectivityReport, format: ConnectivityFormat): string {
  switch (format) {
    case 'txt':
      return renderTxt(report);
    case 'json':
      return renderJson(report);
    case 'csv':
      return renderCsv(report);
    case 'md':
      return renderMd(report);
    case 'dot':
      return renderDot(report);
    case 'mermaid':
      return renderMermaid(report);
  }
}

/**
 * The cluster's running Pods as workloads, less those a manifest replaces (the same namespace and
 * name, as `kubectl apply` would).
 */
function livePods(pods: readonly KubeObject[], manifests: readonly LoadedObject[]): LoadedObject[] {
  const key = (o: KubeObject) => `${o.metadata?.namespace ?? 'default'}/${o.metadata?.name ?? ''}`;
  const replaced = new Set(manifests.filter((m) => m.object.kind === 'Pod').map((m) => key(m.object)));
  return pods.filter((p) => !replaced.has(key(p))).map((object) => ({ object, source: { file: 'cluster', line: 0 }, judged: true }));
}

/**
 * Runs the command: the config only when given, the manifests, and with --cluster the live
 * cluster's Namespaces and NetworkPolicies (the snapshot of `check --cluster`) under them, and its
 * running Pods beside the manifests' workloads.
 */
export async function runConnectivity(paths: readonly string[], opts: ConnectivityOptions, io: CliIo): Promise<number> {
  const config = opts.config === undefined ? undefined : loadConfigFile(opts.config);
  let objects = loadManifests(paths, { ignoreUnknown: opts.ignoreUnknown, stdin: io.readStdin });
  let live: readonly KubeObject[] = [];
  if (opts.cluster || opts.kubeconfig !== undefined || opts.context !== undefined) {
    const kc = loadKubeConfigChoice(opts);
    const snapshot = await readClusterSnapshot(kc);
    const pods = await readClusterPods(kc);
    for (const { policy, reason } of snapshot.skipped) io.err(`stagewall: warning: skipping NetworkPolicy ${policy} of the cluster: ${reason}`);
    io.err(
      `stagewall: view: the cluster at ${snapshot.server} (${snapshot.namespaces} namespaces, ${snapshot.policies} NetworkPolicies, ${pods.length} Pods), with the manifests applied on top`,
    );
    live = snapshot.objects;
    objects = [...livePods(pods, objects), ...objects];
  } else if (paths.length === 0) {
    throw new StagewallError('USAGE', 'connectivity needs manifests (files, folders, or - for stdin), or --cluster');
  }
  const report = connectivityReport(objects, { config, defaultNamespace: opts.namespace, focus: opts.focus, live });
  io.out(renderConnectivity(report, opts.format));
  return 0;
}
