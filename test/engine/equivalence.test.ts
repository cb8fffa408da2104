// The linear algorithms of issue 10 against the plain ones they replaced, on thousands of random
// (seeded) inputs: the selector folding (matches, mayMatch, pinnedValues), the swept CIDR
// subtraction, and the swept port intervals. The references are the old code, kept here verbatim
// in spirit: simple enough to be obviously right, too slow for hostile sizes.
import { strict as assert } from 'node:assert';
import { parseCidr, rangeToCidrs, someCidrs, subtract, type IpRange } from '../../src/shared/cidr.js';
import { rulePorts } from '../../src/engine/reachability.js';
import { formatPorts, hasName, hasNumber, intersect, isEmpty, type PortSet, subtract as subtractPorts, union, unionAll } from '../../src/shared/ports.js';
import { compileSelector, mayMatch, pinnedValues } from '../../src/engine/selectors.js';
import type { LabelSelector, LabelSelectorRequirement, NetworkPolicyPort } from '../../src/engine/types.js';
import { mulberry32 } from '../helpers/random.js';

const random = (seed: number) => {
  const next = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T;
  return { int, pick, chance: (p: number) => next() < p };
};

// ---------------------------------------------------------------------------------------------
// Selectors: the reference is the requirement-by-requirement code before issue 10.

interface RefRequirement {
  key: string;
  operator: string;
  values: Set<string>;
}
const OTHER_VALUE = '\u0000stagewall-other';

function refRequirements(selector: LabelSelector): RefRequirement[] {
  const reqs: RefRequirement[] = Object.entries(selector.matchLabels ?? {}).map(([key, v]) => ({ key, operator: 'In', values: new Set([v]) }));
  for (const e of selector.matchExpressions ?? []) reqs.push({ key: e.key, operator: e.operator, values: new Set(e.values ?? []) });
  return reqs;
}
function refHolds(req: RefRequirement, value: string | undefined): boolean {
  switch (req.operator) {
    case 'In':
      return value !== undefined && req.values.has(value);
    case 'NotIn':
      return value === undefined || !req.values.has(value);
    case 'Exists':
      return value !== undefined;
    default:
      return value === undefined;
  }
}
function refMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  return refRequirements(selector).every((r) => refHolds(r, Object.prototype.hasOwnProperty.call(labels, r.key) ? labels[r.key] : undefined));
}
function refMayMatch(selector: LabelSelector, fixed: Record<string, string | null>, present: string[]): boolean {
  const byKey = new Map<string, RefRequirement[]>();
  for (const req of refRequirements(selector)) byKey.set(req.key, [...(byKey.get(req.key) ?? []), req]);
  for (const [key, reqs] of byKey) {
    if (Object.prototype.hasOwnProperty.call(fixed, key)) {
      if (!reqs.every((r) => refHolds(r, fixed[key] ?? undefined))) return false;
      continue;
    }
    const candidates: (string | undefined)[] = [OTHER_VALUE];
    if (!present.includes(key)) candidates.push(undefined);
    for (const r of reqs) for (const v of r.values) candidates.push(v);
    if (!candidates.some((v) => reqs.every((r) => refHolds(r, v)))) return false;
  }
  return true;
}
function refPinned(selector: LabelSelector, key: string): string[] | undefined {
  const reqs = refRequirements(selector);
  let pinned: Set<string> | undefined;
  for (const req of reqs) {
    if (req.key !== key || req.operator !== 'In') continue;
    pinned = pinned ? new Set([...pinned].filter((v) => req.values.has(v))) : new Set(req.values);
  }
  if (!pinned) return undefined;
  for (const req of reqs) {
    if (req.key !== key) continue;
    if (req.operator === 'DoesNotExist') pinned.clear();
    else if (req.operator === 'NotIn') for (const v of req.values) pinned.delete(v);
  }
  return [...pinned];
}

const KEYS = ['a', 'b', 'c', 'd'];
const VALUES = ['x', 'y', 'z', 'w', ''];

function randomSelector(r: ReturnType<typeof random>): LabelSelector {
  const selector: LabelSelector = {};
  if (r.chance(0.5)) {
    selector.matchLabels = {};
    for (const k of KEYS) if (r.chance(0.3)) selector.matchLabels[k] = r.pick(VALUES);
  }
  // Sometimes far more requirements than keys, so the per-key folding and the label walk both run.
  const count = r.pick([0, 1, 2, 3, 5, 20]);
  const expressions: LabelSelectorRequirement[] = [];
  for (let i = 0; i < count; i += 1) {
    const operator = r.pick(['In', 'In', 'NotIn', 'Exists', 'DoesNotExist']);
    const key = count > 10 && r.chance(0.7) ? `k${i}` : r.pick(KEYS);
    const values = operator === 'In' || operator === 'NotIn' ? VALUES.filter(() => r.chance(0.5)) : [];
    if ((operator === 'In' || operator === 'NotIn') && values.length === 0) values.push(r.pick(VALUES));
    expressions.push(operator === 'Exists' || operator === 'DoesNotExist' ? { key, operator } : { key, operator, values });
  }
  if (expressions.length > 0 || r.chance(0.5)) selector.matchExpressions = expressions;
  return selector;
}
function randomLabels(r: ReturnType<typeof random>): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const k of KEYS) if (r.chance(0.6)) labels[k] = r.pick(VALUES);
  for (let i = 0; i < 20; i += 1) if (r.chance(0.3)) labels[`k${i}`] = r.pick(VALUES);
  return labels;
}

describe('engine/selectors: the folded selector agrees with requirement-by-requirement evaluation', () => {
  const SELECTORS = 3000;
  const cases = [
    {
      name: 'matches(labels)',
      check: (s: LabelSelector, r: ReturnType<typeof random>) => {
        const labels = randomLabels(r);
        assert.equal(compileSelector(s).matches(labels), refMatches(s, labels), JSON.stringify({ s, labels }));
      },
    },
    {
      name: 'mayMatch(fixed, present)',
      check: (s: LabelSelector, r: ReturnType<typeof random>) => {
        const fixed: Record<string, string | null> = {};
        for (const k of KEYS) if (r.chance(0.3)) fixed[k] = r.chance(0.3) ? null : r.pick(VALUES);
        const present = KEYS.filter(() => r.chance(0.3));
        assert.equal(mayMatch(compileSelector(s), fixed, present), refMayMatch(s, fixed, present), JSON.stringify({ s, fixed, present }));
      },
    },
    {
      name: 'pinnedValues(key), in order',
      check: (s: LabelSelector, r: ReturnType<typeof random>) => {
        const key = r.pick(KEYS);
        const got = pinnedValues(compileSelector(s), key);
        assert.deepEqual(got === undefined ? undefined : [...got], refPinned(s, key), JSON.stringify({ s, key }));
      },
    },
  ];
  for (const c of cases) {
    it(`${c.name} on ${SELECTORS} random selectors`, () => {
      const r = random(0x5e1ec7);
      for (let i = 0; i < SELECTORS; i += 1) c.check(randomSelector(r), r);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// CIDR subtraction: the reference subtracts hole by hole.

function refSubtract(ranges: readonly IpRange[], holes: readonly IpRange[]): IpRange[] {
  let result = [...ranges];
  for (const hole of holes) {
    const next: IpRange[] = [];
    for (const r of result) {
      if (r.family !== hole.family || hole.end < r.start || hole.start > r.end) {
        next.push(r);
        continue;
      }
      if (hole.start > r.start) next.push({ family: r.family, start: r.start, end: hole.start - 1n });
      if (hole.end < r.end) next.push({ family: r.family, start: hole.end + 1n, end: r.end });
    }
    result = next;
  }
  return result.sort((a, b) => a.family - b.family || (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}
const plain = (ranges: readonly IpRange[]) => ranges.map((x) => `${x.family}:${x.start}-${x.end}`);

describe('engine/cidr: the swept subtract agrees with hole-by-hole subtraction', () => {
  it('on 3000 random sets of ranges and holes of both families (overlapping, nested, adjacent)', () => {
    const r = random(0xc1d5);
    for (let i = 0; i < 3000; i += 1) {
      const span = (family: 4 | 6): IpRange => {
        const start = BigInt(r.int(0, 60));
        return { family, start, end: start + BigInt(r.int(0, 12)) };
      };
      // Inputs as the engine has them: disjoint sorted ranges (an ipBlock's) minus any holes.
      const ranges = refSubtract([span(4), span(6)], [span(4), span(6)]);
      const holes = Array.from({ length: r.int(0, 8) }, () => span(r.chance(0.7) ? 4 : 6));
      assert.deepEqual(plain(subtract(ranges, holes)), plain(refSubtract(ranges, holes)), JSON.stringify(plain(ranges)) + ' - ' + JSON.stringify(plain(holes)));
    }
  });

  it('someCidrs shows the first CIDRs of rangeToCidrs and counts them all', () => {
    const r = random(0x50e);
    for (let i = 0; i < 500; i += 1) {
      const base = parseCidr('10.0.0.0/24');
      const holes = Array.from({ length: r.int(0, 10) }, () => {
        const start = base.start + BigInt(r.int(0, 250));
        return { family: 4 as const, start, end: start + BigInt(r.int(0, 5)) };
      });
      const ranges = subtract([base], holes);
      const all = ranges.flatMap(rangeToCidrs);
      const limit = r.int(0, 5);
      assert.deepEqual(someCidrs(ranges, limit), { shown: all.slice(0, limit), count: all.length });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Port sets: every operation against membership, port by port, over a small port space.

const PORTS = 40;
function randomPorts(r: ReturnType<typeof random>): PortSet {
  const entries: NetworkPolicyPort[] = Array.from({ length: r.int(1, 6) }, () => {
    const protocol = r.pick(['TCP', 'UDP']);
    if (r.chance(0.2)) return { protocol, port: r.pick(['http', 'metrics']) };
    const port = r.int(1, PORTS);
    return r.chance(0.4) ? { protocol, port, endPort: port + r.int(0, 8) } : { protocol, port };
  });
  const destination = { namespace: 'n', labels: {}, containerPorts: [{ name: 'http', containerPort: 7 }, { name: 'metrics' }] };
  return rulePorts({ peers: [], ports: entries }, destination);
}
const member = (set: PortSet) => {
  const out: string[] = [];
  for (const protocol of ['TCP', 'UDP', 'SCTP']) {
    for (let p = 1; p <= PORTS + 10; p += 1) if (hasNumber(set, protocol, p)) out.push(`${protocol}/${p}`);
    if (hasName(set, protocol, 'metrics')) out.push(`${protocol}/metrics`);
  }
  return out;
};

describe('engine/connectivity: swept port-set operations agree with port-by-port membership', () => {
  const cases: { name: string; op: (a: PortSet, b: PortSet) => PortSet; want: (a: Set<string>, b: Set<string>) => (x: string) => boolean }[] = [
    { name: 'union', op: union, want: (a, b) => (x) => a.has(x) || b.has(x) },
    { name: 'unionAll', op: (a, b) => unionAll([a, b, a]), want: (a, b) => (x) => a.has(x) || b.has(x) },
    { name: 'intersect', op: intersect, want: (a, b) => (x) => a.has(x) && b.has(x) },
    { name: 'subtract', op: subtractPorts, want: (a, b) => (x) => a.has(x) && !b.has(x) },
  ];
  for (const c of cases) {
    it(`${c.name} on 1000 random pairs`, () => {
      const r = random(0x9047);
      for (let i = 0; i < 1000; i += 1) {
        const a = randomPorts(r);
        const b = randomPorts(r);
        const ma = new Set(member(a));
        const mb = new Set(member(b));
        const want = [...new Set([...ma, ...mb])].filter(c.want(ma, mb)).sort(byMemberOrder);
        const got = c.op(a, b);
        assert.deepEqual(member(got), want, JSON.stringify({ a: formatPorts(a), b: formatPorts(b) }));
        assert.equal(isEmpty(got), member(got).length === 0);
      }
    });
  }
});

/** The order member() lists a set in: protocol, then port, then the name. */
function byMemberOrder(x: string, y: string): number {
  const order = (text: string) => {
    const [protocol, port] = text.split('/') as [string, string];
    return ['TCP', 'UDP', 'SCTP'].indexOf(protocol) * 1000 + (port === 'metrics' ? 999 : Number(port));
  };
  return order(x) - order(y);
}
