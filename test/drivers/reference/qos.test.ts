// QoS through the reference walk (hal-spec §2 stage 10 and "QoS order"):
// policers (RFC 2697 srTCM, RFC 2698 trTCM, color-blind) bound to ports and
// endpoints drop exactly the packets their buckets cannot cover at a given arrival
// pattern on virtual time; the queue-0 shaper moves emitted[].timeNs to the
// departure time and tail-drops beyond queueLimitBytes.
import { expect } from 'chai';
import type { InjectResponse } from '../../../src/hal/generated/types.js';
import {
  MAC,
  SECOND,
  expectDrop,
  expectEmitted,
  expectUpdateError,
  frameOut,
  del,
  ins,
  mod,
  sendAt,
  topologyDevice,
  write,
  type Device,
  type Entry,
  type Flow,
} from './fixtures.js';

const EP_A = '10.0.0.10';
const EP_B = '10.0.0.11';
const OUTSIDE = '198.51.100.7';
/** 14 + 20 + 8 + 58 = 100-byte frames, so bucket arithmetic is in whole packets. */
const PAYLOAD = 'p'.repeat(58);
const OUT: Flow = { src: EP_A, dst: OUTSIDE, sport: 1000, dport: 2000, payload: PAYLOAD };
const MS = 1_000_000;

const policer = (e: Record<string, unknown>): Entry => ({ policer: e as Entry['policer'] });
const bind = (e: Record<string, unknown>): Entry => ({ policerBinding: e as Entry['policerBinding'] });
const shaper = (e: Record<string, unknown>): Entry => ({ shaper: e as Entry['shaper'] });

/** Sends `n` packets of OUT from host0 at `t` and returns which were forwarded ('F') or dropped ('D'). */
async function burst(d: Device, n: number, t: number, f: Flow = OUT, port = 'host0', mac: string = MAC.epA): Promise<string> {
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = await sendAt(d, port, f, t, mac);
    if (r.disposition === 'FORWARDED') s += 'F';
    else {
      expect(r.dropReason).to.equal('policer-drop');
      s += 'D';
    }
  }
  return s;
}

async function counters(d: Device, table: string, key: (e: Entry) => boolean) {
  const recs = (await d.hal.read({ tables: [table], includeCounters: true })).filter((r) => key(r.entry as Entry));
  expect(recs).to.have.length(1);
  return recs[0].counters;
}

describe('reference driver: QoS', () => {
  let d: Device;
  beforeEach(async () => {
    d = await topologyDevice();
  });

  describe('policers', () => {
    it('srTCM (RFC 2697), EBS 0: exactly the packets beyond CBS are dropped, refilling at CIR on virtual time', async () => {
      await write(d.hal, [ins(policer({ id: 'p', mode: 'SRTCM', cir: 1000, cbs: 300, red: 'COLOR_DROP' })), ins(bind({ portId: 'host0', direction: 'INGRESS', policerId: 'p' }))]);
      expect(await burst(d, 4, SECOND), 't = 1 s: CBS covers three').to.equal('FFFD');
      expect(await burst(d, 2, SECOND + 100 * MS), '+100 ms: 100 bytes refilled').to.equal('FD');
      expect(await burst(d, 3, SECOND + 350 * MS), '+250 ms more: 250 bytes').to.equal('FFD');
      expect(await burst(d, 4, 3 * SECOND), 'long idle: the bucket is capped at CBS').to.equal('FFFD');
      expect((await d.hal.getCounters()).drops!['policer-drop']).to.equal(4);
    });

    it('per-entry counters of the policer count every packet it metered (hal-spec §8)', async () => {
      await write(d.hal, [ins(policer({ id: 'p', mode: 'SRTCM', cir: 1000, cbs: 300, red: 'COLOR_DROP' })), ins(bind({ portId: 'host0', direction: 'INGRESS', policerId: 'p' }))]);
      await burst(d, 5, SECOND);
      expect(await counters(d, 'policer', (e) => e.policer!.id === 'p')).to.deep.equal({ packets: 5, bytes: 500 });
    });

    it('a MODIFY keeps the policer\'s counters; DELETE then INSERT starts from zero with a full bucket (hal-spec §8)', async () => {
      const p = { id: 'p', mode: 'SRTCM', cir: 1000, cbs: 300, red: 'COLOR_DROP' };
      const b = { portId: 'host0', direction: 'INGRESS', policerId: 'p' };
      await write(d.hal, [ins(policer(p)), ins(bind(b))]);
      expect(await burst(d, 3, SECOND)).to.equal('FFF');
      await write(d.hal, [mod(policer({ ...p, cbs: 400 }))]);
      expect((await counters(d, 'policer', (e) => e.policer!.id === 'p'))!.packets, 'after MODIFY').to.equal(3);
      await write(d.hal, [del(bind(b)), del(policer({ id: 'p' })), ins(policer(p)), ins(bind(b))]);
      expect(await counters(d, 'policer', (e) => e.policer!.id === 'p'), 'after DELETE + INSERT').to.deep.equal({ packets: 0, bytes: 0 });
      expect(await burst(d, 4, SECOND), 'a fresh, full bucket').to.equal('FFFD');
    });

    it('srTCM with EBS: the excess bucket colors yellow, fills only from the overflow of a full committed bucket', async () => {
      await write(d.hal, [ins(policer({ id: 'p', mode: 'SRTCM', cir: 1000, cbs: 200, ebs: 100, yellow: 'COLOR_FORWARD', red: 'COLOR_DROP' })), ins(bind({ portId: 'host0', direction: 'INGRESS', policerId: 'p' }))]);
      expect(await burst(d, 4, SECOND), 'green, green, yellow, red').to.equal('FFFD');
      // 200 bytes later: all of it fills Tc (to CBS); Te stays empty.
      expect(await burst(d, 3, SECOND + 200 * MS), 'Tc refilled, Te empty').to.equal('FFD');
      // 300 bytes later: Tc fills to 200 and the overflow puts 100 in Te.
      expect(await burst(d, 4, SECOND + 500 * MS), 'overflow into Te').to.equal('FFFD');
    });

    it('srTCM: a yellow packet is dropped when yellow is COLOR_DROP', async () => {
      await write(d.hal, [ins(policer({ id: 'p', mode: 'SRTCM', cir: 1000, cbs: 200, ebs: 100, yellow: 'COLOR_DROP', red: 'COLOR_DROP' })), ins(bind({ portId: 'host0', direction: 'INGRESS', policerId: 'p' }))]);
      expect(await burst(d, 4, SECOND)).to.equal('FFDD');
    });

    it('a policer whose colors all forward never drops (the default action is COLOR_FORWARD)', async () => {
      await write(d.hal, [ins(policer({ id: 'p', mode: 'SRTCM', cir: 1, cbs: 1 })), ins(bind({ portId: 'host0', direction: 'INGRESS', policerId: 'p' }))]);
      expect(await burst(d, 5, SECOND)).to.equal('FFFFF');
    });

    it('trTCM (RFC 2698): red beyond PBS, yellow beyond CBS', async () => {
      await write(d.hal, [ins(policer({ id: 'p', mode: 'TRTCM', cir: 1000, cbs: 100, pir: 2000, pbs: 300, red: 'COLOR_DROP' })), ins(bind({ portId: 'host0', direction: 'INGRESS', policerId: 'p' }))]);
      // green (Tc 0, Tp 200), yellow (Tp 100), yellow (Tp 0), red.
      expect(await burst(d, 4, SECOND)).to.equal('FFFD');
      // 100 ms: Tc +100, Tp +200 → green (Tc 0, Tp 100), yellow (Tp 0), red.
      expect(await burst(d, 3, SECOND + 100 * MS)).to.equal('FFD');
      await write(d.hal, [ins(policer({ id: 'q', mode: 'TRTCM', cir: 1000, cbs: 100, pir: 2000, pbs: 300, yellow: 'COLOR_DROP', red: 'COLOR_DROP' })), ins(bind({ portId: 'host1', direction: 'INGRESS', policerId: 'q' }))]);
      expect(await burst(d, 4, 2 * SECOND, { ...OUT, src: EP_B }, 'host1', MAC.epB), 'yellow dropped too').to.equal('FDDD');
    });

    it('a source-endpoint (EGRESS) binding meters what the endpoint sends, not what it receives', async () => {
      await write(d.hal, [ins(policer({ id: 'tiny', mode: 'SRTCM', cir: 1, cbs: 50, red: 'COLOR_DROP' })), ins(bind({ endpointId: 'ep-a', direction: 'EGRESS', policerId: 'tiny' }))]);
      expectDrop(await sendAt(d, 'host0', OUT, SECOND, MAC.epA), 'policer-drop', 'ep-a sends');
      const toA: Flow = { src: OUTSIDE, dst: EP_A, sport: 5, dport: 6, payload: PAYLOAD };
      expectEmitted(await sendAt(d, 'uplink0', toA, SECOND), 'host0', frameOut(d, 'host0', MAC.epA, toA), 'ep-a receives');
      const fromB = { ...OUT, src: EP_B };
      expectEmitted(await sendAt(d, 'host1', fromB, SECOND, MAC.epB), 'uplink0', frameOut(d, 'uplink0', MAC.router0, fromB), 'ep-b sends');
    });

    it('a destination-endpoint (INGRESS) binding meters what the endpoint receives', async () => {
      await write(d.hal, [ins(policer({ id: 'tiny', mode: 'SRTCM', cir: 1, cbs: 50, red: 'COLOR_DROP' })), ins(bind({ endpointId: 'ep-a', direction: 'INGRESS', policerId: 'tiny' }))]);
      const toA: Flow = { src: OUTSIDE, dst: EP_A, sport: 5, dport: 6, payload: PAYLOAD };
      expectDrop(await sendAt(d, 'uplink0', toA, SECOND), 'policer-drop', 'ep-a receives');
      expectEmitted(await sendAt(d, 'host0', OUT, SECOND, MAC.epA), 'uplink0', frameOut(d, 'uplink0', MAC.router0, OUT), 'ep-a sends');
    });

    it('an egress-port binding meters what leaves that port only', async () => {
      await write(d.hal, [ins(policer({ id: 'tiny', mode: 'SRTCM', cir: 1, cbs: 50, red: 'COLOR_DROP' })), ins(bind({ portId: 'uplink0', direction: 'EGRESS', policerId: 'tiny' }))]);
      expectDrop(await sendAt(d, 'host0', OUT, SECOND, MAC.epA), 'policer-drop', 'to uplink0');
      const toB: Flow = { ...OUT, dst: EP_B };
      expectEmitted(await sendAt(d, 'host0', toB, SECOND, MAC.epA), 'host1', frameOut(d, 'host1', MAC.epB, toB), 'to host1');
    });

    it('order: ingress port, source endpoint, destination endpoint, egress port; the first drop wins and later policers are not charged', async () => {
      await write(d.hal, [
        ins(policer({ id: 'in', mode: 'SRTCM', cir: 1, cbs: 100, red: 'COLOR_DROP' })),
        ins(policer({ id: 'out', mode: 'SRTCM', cir: 1, cbs: 1000, red: 'COLOR_DROP' })),
        ins(bind({ portId: 'host0', direction: 'INGRESS', policerId: 'in' })),
        ins(bind({ portId: 'uplink0', direction: 'EGRESS', policerId: 'out' })),
      ]);
      expect(await burst(d, 3, SECOND)).to.equal('FDD');
      expect((await counters(d, 'policer', (e) => e.policer!.id === 'out'))!.packets, 'the egress policer saw one packet').to.equal(1);
      // The egress policer still has 900 bytes: nine more from another ingress port pass it.
      const fromB = { ...OUT, src: EP_B };
      expect(await burst(d, 10, SECOND, fromB, 'host1', MAC.epB)).to.equal('FFFFFFFFFD');
    });

    it('color-aware policers are refused (capabilities say colorAware: false)', async () => {
      expect((await d.hal.describe()).capabilities!.qos!.colorAware ?? false).to.equal(false);
      await expectUpdateError(d.hal, ins(policer({ id: 'ca', mode: 'SRTCM', cir: 1000, cbs: 300, colorAware: true })), {
        code: 'UNIMPLEMENTED', reason: 'FEATURE_UNSUPPORTED', fieldPath: 'updates[0].entry.policer.colorAware',
      });
    });
  });

  describe('shapers', () => {
    /** 8000 bit/s = 1000 bytes/s: a 100-byte packet every 100 ms once the 100-byte burst is spent. */
    const SHAPER = { portId: 'uplink0', rateBps: 8000, burstBytes: 100, queueLimitBytes: 200 };
    const departs = (r: InjectResponse) => {
      expect(r.disposition, r.dropReason).to.equal('FORWARDED');
      return r.emitted![0].timeNs;
    };

    it('delays emitted timeNs by the token-bucket schedule and tail-drops beyond queueLimitBytes', async () => {
      await write(d.hal, [ins(shaper(SHAPER))]);
      const t = SECOND;
      expect(departs(await sendAt(d, 'host0', OUT, t, MAC.epA)), 'p1: the burst covers it').to.equal(t);
      expect(departs(await sendAt(d, 'host0', OUT, t, MAC.epA)), 'p2').to.equal(t + 100 * MS);
      expect(departs(await sendAt(d, 'host0', OUT, t, MAC.epA)), 'p3').to.equal(t + 200 * MS);
      // 200 bytes queued + 100 would exceed the 200-byte limit.
      expectDrop(await sendAt(d, 'host0', OUT, t, MAC.epA), 'shaper-queue-full', 'p4');
      // At +150 ms p2 has left: 100 queued + 100 = exactly the limit, accepted.
      expect(departs(await sendAt(d, 'host0', OUT, t + 150 * MS, MAC.epA)), 'p5').to.equal(t + 300 * MS);
      expect((await d.hal.getCounters()).drops!['shaper-queue-full']).to.equal(1);
      // Once the queue has drained and the bucket refilled, a packet leaves at once.
      expect(departs(await sendAt(d, 'host0', OUT, 5 * SECOND, MAC.epA)), 'after idle').to.equal(5 * SECOND);
    });

    it('the shaped frame is unchanged; Capture reports the departure time', async () => {
      await write(d.hal, [ins(shaper(SHAPER))]);
      await sendAt(d, 'host0', OUT, SECOND, MAC.epA);
      const r = await sendAt(d, 'host0', OUT, SECOND, MAC.epA);
      expectEmitted(r, 'uplink0', frameOut(d, 'uplink0', MAC.router0, OUT), 'shaped');
      const cap = await d.hal.capture({ portIds: ['uplink0'] });
      expect(cap.packets!.map((p) => p.timeNs)).to.deep.equal([SECOND, SECOND + 100 * MS]);
    });

    it('Capture returns packets in order of emission time across ports (hal-spec §14.2)', async () => {
      await write(d.hal, [ins(shaper(SHAPER))]);
      await sendAt(d, 'host0', OUT, SECOND, MAC.epA); // leaves uplink0 at 1.0 s
      await sendAt(d, 'host0', OUT, SECOND, MAC.epA); // leaves uplink0 at 1.1 s
      await sendAt(d, 'host0', { ...OUT, dst: EP_B }, SECOND + 50 * MS, MAC.epA); // leaves host1 at 1.05 s
      const cap = await d.hal.capture({});
      expect(cap.packets!.map((p) => [p.portId, p.timeNs])).to.deep.equal([
        ['uplink0', SECOND], ['host1', SECOND + 50 * MS], ['uplink0', SECOND + 100 * MS],
      ]);
    });

    it('only the shaped port is delayed', async () => {
      await write(d.hal, [ins(shaper(SHAPER))]);
      for (let i = 0; i < 3; i++) await sendAt(d, 'host0', OUT, SECOND, MAC.epA);
      const toB = { ...OUT, dst: EP_B };
      expect(departs(await sendAt(d, 'host0', toB, SECOND, MAC.epA))).to.equal(SECOND);
    });

    it('per-entry counters of the shaper count the packets that reached it', async () => {
      await write(d.hal, [ins(shaper(SHAPER))]);
      for (let i = 0; i < 4; i++) await sendAt(d, 'host0', OUT, SECOND, MAC.epA);
      expect(await counters(d, 'shaper', (e) => e.shaper!.portId === 'uplink0')).to.deep.equal({ packets: 4, bytes: 400 });
    });

    it('a MODIFY of the rate applies to later packets', async () => {
      await write(d.hal, [ins(shaper(SHAPER))]);
      await sendAt(d, 'host0', OUT, SECOND, MAC.epA);
      await write(d.hal, [{ type: 'MODIFY', entry: shaper({ ...SHAPER, rateBps: 16000 }) as never }]);
      expect(departs(await sendAt(d, 'host0', OUT, SECOND, MAC.epA)), '2000 bytes/s: 50 ms').to.equal(SECOND + 50 * MS);
    });
  });
});
