// The suite has teeth: every mutant of the reference driver (one seeded bug
// each, test/conformance/mutants/) must fail at least one conformance test of
// the profiles named for it. The kill ratio goes in docs/conformance.md.
import { expect } from 'chai';
import { runConformance, testsFor } from '../../conformance/index.js';
import { MUTANTS as BASIC } from './mutants/index.js';
import { STATEFUL_MUTANTS } from './mutants/stateful.js';

const MUTANTS = [...BASIC, ...STATEFUL_MUTANTS];

describe('conformance: mutants are killed', function () {
  this.timeout(120_000);

  it('there are at least 20 mutants with distinct names', () => {
    expect(MUTANTS.length).to.be.at.least(20);
    expect(new Set(MUTANTS.map((m) => m.name)).size).to.equal(MUTANTS.length);
  });

  const killed: string[] = [];
  for (const m of MUTANTS) {
    it(`${m.name}: ${m.bug}`, async () => {
      const run = await runConformance({ name: m.name, isolation: 'fresh', open: () => m.create() }, { tests: testsFor(m.profiles), stopOnFail: true });
      const fails = run.results.filter((r) => r.status === 'fail');
      expect(fails.length, `no ${m.profiles.join('/')} test failed`).to.be.at.least(1);
      killed.push(m.name);
    });
  }

  after(() => {
    // One line for docs/conformance.md's kill ratio.
    console.log(`      kill ratio: ${killed.length}/${MUTANTS.length}`);
  });
});
