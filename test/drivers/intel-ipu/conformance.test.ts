// The intel-ipu driver passes every conformance test its capabilities make it
// eligible for: one driver session on one embedded target, reset between tests
// (the suite's shared mode; `npx xpuhal conformance --driver intel-ipu` runs
// it with a fresh target per test).
import { expect } from 'chai';
import { IntelIpuDriver } from '../../../src/drivers/intel-ipu/index.js';
import { runConformance, testsFor } from '../../../conformance/index.js';

describe('conformance: the intel-ipu driver', function () {
  this.timeout(600_000);

  it('one target reset between tests: nothing fails or errors; what is not offloaded is unsupported with a reason', async () => {
    const hal = await IntelIpuDriver.connect({});
    try {
      const run = await runConformance({ name: 'intel-ipu-shared', isolation: 'shared', open: async () => hal }, { tests: testsFor() });
      const bad = run.results.filter((r) => r.status === 'fail' || r.status === 'error').map((r) => `${r.id}: ${r.reason}`);
      expect(bad).to.deep.equal([]);
      expect(run.totals.pass).to.be.at.least(150);
      const reasons = new Set(run.results.filter((r) => r.status === 'unsupported').map((r) => r.reason));
      expect([...reasons].some((r) => /IPV6_ROUTING/.test(r ?? ''))).to.equal(true);
    } finally {
      await hal.close();
    }
  });
});
