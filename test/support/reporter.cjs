// mocha's spec reporter, plus a machine-readable summary for CI: when STAGEWALL_TEST_RESULTS
// names a file, the run's counts are written there as JSON ({passes, failures, pending, tests}).
const { writeFileSync } = require('node:fs');
const Mocha = require('mocha');

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const file = process.env.STAGEWALL_TEST_RESULTS;
    if (!file) return;
    runner.once('end', () => {
      const { passes, failures, pending, tests } = runner.stats;
      writeFileSync(file, JSON.stringify({ passes, failures, pending, tests }));
    });
  }
}

module.exports = SpecWithSummary;
