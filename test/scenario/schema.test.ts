// Scenario validation: a bad scenario gets one clear error naming the field.
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { runScenario } from '../../src/scenario/run.js';
import { parseScenario, type Scenario } from '../../src/scenario/schema.js';
import { DataFileError } from '../../src/sim/cost/decode.js';
import { loadProfile } from '../../src/sim/cost/profile.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const smoke = () => JSON.parse(readFileSync(path.join(ROOT, 'scenarios/smoke.json'), 'utf8')) as Record<string, any>;

function refused(doc: unknown): DataFileError {
  try {
    parseScenario(doc, 'bad.json');
  } catch (e) {
    expect(e).to.be.instanceOf(DataFileError);
    return e as DataFileError;
  }
  throw new Error('expected the scenario to be refused');
}

async function refusedAtRun(s: Scenario): Promise<DataFileError> {
  try {
    await runScenario(s, loadProfile('host-x86'), 'bad.json');
  } catch (e) {
    expect(e).to.be.instanceOf(DataFileError);
    return e as DataFileError;
  }
  throw new Error('expected the run to be refused');
}

describe('scenario: validation', () => {
  it('the shipped scenarios are valid', () => {
    for (const f of ['smoke.json', 'seed-geneve-ct.json']) parseScenario(JSON.parse(readFileSync(path.join(ROOT, 'scenarios', f), 'utf8')), f);
  });

  it('an unknown field is named, not ignored', () => {
    const d = smoke();
    d.traffic.flows[1].packetSzie = 64;
    const e = refused(d);
    expect(e.fieldPath).to.equal('traffic.flows[1].packetSzie');
    expect(e.message).to.match(/^bad\.json: traffic\.flows\[1\]\.packetSzie: unknown field "packetSzie"/);
  });

  it('a bad address names its field', () => {
    const d = smoke();
    d.traffic.flows[0].client.endpoints[1].ip = '10.1.0.300';
    expect(refused(d).fieldPath).to.equal('traffic.flows[0].client.endpoints[1].ip');
    const n = smoke();
    n.traffic.flows[0].server.prefixes[0] = '203.0.113.1/24';
    expect(refused(n).fieldPath).to.equal('traffic.flows[0].server.prefixes[0]');
  });

  it('out-of-range numbers are refused', () => {
    const d = smoke();
    d.traffic.flows[0].packetSize = 40;
    const e = refused(d);
    expect(e.fieldPath).to.equal('traffic.flows[0].packetSize');
    expect(e.detail).to.include('64..9216');
    const r = smoke();
    r.traffic.phases[1].rate = { lineRate: 0 };
    expect(refused(r).fieldPath).to.equal('traffic.phases[1].rate.lineRate');
  });

  it('a phase needs exactly one of open and packets, and known flow names', () => {
    const d = smoke();
    d.traffic.phases[0].packets = 10;
    expect(refused(d).fieldPath).to.equal('traffic.phases[0]');
    const f = smoke();
    f.traffic.phases[1].flows = ['east-west', 'nope'];
    const e = refused(f);
    expect(e.fieldPath).to.equal('traffic.phases[1].flows[1]');
    expect(e.detail).to.include('"nope"');
  });

  it('an entry must name one table', () => {
    const d = smoke();
    d.tables[0].entries[2] = { route: {}, neighbor: {} };
    expect(refused(d).fieldPath).to.equal('tables[0].entries[2]');
  });

  it('a table entry the HAL refuses is reported with its place in the file and the HAL reason, and nothing runs', async () => {
    const d = smoke();
    d.tables[1].entries[1].endpoint.portId = 'host99';
    const e = await refusedAtRun(parseScenario(d, 'bad.json'));
    expect(e.fieldPath).to.equal('tables[1].entries[1]');
    expect(e.detail).to.include('"pods"').and.include('host99');
  });

  it('more connections than distinct 5-tuples is refused', async () => {
    const d = smoke();
    d.traffic.flows[1].clientPorts = { lo: 1000, hi: 1009 };
    d.traffic.flows[1].connections = 21; // 2 client addresses × 10 ports = 20
    const e = await refusedAtRun(parseScenario(d, 'bad.json'));
    expect(e.fieldPath).to.equal('traffic.flows[1].connections');
    expect(e.detail).to.include('20');
  });

  it('a port the device lacks is named', async () => {
    const d = smoke();
    d.topology.ports[0].id = 'uplink7';
    expect((await refusedAtRun(parseScenario(d, 'bad.json'))).fieldPath).to.equal('topology.ports[0].id');
    const f = smoke();
    f.traffic.flows[0].server.ports = ['uplink0', 'eth9'];
    expect((await refusedAtRun(parseScenario(f, 'bad.json'))).fieldPath).to.equal('traffic.flows[0].server.ports[1]');
  });
});
