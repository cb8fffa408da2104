// Scaling guards for the hostile shapes of issue 10: doubling the object must about double the
// operations the engine counts (Set and Map lookups, array elements visited, sort comparisons),
// never quadruple them. Counts, not clocks: the machine is shared. The shapes at the issue's own
// sizes are timed by `npm run bench:hostile`.
import { strict as assert } from 'node:assert';
import { loadConfigFile } from '../../src/config/load.js';
import { checkObjects } from '../../src/cli/check.js';
import { evaluate, type EngineContext } from '../../src/engine/evaluate.js';
import type { KubeObject } from '../../src/engine/types.js';
import { loadManifests } from '../../src/manifests/load.js';
import { buildStaticView } from '../../src/manifests/view.js';
import { manyExcepts, manyLabelKeys, manyNamedPorts, manyNamespaceNames, manyRequirements, manyRules } from '../../bench/hostile-shapes.js';
import { countOperations } from './op-count.js';

const config = loadConfigFile('examples/stagewall.yaml');
const manifests = loadManifests(['examples/pipeline/manifests']);
const ctx: EngineContext = { config, view: buildStaticView(manifests, 'default', config) };

/** Linear doubles (2), n·log n a little more; quadratic is 4. */
const MAX_GROWTH = 2.6;

const judged = (object: KubeObject) => () => void evaluate({ operation: 'CREATE', object }, ctx);
/** `stagewall check` of the examples plus the object: the object enters the view too. */
const checked = (object: KubeObject) => () => void checkObjects([...manifests, { object, source: { file: 'hostile.yaml', line: 1 }, judged: true }], config);

describe('engine: cost grows linearly with the hostile shapes of issue 10', () => {
  const cases: { name: string; small: () => void; large: () => void }[] = [
    { name: 'ingress rules, each with a port finding (portFindings per rule)', small: judged(manyRules(400)), large: judged(manyRules(800)) },
    { name: 'except entries of one ipBlock (cidr subtract)', small: judged(manyExcepts(400)), large: judged(manyExcepts(800)) },
    { name: 'In requirements on one key (mayMatch)', small: judged(manyRequirements(20, 40)), large: judged(manyRequirements(40, 40)) },
    { name: 'values of each In requirement (mayMatch, pinnedValues)', small: judged(manyRequirements(20, 40)), large: judged(manyRequirements(20, 80)) },
    { name: 'distinct label keys of a podSelector', small: judged(manyLabelKeys(1000)), large: judged(manyLabelKeys(2000)) },
    { name: 'named ports of one rule (rulePorts, formatPorts)', small: judged(manyNamedPorts(200)), large: judged(manyNamedPorts(400)) },
    {
      name: 'namespace names and other requirements of a namespaceSelector (matches per name)',
      small: judged(manyNamespaceNames(200, 200)),
      large: judged(manyNamespaceNames(400, 400)),
    },
    {
      name: 'check: ingress rules of a policy in the view (flow-blocked unions ports per rule)',
      small: checked(manyRules(300)),
      large: checked(manyRules(600)),
    },
  ];
  for (const c of cases) {
    it(`doubling ${c.name} at most doubles the operations (× ${MAX_GROWTH})`, () => {
      c.small(); // warm, so lazily built state is not counted on one side only
      const small = countOperations(c.small);
      const large = countOperations(c.large);
      assert.ok(small > 0, 'something was counted');
      assert.ok(large / small <= MAX_GROWTH, `operations grew × ${(large / small).toFixed(2)} (${small} -> ${large})`);
    });
  }
});
