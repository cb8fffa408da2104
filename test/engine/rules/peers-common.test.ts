import { strict as assert } from 'node:assert';
import { managedPolicies } from '../../../src/engine/generate.js';
import type { NetworkPolicy } from '../../../src/engine/types.js';
import { judge } from './fixtures.js';
import { CONFIG, VIEW } from './peers-fixtures.js';

describe('engine/rules/peers-common', () => {
  describe("stagewall's managed policies", () => {
    for (const policy of managedPolicies('etl', CONFIG)) {
      it(`${policy.metadata?.name} is allowed`, () => {
        const d = judge(policy as NetworkPolicy, CONFIG, VIEW);
        assert.equal(d.skipped, undefined);
        assert.deepEqual(d.violations, []);
      });
    }
  });
});
