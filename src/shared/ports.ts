// Port-set algebra: sets of (protocol, port) as sorted disjoint intervals per protocol, plus
// named ports whose number is unknown. Pure arithmetic, shared by the engine and its fronts.
import { mergeSpans, NUMBER_TUPLES, subtractSpans } from './intervals.js';

export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
export const MIN_PORT = 1;
export const MAX_PORT = 65535;
export const DEFAULT_PROTOCOL = 'TCP';

export type Interval = readonly [number, number];

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

export const nameKey = (protocol: string, name: string) => `${protocol}/${name}`;

function normalize(intervals: readonly Interval[]): Interval[] {
  return mergeSpans(intervals, NUMBER_TUPLES);
}
export function portSetOf(entries: Iterable<readonly [string, readonly Interval[]]>, names: Iterable<string> = []): PortSet {
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

export function splitName(key: string): [string, string] {
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
  const names = [...[...a.names].filter((k) => hasName(b, ...splitName(k))), ...[...b.names].filter((k) => hasName(a, ...splitName(k)))];
  return portSetOf(entries, names);
}

/** `a` without `b`. */
export function subtract(a: PortSet, b: PortSet): PortSet {
  if (isEmpty(a) || isEmpty(b)) return a;
  const entries: [string, Interval[]][] = [];
  for (const [protocol, intervals] of a.numbers) entries.push([protocol, subtractIntervals(intervals, b.numbers.get(protocol) ?? [])]);
  return portSetOf(
    entries,
    [...a.names].filter((k) => !hasName(b, ...splitName(k))),
  );
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
/** A declared port: a number (up to `endPort`) or a name, of one protocol. */
export interface DeclaredPort {
  readonly port: number | string;
  readonly endPort?: number | undefined;
  readonly protocol: string;
}

/** Ports of the config (a stage's, an external entry's) as a set: numbers, ranges and names. */
export function portSetOfSpecs(ports: readonly DeclaredPort[]): PortSet {
  return portSetOf(
    ports.flatMap((p): [string, Interval[]][] => (typeof p.port === 'number' ? [[p.protocol, [[p.port, Math.max(p.port, p.endPort ?? p.port)]]]] : [])),
    ports.flatMap((p) => (typeof p.port === 'string' ? [nameKey(p.protocol, p.port)] : [])),
  );
}
