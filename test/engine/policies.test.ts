import { strict as assert } from 'node:assert';
import { StagewallError } from '../../src/errors.js';
import { compilePolicy, effectivePolicyTypes, isManagedPolicy, openPeerReason } from '../../src/engine/policies.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../../src/shared/names.js';
import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicySpec } from '../../src/engine/types.js';

const policy = (spec: NetworkPolicySpec, metadata: NetworkPolicy['metadata'] = { name: 'np', namespace: 'etl' }): NetworkPolicy => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata,
  spec,
});
const allowAll = [{}];

describe('engine/policies: effectivePolicyTypes', () => {
  const cases: { name: string; spec: NetworkPolicySpec | undefined; want: { ingress: boolean; egress: boolean } }[] = [
    { name: 'an absent spec defaults to [Ingress]', spec: undefined, want: { ingress: true, egress: false } },
    { name: 'policyTypes omitted, no rules: [Ingress]', spec: { podSelector: {} }, want: { ingress: true, egress: false } },
    { name: 'policyTypes omitted, ingress rules only: [Ingress]', spec: { ingress: allowAll }, want: { ingress: true, egress: false } },
    { name: 'policyTypes omitted with egress rules: [Ingress, Egress]', spec: { egress: allowAll }, want: { ingress: true, egress: true } },
    {
      name: 'policyTypes [] with egress rules: [Ingress, Egress] (empty = omitted)',
      spec: { policyTypes: [], egress: allowAll },
      want: { ingress: true, egress: true },
    },
    { name: 'policyTypes [] without egress rules: [Ingress]', spec: { policyTypes: [] }, want: { ingress: true, egress: false } },
    { name: 'egress: [] is no egress rule: [Ingress] only', spec: { egress: [] }, want: { ingress: true, egress: false } },
    {
      name: 'policyTypes omitted, egress: [] and ingress rules: [Ingress] only',
      spec: { ingress: allowAll, egress: [] },
      want: { ingress: true, egress: false },
    },
    { name: 'an Egress-only policy does not isolate ingress', spec: { policyTypes: ['Egress'] }, want: { ingress: false, egress: true } },
    { name: 'an Egress-only policy ignores its ingress rules', spec: { policyTypes: ['Egress'], ingress: allowAll }, want: { ingress: false, egress: true } },
    {
      name: 'explicit [Ingress] with egress rules: egress ignored',
      spec: { policyTypes: ['Ingress'], egress: allowAll },
      want: { ingress: true, egress: false },
    },
    {
      name: 'explicit [Ingress, Egress] with no rules: default deny both ways',
      spec: { policyTypes: ['Ingress', 'Egress'] },
      want: { ingress: true, egress: true },
    },
    { name: 'explicit [Egress, Ingress]: order does not matter', spec: { policyTypes: ['Egress', 'Ingress'] }, want: { ingress: true, egress: true } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(effectivePolicyTypes(c.spec), c.want);
    });
  }
});

describe('engine/policies: compilePolicy', () => {
  it('keeps name, namespace and the raw object', () => {
    const raw = policy({ podSelector: {} });
    const p = compilePolicy(raw);
    assert.equal(p.name, 'np');
    assert.equal(p.namespace, 'etl');
    assert.equal(p.raw, raw);
  });

  it('a policy with no namespace takes the fallback namespace', () => {
    assert.equal(compilePolicy(policy({}, { name: 'np' }), 'from-context').namespace, 'from-context');
    assert.equal(compilePolicy(policy({}, { name: 'np' })).namespace, 'default');
  });

  const podSelectorCases: { name: string; spec: NetworkPolicySpec; labels: Record<string, string>; want: boolean }[] = [
    { name: 'podSelector {} selects every pod of the namespace', spec: { podSelector: {} }, labels: { any: 'thing' }, want: true },
    { name: 'an omitted podSelector selects every pod (it decodes as {})', spec: {}, labels: { any: 'thing' }, want: true },
    {
      name: 'podSelector narrows by labels',
      spec: { podSelector: { matchLabels: { 'stagewall.dev/stage': 'load' } } },
      labels: { 'stagewall.dev/stage': 'extract' },
      want: false,
    },
    {
      name: 'podSelector matches the labelled pod',
      spec: { podSelector: { matchLabels: { 'stagewall.dev/stage': 'load' } } },
      labels: { 'stagewall.dev/stage': 'load' },
      want: true,
    },
  ];
  for (const c of podSelectorCases) {
    it(c.name, () => {
      assert.equal(compilePolicy(policy(c.spec)).podSelector.matches(c.labels), c.want);
    });
  }

  it('effective policyTypes are compiled in', () => {
    const p = compilePolicy(policy({ policyTypes: ['Ingress'], egress: [{ to: [{ podSelector: {} }] }] }));
    assert.equal(p.ingress, true);
    assert.equal(p.egress, false);
  });

  it('a rule with no from has no peers (it admits every source)', () => {
    const p = compilePolicy(policy({ ingress: [{}] }));
    assert.equal(p.ingressRules.length, 1);
    assert.deepEqual(p.ingressRules[0]?.peers, []);
    assert.deepEqual(p.ingressRules[0]?.ports, []);
  });

  it('a rule with from: [] has no peers either', () => {
    assert.deepEqual(compilePolicy(policy({ ingress: [{ from: [] }] })).ingressRules[0]?.peers, []);
  });

  it('peers are compiled with their selectors; an absent selector stays absent', () => {
    const p = compilePolicy(
      policy({
        ingress: [
          {
            from: [
              { podSelector: { matchLabels: { a: 'b' } } },
              { namespaceSelector: { matchLabels: { team: 'x' } }, podSelector: { matchLabels: { c: 'd' } } },
              { namespaceSelector: {} },
            ],
            ports: [{ port: 8080 }],
          },
        ],
        egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] }],
      }),
    );
    const [only, both, allNs] = p.ingressRules[0]?.peers ?? [];
    assert.equal(only?.podSelector?.matches({ a: 'b' }), true);
    assert.equal(only?.podSelector?.matches({ a: 'c' }), false);
    assert.equal(only?.namespaceSelector, undefined);
    assert.equal(only?.ipBlock, undefined);
    assert.equal(both?.namespaceSelector?.matches({ team: 'x' }), true);
    assert.equal(both?.namespaceSelector?.matches({ team: 'y' }), false);
    assert.equal(both?.podSelector?.matches({ c: 'd' }), true);
    assert.equal(allNs?.namespaceSelector?.selectsAll, true);
    assert.equal(allNs?.podSelector, undefined);
    assert.deepEqual(p.ingressRules[0]?.ports, [{ port: 8080 }]);

    const block = p.egressRules[0]?.peers[0]?.ipBlock;
    assert.equal(block?.cidr.text, '10.0.0.0/8');
    assert.deepEqual(
      block?.except.map((e) => e.text),
      ['10.1.0.0/16'],
    );
    assert.deepEqual(
      block?.ranges.map((r) => [r.start, r.end]),
      [
        [0x0a000000n, 0x0a00ffffn],
        [0x0a020000n, 0x0affffffn],
      ],
    );
  });

  it('egress rules are compiled from `to`, ingress rules from `from`', () => {
    const p = compilePolicy(policy({ ingress: [{ from: [{ podSelector: {} }] }], egress: [{ to: [{ podSelector: {} }, { podSelector: {} }] }] }));
    assert.equal(p.ingressRules[0]?.peers.length, 1);
    assert.equal(p.egressRules[0]?.peers.length, 2);
  });

  const invalid: { name: string; peer: NetworkPolicyPeer; code: string; message: RegExp }[] = [
    {
      name: 'ipBlock together with podSelector is rejected',
      peer: { ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} },
      code: 'MANIFEST_SHAPE',
      message: /must not also have podSelector or namespaceSelector/,
    },
    {
      name: 'ipBlock together with namespaceSelector is rejected',
      peer: { ipBlock: { cidr: '10.0.0.0/8' }, namespaceSelector: {} },
      code: 'MANIFEST_SHAPE',
      message: /must not also have/,
    },
    {
      name: 'an empty peer is rejected, as the API server does',
      peer: {},
      code: 'MANIFEST_SHAPE',
      message: /must have podSelector, namespaceSelector or ipBlock/,
    },
    {
      name: 'an except outside the cidr is rejected',
      peer: { ipBlock: { cidr: '10.0.0.0/16', except: ['10.1.0.0/24'] } },
      code: 'CIDR_INVALID',
      message: /except 10\.1\.0\.0\/24 is not strictly inside 10\.0\.0\.0\/16/,
    },
    {
      name: 'an except larger than the cidr is rejected',
      peer: { ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.0.0/8'] } },
      code: 'CIDR_INVALID',
      message: /not strictly inside/,
    },
    {
      name: 'an except equal to the cidr is rejected (must be a strict subset)',
      peer: { ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.0.0/16'] } },
      code: 'CIDR_INVALID',
      message: /not strictly inside/,
    },
    {
      name: 'an except of the other family is rejected',
      peer: { ipBlock: { cidr: '10.0.0.0/8', except: ['2001:db8::/32'] } },
      code: 'CIDR_INVALID',
      message: /not strictly inside/,
    },
    { name: 'an invalid cidr is rejected', peer: { ipBlock: { cidr: '10.0.0.0' } }, code: 'CIDR_INVALID', message: /missing \/prefix/ },
    {
      name: 'an invalid except is rejected',
      peer: { ipBlock: { cidr: '10.0.0.0/8', except: ['nope/24'] } },
      code: 'CIDR_INVALID',
      message: /is not an IPv4 or IPv6 address/,
    },
    {
      name: 'an invalid podSelector is rejected',
      peer: { podSelector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] } },
      code: 'SELECTOR_INVALID',
      message: /peer 0\.podSelector: operator In/,
    },
    {
      name: 'an invalid namespaceSelector is rejected',
      peer: { namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'Nope' }] } },
      code: 'SELECTOR_INVALID',
      message: /peer 0\.namespaceSelector: unknown operator/,
    },
  ];
  for (const c of invalid) {
    for (const dir of ['ingress', 'egress'] as const) {
      it(`${dir}: ${c.name}`, () => {
        const spec: NetworkPolicySpec = dir === 'ingress' ? { ingress: [{ from: [c.peer] }] } : { egress: [{ to: [c.peer] }] };
        assert.throws(
          () => compilePolicy(policy(spec)),
          (err: unknown) => err instanceof StagewallError && err.code === c.code && c.message.test(err.message),
        );
      });
    }
  }

  it('errors name the policy, direction, rule and peer', () => {
    assert.throws(
      () =>
        compilePolicy(policy({ egress: [{ to: [{ podSelector: {} }] }, { to: [{ podSelector: {} }, { ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] })),
      (err: unknown) => err instanceof StagewallError && err.message.startsWith('NetworkPolicy etl/np spec.egress[1] peer 1: '),
    );
  });

  it('an invalid spec.podSelector is rejected', () => {
    assert.throws(
      () => compilePolicy(policy({ podSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] } })),
      (err: unknown) => err instanceof StagewallError && err.code === 'SELECTOR_INVALID' && /spec\.podSelector/.test(err.message),
    );
  });

  const managed: { name: string; labels: Record<string, string> | undefined; want: boolean }[] = [
    { name: `labelled ${MANAGED_BY_LABEL}: ${MANAGED_BY_VALUE} is managed`, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE }, want: true },
    { name: 'managed by another tool is not managed', labels: { [MANAGED_BY_LABEL]: 'helm' }, want: false },
    { name: 'the value is case-sensitive', labels: { [MANAGED_BY_LABEL]: 'Stagewall' }, want: false },
    { name: 'no labels is not managed', labels: undefined, want: false },
    { name: 'the value under another key is not managed', labels: { 'managed-by': MANAGED_BY_VALUE }, want: false },
  ];
  for (const c of managed) {
    it(`managed label detection: ${c.name}`, () => {
      const raw = policy({}, { name: 'np', namespace: 'etl', ...(c.labels ? { labels: c.labels } : {}) });
      assert.equal(isManagedPolicy(raw), c.want);
      assert.equal(isManagedPolicy(raw), c.want);
    });
  }
  it('isManagedPolicy(undefined) is false', () => {
    assert.equal(isManagedPolicy(undefined), false);
  });
});

describe('engine/policies: openPeerReason', () => {
  const cases: { name: string; peer: NetworkPolicyPeer; open: RegExp | undefined }[] = [
    {
      name: 'namespaceSelector {} alone admits every pod in every namespace',
      peer: { namespaceSelector: {} },
      open: /namespaceSelector \{\} without a narrowing podSelector/,
    },
    { name: 'namespaceSelector {} with podSelector {} is still open', peer: { namespaceSelector: {}, podSelector: {} }, open: /namespaceSelector \{\}/ },
    {
      name: 'namespaceSelector {} with a narrowing podSelector is not open',
      peer: { namespaceSelector: {}, podSelector: { matchLabels: { a: 'b' } } },
      open: undefined,
    },
    { name: 'a narrowing namespaceSelector is not open', peer: { namespaceSelector: { matchLabels: { team: 'x' } } }, open: undefined },
    { name: 'podSelector {} alone stays in the policy namespace: not open', peer: { podSelector: {} }, open: undefined },
    { name: 'ipBlock 0.0.0.0/0 is every address', peer: { ipBlock: { cidr: '0.0.0.0/0' } }, open: /ipBlock 0\.0\.0\.0\/0 is every address/ },
    { name: 'ipBlock ::/0 is every address', peer: { ipBlock: { cidr: '::/0' } }, open: /ipBlock ::\/0 is every address/ },
    { name: 'ipBlock 0.0.0.0/0 with except is left to the external rules', peer: { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }, open: undefined },
    { name: 'ipBlock 0.0.0.0/1 is not every address', peer: { ipBlock: { cidr: '0.0.0.0/1' } }, open: undefined },
    { name: 'ipBlock 203.0.113.0/24 is not open', peer: { ipBlock: { cidr: '203.0.113.0/24' } }, open: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = compilePolicy(policy({ ingress: [{ from: [c.peer] }] }));
      const peer = p.ingressRules[0]?.peers[0];
      assert.ok(peer);
      const got = openPeerReason(peer);
      if (c.open === undefined) assert.equal(got, undefined);
      else assert.match(got ?? '', c.open);
    });
  }
});
