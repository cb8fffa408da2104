// `stagewall check` on manifests beyond the engine's structural limits: exit 2 (bad input) with
// the message naming file, line, field and limit, and no stack trace.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, STACK_LINE } from './fake-io.js';

const POLICY_HEAD = [
  'apiVersion: networking.k8s.io/v1',
  'kind: NetworkPolicy',
  'metadata: {name: hostile, namespace: etl-transform}',
  'spec:',
  '  podSelector: {}',
];

describe('cli: stagewall check refuses manifests beyond the structural limits', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'stagewall-cli-limits-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const cases: { name: string; yaml: string; message: RegExp }[] = [
    {
      name: 'a selector that contains itself (a YAML alias cycle)',
      yaml: [...POLICY_HEAD, '  ingress:', '    - from:', '        - podSelector: &s {matchLabels: {a: b}, extra: [*s]}'].join('\n'),
      message: /hostile\.yaml:1: object\.spec\.ingress\[0\]\.from\[0\]\.podSelector\.extra\[0\]\.extra\[0\].* is nested more than 100 levels deep, the limit/,
    },
    {
      name: 'an alias bomb of ingress rules (10^8 from a few hundred bytes)',
      yaml: [
        ...POLICY_HEAD,
        '  x0: &x0 [{}, {}, {}, {}, {}, {}, {}, {}, {}, {}]',
        ...Array.from({ length: 7 }, (_, i) => `  x${i + 1}: &x${i + 1} [${Array.from({ length: 10 }, () => `*x${i}`).join(', ')}]`),
        '  ingress: *x7',
      ].join('\n'),
      message: /hostile\.yaml:1: object holds more than 1,572,864 values in all, the limit \(more than a 3 MiB request can hold\)/,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: exit 2 with the field and the limit`, async () => {
      const file = join(tmp, 'hostile.yaml');
      writeFileSync(file, `${c.yaml}\n`);
      const r = await run(['check', '-c', 'examples/stagewall.yaml', file]);
      assert.equal(r.code, 2, r.out + r.err);
      assert.match(r.err, c.message);
      assert.doesNotMatch(r.err, STACK_LINE);
    });
  }
});
