// The queue model and latency percentiles against independently computed arrivals.
import { expect } from 'chai';
import { FifoServers, Samples, flowSpread } from '../../../src/sim/cost/queues.js';
import { buildFrame } from '../../../src/sim/packet/index.js';

describe('sim/cost: queues and percentiles', () => {
  it('a FIFO server fed faster than it serves: latency grows by the rate difference', () => {
    // Arrivals every 5 ns, 10 ns of service: packet k departs at 10(k+1), waits 5k.
    const q = new FifoServers(1, 1000);
    const s = new Samples();
    for (let k = 0; k < 10; k++) {
      const t = 5 * k;
      expect(q.admits(0, t)).to.equal(true);
      const done = q.serve(0, t, 10);
      expect(done).to.equal(10 * (k + 1));
      s.push(done - t);
    }
    // Latencies 10, 15, ..., 55; nearest rank: p50 = 5th = 30, p90 = 9th = 50, p99 = 10th = 55.
    expect(s.percentiles([0.5, 0.9, 0.99, 1])).to.deep.equal([30, 50, 55, 55]);
  });

  it('an idle server adds no queueing', () => {
    const q = new FifoServers(1, 4);
    expect(q.serve(0, 0, 10)).to.equal(10);
    expect(q.serve(0, 100, 10)).to.equal(110);
  });

  it('a full queue refuses the next arrival until a packet departs', () => {
    const q = new FifoServers(2, 3);
    for (let i = 0; i < 3; i++) q.serve(0, 0, 10); // departures 10, 20, 30
    expect(q.admits(0, 0)).to.equal(false);
    expect(q.admits(1, 0)).to.equal(true); // another server
    expect(q.admits(0, 9)).to.equal(false);
    expect(q.admits(0, 10)).to.equal(true); // the first has left
    q.serve(0, 10, 10);
    expect(q.admits(0, 15)).to.equal(false);
    expect(q.admits(0, 20)).to.equal(true);
  });

  it('percentiles of no samples are zero; one sample is every percentile', () => {
    expect(new Samples().percentiles([0.5, 1])).to.deep.equal([0, 0]);
    const s = new Samples();
    s.push(7);
    expect(s.percentiles([0.5, 0.99, 1])).to.deep.equal([7, 7, 7]);
  });

  it('samples grow past their initial size', () => {
    const s = new Samples();
    for (let i = 5000; i > 0; i--) s.push(i);
    expect(s.n).to.equal(5000);
    expect(s.percentiles([0.5, 1])).to.deep.equal([2500, 5000]);
  });

  it('flow spreading: the same flow always lands on the same queue; flows spread', () => {
    const f = (sport: number, ttl = 64) => buildFrame({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2', ttl }, tcp: { sport, dport: 80 } });
    expect(flowSpread(f(1000))).to.equal(flowSpread(f(1000, 3)));
    const queues = new Set(Array.from({ length: 64 }, (_, i) => flowSpread(f(1000 + i)) % 4));
    expect(queues.size).to.equal(4);
  });
});
