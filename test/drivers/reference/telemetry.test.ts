// Telemetry of the reference device (hal-spec §13): flow records for allowed and
// denied flows driven by real packets and virtual time, conntrack aging events,
// sequence numbers, Subscribe resumption and retention.
import { expect } from 'chai';
import type { Event, FlowRecord } from '../../../src/hal/generated/types.js';
import {
  SECOND,
  del,
  events,
  expectUpdateError,
  settled,
  flowRecords,
  frameIn,
  ins,
  isolate,
  mod,
  rejection,
  reversed,
  send,
  sendAt,
  topologyDevice,
  write,
  type Device,
  type Entry,
  type Flow,
} from './fixtures.js';

const EP_A = '10.0.0.10';
const OUTSIDE = '198.51.100.7';
const Q: Flow = { src: EP_A, dst: OUTSIDE, sport: 5000, dport: 53, payload: 'query' };
const A: Flow = reversed(Q, { payload: 'answer!' });

const flowLog = (e: Record<string, unknown>): Entry => ({ flowLog: e as Entry['flowLog'] });
const acl = (a: Record<string, unknown>): Entry => ({ acl: a as Entry['acl'] });
const tuple = (f: Flow) => ({ srcIp: f.src, dstIp: f.dst, protocol: f.proto === 'tcp' ? 6 : 17, srcPort: f.sport, dstPort: f.dport });
const sequences = (evs: Event[]) => evs.map((e) => e.sequence);
/** proto3 defaults made explicit (the wire face omits zero values). */
const withDefaults = (r: FlowRecord) => ({ ...r, zone: r.zone ?? 0, reverse: { packets: 0, bytes: 0, ...r.reverse } });
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('reference driver: telemetry', () => {
  let d: Device;
  let len: (port: string, f: Flow) => number;
  beforeEach(async () => {
    d = await topologyDevice();
    len = (port, f) => frameIn(d, port, f).length;
  });

  describe('flow records of allowed flows', () => {
    it('a UDP flow produces one record when it idles out: tuples, zone, port, verdict, counters each way, times', async () => {
      await write(d.hal, [ins(flowLog({ recordAllowed: true }))]);
      await sendAt(d, 'host0', Q, 1 * SECOND);
      await sendAt(d, 'uplink0', A, 2 * SECOND);
      await sendAt(d, 'host0', Q, 3 * SECOND);
      await d.hal.advance(123 * SECOND - 1 - 3 * SECOND); // udpReplied 120 s after the last packet
      expect(flowRecords(await events(d.hal)), 'before expiry').to.deep.equal([]);
      await d.hal.advance(1);
      const evs = (await events(d.hal, { kinds: ['FLOW_RECORD'] }));
      expect(evs).to.have.length(1);
      expect(evs[0].timeNs).to.equal(123 * SECOND);
      expect(withDefaults(evs[0].flowRecord!)).to.deep.equal({
        original: tuple(Q), translated: tuple(Q), zone: 0, ingressPort: 'host0', verdict: 'ALLOWED', policyRef: 'default-allow',
        forward: { packets: 2, bytes: 2 * len('host0', Q) }, reverse: { packets: 1, bytes: len('uplink0', A) },
        startNs: 1 * SECOND, endNs: 123 * SECOND, endReason: 'IDLE_TIMEOUT',
      });
    });

    it('a TCP flow closed by FIN is reported as TCP_FIN, one closed by RST as TCP_RST', async () => {
      await write(d.hal, [ins(flowLog({ recordAllowed: true }))]);
      const syn: Flow = { src: EP_A, dst: OUTSIDE, proto: 'tcp', sport: 40000, dport: 443, flags: 'S', seq: 100 };
      const seg = (f: Partial<Flow>, back = false): Flow => (back ? reversed(syn, f) : { ...syn, ...f });
      await send(d, 'host0', syn);
      await send(d, 'uplink0', seg({ flags: 'SA', seq: 900, ack: 101 }, true));
      await send(d, 'host0', seg({ flags: 'A', seq: 101, ack: 901 }));
      await send(d, 'host0', seg({ flags: 'FA', seq: 101, ack: 901 }));
      await send(d, 'uplink0', seg({ flags: 'FA', seq: 901, ack: 102 }, true));
      await send(d, 'host0', seg({ flags: 'A', seq: 102, ack: 902 }));
      const rstFlow: Flow = { ...syn, sport: 40001 };
      await send(d, 'host0', rstFlow);
      await send(d, 'uplink0', reversed(rstFlow, { flags: 'RA', seq: 0, ack: 101 }));
      await d.hal.advance(200 * SECOND);
      const recs = flowRecords(await events(d.hal));
      expect(recs.map((r) => [r.original!.srcPort, r.endReason]).sort()).to.deep.equal([[40000, 'TCP_FIN'], [40001, 'TCP_RST']]);
      const fin = recs.find((r) => r.original!.srcPort === 40000)!;
      expect([fin.forward!.packets, fin.reverse!.packets]).to.deep.equal([4, 2]);
    });

    it('a NAT flow reports the translated tuple: masquerade', async () => {
      await write(d.hal, [ins(flowLog({ recordAllowed: true })), ins({ snat: { srcPrefix: '10.0.0.0/24', priority: 1, masquerade: { ip: '192.0.2.100', ports: { lo: 20000, hi: 20000 } } } })]);
      await send(d, 'host0', Q);
      await d.hal.advance(30 * SECOND);
      const [r] = flowRecords(await events(d.hal));
      expect(r.original).to.deep.equal(tuple(Q));
      expect(r.translated).to.deep.equal({ ...tuple(Q), srcIp: '192.0.2.100', srcPort: 20000 });
    });

    it('a NAT flow reports the translated tuple: service DNAT to the backend', async () => {
      await write(d.hal, [
        ins(flowLog({ recordAllowed: true })),
        ins({ backendGroup: { id: 'g', members: [{ ip: EP_A, port: 5353 }] } }),
        ins({ service: { vip: '10.96.0.10', protocol: 17, port: 53, balance: { backendGroupId: 'g' } } }),
      ]);
      const f: Flow = { src: OUTSIDE, dst: '10.96.0.10', sport: 999, dport: 53 };
      await send(d, 'uplink0', f);
      await d.hal.advance(30 * SECOND);
      const [r] = flowRecords(await events(d.hal));
      expect(r.original).to.deep.equal(tuple(f));
      expect(r.translated).to.deep.equal({ ...tuple(f), dstIp: EP_A, dstPort: 5353 });
      expect(r.ingressPort).to.equal('uplink0');
    });

    it('carries the policyRef of the ACL that admitted the flow', async () => {
      await write(d.hal, [ins(flowLog({ recordAllowed: true })), ins(acl({ stage: 'ACL_EGRESS', endpointId: 'ep-a', protocol: 17, priority: 5, policyRef: 'ns/allow-dns' }))]);
      await send(d, 'host0', Q);
      await d.hal.advance(30 * SECOND);
      expect(flowRecords(await events(d.hal)).map((r) => r.policyRef)).to.deep.equal(['ns/allow-dns']);
    });

    it('a flush produces FLUSHED records and no aging events', async () => {
      await write(d.hal, [ins(flowLog({ recordAllowed: true }))]);
      await sendAt(d, 'host0', Q, SECOND);
      await sendAt(d, 'host0', { ...Q, sport: 5001 }, SECOND);
      expect((await d.hal.deleteConntrack({})).deleted).to.equal(2);
      await d.hal.advance(1000 * SECOND);
      const evs = await events(d.hal);
      expect(evs.map((e) => e.flowRecord?.endReason ?? 'aging')).to.deep.equal(['FLUSHED', 'FLUSHED']);
      expect(evs.map((e) => e.timeNs)).to.deep.equal([SECOND, SECOND]);
    });

    it('activeTimeoutS reports a long-lived flow periodically with cumulative counters', async () => {
      await write(d.hal, [ins(flowLog({ recordAllowed: true, activeTimeoutS: 10 }))]);
      // Packets every 3 s from t = 1 s (never at a report instant): reports at 11 s and 21 s.
      for (let t = 1; t <= 25; t += 3) await sendAt(d, 'host0', Q, t * SECOND);
      const recs = flowRecords(await events(d.hal));
      expect(recs.map((r) => [r.endReason, r.startNs, r.endNs, r.forward!.packets])).to.deep.equal([
        ['ACTIVE_TIMEOUT', SECOND, 11 * SECOND, 4], ['ACTIVE_TIMEOUT', SECOND, 21 * SECOND, 7],
      ]);
      await d.hal.advance(100 * SECOND);
      // Still alive until 25 s + 30 s (udpUnreplied): reports at 31, 41, 51 s, then the end.
      expect(flowRecords(await events(d.hal)).map((r) => [r.endReason, r.endNs! / SECOND])).to.deep.equal([
        ['ACTIVE_TIMEOUT', 11], ['ACTIVE_TIMEOUT', 21], ['ACTIVE_TIMEOUT', 31], ['ACTIVE_TIMEOUT', 41], ['ACTIVE_TIMEOUT', 51], ['IDLE_TIMEOUT', 55],
      ]);
    });

    it('recordAllowed false: no records of allowed flows', async () => {
      await write(d.hal, [ins(flowLog({ recordDenied: true }))]);
      await send(d, 'host0', Q);
      await d.hal.advance(30 * SECOND);
      expect(flowRecords(await events(d.hal))).to.deep.equal([]);
    });

    it('no flow_log entry: no flow records at all, but aging events still', async () => {
      await isolate(d, EP_A, { isolatedIngress: true });
      await send(d, 'host0', Q);
      await send(d, 'uplink0', { ...A, sport: 1 });
      await d.hal.advance(30 * SECOND);
      const evs = await events(d.hal);
      expect(flowRecords(evs)).to.deep.equal([]);
      expect(evs.filter((e) => e.conntrackAging)).to.have.length(1);
    });

    it('sampling: sampleOneIn 4 records about a quarter of 400 flows, each at most once; 1 records all', async () => {
      await write(d.hal, [ins(flowLog({ recordAllowed: true, sampleOneIn: 4 }))]);
      for (let i = 0; i < 400; i++) await send(d, 'host0', { ...Q, sport: 10000 + i });
      await d.hal.advance(30 * SECOND);
      const recs = flowRecords(await events(d.hal));
      expect(recs.length).to.be.within(60, 140);
      expect(new Set(recs.map((r) => r.original!.srcPort)).size).to.equal(recs.length);

      const all = await topologyDevice();
      await write(all.hal, [ins(flowLog({ recordAllowed: true, sampleOneIn: 1 }))]);
      for (let i = 0; i < 400; i++) await send(all, 'host0', { ...Q, sport: 10000 + i });
      await all.hal.advance(30 * SECOND);
      expect(flowRecords(await events(all.hal))).to.have.length(400);
    });
  });

  describe('flow records of denied flows', () => {
    const IN: Flow = { src: OUTSIDE, dst: EP_A, sport: 777, dport: 22 };

    it('a denied flow is reported once, at its first denied packet, as POLICY_DENIED with default-deny', async () => {
      await write(d.hal, [ins(flowLog({ recordDenied: true }))]);
      await isolate(d, EP_A, { isolatedIngress: true });
      for (let i = 0; i < 3; i++) await sendAt(d, 'uplink0', IN, (1 + i) * SECOND);
      const evs = await events(d.hal);
      expect(evs).to.have.length(1);
      expect(evs[0].timeNs).to.equal(SECOND);
      expect(withDefaults(evs[0].flowRecord!)).to.deep.equal({
        original: tuple(IN), translated: tuple(IN), zone: 0, ingressPort: 'uplink0', verdict: 'DENIED', policyRef: 'default-deny',
        forward: { packets: 1, bytes: len('uplink0', IN) }, reverse: { packets: 0, bytes: 0 },
        startNs: SECOND, endNs: SECOND, endReason: 'POLICY_DENIED',
      });
      expect(await d.hal.listConntrack({})).to.deep.equal([]);
    });

    it('the deciding ACL\'s policyRef; ACL_REJECT gives verdict REJECTED', async () => {
      await write(d.hal, [
        ins(flowLog({ recordDenied: true })),
        ins(acl({ stage: 'ACL_INGRESS', endpointId: 'ep-a', protocol: 17, dstPorts: { lo: 22, hi: 22 }, priority: 5, action: 'ACL_DENY', policyRef: 'ns/no-ssh' })),
        ins(acl({ stage: 'ACL_INGRESS', endpointId: 'ep-a', protocol: 17, dstPorts: { lo: 23, hi: 23 }, priority: 5, action: 'ACL_REJECT', policyRef: 'ns/no-telnet' })),
      ]);
      await send(d, 'uplink0', IN);
      await send(d, 'uplink0', { ...IN, dport: 23 });
      const recs = flowRecords(await events(d.hal));
      expect(recs.map((r) => [r.verdict, r.policyRef, r.original!.dstPort])).to.deep.equal([['DENIED', 'ns/no-ssh', 22], ['REJECTED', 'ns/no-telnet', 23]]);
    });

    it('reported again only after 60 s of virtual time without denied packets of that flow', async () => {
      await write(d.hal, [ins(flowLog({ recordDenied: true }))]);
      await isolate(d, EP_A, { isolatedIngress: true });
      for (const t of [1, 30, 80, 139]) await sendAt(d, 'uplink0', IN, t * SECOND); // each within 60 s of the previous
      expect(flowRecords(await events(d.hal))).to.have.length(1);
      await sendAt(d, 'uplink0', IN, 199 * SECOND); // exactly 60 s of quiet
      await sendAt(d, 'uplink0', { ...IN, sport: 778 }, 199 * SECOND); // another flow
      expect(flowRecords(await events(d.hal)).map((r) => [r.startNs, r.original!.srcPort])).to.deep.equal([[SECOND, 777], [199 * SECOND, 777], [199 * SECOND, 778]]);
    });

    it('recordDenied false: denied flows are not reported', async () => {
      await write(d.hal, [ins(flowLog({ recordAllowed: true }))]);
      await isolate(d, EP_A, { isolatedIngress: true });
      await send(d, 'uplink0', IN);
      expect(await events(d.hal)).to.deep.equal([]);
    });

    it('a flow_log written later applies from then on; deleting it stops records', async () => {
      await isolate(d, EP_A, { isolatedIngress: true });
      await send(d, 'uplink0', IN);
      await write(d.hal, [ins(flowLog({ recordDenied: true }))]);
      await send(d, 'uplink0', { ...IN, sport: 1 });
      await write(d.hal, [del({ flowLog: {} })]);
      await send(d, 'uplink0', { ...IN, sport: 2 });
      expect(flowRecords(await events(d.hal)).map((r) => r.original!.srcPort)).to.deep.equal([1]);
    });
  });

  describe('conntrack aging events', () => {
    it('an expiring connection produces one CONNTRACK_AGING event at its due time, in time order', async () => {
      await write(d.hal, [mod({ ctZone: { timeouts: { udpUnreplied: 5 } } })]);
      await sendAt(d, 'host0', Q, SECOND);
      await sendAt(d, 'host0', { ...Q, sport: 5001 }, 2 * SECOND);
      await d.hal.advance(1000 * SECOND);
      const evs = await events(d.hal);
      expect(evs.map((e) => [e.timeNs, e.conntrackAging?.entry?.original?.srcPort])).to.deep.equal([[6 * SECOND, 5000], [7 * SECOND, 5001]]);
      const e = evs[0].conntrackAging!.entry!;
      expect(e.zone ?? 0).to.equal(0);
      expect(e.original).to.deep.equal(tuple(Q));
      expect(e.expiresNs).to.equal(6 * SECOND);
    });

    it('a flush produces no aging event', async () => {
      await send(d, 'host0', Q);
      await d.hal.deleteConntrack({});
      await d.hal.advance(1000 * SECOND);
      expect(await events(d.hal)).to.deep.equal([]);
    });
  });

  describe('Subscribe', () => {
    /** n connections that expire one second apart: n aging events (no flow_log). */
    async function agingEvents(dev: Device, n: number, from = 0): Promise<void> {
      for (let i = 0; i < n; i++) await sendAt(dev, 'host0', { ...Q, sport: 20000 + from + i }, (await dev.hal.now()).nowNs! + SECOND);
      await dev.hal.advance(31 * SECOND);
    }

    it('sequences start at 1 and increase by one whatever the kind; a kind filter leaves gaps', async () => {
      await write(d.hal, [ins(flowLog({ recordAllowed: true }))]);
      await agingEvents(d, 3);
      const all = await events(d.hal);
      expect(sequences(all)).to.deep.equal(range(1, 6));
      const aging = await events(d.hal, { kinds: ['CONNTRACK_AGING'] });
      const records = await events(d.hal, { kinds: ['FLOW_RECORD'] });
      expect(aging).to.have.length(3);
      expect(records).to.have.length(3);
      expect([...sequences(aging), ...sequences(records)].sort((a, b) => a! - b!)).to.deep.equal(range(1, 6));
    });

    it('live events follow the retained ones without loss or duplicates; a resume delivers exactly what came after', async () => {
      await agingEvents(d, 3);
      const live: Event[] = [];
      const sub = d.hal.subscribe({}, (e) => live.push(e));
      await settled(() => live.length);
      await agingEvents(d, 4, 100);
      await settled(() => live.length);
      sub.close();
      expect(sequences(live)).to.deep.equal(range(1, 7));
      await agingEvents(d, 2, 200); // after close: not delivered
      expect(live).to.have.length(7);
      expect(sequences(await events(d.hal, { afterSequence: 7 }))).to.deep.equal([8, 9]);
      expect(sequences(await events(d.hal, { afterSequence: 9 }))).to.deep.equal([]);
    });

    it('afterSequence beyond the last issued fails OUT_OF_RANGE at afterSequence', async () => {
      await agingEvents(d, 2);
      const err = await rejection(events(d.hal, { afterSequence: 3 }));
      expect([err.code, err.fieldPath]).to.deep.equal(['OUT_OF_RANGE', 'afterSequence']);
      const fresh = await topologyDevice();
      expect((await rejection(events(fresh.hal, { afterSequence: 1 }))).code).to.equal('OUT_OF_RANGE');
      expect(await events(fresh.hal, { afterSequence: 0 })).to.deep.equal([]);
    });

    it('retention: a resume point whose next event is gone fails OUT_OF_RANGE; afterSequence 0 never fails', async () => {
      const small = await topologyDevice({ eventRetention: 4 });
      await agingEvents(small, 10);
      expect(sequences(await events(small.hal))).to.deep.equal([7, 8, 9, 10]);
      expect(sequences(await events(small.hal, { afterSequence: 6 }))).to.deep.equal([7, 8, 9, 10]);
      for (const after of [2, 5]) {
        const err = await rejection(events(small.hal, { afterSequence: after }));
        expect([err.code, err.fieldPath], `afterSequence ${after}`).to.deep.equal(['OUT_OF_RANGE', 'afterSequence']);
      }
      expect(sequences(await events(small.hal, { afterSequence: 10 }))).to.deep.equal([]);
    });

    it('ipfixCollectors need telemetry.ipfixExport, which the reference does not declare: FEATURE_UNSUPPORTED', async () => {
      expect((await d.hal.describe()).capabilities!.telemetry!.ipfixExport ?? false).to.equal(false);
      await expectUpdateError(d.hal, ins(flowLog({ recordAllowed: true, ipfixCollectors: ['collector.example:4739'] })), {
        code: 'UNIMPLEMENTED', reason: 'FEATURE_UNSUPPORTED', fieldPath: 'updates[0].entry.flowLog.ipfixCollectors',
      });
    });

    it('telemetry capabilities match what the events show', async () => {
      const t = (await d.hal.describe()).capabilities!.telemetry!;
      expect(t).to.include({ flowRecords: true, sampling: true, eventStream: true, perEntryCounters: true });
      expect((await d.hal.describe()).capabilities!.conntrack).to.include({ agingEvents: true, configurableTimeouts: true, nat: true });
    });
  });

  describe('counters', () => {
    it('drops by reason, injected and emitted totals', async () => {
      await isolate(d, EP_A, { isolatedIngress: true });
      await send(d, 'host0', Q);
      await send(d, 'uplink0', { ...A, sport: 9 });
      await send(d, 'uplink0', { ...A, sport: 9 });
      await send(d, 'host0', { ...Q, proto: 'tcp', flags: 'F' });
      const c = await d.hal.getCounters();
      expect(c.drops).to.deep.include({ 'default-deny-ingress': 2, 'ct-invalid': 1 });
      expect(c.injected!.packets).to.equal(4);
      expect(c.emitted!.packets).to.equal(1);
      expect(c.emitted!.bytes).to.equal(len('host0', Q));
      const ports = (await d.hal.listPorts()).ports!;
      expect(ports.find((p) => p.id === 'uplink0')!.rxDropped!.packets).to.equal(2);
      expect(ports.find((p) => p.id === 'uplink0')!.tx!.packets).to.equal(1);
    });
  });
});
