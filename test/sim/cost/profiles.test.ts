// Shipped profiles load and validate; a bad profile names the field.
import { expect } from 'chai';
import { DataFileError } from '../../../src/sim/cost/decode.js';
import { loadProfile, parseProfile, profileNames } from '../../../src/sim/cost/profile.js';
import { pipelineDoc, softwareEngineDoc } from './tiny-profiles.js';

const fails = (fn: () => unknown): DataFileError => {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(DataFileError);
    return e as DataFileError;
  }
  throw new Error('expected a DataFileError');
};

describe('sim/cost: profiles', () => {
  it('ships host-x86, intel-ipu, nvidia-dpu and pensando, each valid', () => {
    expect(profileNames()).to.deep.equal(['host-x86', 'intel-ipu', 'nvidia-dpu', 'pensando']);
    for (const n of profileNames()) {
      const p = loadProfile(n);
      expect(p.name).to.equal(n);
      expect(p.style).to.equal(n === 'host-x86' ? 'run-to-completion' : 'pipelined');
    }
  });

  it('every parameter needs a source or calibration note', () => {
    const eng = softwareEngineDoc({ cores: { value: 4 } });
    const e = fails(() => parseProfile({ name: 'x', description: 'x', style: 'run-to-completion', engine: eng }, 'x.json'));
    expect(e.fieldPath).to.equal('engine.cores');
    const ok = softwareEngineDoc({ cores: { value: 4, calibration: 'measured on this machine' } });
    expect(parseProfile({ name: 'x', description: 'x', style: 'run-to-completion', engine: ok }, 'x.json').style).to.equal('run-to-completion');
  });

  it('a negative or non-numeric value is refused with its path', () => {
    const eng = softwareEngineDoc();
    (eng.costs as Record<string, unknown>).nat = { cycles: { value: -3, source: 's' } };
    const e = fails(() => parseProfile({ name: 'x', description: 'x', style: 'run-to-completion', engine: eng }, 'x.json'));
    expect(e.fieldPath).to.equal('engine.costs.nat.cycles.value');
    expect(e.message).to.include('x.json').and.include('>= 0');
  });

  it('an unknown field (a typo) is refused rather than ignored', () => {
    const e = fails(() => parseProfile({ name: 'x', description: 'x', style: 'pipelined', pipeline: { ...pipelineDoc(), stagePerPass: 3 }, slowPath: {} }, 'x.json'));
    expect(e.fieldPath).to.equal('pipeline.stagePerPass');
    expect(e.detail).to.include('unknown field');
  });

  it('a missing field and an unknown style are named', () => {
    const doc = pipelineDoc();
    delete (doc as Record<string, unknown>).clockHz;
    const e = fails(() => parseProfile({ name: 'x', description: 'x', style: 'pipelined', pipeline: doc, slowPath: {} }, 'x.json'));
    expect(e.fieldPath).to.equal('pipeline.clockHz');
    expect(fails(() => parseProfile({ style: 'quantum' }, 'x.json')).fieldPath).to.equal('style');
  });

  it('an unknown profile name lists the shipped ones', () => {
    expect(fails(() => loadProfile('tofino')).message).to.include('host-x86, intel-ipu, nvidia-dpu, pensando');
  });
});
