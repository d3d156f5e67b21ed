// Shared test fixtures: a seeded PRNG and a corpus of valid frames of every kind.

import {
  buildFrame, buildGeneve, buildVxlan, decrementTtl, parsePacket, rewriteDst, rewriteSrc,
} from '../../../src/sim/packet/index.js';

/** mulberry32: tiny deterministic PRNG returning uint32s. */
export { mulberry32 } from '../../../src/sim/random.js';

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/** An SCTP DATA chunk (type 0) carrying 4 bytes, so SCTP frames are realistic. */
export const SCTP_DATA_CHUNK = fromHex('0003 0014 00000001 0001 0000 00000000 61626364');

export const innerTcp = (): Uint8Array =>
  buildFrame({
    eth: { src: '02:aa:00:00:00:01', dst: '02:aa:00:00:00:02' },
    ipv4: { src: '192.168.1.10', dst: '192.168.1.20', id: 7 },
    tcp: { sport: 12345, dport: 80, seq: 1000, ack: 1, flags: 'PA' },
    payload: 'hello',
  });

/** One valid frame per supported protocol combination. */
export function validCorpus(): { name: string; frame: Uint8Array }[] {
  const v4 = { src: '10.0.0.1', dst: '10.0.0.2' };
  const v6 = { src: '2001:db8::1', dst: '2001:db8::2' };
  return [
    { name: 'ipv4-tcp', frame: buildFrame({ ipv4: v4, tcp: { sport: 1000, dport: 80, flags: 'S' }, payload: 'data' }) },
    { name: 'ipv4-opts-tcp', frame: buildFrame({ ipv4: { ...v4, options: fromHex('94040000') }, tcp: { sport: 1, dport: 2, options: fromHex('020405b4') } }) },
    { name: 'vlan-ipv4-udp', frame: buildFrame({ eth: { vlan: 42 }, ipv4: v4, udp: { sport: 53, dport: 5353 }, payload: 'q' }) },
    { name: 'qinq-ipv6-udp', frame: buildFrame({ eth: { vlan: [100, 200] }, ipv6: v6, udp: { sport: 1, dport: 2 }, payload: 'xy' }) },
    { name: 'ipv4-udp-nocsum', frame: buildFrame({ ipv4: v4, udp: { sport: 1, dport: 2, checksum: false }, payload: 'z' }) },
    { name: 'ipv4-icmp', frame: buildFrame({ ipv4: v4, icmp: { type: 8, id: 9, seq: 3 }, payload: 'ping' }) },
    { name: 'ipv6-icmpv6', frame: buildFrame({ ipv6: v6, icmpv6: { type: 128, id: 9, seq: 3 }, payload: 'ping' }) },
    { name: 'ipv4-sctp', frame: buildFrame({ ipv4: v4, sctp: { sport: 5000, dport: 5001, tag: 0xabcdef }, payload: SCTP_DATA_CHUNK }) },
    { name: 'ipv6-sctp', frame: buildFrame({ ipv6: v6, sctp: { sport: 5000, dport: 5001, tag: 1 }, payload: SCTP_DATA_CHUNK }) },
    { name: 'ipv4-esp', frame: buildFrame({ ipv4: v4, esp: { spi: 0x1234, seq: 1 }, payload: new Uint8Array(24) }) },
    { name: 'ipv6-esp', frame: buildFrame({ ipv6: v6, esp: { spi: 0x1234, seq: 2 }, payload: new Uint8Array(24) }) },
    {
      name: 'ipv6-ext-tcp',
      frame: buildFrame({
        ipv6: {
          ...v6,
          extensions: [
            { type: 'hop-by-hop', options: [{ type: 5, data: new Uint8Array(2) }] },
            { type: 'destination', options: [{ type: 0x1e, data: new Uint8Array(3) }] },
            { type: 'routing', addresses: ['2001:db8::99', '2001:db8::2'], segmentsLeft: 1 },
            { type: 'fragment', id: 5 },
            { type: 'ah', spi: 1, seq: 2 },
          ],
        },
        tcp: { sport: 40000, dport: 443 },
        payload: 'x',
      }),
    },
    { name: 'ipv4-frag-first', frame: buildFrame({ ipv4: { ...v4, flags: { mf: true } }, udp: { sport: 1, dport: 2 }, payload: new Uint8Array(40) }) },
    { name: 'ipv4-frag-later', frame: buildFrame({ ipv4: { ...v4, fragmentOffset: 6, protocol: 17 }, payload: new Uint8Array(40) }) },
    { name: 'ipv6-frag-later', frame: buildFrame({ ipv6: { ...v6, extensions: [{ type: 'fragment', offset: 3, id: 1 }], nextHeader: 6 }, payload: new Uint8Array(16) }) },
    { name: 'arp', frame: buildFrame({ arp: { op: 'request', senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.2' } }) },
    { name: 'unknown-ethertype', frame: buildFrame({ eth: { etherType: 0x88cc }, payload: new Uint8Array(20) }) },
    { name: 'vxlan', frame: buildVxlan({ ipv4: v4 }, 5001, innerTcp()) },
    { name: 'vxlan-v6', frame: buildVxlan({ ipv6: v6 }, 77, innerTcp()) },
    { name: 'geneve', frame: buildGeneve({ ipv4: v4 }, 0x123456, [{ class: 0x0103, type: 1, data: fromHex('deadbeef') }], innerTcp()) },
    { name: 'vxlan-in-geneve', frame: buildGeneve({ ipv6: v6 }, 9, [], buildVxlan({ ipv4: v4 }, 8, innerTcp())) },
  ];
}

/** Frames checked by the tshark oracle: VXLAN TCP, Geneve with one option, NATed TCP, IPv6 hop-by-hop TCP, SCTP, ICMPv6. */
export function oracleFrames(): Uint8Array[] {
  const vxlan = buildVxlan({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' } }, 5001, innerTcp());

  const geneveInner = buildFrame({ ipv4: { src: '172.16.0.1', dst: '172.16.0.2' }, udp: { sport: 40000, dport: 6000 }, payload: 'geneve' });
  const geneve = buildGeneve({ ipv4: { src: '10.1.0.1', dst: '10.1.0.2' }, udp: { sport: 40001 } }, 0x123456, [{ class: 0x0103, type: 0x01, data: fromHex('deadbeef') }], geneveInner);

  const nat = buildFrame({ ipv4: { src: '192.168.1.10', dst: '10.96.0.10', ttl: 64 }, tcp: { sport: 40000, dport: 80, seq: 4242, flags: 'PA' }, payload: 'GET / HTTP/1.0\r\n\r\n' });
  const r = parsePacket(nat);
  if (!r.ok) throw new Error(r.reason);
  if (!rewriteDst(nat, r.pkt, '10.244.1.7', 8080) || !rewriteSrc(nat, r.pkt, '10.0.0.9', 61000) || !decrementTtl(nat, r.pkt)) {
    throw new Error('rewrite failed');
  }

  const hbh = buildFrame({
    ipv6: { src: '2001:db8::1', dst: '2001:db8::2', extensions: [{ type: 'hop-by-hop', options: [{ type: 5, data: new Uint8Array(2) }] }] },
    tcp: { sport: 40000, dport: 443, seq: 7777, flags: 'S' },
  });

  const sctp = buildFrame({ ipv4: { src: '10.2.0.1', dst: '10.2.0.2' }, sctp: { sport: 5000, dport: 5001, tag: 0xdeadbeef }, payload: SCTP_DATA_CHUNK });
  const icmpv6 = buildFrame({ ipv6: { src: '2001:db8::1', dst: '2001:db8::2' }, icmpv6: { type: 128, id: 0x1234, seq: 1 }, payload: 'pingdata' });
  return [vxlan, geneve, nat, hbh, sctp, icmpv6];
}
