// The cost meter's arithmetic against hand-computed numbers for tiny profiles.
import { expect } from 'chai';
import { accessPenalty } from '../../../src/sim/cost/cache.js';
import { capacityOf } from '../../../src/sim/cost/capacity.js';
import { CostMeter } from '../../../src/sim/cost/meter.js';
import { tinyPipeline, tinyRtc } from './tiny-profiles.js';

describe('sim/cost: meter (run to completion)', () => {
  it('prices each operation from the profile and attributes it to its stage', () => {
    const m = new CostMeter(tinyRtc());
    m.begin();
    m.charge('parse', 'parse', 20); // 10 + 1×20 = 30
    m.charge('policy', 'lookup', 50, 'endpoint', 'exact'); // W = 50×20 = 1000 ≤ L2: 5 + 2×0 = 5
    m.charge('policy', 'lookup', 3, 'acl', 'ternary'); // 7 + 2×3 = 13 (linear scan)
    m.charge('routing', 'lookup', 255, 'route', 'lpm'); // levels = ceil(log2(256)/4) = 2: 4 + 2×3 = 10 (penalty counted below)
    m.charge('port-egress', 'rewrite'); // 4
    m.charge('port-egress', 'emit', 60); // 12
    const c = m.end();
    // Working set when priced: endpoint 50×20 + acl 3×40 + route 255×10 = 3670 bytes:
    // h2 = 1000/3670, h3 = 1, penalty = (1 − h2)×40/2.
    const pen = ((1 - 1000 / 3670) * 40) / 2;
    expect(accessPenalty({ l2Bytes: 1000, llcBytes: 4000, llcLatencyCycles: 40, dramLatencyCycles: 200, memoryParallelism: 2 }, 3670)).to.be.closeTo(pen, 1e-9);
    const expected = 30 + (5 + 2 * pen) + 13 + (10 + 2 * pen) + 4 + 12;
    expect(c.fastCycles).to.be.closeTo(expected, 1e-9);
    expect(c.hostCycles).to.equal(c.fastCycles);
    expect(c.serviceNs).to.be.closeTo(expected, 1e-9); // 1 GHz: one cycle per ns
    expect(c.extraLatencyNs).to.equal(100);
    const t = m.totals();
    expect(t.packets).to.equal(1);
    expect(t.byStage.get('parse')!.fast).to.equal(30);
    expect(t.byStage.get('policy')!.fast).to.be.closeTo(5 + 2 * pen + 13, 1e-9);
    expect(t.byStage.get('routing')!.fast).to.be.closeTo(10 + 2 * pen, 1e-9);
    expect(t.byStage.get('port-egress')!.fast).to.equal(16);
  });

  it('charges the working set against the caches: conntrack state beyond the LLC costs DRAM latency', () => {
    const m = new CostMeter(tinyRtc());
    // 100 connections × 30 B = 3000 B: h2 = 1/3, h3 = 1 → penalty (2/3)×40/2.
    m.begin();
    m.charge('conntrack', 'ct-lookup', 100);
    const small = m.end().fastCycles;
    expect(small).to.be.closeTo(20 + 2 * (((2 / 3) * 40) / 2), 1e-9);
    // 1000 connections × 30 B = 30000 B: h2 = 1/30, h3 = 4/30 → penalty ((3/30)×40 + (26/30)×200)/2.
    m.begin();
    m.charge('conntrack', 'ct-lookup', 1000);
    const big = m.end().fastCycles;
    expect(big).to.be.closeTo(20 + 2 * (((3 / 30) * 40 + (26 / 30) * 200) / 2), 1e-9);
  });

  it('prices conntrack, NAT, tunnels, crypto, QoS, punts and recirculation', () => {
    const m = new CostMeter(tinyRtc());
    m.begin();
    m.charge('conntrack', 'ct-insert');
    m.charge('conntrack', 'ct-update');
    m.charge('nat', 'nat');
    m.charge('tunnel-encap', 'encap', 50);
    m.charge('tunnel-term', 'decap', 50);
    m.charge('crypto', 'crypto', 100);
    m.charge('qos', 'qos');
    m.charge('slow', 'punt');
    m.charge('x', 'recirculate');
    expect(m.end().fastCycles).to.equal(100 + 8 + 9 + (30 + 25) + 15 + (50 + 200) + 6 + 1000 + 25);
  });

  it('capacity is cores × Hz / cycles per packet', () => {
    const m = new CostMeter(tinyRtc());
    for (let i = 0; i < 4; i++) {
      m.begin();
      m.charge('parse', 'parse', 90); // 100 cycles
      m.end();
    }
    const cap = capacityOf(m.profile, m.totals());
    expect(cap.pps).to.equal((2 * 1e9) / 100);
    expect(cap.bottleneck).to.equal('2 cores');
    m.resetTotals();
    expect(m.totals().packets).to.equal(0);
  });

  it('keeps allocating nothing per charge: a packet with more operations than the record holds counts the overflow', () => {
    const m = new CostMeter(tinyRtc());
    m.begin();
    for (let i = 0; i < 300; i++) m.charge('qos', 'qos');
    expect(m.end().fastCycles).to.equal(256 * 6);
    expect(m.totals().overflowOps).to.equal(44);
  });
});

describe('sim/cost: meter (pipelined)', () => {
  const stageOps = (m: CostMeter, n: number) => {
    for (let i = 0; i < n; i++) m.charge('s', 'lookup', 1, `t${i}`, 'exact');
  };

  it('one packet per clock while the work fits the stage budget; one more stage recirculates and halves throughput', () => {
    const fits = new CostMeter(tinyPipeline());
    fits.begin();
    fits.charge('parse', 'parse', 40);
    stageOps(fits, 4);
    const c = fits.end();
    expect(c.passes).to.equal(1);
    expect(c.fastCycles).to.equal(10 + 4 * 10);
    expect(c.serviceNs).to.equal(1);
    expect(c.extraLatencyNs).to.equal(500 + 50);
    expect(capacityOf(fits.profile, fits.totals()).pps).to.equal(1e9);

    const over = new CostMeter(tinyPipeline());
    over.begin();
    stageOps(over, 5);
    const d = over.end();
    expect(d.passes).to.equal(2);
    expect(d.fastCycles).to.equal(5 * 10 + 50); // one recirculation adds its loopback clocks
    expect(capacityOf(over.profile, over.totals()).pps).to.equal(0.5e9);
  });

  it('an explicit recirculation is one more pass', () => {
    const m = new CostMeter(tinyPipeline());
    m.begin();
    stageOps(m, 2);
    m.charge('x', 'recirculate');
    expect(m.end().passes).to.equal(2);
  });

  it('a punted packet is priced in software on the slow path, reinjected (one more pass), and bounds throughput by the slow cores', () => {
    const m = new CostMeter(tinyPipeline());
    m.begin();
    m.charge('parse', 'parse', 40);
    m.charge('conntrack', 'ct-insert');
    const c = m.end();
    expect(c.punted).to.equal(true);
    expect(c.passes).to.equal(2);
    // Software: parse 10 + 40 = 50, ct-insert 100, hand-off (punt) 1000.
    expect(c.slowCycles).to.equal(1150);
    expect(c.slowServiceNs).to.equal(1150);
    expect(c.hostCycles).to.equal(0);
    expect(c.extraLatencyNs).to.equal(500 + (10 + 10 + 50) + 2000);
    const t = m.totals();
    expect(t.byStage.get('slow-path')!.slow).to.equal(1000);
    expect(t.byStage.get('conntrack')!.slow).to.equal(100);
    const cap = capacityOf(m.profile, t);
    // Slow path: 2 cores × 1 GHz / 1150 cycles per packet (every packet punted).
    expect(cap.pps).to.be.closeTo(2e9 / 1150, 1e-6);
    expect(cap.bottleneck).to.equal('slow path (2 cores)');
  });

  it('a slow path on the host charges host cycles', () => {
    const m = new CostMeter(tinyPipeline({}, { onHost: { value: true, source: 'test' } }));
    m.begin();
    m.charge('conntrack', 'ct-insert');
    expect(m.end().hostCycles).to.equal(1100);
  });

  it('state beyond on-chip memory goes to DRAM: latency per access, and DRAM bandwidth bounds throughput', () => {
    const m = new CostMeter(tinyPipeline({ onChipStateBytes: { value: 25_000, source: 'test' } }));
    m.begin();
    m.charge('conntrack', 'ct-lookup', 1000); // 1000 × 100 B = 100 kB: spill = 1 − 25/100 = 0.75
    const c = m.end();
    expect(c.dramAccesses).to.equal(0.75);
    expect(c.extraLatencyNs).to.equal(500 + 10 + 0.75 * 100);
    const cap = capacityOf(m.profile, m.totals());
    expect(cap.limits.find((l) => l.name === 'state DRAM')!.pps).to.be.closeTo(1e8 / 0.75, 1e-3);
  });
});
