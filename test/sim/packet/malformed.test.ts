import { expect } from 'chai';
import {
  MALFORMED_REASONS, DropCounters, buildFrame, buildVxlan, internetChecksum, parsePacket, wr16,
  type MalformedReason,
} from '../../../src/sim/packet/index.js';
import { SCTP_DATA_CHUNK, fromHex, innerTcp } from './helpers.js';

const V4 = { src: '10.0.0.1', dst: '10.0.0.2' };
const V6 = { src: '2001:db8::1', dst: '2001:db8::2' };
const L3 = 14; // IP header offset in untagged frames
const L4 = 34; // L4 offset after a 20-byte IPv4 header
const L4V6 = 54;

/** Recompute the IPv4 header checksum so a later layer's defect is the one reported. */
function fixIp(f: Uint8Array, o = L3): Uint8Array {
  wr16(f, o + 10, 0);
  wr16(f, o + 10, internetChecksum(f, o, o + (f[o] & 15) * 4));
  return f;
}

/** Shrink the IPv4 total length to `l4Bytes` of L4 and drop the rest of the frame. */
function cutV4(f: Uint8Array, l4Bytes: number): Uint8Array {
  const g = f.slice(0, L4 + l4Bytes);
  wr16(g, L3 + 2, 20 + l4Bytes);
  return fixIp(g);
}

function cutV6(f: Uint8Array, l4Bytes: number): Uint8Array {
  const g = f.slice(0, L4V6 + l4Bytes);
  wr16(g, L3 + 4, l4Bytes);
  return g;
}

function mut(f: Uint8Array, edits: Record<number, number>): Uint8Array {
  const g = f.slice();
  for (const [k, v] of Object.entries(edits)) g[Number(k)] = v;
  return g;
}

const tcp4 = () => buildFrame({ ipv4: V4, tcp: { sport: 1, dport: 2 }, payload: 'abcdef' });
const udp4 = () => buildFrame({ ipv4: V4, udp: { sport: 1, dport: 2 }, payload: 'abcdef' });
const udp6 = () => buildFrame({ ipv6: V6, udp: { sport: 1, dport: 2 }, payload: 'abcdef' });
const icmp4 = () => buildFrame({ ipv4: V4, icmp: { type: 8, id: 1, seq: 1 }, payload: 'abc' });
const icmp6 = () => buildFrame({ ipv6: V6, icmpv6: { type: 128, id: 1, seq: 1 }, payload: 'abc' });
const sctp4 = () => buildFrame({ ipv4: V4, sctp: { sport: 1, dport: 2, tag: 3 }, payload: SCTP_DATA_CHUNK });
const arp = () => buildFrame({ arp: { op: 'request', senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.2' } });
const udpTo = (dport: number, payload: Uint8Array) => buildFrame({ ipv4: V4, udp: { sport: 1, dport }, payload });
const geneveHdr = (b0: number, opts = ''): Uint8Array => fromHex(`${b0.toString(16).padStart(2, '0')}00 6558 000001 00 ${opts}`);
const dstOpts = { type: 'destination' as const };

const CASES: { reason: MalformedReason; name: string; frame: () => Uint8Array }[] = [
  { reason: 'truncated-ethernet', name: 'empty frame', frame: () => new Uint8Array(0) },
  { reason: 'truncated-ethernet', name: '13 bytes', frame: () => tcp4().slice(0, 13) },
  { reason: 'truncated-vlan', name: 'tag without inner EtherType', frame: () => buildFrame({ eth: { vlan: 5 }, ipv4: V4 }).slice(0, 16) },
  { reason: 'too-many-vlans', name: 'three tags', frame: () => { const f = buildFrame({ eth: { vlan: [1, 2] }, payload: new Uint8Array(8) }); f.set([0x81, 0x00, 0, 3, 0x08, 0x00], 20); return f; } },
  { reason: 'truncated-arp', name: 'ARP cut to 20 bytes', frame: () => arp().slice(0, 34) },
  { reason: 'truncated-arp', name: 'ARP cut to 6 bytes', frame: () => arp().slice(0, 20) },
  { reason: 'bad-arp', name: 'hardware type 6', frame: () => mut(arp(), { 15: 6 }) },
  { reason: 'bad-arp', name: 'op 3', frame: () => mut(arp(), { 21: 3 }) },
  { reason: 'truncated-ipv4', name: '19-byte header', frame: () => tcp4().slice(0, L3 + 19) },
  { reason: 'truncated-ipv4', name: 'IHL beyond frame', frame: () => mut(tcp4().slice(0, L3 + 30), { [L3]: 0x4f }) },
  { reason: 'bad-ipv4-version', name: 'version 5', frame: () => mut(tcp4(), { [L3]: 0x55 }) },
  { reason: 'bad-ipv4-ihl', name: 'IHL 4', frame: () => mut(tcp4(), { [L3]: 0x44 }) },
  { reason: 'bad-ipv4-total-length', name: 'total length > frame', frame: () => mut(tcp4(), { [L3 + 2]: 0x10 }) },
  { reason: 'bad-ipv4-total-length', name: 'total length < IHL', frame: () => mut(tcp4(), { [L3 + 2]: 0, [L3 + 3]: 12 }) },
  { reason: 'bad-ipv4-checksum', name: 'flipped checksum bit', frame: () => { const f = tcp4(); f[L3 + 11] ^= 1; return f; } },
  { reason: 'truncated-ipv6', name: '39-byte header', frame: () => udp6().slice(0, L3 + 39) },
  { reason: 'bad-ipv6-version', name: 'version 4 in IPv6 EtherType', frame: () => mut(udp6(), { [L3]: 0x40 }) },
  { reason: 'bad-ipv6-payload-length', name: 'payload length > frame', frame: () => mut(udp6(), { [L3 + 4]: 0x01 }) },
  { reason: 'truncated-ipv6-extension', name: 'hop-by-hop longer than payload', frame: () => mut(buildFrame({ ipv6: { ...V6, extensions: [{ type: 'hop-by-hop' }] }, udp: { sport: 1, dport: 2 } }), { [L4V6 + 1]: 200 }) },
  { reason: 'truncated-ipv6-extension', name: 'extension header announced, no bytes', frame: () => cutV6(mut(udp6(), { [L3 + 6]: 60 }), 4) },
  { reason: 'ipv6-extension-chain', name: 'nine destination headers', frame: () => buildFrame({ ipv6: { ...V6, extensions: new Array(9).fill(dstOpts) } }) },
  { reason: 'ipv6-extension-chain', name: 'hop-by-hop not first', frame: () => buildFrame({ ipv6: { ...V6, extensions: [dstOpts, { type: 'hop-by-hop' }] } }) },
  { reason: 'ipv6-extension-chain', name: 'repeated fragment header', frame: () => buildFrame({ ipv6: { ...V6, extensions: [{ type: 'fragment' }, { type: 'fragment' }] } }) },
  { reason: 'truncated-tcp', name: '10 bytes of TCP', frame: () => cutV4(tcp4(), 10) },
  { reason: 'bad-tcp-data-offset', name: 'data offset 4', frame: () => mut(tcp4(), { [L4 + 12]: 0x40 }) },
  { reason: 'bad-tcp-data-offset', name: 'data offset past segment', frame: () => mut(tcp4(), { [L4 + 12]: 0xf0 }) },
  { reason: 'bad-tcp-checksum', name: 'payload bit flip', frame: () => { const f = tcp4(); f[f.length - 1] ^= 0x10; return f; } },
  { reason: 'truncated-udp', name: '7 bytes of UDP', frame: () => cutV4(udp4(), 7) },
  { reason: 'bad-udp-length', name: 'UDP length 7', frame: () => mut(udp4(), { [L4 + 5]: 7 }) },
  { reason: 'bad-udp-length', name: 'UDP length > IP payload', frame: () => mut(udp4(), { [L4 + 5]: 15 }) },
  { reason: 'bad-udp-checksum', name: 'payload bit flip', frame: () => { const f = udp4(); f[f.length - 1] ^= 1; return f; } },
  { reason: 'bad-udp-checksum', name: 'zero checksum over IPv6', frame: () => buildFrame({ ipv6: V6, udp: { sport: 1, dport: 2, checksum: false }, payload: 'x' }) },
  { reason: 'truncated-icmp', name: '4 bytes of ICMP', frame: () => cutV4(icmp4(), 4) },
  { reason: 'bad-icmp-checksum', name: 'type changed', frame: () => mut(icmp4(), { [L4]: 0 }) },
  { reason: 'truncated-icmpv6', name: '4 bytes of ICMPv6', frame: () => cutV6(icmp6(), 4) },
  { reason: 'bad-icmpv6-checksum', name: 'source address changed (pseudo-header)', frame: () => mut(icmp6(), { [L3 + 9]: 0xdc }) },
  { reason: 'truncated-sctp', name: '11 bytes of SCTP', frame: () => cutV4(sctp4(), 11) },
  { reason: 'bad-sctp-checksum', name: 'verification tag changed', frame: () => mut(sctp4(), { [L4 + 7]: 4 }) },
  { reason: 'truncated-esp', name: '7 bytes of ESP', frame: () => cutV4(buildFrame({ ipv4: V4, esp: { spi: 1, seq: 1 } }), 7) },
  { reason: 'truncated-vxlan', name: '4-byte VXLAN header', frame: () => udpTo(4789, fromHex('08000000')) },
  { reason: 'bad-vxlan-flags', name: 'I flag clear', frame: () => udpTo(4789, fromHex('00000000 00000100')) },
  { reason: 'truncated-geneve', name: '6-byte Geneve header', frame: () => udpTo(6081, fromHex('000065580000')) },
  { reason: 'truncated-geneve', name: 'options length past datagram', frame: () => udpTo(6081, geneveHdr(0x02)) },
  { reason: 'bad-geneve-version', name: 'version 1', frame: () => udpTo(6081, geneveHdr(0x40)) },
  { reason: 'bad-geneve-options', name: 'option data crosses options end', frame: () => udpTo(6081, geneveHdr(0x01, '0103 01 02')) },
  { reason: 'tunnel-depth', name: 'three nested VXLAN headers', frame: () => buildVxlan({ ipv4: V4 }, 1, buildVxlan({ ipv4: V4 }, 2, buildVxlan({ ipv4: V4 }, 3, innerTcp()))) },
  { reason: 'truncated-ethernet', name: 'VXLAN with a 10-byte inner frame (inner reason propagates)', frame: () => udpTo(4789, fromHex('08000000 00000100 00112233445566778899')) },
  { reason: 'bad-tcp-checksum', name: 'VXLAN inner TCP corrupted', frame: () => { const i = innerTcp(); i[i.length - 1] ^= 1; return buildVxlan({ ipv4: V4 }, 1, i); } },
];

describe('packet/parse malformed reasons', () => {
  for (const c of CASES) {
    it(`${c.reason}: ${c.name}`, () => {
      const r = parsePacket(c.frame());
      expect(r.ok, JSON.stringify(r)).to.equal(false);
      if (!r.ok) {
        expect(r.reason).to.equal(c.reason);
        expect(r.detail).to.be.a('string').and.not.equal('');
      }
    });
  }

  it('every MalformedReason has at least one crafted packet above', () => {
    const covered = new Set(CASES.map((c) => c.reason));
    expect(MALFORMED_REASONS.filter((r) => !covered.has(r))).to.deep.equal([]);
  });

  it('inner failures say they come from inside a tunnel', () => {
    const r = parsePacket(udpTo(4789, fromHex('08000000 00000100 0011')));
    expect(!r.ok && r.detail).to.match(/^inner vxlan:/);
  });

  it('two nested tunnels are within the default depth; maxTunnelDepth tightens it', () => {
    const f = buildVxlan({ ipv4: V4 }, 1, buildVxlan({ ipv4: V4 }, 2, innerTcp()));
    const r = parsePacket(f);
    expect(r.ok).to.equal(true);
    expect(r.ok && r.pkt.tunnel?.inner?.tunnel?.inner?.l4).to.deep.include({ kind: 'tcp', dstPort: 80 });
    const s = parsePacket(f, { maxTunnelDepth: 1 });
    expect(!s.ok && s.reason).to.equal('tunnel-depth');
    const n = parsePacket(f, { maxTunnelDepth: Number.NaN });
    expect(!n.ok && n.reason).to.equal('tunnel-depth');
  });

  it('zero UDP checksum is accepted over IPv4', () => {
    expect(parsePacket(buildFrame({ ipv4: V4, udp: { sport: 1, dport: 2, checksum: false }, payload: 'x' })).ok).to.equal(true);
  });

  it('verifyChecksums: false accepts corrupted checksums but not broken structure', () => {
    const f = tcp4();
    f[f.length - 1] ^= 1;
    f[L3 + 11] ^= 1;
    expect(parsePacket(f, { verifyChecksums: false }).ok).to.equal(true);
    expect(parsePacket(f.slice(0, 20), { verifyChecksums: false }).ok).to.equal(false);
  });

  it('DropCounters counts per reason', () => {
    const d = new DropCounters();
    d.record('bad-tcp-checksum');
    d.record('bad-tcp-checksum');
    d.record('truncated-ethernet');
    expect(d.get('bad-tcp-checksum')).to.equal(2);
    expect(d.get('bad-arp')).to.equal(0);
    expect(d.total()).to.equal(3);
    const j = d.toJSON();
    expect(Object.keys(j)).to.deep.equal([...MALFORMED_REASONS]);
    expect(j['truncated-ethernet']).to.equal(1);
    expect(JSON.parse(JSON.stringify(d))['bad-tcp-checksum']).to.equal(2);
  });
});
