// The shipped P4Info text is exactly what the program description generates.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { P4INFO_TXT, p4infoText } from '../../../src/drivers/intel-ipu/program/p4info.js';
import { ACTIONS, TABLES } from '../../../src/drivers/intel-ipu/program/program.js';

describe('intel-ipu program: P4Info', () => {
  it('p4info.txt matches the program (regenerate: npx tsx src/drivers/intel-ipu/program/p4info.ts --write)', () => {
    expect(readFileSync(P4INFO_TXT, 'utf8')).to.equal(p4infoText());
  });
  it('gives every table and action a unique id with its P4Info prefix, and unique field ids per table', () => {
    const tables = Object.values(TABLES);
    const actions = Object.values(ACTIONS);
    expect(new Set(tables.map((t) => t.id)).size).to.equal(tables.length);
    expect(new Set(actions.map((a) => a.id)).size).to.equal(actions.length);
    for (const t of tables) {
      expect(t.id >>> 24).to.equal(0x02);
      expect(new Set(t.fields.map((f) => f.id)).size).to.equal(t.fields.length);
    }
    for (const a of actions) expect(a.id >>> 24).to.equal(0x01);
  });
});
