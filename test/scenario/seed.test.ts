// The seed workload (Geneve + conntrack, 2x25GbE, 64-byte packets), scaled down
// for CI: every profile sees the same packets; the models differ.
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { runScenario, type RunReport } from '../../src/scenario/run.js';
import { parseScenario } from '../../src/scenario/schema.js';
import { loadProfile, profileNames } from '../../src/sim/cost/profile.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('scenario: seed workload, scaled down', function () {
  this.timeout(120000);
  const doc = JSON.parse(readFileSync(path.join(ROOT, 'scenarios/seed-geneve-ct.json'), 'utf8'));
  doc.traffic.flows[0].connections = 2000;
  doc.traffic.phases[1].packets = 6000;
  const scenario = parseScenario(doc, 'seed-geneve-ct.json (scaled)');
  const reports: RunReport[] = [];

  before(async () => {
    for (const n of profileNames()) reports.push((await runScenario(scenario, loadProfile(n), 'seed')).report);
  });

  it('sends 2000 handshakes and 6000 established-phase packets under every profile; offload devices see the same packet outcomes', () => {
    const offload = reports.filter((r) => r.profile.style === 'pipelined');
    for (const r of reports) expect(r.phases.map((p) => p.packets.in)).to.deep.equal([6000, 6000]);
    for (const r of offload) {
      expect(r.packets.queueDropped).to.deep.equal({});
      expect(r.packets.droppedByReason).to.deep.equal(offload[0].packets.droppedByReason);
      expect(r.packets.out).to.equal(offload[0].packets.out);
    }
  });

  it('at line rate the host cores overflow their receive queues; the offload devices hold line rate', () => {
    const host = reports.find((r) => r.profile.name === 'host-x86')!;
    const est = host.phases[1];
    expect(est.lineRate!.holds).to.equal(false);
    expect(est.packets.queueDropped['core-queue-full']).to.be.greaterThan(0);
    for (const r of reports.filter((x) => x.profile.style === 'pipelined')) expect(r.phases[1].lineRate!.holds, r.profile.name).to.equal(true);
  });

  it('line rate is the 2x25GbE uplinks at the Geneve-wrapped 64-byte size', () => {
    const lr = reports[0].phases[0].lineRate!;
    expect(lr.busiestPort).to.match(/^uplink[01]$/);
    // Open phase: handshakes from remote pods (SYN, ACK) arrive wrapped: 64 + 50 bytes of Geneve = 114 B + 20 on the wire.
    // Two of three packets come in on the uplinks, spread over two ports: line rate is reached when one uplink is full.
    const perUplinkPps = 25e9 / (134 * 8);
    expect(lr.pps).to.be.within(perUplinkPps * 2 * 1.3, perUplinkPps * 2 * 1.7);
  });

  it('offload profiles spend no host CPU; the host profile spends all its cycles on the host', () => {
    const host = reports.find((r) => r.profile.name === 'host-x86')!;
    for (const p of host.phases) expect(p.hostCpu.cyclesPerPacket).to.be.greaterThan(0);
    for (const r of reports.filter((x) => x.profile.style === 'pipelined')) for (const p of r.phases) expect(p.hostCpu.cyclesPerPacket).to.equal(0);
  });
});
