// Every allowed connection between the workloads of a view, and between workloads and the IP
// ranges outside the cluster: what `stagewall connectivity` lists, in netpol-analyzer's terms.
// Each pair is decided by the engine's one reachability function (allowedPorts); this module only
// indexes the policies, so that finding the policies that isolate a workload does not scan its
// namespace, and splits the outside world into the ranges the ipBlocks tell apart.
import type { StagewallConfig } from '../config/model.js';
import { formatAddress, type IpFamily, type IpRange } from '../shared/cidr.js';
import { isEmpty, type PortSet, PROTOCOLS } from '../shared/ports.js';
import { rulesOf } from './direction.js';
import { allowedPorts, type IsolatingPolicies, type PodEndpoint } from './reachability.js';
import type { Workload } from './inventory.js';
import { isolates, type CompiledPolicy, type Direction } from './policies.js';
import { pinnedValues } from './selectors.js';
import type { View } from './view.js';

export type Peer =
  { readonly type: 'workload'; readonly workload: Workload; readonly id: string } | { readonly type: 'external'; readonly range: IpRange; readonly id: string };

export interface Connection {
  readonly src: Peer;
  readonly dst: Peer;
  readonly ports: PortSet;
  /** `All Connections`, or protocol items with merged port ranges, as netpol-analyzer writes them. */
  readonly conn: string;
}

const MAX_ADDRESS: Record<IpFamily, bigint> = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n };

/** `a.b.c.d-e.f.g.h[External]`, even for a single address. */
export function rangeId(range: IpRange): string {
  return `${formatAddress(range.start, range.family)}-${formatAddress(range.end, range.family)}[External]`;
}

/**
 * netpol-analyzer's connection text: `All Connections` when TCP, UDP and SCTP are all fully open;
 * otherwise `PROTO ranges` items, protocols sorted by name, ranges ascending and merged, all
 * joined by commas (`SCTP 1-9002,9004-65535,TCP 80,UDP 53`).
 */
export function formatConn(ports: PortSet): string {
  const full = (p: string) => {
    const list = ports.numbers.get(p);
    return list !== undefined && list.length === 1 && list[0]![0] <= 1 && list[0]![1] >= 65535;
  };
  if (PROTOCOLS.every(full)) return 'All Connections';
  const items: string[] = [];
  for (const protocol of [...ports.numbers.keys()].sort()) {
    const ranges = ports.numbers.get(protocol)!;
    if (ranges.length === 0) continue;
    items.push(`${protocol} ${ranges.map(([s, e]) => (s === e ? `${s}` : `${s}-${e}`)).join(',')}`);
  }
  return items.join(',');
}

/**
 * The ranges that the ipBlocks of one direction tell apart: every address of IPv4 (and of IPv6
 * when some block of that direction is IPv6), cut at each block's boundaries, so that every
 * block holds each range whole or not at all. Neighbours are never merged.
 */
export function externalRanges(view: View, direction: Direction): IpRange[] {
  const cuts: Record<IpFamily, Set<bigint>> = { 4: new Set([0n]), 6: new Set([0n]) };
  let ipv6 = false;
  for (const ns of view.namespaces()) {
    for (const policy of view.policiesIn(ns.name)) {
      for (const rule of rulesOf(policy, direction)) {
        for (const peer of rule.peers) {
          for (const r of peer.ipBlock?.ranges ?? []) {
            if (r.family === 6) ipv6 = true;
            cuts[r.family].add(r.start);
            if (r.end < MAX_ADDRESS[r.family]) cuts[r.family].add(r.end + 1n);
          }
        }
      }
    }
  }
  const ranges: IpRange[] = [];
  for (const family of ipv6 ? ([4, 6] as const) : ([4] as const)) {
    const starts = [...cuts[family]].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    starts.forEach((start, i) => ranges.push({ family, start, end: i + 1 < starts.length ? starts[i + 1]! - 1n : MAX_ADDRESS[family] }));
  }
  return ranges;
}

/**
 * The policies of each namespace indexed by one key their podSelector pins (matchLabels or In),
 * so that a workload meets only the policies that may select it, plus those pinning no key.
 */
class PolicyIndex {
  private readonly byNamespace = new Map<string, { pinned: Map<string, Map<string, CompiledPolicy[]>>; loose: CompiledPolicy[] }>();
  private readonly found = new Map<PodEndpoint, { ingress: readonly CompiledPolicy[]; egress: readonly CompiledPolicy[] }>();

  constructor(private readonly view: View) {}

  private indexOf(namespace: string) {
    let index = this.byNamespace.get(namespace);
    if (index) return index;
    index = { pinned: new Map(), loose: [] };
    for (const policy of this.view.policiesIn(namespace)) {
      let placed = false;
      for (const key of policy.podSelector.byKey.keys()) {
        const values = pinnedValues(policy.podSelector, key);
        if (values === undefined) continue;
        let byValue = index.pinned.get(key);
        if (!byValue) index.pinned.set(key, (byValue = new Map()));
        for (const value of values) {
          const list = byValue.get(value);
          if (list) list.push(policy);
          else byValue.set(value, [policy]);
        }
        placed = true;
        break;
      }
      if (!placed) index.loose.push(policy);
    }
    this.byNamespace.set(namespace, index);
    return index;
  }

  /** The same policies `isolating` finds, in any order. */
  isolating: IsolatingPolicies = (pod, direction) => {
    let entry = this.found.get(pod);
    if (!entry) {
      const index = this.indexOf(pod.namespace);
      const candidates: CompiledPolicy[] = [...index.loose];
      for (const [key, byValue] of index.pinned) {
        const value = Object.prototype.hasOwnProperty.call(pod.labels, key) ? pod.labels[key] : undefined;
        if (value !== undefined) candidates.push(...(byValue.get(value) ?? []));
      }
      entry = { ingress: candidates.filter((p) => isolates(p, 'ingress', pod.labels)), egress: candidates.filter((p) => isolates(p, 'egress', pod.labels)) };
      this.found.set(pod, entry);
    }
    return entry[direction];
  };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface ConnectivityOptions {
  /** Leave out the pairs with the outside world. */
  readonly workloadsOnly?: boolean;
}

/**
 * Every allowed connection of the view: workload to workload (never a workload to itself),
 * outside range to workload (split by ingress ipBlocks) and workload to outside range (split by
 * egress ipBlocks); pairs with no connection are left out. Sorted by src, then dst.
 */
export function connectivityOf(workloads: readonly Workload[], view: View, options: ConnectivityOptions = {}): Connection[] {
  const index = new PolicyIndex(view);
  const find = index.isolating;
  const result: Connection[] = [];
  const add = (src: Peer, dst: Peer, ports: PortSet) => {
    if (!isEmpty(ports)) result.push({ src, dst, ports, conn: formatConn(ports) });
  };
  const peers = workloads.map((w): Peer => ({ type: 'workload', workload: w, id: w.id }));
  for (const src of peers) {
    for (const dst of peers) {
      if (src === dst || src.type !== 'workload' || dst.type !== 'workload') continue;
      add(src, dst, allowedPorts(src.workload.endpoint, dst.workload.endpoint, view, find));
    }
  }
  if (!options.workloadsOnly) {
    const sources = externalRanges(view, 'ingress').map((range): Peer => ({ type: 'external', range, id: rangeId(range) }));
    const destinations = externalRanges(view, 'egress').map((range): Peer => ({ type: 'external', range, id: rangeId(range) }));
    for (const w of peers) {
      if (w.type !== 'workload') continue;
      for (const s of sources) if (s.type === 'external') add(s, w, allowedPorts({ range: s.range }, w.workload.endpoint, view, find));
      for (const d of destinations) if (d.type === 'external') add(w, d, allowedPorts(w.workload.endpoint, { range: d.range }, view, find));
    }
  }
  return result.sort((a, b) => compare(a.src.id, b.src.id) || compare(a.dst.id, b.dst.id));
}

/** With a config: is this connection between two stages an edge the config does not declare? */
export function isBackdoor(connection: Connection, config: StagewallConfig): boolean {
  if (connection.src.type !== 'workload' || connection.dst.type !== 'workload') return false;
  const from = connection.src.workload.stage;
  const to = connection.dst.workload.stage;
  if (from === undefined || to === undefined) return false;
  return !(config.stages.get(from)?.egressTo.has(to) ?? false);
}
