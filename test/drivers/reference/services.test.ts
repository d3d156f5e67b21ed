// Service load balancing through the reference walk (hal-spec §2 stage 4 and
// "Member choice", "Source ranges", "Services never blackhole", "Rejections"):
// DNAT bytes and reverse translation, consistent hashing, weights, client-IP
// affinity on virtual time, terminating members, reject answers, source ranges,
// and policy on the backend.
import { expect } from 'chai';
import {
  MAC,
  SECOND,
  del,
  expectDrop,
  expectEmitted,
  expectIcmpError,
  expectRst,
  frameIn,
  frameOut,
  ins,
  isolate,
  mod,
  parsed,
  portMac,
  send,
  sendAt,
  topologyDevice,
  write,
  type Device,
  type Entry,
  type Flow,
  ctf,
  ctt,
} from './fixtures.js';

const CLIENT = '198.51.100.7';
const EP_A = '10.0.0.10';
const EP_B = '10.0.0.11';
const VIP = '10.96.0.10';
const VIP6 = '2001:db8:96::10';

type Member = { ip: string; port: number; weight?: number; state?: string };
const group = (id: string, members: Member[]): Entry => ({ backendGroup: { id, members } as Entry['backendGroup'] });
const service = (vip: string, protocol: number, port: number, action: Record<string, unknown>): Entry => ({ service: { vip, protocol, port, ...action } as Entry['service'] });
const balance = (backendGroupId: string, extra: Record<string, unknown> = {}) => ({ balance: { backendGroupId, ...extra } });
const acl = (a: Record<string, unknown>): Entry => ({ acl: a as Entry['acl'] });
const source = (vip: string, src: string, action: 'allow' | 'drop'): Entry => ({ serviceSource: { vip, protocol: 6, port: 80, source: src, [action]: {} } as Entry['serviceSource'] });

/** The backend (ip:port) an emitted frame is addressed to. */
function backendOf(frame: Uint8Array): string {
  const p = parsed(frame);
  const l3 = p.l3!;
  const l4 = p.l4!;
  if (l3.kind === 'arp' || !('dstPort' in l4)) throw new Error('not an IP/L4 frame');
  return `${l3.dst}:${l4.dstPort}`;
}

/** Sends `n` new UDP flows from the client to VIP:53 (source ports base..base+n-1) and returns the backend of each. */
async function spread(d: Device, n: number, base = 10000, client = CLIENT, t = 0): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await sendAt(d, 'uplink0', { src: client, dst: VIP, sport: base + i, dport: 53 }, t);
    expect(r.disposition, `flow ${i}`).to.equal('FORWARDED');
    out.push(backendOf(r.emitted![0].frame!));
  }
  return out;
}

const tally = (xs: string[]) => xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});
const REMOTE = (i: number): Member => ({ ip: `10.1.0.${i}`, port: 5353 });

describe('reference driver: services', () => {
  let d: Device;
  beforeEach(async () => {
    d = await topologyDevice();
  });

  describe('DNAT and reverse translation', () => {
    beforeEach(async () => {
      await write(d.hal, [ins(group('web', [{ ip: EP_A, port: 8080 }])), ins(service(VIP, 6, 80, balance('web'))), ins(group('dns', [{ ip: EP_B, port: 5353 }])), ins(service(VIP, 17, 53, balance('dns')))]);
    });

    it('TCP to the VIP: destination rewritten to the member, checksums valid; the reply leaves as the VIP', async () => {
      const syn: Flow = { src: CLIENT, dst: VIP, proto: 'tcp', sport: 41000, dport: 80, flags: 'S', seq: 77 };
      expectEmitted(await send(d, 'uplink0', syn), 'host0', frameOut(d, 'host0', MAC.epA, { ...syn, dst: EP_A, dport: 8080 }), 'SYN to the backend');
      const synack: Flow = { src: EP_A, dst: CLIENT, proto: 'tcp', sport: 8080, dport: 41000, flags: 'SA', seq: 900, ack: 78 };
      expectEmitted(await send(d, 'host0', synack, MAC.epA), 'uplink0', frameOut(d, 'uplink0', MAC.router0, { ...synack, src: VIP, sport: 80 }), 'SYN-ACK as the VIP');
      const ack: Flow = { ...syn, flags: 'PA', seq: 78, ack: 901, payload: 'hello' };
      expectEmitted(await send(d, 'uplink0', ack), 'host0', frameOut(d, 'host0', MAC.epA, { ...ack, dst: EP_A, dport: 8080 }), 'data to the backend');
      const [e] = await d.hal.listConntrack({});
      expect(e.dnat).to.equal(true);
      expect(e.snat ?? false).to.equal(false);
      expect(e.original).to.deep.equal({ srcIp: CLIENT, dstIp: VIP, protocol: 6, srcPort: 41000, dstPort: 80 });
      expect(e.reply).to.deep.equal({ srcIp: EP_A, dstIp: CLIENT, protocol: 6, srcPort: 8080, dstPort: 41000 });
      expect(await d.hal.listConntrack({ filter: ctf({ replySrcIp: EP_A, replySrcPort: 8080 }) })).to.have.length(1);
    });

    it('the trace shows the stages in walk order; reply traffic skips service-lb and policy', async () => {
      const syn: Flow = { src: CLIENT, dst: VIP, proto: 'tcp', sport: 41000, dport: 80, flags: 'S', seq: 1 };
      const r = await send(d, 'uplink0', syn);
      const stages = r.trace!.map((t) => t.stage!);
      const order = ['port-ingress', 'conntrack', 'service-lb', 'policy', 'nat', 'routing', 'port-egress'];
      const at = order.map((st) => stages.indexOf(st));
      expect(at.every((i) => i >= 0), `stages ${stages.join(', ')}`).to.equal(true);
      expect([...at].sort((a, b) => a - b)).to.deep.equal(at);
      expect(r.trace!.find((t) => t.stage === 'service-lb')).to.include({ table: 'service' });
      const back = await send(d, 'host0', { src: EP_A, dst: CLIENT, proto: 'tcp', sport: 8080, dport: 41000, flags: 'SA', seq: 9, ack: 2 }, MAC.epA);
      const backStages = back.trace!.map((t) => t.stage!);
      expect(backStages).to.not.include('service-lb');
      expect(backStages).to.not.include('policy');
      expect(backStages).to.include('nat');
    });

    it('UDP to the VIP and back', async () => {
      const q: Flow = { src: CLIENT, dst: VIP, sport: 33333, dport: 53, payload: 'query' };
      expectEmitted(await send(d, 'uplink0', q), 'host1', frameOut(d, 'host1', MAC.epB, { ...q, dst: EP_B, dport: 5353 }), 'query');
      const a: Flow = { src: EP_B, dst: CLIENT, sport: 5353, dport: 33333, payload: 'answer' };
      expectEmitted(await send(d, 'host1', a, MAC.epB), 'uplink0', frameOut(d, 'uplink0', MAC.router0, { ...a, src: VIP, sport: 53 }), 'answer');
    });

    it('another port or protocol of the VIP is not the service', async () => {
      // No service on TCP 81 or UDP 80: routed as any address (default route back out uplink0).
      const other: Flow = { src: CLIENT, dst: VIP, proto: 'tcp', sport: 1, dport: 81 };
      expectEmitted(await send(d, 'uplink0', other), 'uplink0', frameOut(d, 'uplink0', MAC.router0, other), 'TCP 81');
    });

    it('IPv6 VIP to an IPv6 member', async () => {
      await write(d.hal, [ins(group('web6', [{ ip: '2001:db8:a::10', port: 8443 }])), ins(service(VIP6, 6, 443, balance('web6')))]);
      const syn: Flow = { src: '2001:db8:ff::7', dst: VIP6, proto: 'tcp', sport: 50000, dport: 443, flags: 'S', seq: 1 };
      expectEmitted(await send(d, 'uplink0', syn), 'host0', frameOut(d, 'host0', MAC.epA, { ...syn, dst: '2001:db8:a::10', dport: 8443 }), 'SYN');
      const synack = { src: '2001:db8:a::10', dst: '2001:db8:ff::7', proto: 'tcp' as const, sport: 8443, dport: 50000, flags: 'SA', seq: 5, ack: 2 };
      expectEmitted(await send(d, 'host0', synack, MAC.epA), 'uplink0', frameOut(d, 'uplink0', MAC.router6, { ...synack, src: VIP6, sport: 443 }), 'SYN-ACK');
    });
  });

  describe('member choice', () => {
    it('consistent hashing: removing one member moves only that member\'s flows', async () => {
      await write(d.hal, [ins(group('g', [1, 2, 3, 4, 5].map(REMOTE))), ins(service(VIP, 17, 53, balance('g')))]);
      const before = await spread(d, 300);
      const counts = tally(before);
      expect(Object.keys(counts), 'every member gets flows').to.have.length(5);
      for (const n of Object.values(counts)) expect(n).to.be.within(30, 90);
      await d.hal.deleteConntrack({});
      await write(d.hal, [mod(group('g', [1, 2, 4, 5].map(REMOTE)))]);
      const after = await spread(d, 300);
      const gone = '10.1.0.3:5353';
      const moved = new Set<string>();
      before.forEach((b, i) => {
        if (b === gone) {
          expect(after[i], `flow ${i} left the removed member`).to.not.equal(gone);
          moved.add(after[i]);
        } else expect(after[i], `flow ${i} kept its member`).to.equal(b);
      });
      expect(moved.size, 'the removed member\'s flows spread over the others').to.be.greaterThan(1);
    });

    it('consistent hashing: adding a member takes flows only onto the new member', async () => {
      await write(d.hal, [ins(group('g', [1, 2, 3].map(REMOTE))), ins(service(VIP, 17, 53, balance('g')))]);
      const before = await spread(d, 300);
      await d.hal.deleteConntrack({});
      await write(d.hal, [mod(group('g', [1, 2, 3, 4].map(REMOTE)))]);
      const after = await spread(d, 300);
      let onNew = 0;
      before.forEach((b, i) => {
        if (after[i] !== b) {
          expect(after[i], `flow ${i} moved, so to the new member`).to.equal('10.1.0.4:5353');
          onNew++;
        }
      });
      expect(onNew).to.be.within(45, 105); // about a quarter
    });

    it('established connections keep their member when the group changes', async () => {
      await write(d.hal, [ins(group('g', [1, 2, 3].map(REMOTE))), ins(service(VIP, 17, 53, balance('g')))]);
      const before = await spread(d, 60);
      await write(d.hal, [mod(group('g', [1, 2, 3, 4, 5, 6].map(REMOTE)))]);
      expect(await spread(d, 60), 'the same flows again').to.deep.equal(before);
      await write(d.hal, [mod(group('g', [REMOTE(7)]))]);
      expect(await spread(d, 60), 'even when their member is gone from the group').to.deep.equal(before);
    });

    it('weights: a member of weight 3 gets about three times the flows of a member of weight 1', async () => {
      await write(d.hal, [ins(group('g', [{ ...REMOTE(1), weight: 1 }, { ...REMOTE(2), weight: 3 }])), ins(service(VIP, 17, 53, balance('g')))]);
      const c = tally(await spread(d, 1200));
      expect(c['10.1.0.2:5353'] / 1200).to.be.within(0.69, 0.81);
    });

    it('weight 0 means 1', async () => {
      await write(d.hal, [ins(group('g', [{ ...REMOTE(1), weight: 0 }, { ...REMOTE(2), weight: 1 }])), ins(service(VIP, 17, 53, balance('g')))]);
      const c = tally(await spread(d, 800));
      expect(c['10.1.0.1:5353'] / 800).to.be.within(0.42, 0.58);
    });

    it('terminating members are used only when no member is active', async () => {
      await write(d.hal, [ins(group('g', [{ ...REMOTE(1), state: 'MEMBER_TERMINATING' }, REMOTE(2)])), ins(service(VIP, 17, 53, balance('g')))]);
      expect(tally(await spread(d, 50, 10000))).to.deep.equal({ '10.1.0.2:5353': 50 });
      await write(d.hal, [mod(group('g', [{ ...REMOTE(1), state: 'MEMBER_TERMINATING' }, { ...REMOTE(2), state: 'MEMBER_TERMINATING' }]))]);
      const c = tally(await spread(d, 50, 20000));
      expect(Object.keys(c).sort(), 'all terminating: both serve').to.deep.equal(['10.1.0.1:5353', '10.1.0.2:5353']);
      await write(d.hal, [mod(group('g', [{ ...REMOTE(1), state: 'MEMBER_TERMINATING' }]))]);
      expect(tally(await spread(d, 10, 30000)), 'a lone terminating member still serves (no reject)').to.deep.equal({ '10.1.0.1:5353': 10 });
    });
  });

  describe('client-IP affinity', () => {
    it('one client keeps one member for all its new flows while several clients spread', async () => {
      await write(d.hal, [ins(group('g', [1, 2, 3, 4, 5, 6, 7, 8].map(REMOTE))), ins(service(VIP, 17, 53, balance('g', { affinityTimeoutS: 60 })))]);
      const one = tally(await spread(d, 40, 10000, CLIENT));
      expect(Object.keys(one), 'one client, 40 flows').to.have.length(1);
      const members = new Set<string>();
      for (let c = 1; c <= 30; c++) members.add((await spread(d, 1, 10000, `203.0.113.${c}`))[0]);
      expect(members.size, 'thirty clients').to.be.greaterThan(3);
      // Without affinity the same 40 flows of one client spread.
      const d2 = await topologyDevice();
      await write(d2.hal, [ins(group('g', [1, 2, 3, 4, 5, 6, 7, 8].map(REMOTE))), ins(service(VIP, 17, 53, balance('g')))]);
      expect(Object.keys(tally(await spread(d2, 40, 10000, CLIENT))).length, 'no affinity').to.be.greaterThan(3);
    });

    it('holds for the timeout and may change after it expires (virtual time)', async () => {
      await write(d.hal, [ins(group('g', [REMOTE(1)])), ins(service(VIP, 17, 53, balance('g', { affinityTimeoutS: 10 })))]);
      const clients = Array.from({ length: 12 }, (_, i) => `203.0.113.${i + 1}`);
      const t0 = SECOND;
      for (const c of clients) expect(await spread(d, 1, 1000, c, t0)).to.deep.equal(['10.1.0.1:5353']);
      // Now the group has eight members; within the timeout every client stays.
      await write(d.hal, [mod(group('g', [1, 2, 3, 4, 5, 6, 7, 8].map(REMOTE)))]);
      const within = t0 + 10 * SECOND - 1;
      for (const c of clients) expect(await spread(d, 1, 2000, c, within), `${c} within the timeout`).to.deep.equal(['10.1.0.1:5353']);
      // Long after (whether or not new flows refreshed it), the choice is free again.
      const later = within + 10 * SECOND + 1;
      const after = [];
      for (const c of clients) after.push(...(await spread(d, 1, 3000, c, later)));
      expect(after.filter((m) => m !== '10.1.0.1:5353').length, 'some clients moved').to.be.greaterThan(0);
      // And the new choice sticks again.
      for (const [i, c] of clients.entries()) expect(await spread(d, 1, 4000, c, later + SECOND)).to.deep.equal([after[i]]);
    });

    it('affinity yields when the remembered member is no longer in the group', async () => {
      await write(d.hal, [ins(group('g', [REMOTE(1)])), ins(service(VIP, 17, 53, balance('g', { affinityTimeoutS: 100 })))]);
      await spread(d, 1, 1000);
      await write(d.hal, [mod(group('g', [REMOTE(2)]))]);
      expect(await spread(d, 1, 2000)).to.deep.equal(['10.1.0.2:5353']);
    });
  });

  describe('empty groups, reject and drop actions', () => {
    const syn: Flow = { src: CLIENT, dst: VIP, proto: 'tcp', sport: 41000, dport: 80, flags: 'S', seq: 1000, payload: '' };
    const udp: Flow = { src: CLIENT, dst: VIP, sport: 41001, dport: 53, payload: 'query-bytes' };

    beforeEach(async () => {
      await write(d.hal, [ins(group('empty', [])), ins(service(VIP, 6, 80, balance('empty'))), ins(service(VIP, 17, 53, balance('empty')))]);
    });

    it('TCP to an empty group is answered by a RST out of the ingress port (RFC 9293: seq 0, ack = SEG.SEQ + SEG.LEN)', async () => {
      const r = await send(d, 'uplink0', syn);
      expectRst(r, { port: 'uplink0', srcMac: portMac(d, 'uplink0'), dstMac: MAC.client, src: VIP, dst: CLIENT, sport: 80, dport: 41000, seq: 0, ack: 1001, flagBits: 0x14, reason: 'service-no-endpoints' });
      // A SYN carrying data: its length counts too.
      const r2 = await send(d, 'uplink0', { ...syn, sport: 41002, seq: 0xffffffff, payload: 'abc' });
      expectRst(r2, { port: 'uplink0', srcMac: portMac(d, 'uplink0'), dstMac: MAC.client, src: VIP, dst: CLIENT, sport: 80, dport: 41002, seq: 0, ack: 3, flagBits: 0x14, reason: 'service-no-endpoints' });
      expect(await d.hal.listConntrack({})).to.deep.equal([]);
    });

    it('UDP to an empty group is answered by ICMP port unreachable quoting the datagram', async () => {
      const frame = frameIn(d, 'uplink0', udp);
      const r = await d.hal.inject({ portId: 'uplink0', frame });
      expectIcmpError(r, { port: 'uplink0', srcMac: portMac(d, 'uplink0'), dstMac: MAC.client, dst: CLIENT, type: 3, code: 3, quoteOf: frame, reason: 'service-no-endpoints' });
    });

    it('IPv6 UDP to an empty group is answered by ICMPv6 port unreachable (type 1 code 4)', async () => {
      await write(d.hal, [ins(service(VIP6, 17, 53, balance('empty')))]);
      const frame = frameIn(d, 'uplink0', { src: '2001:db8:ff::7', dst: VIP6, sport: 999, dport: 53 });
      const r = await d.hal.inject({ portId: 'uplink0', frame });
      expectIcmpError(r, { port: 'uplink0', srcMac: portMac(d, 'uplink0'), dstMac: MAC.client, dst: '2001:db8:ff::7', type: 1, code: 4, quoteOf: frame, reason: 'service-no-endpoints' });
    });

    it('the rejection goes back out of whichever port the packet came in by', async () => {
      const fromHost: Flow = { ...syn, src: EP_B, sport: 42000 };
      const r = await send(d, 'host1', fromHost, MAC.epB);
      expectRst(r, { port: 'host1', srcMac: portMac(d, 'host1'), dstMac: MAC.epB, src: VIP, dst: EP_B, sport: 80, dport: 42000, seq: 0, ack: 1001, flagBits: 0x14, reason: 'service-no-endpoints' });
    });

    it('WHEN_EMPTY_DROP drops silently', async () => {
      await write(d.hal, [mod(service(VIP, 6, 80, balance('empty', { whenEmpty: 'WHEN_EMPTY_DROP' })))]);
      expectDrop(await send(d, 'uplink0', syn), 'service-no-endpoints', 'SYN');
    });

    it('a group whose members are added later serves new connections', async () => {
      await write(d.hal, [mod(group('empty', [{ ip: EP_A, port: 8080 }]))]);
      expectEmitted(await send(d, 'uplink0', syn), 'host0', frameOut(d, 'host0', MAC.epA, { ...syn, dst: EP_A, dport: 8080 }), 'SYN');
    });

    it('a reject service answers RST / port unreachable; a drop service drops', async () => {
      await write(d.hal, [mod(service(VIP, 6, 80, { reject: {} })), mod(service(VIP, 17, 53, { drop: {} }))]);
      expectRst(await send(d, 'uplink0', syn), { port: 'uplink0', srcMac: portMac(d, 'uplink0'), dstMac: MAC.client, src: VIP, dst: CLIENT, sport: 80, dport: 41000, seq: 0, ack: 1001, flagBits: 0x14, reason: 'service-reject' });
      expectDrop(await send(d, 'uplink0', udp), 'service-drop', 'UDP');
      await write(d.hal, [mod(service(VIP, 17, 53, { reject: {} }))]);
      const frame = frameIn(d, 'uplink0', udp);
      expectIcmpError(await d.hal.inject({ portId: 'uplink0', frame }), { port: 'uplink0', srcMac: portMac(d, 'uplink0'), dstMac: MAC.client, dst: CLIENT, type: 3, code: 3, quoteOf: frame, reason: 'service-reject' });
    });
  });

  describe('source ranges', () => {
    const from = (src: string, sport = 40000): Flow => ({ src, dst: VIP, proto: 'tcp', sport, dport: 80, flags: 'S' });
    const out = (src: string, sport = 40000) => frameOut(d, 'host0', MAC.epA, { ...from(src, sport), dst: EP_A, dport: 8080 });

    beforeEach(async () => {
      await write(d.hal, [ins(group('web', [{ ip: EP_A, port: 8080 }])), ins(service(VIP, 6, 80, balance('web'))), ins(service('10.96.0.11', 6, 80, balance('web')))]);
    });

    it('the longest matching source entry decides; a source no entry matches is dropped', async () => {
      await write(d.hal, [ins(source(VIP, '198.51.100.0/24', 'allow')), ins(source(VIP, '198.51.100.128/25', 'drop'))]);
      expectEmitted(await send(d, 'uplink0', from('198.51.100.7')), 'host0', out('198.51.100.7'), 'inside the allowed /24');
      expectDrop(await send(d, 'uplink0', from('198.51.100.200')), 'service-source-denied', 'inside the dropped /25');
      expectDrop(await send(d, 'uplink0', from('203.0.113.5')), 'service-source-denied', 'outside every range');
      // A service without source entries admits everyone.
      const other = { ...from('203.0.113.5'), dst: '10.96.0.11' };
      expectEmitted(await send(d, 'uplink0', other), 'host0', frameOut(d, 'host0', MAC.epA, { ...other, dst: EP_A, dport: 8080 }), 'other service');
    });

    it('an allow inside a drop: the more specific entry wins either way', async () => {
      await write(d.hal, [ins(source(VIP, '0.0.0.0/0', 'drop')), ins(source(VIP, '198.51.100.7/32', 'allow'))]);
      expectEmitted(await send(d, 'uplink0', from('198.51.100.7')), 'host0', out('198.51.100.7'), 'the one allowed host');
      expectDrop(await send(d, 'uplink0', from('198.51.100.8')), 'service-source-denied', 'its neighbour');
    });

    it('removing the last source entry admits everyone again', async () => {
      await write(d.hal, [ins(source(VIP, '198.51.100.0/24', 'allow'))]);
      expectDrop(await send(d, 'uplink0', from('203.0.113.5')), 'service-source-denied', 'with the entry');
      await write(d.hal, [del({ serviceSource: { vip: VIP, protocol: 6, port: 80, source: '198.51.100.0/24' } })]);
      expectEmitted(await send(d, 'uplink0', from('203.0.113.5', 40001)), 'host0', out('203.0.113.5', 40001), 'without it');
    });
  });

  describe('policy sees the backend (after DNAT)', () => {
    const syn: Flow = { src: CLIENT, dst: VIP, proto: 'tcp', sport: 45000, dport: 80, flags: 'S' };
    beforeEach(async () => {
      await write(d.hal, [ins(group('web', [{ ip: EP_A, port: 8080 }])), ins(service(VIP, 6, 80, balance('web')))]);
    });

    it('an ingress ACL on the backend port denies the VIP flow; one on the VIP port does not match', async () => {
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', endpointId: 'ep-a', protocol: 6, dstPorts: { lo: 80, hi: 80 }, priority: 10, action: 'ACL_DENY', policyRef: 'vip-port' }))]);
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', dstPrefix: `${VIP}/32`, priority: 11, action: 'ACL_DENY', policyRef: 'vip-addr' }))]);
      expectEmitted(await send(d, 'uplink0', syn), 'host0', frameOut(d, 'host0', MAC.epA, { ...syn, dst: EP_A, dport: 8080 }), 'VIP rules do not match');
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', endpointId: 'ep-a', protocol: 6, dstPorts: { lo: 8080, hi: 8080 }, priority: 20, action: 'ACL_DENY', policyRef: 'backend-port' }))]);
      expectDrop(await send(d, 'uplink0', { ...syn, sport: 45001 }), 'acl-deny', 'backend rule matches');
    });

    it('an isolated backend admits the VIP flow only through an ACL on the backend port', async () => {
      await isolate(d, EP_A, { isolatedIngress: true });
      expectDrop(await send(d, 'uplink0', syn), 'default-deny-ingress', 'isolated');
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', endpointId: 'ep-a', protocol: 6, dstPorts: { lo: 8080, hi: 8080 }, priority: 5, policyRef: 'allow-web' }))]);
      expectEmitted(await send(d, 'uplink0', syn), 'host0', frameOut(d, 'host0', MAC.epA, { ...syn, dst: EP_A, dport: 8080 }), 'allowed');
      expect((await d.hal.listConntrack({}))[0].policyRef).to.equal('allow-web');
    });

    it('an egress ACL of the client sees the backend address', async () => {
      await write(d.hal, [ins(acl({ stage: 'ACL_EGRESS', endpointId: 'ep-b', dstPrefix: `${EP_A}/32`, priority: 5, action: 'ACL_DENY' }))]);
      expectDrop(await send(d, 'host1', { ...syn, src: EP_B }, MAC.epB), 'acl-deny', 'ep-b to the VIP backed by ep-a');
    });

    it('an established VIP connection survives a new deny on the backend', async () => {
      expect((await send(d, 'uplink0', syn)).disposition).to.equal('FORWARDED');
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', endpointId: 'ep-a', priority: 50, action: 'ACL_DENY' }))]);
      const again = { ...syn, flags: 'S' };
      expectEmitted(await send(d, 'uplink0', again), 'host0', frameOut(d, 'host0', MAC.epA, { ...again, dst: EP_A, dport: 8080 }), 'retransmitted SYN');
      expectDrop(await send(d, 'uplink0', { ...syn, sport: 45002 }), 'acl-deny', 'new connection');
    });
  });

  it('the UDP flush the adapter uses removes a backend\'s flows, and their next packet picks a live member', async () => {
    await write(d.hal, [ins(group('g', [1, 2].map(REMOTE))), ins(service(VIP, 17, 53, balance('g')))]);
    const before = await spread(d, 40);
    const victim = before[0].split(':')[0];
    const n = before.filter((b) => b.startsWith(`${victim}:`)).length;
    await write(d.hal, [mod(group('g', [1, 2].map(REMOTE).filter((m) => m.ip !== victim)))]);
    expect((await d.hal.deleteConntrack({ filter: ctf({ protocol: 17, replySrcIp: victim }) })).deleted).to.equal(n);
    const after = await spread(d, 40);
    expect(after.filter((b) => b.startsWith(`${victim}:`))).to.deep.equal([]);
  });
});
