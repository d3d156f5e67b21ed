// Real frames through the reference walk: output bytes are compared with a frame
// built independently (new MACs, TTL / hop limit one less, valid checksums).
import { expect } from 'chai';
import { buildFrame, verifyChecksums } from '../../../src/sim/packet/index.js';
import { HalError } from '../../../src/hal/index.js';
import {
  MAC,
  del,
  egressOf,
  expectDropped,
  expectForwarded,
  frameIn,
  hex,
  ins,
  mod,
  newDevice,
  portMac,
  rejection,
  send,
  topologyDevice,
  write,
  type Device,
  type Flow,
  type Entry,
} from './fixtures.js';

const OUTSIDE = '198.51.100.7';
const fixedNh = (id: string, port: string, dmac: string): Entry => ({ nexthop: { id, port: { portId: port, dmac } } });
const acl = (a: Record<string, unknown>): Entry => ({ acl: a as Entry['acl'] });

describe('reference driver: packets', () => {
  let d: Device;
  beforeEach(async () => {
    d = await topologyDevice();
  });

  describe('forwarding', () => {
    it('IPv4 UDP to a remote address: out uplink0 to the neighbor MAC, TTL-1, checksums valid, bytes exact', async () => {
      const f: Flow = { src: '10.0.0.10', dst: '8.8.8.8', sport: 5353, dport: 53 };
      const r = await expectForwarded(d, 'host0', f, 'uplink0', MAC.router0);
      expect(verifyChecksums(r.emitted![0].frame!)).to.deep.equal([]);
      const out = r.emitted![0].frame!;
      expect(out[14 + 8]).to.equal(63);
      expect(hex(out.subarray(0, 6))).to.equal(MAC.router0.replaceAll(':', ''));
      expect(hex(out.subarray(6, 12))).to.equal(portMac(d, 'uplink0').replaceAll(':', ''));
    });

    it('IPv4 TCP and ICMP are forwarded with the same rewrite', async () => {
      await expectForwarded(d, 'host0', { src: '10.0.0.10', dst: '8.8.4.4', proto: 'tcp', sport: 33333, dport: 443, ttl: 255 }, 'uplink0', MAC.router0);
      await expectForwarded(d, 'host0', { src: '10.0.0.10', dst: '8.8.4.4', proto: 'icmp', ttl: 2 }, 'uplink0', MAC.router0);
    });

    it('IPv6: hop limit decremented, neighbor of the IPv6 next hop, bytes exact', async () => {
      const r = await expectForwarded(d, 'host0', { src: '2001:db8:a::10', dst: '2001:4860::8888', sport: 1000, dport: 53, ttl: 64 }, 'uplink0', MAC.router6);
      expect(r.emitted![0].frame![14 + 7]).to.equal(63);
      expect(verifyChecksums(r.emitted![0].frame!)).to.deep.equal([]);
      await expectForwarded(d, 'host0', { src: '2001:db8:a::10', dst: '2001:4860::8888', proto: 'icmpv6', ttl: 9 }, 'uplink0', MAC.router6);
    });

    it('incremental IPv4 checksum update matches a full recompute for 2000 varied headers', async () => {
      let seed = 99;
      const rnd = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
      for (let i = 0; i < 2000; i++) {
        const ip = { src: `10.0.${rnd(256)}.${rnd(256)}`, dst: `8.${rnd(256)}.${rnd(256)}.${rnd(256)}`, id: rnd(65536), dscp: rnd(64), flags: { df: rnd(2) === 1 } };
        const ttl = 2 + rnd(254);
        const udp = { sport: rnd(65536), dport: rnd(65536) };
        const frame = buildFrame({ eth: { src: MAC.client, dst: portMac(d, 'uplink1') }, ipv4: { ...ip, ttl }, udp, payload: 'x'.repeat(rnd(40)) });
        const want = buildFrame({ eth: { src: portMac(d, 'uplink0'), dst: MAC.router0 }, ipv4: { ...ip, ttl: ttl - 1 }, udp, payload: 'x'.repeat(frame.length - 42) });
        const r = await d.hal.inject({ portId: 'uplink1', frame });
        expect(hex(r.emitted![0].frame!), `case ${i}`).to.equal(hex(want));
      }
    });

    it('Ethernet padding of a short frame is carried through unchanged', async () => {
      const spec = (src: string, dst: string, ttl: number) => buildFrame({ eth: { src, dst }, ipv4: { src: OUTSIDE, dst: '10.0.0.10', ttl, id: 1 }, udp: { sport: 1, dport: 2 }, padTo: 60 });
      const r = await d.hal.inject({ portId: 'uplink0', frame: spec(MAC.client, portMac(d, 'uplink0'), 64) });
      expect(hex(r.emitted![0].frame!)).to.equal(hex(spec(portMac(d, 'host0'), MAC.epA, 63)));
    });

    it('local endpoint delivery: to the endpoint port and MAC, IPv4 and IPv6', async () => {
      await expectForwarded(d, 'uplink0', { src: OUTSIDE, dst: '10.0.0.10', proto: 'tcp', dport: 22 }, 'host0', MAC.epA);
      await expectForwarded(d, 'uplink1', { src: '2001:db8:ff::1', dst: '2001:db8:a::10' }, 'host0', MAC.epA);
      // host to host
      await expectForwarded(d, 'host0', { src: '10.0.0.10', dst: '10.0.0.11' }, 'host1', MAC.epB);
    });

    it('an endpoint is a host route that beats even a /32 route', async () => {
      await write(d.hal, [ins(fixedNh('nh-x', 'host5', '02:dd:00:00:00:05')), ins({ route: { prefix: '10.0.0.10/32', nexthopId: 'nh-x' } })]);
      await expectForwarded(d, 'uplink0', { src: OUTSIDE, dst: '10.0.0.10' }, 'host0', MAC.epA);
    });

    it('longest prefix wins: /24 over /16 over /8 over /0', async () => {
      await write(d.hal, [
        ins(fixedNh('nh8', 'host2', '02:dd:00:00:00:08')),
        ins(fixedNh('nh16', 'host3', '02:dd:00:00:00:16')),
        ins(fixedNh('nh24', 'host4', '02:dd:00:00:00:24')),
        ins({ route: { prefix: '20.0.0.0/8', nexthopId: 'nh8' } }),
        ins({ route: { prefix: '20.1.0.0/16', nexthopId: 'nh16' } }),
        ins({ route: { prefix: '20.1.2.0/24', nexthopId: 'nh24' } }),
      ]);
      await expectForwarded(d, 'uplink1', { src: OUTSIDE, dst: '20.1.2.3' }, 'host4', '02:dd:00:00:00:24');
      await expectForwarded(d, 'uplink1', { src: OUTSIDE, dst: '20.1.3.3' }, 'host3', '02:dd:00:00:00:16');
      await expectForwarded(d, 'uplink1', { src: OUTSIDE, dst: '20.2.2.3' }, 'host2', '02:dd:00:00:00:08');
      await expectForwarded(d, 'uplink1', { src: OUTSIDE, dst: '21.1.2.3' }, 'uplink0', MAC.router0);
      // Removing the /24 falls back to the /16.
      await write(d.hal, [del({ route: { prefix: '20.1.2.0/24' } })]);
      await expectForwarded(d, 'uplink1', { src: OUTSIDE, dst: '20.1.2.3' }, 'host3', '02:dd:00:00:00:16');
    });

    it('IPv6 longest prefix: /64 over /32 over ::/0', async () => {
      await write(d.hal, [
        ins(fixedNh('nh32', 'host2', '02:dd:00:00:00:32')),
        ins(fixedNh('nh64', 'host3', '02:dd:00:00:00:64')),
        ins({ route: { prefix: '2001:db8::/32', nexthopId: 'nh32' } }),
        ins({ route: { prefix: '2001:db8:1:2::/64', nexthopId: 'nh64' } }),
      ]);
      await expectForwarded(d, 'uplink0', { src: '2001:db8:ff::1', dst: '2001:db8:1:2::9' }, 'host3', '02:dd:00:00:00:64');
      await expectForwarded(d, 'uplink0', { src: '2001:db8:ff::1', dst: '2001:db8:1:3::9' }, 'host2', '02:dd:00:00:00:32');
      await expectForwarded(d, 'uplink0', { src: '2001:db8:ff::1', dst: '2001:db9::9' }, 'uplink0', MAC.router6);
    });

    it('a next hop with a fixed dmac needs no neighbor entry; one with an ip uses the neighbor table', async () => {
      await write(d.hal, [
        ins(fixedNh('nh-fixed', 'uplink1', '02:dd:00:00:00:aa')),
        // A neighbor for 192.168.1.1 exists with another MAC: the fixed dmac wins.
        ins({ nexthop: { id: 'nh-fixed2', port: { portId: 'uplink1', ip: '192.168.1.1', dmac: '02:dd:00:00:00:bb' } } }),
        ins({ route: { prefix: '30.0.0.0/8', nexthopId: 'nh-fixed' } }),
        ins({ route: { prefix: '31.0.0.0/8', nexthopId: 'nh-fixed2' } }),
        ins({ route: { prefix: '32.0.0.0/8', nexthopId: 'nh-up1' } }),
      ]);
      await expectForwarded(d, 'host0', { src: '10.0.0.10', dst: '30.0.0.1' }, 'uplink1', '02:dd:00:00:00:aa');
      await expectForwarded(d, 'host0', { src: '10.0.0.10', dst: '31.0.0.1' }, 'uplink1', '02:dd:00:00:00:bb');
      await expectForwarded(d, 'host0', { src: '10.0.0.10', dst: '32.0.0.1' }, 'uplink1', MAC.router1);
      // The neighbor's MAC changes: the next packet uses the new one.
      await write(d.hal, [mod({ neighbor: { ip: '192.168.1.1', mac: '02:cc:00:00:01:99' } })]);
      await expectForwarded(d, 'host0', { src: '10.0.0.10', dst: '32.0.0.1' }, 'uplink1', '02:cc:00:00:01:99');
    });

    it('a next hop without ip resolves the packet destination itself (connected route)', async () => {
      await write(d.hal, [
        ins({ nexthop: { id: 'nh-conn', port: { portId: 'host7' } } }),
        ins({ route: { prefix: '172.16.0.0/24', nexthopId: 'nh-conn' } }),
        ins({ neighbor: { ip: '172.16.0.5', mac: '02:dd:00:00:01:05' } }),
      ]);
      await expectForwarded(d, 'uplink0', { src: OUTSIDE, dst: '172.16.0.5' }, 'host7', '02:dd:00:00:01:05');
      await expectDropped(d, 'uplink0', { src: OUTSIDE, dst: '172.16.0.6' }, 'neighbor-miss');
    });

    it('neighbor miss drops with neighbor-miss and counts it', async () => {
      await write(d.hal, [del({ neighbor: { ip: '192.168.0.1' } })]);
      const r = await expectDropped(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8' }, 'neighbor-miss');
      expect(r.trace!.at(-1)).to.include({ stage: 'neighbor', table: 'neighbor', ref: '192.168.0.1' });
      expect((await d.hal.getCounters()).drops).to.deep.equal({ 'neighbor-miss': 1 });
    });

    it('route drop discards silently; route reject answers ICMP network unreachable quoting the packet', async () => {
      await write(d.hal, [ins({ route: { prefix: '40.0.0.0/8', drop: {} } }), ins({ route: { prefix: '41.0.0.0/8', reject: {} } })]);
      await expectDropped(d, 'host0', { src: '10.0.0.10', dst: '40.1.1.1' }, 'route-drop');
      expect((await d.hal.capture({})).packets).to.deep.equal([]);
      const f: Flow = { src: '10.0.0.10', dst: '41.1.1.1', sport: 5000, dport: 53 };
      const sent = frameIn(d, 'host0', f);
      const r = await d.hal.inject({ portId: 'host0', frame: sent });
      expect([r.disposition, r.dropReason]).to.deep.equal(['REJECTED', 'route-reject']);
      const icmp = r.emitted![0].frame!;
      expect(r.emitted![0].portId).to.equal('host0');
      expect(verifyChecksums(icmp)).to.deep.equal([]);
      // ICMP type 3 code 0 from the unreachable address to the sender, quoting the IP header on.
      expect([icmp[14 + 9], icmp[34], icmp[35]]).to.deep.equal([1, 3, 0]);
      expect(hex(icmp.subarray(34 + 8))).to.equal(hex(sent.subarray(14)));
      expect((await d.hal.capture({})).packets).to.have.length(1);
    });

    it('no route: IPv4 without a default route drops no-route while IPv6 still forwards', async () => {
      await write(d.hal, [del({ route: { prefix: '0.0.0.0/0' } })]);
      await expectDropped(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8' }, 'no-route');
      await expectForwarded(d, 'host0', { src: '2001:db8:a::10', dst: '2001:4860::1' }, 'uplink0', MAC.router6);
      await write(d.hal, [del({ route: { prefix: '::/0' } })]);
      await expectDropped(d, 'host0', { src: '2001:db8:a::10', dst: '2001:4860::1' }, 'no-route');
    });

    it('a port in another VRF uses that VRF only', async () => {
      await write(d.hal, [
        mod({ port: { id: 'host9', adminUp: true, vrf: 5 } }),
        ins(fixedNh('nh-v5', 'uplink1', '02:dd:00:00:05:05')),
        ins({ route: { vrf: 5, prefix: '0.0.0.0/0', nexthopId: 'nh-v5' } }),
      ]);
      await expectForwarded(d, 'host9', { src: '10.5.0.1', dst: '8.8.8.8' }, 'uplink1', '02:dd:00:00:05:05');
      // VRF 5 has no endpoint 10.0.0.10: the default route of VRF 5 is taken.
      await expectForwarded(d, 'host9', { src: '10.5.0.1', dst: '10.0.0.10' }, 'uplink1', '02:dd:00:00:05:05');
      await write(d.hal, [del({ route: { vrf: 5, prefix: '0.0.0.0/0' } })]);
      await expectDropped(d, 'host9', { src: '10.5.0.1', dst: '8.8.8.8' }, 'no-route');
    });
  });

  describe('ECMP', () => {
    const members = ['host2', 'host3', 'host4', 'host5'];
    async function ecmp(weights: number[]) {
      await write(d.hal, [
        ...members.map((p, i) => ins(fixedNh(`m${i}`, p, `02:dd:00:00:0e:0${i}`))),
        ins({ ecmpGroup: { id: 'g', members: weights.map((w, i) => ({ nexthopId: `m${i}`, weight: w })) } }),
        ins({ route: { prefix: '203.0.113.0/24', ecmpGroupId: 'g' } }),
      ]);
    }
    const flow = (i: number): Flow => ({ src: `198.51.${(i >> 8) & 255}.${i & 255}`, dst: '203.0.113.5', sport: 10000 + i, dport: 443, proto: 'tcp' });
    async function spread(n: number): Promise<string[]> {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push((await egressOf(d, 'uplink0', flow(i)))!);
      return out;
    }
    const tally = (xs: string[]) => xs.reduce<Record<string, number>>((m, x) => ({ ...m, [x]: (m[x] ?? 0) + 1 }), {});

    it('equal weights spread many flows over every member roughly evenly', async () => {
      await ecmp([1, 1, 1, 1]);
      const t = tally(await spread(2000));
      expect(Object.keys(t).sort()).to.deep.equal(members);
      for (const p of members) expect(t[p], p).to.be.within(400, 600);
    });

    it('weights 1:3 give about a quarter and three quarters', async () => {
      await ecmp([1, 3]);
      const t = tally(await spread(2000));
      expect(Object.keys(t).sort()).to.deep.equal(['host2', 'host3']);
      expect(t.host2 / 2000).to.be.within(0.19, 0.31);
    });

    it('a flow always takes the same member, and the frame is rewritten for that member', async () => {
      await ecmp([1, 1, 1, 1]);
      for (let i = 0; i < 20; i++) {
        const first = await egressOf(d, 'uplink0', flow(i));
        for (let k = 0; k < 5; k++) expect(await egressOf(d, 'uplink0', flow(i))).to.equal(first);
        const m = members.indexOf(first!);
        await expectForwarded(d, 'uplink0', flow(i), first!, `02:dd:00:00:0e:0${m}`);
      }
    });

    it('removing one member moves only that member\'s flows', async () => {
      await ecmp([1, 1, 1, 1]);
      const before = await spread(1000);
      await write(d.hal, [mod({ ecmpGroup: { id: 'g', members: [0, 1, 3].map((i) => ({ nexthopId: `m${i}`, weight: 1 })) } })]);
      const after = await spread(1000);
      let moved = 0;
      for (let i = 0; i < before.length; i++) {
        if (before[i] !== 'host4') expect(after[i], `flow ${i}`).to.equal(before[i]);
        else {
          expect(after[i]).to.not.equal('host4');
          moved++;
        }
      }
      expect(moved).to.be.within(150, 350);
      // Adding it back restores the original assignment exactly.
      await write(d.hal, [mod({ ecmpGroup: { id: 'g', members: [0, 1, 2, 3].map((i) => ({ nexthopId: `m${i}`, weight: 1 })) } })]);
      expect(await spread(1000)).to.deep.equal(before);
    });

    it('an empty group drops ecmp-empty', async () => {
      await ecmp([1]);
      await write(d.hal, [mod({ ecmpGroup: { id: 'g', members: [] } })]);
      await expectDropped(d, 'uplink0', flow(1), 'ecmp-empty');
    });
  });

  describe('ACL', () => {
    // Every packet is a new connection (a fresh source port): conntrack would
    // otherwise admit a repeated flow without asking the ACLs again.
    let nextSport = 41000;
    const fresh = (): Flow => ({ src: OUTSIDE, dst: '10.0.0.10', proto: 'tcp', sport: nextSport++, dport: 80 });
    const fwdA = (f: Flow = fresh()) => expectForwarded(d, 'uplink0', f, 'host0', MAC.epA);

    it('no ACL and no isolation: allowed by default', async () => {
      await fwdA();
      await expectForwarded(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8' }, 'uplink0', MAC.router0);
    });

    it('deny drops acl-deny, reject answers with a TCP RST from the port, allow forwards; trace names the policy', async () => {
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', priority: 10, action: 'ACL_DENY', policyRef: 'ns/deny' }))]);
      const r = await expectDropped(d, 'uplink0', fresh(), 'acl-deny');
      expect(r.trace!.at(-1)).to.include({ stage: 'policy', table: 'acl', ref: 'ns/deny' });
      await write(d.hal, [mod(acl({ stage: 'ACL_INGRESS', priority: 10, action: 'ACL_REJECT', policyRef: 'ns/deny' }))]);
      const f = fresh();
      const rej = await send(d, 'uplink0', f);
      expect(rej.disposition).to.equal('REJECTED');
      expect(rej.dropReason).to.equal('acl-reject');
      expect(rej.emitted).to.have.length(1);
      const rst = rej.emitted![0];
      expect(rst.portId).to.equal('uplink0');
      // From the port's MAC back to the sender; addresses and ports swapped; RST+ACK
      // acknowledging the segment (RFC 9293 §3.10.7.1: seq 0, ack = SEG.SEQ + SEG.LEN,
      // where the SYN counts one and the payload "xpuhal" six: 0 + 1 + 6).
      const want = buildFrame({
        eth: { src: portMac(d, 'uplink0'), dst: MAC.client },
        ipv4: { src: f.dst, dst: f.src, ttl: 64 },
        tcp: { sport: f.dport!, dport: f.sport!, seq: 0, ack: 7, flags: 'RA', window: 0 },
      });
      const got = rst.frame!;
      expect(verifyChecksums(got)).to.deep.equal([]);
      expect(hex(got.subarray(0, 14))).to.equal(hex(want.subarray(0, 14)));
      expect([got[14 + 9], hex(got.subarray(14 + 12, 14 + 20))]).to.deep.equal([6, hex(want.subarray(14 + 12, 14 + 20))]);
      expect(hex(got.subarray(34, 34 + 14))).to.equal(hex(want.subarray(34, 34 + 14)));
      await write(d.hal, [mod(acl({ stage: 'ACL_INGRESS', priority: 10, action: 'ACL_ALLOW' }))]);
      await fwdA();
    });

    it('the higher priority wins, whichever action it has', async () => {
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', priority: 100, action: 'ACL_DENY' })), ins(acl({ stage: 'ACL_INGRESS', priority: 200, action: 'ACL_ALLOW' }))]);
      await fwdA();
      await write(d.hal, [mod(acl({ stage: 'ACL_INGRESS', priority: 100, action: 'ACL_ALLOW' })), mod(acl({ stage: 'ACL_INGRESS', priority: 200, action: 'ACL_DENY' }))]);
      await expectDropped(d, 'uplink0', fresh(), 'acl-deny');
    });

    it('an endpoint-specific rule applies to that endpoint only; an any-endpoint rule to all', async () => {
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', endpointId: 'ep-b', priority: 10, action: 'ACL_DENY' }))]);
      await fwdA();
      await expectDropped(d, 'uplink0', { ...fresh(), dst: '10.0.0.11' }, 'acl-deny');
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', priority: 5, action: 'ACL_DENY' }))]);
      await expectDropped(d, 'uplink0', fresh(), 'acl-deny');
      // A higher-priority allow for ep-a only.
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', endpointId: 'ep-a', priority: 50 }))]);
      await fwdA();
      await expectDropped(d, 'uplink0', { ...fresh(), dst: '10.0.0.11' }, 'acl-deny');
    });

    it('an endpoint rule covers every address of the endpoint (dual stack)', async () => {
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', endpointId: 'ep-a', priority: 10, action: 'ACL_DENY' }))]);
      await expectDropped(d, 'uplink0', fresh(), 'acl-deny');
      await expectDropped(d, 'uplink0', { src: '2001:db8:ff::1', dst: '2001:db8:a::10' }, 'acl-deny');
    });

    it('destination port ranges are inclusive at both ends', async () => {
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', protocol: 6, dstPorts: { lo: 80, hi: 90 }, priority: 10, action: 'ACL_DENY' }))]);
      await fwdA({ ...fresh(), dport: 79 });
      await expectDropped(d, 'uplink0', { ...fresh(), dport: 80 }, 'acl-deny');
      await expectDropped(d, 'uplink0', { ...fresh(), dport: 90 }, 'acl-deny');
      await fwdA({ ...fresh(), dport: 91 });
    });

    it('source port ranges match the source port', async () => {
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', protocol: 17, srcPorts: { lo: 53, hi: 53 }, priority: 10, action: 'ACL_DENY' }))]);
      await expectDropped(d, 'uplink0', { src: OUTSIDE, dst: '10.0.0.10', sport: 53, dport: 1000 }, 'acl-deny');
      await fwdA({ src: OUTSIDE, dst: '10.0.0.10', sport: 54, dport: 53 });
    });

    it('protocol: a UDP rule does not match TCP', async () => {
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', protocol: 17, priority: 10, action: 'ACL_DENY' }))]);
      await fwdA();
      await expectDropped(d, 'uplink0', { ...fresh(), proto: 'udp' }, 'acl-deny');
    });

    it('ICMP type (and code) match', async () => {
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', protocol: 1, icmpType: 8, icmpCode: 0, priority: 10, action: 'ACL_DENY' }))]);
      await expectDropped(d, 'uplink0', { src: OUTSIDE, dst: '10.0.0.10', proto: 'icmp', icmpType: 8 }, 'acl-deny');
      await fwdA({ src: OUTSIDE, dst: '10.0.0.10', proto: 'icmp', icmpType: 8, icmpCode: 1 });
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', protocol: 58, icmpType: 128, icmpCode: 4, priority: 11, action: 'ACL_DENY' }))]);
      await expectDropped(d, 'uplink0', { src: '2001:db8:ff::1', dst: '2001:db8:a::10', proto: 'icmpv6', icmpType: 128, icmpCode: 4 }, 'acl-deny');
      await fwdA({ src: '2001:db8:ff::2', dst: '2001:db8:a::10', proto: 'icmpv6', icmpType: 128, icmpCode: 3 });
    });

    it('source and destination prefixes', async () => {
      await write(d.hal, [
        ins(acl({ stage: 'ACL_INGRESS', srcPrefix: '198.51.100.0/24', priority: 10, action: 'ACL_DENY' })),
        ins(acl({ stage: 'ACL_INGRESS', dstPrefix: '10.0.0.11/32', priority: 11, action: 'ACL_DENY' })),
      ]);
      await expectDropped(d, 'uplink0', fresh(), 'acl-deny');
      await fwdA({ ...fresh(), src: '198.51.101.7' });
      await expectDropped(d, 'uplink0', { ...fresh(), src: '198.51.101.7', dst: '10.0.0.11' }, 'acl-deny');
      // An IPv4 prefix never matches IPv6 traffic.
      await fwdA({ src: '2001:db8:ff::1', dst: '2001:db8:a::10' });
    });

    it('isolated for ingress: default deny inbound only; an ingress allow opens one flow', async () => {
      await write(d.hal, [mod({ endpoint: { ip: '10.0.0.10', portId: 'host0', mac: MAC.epA, endpointId: 'ep-a', isolatedIngress: true } })]);
      const r = await expectDropped(d, 'uplink0', fresh(), 'default-deny-ingress');
      expect(r.trace!.at(-1)).to.include({ stage: 'policy', table: 'endpoint', ref: 'ep-a' });
      await expectForwarded(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8' }, 'uplink0', MAC.router0);
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', endpointId: 'ep-a', protocol: 6, dstPorts: { lo: 80, hi: 80 }, priority: 10 }))]);
      await fwdA();
      await expectDropped(d, 'uplink0', { ...fresh(), dport: 81 }, 'default-deny-ingress');
      // An egress rule does not open ingress.
      await write(d.hal, [ins(acl({ stage: 'ACL_EGRESS', priority: 10 }))]);
      await expectDropped(d, 'uplink0', { ...fresh(), dport: 81 }, 'default-deny-ingress');
    });

    it('isolated for egress: default deny outbound only; an egress allow opens it', async () => {
      await write(d.hal, [mod({ endpoint: { ip: '10.0.0.10', portId: 'host0', mac: MAC.epA, endpointId: 'ep-a', isolatedEgress: true } })]);
      await expectDropped(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8' }, 'default-deny-egress');
      await fwdA();
      await write(d.hal, [ins(acl({ stage: 'ACL_EGRESS', endpointId: 'ep-a', dstPrefix: '8.8.8.0/24', priority: 10 }))]);
      await expectForwarded(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8' }, 'uplink0', MAC.router0);
      await expectDropped(d, 'host0', { src: '10.0.0.10', dst: '9.9.9.9' }, 'default-deny-egress');
    });

    it('host to host: the source\'s egress and the destination\'s ingress both judge', async () => {
      const ab: Flow = { src: '10.0.0.10', dst: '10.0.0.11', proto: 'tcp', dport: 5432 };
      await write(d.hal, [ins(acl({ stage: 'ACL_EGRESS', endpointId: 'ep-a', priority: 10, action: 'ACL_DENY' }))]);
      await expectDropped(d, 'host0', ab, 'acl-deny');
      // The egress rule of ep-a does not apply to ep-b sending.
      await expectForwarded(d, 'host1', { src: '10.0.0.11', dst: '10.0.0.10' }, 'host0', MAC.epA);
      await write(d.hal, [mod(acl({ stage: 'ACL_EGRESS', endpointId: 'ep-a', priority: 10 })), ins(acl({ stage: 'ACL_INGRESS', endpointId: 'ep-b', priority: 10, action: 'ACL_DENY' }))]);
      await expectDropped(d, 'host0', ab, 'acl-deny');
      await write(d.hal, [del(acl({ stage: 'ACL_INGRESS', endpointId: 'ep-b', priority: 10 }))]);
      await expectForwarded(d, 'host0', ab, 'host1', MAC.epB);
    });

    it('an egress-stage rule does not judge inbound traffic and an ingress rule does not judge outbound', async () => {
      await write(d.hal, [ins(acl({ stage: 'ACL_EGRESS', priority: 10, action: 'ACL_DENY' }))]);
      await fwdA();
      await write(d.hal, [del(acl({ stage: 'ACL_EGRESS', priority: 10 })), ins(acl({ stage: 'ACL_INGRESS', priority: 10, action: 'ACL_DENY' }))]);
      await expectForwarded(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8' }, 'uplink0', MAC.router0);
    });

    it('traffic between two non-endpoint addresses is not judged by ACLs', async () => {
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', priority: 10, action: 'ACL_DENY' })), ins(acl({ stage: 'ACL_EGRESS', priority: 10, action: 'ACL_DENY' }))]);
      await expectForwarded(d, 'uplink1', { src: OUTSIDE, dst: '8.8.8.8' }, 'uplink0', MAC.router0);
    });
  });

  describe('TTL, ports and L2', () => {
    it('TTL 1 drops ttl-exceeded; TTL 2 leaves with TTL 1', async () => {
      await expectDropped(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8', ttl: 1 }, 'ttl-exceeded');
      await expectDropped(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8', ttl: 0 }, 'ttl-exceeded');
      await expectForwarded(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8', ttl: 2 }, 'uplink0', MAC.router0);
    });

    it('hop limit 1 drops ttl-exceeded for IPv6 too, also toward a local endpoint', async () => {
      await expectDropped(d, 'host0', { src: '2001:db8:a::10', dst: '2001:4860::1', ttl: 1 }, 'ttl-exceeded');
      await expectDropped(d, 'uplink0', { src: OUTSIDE, dst: '10.0.0.10', ttl: 1 }, 'ttl-exceeded');
    });

    it('an administratively down ingress port drops port-down; egress down drops egress-port-down', async () => {
      await write(d.hal, [mod({ port: { id: 'host0', adminUp: false } })]);
      await expectDropped(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8' }, 'port-down');
      await expectDropped(d, 'uplink0', { src: OUTSIDE, dst: '10.0.0.10' }, 'egress-port-down');
      await write(d.hal, [mod({ port: { id: 'host0', adminUp: true } })]);
      await expectForwarded(d, 'uplink0', { src: OUTSIDE, dst: '10.0.0.10' }, 'host0', MAC.epA);
      const ports = (await d.hal.listPorts()).ports!;
      expect(ports.find((p) => p.id === 'host0')!.rxDropped).to.deep.equal({ packets: 1, bytes: frameIn(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8' }).length });
    });

    it('a frame not addressed to the ingress port MAC drops l2-not-for-device (even another port\'s MAC)', async () => {
      const f: Flow = { src: '10.0.0.10', dst: '8.8.8.8' };
      for (const dst of ['02:00:00:00:99:99', portMac(d, 'host1')]) {
        const frame = buildFrame({ eth: { src: MAC.epA, dst }, ipv4: { src: f.src, dst: f.dst, ttl: 64 }, udp: { sport: 1, dport: 2 } });
        const r = await d.hal.inject({ portId: 'host0', frame });
        expect([r.disposition, r.dropReason]).to.deep.equal(['DROPPED', 'l2-not-for-device']);
      }
      expect((await d.hal.getCounters()).drops).to.deep.equal({ 'l2-not-for-device': 2 });
    });
  });

  describe('malformed frames', () => {
    it('a bad IPv4 header checksum is dropped and counted as malformed:bad-ipv4-checksum', async () => {
      const frame = frameIn(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8' });
      frame[14 + 10] ^= 0xff;
      const r = await d.hal.inject({ portId: 'host0', frame });
      expect([r.disposition, r.dropReason, r.emitted]).to.deep.equal(['DROPPED', 'malformed:bad-ipv4-checksum', []]);
      expect((await d.hal.getCounters()).drops).to.deep.equal({ 'malformed:bad-ipv4-checksum': 1 });
    });

    it('truncated frames never throw and are counted per reason', async () => {
      const good = frameIn(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8', proto: 'tcp' });
      const cases: [Uint8Array, string][] = [
        [good.slice(0, 10), 'malformed:truncated-ethernet'],
        [good.slice(0, 14 + 12), 'malformed:truncated-ipv4'],
        [good.slice(0, 14 + 20 + 8), 'malformed:bad-ipv4-total-length'],
      ];
      for (const [frame, reason] of cases) {
        const r = await d.hal.inject({ portId: 'host0', frame });
        expect([r.disposition, r.dropReason], reason).to.deep.equal(['DROPPED', reason]);
      }
      expect((await d.hal.getCounters()).drops).to.deep.equal({
        'malformed:truncated-ethernet': 1,
        'malformed:truncated-ipv4': 1,
        'malformed:bad-ipv4-total-length': 1,
      });
    });

    it('an empty frame is no frame (hal-spec §14.1): INVALID_ARGUMENT/FIELD_MISSING at frame, nothing counted, in process and over the wire alike', async () => {
      const before = await d.hal.getCounters();
      const err = await d.hal.inject({ portId: 'host0', frame: new Uint8Array(0) }).then(() => null, (e: unknown) => e);
      expect(err).to.be.instanceOf(HalError);
      expect([(err as HalError).code, (err as HalError).reason, (err as HalError).fieldPath]).to.deep.equal(['INVALID_ARGUMENT', 'FIELD_MISSING', 'frame']);
      expect(await d.hal.getCounters()).to.deep.equal(before);
    });

    it('a bad TCP checksum and a bad UDP checksum are malformed too', async () => {
      const tcp = frameIn(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8', proto: 'tcp' });
      tcp[14 + 20 + 16] ^= 0x01;
      const udp = frameIn(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8' });
      udp[14 + 20 + 6] ^= 0x01;
      expect((await d.hal.inject({ portId: 'host0', frame: tcp })).dropReason).to.equal('malformed:bad-tcp-checksum');
      expect((await d.hal.inject({ portId: 'host0', frame: udp })).dropReason).to.equal('malformed:bad-udp-checksum');
    });

    it('a seeded storm of random mutations never throws and every packet is accounted for', async () => {
      let seed = 12345;
      const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
      const base = frameIn(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8', proto: 'tcp' });
      let forwarded = 0;
      let dropped = 0;
      for (let i = 0; i < 500; i++) {
        const f = base.slice(0, Math.max(0, base.length - Math.floor(rnd() * 8)));
        for (let k = 0; k < 3; k++) f[Math.floor(rnd() * f.length)] ^= 1 << Math.floor(rnd() * 8);
        const r = await d.hal.inject({ portId: 'host0', frame: f });
        if (r.disposition === 'FORWARDED') forwarded++;
        else dropped++;
      }
      const c = await d.hal.getCounters();
      expect(Object.values(c.drops!).reduce((a, b) => a + b, 0)).to.equal(dropped);
      expect(c.emitted!.packets).to.equal(forwarded);
      expect(c.injected!.packets).to.equal(500);
    });
  });

  describe('capture', () => {
    async function emitTo(port: 'host0' | 'host1', n: number) {
      for (let i = 0; i < n; i++) await send(d, 'uplink0', { src: OUTSIDE, dst: port === 'host0' ? '10.0.0.10' : '10.0.0.11', sport: 1000 + i });
    }

    it('returns emitted packets in order and hands them over once', async () => {
      await emitTo('host0', 2);
      await emitTo('host1', 1);
      const c = await d.hal.capture({});
      expect(c.packets!.map((p) => p.portId)).to.deep.equal(['host0', 'host0', 'host1']);
      expect(hex(c.packets![0].frame!)).to.equal(hex(buildFrame({ eth: { src: portMac(d, 'host0'), dst: MAC.epA }, ipv4: { src: OUTSIDE, dst: '10.0.0.10', ttl: 63, id: 0x1234 }, udp: { sport: 1000, dport: 53 }, payload: 'xpuhal' })));
      expect((await d.hal.capture({})).packets).to.deep.equal([]);
    });

    it('a port filter takes only those ports and leaves the rest', async () => {
      await emitTo('host0', 2);
      await emitTo('host1', 2);
      expect((await d.hal.capture({ portIds: ['host1'] })).packets!.map((p) => p.portId)).to.deep.equal(['host1', 'host1']);
      expect((await d.hal.capture({})).packets!.map((p) => p.portId)).to.deep.equal(['host0', 'host0']);
    });

    it('maxPackets takes the oldest N and leaves the rest', async () => {
      await emitTo('host0', 5);
      const first = await d.hal.capture({ maxPackets: 2 });
      expect(first.packets!.map((p) => hex(p.frame!))).to.have.length(2);
      const rest = await d.hal.capture({});
      expect(rest.packets).to.have.length(3);
      // Order preserved: source ports 1000, 1001 then 1002..1004.
      const sport = (b: Uint8Array) => (b[14 + 20] << 8) | b[14 + 21];
      expect([...first.packets!, ...rest.packets!].map((p) => sport(p.frame!))).to.deep.equal([1000, 1001, 1002, 1003, 1004]);
    });

    it('peek leaves the packets for a later capture', async () => {
      await emitTo('host0', 2);
      const a = await d.hal.capture({ peek: true });
      const b = await d.hal.capture({ peek: true, maxPackets: 1 });
      const c = await d.hal.capture({});
      expect(a.packets).to.have.length(2);
      expect(b.packets).to.deep.equal(a.packets!.slice(0, 1));
      expect(c.packets).to.deep.equal(a.packets);
    });

    it('an unknown port in the filter is NOT_FOUND at portIds[i]', async () => {
      const err = await rejection(d.hal.capture({ portIds: ['host0', 'nope'] }));
      expect([err.code, err.reason, err.fieldPath]).to.deep.equal(['NOT_FOUND', 'ENTRY_NOT_FOUND', 'portIds[1]']);
    });

    it('beyond the buffer the oldest packets are discarded and counted as capture-overflow', async () => {
      // 2 ports × 4096 per port = 8192 packets kept.
      const small = await newDevice({ hostPorts: 0 });
      await write(small.hal, [ins(fixedNh('nh-u1', 'uplink1', '02:dd:00:00:00:01')), ins({ route: { prefix: '60.0.0.0/8', nexthopId: 'nh-u1' } })]);
      const frames = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => frameIn(small, 'uplink0', { src: OUTSIDE, dst: '60.0.0.1', sport: 1000 + i }));
      for (let i = 0; i < 8200; i++) await small.hal.inject({ portId: 'uplink0', frame: frames[i % 10] });
      const c = await small.hal.getCounters();
      expect(c.drops).to.deep.equal({ 'capture-overflow': 8 });
      expect(c.emitted!.packets).to.equal(8200);
      const got = (await small.hal.capture({})).packets!;
      expect(got).to.have.length(8192);
      // The oldest 8 went: the first kept is packet 8 (source port 1008).
      expect((got[0].frame![14 + 20] << 8) | got[0].frame![14 + 21]).to.equal(1008);
    });

    it('dropped packets are not captured', async () => {
      await expectDropped(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8', ttl: 1 }, 'ttl-exceeded');
      expect((await d.hal.capture({})).packets).to.deep.equal([]);
    });
  });

  describe('counters', () => {
    it('per-entry counters on ACL and route entries count packets and frame bytes', async () => {
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', protocol: 6, priority: 10, policyRef: 'ns/web' })), ins(acl({ stage: 'ACL_INGRESS', protocol: 17, priority: 10 }))]);
      // Three new TCP connections (each is judged by the ACLs) and one UDP flow of two packets.
      const tcps = [0, 1, 2].map((i) => frameIn(d, 'uplink0', { src: OUTSIDE, dst: '10.0.0.10', proto: 'tcp', sport: 40000 + i }));
      const tcp = tcps[0];
      const udp = frameIn(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8' });
      for (const t of tcps) await d.hal.inject({ portId: 'uplink0', frame: t });
      for (let i = 0; i < 2; i++) await d.hal.inject({ portId: 'host0', frame: udp });
      const recs = await d.hal.read({ tables: ['acl', 'route', 'endpoint'], includeCounters: true });
      const counters = (pred: (e: Entry) => boolean) => recs.find((r) => pred(r.entry!))!.counters;
      expect(counters((e) => e.acl?.protocol === 6)).to.deep.equal({ packets: 3, bytes: 3 * tcp.length });
      expect(counters((e) => e.acl?.protocol === 17)).to.deep.equal({ packets: 0, bytes: 0 });
      expect(counters((e) => e.route?.prefix === '0.0.0.0/0')).to.deep.equal({ packets: 2, bytes: 2 * udp.length });
      expect(counters((e) => e.route?.prefix === '::/0')).to.deep.equal({ packets: 0, bytes: 0 });
      expect(counters((e) => e.endpoint?.ip === '10.0.0.10')).to.deep.equal({ packets: 3, bytes: 3 * tcp.length });
      // Without includeCounters none are returned.
      expect((await d.hal.read({ tables: ['acl'] })).every((r) => r.counters === undefined)).to.equal(true);
    });

    it('a denying ACL counts the packets it dropped; a dropping route counts too', async () => {
      await write(d.hal, [ins(acl({ stage: 'ACL_INGRESS', priority: 10, action: 'ACL_DENY' })), ins({ route: { prefix: '40.0.0.0/8', drop: {} } })]);
      await send(d, 'uplink0', { src: OUTSIDE, dst: '10.0.0.10' });
      await send(d, 'uplink0', { src: OUTSIDE, dst: '40.0.0.1' });
      const recs = await d.hal.read({ tables: ['acl', 'route'], includeCounters: true });
      expect(recs.find((r) => r.entry!.acl)!.counters!.packets).to.equal(1);
      expect(recs.find((r) => r.entry!.route?.prefix === '40.0.0.0/8')!.counters!.packets).to.equal(1);
    });

    it('a rolled-back MODIFY keeps the entry\'s counters; counters are not part of the digest', async () => {
      await send(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8' });
      const digest = (await d.hal.getState()).digest;
      await d.hal.write({ atomicity: 'ROLLBACK_ON_ERROR', updates: [mod({ route: { prefix: '0.0.0.0/0', nexthopId: 'nh-up1' } }), del({ neighbor: { ip: '1.1.1.1' } })] }).catch(() => undefined);
      const rec = (await d.hal.read({ tables: ['route'], includeCounters: true })).find((r) => r.entry!.route!.prefix === '0.0.0.0/0')!;
      expect(rec.counters!.packets).to.equal(1);
      expect((await d.hal.getState()).digest).to.equal(digest);
    });

    it('device counters: injected, emitted, port rx/tx and table lookups', async () => {
      const f = frameIn(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8' });
      await d.hal.inject({ portId: 'host0', frame: f });
      await d.hal.inject({ portId: 'host0', frame: frameIn(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8', ttl: 1 }) });
      const c = await d.hal.getCounters();
      expect(c.injected).to.deep.equal({ packets: 2, bytes: 2 * f.length });
      expect(c.emitted).to.deep.equal({ packets: 1, bytes: f.length });
      expect(c.drops).to.deep.equal({ 'ttl-exceeded': 1 });
      const ports = (await d.hal.listPorts()).ports!;
      expect(ports.find((p) => p.id === 'host0')!.rx).to.deep.equal({ packets: 2, bytes: 2 * f.length });
      expect(ports.find((p) => p.id === 'uplink0')!.tx).to.deep.equal({ packets: 1, bytes: f.length });
      expect(c.tables!.find((t) => t.table === 'route')).to.deep.equal({ table: 'route', lookups: 2, hits: 2 });
    });
  });

  describe('inject errors', () => {
    it('an unknown port is NOT_FOUND at portId; a missing one FIELD_MISSING', async () => {
      const frame = frameIn(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8' });
      const err = await rejection(d.hal.inject({ portId: 'host42', frame }));
      expect([err.code, err.reason, err.fieldPath]).to.deep.equal(['NOT_FOUND', 'ENTRY_NOT_FOUND', 'portId']);
      const err2 = await rejection(d.hal.inject({ frame }));
      expect([err2.code, err2.reason, err2.fieldPath]).to.deep.equal(['INVALID_ARGUMENT', 'FIELD_MISSING', 'portId']);
      const err3 = await rejection(d.hal.inject({ portId: 'host0' }));
      expect([err3.code, err3.reason, err3.fieldPath]).to.deep.equal(['INVALID_ARGUMENT', 'FIELD_MISSING', 'frame']);
      expect((await d.hal.getCounters()).injected!.packets).to.equal(0);
    });

    it('time going backwards is INVALID_ARGUMENT at timeNs; equal or later times are fine; 0 means now', async () => {
      const frame = frameIn(d, 'uplink0', { src: OUTSIDE, dst: '10.0.0.10' });
      const r1 = await d.hal.inject({ portId: 'uplink0', frame, timeNs: 5000 });
      expect(r1.emitted![0].timeNs).to.equal(5000);
      await d.hal.inject({ portId: 'uplink0', frame, timeNs: 5000 });
      const err = await rejection(d.hal.inject({ portId: 'uplink0', frame, timeNs: 4999 }));
      expect([err.code, err.reason, err.fieldPath]).to.deep.equal(['INVALID_ARGUMENT', 'FIELD_INVALID', 'timeNs']);
      const r0 = await d.hal.inject({ portId: 'uplink0', frame });
      expect(r0.emitted![0].timeNs).to.equal(5000);
      expect((await d.hal.now()).nowNs).to.equal(5000);
      await d.hal.advance(100);
      expect((await d.hal.inject({ portId: 'uplink0', frame })).emitted![0].timeNs).to.equal(5100);
      expect((await d.hal.getCounters()).injected!.packets).to.equal(4);
    });

    it('the injected frame buffer is not modified', async () => {
      const frame = frameIn(d, 'host0', { src: '10.0.0.10', dst: '8.8.8.8' });
      const copy = frame.slice();
      await d.hal.inject({ portId: 'host0', frame });
      expect(hex(frame)).to.equal(hex(copy));
    });
  });
});
