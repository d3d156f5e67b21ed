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
      expect(run.totals.pass).to.be.at.least(210);
      // Tunnels and IPv6 are offloaded: none of their tests is skipped; what is skipped says what it needs.
      const skipped = run.results.filter((r) => r.status === 'unsupported');
      expect(skipped.filter((r) => r.id.startsWith('tunnel.') || /IPV6_ROUTING|VXLAN|GENEVE/.test(r.reason ?? '')).map((r) => r.id)).to.deep.equal([]);
      expect(skipped.every((r) => /^needs /.test(r.reason ?? ''))).to.equal(true);
    } finally {
      await hal.close();
    }
  });
});
