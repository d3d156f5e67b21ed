import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFrame, parsePacket, rd16, rd32, writePcap, type FrameSpec, type ParsedPacket } from '../../../src/sim/packet/index.js';
import {
  ICMPV4_MAX_QUOTE, ICMPV6_MAX_QUOTE, buildIcmpUnreachable, buildTcpReset, quotedTuple,
} from '../../../src/sim/packet/icmp-errors.js';

const CLIENT_MAC = '02:aa:00:00:00:01';
const DEV_MAC = '02:00:00:00:00:01';

function parseOk(frame: Uint8Array): ParsedPacket {
  const r = parsePacket(frame);
  if (!r.ok) throw new Error(`expected ok, got ${r.reason}: ${r.detail}`);
  return r.pkt;
}

function offending(spec: FrameSpec): [Uint8Array, ParsedPacket] {
  const f = buildFrame({ eth: { src: CLIENT_MAC, dst: DEV_MAC, ...spec.eth }, ...spec });
  return [f, parseOk(f)];
}

const SYN_V4: FrameSpec = { ipv4: { src: '10.1.0.5', dst: '10.96.0.10' }, tcp: { sport: 40000, dport: 80, seq: 1000, flags: 'S' } };
const DATA_V6: FrameSpec = { ipv6: { src: '2001:db8::5', dst: '2001:db8::10' }, tcp: { sport: 40001, dport: 443, seq: 5000, ack: 777777, flags: 'PA' }, payload: 'hello' };
const UDP_V4: FrameSpec = { ipv4: { src: '10.1.0.5', dst: '10.96.0.53' }, udp: { sport: 5353, dport: 53 }, payload: new Uint8Array(1000).fill(0x61) };
const UDP_V6: FrameSpec = { ipv6: { src: '2001:db8::5', dst: '2001:db8::53' }, udp: { sport: 5353, dport: 53 }, payload: new Uint8Array(2000).fill(0x62) };

describe('packet/icmp-errors', () => {
  describe('TCP reset (RFC 9293 §3.10.7.1)', () => {
    it('answers a SYN with <SEQ=0><ACK=SEG.SEQ+1><RST,ACK>, swapped addresses, ports and MACs', () => {
      const [f, p] = offending(SYN_V4);
      const rst = parseOk(buildTcpReset(f, p)!);
      expect([rst.eth.src, rst.eth.dst]).to.deep.equal([DEV_MAC, CLIENT_MAC]);
      expect(rst.l3).to.deep.include({ kind: 'ipv4', src: '10.96.0.10', dst: '10.1.0.5', ttl: 64 });
      expect(rst.l4).to.deep.include({ kind: 'tcp', srcPort: 80, dstPort: 40000, seq: 0, ack: 1001, flagBits: 0x14, window: 0 });
    });

    it('answers a segment with ACK by <SEQ=SEG.ACK><RST> (IPv6, payload, VLAN kept, chosen source MAC)', () => {
      const [f, p] = offending({ ...DATA_V6, eth: { vlan: 100 } });
      const rst = parseOk(buildTcpReset(f, p, { srcMac: '02:00:00:00:00:09', ttl: 255 })!);
      expect(rst.eth.vlans).to.deep.equal([100]);
      expect(rst.eth.src).to.equal('02:00:00:00:00:09');
      expect(rst.l3).to.deep.include({ kind: 'ipv6', src: '2001:db8::10', dst: '2001:db8::5', hopLimit: 255 });
      expect(rst.l4).to.deep.include({ srcPort: 443, dstPort: 40001, seq: 777777, ack: 0, flagBits: 0x04 });
    });

    it('counts payload, SYN and FIN in SEG.LEN and wraps modulo 2^32', () => {
      const [f, p] = offending({ ipv4: { src: '10.1.0.5', dst: '10.0.0.1' }, tcp: { sport: 1, dport: 2, seq: 0xfffffffe, flags: 'SF' }, payload: 'abc' });
      expect(parseOk(buildTcpReset(f, p)!).l4).to.deep.include({ seq: 0, ack: (0xfffffffe + 5) >>> 0 });
    });

    it('never answers an RST, nor non-TCP', () => {
      const [f, p] = offending({ ...SYN_V4, tcp: { sport: 1, dport: 2, flags: 'R' } });
      expect(buildTcpReset(f, p)).to.equal(null);
      const [u, q] = offending(UDP_V4);
      expect(buildTcpReset(u, q)).to.equal(null);
    });
  });

  describe('destination unreachable', () => {
    it('ICMPv4 port unreachable quotes the IP packet up to 576 bytes in all (RFC 1812)', () => {
      const [f, p] = offending(UDP_V4);
      const e = buildIcmpUnreachable(f, p, 'port')!;
      const q = parseOk(e);
      expect(q.l3).to.deep.include({ kind: 'ipv4', src: '10.96.0.53', dst: '10.1.0.5', totalLength: 576 });
      expect(q.l4).to.deep.include({ kind: 'icmp', type: 3, code: 3 });
      expect(rd32(e, q.l4!.offset + 4)).to.equal(0); // unused
      expect([...e.subarray(q.l4!.offset + 8)]).to.deep.equal([...f.subarray(14, 14 + ICMPV4_MAX_QUOTE)]);
    });

    it('ICMPv4 administratively prohibited (code 13) from a chosen address; short packets quoted whole', () => {
      const [f, p] = offending(SYN_V4);
      const e = buildIcmpUnreachable(f, p, 'admin', { srcIp: '192.0.2.254' })!;
      const q = parseOk(e);
      expect(q.l3).to.deep.include({ src: '192.0.2.254', dst: '10.1.0.5', totalLength: 20 + 8 + 40 });
      expect(q.l4).to.deep.include({ type: 3, code: 13 });
      expect([...e.subarray(q.l4!.offset + 8)]).to.deep.equal([...f.subarray(14, 54)]);
    });

    it('ICMPv6 port unreachable (1/4) quotes up to 1280 bytes in all (RFC 4443); admin is code 1', () => {
      const [f, p] = offending(UDP_V6);
      const e = buildIcmpUnreachable(f, p, 'port')!;
      const q = parseOk(e);
      expect(q.l3).to.deep.include({ kind: 'ipv6', src: '2001:db8::53', dst: '2001:db8::5', payloadLength: 1280 - 40 });
      expect(q.l4).to.deep.include({ kind: 'icmpv6', type: 1, code: 4 });
      expect([...e.subarray(q.l4!.offset + 8)]).to.deep.equal([...f.subarray(14, 14 + ICMPV6_MAX_QUOTE)]);
      expect(parseOk(buildIcmpUnreachable(f, p, 'admin')!).l4).to.deep.include({ type: 1, code: 1 });
    });

    it('network unreachable / no route: ICMPv4 3/0, ICMPv6 1/0', () => {
      const [f4, p4] = offending(UDP_V4);
      expect(parseOk(buildIcmpUnreachable(f4, p4, 'net')!).l4).to.deep.include({ kind: 'icmp', type: 3, code: 0 });
      const [f6, p6] = offending(UDP_V6);
      expect(parseOk(buildIcmpUnreachable(f6, p6, 'net')!).l4).to.deep.include({ kind: 'icmpv6', type: 1, code: 0 });
    });

    it('sends no error about an error, a later fragment, broadcast or multicast (RFC 1122 §3.2.2, RFC 4443 §2.4)', () => {
      const none = (spec: FrameSpec) => {
        const [f, p] = offending(spec);
        return buildIcmpUnreachable(f, p, 'port');
      };
      expect(none({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, icmp: { type: 3, code: 1 }, payload: new Uint8Array(28) })).to.equal(null);
      expect(none({ ipv6: { src: '2001:db8::1', dst: '2001:db8::2' }, icmpv6: { type: 3 }, payload: new Uint8Array(48) })).to.equal(null);
      expect(none({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2', fragmentOffset: 10 }, udp: { sport: 1, dport: 2 } })).to.equal(null);
      expect(none({ ipv4: { src: '10.0.0.1', dst: '255.255.255.255' }, udp: { sport: 1, dport: 2 } })).to.equal(null);
      expect(none({ ipv4: { src: '10.0.0.1', dst: '239.1.1.1' }, udp: { sport: 1, dport: 2 } })).to.equal(null);
      expect(none({ ipv4: { src: '0.0.0.0', dst: '10.0.0.2' }, udp: { sport: 68, dport: 67 } })).to.equal(null);
      expect(none({ ipv6: { src: '2001:db8::1', dst: 'ff02::1' }, udp: { sport: 1, dport: 2 } })).to.equal(null);
      expect(none({ eth: { dst: 'ff:ff:ff:ff:ff:ff' }, ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, udp: { sport: 1, dport: 2 } })).to.equal(null);
      // An echo request is not an error: it may be answered.
      expect(none({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, icmp: { type: 8, id: 1 } })).to.not.equal(null);
    });
  });

  describe('quotedTuple', () => {
    it('reads the tuple our own errors quote (TCP, UDP; IPv4, IPv6)', () => {
      for (const [spec, want] of [
        [SYN_V4, { family: 4, srcIp: '10.1.0.5', dstIp: '10.96.0.10', protocol: 6, srcPort: 40000, dstPort: 80 }],
        [UDP_V4, { family: 4, srcIp: '10.1.0.5', dstIp: '10.96.0.53', protocol: 17, srcPort: 5353, dstPort: 53 }],
        [DATA_V6, { family: 6, srcIp: '2001:db8::5', dstIp: '2001:db8::10', protocol: 6, srcPort: 40001, dstPort: 443 }],
        [UDP_V6, { family: 6, srcIp: '2001:db8::5', dstIp: '2001:db8::53', protocol: 17, srcPort: 5353, dstPort: 53 }],
      ] as const) {
        const [f, p] = offending(spec);
        const e = buildIcmpUnreachable(f, p, 'port')!;
        const q = quotedTuple(e, parseOk(e))!;
        expect(q).to.deep.include(want);
        expect(rd16(e, q.l4Offset)).to.equal(want.srcPort); // offsets point into the error frame
        expect(e[q.l3Offset] >> 4).to.equal(want.family);
      }
    });

    it('reads a quoted ICMP echo (id in srcPort), an IPv6 extension chain, and a portless protocol', () => {
      const echo = buildFrame({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, icmp: { type: 11 }, payload: buildFrame({ ipv4: { src: '10.0.0.2', dst: '8.8.8.8' }, icmp: { type: 8, id: 4242, seq: 1 } }).subarray(14) });
      expect(quotedTuple(echo, parseOk(echo))).to.deep.include({ protocol: 1, srcIp: '10.0.0.2', dstIp: '8.8.8.8', srcPort: 4242, dstPort: 0 });
      const inner6 = buildFrame({ ipv6: { src: '2001:db8::1', dst: '2001:db8::2', extensions: [{ type: 'hop-by-hop' }, { type: 'destination' }] }, udp: { sport: 7, dport: 9 } }).subarray(14);
      const e6 = buildFrame({ ipv6: { src: '2001:db8::fe', dst: '2001:db8::1' }, icmpv6: { type: 3 }, payload: inner6 });
      expect(quotedTuple(e6, parseOk(e6))).to.deep.include({ family: 6, protocol: 17, srcPort: 7, dstPort: 9, l4Offset: 14 + 40 + 8 + 40 + 16 });
      const gre = buildFrame({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, icmp: { type: 3, code: 1 }, payload: buildFrame({ ipv4: { src: '10.0.0.2', dst: '10.0.0.9', protocol: 47 }, payload: new Uint8Array(8) }).subarray(14) });
      expect(quotedTuple(gre, parseOk(gre))).to.deep.include({ protocol: 47, srcPort: 0, dstPort: 0, l4Offset: -1 });
    });

    it('returns null for non-errors, truncated quotes, later fragments and errors about errors', () => {
      const q = (f: Uint8Array) => quotedTuple(f, parseOk(f));
      expect(q(buildFrame({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, icmp: { type: 8, id: 1 }, payload: new Uint8Array(40) }))).to.equal(null);
      expect(q(buildFrame({ ipv6: { src: '2001:db8::1', dst: '2001:db8::2' }, icmpv6: { type: 128 }, payload: new Uint8Array(60) }))).to.equal(null);
      const inner = buildFrame(UDP_V4).subarray(14);
      for (const cut of [0, 10, 19, 21, 23]) {
        expect(q(buildFrame({ ipv4: { src: '10.0.0.9', dst: '10.1.0.5' }, icmp: { type: 3, code: 3 }, payload: inner.subarray(0, cut) })), `cut ${cut}`).to.equal(null);
      }
      expect(q(buildFrame({ ipv4: { src: '10.0.0.9', dst: '10.1.0.5' }, icmp: { type: 3, code: 3 }, payload: inner.subarray(0, 24) }))).to.not.equal(null);
      const frag = buildFrame({ ipv4: { src: '10.0.0.2', dst: '10.0.0.9', fragmentOffset: 3 }, udp: { sport: 1, dport: 2 } }).subarray(14);
      expect(q(buildFrame({ ipv4: { src: '10.0.0.9', dst: '10.0.0.2' }, icmp: { type: 11 }, payload: frag }))).to.equal(null);
      const err = buildFrame({ ipv4: { src: '10.0.0.2', dst: '10.0.0.9' }, icmp: { type: 3, code: 3 }, payload: new Uint8Array(28) }).subarray(14);
      expect(q(buildFrame({ ipv4: { src: '10.0.0.9', dst: '10.0.0.2' }, icmp: { type: 11 }, payload: err }))).to.equal(null);
      // An IPv6 quote inside ICMPv4 is not read.
      const v6in4 = buildFrame(UDP_V6).subarray(14, 14 + 60);
      expect(q(buildFrame({ ipv4: { src: '10.0.0.9', dst: '10.0.0.2' }, icmp: { type: 3, code: 3 }, payload: v6in4 }))).to.equal(null);
    });
  });

  describe('tshark oracle', function () {
    this.timeout(60_000);
    const TSHARK = process.env.XPUHAL_TSHARK ?? 'tshark';
    let dir = '';
    let pcap = '';
    let env: NodeJS.ProcessEnv = {};

    before(function () {
      const v = spawnSync(TSHARK, ['-v'], { encoding: 'utf8' });
      if (v.error !== undefined || v.status !== 0) {
        if (process.env.XPUHAL_REQUIRE_ALL_TIERS === '1') throw new Error('tshark required (XPUHAL_REQUIRE_ALL_TIERS=1) but not installed: apt-get install tshark');
        console.log('SKIPPED icmp-errors tshark oracle: tshark not installed (apt-get install tshark)');
        this.skip();
      }
      dir = mkdtempSync(join(tmpdir(), 'xpuhal-icmperr-'));
      env = { ...process.env, WIRESHARK_CONFIG_DIR: mkdtempSync(join(dir, 'wscfg-')) };
      const frames: Uint8Array[] = [];
      for (const spec of [SYN_V4, DATA_V6]) {
        const [f, p] = offending(spec);
        frames.push(buildTcpReset(f, p)!);
      }
      for (const [spec, kind] of [[UDP_V4, 'port'], [SYN_V4, 'admin'], [UDP_V6, 'port'], [DATA_V6, 'admin']] as const) {
        const [f, p] = offending(spec);
        frames.push(buildIcmpUnreachable(f, p, kind)!);
      }
      pcap = join(dir, 'errors.pcap');
      writeFileSync(pcap, writePcap(frames.map((frame, i) => ({ timeNs: BigInt(i) * 1000n, frame }))));
    });

    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const FIELDS = [
      'frame.protocols', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.seq', 'tcp.ack_raw',
      'tcp.flags.reset', 'tcp.flags.ack', 'udp.srcport', 'udp.dstport', 'icmp.type', 'icmp.code', 'icmpv6.type', 'icmpv6.code',
      'ip.checksum.status', 'tcp.checksum.status', 'icmp.checksum.status', 'icmpv6.checksum.status', 'udp.checksum.status',
    ] as const;
    const PREFS = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'tcp.analyze_sequence_numbers:FALSE'];

    function tshark(args: string[]): string[] {
      const r = spawnSync(TSHARK, ['-r', pcap, ...PREFS, ...args], { encoding: 'utf8', env });
      expect(r.status, r.stderr).to.equal(0);
      return r.stdout.split('\n').filter((l) => l.length > 0);
    }

    it('dissects RSTs and unreachables as meant, with every checksum Good (inner ones too)', () => {
      const rows = tshark(['-T', 'fields', '-E', 'separator=\t', ...FIELDS.flatMap((f) => ['-e', f])]).map((line) => {
        const cols = line.split('\t');
        return Object.fromEntries(FIELDS.map((f, i) => [f, cols[i] ?? ''])) as Record<(typeof FIELDS)[number], string>;
      });
      expect(rows).to.have.length(6);
      const [rst4, rst6, un4, adm4, un6, adm6] = rows;
      expect(rst4).to.deep.include({
        'frame.protocols': 'eth:ethertype:ip:tcp', 'ip.src': '10.96.0.10', 'ip.dst': '10.1.0.5', 'tcp.srcport': '80', 'tcp.dstport': '40000',
        'tcp.seq_raw': '0', 'tcp.ack_raw': '1001', 'tcp.flags.reset': '1', 'tcp.flags.ack': '1', 'ip.checksum.status': '1', 'tcp.checksum.status': '1',
      });
      expect(rst6).to.deep.include({
        'frame.protocols': 'eth:ethertype:ipv6:tcp', 'ipv6.src': '2001:db8::10', 'ipv6.dst': '2001:db8::5', 'tcp.srcport': '443',
        'tcp.seq_raw': '777777', 'tcp.flags.reset': '1', 'tcp.flags.ack': '0', 'tcp.checksum.status': '1',
      });
      expect(un4).to.deep.include({
        'frame.protocols': 'eth:ethertype:ip:icmp:ip:udp:dns', 'ip.src': '10.96.0.53,10.1.0.5', 'ip.dst': '10.1.0.5,10.96.0.53',
        'icmp.type': '3', 'icmp.code': '3', 'udp.srcport': '5353', 'udp.dstport': '53', 'icmp.checksum.status': '1', 'ip.checksum.status': '1,1',
      });
      expect(adm4).to.deep.include({
        'icmp.type': '3', 'icmp.code': '13', 'tcp.srcport': '40000', 'tcp.dstport': '80', 'tcp.seq': '1000', 'icmp.checksum.status': '1', 'ip.checksum.status': '1,1',
      });
      expect(un6).to.deep.include({
        'ipv6.src': '2001:db8::53,2001:db8::5', 'icmpv6.type': '1', 'icmpv6.code': '4', 'udp.srcport': '5353', 'icmpv6.checksum.status': '1',
      });
      expect(adm6).to.deep.include({ 'icmpv6.type': '1', 'icmpv6.code': '1', 'tcp.srcport': '40001', 'tcp.dstport': '443', 'icmpv6.checksum.status': '1' });
      // tshark does not verify checksums inside ICMP quotes; the quote is byte-identical to the offending packet (tested above).
    });

    it('reports no malformed frames and no expert warnings except the RSTs themselves', () => {
      const out = tshark(['-Y', '_ws.malformed || _ws.expert.severity >= warning', '-T', 'fields', '-e', 'frame.number', '-e', '_ws.expert.message']);
      expect(out).to.deep.equal(['1\tConnection reset (RST)', '2\tConnection reset (RST)']);
    });
  });
});
