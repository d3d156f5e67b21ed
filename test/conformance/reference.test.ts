// The reference driver passes every conformance test it is not unsupported for,
// as a fresh device per test and as one shared device reset between tests (how
// an endpoint runs); the suite is as broad as issue 5 asks.
import { expect } from 'chai';
import { ReferenceDriver } from '../../src/drivers/reference/index.js';
import { ALL_TESTS, PROFILES, runConformance, testsFor, type RunOutcome } from '../../conformance/index.js';

const bad = (run: RunOutcome) => run.results.filter((r) => r.status === 'fail' || r.status === 'error').map((r) => `${r.id}: ${r.reason}`);

describe('conformance: the reference driver', function () {
  this.timeout(120_000);

  it('the suite: ≥150 tests, unique ids <profile>.<…>, every profile present, every title cites a section', () => {
    expect(ALL_TESTS.length).to.be.at.least(150);
    expect(new Set(ALL_TESTS.map((t) => t.id)).size).to.equal(ALL_TESTS.length);
    for (const t of ALL_TESTS) {
      expect(t.id.startsWith(`${t.profile}.`), t.id).to.equal(true);
      expect(t.title, t.id).to.match(/§\d/);
    }
    expect([...new Set(ALL_TESTS.map((t) => t.profile))]).to.deep.equal([...PROFILES]);
  });

  it('a fresh device per test: nothing fails or errors', async () => {
    const run = await runConformance({ name: 'reference', isolation: 'fresh', open: async () => new ReferenceDriver() }, { tests: testsFor() });
    expect(bad(run)).to.deep.equal([]);
    expect(run.totals.pass).to.be.at.least(200);
  });

  it('one device reset between tests: nothing fails or errors', async () => {
    const one = new ReferenceDriver();
    const run = await runConformance({ name: 'reference-shared', isolation: 'shared', open: async () => one }, { tests: testsFor() });
    expect(bad(run)).to.deep.equal([]);
    const unsupported = run.results.filter((r) => r.status === 'unsupported').map((r) => r.reason);
    expect(unsupported).to.include('needs a fresh device per test (the target is shared)');
  });

  it('a test whose feature is undeclared is unsupported, naming it; a declared one that misbehaves fails', async () => {
    const run = await runConformance({ name: 'reference', isolation: 'fresh', open: async () => new ReferenceDriver() }, { tests: testsFor(['crypto']).filter((t) => t.id === 'crypto.esp.protect') });
    expect(run.results[0].status).to.equal('unsupported');
    expect(run.results[0].reason).to.include('IPSEC_ESP');
  });
});
