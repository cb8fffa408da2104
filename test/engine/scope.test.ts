import { strict as assert } from 'node:assert';
import type { StagewallConfig } from '../../src/config/model.js';
import {
  configuredPipeline,
  inferredNamespace,
  isProtectedNamespace,
  namespaceIn,
  scopeOf,
  type ScopePurpose,
  type ScopeSkip,
} from '../../src/engine/scope.js';
import { namespaceInfo, type NamespaceInfo } from '../../src/engine/view.js';
import { makeConfig } from '../helpers/config.js';
import { NAME, ns, PIPELINE, viewOf } from './rules/fixtures.js';

function config(extra: Record<string, unknown> = {}): StagewallConfig {
  return makeConfig({
    exemptNamespaces: ['legacy'],
    pipelines: [
      { name: 'etl', stages: [{ name: 'extract' }, { name: 'load' }] },
      { name: 'ml', mode: 'audit', stages: [{ name: 'train' }] },
      { name: 'old', mode: 'off', stages: [{ name: 'run' }] },
    ],
    ...extra,
  });
}

const terminating = (name: string, pipeline: string): NamespaceInfo => ({ ...namespaceInfo(ns(name, { pipeline })), terminating: true });

describe('engine/scope: is a namespace judged, in which mode, for which pipeline', () => {
  const rows: {
    name: string;
    namespace: string;
    info: NamespaceInfo | undefined;
    cfg?: StagewallConfig;
    purpose?: ScopePurpose;
    skipped: ScopeSkip | undefined;
    pipeline: string | undefined;
    mode: string;
  }[] = [
    {
      name: 'a namespace labelled with a declared pipeline is judged in that pipeline, in the global mode',
      namespace: 'etl',
      info: namespaceInfo(ns('etl', { pipeline: 'etl' })),
      skipped: undefined,
      pipeline: 'etl',
      mode: 'enforce',
    },
    {
      name: "a pipeline's own mode overrides the global one",
      namespace: 'ml',
      info: namespaceInfo(ns('ml', { pipeline: 'ml' })),
      skipped: undefined,
      pipeline: 'ml',
      mode: 'audit',
    },
    {
      name: 'the label, not the name, places a namespace in a pipeline',
      namespace: 'team-x',
      info: namespaceInfo(ns('team-x', { pipeline: 'etl' })),
      skipped: undefined,
      pipeline: 'etl',
      mode: 'enforce',
    },
    {
      name: 'mode off: the pipeline is known but not judged',
      namespace: 'old',
      info: namespaceInfo(ns('old', { pipeline: 'old' })),
      skipped: 'mode-off',
      pipeline: 'old',
      mode: 'off',
    },
    {
      name: 'a global mode off applies to pipelines without their own',
      namespace: 'etl',
      info: namespaceInfo(ns('etl', { pipeline: 'etl' })),
      cfg: config({ mode: 'off' }),
      skipped: 'mode-off',
      pipeline: 'etl',
      mode: 'off',
    },
    {
      name: 'no pipeline label: not a pipeline',
      namespace: 'web',
      info: namespaceInfo(ns('web')),
      skipped: 'not-a-pipeline',
      pipeline: undefined,
      mode: 'enforce',
    },
    {
      name: 'a label naming an undeclared pipeline: not a pipeline',
      namespace: 'web',
      info: namespaceInfo(ns('web', { pipeline: 'nope' })),
      skipped: 'not-a-pipeline',
      pipeline: undefined,
      mode: 'enforce',
    },
    {
      name: 'nothing known of the namespace: not a pipeline',
      namespace: 'ghost',
      info: undefined,
      skipped: 'not-a-pipeline',
      pipeline: undefined,
      mode: 'enforce',
    },
    {
      name: 'kube-system is protected whatever its labels',
      namespace: 'kube-system',
      info: namespaceInfo(ns('kube-system', { pipeline: 'etl' })),
      cfg: config({ exemptNamespaces: [] }),
      skipped: 'exempt-namespace',
      pipeline: undefined,
      mode: 'enforce',
    },
    {
      name: "stagewall's own namespace is protected whatever its labels",
      namespace: 'stagewall',
      info: namespaceInfo(ns('stagewall', { pipeline: 'etl' })),
      skipped: 'exempt-namespace',
      pipeline: undefined,
      mode: 'enforce',
    },
    {
      name: 'an exempt namespace is protected whatever its labels',
      namespace: 'legacy',
      info: namespaceInfo(ns('legacy', { pipeline: 'etl' })),
      skipped: 'exempt-namespace',
      pipeline: undefined,
      mode: 'enforce',
    },
    {
      name: 'a protected namespace reports the global mode',
      namespace: 'legacy',
      info: namespaceInfo(ns('legacy', { pipeline: 'ml' })),
      cfg: config({ mode: 'audit' }),
      skipped: 'exempt-namespace',
      pipeline: undefined,
      mode: 'audit',
    },
    {
      name: 'admission: a terminating namespace is still judged (its objects are being deleted)',
      namespace: 'etl',
      info: terminating('etl', 'etl'),
      skipped: undefined,
      pipeline: 'etl',
      mode: 'enforce',
    },
    {
      name: 'default-deny: a pipeline namespace gets the managed policies',
      namespace: 'etl',
      info: namespaceInfo(ns('etl', { pipeline: 'etl' })),
      purpose: 'default-deny',
      skipped: undefined,
      pipeline: 'etl',
      mode: 'enforce',
    },
    {
      name: 'default-deny: not into a terminating namespace',
      namespace: 'etl',
      info: terminating('etl', 'etl'),
      purpose: 'default-deny',
      skipped: 'terminating',
      pipeline: 'etl',
      mode: 'enforce',
    },
    {
      name: 'default-deny: nothing when defaultDeny is disabled',
      namespace: 'etl',
      info: namespaceInfo(ns('etl', { pipeline: 'etl' })),
      cfg: config({ defaultDeny: { enabled: false } }),
      purpose: 'default-deny',
      skipped: 'default-deny-off',
      pipeline: 'etl',
      mode: 'enforce',
    },
    {
      name: 'default-deny: disabled defaultDeny does not stop admission',
      namespace: 'etl',
      info: namespaceInfo(ns('etl', { pipeline: 'etl' })),
      cfg: config({ defaultDeny: { enabled: false } }),
      skipped: undefined,
      pipeline: 'etl',
      mode: 'enforce',
    },
    {
      name: 'default-deny: not in a mode-off pipeline',
      namespace: 'old',
      info: namespaceInfo(ns('old', { pipeline: 'old' })),
      purpose: 'default-deny',
      skipped: 'mode-off',
      pipeline: 'old',
      mode: 'off',
    },
    {
      name: 'default-deny: never in a protected namespace',
      namespace: 'kube-system',
      info: namespaceInfo(ns('kube-system', { pipeline: 'etl' })),
      purpose: 'default-deny',
      skipped: 'exempt-namespace',
      pipeline: undefined,
      mode: 'enforce',
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const scope = scopeOf(row.namespace, row.info, { config: row.cfg ?? config(), ownNamespace: 'stagewall' }, row.purpose);
      assert.equal(scope.skipped, row.skipped);
      assert.equal(scope.pipeline?.name, row.pipeline);
      assert.equal(scope.mode, row.mode);
    });
  }

  it('isProtectedNamespace: kube-system, the own namespace and the exempt list, nothing else', () => {
    const ctx = { config: config({ exemptNamespaces: ['legacy'] }), ownNamespace: 'stagewall' };
    assert.deepEqual(
      ['kube-system', 'stagewall', 'legacy', 'etl', 'kube-public'].map((n) => isProtectedNamespace(n, ctx)),
      [true, true, true, false, false],
    );
  });

  describe('a namespace the view lacks is inferred from where the config places stages', () => {
    const placed = makeConfig({
      pipelines: [
        { name: 'shop', namespace: 'store', stages: [{ name: 'web' }, { name: 'db', namespace: 'shared' }] },
        { name: 'ops', stages: [{ name: 'backup', namespace: 'shared' }] },
      ],
    });
    const cases: { name: string; namespace: string; pipeline: string | undefined }[] = [
      { name: "a pipeline's namespace gets its pipeline label", namespace: 'store', pipeline: 'shop' },
      { name: 'a namespace two pipelines place stages in gets none (ambiguous)', namespace: 'shared', pipeline: undefined },
      { name: 'a namespace the config never names gets none', namespace: 'elsewhere', pipeline: undefined },
      { name: 'a pipeline placed elsewhere gives its name no label', namespace: 'shop', pipeline: undefined },
    ];
    for (const c of cases) {
      it(c.name, () => {
        assert.equal(configuredPipeline(c.namespace, placed), c.pipeline);
        const info = inferredNamespace(c.namespace, placed);
        assert.equal(info.labels[NAME], c.namespace);
        assert.equal(info.labels[PIPELINE], c.pipeline);
        assert.equal(scopeOf(c.namespace, info, { config: placed }).pipeline?.name, c.pipeline);
      });
    }
    it('a namespace the view has keeps its own labels: an unlabelled Namespace object is not a pipeline', () => {
      const view = viewOf(ns('store'));
      assert.equal(namespaceIn(view, 'store', placed).labels[PIPELINE], undefined);
      assert.equal(namespaceIn(viewOf(), 'store', placed).labels[PIPELINE], 'shop');
    });
  });
});
