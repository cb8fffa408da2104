// IP ranges for ipBlock semantics: a block admits its CIDR minus every `except` CIDR.
// Addresses are bigints so IPv4 and IPv6 share one code path; families never mix.
import { isIPv4, isIPv6 } from 'node:net';
import { StagewallError } from '../errors.js';
import { mergeSpans, sortSpans, subtractSpans, type SpanOps } from './intervals.js';

export type IpFamily = 4 | 6;

export interface Cidr {
  readonly text: string;
  readonly family: IpFamily;
  readonly prefix: number;
  readonly start: bigint;
  readonly end: bigint;
}

/** An inclusive range of addresses of one family. */
export interface IpRange {
  readonly family: IpFamily;
  readonly start: bigint;
  readonly end: bigint;
}

function ipv4ToBigInt(ip: string): bigint {
  return ip.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6ToBigInt(ip: string): bigint {
  let text = ip;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const n = ipv4ToBigInt(v4[1]);
    text = `${text.slice(0, -v4[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headParts.length - tailParts.length;
  const parts = [...headParts, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailParts];
  return parts.reduce((acc, part) => (acc << 16n) | BigInt(parseInt(part, 16)), 0n);
}

/** Parses `a.b.c.d/n` or an IPv6 CIDR; host bits are masked off, as the API server's parser does. */
export function parseCidr(text: string): Cidr {
  const invalid = (why: string) => new StagewallError('CIDR_INVALID', `"${text}" is not a valid CIDR: ${why}`);
  if (typeof text !== 'string') throw invalid('not a string');
  const slash = text.indexOf('/');
  if (slash < 0) throw invalid('missing /prefix (write 10.0.0.0/8 or 2001:db8::/32)');
  const ip = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) throw invalid('the prefix length is not a number');
  const prefix = Number(prefixText);
  let family: IpFamily;
  let addr: bigint;
  // node:net accepts an IPv6 zone (fe80::1%eth0); a CIDR has none, and Go's parser refuses it.
  if (ip.includes('%')) throw invalid('an IPv6 zone (%...) is not allowed in a CIDR');
  if (isIPv4(ip)) {
    family = 4;
    addr = ipv4ToBigInt(ip);
  } else if (isIPv6(ip)) {
    family = 6;
    addr = ipv6ToBigInt(ip);
  } else {
    throw invalid(`"${ip}" is not an IPv4 or IPv6 address`);
  }
  const bits = family === 4 ? 32 : 128;
  if (prefix > bits) throw invalid(`the prefix length must be at most ${bits}`);
  const hostBits = BigInt(bits - prefix);
  const start = (addr >> hostBits) << hostBits;
  const end = start + (1n << hostBits) - 1n;
  return { text, family, prefix, start, end };
}

/** True when the CIDR is every address of its family: 0.0.0.0/0 or ::/0. */
export function isEveryAddress(cidr: Cidr): boolean {
  return cidr.prefix === 0;
}

/** The addresses an ipBlock admits: its CIDR minus the excepted CIDRs, as disjoint sorted ranges. */
export function ipBlockRanges(cidr: Cidr, except: readonly Cidr[]): IpRange[] {
  return subtract([{ family: cidr.family, start: cidr.start, end: cidr.end }], except);
}

const byStart = (a: IpRange, b: IpRange) => a.family - b.family || (a.start < b.start ? -1 : a.start > b.start ? 1 : 0);

/** IP ranges as spans for the shared interval sweep, grouped by family. */
const RANGE_SPANS: SpanOps<IpRange, bigint> = {
  start: (r) => r.start,
  end: (r) => r.end,
  piece: (of, start, end) => (start === of.start && end === of.end ? of : { family: of.family, start, end }),
  next: (x) => x + 1n,
  prev: (x) => x - 1n,
  group: (r) => r.family,
};

/**
 * `ranges` minus `holes`, keeping only the holes of the same family: sorted disjoint ranges.
 * The ranges are sorted (when they are not) and the holes sorted and merged once, then swept
 * together: O((ranges + holes) log + output), where hole by hole it was ranges × holes.
 */
export function subtract(ranges: readonly IpRange[], holes: readonly IpRange[]): IpRange[] {
  const result = subtractSpans(sortSpans(ranges, RANGE_SPANS), mergeSpans(holes, RANGE_SPANS), RANGE_SPANS);
  // Already in order unless the ranges overlapped.
  return result.sort(byStart);
}

/** True when the address `ip` (IPv4 or IPv6, no prefix) lies in one of `ranges`; false for anything else. */
export function addressWithin(ip: string, ranges: readonly IpRange[]): boolean {
  const family = isIPv4(ip) ? 4 : isIPv6(ip) ? 6 : undefined;
  if (family === undefined) return false;
  const addr = parseCidr(`${ip}/${family === 4 ? 32 : 128}`).start;
  return ranges.some((r) => r.family === family && r.start <= addr && addr <= r.end);
}

/** Is the whole range inside one of `ranges` (sorted, disjoint, as ipBlockRanges gives them)? Binary search. */
export function rangeWithinSorted(range: IpRange, ranges: readonly IpRange[]): boolean {
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

/** True when `inner` lies inside `outer` (same family). */
export function rangeContains(outer: IpRange, inner: IpRange): boolean {
  return inner.family === outer.family && outer.start <= inner.start && inner.end <= outer.end;
}

export function sameRange(a: IpRange, b: IpRange): boolean {
  return a.family === b.family && a.start === b.start && a.end === b.end;
}

/** `ranges` ∩ `range`. */
export function clipRanges(ranges: readonly IpRange[], range: IpRange): IpRange[] {
  return subtract(ranges, subtract(ranges, [range]));
}

/** True when every address of `ranges` lies inside one of `allowed`. */
export function rangesWithin(ranges: readonly IpRange[], allowed: readonly IpRange[]): boolean {
  return subtract(ranges, allowed).length === 0;
}

/**
 * The first `limit` CIDRs of `ranges` (as rangeToCidrs writes them) and how many there are in
 * all: a message shows a few, and formatting the 16,000 pieces of a block full of excepts
 * only to drop them cost more than the judging.
 */
export function someCidrs(ranges: readonly IpRange[], limit: number): { readonly shown: string[]; readonly count: number } {
  const shown: string[] = [];
  let count = 0;
  for (const range of ranges) {
    if (shown.length < limit) {
      const cidrs = rangeToCidrs(range);
      shown.push(...cidrs.slice(0, limit - shown.length));
      count += cidrs.length;
    } else count += countCidrs(range);
  }
  return { shown, count };
}

/** The size of the largest aligned block at `start` that fits in the range, as a bit count. */
function blockBits(start: bigint, end: bigint, bits: number): number {
  let size = 0;
  while (size < bits) {
    const blockSize = 1n << BigInt(size + 1);
    if (start % blockSize !== 0n || start + blockSize - 1n > end) break;
    size += 1;
  }
  return size;
}

function countCidrs(range: IpRange): number {
  const bits = range.family === 4 ? 32 : 128;
  let n = 0;
  for (let start = range.start; start <= range.end; start += 1n << BigInt(blockBits(start, range.end, bits))) n += 1;
  return n;
}

/** Formats a range back into the fewest CIDRs, for messages. */
export function rangeToCidrs(range: IpRange): string[] {
  const bits = range.family === 4 ? 32 : 128;
  const out: string[] = [];
  let start = range.start;
  while (start <= range.end) {
    const size = blockBits(start, range.end, bits);
    out.push(`${formatAddress(start, range.family)}/${bits - size}`);
    start += 1n << BigInt(size);
  }
  return out;
}

export function formatAddress(addr: bigint, family: IpFamily): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => ((addr >> shift) & 0xffn).toString()).join('.');
  }
  const parts: string[] = [];
  for (let i = 7; i >= 0; i -= 1) parts.push(((addr >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Compress the longest run of zero hextets, as RFC 5952 asks.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (parts[i] !== '0') {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === '0') j += 1;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return parts.join(':');
  return `${parts.slice(0, bestStart).join(':')}::${parts.slice(bestStart + bestLen).join(':')}`;
}
