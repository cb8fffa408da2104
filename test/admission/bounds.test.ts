// Point 9 of issue 10: one request's answer is bounded, however many rules its object breaks.
// Each cap is pinned exactly at, one over and far over its limit.
import { strict as assert } from 'node:assert';
import {
  clipUtf8,
  MAX_AUDIT_ANNOTATION_BYTES,
  MAX_DENIAL_MESSAGE_BYTES,
  MAX_REPORTED_VIOLATIONS,
  MAX_SUMMARY_LENGTH,
  MAX_WARNINGS_LENGTH,
  moreViolations,
} from '../../src/admission/bounds.js';
import { auditAnnotation, denialMessage, validationResponse, warningsOf } from '../../src/admission/handler.js';
import { encodeReview, MAX_WARNING_LENGTH } from '../../src/admission/review.js';
import { verdictOf, type Decision } from '../../src/engine/evaluate.js';
import type { Severity, Violation } from '../../src/engine/rule.js';

const bytes = (text: string) => Buffer.byteLength(text);

function violations(
  count: number,
  message: (i: number) => string,
  severity: Severity = 'deny',
  rule: (i: number) => string = () => 'ingress-open',
): Violation[] {
  return Array.from({ length: count }, (_, i) => ({ rule: rule(i), severity, message: message(i) }));
}

function decisionOf(list: readonly Violation[], mode: 'enforce' | 'audit' = 'enforce'): Decision {
  return { ref: { kind: 'NetworkPolicy', namespace: 'etl-transform', name: 'open' }, verdict: verdictOf(list), mode, violations: list };
}

/** A message as long as the engine's ingress-open ones (about 300 characters). */
const realistic = (i: number) =>
  `NetworkPolicy etl-transform/open: ingress rule ${i} admits every source (it has no from), so every pod in the cluster and every address may reach the pods it selects (etl/transform). Narrow it with a from peer that names the stages that may send to it: etl/extract.`;

/** A message of exactly n bytes of ASCII. */
const ascii = (n: number) => 'm'.repeat(n);

describe('admission/bounds: how many violations one answer reports', () => {
  const rows: { name: string; count: number; shown: number; summary?: string }[] = [
    { name: 'exactly at the cap: all, no summary', count: MAX_REPORTED_VIOLATIONS, shown: MAX_REPORTED_VIOLATIONS },
    {
      name: 'one over: the cap and "and 1 more"',
      count: MAX_REPORTED_VIOLATIONS + 1,
      shown: MAX_REPORTED_VIOLATIONS,
      summary: '… and 1 more violation (rules: r20)',
    },
    {
      name: 'far over (2,000): the cap and "and 1980 more"',
      count: 2000,
      shown: MAX_REPORTED_VIOLATIONS,
      summary: `… and 1980 more violations (rules: ${[...Array(30).keys()].map((i) => `r${(i + 20) % 30}`).join(', ')})`,
    },
  ];
  // Rules r0..r29 in turn, short messages: only the count cap binds.
  const rule = (i: number) => `r${i % 30}`;
  for (const row of rows) {
    it(`denial message, ${row.name}`, () => {
      const lines = denialMessage(decisionOf(violations(row.count, (i) => `m${i}`, 'deny', rule))).split('\n');
      assert.equal(lines.length, row.shown + (row.summary ? 1 : 0));
      assert.deepEqual(
        lines.slice(0, row.shown),
        Array.from({ length: row.shown }, (_, i) => `[${rule(i)}] m${i}`),
      );
      assert.equal(row.summary ? lines.at(-1) : undefined, row.summary);
    });
    it(`warnings, ${row.name}`, () => {
      const warnings = warningsOf(violations(row.count, (i) => `m${i}`, 'warn', rule));
      assert.equal(warnings.length, row.shown + (row.summary ? 1 : 0));
      assert.equal(warnings[0], '[r0] m0');
      assert.equal(row.summary ? warnings.at(-1) : undefined, row.summary);
    });
    it(`audit annotation, ${row.name}`, () => {
      const entries = JSON.parse(auditAnnotation(violations(row.count, (i) => `m${i}`, 'warn', rule))) as { rule?: string; message: string; more?: number }[];
      assert.equal(entries.length, row.shown + (row.summary ? 1 : 0));
      assert.deepEqual(entries[0], { rule: 'r0', message: 'm0' });
      assert.deepEqual(row.summary ? entries.at(-1) : undefined, row.summary ? { more: row.count - row.shown, message: row.summary } : undefined);
    });
  }

  it('the summary names each rule once and stays within MAX_SUMMARY_LENGTH however many rules', () => {
    const omitted = { count: 5, rules: Array.from({ length: 100 }, (_, i) => `rule-number-${i}`) };
    const text = moreViolations(omitted);
    assert.equal(text.length, MAX_SUMMARY_LENGTH);
    assert.ok(text.startsWith('… and 5 more violations (rules: rule-number-0, rule-number-1') && text.endsWith('…)'));
    assert.equal(moreViolations({ count: 2, rules: ['a', 'b'] }), '… and 2 more violations (rules: a, b)');
  });
});

describe('admission/bounds: the denial message within MAX_DENIAL_MESSAGE_BYTES', () => {
  // Four lines "[r] " + message joined by "\n": 3 separators, 4 bytes of prefix each.
  const four = (last: number) => {
    const first = Math.floor((MAX_DENIAL_MESSAGE_BYTES - 3) / 4);
    return [first, first, first, last].map((n) => ({ rule: 'r', severity: 'deny' as const, message: ascii(n - 4) }));
  };
  const exact = MAX_DENIAL_MESSAGE_BYTES - 3 - 3 * Math.floor((MAX_DENIAL_MESSAGE_BYTES - 3) / 4);

  it('exactly at the limit: every line, no summary', () => {
    const message = denialMessage(decisionOf(four(exact)));
    assert.equal(bytes(message), MAX_DENIAL_MESSAGE_BYTES);
    assert.equal(message.split('\n').length, 4);
    assert.doesNotMatch(message, /more violation/);
  });

  it('one byte over: the lines that fit beside the summary, then "and 1 more"', () => {
    const message = denialMessage(decisionOf(four(exact + 1)));
    assert.ok(bytes(message) <= MAX_DENIAL_MESSAGE_BYTES, `${bytes(message)} bytes`);
    const lines = message.split('\n');
    assert.equal(lines.at(-1), '… and 1 more violation (rules: r)');
    assert.equal(lines.length, 4);
  });

  it('far over, one message of 1 MiB: cut to the limit, marked with "…"', () => {
    const message = denialMessage(decisionOf([{ rule: 'r', severity: 'deny', message: ascii(1 << 20) }]));
    assert.equal(bytes(message), MAX_DENIAL_MESSAGE_BYTES);
    assert.ok(message.startsWith('[r] mmm') && message.endsWith('…'));
  });

  it('far over, two messages of 1 MiB: the first cut, beside the summary of the second', () => {
    const message = denialMessage(decisionOf(violations(2, () => ascii(1 << 20))));
    assert.ok(bytes(message) <= MAX_DENIAL_MESSAGE_BYTES);
    const lines = message.split('\n');
    assert.equal(lines.length, 2);
    assert.ok(lines[0]?.endsWith('…'));
    assert.equal(lines[1], '… and 1 more violation (rules: ingress-open)');
  });

  it('multi-byte text is cut between characters, never inside one', () => {
    const message = denialMessage(decisionOf([{ rule: 'r', severity: 'deny', message: '€😀'.repeat(100_000) }]));
    assert.ok(bytes(message) <= MAX_DENIAL_MESSAGE_BYTES && bytes(message) > MAX_DENIAL_MESSAGE_BYTES - 8);
    assert.equal(Buffer.from(message, 'utf8').toString('utf8'), message, 'no replacement characters: valid UTF-8 throughout');
    assert.doesNotMatch(message, /[\ud800-\udbff](?![\udc00-\udfff])/, 'no lone high surrogate');
  });

  it('clipUtf8 keeps text that fits and cuts text that does not, exactly at, one over, far over', () => {
    assert.equal(clipUtf8(ascii(100), 100), ascii(100));
    assert.equal(clipUtf8(ascii(101), 100), `${ascii(97)}…`);
    assert.equal(bytes(clipUtf8(ascii(1 << 20), 100)), 100);
  });
});

describe('admission/bounds: warnings within the API server’s 4 KiB', () => {
  const warning = (n: number) => ({ rule: 'r', severity: 'warn' as const, message: ascii(n - 4) }); // "[r] " + message
  const full = Math.floor(MAX_WARNINGS_LENGTH / MAX_WARNING_LENGTH); // 16 full-length warnings fill it exactly

  it('exactly at the limit: every warning, no summary', () => {
    const warnings = warningsOf(Array.from({ length: full }, () => warning(MAX_WARNING_LENGTH)));
    assert.equal(warnings.join('').length, MAX_WARNINGS_LENGTH);
    assert.equal(warnings.length, full);
  });

  it('one character over: the warnings that fit beside the summary, then "and N more"', () => {
    const warnings = warningsOf([...Array.from({ length: full }, () => warning(MAX_WARNING_LENGTH)), warning(5)]);
    assert.ok(warnings.join('').length <= MAX_WARNINGS_LENGTH);
    assert.equal(warnings.at(-1), '… and 2 more violations (rules: r)');
    assert.equal(warnings.length, full);
  });

  it('far over, 2,000 warnings of full length: within the limit, the last one counts the rest', () => {
    const warnings = warningsOf(Array.from({ length: 2000 }, () => warning(MAX_WARNING_LENGTH)));
    assert.ok(warnings.join('').length <= MAX_WARNINGS_LENGTH);
    assert.equal(warnings.at(-1), `… and ${2000 - (warnings.length - 1)} more violations (rules: r)`);
    for (const w of warnings) assert.ok(w.length <= MAX_WARNING_LENGTH);
  });
});

describe('admission/bounds: the audit annotation within MAX_AUDIT_ANNOTATION_BYTES, always valid JSON', () => {
  const overhead = bytes(JSON.stringify({ rule: 'r', message: '' }));
  /** Four entries whose annotation is `total` bytes: "[" + 4 entries + 3 commas + "]". */
  const four = (total: number) => {
    const each = Math.floor((total - 5) / 4);
    const last = total - 5 - 3 * each;
    return [each, each, each, last].map((n) => ({ rule: 'r', severity: 'warn' as const, message: ascii(n - overhead) }));
  };

  it('exactly at the limit: every entry, no summary', () => {
    const text = auditAnnotation(four(MAX_AUDIT_ANNOTATION_BYTES));
    assert.equal(bytes(text), MAX_AUDIT_ANNOTATION_BYTES);
    assert.equal((JSON.parse(text) as unknown[]).length, 4);
  });

  it('one byte over: the entries that fit, then {more, message}', () => {
    const text = auditAnnotation(four(MAX_AUDIT_ANNOTATION_BYTES + 1));
    assert.ok(bytes(text) <= MAX_AUDIT_ANNOTATION_BYTES);
    const entries = JSON.parse(text) as { more?: number; message: string }[];
    assert.equal(entries.length, 4);
    assert.deepEqual(entries.at(-1), { more: 1, message: '… and 1 more violation (rules: r)' });
  });

  const far: { name: string; message: string }[] = [
    { name: 'a message of 1 MiB', message: ascii(1 << 20) },
    { name: 'a message of quotes, each escaped to two bytes', message: '"'.repeat(1 << 18) },
    { name: 'a message of control characters, each escaped to six bytes', message: '\u0001'.repeat(1 << 17) },
    { name: 'a message of emoji', message: '😀'.repeat(1 << 17) },
  ];
  for (const row of far) {
    it(`far over, ${row.name}: valid JSON within the limit, the message cut`, () => {
      const text = auditAnnotation([
        { rule: 'r', severity: 'warn', message: row.message },
        { rule: 'q', severity: 'warn', message: 'x' },
      ]);
      assert.ok(bytes(text) <= MAX_AUDIT_ANNOTATION_BYTES, `${bytes(text)} bytes`);
      const entries = JSON.parse(text) as { rule?: string; message: string; more?: number }[];
      assert.equal(entries[0]?.rule, 'r');
      assert.ok((entries[0]?.message.length ?? 0) > 0 && row.message.startsWith((entries[0]?.message ?? '').replace(/…$/, '')));
      assert.ok(bytes(text) > MAX_AUDIT_ANNOTATION_BYTES / 4, 'the budget is used, not thrown away');
    });
  }
});

describe('admission/handler: the response stays bounded at 2,000 and 20,000 violations', () => {
  const sizes = new Map<string, number>();
  for (const count of [2000, 20_000]) {
    for (const mode of ['enforce', 'audit'] as const) {
      it(`${count} violations in ${mode} mode`, () => {
        const list = violations(count, realistic, mode === 'audit' ? 'warn' : 'deny');
        const { response } = validationResponse('uid-1', decisionOf(list, mode));
        const size = bytes(JSON.stringify(encodeReview('admission.k8s.io/v1', response)));
        // The three caps plus JSON's escaping of the annotation (it is a string inside JSON).
        assert.ok(size <= MAX_DENIAL_MESSAGE_BYTES + MAX_WARNINGS_LENGTH + 2 * MAX_AUDIT_ANNOTATION_BYTES, `${size} bytes`);
        if (mode === 'enforce') {
          assert.equal(response.allowed, false);
          assert.ok(bytes(response.status?.message ?? '') <= MAX_DENIAL_MESSAGE_BYTES);
          assert.match(
            response.status?.message ?? '',
            new RegExp(`… and ${count - (response.status?.message.split('\n').length ?? 0) + 1} more violations \\(rules: ingress-open\\)$`),
          );
        } else {
          assert.equal(response.allowed, true);
          assert.ok((response.warnings?.length ?? 0) <= MAX_REPORTED_VIOLATIONS + 1);
          assert.match(response.warnings?.at(-1) ?? '', /^… and \d+ more violations \(rules: ingress-open\)$/);
          const annotation = response.auditAnnotations?.['violations'] ?? '';
          assert.ok(bytes(annotation) <= MAX_AUDIT_ANNOTATION_BYTES);
          const entries = JSON.parse(annotation) as { more?: number }[];
          assert.equal(entries.length - 1 + (entries.at(-1)?.more ?? 0), count, 'shown and summarised add up to every violation');
        }
        sizes.set(`${mode}/${count}`, size);
      });
    }
  }
  it('ten times the violations, the same size give or take the digits of the count', () => {
    for (const mode of ['enforce', 'audit']) {
      const small = sizes.get(`${mode}/2000`) ?? 0;
      const large = sizes.get(`${mode}/20000`) ?? Infinity;
      assert.ok(small > 0 && Math.abs(large - small) <= 4, `${mode}: ${small} vs ${large} bytes`);
    }
  });
});
