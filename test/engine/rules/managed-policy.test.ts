import { strict as assert } from 'node:assert';
import type { StagewallConfig } from '../../../src/config/model.js';
import { managedPolicies } from '../../../src/engine/generate.js';
import type { NetworkPolicy, Operation } from '../../../src/engine/types.js';
import { etlConfig } from '../../helpers/config.js';
import { assertFires, assertQuiet, judge, MANAGED, netpol, ns, STAGE, viewOf } from './fixtures.js';

const config = etlConfig();
const view = viewOf(ns('etl', { pipeline: 'etl' }), ns('web'));
const [defaultDeny, allowDns] = managedPolicies('etl', config) as [NetworkPolicy, NetworkPolicy];
const own = 'system:serviceaccount:stagewall-system:stagewall';

/** The managed default-deny edited to allow ingress from extract. */
const edited: NetworkPolicy = {
  ...defaultDeny,
  spec: { ...defaultDeny.spec, ingress: [{ from: [{ podSelector: { matchLabels: { [STAGE]: 'extract' } } }] }] },
};
/** The same policy with the managed-by label removed. */
const unlabelled: NetworkPolicy = { ...defaultDeny, metadata: { ...defaultDeny.metadata, labels: {} } };
const userPolicy = netpol('etl', 'mine', { podSelector: {}, policyTypes: ['Ingress'] });

describe('engine/rules/managed-policy: managed-policy-protected', () => {
  const cases: {
    name: string;
    operation: Operation;
    old: NetworkPolicy;
    object?: NetworkPolicy;
    user: string | undefined;
    fires: boolean;
    verb?: string;
    cfg?: StagewallConfig;
    namespace?: string;
  }[] = [
    {
      name: 'UPDATE of a managed policy by a random user fires',
      operation: 'UPDATE',
      old: defaultDeny,
      object: edited,
      user: 'alice',
      fires: true,
      verb: 'change',
    },
    {
      name: 'DELETE of a managed policy (only oldObject) by a random user fires',
      operation: 'DELETE',
      old: defaultDeny,
      user: 'alice',
      fires: true,
      verb: 'delete',
    },
    { name: 'DELETE of the managed allow-dns fires too', operation: 'DELETE', old: allowDns, user: 'alice', fires: true, verb: 'delete' },
    {
      name: 'removing the managed-by label is a change of a managed policy',
      operation: 'UPDATE',
      old: defaultDeny,
      object: unlabelled,
      user: 'alice',
      fires: true,
      verb: 'change',
    },
    { name: 'a request without user info fires, naming an unknown user', operation: 'DELETE', old: defaultDeny, user: undefined, fires: true, verb: 'delete' },
    { name: 'a cluster admin is no exception', operation: 'DELETE', old: defaultDeny, user: 'kubernetes-admin', fires: true, verb: 'delete' },
    { name: "UPDATE by the config's serviceAccount is allowed", operation: 'UPDATE', old: defaultDeny, object: edited, user: own, fires: false },
    { name: "DELETE by the config's serviceAccount is allowed", operation: 'DELETE', old: defaultDeny, user: own, fires: false },
    {
      name: 'DELETE by the namespace-controller is allowed (namespace teardown)',
      operation: 'DELETE',
      old: defaultDeny,
      user: 'system:serviceaccount:kube-system:namespace-controller',
      fires: false,
    },
    {
      name: 'DELETE by the garbage collector is allowed',
      operation: 'DELETE',
      old: defaultDeny,
      user: 'system:serviceaccount:kube-system:generic-garbage-collector',
      fires: false,
    },
    {
      name: 'a custom serviceAccount replaces the default one',
      operation: 'DELETE',
      old: defaultDeny,
      user: 'system:serviceaccount:netsec:stagewall',
      fires: false,
      cfg: etlConfig({ serviceAccount: 'system:serviceaccount:netsec:stagewall' }),
    },
    {
      name: 'with a custom serviceAccount the default one is a random user',
      operation: 'DELETE',
      old: defaultDeny,
      user: own,
      fires: true,
      verb: 'delete',
      cfg: etlConfig({ serviceAccount: 'system:serviceaccount:netsec:stagewall' }),
    },
    {
      name: 'adding the managed-by label is not a change of a managed policy',
      operation: 'UPDATE',
      old: userPolicy,
      object: { ...userPolicy, metadata: { ...userPolicy.metadata, labels: { ...MANAGED } } },
      user: 'alice',
      fires: false,
    },
    {
      name: 'the label on a policy of another name is not protection: anyone can put it on their own policy',
      operation: 'DELETE',
      old: { ...userPolicy, metadata: { ...userPolicy.metadata, labels: { ...MANAGED } } },
      user: 'kubernetes-admin',
      fires: false,
    },
    {
      name: 'UPDATE of an unmanaged policy is not protected',
      operation: 'UPDATE',
      old: userPolicy,
      object: { ...userPolicy, spec: { podSelector: {} } },
      user: 'alice',
      fires: false,
    },
    { name: 'DELETE of an unmanaged policy is not protected', operation: 'DELETE', old: userPolicy, user: 'alice', fires: false },
    { name: 'CREATE of a managed-looking policy is not this rule', operation: 'CREATE', old: defaultDeny, object: defaultDeny, user: 'alice', fires: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const object = c.operation === 'DELETE' ? undefined : (c.object ?? c.old);
      const d = judge(object ?? c.old, c.cfg ?? config, view, {
        operation: c.operation,
        ...(c.operation === 'CREATE' ? {} : { oldObject: c.old }),
        ...(c.user === undefined ? {} : { user: { username: c.user } }),
      });
      if (c.fires) {
        const msg = assertFires(d, 'managed-policy-protected', 'deny', `NetworkPolicy etl/${c.old.metadata?.name}`);
        assert.match(msg, new RegExp(`${(c.user ?? '(unknown user)').replace(/[()]/g, '\\$&')} may not ${c.verb} it`));
        assert.equal(d.verdict, 'deny');
      } else {
        assertQuiet(d, 'managed-policy-protected');
      }
    });
  }

  it('audit mode reports it as a warning and admits', () => {
    const d = judge(defaultDeny, etlConfig({ mode: 'audit' }), view, { operation: 'DELETE', user: { username: 'alice' } });
    assertFires(d, 'managed-policy-protected', 'warn', 'NetworkPolicy etl/stagewall-default-deny');
    assert.equal(d.verdict, 'warn');
  });

  it('mode off admits without judging', () => {
    const d = judge(defaultDeny, etlConfig({ mode: 'off' }), view, { operation: 'DELETE', user: { username: 'alice' } });
    assert.equal(d.verdict, 'allow');
    assert.equal(d.skipped, 'mode-off');
  });

  it('a managed-looking policy in an exempt namespace is never judged', () => {
    const [kubeSystemPolicy] = managedPolicies('kube-system', config) as [NetworkPolicy];
    const d = judge(kubeSystemPolicy, config, view, { operation: 'DELETE', user: { username: 'alice' } });
    assert.equal(d.skipped, 'exempt-namespace');
    assert.deepEqual(d.violations, []);
  });

  it('a managed policy is protected in a non-pipeline namespace too (the label is what counts)', () => {
    const [webPolicy] = managedPolicies('web', config) as [NetworkPolicy];
    const d = judge(webPolicy, config, view, { operation: 'DELETE', user: { username: 'alice' } });
    assertFires(d, 'managed-policy-protected', 'deny', 'NetworkPolicy web/stagewall-default-deny');
  });

  it('an UPDATE is judged both for the change and for the new content', () => {
    const open: NetworkPolicy = { ...defaultDeny, spec: { podSelector: {}, ingress: [{}] } };
    const d = judge(open, config, view, { operation: 'UPDATE', oldObject: defaultDeny, user: { username: 'alice' } });
    assert.deepEqual(d.violations.map((v) => v.rule).sort(), ['ingress-open', 'managed-policy-protected']);
  });
});
