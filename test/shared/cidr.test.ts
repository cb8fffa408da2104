import { strict as assert } from 'node:assert';
import { StagewallError } from '../../src/errors.js';
import { ipBlockRanges, isEveryAddress, parseCidr, rangeToCidrs, rangesWithin, subtract, type IpFamily, type IpRange } from '../../src/shared/cidr.js';

const range = (text: string): IpRange => {
  const c = parseCidr(text);
  return { family: c.family, start: c.start, end: c.end };
};
/** Ranges rendered back as CIDR text, to compare with what a reader expects. */
const asCidrs = (ranges: readonly IpRange[]): string[] => ranges.flatMap(rangeToCidrs);

describe('shared/cidr: parseCidr', () => {
  const cases: { name: string; text: string; family: IpFamily; prefix: number; start: bigint; end: bigint }[] = [
    { name: 'IPv4 /24', text: '203.0.113.0/24', family: 4, prefix: 24, start: 0xcb007100n, end: 0xcb0071ffn },
    { name: 'IPv4 /32 is one address', text: '10.1.2.3/32', family: 4, prefix: 32, start: 0x0a010203n, end: 0x0a010203n },
    { name: 'IPv4 /0 is every address', text: '0.0.0.0/0', family: 4, prefix: 0, start: 0n, end: 0xffffffffn },
    { name: 'IPv4 host bits are masked off (as the API server does)', text: '10.1.2.3/8', family: 4, prefix: 8, start: 0x0a000000n, end: 0x0affffffn },
    { name: 'IPv4 host bits masked at /0', text: '192.168.1.1/0', family: 4, prefix: 0, start: 0n, end: 0xffffffffn },
    { name: 'IPv4 odd prefix /17', text: '172.16.200.0/17', family: 4, prefix: 17, start: 0xac108000n, end: 0xac10ffffn },
    { name: 'IPv6 compressed ::', text: '2001:db8::/32', family: 6, prefix: 32, start: 0x20010db8n << 96n, end: (0x20010db8n << 96n) | ((1n << 96n) - 1n) },
    { name: 'IPv6 ::/0 is every address', text: '::/0', family: 6, prefix: 0, start: 0n, end: (1n << 128n) - 1n },
    { name: 'IPv6 ::1/128 is loopback', text: '::1/128', family: 6, prefix: 128, start: 1n, end: 1n },
    { name: 'IPv6 trailing :: (fd00::/8)', text: 'fd00::/8', family: 6, prefix: 8, start: 0xfdn << 120n, end: (0xfdn << 120n) | ((1n << 120n) - 1n) },
    {
      name: 'IPv6 :: in the middle',
      text: '2001:db8::1:0/112',
      family: 6,
      prefix: 112,
      start: (0x20010db8n << 96n) | 0x10000n,
      end: (0x20010db8n << 96n) | 0x1ffffn,
    },
    {
      name: 'IPv6 fully written',
      text: '2001:db8:1:2:3:4:5:6/128',
      family: 6,
      prefix: 128,
      start: 0x20010db8000100020003000400050006n,
      end: 0x20010db8000100020003000400050006n,
    },
    { name: 'IPv6 upper-case hex', text: '2001:DB8::/32', family: 6, prefix: 32, start: 0x20010db8n << 96n, end: (0x20010db8n << 96n) | ((1n << 96n) - 1n) },
    { name: 'IPv6 embedded IPv4 ::ffff:1.2.3.4/128', text: '::ffff:1.2.3.4/128', family: 6, prefix: 128, start: 0xffff01020304n, end: 0xffff01020304n },
    {
      name: 'IPv6 embedded IPv4 with a small first octet pair',
      text: '::ffff:0.0.1.2/128',
      family: 6,
      prefix: 128,
      start: 0xffff00000102n,
      end: 0xffff00000102n,
    },
    { name: 'IPv6 embedded IPv4 /96 masks the IPv4 part', text: '::ffff:1.2.3.4/96', family: 6, prefix: 96, start: 0xffff00000000n, end: 0xffffffffffffn },
    {
      name: 'IPv6 host bits are masked off',
      text: '2001:db8::1/64',
      family: 6,
      prefix: 64,
      start: 0x20010db8n << 96n,
      end: (0x20010db8n << 96n) | ((1n << 64n) - 1n),
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = parseCidr(c.text);
      assert.deepEqual(
        { text: got.text, family: got.family, prefix: got.prefix, start: got.start, end: got.end },
        { text: c.text, family: c.family, prefix: c.prefix, start: c.start, end: c.end },
      );
    });
  }

  const invalid: { name: string; text: unknown; why: RegExp }[] = [
    { name: 'no prefix', text: '10.0.0.0', why: /missing \/prefix/ },
    { name: 'IPv6 without a prefix', text: '2001:db8::', why: /missing \/prefix/ },
    { name: 'an empty prefix', text: '10.0.0.0/', why: /prefix length is not a number/ },
    { name: 'a non-numeric prefix', text: '10.0.0.0/x', why: /prefix length is not a number/ },
    { name: 'a negative prefix', text: '10.0.0.0/-1', why: /prefix length is not a number/ },
    { name: 'a signed prefix', text: '10.0.0.0/+8', why: /prefix length is not a number/ },
    { name: 'two prefixes', text: '10.0.0.0/8/8', why: /prefix length is not a number/ },
    { name: 'IPv4 prefix too big (33)', text: '10.0.0.0/33', why: /at most 32/ },
    { name: 'IPv6 prefix too big (129)', text: '2001:db8::/129', why: /at most 128/ },
    { name: 'garbage', text: 'not-a-cidr/8', why: /is not an IPv4 or IPv6 address/ },
    { name: 'an empty string', text: '', why: /missing \/prefix/ },
    { name: 'only a prefix', text: '/8', why: /is not an IPv4 or IPv6 address/ },
    { name: 'an IPv4 octet over 255', text: '10.0.0.256/32', why: /is not an IPv4 or IPv6 address/ },
    { name: 'three IPv4 octets', text: '10.0.0/24', why: /is not an IPv4 or IPv6 address/ },
    { name: 'a space in the address', text: ' 10.0.0.0/8', why: /is not an IPv4 or IPv6 address/ },
    { name: 'two :: in IPv6', text: '2001::db8::/32', why: /is not an IPv4 or IPv6 address/ },
    { name: 'an IPv6 hextet over ffff', text: '2001:db8:10000::/48', why: /is not an IPv4 or IPv6 address/ },
    { name: 'an IPv6 zone id (no zone in a CIDR)', text: 'fe80::1%eth0/64', why: /zone/ },
    { name: 'a hostname', text: 'example.com/32', why: /is not an IPv4 or IPv6 address/ },
    { name: 'not a string', text: 42, why: /not a string/ },
  ];
  for (const c of invalid) {
    it(`rejects ${c.name} with CIDR_INVALID`, () => {
      assert.throws(
        () => parseCidr(c.text as string),
        (err: unknown) =>
          err instanceof StagewallError && err.code === 'CIDR_INVALID' && c.why.test(err.message) && err.message.includes('is not a valid CIDR'),
      );
    });
  }
});

describe('shared/cidr: isEveryAddress', () => {
  const cases: { text: string; want: boolean }[] = [
    { text: '0.0.0.0/0', want: true },
    { text: '::/0', want: true },
    { text: '10.0.0.0/0', want: true }, // host bits masked: still every address
    { text: '0.0.0.0/1', want: false },
    { text: '128.0.0.0/1', want: false },
    { text: '::/1', want: false },
    { text: '10.0.0.0/8', want: false },
  ];
  for (const c of cases) {
    it(`${c.text} ${c.want ? 'is' : 'is not'} every address of its family`, () => {
      assert.equal(isEveryAddress(parseCidr(c.text)), c.want);
    });
  }
});

describe('shared/cidr: ipBlockRanges (cidr minus except)', () => {
  const cases: { name: string; cidr: string; except: string[]; want: string[] }[] = [
    { name: 'no except admits the whole cidr', cidr: '10.0.0.0/8', except: [], want: ['10.0.0.0/8'] },
    { name: 'an except in the middle splits the block', cidr: '10.0.0.0/24', except: ['10.0.0.128/26'], want: ['10.0.0.0/25', '10.0.0.192/26'] },
    { name: 'an except at the start leaves the tail', cidr: '10.0.0.0/24', except: ['10.0.0.0/25'], want: ['10.0.0.128/25'] },
    { name: 'an except at the end leaves the head', cidr: '10.0.0.0/24', except: ['10.0.0.128/25'], want: ['10.0.0.0/25'] },
    { name: 'several excepts', cidr: '10.0.0.0/24', except: ['10.0.0.0/26', '10.0.0.192/26'], want: ['10.0.0.64/26', '10.0.0.128/26'] },
    { name: 'overlapping excepts', cidr: '10.0.0.0/24', except: ['10.0.0.0/25', '10.0.0.64/26'], want: ['10.0.0.128/25'] },
    {
      name: 'everything but RFC 1918 (the usual internet egress)',
      cidr: '0.0.0.0/0',
      except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
      want: [
        '0.0.0.0/5',
        '8.0.0.0/7',
        '11.0.0.0/8',
        '12.0.0.0/6',
        '16.0.0.0/4',
        '32.0.0.0/3',
        '64.0.0.0/2',
        '128.0.0.0/3',
        '160.0.0.0/5',
        '168.0.0.0/6',
        '172.0.0.0/12',
        '172.32.0.0/11',
        '172.64.0.0/10',
        '172.128.0.0/9',
        '173.0.0.0/8',
        '174.0.0.0/7',
        '176.0.0.0/4',
        '192.0.0.0/9',
        '192.128.0.0/11',
        '192.160.0.0/13',
        '192.169.0.0/16',
        '192.170.0.0/15',
        '192.172.0.0/14',
        '192.176.0.0/12',
        '192.192.0.0/10',
        '193.0.0.0/8',
        '194.0.0.0/7',
        '196.0.0.0/6',
        '200.0.0.0/5',
        '208.0.0.0/4',
        '224.0.0.0/3',
      ],
    },
    { name: 'IPv6 with an except', cidr: '2001:db8::/32', except: ['2001:db8::/33'], want: ['2001:db8:8000::/33'] },
    { name: 'IPv6 ::/0 minus the lower half', cidr: '::/0', except: ['::/1'], want: ['8000::/1'] },
    { name: 'an except of another family is ignored', cidr: '10.0.0.0/8', except: ['2001:db8::/32'], want: ['10.0.0.0/8'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = ipBlockRanges(
        parseCidr(c.cidr),
        c.except.map((e) => parseCidr(e)),
      );
      assert.deepEqual(asCidrs(got), c.want);
      for (const r of got) assert.equal(r.family, parseCidr(c.cidr).family);
    });
  }
});

describe('shared/cidr: subtract', () => {
  const cases: { name: string; ranges: string[]; holes: string[]; want: string[] }[] = [
    { name: 'no holes keeps the ranges', ranges: ['10.0.0.0/8'], holes: [], want: ['10.0.0.0/8'] },
    { name: 'a disjoint hole changes nothing', ranges: ['10.0.0.0/8'], holes: ['11.0.0.0/8'], want: ['10.0.0.0/8'] },
    { name: 'a hole covering everything leaves nothing', ranges: ['10.0.0.0/8'], holes: ['0.0.0.0/0'], want: [] },
    { name: 'a hole equal to the range leaves nothing', ranges: ['10.0.0.0/8'], holes: ['10.0.0.0/8'], want: [] },
    { name: 'a hole of another family is ignored', ranges: ['10.0.0.0/8'], holes: ['::/0'], want: ['10.0.0.0/8'] },
    { name: 'only the matching family is cut', ranges: ['2001:db8::/32', '10.0.0.0/8'], holes: ['::/0'], want: ['10.0.0.0/8'] },
    {
      name: 'results are sorted: IPv4 before IPv6, by start',
      ranges: ['2001:db8::/32', '10.0.0.0/8', '1.0.0.0/8'],
      holes: [],
      want: ['1.0.0.0/8', '10.0.0.0/8', '2001:db8::/32'],
    },
    {
      name: 'a hole straddling two ranges cuts both',
      ranges: ['10.0.0.0/24', '10.0.1.0/24'],
      holes: ['10.0.0.128/25', '10.0.1.0/25'],
      want: ['10.0.0.0/25', '10.0.1.128/25'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(asCidrs(subtract(c.ranges.map(range), c.holes.map(range))), c.want);
    });
  }
  it('single addresses at the edges are exact (off-by-one)', () => {
    const got = subtract([range('10.0.0.0/30')], [range('10.0.0.1/32'), range('10.0.0.2/32')]);
    assert.deepEqual(
      got.map((r) => [r.start, r.end]),
      [
        [0x0a000000n, 0x0a000000n],
        [0x0a000003n, 0x0a000003n],
      ],
    );
  });
});

describe('shared/cidr: rangesWithin', () => {
  const cases: { name: string; ranges: string[]; allowed: string[]; want: boolean }[] = [
    { name: 'a range inside an allowed CIDR', ranges: ['203.0.113.0/25'], allowed: ['203.0.113.0/24'], want: true },
    { name: 'a range equal to an allowed CIDR', ranges: ['203.0.113.0/24'], allowed: ['203.0.113.0/24'], want: true },
    { name: 'a range larger than the allowed CIDR', ranges: ['203.0.0.0/16'], allowed: ['203.0.113.0/24'], want: false },
    { name: 'a range covered by two adjacent allowed CIDRs', ranges: ['10.0.0.0/23'], allowed: ['10.0.0.0/24', '10.0.1.0/24'], want: true },
    { name: 'a range half covered', ranges: ['10.0.0.0/23'], allowed: ['10.0.0.0/24'], want: false },
    { name: 'nothing allowed', ranges: ['10.0.0.0/32'], allowed: [], want: false },
    { name: 'no ranges are trivially within', ranges: [], allowed: [], want: true },
    { name: 'another family is not within', ranges: ['2001:db8::/64'], allowed: ['0.0.0.0/0'], want: false },
    { name: 'IPv6 inside IPv6', ranges: ['2001:db8:1::/48'], allowed: ['2001:db8::/32'], want: true },
    { name: 'every one of several ranges must be within', ranges: ['10.0.0.0/24', '11.0.0.0/24'], allowed: ['10.0.0.0/8'], want: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(rangesWithin(c.ranges.map(range), c.allowed.map(range)), c.want);
    });
  }
  it('an ipBlock whose except removes the part outside is within', () => {
    const ranges = ipBlockRanges(parseCidr('203.0.112.0/23'), [parseCidr('203.0.112.0/24')]);
    assert.equal(rangesWithin(ranges, [range('203.0.113.0/24')]), true);
  });
});

describe('shared/cidr: rangeToCidrs (fewest CIDRs)', () => {
  const v4 = (a: string, b: string): IpRange => ({ family: 4, start: range(`${a}/32`).start, end: range(`${b}/32`).start });
  const cases: { name: string; range: IpRange; want: string[] }[] = [
    { name: 'an aligned block is one CIDR', range: range('10.0.0.0/8'), want: ['10.0.0.0/8'] },
    { name: 'one address is a /32', range: v4('10.0.0.5', '10.0.0.5'), want: ['10.0.0.5/32'] },
    { name: 'every IPv4 address is 0.0.0.0/0', range: range('0.0.0.0/0'), want: ['0.0.0.0/0'] },
    { name: 'an unaligned range needs several CIDRs', range: v4('10.0.0.1', '10.0.0.6'), want: ['10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/31', '10.0.0.6/32'] },
    { name: 'the top of the IPv4 space', range: v4('255.255.255.254', '255.255.255.255'), want: ['255.255.255.254/31'] },
    { name: 'IPv6 every address is ::/0', range: range('::/0'), want: ['::/0'] },
    { name: 'IPv6 loopback', range: range('::1/128'), want: ['::1/128'] },
    { name: 'IPv6 is written compressed (RFC 5952)', range: range('2001:db8::/32'), want: ['2001:db8::/32'] },
    { name: 'IPv6 with no zero run to compress', range: range('1:2:3:4:5:6:7:8/128'), want: ['1:2:3:4:5:6:7:8/128'] },
    { name: 'IPv6 compresses the longest zero run', range: range('2001:0:0:1:0:0:0:1/128'), want: ['2001:0:0:1::1/128'] },
    { name: 'IPv6 does not compress a single zero hextet', range: range('2001:db8:0:1:1:1:1:1/128'), want: ['2001:db8:0:1:1:1:1:1/128'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(rangeToCidrs(c.range), c.want);
    });
  }
  it('203.0.0.0/16 minus 203.0.113.0/24 is the minimal list of eight CIDRs', () => {
    const ranges = ipBlockRanges(parseCidr('203.0.0.0/16'), [parseCidr('203.0.113.0/24')]);
    assert.deepEqual(asCidrs(ranges), [
      '203.0.0.0/18',
      '203.0.64.0/19',
      '203.0.96.0/20',
      '203.0.112.0/24',
      '203.0.114.0/23',
      '203.0.116.0/22',
      '203.0.120.0/21',
      '203.0.128.0/17',
    ]);
  });
  it('the CIDRs cover the range exactly, with no gap or overlap', () => {
    const r = v4('10.0.0.3', '10.0.3.250');
    const parts = rangeToCidrs(r).map(range);
    let next = r.start;
    for (const p of parts) {
      assert.equal(p.start, next);
      next = p.end + 1n;
    }
    assert.equal(next, r.end + 1n);
  });
});
