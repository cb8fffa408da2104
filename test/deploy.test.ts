// The deployment manifests hard-code what the shipped config says: the pipeline label, the exempt
// namespaces, stagewall's own namespace and service account. These tests keep the two in step, so
// an edit to one side without the other fails here rather than in a cluster.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { loadAll } from 'js-yaml';
import { loadConfigFile } from '../src/config/load.js';
import { isRecord } from '../src/engine/types.js';
import { STARTING_GUARD } from '../src/cluster/cert-store.js';

const config = loadConfigFile('manifests/stagewall.yaml');
const docs = (file: string) => (loadAll(readFileSync(file, 'utf8')) as unknown[]).filter(isRecord);

interface Webhook {
  name: string;
  clientConfig: { service: { name: string; namespace: string; path: string } };
  namespaceSelector?: { matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  matchConditions?: { name: string; expression: string }[];
  failurePolicy?: string;
}

const webhooks: Webhook[] = docs('manifests/webhooks.yaml').flatMap((d) => (d['webhooks'] as Webhook[]) ?? []);
/** stagewall's own namespace, as the kustomization puts everything there. */
const OWN_NAMESPACE = String(docs('manifests/kustomization.yaml')[0]?.['namespace']);
const LABEL = config.labels.pipeline;
const exempt = [...config.exemptNamespaces].sort();

describe('deploy: manifests/ agree with the config they ship', () => {
  it('there are the webhooks the README describes', () => {
    assert.deepEqual(webhooks.map((w) => w.name).sort(), [
      'namespace-labels.validate.stagewall.dev',
      'namespaces.mutate.stagewall.dev',
      'namespaces.validate.stagewall.dev',
      'networkpolicies.validate.stagewall.dev',
      'pods.mutate.stagewall.dev',
      'pods.validate.stagewall.dev',
      'workloads.validate.stagewall.dev',
    ]);
  });

  it("the kustomization's namespace is the Namespace it creates and the one the config's service account lives in", () => {
    assert.equal(OWN_NAMESPACE, (docs('manifests/namespace.yaml')[0] as { metadata: { name: string } }).metadata.name);
    assert.equal(config.serviceAccount.split(':')[2], OWN_NAMESPACE);
  });

  it("the config exempts kube-system and stagewall's own namespace", () => {
    assert.ok(config.exemptNamespaces.has('kube-system'));
    assert.ok(config.exemptNamespaces.has(OWN_NAMESPACE));
  });

  for (const webhook of webhooks) {
    describe(webhook.name, () => {
      it(`calls the stagewall Service in ${OWN_NAMESPACE}`, () => {
        assert.equal(webhook.clientConfig.service.name, 'stagewall');
        assert.equal(webhook.clientConfig.service.namespace, OWN_NAMESPACE);
        assert.match(webhook.clientConfig.service.path, webhook.name.includes('.mutate.') ? /^\/mutate$/ : /^\/validate$/);
      });

      it('never sees an exempt namespace: the same list as the config, by selector or by condition', () => {
        const notIn = webhook.namespaceSelector?.matchExpressions?.find((e) => e.key === 'kubernetes.io/metadata.name' && e.operator === 'NotIn');
        if (notIn) {
          assert.deepEqual([...(notIn.values ?? [])].sort(), exempt);
          return;
        }
        // Namespace label changes are matched on the old labels, by matchConditions.
        const condition = webhook.matchConditions?.find((c) => c.name === 'not-a-system-namespace');
        assert.ok(condition, 'a webhook without the namespaceSelector needs the not-a-system-namespace condition');
        const listed = [...condition.expression.matchAll(/'([^']+)'/g)].map((m) => m[1]).sort();
        assert.deepEqual(listed, exempt);
      });

      it(`selects pipeline namespaces by the config's pipeline label (${LABEL})`, () => {
        const text = JSON.stringify(webhook);
        if (webhook.namespaceSelector) {
          assert.ok(webhook.namespaceSelector.matchExpressions?.some((e) => e.key === LABEL && e.operator === 'Exists'));
        } else {
          assert.ok(text.includes(`'${LABEL}'`), 'the label is named in its conditions');
        }
        const otherLabels = [...text.matchAll(/stagewall\.dev\/[a-z-]+/g)].map((m) => m[0]).filter((l) => l !== LABEL);
        assert.deepEqual(otherLabels, [], 'no other stagewall.dev label is selected on');
      });

      it(`ships the ${STARTING_GUARD} guard, whose expression fails at run time (refused with a message until stagewall writes caBundle), and no caBundle`, () => {
        const guard = webhook.matchConditions?.find((c) => c.name === STARTING_GUARD);
        assert.ok(guard, 'the guard is there');
        assert.match(guard.expression, /^int\('stagewall is starting: [^']+' \+ request\.operation\) == 0$/);
        assert.equal(webhook.failurePolicy, 'Fail', 'an erroring condition refuses only with failurePolicy Fail');
        assert.equal((webhook.clientConfig as { caBundle?: string }).caBundle, undefined);
      });

      it("names no service account of its own other than the config's", () => {
        const ownNamespace = new RegExp(`^system:serviceaccount:${OWN_NAMESPACE}:`);
        for (const condition of webhook.matchConditions ?? []) {
          for (const [, user] of condition.expression.matchAll(/'(system:serviceaccount:[^']+)'/g)) {
            // kube-system's controllers (namespace teardown) may be named; stagewall's namespace only by the config's account.
            if (user && (ownNamespace.test(user) || !user.startsWith('system:serviceaccount:kube-system:'))) assert.equal(user, config.serviceAccount);
          }
        }
      });
    });
  }

  it("the NetworkPolicy webhook lets stagewall's own applies through, by the config's service account", () => {
    const webhook = webhooks.find((w) => w.name === 'networkpolicies.validate.stagewall.dev');
    const condition = webhook?.matchConditions?.find((c) => c.name === 'not-stagewall-itself');
    assert.equal(condition?.expression, `request.userInfo.username != '${config.serviceAccount}'`);
  });

  it("the Deployment runs in stagewall's namespace, with the config mounted where --config points", () => {
    const deployment = docs('manifests/deployment.yaml').find((d) => d['kind'] === 'Deployment') as { metadata: { namespace: string } } | undefined;
    assert.equal(deployment?.metadata.namespace, OWN_NAMESPACE);
    const text = readFileSync('manifests/deployment.yaml', 'utf8');
    assert.match(text, /--config=\/etc\/stagewall\/stagewall\.yaml/);
    assert.match(text, /mountPath: \/etc\/stagewall\n/);
  });

  it('the Deployment runs serve --manage-certs, with no certificate files mounted', () => {
    const text = readFileSync('manifests/deployment.yaml', 'utf8');
    assert.match(text, /- --manage-certs\n/);
    assert.doesNotMatch(text, /--tls-cert|secretName: stagewall-tls/);
  });

  it('RBAC for --manage-certs is minimal: get/update on the one Secret by name, create (not restrictable by name), get/patch on the two webhook configurations by name', () => {
    const rbac = docs('manifests/rbac.yaml');
    const role = rbac.find((d) => d['kind'] === 'Role') as {
      metadata: { namespace: string };
      rules: { resources: string[]; verbs: string[]; resourceNames?: string[] }[];
    };
    assert.equal(role.metadata.namespace, OWN_NAMESPACE);
    assert.deepEqual(
      role.rules.map((r) => ({ resources: r.resources, verbs: r.verbs, resourceNames: r.resourceNames })),
      [
        { resources: ['secrets'], verbs: ['get', 'update'], resourceNames: ['stagewall-tls'] },
        { resources: ['secrets'], verbs: ['create'], resourceNames: undefined },
      ],
    );
    const cluster = rbac.find((d) => d['kind'] === 'ClusterRole') as {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[];
    };
    const hooks = cluster.rules.filter((r) => r.apiGroups.includes('admissionregistration.k8s.io'));
    assert.deepEqual(hooks, [
      {
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'],
        verbs: ['get', 'patch'],
        resourceNames: ['stagewall'],
      },
    ]);
    assert.ok(!cluster.rules.some((r) => r.resources.includes('secrets')), 'no cluster-wide Secret access');
  });

  it('the ServiceAccount is the one the config names', () => {
    const sa = docs('manifests/serviceaccount.yaml').find((d) => d['kind'] === 'ServiceAccount') as
      { metadata: { name: string; namespace: string } } | undefined;
    assert.equal(`system:serviceaccount:${sa?.metadata.namespace}:${sa?.metadata.name}`, config.serviceAccount);
  });
});
