// Connection tracking through the reference walk (hal-spec §2 stage 3/6, §12):
// real TCP/UDP/ICMP frames, stateful return traffic, zones, capacity, timeouts
// from a zone's profile on virtual time, and the Conntrack RPCs. Expected output
// frames are built independently with buildFrame.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { buildFrame } from '../../../src/sim/packet/index.js';
import type { ConntrackEntry, FiveTuple } from '../../../src/hal/generated/types.js';
import {
  MAC,
  SECOND,
  expectDrop,
  expectEmitted,
  expectIcmpError,
  expectRst,
  flowSpec,
  frameIn,
  frameOut,
  ins,
  isolate,
  mod,
  portMac,
  rejection,
  reversed,
  sendAt,
  send,
  topologyDevice,
  write,
  type Device,
  type Entry,
  type Flow,
  ctf,
  ctt,
} from './fixtures.js';

const OUTSIDE = '198.51.100.7';
const EP_A = '10.0.0.10';
const EP_B = '10.0.0.11';

/** ep-a opens TCP to the outside: SYN, SYN-ACK, ACK with consistent sequence numbers. */
const SYN: Flow = { src: EP_A, dst: OUTSIDE, proto: 'tcp', sport: 40000, dport: 443, flags: 'S', seq: 1000 };
const SYNACK: Flow = reversed(SYN, { flags: 'SA', seq: 5000, ack: 1001 });
const ACK: Flow = { ...SYN, flags: 'A', seq: 1001, ack: 5001 };

const acl = (a: Record<string, unknown>): Entry => ({ acl: a as Entry['acl'] });
const zone = (z: Record<string, unknown>): Entry => ({ ctZone: z as Entry['ctZone'] });
const port = (id: string, extra: Record<string, unknown>): Entry => ({ port: { id, adminUp: true, ...extra } as Entry['port'] });

/** Sorted for comparisons (List order is unspecified). */
const keyOf = (e: ConntrackEntry) => `${e.zone}|${e.original!.protocol}|${e.original!.srcIp}:${e.original!.srcPort}>${e.original!.dstIp}:${e.original!.dstPort}`;
const keys = (es: ConntrackEntry[]) => es.map(keyOf).sort();
/** A tuple with proto3 defaults made explicit. */
const tuple = (t: FiveTuple) => ({ srcIp: t.srcIp, dstIp: t.dstIp, protocol: t.protocol ?? 0, srcPort: t.srcPort ?? 0, dstPort: t.dstPort ?? 0 });

describe('reference driver: conntrack (stateful walk)', () => {
  let d: Device;
  beforeEach(async () => {
    d = await topologyDevice();
  });

  describe('TCP', () => {
    it('a handshake passes both ways; the SYN-ACK is reply traffic and passes an isolated-ingress endpoint', async () => {
      await isolate(d, EP_A, { isolatedIngress: true });
      expectEmitted(await send(d, 'host0', SYN), 'uplink0', frameOut(d, 'uplink0', MAC.router0, SYN), 'SYN');
      expectEmitted(await send(d, 'uplink0', SYNACK), 'host0', frameOut(d, 'host0', MAC.epA, SYNACK), 'SYN-ACK');
      expectEmitted(await send(d, 'host0', ACK), 'uplink0', frameOut(d, 'uplink0', MAC.router0, ACK), 'ACK');
      // Data both ways on the established connection.
      const data = { ...ACK, flags: 'PA', payload: 'GET / HTTP/1.1\r\n\r\n' };
      expectEmitted(await send(d, 'host0', data), 'uplink0', frameOut(d, 'uplink0', MAC.router0, data), 'data out');
      const back = reversed(SYN, { flags: 'PA', seq: 5001, ack: 1001 + 18, payload: 'HTTP/1.1 200 OK\r\n' });
      expectEmitted(await send(d, 'uplink0', back), 'host0', frameOut(d, 'host0', MAC.epA, back), 'data back');
      const [e] = await d.hal.listConntrack({});
      expect(e.original).to.deep.equal({ srcIp: EP_A, dstIp: OUTSIDE, protocol: 6, srcPort: 40000, dstPort: 443 });
      expect(e.reply).to.deep.equal({ srcIp: OUTSIDE, dstIp: EP_A, protocol: 6, srcPort: 443, dstPort: 40000 });
      expect(e.tcpState).to.equal('TCP_ESTABLISHED');
      expect(e.replied).to.equal(true);
      expect(e.originalCounters!.packets).to.equal(3);
      expect(e.replyCounters!.packets).to.equal(2);
    });

    it('the same SYN-ACK without a connection is dropped ct-invalid, and a new inbound SYN meets the default deny', async () => {
      await isolate(d, EP_A, { isolatedIngress: true });
      expectDrop(await send(d, 'uplink0', SYNACK), 'ct-invalid', 'unsolicited SYN-ACK');
      expectDrop(await send(d, 'uplink0', reversed(SYN, { flags: 'S', seq: 9 })), 'default-deny-ingress', 'inbound SYN');
      expect(await d.hal.listConntrack({})).to.deep.equal([]);
    });

    it('segments that can open no connection are ct-invalid and commit nothing (FIN, SYN+FIN, RST, no flags)', async () => {
      for (const flags of ['F', 'SF', 'R', '']) expectDrop(await send(d, 'host0', { ...SYN, flags }), 'ct-invalid', `flags "${flags}"`);
      expectDrop(await send(d, 'uplink0', reversed(SYN, { flags: 'FA', seq: 5001, ack: 1001 })), 'ct-invalid', 'inbound FIN+ACK');
      expect(await d.hal.listConntrack({})).to.deep.equal([]);
      expect((await d.hal.getCounters()).drops!['ct-invalid']).to.equal(5);
    });

    it('in a zone with tcpWindowTracking a mid-stream ACK with no connection is ct-invalid in both directions', async () => {
      await write(d.hal, [mod(zone({ tcpWindowTracking: true }))]);
      expectDrop(await send(d, 'host0', ACK), 'ct-invalid', 'outbound ACK');
      expectDrop(await send(d, 'uplink0', reversed(ACK, { seq: 5001, ack: 1001 })), 'ct-invalid', 'inbound ACK');
      expect(await d.hal.listConntrack({})).to.deep.equal([]);
    });

    it('a RST ends the connection: later segments are invalid, a new SYN opens a new one', async () => {
      await send(d, 'host0', SYN);
      await send(d, 'uplink0', SYNACK);
      await send(d, 'host0', ACK);
      const rst = reversed(SYN, { flags: 'R', seq: 5001 });
      expectEmitted(await send(d, 'uplink0', rst), 'host0', frameOut(d, 'host0', MAC.epA, rst), 'RST');
      expect((await d.hal.listConntrack({}))[0].tcpState).to.equal('TCP_CLOSE');
      await d.hal.advance(10 * SECOND); // tcpClose default
      expect(await d.hal.listConntrack({})).to.deep.equal([]);
      expectEmitted(await send(d, 'host0', SYN), 'uplink0', frameOut(d, 'uplink0', MAC.router0, SYN), 'a new SYN');
      expect((await d.hal.listConntrack({}))[0].tcpState).to.equal('TCP_SYN_SENT');
    });

    it('with tcpWindowTracking an out-of-window segment is ct-invalid; without it the same segment passes', async () => {
      await write(d.hal, [mod(zone({ tcpWindowTracking: true }))]);
      await send(d, 'host0', { ...SYN, window: 1000 });
      await send(d, 'uplink0', { ...SYNACK, window: 1000 });
      await send(d, 'host0', { ...ACK, window: 1000 });
      // Far beyond the window the peer opened (5001 + 1000).
      const wild = reversed(SYN, { flags: 'A', seq: 5001 + 100_000, ack: 1001, window: 1000 });
      expectDrop(await send(d, 'uplink0', wild), 'ct-invalid', 'out-of-window');
      const ok = reversed(SYN, { flags: 'A', seq: 5001, ack: 1001, window: 1000 });
      expectEmitted(await send(d, 'uplink0', ok), 'host0', frameOut(d, 'host0', MAC.epA, ok), 'in-window');

      const d2 = await topologyDevice();
      await send(d2, 'host0', { ...SYN, window: 1000 });
      await send(d2, 'uplink0', { ...SYNACK, window: 1000 });
      await send(d2, 'host0', { ...ACK, window: 1000 });
      expectEmitted(await send(d2, 'uplink0', wild), 'host0', frameOut(d2, 'host0', MAC.epA, wild), 'no window tracking');
    });
  });

  describe('UDP and ICMP', () => {
    const req: Flow = { src: EP_A, dst: OUTSIDE, sport: 5353, dport: 53 };

    it('a UDP reply is admitted through isolation only after the request', async () => {
      await isolate(d, EP_A, { isolatedIngress: true });
      const reply = reversed(req);
      expectDrop(await send(d, 'uplink0', reply), 'default-deny-ingress', 'reply before the request');
      expectEmitted(await send(d, 'host0', req), 'uplink0', frameOut(d, 'uplink0', MAC.router0, req), 'request');
      expectEmitted(await send(d, 'uplink0', reply), 'host0', frameOut(d, 'host0', MAC.epA, reply), 'reply');
      // Another source port of the same server is another flow: denied.
      expectDrop(await send(d, 'uplink0', { ...reply, sport: 54 }), 'default-deny-ingress', 'other server port');
      const [e] = await d.hal.listConntrack({});
      expect(e.replied).to.equal(true);
      expect(e.tcpState ?? 'TCP_NONE').to.equal('TCP_NONE');
    });

    it('ICMP echo: the reply passes isolation; an unsolicited echo reply is ct-invalid; the identifier is the port', async () => {
      await isolate(d, EP_A, { isolatedIngress: true });
      const ping: Flow = { src: EP_A, dst: OUTSIDE, proto: 'icmp', icmpType: 8, icmpId: 0x4242, icmpSeq: 1 };
      const pong: Flow = { src: OUTSIDE, dst: EP_A, proto: 'icmp', icmpType: 0, icmpId: 0x4242, icmpSeq: 1 };
      expectDrop(await send(d, 'uplink0', pong), 'ct-invalid', 'unsolicited echo reply');
      expectEmitted(await send(d, 'host0', ping), 'uplink0', frameOut(d, 'uplink0', MAC.router0, ping), 'echo request');
      expectEmitted(await send(d, 'uplink0', pong), 'host0', frameOut(d, 'host0', MAC.epA, pong), 'echo reply');
      expectDrop(await send(d, 'uplink0', { ...pong, icmpId: 0x4243 }), 'ct-invalid', 'reply with another identifier');
      const [e] = await d.hal.listConntrack({});
      // hal-spec §12: the echo identifier in srcPort, 0 in dstPort (absent or 0: proto3 default).
      expect(tuple(e.original!)).to.deep.equal({ srcIp: EP_A, dstIp: OUTSIDE, protocol: 1, srcPort: 0x4242, dstPort: 0 });
      expect(tuple(e.reply!)).to.deep.equal({ srcIp: OUTSIDE, dstIp: EP_A, protocol: 1, srcPort: 0x4242, dstPort: 0 });
    });

    it('ICMPv6 echo is tracked the same way', async () => {
      const ping: Flow = { src: '2001:db8:a::10', dst: '2001:db8:ff::1', proto: 'icmpv6', icmpType: 128, icmpId: 99 };
      const pong: Flow = { src: '2001:db8:ff::1', dst: '2001:db8:a::10', proto: 'icmpv6', icmpType: 129, icmpId: 99 };
      await write(d.hal, [mod({ endpoint: { ip: '2001:db8:a::10', portId: 'host0', mac: MAC.epA, endpointId: 'ep-a', isolatedIngress: true } })]);
      expectEmitted(await send(d, 'host0', ping), 'uplink0', frameOut(d, 'uplink0', MAC.router6, ping), 'echo request');
      expectEmitted(await send(d, 'uplink0', pong), 'host0', frameOut(d, 'host0', MAC.epA, pong), 'echo reply');
    });
  });

  describe('zones', () => {
    it('connections are per zone: a reply arriving in another zone finds nothing', async () => {
      await write(d.hal, [ins(zone({ zone: 7 })), mod(port('uplink1', { ctZone: 7 }))]);
      await isolate(d, EP_A, { isolatedIngress: true });
      const req: Flow = { src: EP_A, dst: OUTSIDE, sport: 1111, dport: 53 };
      await send(d, 'host0', req);
      // The reply through uplink1 (zone 7) is a new flow there: the isolation denies it.
      expectDrop(await send(d, 'uplink1', reversed(req)), 'default-deny-ingress', 'reply in zone 7');
      expectEmitted(await send(d, 'uplink0', reversed(req)), 'host0', frameOut(d, 'host0', MAC.epA, reversed(req)), 'reply in zone 0');
      expect((await d.hal.listConntrack({ filter: ctf({ zone: 7 }) }))).to.deep.equal([]);
    });

    it('the same tuple is two connections in two zones', async () => {
      await write(d.hal, [ins(zone({ zone: 7 })), mod(port('uplink1', { ctZone: 7 }))]);
      const inbound: Flow = { src: OUTSIDE, dst: EP_B, sport: 2222, dport: 8080 };
      await send(d, 'uplink0', inbound);
      await send(d, 'uplink1', inbound);
      const all = await d.hal.listConntrack({});
      expect(keys(all)).to.deep.equal([`0|17|${OUTSIDE}:2222>${EP_B}:8080`, `7|17|${OUTSIDE}:2222>${EP_B}:8080`]);
      expect((await d.hal.deleteConntrack({ filter: ctf({ zone: 7 }) })).deleted).to.equal(1);
      expect(keys(await d.hal.listConntrack({}))).to.deep.equal([`0|17|${OUTSIDE}:2222>${EP_B}:8080`]);
    });

    it('a full zone drops new connections as ct-full; other zones and existing connections are unaffected', async () => {
      await write(d.hal, [ins(zone({ zone: 3, maxEntries: 2 })), mod(port('host0', { ctZone: 3 }))]);
      const flow = (sport: number): Flow => ({ src: EP_A, dst: OUTSIDE, sport, dport: 53 });
      expectEmitted(await send(d, 'host0', flow(1)), 'uplink0', frameOut(d, 'uplink0', MAC.router0, flow(1)), 'first');
      expectEmitted(await send(d, 'host0', flow(2)), 'uplink0', frameOut(d, 'uplink0', MAC.router0, flow(2)), 'second');
      expectDrop(await send(d, 'host0', flow(3)), 'ct-full', 'third');
      // An existing connection still flows.
      expectEmitted(await send(d, 'host0', flow(1)), 'uplink0', frameOut(d, 'uplink0', MAC.router0, flow(1)), 'first again');
      // Zone 0 (host1) is not limited by zone 3.
      const other: Flow = { src: EP_B, dst: OUTSIDE, sport: 3, dport: 53 };
      expectEmitted(await send(d, 'host1', other), 'uplink0', frameOut(d, 'uplink0', MAC.router0, other), 'zone 0');
      expect((await d.hal.getCounters()).drops!['ct-full']).to.equal(1);
      expect(await d.hal.listConntrack({ filter: ctf({ zone: 3 }) })).to.have.length(2);
      // Room comes back when a connection goes.
      await d.hal.deleteConntrack({ filter: ctf({ zone: 3, address: OUTSIDE, protocol: 17 }), });
      expectEmitted(await send(d, 'host0', flow(3)), 'uplink0', frameOut(d, 'uplink0', MAC.router0, flow(3)), 'after the flush');
    });

    it('the device conntrack maximum applies to a zone whose maxEntries is 0', async () => {
      const small = await topologyDevice({ conntrackEntries: 2 });
      const flow = (sport: number): Flow => ({ src: EP_A, dst: OUTSIDE, sport, dport: 53 });
      await send(small, 'host0', flow(1));
      await send(small, 'host0', flow(2));
      expectDrop(await send(small, 'host0', flow(3)), 'ct-full', 'over the device maximum');
      expect((await small.hal.describe()).capabilities!.conntrack!.maxEntries).to.equal(2);
    });
  });

  describe('timeouts on virtual time', () => {
    const req: Flow = { src: EP_A, dst: OUTSIDE, sport: 7000, dport: 53 };

    it('udpUnreplied from the zone profile: alive 1 ns before, gone at the timeout; then the reply is not admitted', async () => {
      await write(d.hal, [mod(zone({ timeouts: { udpUnreplied: 5 } }))]);
      await isolate(d, EP_A, { isolatedIngress: true });
      const t0 = 1 * SECOND;
      await sendAt(d, 'host0', req, t0);
      const [e] = await d.hal.listConntrack({});
      expect(e.createdNs).to.equal(t0);
      expect(e.lastSeenNs).to.equal(t0);
      expect(e.expiresNs).to.equal(t0 + 5 * SECOND);
      await d.hal.advance(5 * SECOND - 1);
      expect(await d.hal.listConntrack({}), 'at t0 + 5 s - 1 ns').to.have.length(1);
      await d.hal.advance(1);
      expect(await d.hal.listConntrack({}), 'at t0 + 5 s').to.have.length(0);
      expectDrop(await send(d, 'uplink0', reversed(req)), 'default-deny-ingress', 'reply after expiry');
    });

    it('a reply switches to udpReplied, and every packet restarts the idle time', async () => {
      await write(d.hal, [mod(zone({ timeouts: { udpUnreplied: 5, udpReplied: 20 } }))]);
      await sendAt(d, 'host0', req, SECOND);
      await sendAt(d, 'uplink0', reversed(req), 2 * SECOND);
      let [e] = await d.hal.listConntrack({});
      expect(e.expiresNs).to.equal(22 * SECOND);
      await sendAt(d, 'host0', req, 10 * SECOND);
      [e] = await d.hal.listConntrack({});
      expect(e.lastSeenNs).to.equal(10 * SECOND);
      expect(e.expiresNs).to.equal(30 * SECOND);
      await d.hal.advance(30 * SECOND - 1 - 10 * SECOND);
      expect(await d.hal.listConntrack({})).to.have.length(1);
      await d.hal.advance(1);
      expect(await d.hal.listConntrack({})).to.have.length(0);
    });

    it('the HAL defaults apply when the profile field is 0 (udpUnreplied 30 s, icmp 30 s)', async () => {
      await sendAt(d, 'host0', req, SECOND);
      await sendAt(d, 'host0', { src: EP_A, dst: OUTSIDE, proto: 'icmp' }, SECOND);
      const es = await d.hal.listConntrack({});
      expect(es.map((e) => e.expiresNs)).to.deep.equal([31 * SECOND, 31 * SECOND]);
      await d.hal.advance(30 * SECOND - 1);
      expect(await d.hal.listConntrack({})).to.have.length(2);
      await d.hal.advance(1);
      expect(await d.hal.listConntrack({})).to.have.length(0);
    });

    it('tcpEstablished from the profile: after expiry a mid-stream segment is ct-invalid', async () => {
      // A window-tracking zone: there a mid-stream segment can never open a connection.
      await write(d.hal, [mod(zone({ timeouts: { tcpEstablished: 100, tcpSynSent: 3 }, tcpWindowTracking: true }))]);
      await sendAt(d, 'host0', SYN, SECOND);
      expect((await d.hal.listConntrack({}))[0].expiresNs, 'SYN_SENT').to.equal(4 * SECOND);
      await sendAt(d, 'uplink0', SYNACK, 2 * SECOND);
      await sendAt(d, 'host0', ACK, 3 * SECOND);
      const [e] = await d.hal.listConntrack({});
      expect(e.tcpState).to.equal('TCP_ESTABLISHED');
      expect(e.expiresNs).to.equal(103 * SECOND);
      await d.hal.advance(100 * SECOND - 1);
      expect(await d.hal.listConntrack({})).to.have.length(1);
      await d.hal.advance(1);
      expect(await d.hal.listConntrack({})).to.have.length(0);
      expectDrop(await send(d, 'host0', { ...ACK, flags: 'PA', payload: 'late' }), 'ct-invalid', 'segment after expiry');
    });

    it('an unanswered SYN expires after tcpSynSent', async () => {
      await write(d.hal, [mod(zone({ timeouts: { tcpSynSent: 2 } }))]);
      await sendAt(d, 'host0', SYN, SECOND);
      await d.hal.advance(2 * SECOND - 1);
      expect(await d.hal.listConntrack({})).to.have.length(1);
      await d.hal.advance(1);
      expect(await d.hal.listConntrack({})).to.have.length(0);
    });

    it('every TCP state takes its own timeout from the profile', async () => {
      await write(d.hal, [mod(zone({ timeouts: { tcpSynSent: 11, tcpSynRecv: 12, tcpEstablished: 13, tcpFinWait: 14, tcpCloseWait: 15, tcpLastAck: 16, tcpTimeWait: 17, tcpClose: 18 } }))]);
      const steps: [string, Flow, string, number][] = [
        ['host0', SYN, 'TCP_SYN_SENT', 11],
        ['uplink0', SYNACK, 'TCP_SYN_RECV', 12],
        ['host0', ACK, 'TCP_ESTABLISHED', 13],
        ['host0', { ...ACK, flags: 'FA' }, 'TCP_FIN_WAIT', 14],
        ['uplink0', reversed(SYN, { flags: 'A', seq: 5001, ack: 1002 }), 'TCP_CLOSE_WAIT', 15],
        ['uplink0', reversed(SYN, { flags: 'FA', seq: 5001, ack: 1002 }), 'TCP_LAST_ACK', 16],
        ['host0', { ...ACK, flags: 'A', seq: 1002, ack: 5002 }, 'TCP_TIME_WAIT', 17],
      ];
      let t = SECOND;
      for (const [port, f, state, timeout] of steps) {
        t += SECOND;
        expect((await sendAt(d, port, f, t)).disposition, state).to.equal('FORWARDED');
        const [e] = await d.hal.listConntrack({});
        expect([e.tcpState, e.lastSeenNs, e.expiresNs], state).to.deep.equal([state, t, t + timeout * SECOND]);
      }
      const other = { ...SYN, sport: 40001 };
      await sendAt(d, 'host0', other, t + SECOND);
      // RFC 9293: in SYN-SENT only a RST that acknowledges the SYN is acceptable.
      expect((await sendAt(d, 'uplink0', reversed(other, { flags: 'RA', seq: 0, ack: 1001 }), t + 2 * SECOND)).disposition).to.equal('FORWARDED');
      const [e] = await d.hal.listConntrack({ filter: ctf({ protocol: 6, address: EP_A }) }).then((es) => es.filter((x) => x.original!.srcPort === 40001));
      expect([e.tcpState, e.expiresNs]).to.deep.equal(['TCP_CLOSE', t + 2 * SECOND + 18 * SECOND]);
    });

    it('icmp and other (SCTP) timeouts come from the profile', async () => {
      await write(d.hal, [mod(zone({ timeouts: { icmp: 4, other: 7 } }))]);
      await sendAt(d, 'host0', { src: EP_A, dst: OUTSIDE, proto: 'icmp' }, SECOND);
      const sctp = buildFrame({ eth: { src: MAC.epA, dst: portMac(d, 'host0') }, ipv4: { src: EP_A, dst: OUTSIDE, ttl: 64 }, sctp: { sport: 3868, dport: 3868, tag: 0 }, payload: new Uint8Array(20) });
      expect((await d.hal.inject({ portId: 'host0', frame: sctp, timeNs: SECOND })).disposition).to.equal('FORWARDED');
      const es = await d.hal.listConntrack({});
      expect(es.map((e) => [e.original!.protocol, e.expiresNs]).sort()).to.deep.equal([[1, 5 * SECOND], [132, 8 * SECOND]]);
    });

    it('a profile change applies to existing connections from their next packet', async () => {
      await sendAt(d, 'host0', req, SECOND);
      expect((await d.hal.listConntrack({}))[0].expiresNs).to.equal(31 * SECOND);
      await write(d.hal, [mod(zone({ timeouts: { udpUnreplied: 2 } }))]);
      await sendAt(d, 'host0', req, 5 * SECOND);
      expect((await d.hal.listConntrack({}))[0].expiresNs).to.equal(7 * SECOND);
    });
  });

  describe('stateful semantics', () => {
    it('an established flow is not re-evaluated after a policy change; a new flow is', async () => {
      const flow: Flow = { src: EP_A, dst: OUTSIDE, sport: 6000, dport: 53 };
      expectEmitted(await send(d, 'host0', flow), 'uplink0', frameOut(d, 'uplink0', MAC.router0, flow), 'before the ACL');
      await write(d.hal, [ins(acl({ stage: 'ACL_EGRESS', endpointId: 'ep-a', dstPrefix: `${OUTSIDE}/32`, priority: 10, action: 'ACL_DENY', policyRef: 'ns/deny-out' }))]);
      expectEmitted(await send(d, 'host0', flow), 'uplink0', frameOut(d, 'uplink0', MAC.router0, flow), 'established after the ACL');
      expectDrop(await send(d, 'host0', { ...flow, sport: 6001 }), 'acl-deny', 'new flow after the ACL');
      // Once the connection is flushed, the old flow is new again and denied.
      await d.hal.deleteConntrack({});
      expectDrop(await send(d, 'host0', flow), 'acl-deny', 'after the flush');
    });

    it('the connection records the policyRef of the ACL that admitted it', async () => {
      await write(d.hal, [ins(acl({ stage: 'ACL_EGRESS', endpointId: 'ep-a', protocol: 17, priority: 10, policyRef: 'ns/allow-dns' }))]);
      await send(d, 'host0', { src: EP_A, dst: OUTSIDE, sport: 1, dport: 53 });
      expect((await d.hal.listConntrack({}))[0].policyRef).to.equal('ns/allow-dns');
    });

    it('host-to-host traffic is tracked once, in the source port\'s zone', async () => {
      await isolate(d, EP_B, { isolatedIngress: true });
      await isolate(d, EP_A, { isolatedIngress: true });
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', endpointId: 'ep-b', protocol: 6, dstPorts: { lo: 80, hi: 80 }, priority: 5, policyRef: 'ns/web' }))]);
      const syn: Flow = { src: EP_A, dst: EP_B, proto: 'tcp', sport: 30000, dport: 80, flags: 'S', seq: 1 };
      expectEmitted(await send(d, 'host0', syn), 'host1', frameOut(d, 'host1', MAC.epB, syn), 'SYN a → b');
      const synack = reversed(syn, { flags: 'SA', seq: 100, ack: 2 });
      expectEmitted(await send(d, 'host1', synack, MAC.epB), 'host0', frameOut(d, 'host0', MAC.epA, synack), 'SYN-ACK b → a');
      expectDrop(await send(d, 'host1', { ...syn, src: EP_B, dst: EP_A, sport: 30001, dport: 80 }, MAC.epB), 'default-deny-ingress', 'b opens to a');
      const es = await d.hal.listConntrack({});
      expect(es.map((e) => [e.zone ?? 0, e.tcpState, e.replied])).to.deep.equal([[0, 'TCP_SYN_RECV', true]]);
    });
  });

  describe('Conntrack RPCs', () => {
    beforeEach(async () => {
      await write(d.hal, [ins(zone({ zone: 7 })), mod(port('uplink1', { ctZone: 7 }))]);
      await send(d, 'host0', SYN); // zone 0, TCP, ep-a
      await send(d, 'host0', { src: EP_A, dst: OUTSIDE, sport: 5000, dport: 53 }); // zone 0 UDP ep-a
      await send(d, 'host1', { src: EP_B, dst: '203.0.113.9', sport: 5001, dport: 123 }); // zone 0 UDP ep-b
      await send(d, 'uplink1', { src: OUTSIDE, dst: EP_B, sport: 5002, dport: 8080 }); // zone 7 UDP
    });

    it('List: empty filter, zone, protocol, address (either address of either tuple), limit', async () => {
      expect(await d.hal.listConntrack({})).to.have.length(4);
      expect(await d.hal.listConntrack({ filter: ctf({}) })).to.have.length(4);
      expect(keys(await d.hal.listConntrack({ filter: ctf({ zone: 7 }) }))).to.deep.equal([`7|17|${OUTSIDE}:5002>${EP_B}:8080`]);
      expect(await d.hal.listConntrack({ filter: ctf({ zone: 0 }) })).to.have.length(3);
      expect(keys(await d.hal.listConntrack({ filter: ctf({ protocol: 6 }) }))).to.deep.equal([`0|6|${EP_A}:40000>${OUTSIDE}:443`]);
      expect(await d.hal.listConntrack({ filter: ctf({ address: EP_B }) })).to.have.length(2);
      expect(await d.hal.listConntrack({ filter: ctf({ address: '203.0.113.9' }) })).to.have.length(1);
      expect(await d.hal.listConntrack({ filter: ctf({ address: OUTSIDE, zone: 0 }) })).to.have.length(2);
      expect(await d.hal.listConntrack({ filter: ctf({ address: OUTSIDE, zone: 0, protocol: 17 }) })).to.have.length(1);
      expect(await d.hal.listConntrack({ filter: ctf({ address: '192.0.2.99' }) })).to.deep.equal([]);
      expect(await d.hal.listConntrack({ limit: 2 })).to.have.length(2);
      expect(await d.hal.listConntrack({ limit: 0 })).to.have.length(4);
    });

    it('List: replySrcIp / replySrcPort match the reply tuple source', async () => {
      expect(keys(await d.hal.listConntrack({ filter: ctf({ replySrcIp: '203.0.113.9' }) }))).to.deep.equal([`0|17|${EP_B}:5001>203.0.113.9:123`]);
      expect(await d.hal.listConntrack({ filter: ctf({ replySrcIp: EP_B }) })).to.have.length(1); // the zone 7 inbound flow
      expect(await d.hal.listConntrack({ filter: ctf({ replySrcIp: OUTSIDE, replySrcPort: 53 }) })).to.have.length(1);
      expect(await d.hal.listConntrack({ filter: ctf({ replySrcIp: OUTSIDE, replySrcPort: 54 }) })).to.have.length(0);
    });

    it('Get finds an entry by either direction\'s tuple, in its zone only', async () => {
      const byOrig = await d.hal.getConntrack({ zone: 0, tuple: ctt({ srcIp: EP_A, dstIp: OUTSIDE, protocol: 6, srcPort: 40000, dstPort: 443 }) });
      const byReply = await d.hal.getConntrack({ zone: 0, tuple: ctt({ srcIp: OUTSIDE, dstIp: EP_A, protocol: 6, srcPort: 443, dstPort: 40000 }) });
      expect(byReply).to.deep.equal(byOrig);
      expect(byOrig.tcpState).to.equal('TCP_SYN_SENT');
      expect(byOrig.replied ?? false).to.equal(false);
      const err = await rejection(d.hal.getConntrack({ zone: 7, tuple: ctt({ srcIp: EP_A, dstIp: OUTSIDE, protocol: 6, srcPort: 40000, dstPort: 443 }) }));
      expect([err.code, err.reason]).to.deep.equal(['NOT_FOUND', 'ENTRY_NOT_FOUND']);
    });

    it('Get and List reject bad addresses with a field path; nothing changes', async () => {
      let err = await rejection(d.hal.getConntrack({ tuple: { srcIp: '10.0.0.010', dstIp: OUTSIDE, protocol: 6 } as never }));
      expect([err.code, err.reason, err.fieldPath]).to.deep.equal(['INVALID_ARGUMENT', 'FIELD_INVALID', 'tuple.srcIp']);
      err = await rejection(d.hal.getConntrack({ tuple: { srcIp: EP_A, dstIp: '2001:DB8::1', protocol: 6 } as never }));
      expect([err.code, err.reason, err.fieldPath]).to.deep.equal(['INVALID_ARGUMENT', 'NOT_CANONICAL', 'tuple.dstIp']);
      err = await rejection(d.hal.listConntrack({ filter: ctf({ address: 'not-an-ip' }) as never }));
      expect([err.code, err.reason, err.fieldPath]).to.deep.equal(['INVALID_ARGUMENT', 'FIELD_INVALID', 'filter.address']);
      err = await rejection(d.hal.deleteConntrack({ filter: ctf({ replySrcIp: '10.1.2' }) as never }));
      expect([err.code, err.reason, err.fieldPath]).to.deep.equal(['INVALID_ARGUMENT', 'FIELD_INVALID', 'filter.replySrcIp']);
      expect(await d.hal.listConntrack({})).to.have.length(4);
    });

    it('Delete by filter returns the count; an empty filter flushes everything', async () => {
      expect((await d.hal.deleteConntrack({ filter: ctf({ protocol: 17, zone: 0 }) })).deleted).to.equal(2);
      expect(keys(await d.hal.listConntrack({}))).to.deep.equal([`0|6|${EP_A}:40000>${OUTSIDE}:443`, `7|17|${OUTSIDE}:5002>${EP_B}:8080`]);
      expect((await d.hal.deleteConntrack({ filter: ctf({ address: '192.0.2.99' }) })).deleted).to.equal(0);
      expect((await d.hal.deleteConntrack({})).deleted).to.equal(2);
      expect(await d.hal.listConntrack({})).to.deep.equal([]);
    });

    it('conntrack state is not part of the generation or the digest', async () => {
      const before = await d.hal.getState();
      await send(d, 'host0', { src: EP_A, dst: OUTSIDE, sport: 9999, dport: 53 });
      await d.hal.deleteConntrack({ filter: ctf({ protocol: 6 }) });
      const after = await d.hal.getState();
      expect([after.generation, after.digest]).to.deep.equal([before.generation, before.digest]);
    });
  });
  describe('rejections by ACL and route (hal-spec §2 "Rejections")', () => {
    const tcp: Flow = { src: OUTSIDE, dst: EP_A, proto: 'tcp', sport: 41000, dport: 23, flags: 'S', seq: 5000, payload: '' };
    const udp: Flow = { src: OUTSIDE, dst: EP_A, sport: 41001, dport: 23, payload: 'datagram' };

    it('ACL_REJECT answers TCP with a RST and UDP with ICMP administratively prohibited (3/13)', async () => {
      await write(d.hal, [
        ins(acl({ stage: 'ACL_INGRESS', endpointId: 'ep-a', protocol: 6, dstPorts: { lo: 23, hi: 23 }, priority: 10, action: 'ACL_REJECT', policyRef: 'no-telnet' })),
        ins(acl({ stage: 'ACL_INGRESS', endpointId: 'ep-a', protocol: 17, dstPorts: { lo: 23, hi: 23 }, priority: 10, action: 'ACL_REJECT', policyRef: 'no-telnet' })),
      ]);
      expectRst(await send(d, 'uplink0', tcp), { port: 'uplink0', srcMac: portMac(d, 'uplink0'), dstMac: MAC.client, src: EP_A, dst: OUTSIDE, sport: 23, dport: 41000, seq: 0, ack: 5001, flagBits: 0x14, reason: 'acl-reject' });
      const frame = frameIn(d, 'uplink0', udp);
      expectIcmpError(await d.hal.inject({ portId: 'uplink0', frame }), { port: 'uplink0', srcMac: portMac(d, 'uplink0'), dstMac: MAC.client, dst: OUTSIDE, type: 3, code: 13, quoteOf: frame, reason: 'acl-reject' });
      expect(await d.hal.listConntrack({})).to.deep.equal([]);
    });

    it('ACL_REJECT over IPv6 answers ICMPv6 administratively prohibited (1/1)', async () => {
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', endpointId: 'ep-a', protocol: 17, dstPorts: { lo: 23, hi: 23 }, priority: 10, action: 'ACL_REJECT' }))]);
      const frame = frameIn(d, 'uplink0', { ...udp, src: '2001:db8:ff::7', dst: '2001:db8:a::10' });
      expectIcmpError(await d.hal.inject({ portId: 'uplink0', frame }), { port: 'uplink0', srcMac: portMac(d, 'uplink0'), dstMac: MAC.client, dst: '2001:db8:ff::7', type: 1, code: 1, quoteOf: frame, reason: 'acl-reject' });
    });

    it('the RST acknowledges SEG.SEQ + SEG.LEN modulo 2^32 (a SYN with data at the wrap)', async () => {
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', endpointId: 'ep-a', protocol: 6, dstPorts: { lo: 23, hi: 23 }, priority: 10, action: 'ACL_REJECT' }))]);
      const wrap = { ...tcp, seq: 0xffffffff, payload: 'ab' };
      expectRst(await send(d, 'uplink0', wrap), { port: 'uplink0', srcMac: portMac(d, 'uplink0'), dstMac: MAC.client, src: EP_A, dst: OUTSIDE, sport: 23, dport: 41000, seq: 0, ack: 2, flagBits: 0x14, reason: 'acl-reject' });
    });

    it('a segment carrying ACK is answered by a bare RST with SEQ = SEG.ACK (RFC 9293 §3.10.7.1)', async () => {
      // An established connection whose destination becomes a reject route.
      const syn: Flow = { src: EP_A, dst: '203.0.113.9', proto: 'tcp', sport: 1000, dport: 443, flags: 'S', seq: 10, payload: '' };
      await send(d, 'host0', syn);
      await send(d, 'uplink0', reversed(syn, { flags: 'SA', seq: 70000, ack: 11 }));
      await write(d.hal, [ins({ route: { prefix: '203.0.113.0/24', reject: {} } })]);
      const data = { ...syn, flags: 'PA', seq: 11, ack: 70001, payload: 'data' };
      expectRst(await send(d, 'host0', data, MAC.epA), { port: 'host0', srcMac: portMac(d, 'host0'), dstMac: MAC.epA, src: '203.0.113.9', dst: EP_A, sport: 443, dport: 1000, seq: 70001, ack: 0, flagBits: 0x04, reason: 'route-reject' });
    });

    it('a reject route answers ICMP network unreachable (3/0) for UDP and a RST for TCP', async () => {
      await write(d.hal, [ins({ route: { prefix: '203.0.113.0/24', reject: {} } })]);
      const out: Flow = { src: EP_A, dst: '203.0.113.9', sport: 1000, dport: 2000, payload: 'to a rejected net' };
      const frame = frameIn(d, 'host0', out, MAC.epA);
      expectIcmpError(await d.hal.inject({ portId: 'host0', frame }), { port: 'host0', srcMac: portMac(d, 'host0'), dstMac: MAC.epA, dst: EP_A, type: 3, code: 0, quoteOf: frame, reason: 'route-reject' });
      const syn: Flow = { ...out, proto: 'tcp', flags: 'S', seq: 10, payload: '' };
      expectRst(await send(d, 'host0', syn, MAC.epA), { port: 'host0', srcMac: portMac(d, 'host0'), dstMac: MAC.epA, src: '203.0.113.9', dst: EP_A, sport: 2000, dport: 1000, seq: 0, ack: 11, flagBits: 0x14, reason: 'route-reject' });
    });

    it('an ICMP error or a RST is never answered: it is dropped with the reject reason', async () => {
      const udp: Flow = { src: EP_A, dst: '203.0.113.9', sport: 1000, dport: 2000 };
      const syn: Flow = { src: EP_A, dst: '203.0.113.9', proto: 'tcp', sport: 1001, dport: 443, flags: 'S', seq: 10, payload: '' };
      await send(d, 'host0', udp, MAC.epA);
      const reply = await send(d, 'uplink0', reversed(udp));
      await send(d, 'host0', syn, MAC.epA);
      await send(d, 'uplink0', reversed(syn, { flags: 'SA', seq: 500, ack: 11 }));
      await write(d.hal, [ins({ route: { prefix: '203.0.113.0/24', reject: {} } })]);
      // ep-a answers the reply it got with a port unreachable (RELATED, original direction).
      const quote = reply.emitted![0].frame!.subarray(14);
      const err = buildFrame({ eth: { src: MAC.epA, dst: portMac(d, 'host0') }, ipv4: { src: EP_A, dst: '203.0.113.9', ttl: 64 }, icmp: { type: 3, code: 3 }, payload: quote });
      expectDrop(await d.hal.inject({ portId: 'host0', frame: err }), 'route-reject', 'ICMP error to a reject route');
      expectDrop(await send(d, 'host0', { ...syn, flags: 'R', seq: 11 }, MAC.epA), 'route-reject', 'RST to a reject route');
    });

    it('a reject route answers ICMPv6 no route (1/0) over IPv6', async () => {
      await write(d.hal, [ins({ route: { prefix: '2001:db8:bad::/48', reject: {} } })]);
      const frame = frameIn(d, 'host0', { src: '2001:db8:a::10', dst: '2001:db8:bad::1', sport: 1, dport: 2 }, MAC.epA);
      expectIcmpError(await d.hal.inject({ portId: 'host0', frame }), { port: 'host0', srcMac: portMac(d, 'host0'), dstMac: MAC.epA, dst: '2001:db8:a::10', type: 1, code: 0, quoteOf: frame, reason: 'route-reject' });
    });
  });

  describe('RELATED ICMP errors', () => {
    const ROUTER = '192.0.2.254';
    const req: Flow = { src: EP_A, dst: OUTSIDE, sport: 5000, dport: 53, payload: 'query' };
    /** An ICMP port unreachable from ROUTER to `to`, quoting `quoted` as it left the device. */
    const icmpError = (to: string, quoted: Uint8Array): Flow & { quote: Uint8Array } => ({ src: ROUTER, dst: to, proto: 'icmp', icmpType: 3, icmpCode: 3, icmpId: 0, icmpSeq: 0, quote: quoted });
    const errFrame = (f: Flow & { quote: Uint8Array }, srcMac: string, dstMac: string, ttl: number) =>
      buildFrame({ eth: { src: srcMac, dst: dstMac }, ipv4: { src: f.src, dst: f.dst, ttl, id: 0x1234 }, icmp: { type: 3, code: 3 }, payload: f.quote });

    it('an ICMP error quoting a known connection passes an isolated endpoint without policy, bytes unchanged', async () => {
      await isolate(d, EP_A, { isolatedIngress: true });
      const r = await send(d, 'host0', req);
      const left = r.emitted![0].frame!.subarray(14);
      const e = icmpError(EP_A, left);
      const got = await d.hal.inject({ portId: 'uplink0', frame: errFrame(e, MAC.client, portMac(d, 'uplink0'), 64) });
      expectEmitted(got, 'host0', errFrame(e, portMac(d, 'host0'), MAC.epA, 63), 'RELATED error');
    });

    it('an ICMP error quoting no connection is ct-invalid', async () => {
      const stray = buildFrame(flowSpec({ ...req, sport: 6000 }, portMac(d, 'uplink0'), MAC.router0, 63)).subarray(14);
      const got = await d.hal.inject({ portId: 'uplink0', frame: errFrame(icmpError(EP_A, stray), MAC.client, portMac(d, 'uplink0'), 64) });
      expectDrop(got, 'ct-invalid', 'unrelated error');
    });

    /** The IP packet `f` as it leaves the device untranslated (TTL 63): what a quote must read after reverse NAT. */
    const asSent = (f: Flow) => buildFrame(flowSpec(f, portMac(d, 'uplink0'), MAC.router0, 63)).subarray(14);

    it('for a masqueraded connection the error reaches the client quoting the packet the client sent', async () => {
      await write(d.hal, [ins({ snat: { srcPrefix: '10.0.0.0/24', priority: 1, masquerade: { ip: '192.0.2.100', ports: { lo: 20000, hi: 20000 } } } })]);
      const r = await send(d, 'host0', req);
      const left = r.emitted![0].frame!.subarray(14);
      expect(Buffer.from(left).equals(Buffer.from(asSent(req))), 'the request left masqueraded').to.equal(false);
      const e = icmpError('192.0.2.100', left);
      const got = await d.hal.inject({ portId: 'uplink0', frame: errFrame(e, MAC.client, portMac(d, 'uplink0'), 64) });
      expectEmitted(got, 'host0', errFrame({ ...e, dst: EP_A, quote: asSent(req) }, portMac(d, 'host0'), MAC.epA, 63), 'outer and quote translated back');
    });

    it('a quote cut short after 8 transport bytes is translated back; the TCP checksum it lacks is not invented', async () => {
      await write(d.hal, [ins({ snat: { srcPrefix: '10.0.0.0/24', priority: 1, masquerade: { ip: '192.0.2.100', ports: { lo: 20000, hi: 20000 } } } })]);
      const syn: Flow = { src: EP_A, dst: OUTSIDE, proto: 'tcp', sport: 5001, dport: 443, flags: 'S' };
      const r = await send(d, 'host0', syn);
      const left = r.emitted![0].frame!.subarray(14, 14 + 28); // IPv4 header + 8 bytes of TCP, as RFC 792 minimum
      const e = icmpError('192.0.2.100', left);
      const got = await d.hal.inject({ portId: 'uplink0', frame: errFrame(e, MAC.client, portMac(d, 'uplink0'), 64) });
      expectEmitted(got, 'host0', errFrame({ ...e, dst: EP_A, quote: asSent(syn).subarray(0, 28) }, portMac(d, 'host0'), MAC.epA, 63), 'short quote');
    });
    it('an error the backend of a DNATed flow sends appears to come from the VIP', async () => {
      await write(d.hal, [
        ins({ backendGroup: { id: 'g', members: [{ ip: '10.1.0.1', port: 5353 }] } }),
        ins({ service: { vip: '10.96.0.10', protocol: 17, port: 53, balance: { backendGroupId: 'g' } } }),
      ]);
      const r = await send(d, 'uplink0', { src: OUTSIDE, dst: '10.96.0.10', sport: 4444, dport: 53 });
      const left = r.emitted![0].frame!.subarray(14);
      const e = { ...icmpError(OUTSIDE, left), src: '10.1.0.1' };
      const got = await d.hal.inject({ portId: 'uplink0', frame: errFrame(e, MAC.router0, portMac(d, 'uplink0'), 64) });
      const asClientSent = asSent({ src: OUTSIDE, dst: '10.96.0.10', sport: 4444, dport: 53 });
      expectEmitted(got, 'uplink0', errFrame({ ...e, src: '10.96.0.10', quote: asClientSent }, portMac(d, 'uplink0'), MAC.router0, 63), 'error as the VIP, quoting the VIP');
    });
  });

  describe('capabilities', () => {
    /** Where each declared feature is shown by a packet test that would fail without it. */
    const COVERED: Record<string, [file: string, title: string]> = {
      IPV4_ROUTING: ['packets', 'IPv4 UDP to a remote address'],
      IPV6_ROUTING: ['packets', 'IPv6: hop limit decremented'],
      ECMP: ['packets', 'removing one member moves only that member'],
      NEIGHBOR_REWRITE: ['packets', 'one with an ip uses the neighbor table'],
      TTL_DECREMENT: ['packets', 'TTL 1 drops ttl-exceeded'],
      ROUTE_REJECT_ICMP: ['stateful', 'a reject route answers ICMP network unreachable'],
      ACL: ['packets', 'the higher priority wins'],
      ACL_DEFAULT_DENY: ['packets', 'isolated for ingress: default deny inbound only'],
      ACL_REJECT: ['stateful', 'ACL_REJECT answers TCP with a RST'],
      CONNTRACK: ['stateful', 'a handshake passes both ways'],
      STATEFUL_ACL: ['stateful', 'an established flow is not re-evaluated after a policy change'],
      SERVICE_LB: ['services', 'consistent hashing: removing one member moves only'],
      SERVICE_AFFINITY: ['services', 'holds for the timeout and may change after it expires'],
      SERVICE_REJECT_EMPTY: ['services', 'TCP to an empty group is answered by a RST'],
      SERVICE_SOURCE_RANGES: ['services', 'the longest matching source entry decides'],
      SNAT: ['nat', 'rewrites the source to the masquerade address'],
      HAIRPIN: ['nat', 'hairpin: a client that is its own backend'],
      VXLAN_ENCAP: ['tunnels', 'VXLAN: outer addresses, VNI, UDP 4789'],
      VXLAN_DECAP: ['tunnels', 'VXLAN to a local VTEP and VNI'],
      GENEVE_ENCAP: ['tunnels', 'Geneve with options: the option TLVs are carried'],
      GENEVE_DECAP: ['tunnels', 'Geneve with options to a local VTEP'],
      POLICER: ['qos', 'srTCM (RFC 2697), EBS 0'],
      SHAPER: ['qos', 'delays emitted timeNs by the token-bucket schedule'],
      FLOW_RECORDS: ['telemetry', 'a UDP flow produces one record when it idles out'],
    };

    it('every declared feature has a packet test in this suite', async () => {
      const features = (await d.hal.describe()).capabilities!.features ?? [];
      for (const f of features) {
        expect(COVERED, `feature ${f} has no test`).to.have.property(f);
        const [file, title] = COVERED[f];
        const text = readFileSync(new URL(`./${file}.test.ts`, import.meta.url), 'utf8');
        expect(text.includes(title), `${file}.test.ts has a test "${title}…"`).to.equal(true);
      }
    });

    it('conntrack capabilities match what the packets show', async () => {
      const c = (await d.hal.describe()).capabilities!.conntrack!;
      expect(c).to.include({ supported: true, configurableTimeouts: true, tcpWindowTracking: true, nat: true, agingEvents: true });
      expect(c.maxEntries).to.be.greaterThan(0);
    });
  });
});
