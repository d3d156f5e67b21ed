import { expect } from 'chai';
import { inspect } from 'node:util';
import type { IpsecSaEntry, SaLifetimeEvent } from '../../../src/hal/generated/types.js';
import { ip } from '../../../src/hal/index.js';
import type { Spi } from '../../../src/hal/values.js';
import { EspSa, SaConfigError, Spd, SpdConfigError, espProtect, espUnprotect, type EspFrameResult } from '../../../src/sim/crypto/index.js';
import { buildFrame, parsePacket, verifyChecksums, type ParsedPacket } from '../../../src/sim/packet/index.js';

const KEY16 = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const KEY32 = Uint8Array.from({ length: 32 }, (_, i) => 0x40 + i);
const SALT = Uint8Array.from([0xde, 0xad, 0xbe, 0xef]);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const spi = (n: number): Spi => n as Spi;

function pair(extra: Partial<IpsecSaEntry> = {}, inboundExtra: Partial<IpsecSaEntry> = {}, onLifetime?: (e: SaLifetimeEvent) => void) {
  const base = {
    spi: 0x1234, mode: 'TUNNEL', algorithm: 'AES_GCM_128', key: KEY16, salt: SALT,
    tunnelSrc: '10.0.0.1', tunnelDst: '10.0.0.2', ...extra,
  } as IpsecSaEntry;
  const out = new EspSa({ ...base, id: 'sa-out', direction: 'OUTBOUND' });
  const inn = new EspSa({ ...base, id: 'sa-in', direction: 'INBOUND', replayWindow: 64, ...inboundExtra }, { onLifetime });
  return { out, inn };
}

function parse(frame: Uint8Array): ParsedPacket {
  const r = parsePacket(frame);
  if (!r.ok) throw new Error(`does not parse: ${r.reason} ${r.detail}`);
  return r.pkt;
}

function ok(r: EspFrameResult): Uint8Array {
  if (!r.ok) throw new Error(`dropped: ${r.reason}`);
  return r.frame;
}

const udp4 = (payload = 'hello esp'): Uint8Array => buildFrame({
  eth: { src: '02:00:00:00:00:0a', dst: '02:00:00:00:00:0b', vlan: 7 },
  ipv4: { src: '192.168.10.1', dst: '192.168.20.1', dscp: 46, ecn: 1, flags: { df: true }, id: 99 },
  udp: { sport: 40000, dport: 40001 },
  payload,
});
const tcp6 = (): Uint8Array => buildFrame({
  ipv6: { src: '2001:db8:1::1', dst: '2001:db8:2::1', trafficClass: 0x28, extensions: [{ type: 'destination', options: [{ type: 0x1e, data: new Uint8Array(4) }] }] },
  tcp: { sport: 443, dport: 50000, seq: 7, flags: 'PA' },
  payload: 'six',
});

describe('crypto/ESP tunnel and transport mode on frames', () => {
  it('tunnel IPv4-in-IPv4: outer header from the SA, ESP layout, round trip restores the inner packet exactly', () => {
    const { out, inn } = pair();
    const inner = udp4();
    const enc = ok(espProtect(out, inner));
    const p = parse(enc);
    expect(p.eth.vlans).to.deep.equal([7]);
    expect(p.eth.etherType).to.equal(0x0800);
    const l3 = p.l3!;
    if (l3.kind !== 'ipv4') throw new Error('outer is not IPv4');
    expect([l3.src, l3.dst, l3.protocol, l3.ttl, l3.dscp, l3.ecn, l3.df, l3.id]).to.deep.equal(['10.0.0.1', '10.0.0.2', 50, 64, 46, 1, true, 1]);
    expect(verifyChecksums(enc)).to.deep.equal([]);
    expect(p.l4).to.deep.include({ kind: 'esp', spi: 0x1234, seq: 1 });
    // Inner IPv4 (20) + UDP (8) + 9 bytes = 37; +1 pad +2 trailer = 40; 8 header + 8 IV + 40 + 16 ICV = 72.
    expect(l3.totalLength).to.equal(20 + 72);
    // IV = the sequence number as 64 bits; the inner bytes do not appear in clear.
    expect(hex(enc.subarray(p.l4!.offset + 8, p.l4!.offset + 16))).to.equal('0000000000000001');
    expect(hex(enc)).to.not.include(hex(new TextEncoder().encode('hello esp')));
    const dec = ok(espUnprotect(inn, enc));
    expect(hex(dec)).to.equal(hex(inner));
    expect(out.counters()).to.deep.equal({ packets: 1, bytes: 37, drops: {} });
    expect(inn.counters()).to.deep.equal({ packets: 1, bytes: 37, drops: {} });
  });

  it('tunnel across families (IPv6 in IPv4, IPv4 in IPv6) and AES-256', () => {
    const a = pair({ algorithm: 'AES_GCM_256', key: KEY32 });
    const six = tcp6();
    const enc = ok(espProtect(a.out, six));
    const pa = parse(enc);
    expect(pa.eth.etherType).to.equal(0x0800);
    expect(pa.l3).to.deep.include({ kind: 'ipv4', dscp: 0x28 >> 2, ecn: 0, df: false });
    expect(hex(ok(espUnprotect(a.inn, enc)))).to.equal(hex(six));

    const b = pair({ tunnelSrc: ip('2001:db8::a'), tunnelDst: ip('2001:db8::b') });
    const four = udp4();
    const enc6 = ok(espProtect(b.out, four));
    const pb = parse(enc6);
    expect(pb.eth.etherType).to.equal(0x86dd);
    expect(pb.l3).to.deep.include({ kind: 'ipv6', src: '2001:db8::a', dst: '2001:db8::b', nextHeader: 50, hopLimit: 64, trafficClass: (46 << 2) | 1 });
    expect(hex(ok(espUnprotect(b.inn, enc6)))).to.equal(hex(four));
  });

  it('transport IPv4: ESP after the header, protocol 50, lengths and checksum fixed; round trip is exact', () => {
    const { out, inn } = pair({ mode: 'TRANSPORT', tunnelSrc: undefined, tunnelDst: undefined });
    const plain = udp4('transport!');
    const enc = ok(espProtect(out, plain));
    expect(verifyChecksums(enc)).to.deep.equal([]);
    const p = parse(enc);
    expect(p.l3).to.deep.include({ kind: 'ipv4', src: '192.168.10.1', dst: '192.168.20.1', protocol: 50, id: 99, ttl: 64 });
    // UDP 8 + 10 = 18 bytes; pad 0; ESP = 8 + 8 + 18 + 0 + 2 + 16 = 52.
    expect((p.l3 as { totalLength: number }).totalLength).to.equal(20 + 52);
    const dec = ok(espUnprotect(inn, enc));
    expect(hex(dec)).to.equal(hex(plain));
    expect(verifyChecksums(dec)).to.deep.equal([]);
  });

  it('transport IPv6: ESP after the extension chain, the last next-header becomes 50; round trip is exact', () => {
    const { out, inn } = pair({ mode: 'TRANSPORT', tunnelSrc: undefined, tunnelDst: undefined });
    const plain = tcp6();
    const enc = ok(espProtect(out, plain));
    const p = parse(enc);
    const l3 = p.l3!;
    if (l3.kind !== 'ipv6') throw new Error('not IPv6');
    expect(l3.nextHeader).to.equal(60);
    expect(l3.extensions.map((e) => [e.type, e.nextHeader])).to.deep.equal([[60, 50]]);
    expect(l3.upperProtocol).to.equal(50);
    const dec = ok(espUnprotect(inn, enc));
    expect(hex(dec)).to.equal(hex(plain));
  });

  it('refuses what it cannot protect, without spending a sequence number', () => {
    const t = pair({ mode: 'TRANSPORT', tunnelSrc: undefined, tunnelDst: undefined });
    const frag = buildFrame({ ipv4: { src: '10.1.1.1', dst: '10.1.1.2', flags: { mf: true } }, udp: { sport: 1, dport: 2 }, payload: 'x' });
    expect(espProtect(t.out, frag)).to.deep.equal({ ok: false, reason: 'ipsec-fragment' });
    const arp = buildFrame({ arp: { op: 'request', senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.2' } });
    expect(espProtect(t.out, arp)).to.deep.equal({ ok: false, reason: 'ipsec-not-ip' });
    const big = buildFrame({ ipv4: { src: '10.1.1.1', dst: '10.1.1.2' }, udp: { sport: 1, dport: 2 }, payload: new Uint8Array(65535 - 28 - 20) });
    expect(espProtect(t.out, big)).to.deep.equal({ ok: false, reason: 'ipsec-too-big' });
    expect(t.out.nextSeq).to.equal(1);
    expect(espUnprotect(t.inn, udp4())).to.deep.equal({ ok: false, reason: 'ipsec-not-esp' });
  });
});

describe('crypto/ESP inbound checks', () => {
  it('tampering anywhere in the ESP packet fails the ICV (drop ipsec-auth-failed) and leaves the window alone', () => {
    const { out, inn } = pair();
    const enc = ok(espProtect(out, udp4()));
    const espAt = parse(enc).l4!.offset;
    for (let i = espAt + 4; i < enc.length; i++) { // the SPI (first 4) selects the SA, see next test
      const bad = enc.slice();
      bad[i] ^= 0x80;
      expect(espUnprotect(inn, bad), `byte ${i}`).to.deep.equal({ ok: false, reason: 'ipsec-auth-failed' });
    }
    expect(inn.highestSeq).to.equal(0);
    expect(inn.counters().packets).to.equal(0);
    expect(hex(ok(espUnprotect(inn, enc)))).to.equal(hex(udp4()));
  });

  it('an SA for another SPI, or with another key, refuses the packet', () => {
    const a = pair();
    const enc = ok(espProtect(a.out, udp4()));
    const otherSpi = pair({ spi: spi(0x9999) });
    expect(espUnprotect(otherSpi.inn, enc)).to.deep.equal({ ok: false, reason: 'ipsec-spi-mismatch' });
    const otherKey = pair({ key: KEY16.map((b) => b ^ 1) });
    expect(espUnprotect(otherKey.inn, enc)).to.deep.equal({ ok: false, reason: 'ipsec-auth-failed' });
  });

  it('replays and packets left of the window drop as ipsec-replay; reordering inside the window is fine', () => {
    const { out, inn } = pair({}, { replayWindow: 32 });
    const sent = Array.from({ length: 40 }, (_, i) => ok(espProtect(out, udp4(`p${i}`))));
    const order = [0, 2, 1, 39, 10, 10, 5, 8, 2];
    const got = order.map((i) => {
      const r = espUnprotect(inn, sent[i]);
      return r.ok ? `seq${r.seq}` : r.reason;
    });
    // After seq 40 the window is 9..40: seq 6 (index 5) is too old; seq 9 (index 8) is inside.
    expect(got).to.deep.equal(['seq1', 'seq3', 'seq2', 'seq40', 'seq11', 'ipsec-replay', 'ipsec-replay', 'seq9', 'ipsec-replay']);
    expect(inn.counters().drops).to.deep.equal({ 'ipsec-replay': 3 });
    // Window 0 disables anti-replay: the same packet is accepted again.
    const noWin = pair({}, { replayWindow: 0 });
    const one = ok(espProtect(noWin.out, udp4()));
    expect(espUnprotect(noWin.inn, one).ok).to.equal(true);
    expect(espUnprotect(noWin.inn, one).ok).to.equal(true);
  });

  it('sequence numbers start at 1 and never wrap: after 2^32-1 the SA stops (ipsec-seq-overflow)', () => {
    const base = { spi: spi(7), mode: 'TRANSPORT', algorithm: 'AES_GCM_128', key: KEY16, salt: SALT } as const;
    const out = new EspSa({ ...base, id: 'o', direction: 'OUTBOUND' }, { firstSeq: 0xfffffffe });
    const inn = new EspSa({ ...base, id: 'i', direction: 'INBOUND', replayWindow: 64 });
    const a = espProtect(out, udp4());
    const b = espProtect(out, udp4());
    expect([a.ok && a.seq, b.ok && b.seq]).to.deep.equal([0xfffffffe, 0xffffffff]);
    expect(espProtect(out, udp4())).to.deep.equal({ ok: false, reason: 'ipsec-seq-overflow' });
    expect(out.counters().drops).to.deep.equal({ 'ipsec-seq-overflow': 1 });
    expect(espUnprotect(inn, ok(b)).ok).to.equal(true);
    expect(inn.highestSeq).to.equal(0xffffffff);
  });
});

describe('crypto/ESP lifetimes', () => {
  it('emits each soft/hard event once at its crossing; past a hard lifetime traffic drops as ipsec-sa-expired', () => {
    const events: string[] = [];
    const onLifetime = (e: SaLifetimeEvent): void => {
      events.push(`${e.saId}:${e.kind}`);
    };
    // Each packet carries 37 payload bytes (see the tunnel test).
    const { out, inn } = pair({}, { softLifetimeBytes: 100, hardLifetimeBytes: 1000, softLifetimePackets: 2, hardLifetimePackets: 5 }, onLifetime);
    const seen: string[][] = [];
    for (let i = 0; i < 7; i++) {
      const r = espUnprotect(inn, ok(espProtect(out, udp4())));
      seen.push([r.ok ? 'ok' : r.reason, ...events.splice(0)]);
    }
    expect(seen).to.deep.equal([
      ['ok'],
      ['ok', 'sa-in:SOFT_PACKETS'],
      ['ok', 'sa-in:SOFT_BYTES'], // 111 bytes ≥ 100
      ['ok'],
      ['ok', 'sa-in:HARD_PACKETS'], // the 5th packet is the last one accepted
      ['ipsec-sa-expired'],
      ['ipsec-sa-expired'],
    ]);
    expect(inn.expired).to.equal(true);
    expect(inn.counters()).to.deep.equal({ packets: 5, bytes: 185, drops: { 'ipsec-sa-expired': 2 } });
  });

  it('outbound hard bytes: the crossing packet is sent, the next is refused; soft and hard in one packet emit both', () => {
    const events: string[] = [];
    const out = new EspSa(
      { id: 'o', spi: spi(1), direction: 'OUTBOUND', mode: 'TRANSPORT', algorithm: 'AES_GCM_128', key: KEY16, salt: SALT, softLifetimeBytes: 10, hardLifetimeBytes: 10 },
      { onLifetime: (e) => events.push(e.kind!) },
    );
    expect(espProtect(out, udp4()).ok).to.equal(true); // 17 bytes of UDP ≥ 10
    expect(events).to.deep.equal(['SOFT_BYTES', 'HARD_BYTES']);
    expect(espProtect(out, udp4())).to.deep.equal({ ok: false, reason: 'ipsec-sa-expired' });
    expect(events).to.have.length(2);
  });
});

describe('crypto/SA configuration and key hygiene', () => {
  const good: IpsecSaEntry = {
    id: 'sa1', spi: 0x1234 as IpsecSaEntry['spi'], direction: 'INBOUND', mode: 'TUNNEL', algorithm: 'AES_GCM_256', key: KEY32, salt: SALT,
    replayWindow: 64, tunnelSrc: '10.0.0.1' as IpsecSaEntry['tunnelSrc'], tunnelDst: '10.0.0.2' as IpsecSaEntry['tunnelDst'],
  };
  const keyHex = hex(KEY32);
  const saltHex = hex(SALT);
  const leaks = (text: string): boolean => {
    const t = text.toLowerCase();
    // hex, base64, and decimal-array renderings of the key or salt
    return [keyHex, saltHex, Buffer.from(KEY32).toString('base64'), Array.from(KEY32).join(','), Array.from(SALT).join(','), Array.from(KEY32).join(', ')]
      .some((s) => t.includes(s.toLowerCase()));
  };

  it('JSON, toString and util.inspect (even showHidden) never show the key or salt', () => {
    const sa = new EspSa(good);
    for (const text of [JSON.stringify(sa), String(sa), `${sa}`, inspect(sa), inspect(sa, { showHidden: true, depth: null }), JSON.stringify({ wrapped: [sa] })]) {
      expect(leaks(text), text).to.equal(false);
    }
    expect(JSON.parse(JSON.stringify(sa))).to.deep.equal({
      id: 'sa1', spi: 0x1234, direction: 'INBOUND', mode: 'TUNNEL', algorithm: 'AES_GCM_256', replayWindow: 64,
      lifetimes: { softBytes: 0, hardBytes: 0, softPackets: 0, hardPackets: 0 }, tunnelSrc: '10.0.0.1', tunnelDst: '10.0.0.2',
    });
    expect(Object.keys(sa).some((k) => /key|salt/i.test(k))).to.equal(false);
  });

  it('configuration errors name the field and the expected size, never the material', () => {
    const cases: Array<[Partial<IpsecSaEntry>, string, RegExp]> = [
      [{ key: KEY16 }, 'key', /^key must be 32 bytes for AES_GCM_256$/],
      [{ key: undefined }, 'key', /^key is required$/],
      [{ salt: KEY16 }, 'salt', /^salt must be 4 bytes/],
      [{ salt: undefined }, 'salt', /^salt is required$/],
      [{ replayWindow: 5000 }, 'replayWindow', /0\.\.4096/],
      [{ direction: 'OUTBOUND' }, 'replayWindow', /OUTBOUND/],
      [{ tunnelDst: undefined }, 'tunnelDst', /needs tunnelDst/],
      [{ tunnelDst: '2001:db8::1' as IpsecSaEntry['tunnelDst'] }, 'tunnelDst', /one family/],
      [{ mode: 'TRANSPORT' }, 'tunnelSrc', /no tunnel addresses/],
      [{ algorithm: 'AEAD_UNSPECIFIED' }, 'algorithm', /AES_GCM/],
      [{ spi: -1 as IpsecSaEntry['spi'] }, 'spi', /32-bit/],
    ];
    for (const [patch, field, message] of cases) {
      let err: unknown;
      try {
        new EspSa({ ...good, ...patch });
      } catch (e) {
        err = e;
      }
      expect(err, field).to.be.instanceOf(SaConfigError);
      const e = err as SaConfigError;
      expect(e.field).to.equal(field);
      expect(e.message).to.match(message);
      expect(leaks(`${e.message} ${e.stack} ${inspect(e)}`)).to.equal(false);
    }
  });

  it('drop results and counters carry no key material; destroy() makes the SA unusable', () => {
    const { out, inn } = pair();
    const enc = ok(espProtect(out, udp4()));
    const bad = enc.slice();
    bad[bad.length - 1] ^= 1;
    const r = espUnprotect(inn, bad);
    expect(leaks(JSON.stringify(r) + JSON.stringify(inn.counters()))).to.equal(false);
    inn.destroy();
    expect(() => espUnprotect(inn, enc)).to.throw(/destroyed/);
  });

  it('an SA used in the wrong direction is a caller bug and throws', () => {
    const { out, inn } = pair();
    expect(() => espProtect(inn, udp4())).to.throw(/INBOUND/);
    expect(() => espUnprotect(out, ok(espProtect(out, udp4())))).to.throw(/OUTBOUND/);
  });
});

describe('crypto/SPD lookup', () => {
  it('highest priority wins; prefixes, protocol and direction select; absent fields are wildcards of either family', () => {
    const spd = new Spd();
    spd.set({ direction: 'OUTBOUND', priority: 10, action: 'SPD_BYPASS' });
    spd.set({ direction: 'OUTBOUND', priority: 100, dstPrefix: '10.2.0.0/16' as never, action: 'SPD_PROTECT', saId: 'sa-a' });
    spd.set({ direction: 'OUTBOUND', priority: 200, dstPrefix: '10.2.3.0/24' as never, protocol: 17, action: 'SPD_DISCARD' });
    spd.set({ direction: 'INBOUND', priority: 300, srcPrefix: '10.2.0.0/16' as never, action: 'SPD_DISCARD' });
    spd.set({ direction: 'OUTBOUND', priority: 150, srcPrefix: '2001:db8::/32' as never, action: 'SPD_PROTECT', saId: 'sa-6' });
    const at = (dst: string, proto: number, src = '10.1.1.1', dir: 'INBOUND' | 'OUTBOUND' = 'OUTBOUND') => {
      const d = spd.lookup(dir, src, dst, proto);
      return d ? `${d.action}${d.saId ? `:${d.saId}` : ''}` : 'none';
    };
    expect(at('10.2.3.4', 17)).to.equal('SPD_DISCARD');
    expect(at('10.2.3.4', 6)).to.equal('SPD_PROTECT:sa-a');
    expect(at('10.2.9.9', 17)).to.equal('SPD_PROTECT:sa-a');
    expect(at('10.3.0.1', 17)).to.equal('SPD_BYPASS');
    expect(at('2001:db8::2', 6, '2001:db8::1')).to.equal('SPD_PROTECT:sa-6');
    expect(at('2001:db9::2', 6, '2001:db9::1')).to.equal('SPD_BYPASS'); // the catch-all has no prefixes: either family
    expect(at('10.1.1.1', 6, '10.2.0.5', 'INBOUND')).to.equal('SPD_DISCARD');
    expect(at('10.1.1.1', 6, '10.9.0.5', 'INBOUND')).to.equal('none');
    // Bytes work as well as text.
    expect(spd.lookup('OUTBOUND', Uint8Array.from([10, 1, 1, 1]), Uint8Array.from([10, 2, 3, 4]), 17)?.action).to.equal('SPD_DISCARD');
    // Delete by key.
    expect(spd.delete({ direction: 'OUTBOUND', priority: 200, dstPrefix: '10.2.3.0/24' as never, protocol: 17 })).to.equal(true);
    expect(at('10.2.3.4', 17)).to.equal('SPD_PROTECT:sa-a');
    expect(spd.size).to.equal(4);
  });

  it('rejects malformed entries naming the field, and changes nothing', () => {
    const spd = new Spd();
    const bad: Array<[object, string]> = [
      [{ direction: 'OUTBOUND', priority: 1, action: 'SPD_PROTECT' }, 'saId'],
      [{ direction: 'OUTBOUND', priority: 0 }, 'priority'],
      [{ direction: 'OUTBOUND', priority: 1, srcPrefix: '10.0.0.0/8', dstPrefix: '2001:db8::/32' }, 'dstPrefix'],
      [{ direction: 'OUTBOUND', priority: 1, srcPrefix: 'nope' }, 'srcPrefix'],
      [{ priority: 1 }, 'direction'],
    ];
    for (const [e, field] of bad) expect(() => spd.set(e as never)).to.throw(SpdConfigError).with.property('field', field);
    expect(spd.size).to.equal(0);
  });
});
