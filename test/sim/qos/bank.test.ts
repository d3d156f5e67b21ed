import { expect } from 'chai';
import { PolicerBank, PolicerConfigError, ShaperBank } from '../../../src/sim/qos/index.js';

describe('sim/qos banks', () => {
  it('PolicerBank: INSERT creates full buckets, MODIFY reconfigures keeping counters, DELETE forgets', () => {
    const bank = new PolicerBank();
    const p = bank.upsert({ id: 'gold', mode: 'SRTCM', cir: 1000, cbs: 200, ebs: 0 }, 0);
    expect(p.mark(200, 0).color).to.equal('green');
    expect(p.mark(1, 0).color).to.equal('red');
    const same = bank.upsert({ id: 'gold', mode: 'SRTCM', cir: 1000, cbs: 500, ebs: 0 }, 100_000_000); // +100 tokens
    expect(same).to.equal(p);
    expect(p.counters().green.packets).to.equal(1);
    expect(p.buckets().c).to.equal(100);
    expect(() => bank.upsert({ id: 'gold', mode: 'SRTCM', cir: 1, cbs: 1, pir: 3 }, 0)).to.throw(PolicerConfigError);
    expect(bank.get('gold')!.buckets().c).to.equal(100);
    expect(bank.delete('gold')).to.equal(true);
    expect(bank.get('gold')).to.equal(undefined);
    expect(bank.upsert({ id: 'gold', mode: 'SRTCM', cir: 1, cbs: 7 }, 5).counters().red.packets).to.equal(0);
  });

  it('ShaperBank: keyed by port and queue; MODIFY keeps the queue and counters', () => {
    const bank = new ShaperBank();
    const q0 = bank.upsert({ portId: 'up0', rateBps: 8_000_000, burstBytes: 1000, queueLimitBytes: 10_000 }, 0);
    const q3 = bank.upsert({ portId: 'up0', queue: 3, rateBps: 8_000_000, burstBytes: 1000, queueLimitBytes: 10_000 }, 0);
    expect(q0).to.not.equal(q3);
    expect(bank.get('up0')).to.equal(q0);
    q0.enqueue(1000, 0);
    q0.enqueue(1000, 0);
    expect(bank.upsert({ portId: 'up0', queue: 0, rateBps: 16_000_000, burstBytes: 1000, queueLimitBytes: 10_000 }, 0)).to.equal(q0);
    expect(q0.backlogBytes(0)).to.equal(1000);
    expect(q0.counters().packets).to.equal(2);
    expect(bank.delete('up0', 3)).to.equal(true);
    expect(bank.size).to.equal(1);
  });
});
