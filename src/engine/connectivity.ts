// Connectivity: does Kubernetes let traffic from one endpoint reach another on a port? Exactly the
// NetworkPolicy semantics over the view's compiled policies: the source's egress AND the
// destination's ingress must admit it. Then the same question per edge of the declared flow, asked
// of representative stage pods, for `stagewall graph`, the flow-blocked rule and the property test.
import { isIPv4, isIPv6 } from 'node:net';
import type { PortSpec, Stage, StagewallConfig } from '../config/model.js';
import { parseCidr, type IpRange } from '../shared/cidr.js';
import { mergeSpans, NUMBER_TUPLES, subtractSpans } from '../shared/intervals.js';
import { pipelineOfNamespace } from './peers.js';
import { isolates, type CompiledPeer, type CompiledPolicy, type CompiledRule } from './policies.js';
import type { ContainerPort, Labels } from './types.js';
import { syntheticNamespace, type View } from './view.js';

// ---------------------------------------------------------------------------------------------
// Endpoints and ports

/** A concrete pod: what policies select (namespace, labels) and what named ports resolve against. */
export interface PodEndpoint {
  readonly namespace: string;
  readonly labels: Labels;
  /** The pod's container ports; a named port without `containerPort` has an unknown number. */
  readonly containerPorts?: readonly ContainerPort[] | undefined;
  /** The pod's IP, when known: only then can an ipBlock peer match the pod. */
  readonly ip?: string | undefined;
}

/** An address outside the cluster's pods: only ipBlock peers (and peerless rules) match it. */
export interface IpEndpoint {
  readonly ip: string;
}

/**
 * A range of addresses outside the cluster, as `connectivity` splits them: an ipBlock peer
 * matches it when the whole range lies inside the block (cidr minus excepts).
 */
export interface RangeEndpoint {
  readonly range: IpRange;
}

export type Endpoint = PodEndpoint | IpEndpoint | RangeEndpoint;

/** One port of one protocol (default TCP); a string names a container port of the destination pod. */
export interface TrafficPort {
  readonly port: number | string;
  readonly protocol?: string | undefined;
}

export function isPod(endpoint: Endpoint): endpoint is PodEndpoint {
  return (endpoint as PodEndpoint).namespace !== undefined;
}

export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
const MIN_PORT = 1;
const MAX_PORT = 65535;
const DEFAULT_PROTOCOL = 'TCP';

type Interval = readonly [number, number];

/**
 * A set of (protocol, port): per protocol, sorted disjoint inclusive intervals; plus named ports
 * whose number is unknown (`TCP/metrics`), which only representative pods have. Such a name is in
 * a set that names it, or that holds every port of its protocol, and in no other.
 */
export interface PortSet {
  readonly numbers: ReadonlyMap<string, readonly Interval[]>;
  readonly names: ReadonlySet<string>;
}

export const NO_PORTS: PortSet = Object.freeze({ numbers: new Map<string, readonly Interval[]>(), names: new Set<string>() });
export const ALL_PORTS: PortSet = Object.freeze({
  numbers: new Map<string, readonly Interval[]>(PROTOCOLS.map((p) => [p, [[MIN_PORT, MAX_PORT] as const]])),
  names: new Set<string>(),
});

const nameKey = (protocol: string, name: string) => `${protocol}/${name}`;

function normalize(intervals: readonly Interval[]): Interval[] {
  return mergeSpans(intervals, NUMBER_TUPLES);
}

function portSetOf(entries: Iterable<readonly [string, readonly Interval[]]>, names: Iterable<string> = []): PortSet {
  // Gathered per protocol first, then normalized once: merging entry by entry was quadratic.
  const gathered = new Map<string, Interval[]>();
  for (const [protocol, intervals] of entries) {
    const list = gathered.get(protocol);
    if (list) for (const interval of intervals) list.push(interval);
    else gathered.set(protocol, [...intervals]);
  }
  const numbers = new Map<string, readonly Interval[]>();
  for (const [protocol, intervals] of gathered) {
    const merged = normalize(intervals);
    if (merged.length > 0) numbers.set(protocol, merged);
  }
  return { numbers, names: new Set(names) };
}

/** Every port of `protocol`. */
function coversProtocol(set: PortSet, protocol: string): boolean {
  const only = set.numbers.get(protocol);
  return only !== undefined && only.length === 1 && only[0]![0] <= MIN_PORT && only[0]![1] >= MAX_PORT;
}

export function hasNumber(set: PortSet, protocol: string, port: number): boolean {
  return (set.numbers.get(protocol) ?? []).some(([s, e]) => s <= port && port <= e);
}

export function hasName(set: PortSet, protocol: string, name: string): boolean {
  return set.names.has(nameKey(protocol, name)) || coversProtocol(set, protocol);
}

export function isEmpty(set: PortSet): boolean {
  return set.numbers.size === 0 && set.names.size === 0;
}

export function union(a: PortSet, b: PortSet): PortSet {
  if (isEmpty(a)) return b;
  if (isEmpty(b)) return a;
  return portSetOf([...a.numbers, ...b.numbers], [...a.names, ...b.names]);
}

/** The union of many sets at once, in O(n log n): a union per set, accumulated, was quadratic. */
export function unionAll(sets: Iterable<PortSet>): PortSet {
  const nonEmpty: PortSet[] = [];
  for (const set of sets) if (!isEmpty(set)) nonEmpty.push(set);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? NO_PORTS;
  const entries: (readonly [string, readonly Interval[]])[] = [];
  const names: string[] = [];
  for (const set of nonEmpty) {
    for (const entry of set.numbers) entries.push(entry);
    for (const name of set.names) names.push(name);
  }
  return portSetOf(entries, names);
}

// Both take the sorted disjoint intervals of a PortSet and sweep them together: O(a + b).
function intersectIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [s1, e1] = a[i]!;
    const [s2, e2] = b[j]!;
    const s = Math.max(s1, s2);
    const e = Math.min(e1, e2);
    if (s <= e) out.push([s, e]);
    if (e1 < e2) i += 1;
    else j += 1;
  }
  return out;
}

function subtractIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  return subtractSpans(a, b, NUMBER_TUPLES);
}

function splitName(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}

export function intersect(a: PortSet, b: PortSet): PortSet {
  if (isEmpty(a) || isEmpty(b)) return NO_PORTS;
  // Most pairs of a large view are not isolated on one side: nothing to sweep.
  if (a === ALL_PORTS) return b;
  if (b === ALL_PORTS) return a;
  const entries: [string, Interval[]][] = [];
  for (const [protocol, intervals] of a.numbers) {
    const other = b.numbers.get(protocol);
    if (other) entries.push([protocol, intersectIntervals(intervals, other)]);
  }
  const names = [
    ...[...a.names].filter((k) => hasName(b, ...splitName(k))),
    ...[...b.names].filter((k) => hasName(a, ...splitName(k))),
  ];
  return portSetOf(entries, names);
}

/** `a` without `b`. */
export function subtract(a: PortSet, b: PortSet): PortSet {
  if (isEmpty(a) || isEmpty(b)) return a;
  const entries: [string, Interval[]][] = [];
  for (const [protocol, intervals] of a.numbers) entries.push([protocol, subtractIntervals(intervals, b.numbers.get(protocol) ?? [])]);
  return portSetOf(entries, [...a.names].filter((k) => !hasName(b, ...splitName(k))));
}

export function isSubset(a: PortSet, b: PortSet): boolean {
  return isEmpty(subtract(a, b));
}

/** `TCP 8080`, `TCP 8000-8010`, `UDP *` (every UDP port), `TCP metrics`; `any port` for everything. */
export function formatPorts(set: PortSet): string[] {
  if (PROTOCOLS.every((p) => coversProtocol(set, p))) return ['any port'];
  // Names sorted once and grouped by protocol: sorting them again for every protocol was quadratic.
  const namesByProtocol = new Map<string, string[]>();
  for (const key of [...set.names].sort()) {
    const [p, name] = splitName(key);
    const list = namesByProtocol.get(p);
    if (list) list.push(name);
    else namesByProtocol.set(p, [name]);
  }
  const protocols = [...new Set([...PROTOCOLS, ...set.numbers.keys(), ...namesByProtocol.keys()])];
  const out: string[] = [];
  for (const protocol of protocols) {
    if (coversProtocol(set, protocol)) {
      out.push(`${protocol} *`);
      continue;
    }
    for (const [s, e] of set.numbers.get(protocol) ?? []) out.push(s === e ? `${protocol} ${s}` : `${protocol} ${s}-${e}`);
    for (const name of namesByProtocol.get(protocol) ?? []) out.push(`${protocol} ${name}`);
  }
  return out;
}

/** Ports of the config (a stage's, an external entry's) as a set: numbers, ranges and names. */
export function portSetOfSpecs(ports: readonly PortSpec[]): PortSet {
  return portSetOf(
    ports.flatMap((p): [string, Interval[]][] => (typeof p.port === 'number' ? [[p.protocol, [[p.port, Math.max(p.port, p.endPort ?? p.port)]]]] : [])),
    ports.flatMap((p) => (typeof p.port === 'string' ? [nameKey(p.protocol, p.port)] : [])),
  );
}

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

/** The destination's container ports by name, in order, so that each named entry of a rule finds its own at once. */
function containerPortsByName(destination: PodEndpoint): Map<string, ContainerPort[]> {
  const byName = new Map<string, ContainerPort[]>();
  for (const cp of destination.containerPorts ?? []) {
    if (typeof cp.name !== 'string') continue;
    const list = byName.get(cp.name);
    if (list) list.push(cp);
    else byName.set(cp.name, [cp]);
  }
  return byName;
}

/** The destination's port of that name, when its protocol (default TCP) is `protocol`. */
export function namedContainerPort(destination: PodEndpoint, name: string, protocol: string): ContainerPort | undefined {
  const cp = (destination.containerPorts ?? []).find((c) => c.name === name);
  return cp !== undefined && (cp.protocol ?? DEFAULT_PROTOCOL) === protocol ? cp : undefined;
}

/**
 * The ports one policy rule opens towards `destination` (named ports resolved against it: the
 * first container port of the name, when its protocol is the rule's). With `anyOfName`, every
 * container port of the name and protocol counts instead: for a stand-in whose many real pods may
 * carry the name under different protocols (the flow rules' conservative reading).
 */
export function rulePorts(rule: CompiledRule, destination: Endpoint, anyOfName = false): PortSet {
  // No ports, or an empty list: the rule matches every port of every protocol.
  if (rule.ports.length === 0) return ALL_PORTS;
  const numbered: [string, Interval[]][] = [];
  const names: string[] = [];
  let byName: Map<string, ContainerPort[]> | undefined;
  /** (name, protocol) pairs already resolved: the same named entry twice opens nothing more. */
  let resolved: Map<string, Set<unknown>> | undefined;
  for (const entry of rule.ports) {
    const protocol = entry.protocol ?? DEFAULT_PROTOCOL;
    if (entry.port === undefined || entry.port === null) {
      numbered.push([protocol, [[MIN_PORT, MAX_PORT]]]);
      continue;
    }
    if (typeof entry.port === 'number') {
      // endPort below port is refused by the API server; read it as the single port.
      numbered.push([protocol, [[entry.port, Math.max(entry.port, entry.endPort ?? entry.port)]]]);
      continue;
    }
    // A named port is the destination pod's container port of that name and protocol, on ingress
    // and egress alike; an address outside the pods has no named ports.
    if (!isPod(destination)) continue;
    resolved ??= new Map();
    const protocols = resolved.get(entry.port) ?? new Set<unknown>();
    if (protocols.has(protocol)) continue;
    protocols.add(protocol);
    resolved.set(entry.port, protocols);
    byName ??= containerPortsByName(destination);
    // The first port of that name, and only when its protocol is the rule's: otherwise nothing.
    const ofName = byName.get(entry.port) ?? [];
    for (const cp of anyOfName ? ofName : ofName.slice(0, 1)) {
      if ((cp.protocol ?? DEFAULT_PROTOCOL) !== protocol) continue;
      if (typeof cp.containerPort === 'number') numbered.push([protocol, [[cp.containerPort, cp.containerPort]]]);
      else names.push(nameKey(protocol, entry.port));
    }
  }
  return portSetOf(numbered, names);
}

// ---------------------------------------------------------------------------------------------
// Peers and policies

function ipWithin(ip: string, ranges: readonly IpRange[]): boolean {
  const family = isIPv4(ip) ? 4 : isIPv6(ip) ? 6 : undefined;
  if (family === undefined) return false;
  const addr = parseCidr(`${ip}/${family === 4 ? 32 : 128}`).start;
  return ranges.some((r) => r.family === family && r.start <= addr && addr <= r.end);
}

function namespaceLabels(name: string, view: View): Labels {
  return (view.namespace(name) ?? syntheticNamespace(name)).labels;
}

/** Is the whole range inside one of `ranges` (sorted, disjoint, as ipBlockRanges gives them)? Binary search. */
function rangeWithin(range: IpRange, ranges: readonly IpRange[]): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  let found: IpRange | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid]!;
    if (r.family < range.family || (r.family === range.family && r.start <= range.start)) {
      if (r.family === range.family) found = r;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found !== undefined && found.start <= range.start && range.end <= found.end;
}

/** Does one peer of a policy in `policyNamespace` match the endpoint? */
export function peerMatches(peer: CompiledPeer, endpoint: Endpoint, policyNamespace: string, view: View): boolean {
  if (peer.ipBlock) {
    if ('range' in endpoint) return rangeWithin(endpoint.range, peer.ipBlock.ranges);
    return endpoint.ip !== undefined && ipWithin(endpoint.ip, peer.ipBlock.ranges);
  }
  if (!isPod(endpoint)) return false;
  // namespaceSelector and podSelector are ANDed; without a namespaceSelector the peer stays in the
  // policy's own namespace.
  const inNamespace = peer.namespaceSelector
    ? peer.namespaceSelector.matches(namespaceLabels(endpoint.namespace, view))
    : endpoint.namespace === policyNamespace;
  return inNamespace && (!peer.podSelector || peer.podSelector.matches(endpoint.labels));
}

function ruleAdmits(rule: CompiledRule, endpoint: Endpoint, policyNamespace: string, view: View): boolean {
  // No peers: every source or destination; otherwise the peers are ORed.
  return rule.peers.length === 0 || rule.peers.some((peer) => peerMatches(peer, endpoint, policyNamespace, view));
}

/** The policies that isolate `pod` in one direction: of its namespace, selecting it, with the direction in their effective policyTypes. */
export function isolating(pod: PodEndpoint, direction: 'ingress' | 'egress', view: View): readonly CompiledPolicy[] {
  return view.policiesIn(pod.namespace).filter((p) => isolates(p, direction, pod.labels));
}

/**
 * Finds the policies that isolate a pod in one direction. `isolating` scans its namespace; an
 * index over many pods (connectivity) answers the same from policies indexed by selector key.
 */
export type IsolatingPolicies = (pod: PodEndpoint, direction: 'ingress' | 'egress', view: View) => readonly CompiledPolicy[];

/**
 * The ports that `pod`'s own policies open in one direction towards `peer` (a named port is the
 * `destination`'s): every port when no policy isolates `pod` in that direction.
 */
function directionPorts(direction: 'ingress' | 'egress', pod: PodEndpoint, peer: Endpoint, destination: Endpoint, view: View, find: IsolatingPolicies): PortSet {
  const policies = find(pod, direction, view);
  if (policies.length === 0) return ALL_PORTS;
  const opened: PortSet[] = [];
  for (const policy of policies) {
    for (const rule of direction === 'ingress' ? policy.ingressRules : policy.egressRules) {
      if (ruleAdmits(rule, peer, policy.namespace, view)) opened.push(rulePorts(rule, destination));
    }
  }
  return unionAll(opened);
}

/** The ports on which `to`'s ingress admits `from`. */
export function ingressPorts(from: Endpoint, to: PodEndpoint, view: View, find: IsolatingPolicies = isolating): PortSet {
  return directionPorts('ingress', to, from, to, view, find);
}

/** The ports on which `from`'s egress lets it reach `to`. */
export function egressPorts(from: PodEndpoint, to: Endpoint, view: View, find: IsolatingPolicies = isolating): PortSet {
  return directionPorts('egress', from, to, to, view, find);
}

/**
 * Every (protocol, port) on which traffic from `from` reaches `to`: egress of the one AND ingress
 * of the other. The one reachability function: the rules (through the stage flow), `graph` and
 * `connectivity` all ask it; `find` only changes how isolating policies are looked up.
 */
export function allowedPorts(from: Endpoint, to: Endpoint, view: View, find: IsolatingPolicies = isolating): PortSet {
  // Policies govern pods only: an address outside the pods has no egress or ingress to check.
  const egress = isPod(from) ? egressPorts(from, to, view, find) : ALL_PORTS;
  if (isEmpty(egress)) return NO_PORTS;
  const ingress = isPod(to) ? ingressPorts(from, to, view, find) : ALL_PORTS;
  return intersect(egress, ingress);
}

/**
 * Is traffic from `from` to `to` on `port` allowed? A named port is the destination pod's
 * container port of that name and protocol; when the destination has none, nothing is allowed.
 */
export function allowed(from: Endpoint, to: Endpoint, port: TrafficPort, view: View): boolean {
  const protocol = port.protocol ?? DEFAULT_PROTOCOL;
  const ports = allowedPorts(from, to, view);
  if (typeof port.port === 'number') return hasNumber(ports, protocol, port.port);
  if (!isPod(to)) return false;
  const cp = namedContainerPort(to, port.port, protocol);
  if (!cp) return false;
  return typeof cp.containerPort === 'number' ? hasNumber(ports, protocol, cp.containerPort) : hasName(ports, protocol, port.port);
}

// ---------------------------------------------------------------------------------------------
// Stages: the declared flow against what the policies allow

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
function evaluatePair(from: Stage, to: Stage, fromNamespace: string, toNamespace: string, declared: boolean, config: StagewallConfig, view: View, workloads: StageWorkloads): PlacementPair {
  const sources = endpointsOf(from, fromNamespace, config, workloads);
  const destinations = endpointsOf(to, toNamespace, config, workloads);
  const results: PlacementPair[] = [];
  const real = workloads.has(stageKey(to.id, toNamespace));
  for (const source of sources) for (const destination of destinations) results.push(evaluateEndpoints(source, destination, to, fromNamespace, toNamespace, declared, view, real));
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

function evaluateEndpoints(source: PodEndpoint, destination: PodEndpoint, to: Stage, fromNamespace: string, toNamespace: string, declared: boolean, view: View, real = false): PlacementPair {
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
  const flow = { placements, workloads: workloadIdsByStage(config, view, placements), edges };
  if (view.version !== undefined) declaredFlowCache.set(view, { version: view.version, config, flow });
  return flow;
}
