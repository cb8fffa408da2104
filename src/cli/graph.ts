// `stagewall graph`: for each pipeline, the declared flow against what the policies in the given
// manifests allow, as Mermaid (renders in a pull-request comment), Graphviz DOT or JSON. The
// engine's connectivity decides every edge; this file only draws. Output is deterministic.
import type { Stage, StagewallConfig } from '../config/model.js';
import { type EdgeKind, formatPorts, type KubeObject, type StageEdge, stageFlow, type StageFlow } from '../engine/index.js';
import type { LoadedObject } from '../manifests/load.js';
import { buildStaticView } from '../manifests/view.js';

import { GRAPH_FORMATS, type GraphFormat } from './formats.js';

export { GRAPH_FORMATS, type GraphFormat };

/** The flow of the config against a view made of loaded manifests (on top of `live`, a cluster's objects). */
export function graphObjects(
  objects: readonly LoadedObject[],
  config: StagewallConfig,
  defaultNamespace = 'default',
  live: readonly KubeObject[] = [],
): StageFlow {
  return stageFlow(config, buildStaticView(objects, defaultNamespace, config, live));
}

interface Style {
  readonly text: string;
  readonly color: string;
  readonly mermaidArrow: string;
  readonly dot: string;
}

const STYLES: Record<EdgeKind, Style> = {
  'declared-allowed': { text: 'declared, allowed', color: '#1a7f37', mermaidArrow: '-->', dot: 'penwidth=2' },
  'declared-blocked': { text: 'declared, BLOCKED', color: '#cf222e', mermaidArrow: '-.->', dot: 'style=dashed, penwidth=2' },
  'undeclared-allowed': { text: 'allowed, UNDECLARED (backdoor)', color: '#bc4c00', mermaidArrow: '==>', dot: 'penwidth=3' },
  'declared-unverified': { text: 'declared, unverified (no namespace in the view)', color: '#8c959f', mermaidArrow: '-.->', dot: 'style=dotted' },
};

const KINDS = Object.keys(STYLES) as EdgeKind[];

/** The label of an edge: its ports, led by what is wrong with it. */
export function edgeLabel(edge: StageEdge): string {
  const ports = (list: string[]) => list.join(', ') || 'no port';
  switch (edge.kind) {
    case 'declared-allowed':
      return ports(formatPorts(edge.allowed));
    case 'declared-blocked':
      return `BLOCKED ${edge.served ? ports(formatPorts(edge.blocked)) : 'on every port'}`;
    case 'undeclared-allowed':
      return `UNDECLARED ${ports(formatPorts(edge.allowed))}`;
    case 'declared-unverified':
      return 'unverified';
  }
}

interface Node {
  readonly id: string;
  readonly stage: Stage;
  readonly namespaces: readonly string[];
  /** The stage's workloads in the view; empty: it is judged on a representative pod. */
  readonly workloads: readonly string[];
}

/** Node ids by position (p0s1), so no stage name can clash with another or with a keyword. */
function layout(config: StagewallConfig, flow: StageFlow): { pipelines: { id: string; name: string; nodes: Node[] }[]; nodeOf: Map<string, Node> } {
  const nodeOf = new Map<string, Node>();
  const pipelines = [...config.pipelines.values()].map((pipeline, p) => {
    const nodes = pipeline.stages.map((stage, s) => {
      const node = { id: `p${p}s${s}`, stage, namespaces: flow.placements.get(stage.id) ?? [], workloads: flow.workloads.get(stage.id) ?? [] };
      nodeOf.set(stage.id, node);
      return node;
    });
    return { id: `p${p}`, name: pipeline.name, nodes };
  });
  return { pipelines, nodeOf };
}

const whereText = (node: Node) => (node.namespaces.length > 0 ? node.namespaces.join(', ') : 'no pipeline namespace in the view');

/** What the stage is judged on: its workloads (name[Kind]), or a representative pod when the view holds none. */
const modelText = (node: Node) => (node.workloads.length > 0 ? node.workloads.map((id) => id.slice(id.indexOf('/') + 1)).join(', ') : 'representative pod');

function mermaidText(text: string): string {
  return text.replace(/"/g, '#quot;');
}

/**
 * The pipelines the view holds: those with a stage placed in one of its namespaces, and those an
 * edge joins to them (a cross-pipeline edge needs both ends drawn).
 */
export function pipelinesInView(flow: StageFlow, config: StagewallConfig): Set<string> {
  const placed = new Set([...config.stages.values()].filter((stage) => (flow.placements.get(stage.id) ?? []).length > 0).map((stage) => stage.pipeline));
  const shown = new Set(placed);
  for (const edge of flow.edges) {
    if (placed.has(edge.from.pipeline)) shown.add(edge.to.pipeline);
    if (placed.has(edge.to.pipeline)) shown.add(edge.from.pipeline);
  }
  return shown;
}

/** Mermaid of every pipeline, or of `only` these (node ids keep their place in the config either way). */
export function renderMermaid(flow: StageFlow, config: StagewallConfig, only?: ReadonlySet<string>): string {
  const laid = layout(config, flow);
  const pipelines = only ? laid.pipelines.filter((p) => only.has(p.name)) : laid.pipelines;
  const { nodeOf } = laid;
  const edges = only ? flow.edges.filter((edge) => only.has(edge.from.pipeline) && only.has(edge.to.pipeline)) : flow.edges;
  // The diagram type comes first: comments before it trip older Mermaid renderers.
  const lines = [
    'flowchart LR',
    '  %% stagewall graph: the declared flow against what the NetworkPolicies allow.',
    `  %% ${KINDS.map((k) => `${STYLES[k].mermaidArrow} ${STYLES[k].text}`).join('; ')}`,
  ];
  for (const pipeline of pipelines) {
    lines.push(`  subgraph ${pipeline.id}["pipeline ${mermaidText(pipeline.name)}"]`);
    lines.push('    direction LR');
    for (const node of pipeline.nodes) {
      const model = node.namespaces.length > 0 ? `<br/>${mermaidText(modelText(node))}` : '';
      lines.push(
        `    ${node.id}["${mermaidText(node.stage.name)}<br/>${mermaidText(whereText(node))}${model}"]${node.namespaces.length === 0 ? ':::unplaced' : ''}`,
      );
    }
    lines.push('  end');
  }
  const byKind = new Map<EdgeKind, number[]>();
  edges.forEach((edge, i) => {
    const from = nodeOf.get(edge.from.id)!;
    const to = nodeOf.get(edge.to.id)!;
    lines.push(`  ${from.id} ${STYLES[edge.kind].mermaidArrow}|"${mermaidText(edgeLabel(edge))}"| ${to.id}`);
    byKind.set(edge.kind, [...(byKind.get(edge.kind) ?? []), i]);
  });
  for (const kind of KINDS) {
    const indexes = byKind.get(kind);
    if (indexes) lines.push(`  linkStyle ${indexes.join(',')} stroke:${STYLES[kind].color},color:${STYLES[kind].color},stroke-width:2px`);
  }
  if (pipelines.some((p) => p.nodes.some((n) => n.namespaces.length === 0))) lines.push('  classDef unplaced stroke-dasharray:4 4,color:#8c959f');
  return `${lines.join('\n')}\n`;
}

function dotText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

function htmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function renderDot(flow: StageFlow, config: StagewallConfig): string {
  const { pipelines, nodeOf } = layout(config, flow);
  const lines = [
    '// stagewall graph: the declared flow against what the NetworkPolicies allow.',
    'digraph stagewall {',
    '  rankdir=LR;',
    '  fontname="Helvetica,Arial,sans-serif";',
    '  node [shape=box, style=rounded, fontname="Helvetica,Arial,sans-serif"];',
    '  edge [fontname="Helvetica,Arial,sans-serif", fontsize=10];',
  ];
  for (const pipeline of pipelines) {
    lines.push(`  subgraph cluster_${pipeline.id} {`);
    lines.push(`    label="pipeline ${dotText(pipeline.name)}";`);
    lines.push('    style=rounded;');
    for (const node of pipeline.nodes) {
      const unplaced = node.namespaces.length === 0 ? ', style="rounded,dashed", fontcolor="#8c959f"' : '';
      const model = node.namespaces.length > 0 ? `<br/><font point-size="9" color="#57606a">${htmlText(modelText(node))}</font>` : '';
      lines.push(
        `    ${node.id} [label=<${htmlText(node.stage.name)}<br/><font point-size="10" color="#57606a">${htmlText(whereText(node))}</font>${model}>${unplaced}];`,
      );
    }
    lines.push('  }');
  }
  for (const edge of flow.edges) {
    const style = STYLES[edge.kind];
    lines.push(
      `  ${nodeOf.get(edge.from.id)!.id} -> ${nodeOf.get(edge.to.id)!.id} [label="${dotText(edgeLabel(edge))}", color="${style.color}", fontcolor="${style.color}", ${style.dot}];`,
    );
  }
  const rows = KINDS.map(
    (k) =>
      `<tr><td align="left"><font color="${STYLES[k].color}">${k === 'declared-blocked' || k === 'declared-unverified' ? '- - -' : '&#9473;&#9473;&#9473;'}  ${STYLES[k].text}</font></td></tr>`,
  );
  lines.push(`  legend [shape=plaintext, fontsize=10, label=<<table border="0" cellspacing="2">${rows.join('')}</table>>];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

export function renderGraphJson(flow: StageFlow, config: StagewallConfig): string {
  const summary: Record<EdgeKind, number> = { 'declared-allowed': 0, 'declared-blocked': 0, 'undeclared-allowed': 0, 'declared-unverified': 0 };
  for (const edge of flow.edges) summary[edge.kind] += 1;
  const doc = {
    pipelines: [...config.pipelines.values()].map((pipeline) => ({
      name: pipeline.name,
      stages: pipeline.stages.map((stage) => ({
        id: stage.id,
        name: stage.name,
        namespaces: flow.placements.get(stage.id) ?? [],
        // The workloads the stage is judged on; none: a representative pod stands for it.
        workloads: flow.workloads.get(stage.id) ?? [],
        representative: (flow.workloads.get(stage.id) ?? []).length === 0,
        serves: stage.ports.length === 0 ? ['any port'] : formatPortSpecs(stage),
      })),
    })),
    edges: flow.edges.map((edge) => ({
      from: edge.from.id,
      to: edge.to.id,
      kind: edge.kind,
      declared: edge.declared,
      allowed: formatPorts(edge.allowed),
      blocked: formatPorts(edge.blocked),
      label: edgeLabel(edge),
      placements: edge.pairs.map((pair) => ({
        from: pair.fromNamespace,
        to: pair.toNamespace,
        egress: formatPorts(pair.egress),
        ingress: formatPorts(pair.ingress),
        allowed: formatPorts(pair.allowed),
        ...(edge.declared ? { blocked: pair.blocked } : {}),
      })),
    })),
    summary,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function formatPortSpecs(stage: Stage): string[] {
  return stage.ports.map((p) =>
    typeof p.port === 'number' && p.endPort !== undefined && p.endPort > p.port ? `${p.protocol} ${p.port}-${p.endPort}` : `${p.protocol} ${p.port}`,
  );
}

export function renderGraph(flow: StageFlow, config: StagewallConfig, format: GraphFormat): string {
  switch (format) {
    case 'mermaid':
      return renderMermaid(flow, config);
    case 'dot':
      return renderDot(flow, config);
    case 'json':
      return renderGraphJson(flow, config);
  }
}
