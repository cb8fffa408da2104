// Reachability: does Kubernetes let traffic from one endpoint reach another on a port? Exactly the
// NetworkPolicy semantics over the view's compiled policies: the source's egress AND the
// destination's ingress must admit it.
import { addressWithin, rangeWithinSorted, type IpRange } from '../shared/cidr.js';
import {
  ALL_PORTS,
  DEFAULT_PROTOCOL,
  hasName,
  hasNumber,
  intersect,
  isEmpty,
  MAX_PORT,
  MIN_PORT,
  nameKey,
  NO_PORTS,
  portSetOf,
  unionAll,
  type Interval,
  type PortSet,
} from '../shared/ports.js';
import { rulesOf } from './direction.js';
import { isolatingOf, type CompiledPeer, type CompiledPolicy, type CompiledRule } from './policies.js';
import type { ContainerPort, Labels } from './types.js';
import { syntheticNamespace, type View } from './view.js';

// ---------------------------------------------------------------------------------------------
// Endpoints

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

function namespaceLabels(name: string, view: View): Labels {
  return (view.namespace(name) ?? syntheticNamespace(name)).labels;
}

/** Is the whole range inside one of `ranges` (sorted, disjoint, as ipBlockRanges gives them)? Binary search. */ /** Does one peer of a policy in `policyNamespace` match the endpoint? */
export function peerMatches(peer: CompiledPeer, endpoint: Endpoint, policyNamespace: string, view: View): boolean {
  if (peer.ipBlock) {
    if ('range' in endpoint) return rangeWithinSorted(endpoint.range, peer.ipBlock.ranges);
    return endpoint.ip !== undefined && addressWithin(endpoint.ip, peer.ipBlock.ranges);
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
  return isolatingOf(view.policiesIn(pod.namespace), direction, pod.labels);
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
function directionPorts(
  direction: 'ingress' | 'egress',
  pod: PodEndpoint,
  peer: Endpoint,
  destination: Endpoint,
  view: View,
  find: IsolatingPolicies,
): PortSet {
  const policies = find(pod, direction, view);
  if (policies.length === 0) return ALL_PORTS;
  const opened: PortSet[] = [];
  for (const policy of policies) {
    for (const rule of rulesOf(policy, direction)) {
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
