import { expect } from 'chai';
import { CtEntry, type TcpSegment } from '../../../src/sim/conntrack/index.js';
import { F, makeTable, rev, tcp } from './helpers.js';

const C = tcp('10.0.0.1', 40000, '10.0.0.2', 80);
const seg = (seq: number, ack: number, window = 65535, payloadLength = 0, wscale?: number): TcpSegment =>
  ({ seq: seq >>> 0, ack: ack >>> 0, window, payloadLength, ...(wscale !== undefined && { wscale }) });

/** A handshake in zone 5 (window tracking on): client ISN 1000, server ISN 5000. */
function handshake(opts: { tracking?: boolean; clientScale?: number; serverScale?: number; serverWindow?: number; isn?: number } = {}) {
  const t = makeTable();
  t.zones.set(5, { zone: 5, tcpWindowTracking: opts.tracking ?? true });
  const isn = opts.isn ?? 1000;
  const e = t.ct.commit(5, C, undefined, {}, F.SYN, 60, 0, { seg: seg(isn, 0, 65535, 0, opts.clientScale) }) as CtEntry;
  const step = (dir: 'o' | 'r', flags: number, s: TcpSegment) => {
    const v = t.ct.classify(5, dir === 'o' ? C : rev(C), flags, 0, { seg: s });
    if (v.state !== 'INVALID') expect(t.ct.update(e, v.direction!, flags, 60, 0, s)).to.equal(true);
    return v.state;
  };
  expect(step('r', F.SYNACK, seg(5000, isn + 1, opts.serverWindow ?? 65535, 0, opts.serverScale))).to.equal('REPLY');
  expect(step('o', F.ACK, seg(isn + 1, 5001))).to.equal('ESTABLISHED');
  return { t, e, step, isn };
}

describe('sim/conntrack window tracking', () => {
  it('accepts in-window traffic both ways', () => {
    const { step, e } = handshake();
    expect(step('o', F.PSHACK, seg(1001, 5001, 65535, 100))).to.equal('ESTABLISHED');
    expect(step('r', F.PSHACK, seg(5001, 1101, 65535, 1000))).to.equal('REPLY');
    expect(step('o', F.ACK, seg(1101, 6001))).to.equal('ESTABLISHED');
    expect(step('o', F.PSHACK, seg(1001, 6001, 65535, 100))).to.equal('ESTABLISHED'); // a retransmission is fine
    expect(e.origPackets).to.equal(5); // SYN, ACK and three more
  });

  it('marks INVALID: beyond the window, older than a window, acking unsent data, acking far in the past', () => {
    const { step, e, t } = handshake();
    const before = [e.origPackets, e.replyPackets, e.tcpState];
    expect(step('o', F.PSHACK, seg(1001 + 65535 + 1, 5001, 65535, 10)), 'beyond right edge').to.equal('INVALID');
    expect(step('o', F.PSHACK, seg(1001 - 65535 - 100, 5001, 65535, 10)), 'too old').to.equal('INVALID');
    expect(step('o', F.ACK, seg(1001, 5001 + 10)), 'acks unsent data').to.equal('INVALID');
    expect(step('o', F.ACK, seg(1001, 5001 - 70000)), 'ack too old').to.equal('INVALID');
    expect(step('r', F.RST, seg(5001 + 200000, 0)), 'RST out of window').to.equal('INVALID');
    expect([e.origPackets, e.replyPackets, e.tcpState]).to.deep.equal(before);
    // update() refuses an out-of-window segment on its own too.
    expect(t.ct.update(e, 'original', F.PSHACK, 60, 0, seg(1001 + 65535 + 1, 5001, 65535, 10))).to.equal(false);
    expect([e.origPackets, e.replyPackets, e.tcpState]).to.deep.equal(before);
  });

  it('handles sequence wrap-around', () => {
    const { step } = handshake({ isn: 0xffffff00 });
    expect(step('o', F.PSHACK, seg(0xffffff01, 5001, 65535, 1000))).to.equal('ESTABLISHED'); // crosses 2^32
    expect(step('o', F.PSHACK, seg(0xffffff01 + 1000, 5001, 65535, 100))).to.equal('ESTABLISHED');
    expect(step('r', F.ACK, seg(5001, 0xffffff01 + 1100))).to.equal('REPLY');
  });

  it('scales windows only when both SYNs carry the option', () => {
    const far = (s: ReturnType<typeof handshake>) => s.step('o', F.PSHACK, seg(1001 + 100000, 5001, 1000, 10));
    // Server advertises 1000 << 7 = 128000 bytes once scaling is on: the far segment fits.
    const both = handshake({ clientScale: 7, serverScale: 7 });
    both.step('r', F.ACK, seg(5001, 1001, 1000));
    expect(far(both)).to.equal('ESTABLISHED');
    // Client alone offered scaling: windows are not scaled, 100000 is out of the 65535 window.
    const one = handshake({ clientScale: 7 });
    one.step('r', F.ACK, seg(5001, 1001, 1000));
    expect(far(one)).to.equal('INVALID');
  });

  it('zones without window tracking accept out-of-window segments', () => {
    const { step } = handshake({ tracking: false });
    expect(step('o', F.PSHACK, seg(1001 + 10_000_000, 5001, 65535, 10))).to.equal('ESTABLISHED');
  });
});
