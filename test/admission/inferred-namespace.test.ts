// The webhook infers a namespace its view lacks as `check` does (engine/scope.ts): the pipeline
// label when the config places one pipeline's stages there. An informer that lags a namespace
// created a moment ago must not let its pods through unjudged, and a namespace the view has keeps
// its own labels.
import { strict as assert } from 'node:assert';
import { handleMutate, handleValidate } from '../../src/admission/handler.js';
import { decodeReview } from '../../src/admission/review.js';
import { checkObjects } from '../../src/cli/check.js';
import { loadConfigFile } from '../../src/config/load.js';
import type { EngineContext } from '../../src/engine/evaluate.js';
import type { KubeObject } from '../../src/engine/types.js';
import { loadManifests } from '../../src/manifests/load.js';
import { admissionReview, namespace, pod } from '../helpers/review.js';
import { viewOf } from '../helpers/view.js';

const config = loadConfigFile('examples/stagewall.yaml');
const PIPELINE = 'stagewall.dev/pipeline';
const STAGE = 'stagewall.dev/stage';
/** The example pipeline's policies, without its Namespace objects. */
const policies = loadManifests(['examples/pipeline/manifests'])
  .map((o) => o.object)
  .filter((o) => o.kind === 'NetworkPolicy');

function ctxWith(namespaces: KubeObject[]): EngineContext {
  return { config, view: viewOf([...namespaces, ...policies]), ownNamespace: 'stagewall-system' };
}

const validate = (object: KubeObject, ctx: EngineContext) => handleValidate(decodeReview(admissionReview(object)).request, ctx);
const mutate = (object: KubeObject, ctx: EngineContext) => handleMutate(decodeReview(admissionReview(object)).request, ctx);

describe('admission: a namespace the view lacks is inferred from the config', () => {
  const rows: {
    name: string;
    namespaces: KubeObject[];
    object: KubeObject;
    allowed: boolean;
    rules: string[];
    skipped?: string;
    pipelineLabel: string | undefined;
  }[] = [
    {
      name: 'a pod without a stage label in a namespace the config places etl in, absent from the view: judged as etl (stage-label-missing)',
      namespaces: [],
      object: pod('etl-transform', 'p'),
      allowed: false,
      rules: ['stage-label-missing'],
      pipelineLabel: 'etl',
    },
    {
      name: 'a labelled pod there: judged as etl and allowed, the policies of the view cover it',
      namespaces: [],
      object: pod('etl-transform', 'p', { [STAGE]: 'transform' }),
      allowed: true,
      rules: [],
      pipelineLabel: 'etl',
    },
    {
      name: 'the same namespace in the view without the pipeline label: not a pipeline (the view wins)',
      namespaces: [namespace('etl-transform')],
      object: pod('etl-transform', 'p'),
      allowed: true,
      rules: [],
      skipped: 'not-a-pipeline',
      pipelineLabel: undefined,
    },
    {
      name: 'a namespace the config does not place: not a pipeline',
      namespaces: [],
      object: pod('scratch', 'p'),
      allowed: true,
      rules: [],
      skipped: 'not-a-pipeline',
      pipelineLabel: undefined,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const ctx = ctxWith(row.namespaces);
      const { response, decision } = validate(row.object, ctx);
      assert.equal(response.allowed, row.allowed);
      assert.deepEqual(
        decision?.violations.map((v) => v.rule),
        row.rules,
      );
      assert.equal(decision?.skipped, row.skipped);
      // The mutation sees the same namespace: it adds the inferred pipeline label, or nothing.
      const { patch } = mutate(row.object, ctx);
      const label = patch?.find((op) => op.op === 'add' && (op.path === '/metadata/labels/stagewall.dev~1pipeline' || op.path === '/metadata/labels'));
      const value = label && 'value' in label ? label.value : undefined;
      assert.equal(typeof value === 'string' ? value : (value as Record<string, string> | undefined)?.[PIPELINE], row.pipelineLabel);
    });
  }

  it('check, given the same objects, gives the same messages', () => {
    const object = pod('etl-transform', 'p');
    const { decision } = validate(object, ctxWith([]));
    const report = checkObjects(
      [...policies, object].map((o, i) => ({ object: o, source: { file: 'inline.yaml', line: i + 1 }, judged: true })),
      config,
    );
    assert.deepEqual(report.results.at(-1)?.decision.violations, decision?.violations);
  });
});
