// The stage flow: each edge of the declared flow asked of the stages' pods (real workloads, or
// representative pods), for `stagewall graph`, the flow-blocked rule and the property test; and
// the declared flow cached per view version.
import type { PortSpec, Stage, StagewallConfig } from '../config/model.js';
import {
  ALL_PORTS,
  intersect,
  isEmpty,
  NO_PORTS,
  portSetOf,
  portSetOfSpecs,
  splitName,
  subtract,
  unionAll,
  type Interval,
  type PortSet,
} from '../shared/ports.js';
import { pipelineOfNamespace } from './peers.js';
import { egressPorts, ingressPorts, namedContainerPort, type PodEndpoint } from './reachability.js';
import type { View } from './view.js';

/** Served ports per stage: a stage is immutable, and asked once per rule it judges. Lives as long as its config. */
const servedByStage = new WeakMap<Stage, PortSet>();

/** The ports a stage declares it serves, as a set; undefined when it declares none. */
export function servedPorts(stage: Stage): PortSet | undefined {
  if (stage.ports.length === 0) return undefined;
  let set = servedByStage.get(stage);
  if (set === undefined) {
    set = portSetOfSpecs(stage.ports);
    servedByStage.set(stage, set);
  }
  return set;
}

/**
 * Where a stage's pods are taken to run. Its configured namespace, when the view has it: if that
 * is not a (non-exempt) pipeline namespace of the stage's pipeline, nowhere, since stagewall
 * judges no pod of the stage there. When the view lacks it: every pipeline namespace of the
 * stage's pipeline in the view (sorted), as the pods may run in any of them; none when there is none.
 */
export function stagePlacements(config: StagewallConfig, view: View): ReadonlyMap<string, readonly string[]> {
  const byPipeline = new Map<string, string[]>();
  for (const ns of view.namespaces()) {
    const pipeline = pipelineOfNamespace(ns, config);
    if (!pipeline) continue;
    const list = byPipeline.get(pipeline.name) ?? [];
    list.push(ns.name);
    byPipeline.set(pipeline.name, list);
  }
  for (const list of byPipeline.values()) list.sort();
  const placements = new Map<string, readonly string[]>();
  for (const stage of config.stages.values()) {
    const configured = view.namespace(stage.namespace);
    if (configured) placements.set(stage.id, pipelineOfNamespace(configured, config)?.name === stage.pipeline ? [stage.namespace] : []);
    else placements.set(stage.id, byPipeline.get(stage.pipeline) ?? []);
  }
  return placements;
}

/**
 * The representative pod of a stage in a namespace: exactly the pipeline and stage labels, no IP,
 * and a container port per named port the stage serves (its number unknown). Policies that select
 * pods by other labels, or pod IPs by ipBlock, are not seen through it.
 */
export function representativePod(stage: Stage, namespace: string, config: StagewallConfig): PodEndpoint {
  const named = stage.ports.filter((p): p is PortSpec & { port: string } => typeof p.port === 'string');
  return {
    namespace,
    labels: { [config.labels.pipeline]: stage.pipeline, [config.labels.stage]: stage.name },
    containerPorts: named.map((p) => ({ name: p.port, protocol: p.protocol })),
  };
}

export type EdgeKind = 'declared-allowed' | 'declared-blocked' | 'undeclared-allowed' | 'declared-unverified';

/** One (source namespace, destination namespace) placement of an edge. */
export interface PlacementPair {
  readonly fromNamespace: string;
  readonly toNamespace: string;
  /** What the source's egress and the destination's ingress each let through, and both. */
  readonly egress: PortSet;
  readonly ingress: PortSet;
  readonly allowed: PortSet;
  /**
   * For a declared edge: the served ports each side leaves out (when the destination serves
   * none, any one port will do, and a side blocks when it admits no port, or when the two sides
   * admit disjoint ports). Empty when the side lets the flow through.
   */
  readonly egressBlocks: PortSet | undefined;
  readonly ingressBlocks: PortSet | undefined;
  readonly blocked: boolean;
}

export interface StageEdge {
  readonly from: Stage;
  readonly to: Stage;
  readonly declared: boolean;
  readonly kind: EdgeKind;
  /** The ports the destination stage declares it serves; undefined when it declares none. */
  readonly served: PortSet | undefined;
  /** What the policies let through, over every placement pair. */
  readonly allowed: PortSet;
  /** Declared edges: the served ports blocked in some placement pair (NO_PORTS when none are served). */
  readonly blocked: PortSet;
  readonly pairs: readonly PlacementPair[];
}

/**
 * The workloads of each stage in each namespace (`stage id` NUL `namespace`), from the view's
 * workloads tagged with their stage; a stage placed in a namespace without one is stood for by a
 * representative pod there.
 */
export type StageWorkloads = ReadonlyMap<string, readonly PodEndpoint[]>;

const stageKey = (stage: string, namespace: string) => `${stage}\u0000${namespace}`;

export function stageWorkloads(view: View): StageWorkloads {
  const byStage = new Map<string, PodEndpoint[]>();
  for (const w of view.workloads?.() ?? []) {
    if (w.stage === undefined) continue;
    const key = stageKey(w.stage, w.namespace);
    const list = byStage.get(key);
    if (list) list.push(w.endpoint);
    else byStage.set(key, [w.endpoint]);
  }
  return byStage;
}

/** The ids of the view's workloads of each stage, over its placements; a stage without any is judged on representative pods. */
function workloadIdsByStage(config: StagewallConfig, view: View, placements: ReadonlyMap<string, readonly string[]>): ReadonlyMap<string, readonly string[]> {
  const result = new Map<string, string[]>();
  for (const w of view.workloads?.() ?? []) {
    if (w.stage === undefined || !(placements.get(w.stage) ?? []).includes(w.namespace)) continue;
    const list = result.get(w.stage) ?? [];
    list.push(w.id);
    result.set(w.stage, list);
  }
  for (const stage of config.stages.values()) if (!result.has(stage.id)) result.set(stage.id, []);
  return result;
}

function endpointsOf(stage: Stage, namespace: string, config: StagewallConfig, workloads: StageWorkloads): readonly PodEndpoint[] {
  return workloads.get(stageKey(stage.id, namespace)) ?? [representativePod(stage, namespace, config)];
}

/**
 * One placement pair over the stages' pods there: real workloads, or a representative pod. A
 * declared edge must get through between every source and destination pod (what is open is what
 * is open for all, and it is blocked when any pair is); an undeclared one opens what any pair opens.
 */
function evaluatePair(
  from: Stage,
  to: Stage,
  fromNamespace: string,
  toNamespace: string,
  declared: boolean,
  config: StagewallConfig,
  view: View,
  workloads: StageWorkloads,
): PlacementPair {
  const sources = endpointsOf(from, fromNamespace, config, workloads);
  const destinations = endpointsOf(to, toNamespace, config, workloads);
  const results: PlacementPair[] = [];
  const real = workloads.has(stageKey(to.id, toNamespace));
  for (const source of sources)
    for (const destination of destinations) results.push(evaluateEndpoints(source, destination, to, fromNamespace, toNamespace, declared, view, real));
  if (results.length === 1) return results[0]!;
  const meet = (sets: PortSet[]) => sets.reduce((a, b) => intersect(a, b));
  const blocks = (pick: (p: PlacementPair) => PortSet | undefined) => (declared ? unionAll(results.map((p) => pick(p) ?? NO_PORTS)) : undefined);
  return {
    fromNamespace,
    toNamespace,
    egress: meet(results.map((p) => p.egress)),
    ingress: meet(results.map((p) => p.ingress)),
    allowed: declared ? meet(results.map((p) => p.allowed)) : unionAll(results.map((p) => p.allowed)),
    egressBlocks: blocks((p) => p.egressBlocks),
    ingressBlocks: blocks((p) => p.ingressBlocks),
    blocked: results.some((p) => p.blocked),
  };
}

/**
 * The ports a real destination pod serves of those its stage declares: a declared name is the
 * pod's container port of that name (the first, when its protocol matches); a name the pod does
 * not have is not served there, so no policy can block it. Undefined when nothing is left.
 */
function servedByPod(served: PortSet, destination: PodEndpoint): PortSet | undefined {
  if (served.names.size === 0) return served;
  const numbers: [string, Interval[]][] = [...served.numbers].map(([p, list]) => [p, [...list]]);
  for (const key of served.names) {
    const [protocol, name] = splitName(key);
    const cp = namedContainerPort(destination, name, protocol);
    if (typeof cp?.containerPort === 'number') numbers.push([protocol, [[cp.containerPort, cp.containerPort]]]);
  }
  const set = portSetOf(numbers);
  return isEmpty(set) ? undefined : set;
}

function evaluateEndpoints(
  source: PodEndpoint,
  destination: PodEndpoint,
  to: Stage,
  fromNamespace: string,
  toNamespace: string,
  declared: boolean,
  view: View,
  real = false,
): PlacementPair {
  const egress = egressPorts(source, destination, view);
  const ingress = ingressPorts(source, destination, view);
  const both = intersect(egress, ingress);
  const base = { fromNamespace, toNamespace, egress, ingress, allowed: both };
  if (!declared) return { ...base, egressBlocks: undefined, ingressBlocks: undefined, blocked: false };
  const declaredServed = servedPorts(to);
  const served = declaredServed && real ? servedByPod(declaredServed, destination) : declaredServed;
  if (served) {
    const egressBlocks = subtract(served, egress);
    const ingressBlocks = subtract(served, ingress);
    return { ...base, egressBlocks, ingressBlocks, blocked: !isEmpty(egressBlocks) || !isEmpty(ingressBlocks) };
  }
  if (!isEmpty(both)) return { ...base, egressBlocks: NO_PORTS, ingressBlocks: NO_PORTS, blocked: false };
  // No port served and none open both ways: blame the empty side(s), or both when they are disjoint.
  const disjoint = !isEmpty(egress) && !isEmpty(ingress);
  return {
    ...base,
    egressBlocks: isEmpty(egress) || disjoint ? ALL_PORTS : NO_PORTS,
    ingressBlocks: isEmpty(ingress) || disjoint ? ALL_PORTS : NO_PORTS,
    blocked: true,
  };
}

/** The edge from one stage to another, over every placement pair of the two stages. */
export function evaluateEdge(
  from: Stage,
  to: Stage,
  config: StagewallConfig,
  view: View,
  placements: ReadonlyMap<string, readonly string[]> = stagePlacements(config, view),
  workloads: StageWorkloads = stageWorkloads(view),
): StageEdge {
  const declared = from.egressTo.has(to.id);
  const pairs: PlacementPair[] = [];
  for (const fromNamespace of placements.get(from.id) ?? []) {
    for (const toNamespace of placements.get(to.id) ?? []) pairs.push(evaluatePair(from, to, fromNamespace, toNamespace, declared, config, view, workloads));
  }
  const allowedAll = unionAll(pairs.map((p) => p.allowed));
  const served = servedPorts(to);
  // What each side leaves out of what the destination serves there: for a real pod a declared
  // name is its container port's number, so this is taken from the pairs, not from the config.
  const blocked = served ? unionAll(pairs.filter((p) => p.blocked).flatMap((p) => [p.egressBlocks ?? NO_PORTS, p.ingressBlocks ?? NO_PORTS])) : NO_PORTS;
  const kind: EdgeKind = declared
    ? pairs.length === 0
      ? 'declared-unverified'
      : pairs.some((p) => p.blocked)
        ? 'declared-blocked'
        : 'declared-allowed'
    : 'undeclared-allowed';
  return { from, to, declared, kind, served, allowed: allowedAll, blocked, pairs };
}

export interface StageFlow {
  readonly placements: ReadonlyMap<string, readonly string[]>;
  /** The workloads of each stage in its placements; empty: the stage is judged on representative pods. */
  readonly workloads: ReadonlyMap<string, readonly string[]>;
  /** Every declared edge, and every undeclared one the policies allow, in config order. */
  readonly edges: readonly StageEdge[];
}

/** The declared flow against what the policies of the view allow, between every ordered pair of stages. */
export function stageFlow(config: StagewallConfig, view: View): StageFlow {
  const placements = stagePlacements(config, view);
  const workloads = stageWorkloads(view);
  const edges: StageEdge[] = [];
  for (const from of config.stages.values()) {
    for (const to of config.stages.values()) {
      const edge = evaluateEdge(from, to, config, view, placements, workloads);
      if (edge.declared || !isEmpty(edge.allowed)) edges.push(edge);
    }
  }
  return { placements, workloads: workloadIdsByStage(config, view, placements), edges };
}

export interface DeclaredFlow {
  readonly placements: ReadonlyMap<string, readonly string[]>;
  /** As in StageFlow. */
  readonly workloads: ReadonlyMap<string, readonly string[]>;
  /** Every declared edge, evaluated over every placement pair. */
  readonly edges: readonly StageEdge[];
  /** The edges with an end placed in each namespace, in the order of `edges`. */
  readonly edgesByNamespace: ReadonlyMap<string, readonly StageEdge[]>;
}

/** Indexes the edges by the namespaces of their ends, so that asking one namespace costs its own edges, not the whole flow. */
function edgesByNamespaceOf(edges: readonly StageEdge[], placements: ReadonlyMap<string, readonly string[]>): ReadonlyMap<string, readonly StageEdge[]> {
  const index = new Map<string, StageEdge[]>();
  for (const edge of edges) {
    const namespaces = new Set([...(placements.get(edge.from.id) ?? []), ...(placements.get(edge.to.id) ?? [])]);
    for (const namespace of namespaces) {
      const list = index.get(namespace);
      if (list) list.push(edge);
      else index.set(namespace, [edge]);
    }
  }
  return index;
}

const declaredFlowCache = new WeakMap<View, { version: number; config: StagewallConfig; flow: DeclaredFlow }>();

/**
 * The declared edges of the config evaluated against the view, once per view version and config:
 * the flow-blocked rule asks for it once per Namespace, and a check of 1,000 namespaces must not
 * evaluate the whole flow 1,000 times. Views without a version are evaluated every time.
 */
export function declaredFlow(config: StagewallConfig, view: View): DeclaredFlow {
  const cached = declaredFlowCache.get(view);
  if (cached && view.version !== undefined && cached.version === view.version && cached.config === config) return cached.flow;
  const placements = stagePlacements(config, view);
  const workloads = stageWorkloads(view);
  const edges: StageEdge[] = [];
  for (const from of config.stages.values()) {
    for (const id of from.egressTo) {
      const to = config.stages.get(id);
      if (to) edges.push(evaluateEdge(from, to, config, view, placements, workloads));
    }
  }
  const flow = { placements, workloads: workloadIdsByStage(config, view, placements), edges, edgesByNamespace: edgesByNamespaceOf(edges, placements) };
  if (view.version !== undefined) declaredFlowCache.set(view, { version: view.version, config, flow });
  return flow;
}
