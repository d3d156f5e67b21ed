import { expect } from 'chai';
import {
  buildFrame, buildGeneve, buildVxlan, decapsulate, flowHash, parsePacket, verifyChecksums, TUNNEL_SPORT_MIN, BuildError,
  type ParsedPacket,
} from '../../../src/sim/packet/index.js';
import { fromHex, innerTcp } from './helpers.js';

function parseOk(frame: Uint8Array): ParsedPacket {
  const r = parsePacket(frame);
  if (!r.ok) throw new Error(`expected ok, got ${r.reason}: ${r.detail}`);
  return r.pkt;
}

const OUTER4 = { eth: { src: '02:00:00:00:0a:01', dst: '02:00:00:00:0a:02' }, ipv4: { src: '10.0.0.1', dst: '10.0.0.2' } };
const OUTER6 = { ipv6: { src: 'fd00::1', dst: 'fd00::2' } };

describe('packet/encap', () => {
  it('VXLAN over IPv4: encap -> parse -> decap', () => {
    const inner = innerTcp();
    const f = buildVxlan(OUTER4, 5001, inner);
    const p = parseOk(f);
    expect(p.l4).to.deep.include({ kind: 'udp', dstPort: 4789, length: 8 + 8 + inner.length });
    expect(p.tunnel).to.deep.include({ kind: 'vxlan', vni: 5001, offset: 42, innerOffset: 50 });
    const i = p.tunnel!.inner!;
    expect(i.eth).to.deep.include({ src: '02:aa:00:00:00:01', offset: 50 });
    expect(i.l3).to.deep.include({ kind: 'ipv4', src: '192.168.1.10', dst: '192.168.1.20', offset: 64 });
    expect(i.l4).to.deep.include({ kind: 'tcp', srcPort: 12345, dstPort: 80, seq: 1000 });
    expect(i.length).to.equal(inner.length);
    expect(decapsulate(f)).to.deep.equal(inner);
    expect(verifyChecksums(f)).to.deep.equal([]);
  });

  it('VXLAN over IPv6 computes the mandatory outer UDP checksum', () => {
    const f = buildVxlan(OUTER6, 0xffffff, innerTcp());
    const p = parseOk(f);
    expect(p.l4?.kind === 'udp' && p.l4.checksum).to.not.equal(0);
    expect(p.tunnel?.vni).to.equal(0xffffff);
    expect(decapsulate(f)).to.deep.equal(innerTcp());
  });

  it('outer UDP checksum may be zero on IPv4 when asked', () => {
    const p = parseOk(buildVxlan({ ...OUTER4, udp: { checksum: false, sport: 1111 } }, 1, innerTcp()));
    expect(p.l4).to.deep.include({ checksum: 0, srcPort: 1111 });
  });

  it('Geneve with TLV options: encap -> parse -> decap', () => {
    const inner = innerTcp();
    const opts = [
      { class: 0x0103, type: 0x01, data: fromHex('deadbeef') },
      { class: 0xffff, type: 0x80, data: fromHex('0102030405') }, // padded to 8, critical type bit
      { class: 0x0000, type: 0x02 },
    ];
    const f = buildGeneve(OUTER4, 0x123456, opts, inner);
    const p = parseOk(f);
    const t = p.tunnel!;
    expect(t).to.deep.include({ kind: 'geneve', vni: 0x123456, protocolType: 0x6558, oam: false, critical: true, offset: 42 });
    expect(t.options!.map((o) => [o.class, o.type, Buffer.from(o.data).toString('hex')])).to.deep.equal([
      [0x0103, 1, 'deadbeef'], [0xffff, 0x80, '0102030405000000'], [0, 2, ''],
    ]);
    expect(t.innerOffset).to.equal(42 + 8 + 8 + 12 + 4);
    expect(t.inner!.l4).to.deep.include({ kind: 'tcp', dstPort: 80 });
    expect(decapsulate(f)).to.deep.equal(inner);
    expect(verifyChecksums(f)).to.deep.equal([]);
  });

  it('Geneve with a non-Ethernet protocol type has no parsed inner, but decapsulates', () => {
    const ipOnly = innerTcp().slice(14);
    const f = buildGeneve(OUTER6, 7, [], ipOnly, { protocolType: 0x0800, oam: true });
    const p = parseOk(f);
    expect(p.tunnel).to.deep.include({ protocolType: 0x0800, oam: true, critical: false });
    expect(p.tunnel!.inner).to.equal(undefined);
    expect(decapsulate(f)).to.deep.equal(ipOnly);
  });

  it('decapsulate returns null for non-tunnel or broken frames', () => {
    expect(decapsulate(innerTcp())).to.equal(null);
    expect(decapsulate(new Uint8Array(3))).to.equal(null);
    const f = buildVxlan(OUTER4, 1, innerTcp());
    f[42] = 0; // clear I flag
    expect(decapsulate(f)).to.equal(null);
  });

  it('outer source port comes from a deterministic inner flow hash', () => {
    const a = parseOk(buildVxlan(OUTER4, 1, innerTcp()));
    const b = parseOk(buildVxlan(OUTER6, 2, innerTcp()));
    const sport = a.l4?.kind === 'udp' ? a.l4.srcPort : -1;
    expect(sport).to.be.within(TUNNEL_SPORT_MIN, 65535);
    expect(b.l4?.kind === 'udp' && b.l4.srcPort).to.equal(sport);
    const h = flowHash(parseOk(innerTcp()));
    expect(sport).to.equal(TUNNEL_SPORT_MIN + (h % (65536 - TUNNEL_SPORT_MIN)));
    expect(flowHash(a.tunnel!.inner!)).to.equal(h);
    const other = buildFrame({ ipv4: { src: '192.168.1.10', dst: '192.168.1.20' }, tcp: { sport: 12346, dport: 80 } });
    expect(flowHash(parseOk(other))).to.not.equal(h);
    expect(flowHash(parseOk(innerTcp()))).to.equal(h); // stable across calls
  });

  it('rejects bad VNI and oversize options', () => {
    expect(() => buildVxlan(OUTER4, 1 << 24, innerTcp())).to.throw(BuildError);
    expect(() => buildGeneve(OUTER4, 1, [{ class: 1, type: 1, data: new Uint8Array(200) }], innerTcp())).to.throw(BuildError);
    expect(() => buildVxlan({}, 1, innerTcp())).to.throw(BuildError);
  });
});
