import { expect } from 'chai';
import {
  familyOf, formatIp, formatIpv4, formatIpv6, formatMac, hostBitsZero, parseIp, parseIpv4, parseIpv6, parseMac, parsePrefix, prefixContains,
} from '../../src/hal/addresses.js';

const bytes = (b: Uint8Array | null): number[] | null => (b ? Array.from(b) : null);
const v6 = (text: string): string => {
  const b = parseIpv6(text);
  if (!b) throw new Error(`unparseable ${text}`);
  return formatIpv6(b);
};
const words = (...w: number[]): Uint8Array => {
  const out = new Uint8Array(16);
  w.forEach((x, i) => {
    out[2 * i] = x >> 8;
    out[2 * i + 1] = x & 0xff;
  });
  return out;
};

describe('hal/addresses', () => {
  describe('parseIpv4 (strict dotted quad)', () => {
    it('accepts valid quads and yields the bytes', () => {
      expect(bytes(parseIpv4('0.0.0.0'))).to.deep.equal([0, 0, 0, 0]);
      expect(bytes(parseIpv4('255.255.255.255'))).to.deep.equal([255, 255, 255, 255]);
      expect(bytes(parseIpv4('192.168.10.1'))).to.deep.equal([192, 168, 10, 1]);
      expect(bytes(parseIpv4('10.0.100.9'))).to.deep.equal([10, 0, 100, 9]);
    });
    it('rejects leading zeros', () => {
      for (const bad of ['01.2.3.4', '1.02.3.4', '1.2.3.004', '00.0.0.0', '010.0.0.1']) expect(parseIpv4(bad), bad).to.equal(null);
    });
    it('rejects out-of-range parts', () => {
      for (const bad of ['256.0.0.0', '1.2.3.256', '999.1.1.1', '1.2.3.1000']) expect(parseIpv4(bad), bad).to.equal(null);
    });
    it('rejects the wrong number of parts and shorthand', () => {
      for (const bad of ['1.2.3', '1.2.3.4.5', '1', '', '1..2.3', '1.2.3.', '.1.2.3', '127.1', '0x7f.0.0.1']) expect(parseIpv4(bad), bad).to.equal(null);
    });
    it('rejects signs, spaces and non-digits', () => {
      for (const bad of ['1.2.3.-4', '+1.2.3.4', ' 1.2.3.4', '1.2.3.4 ', 'a.b.c.d', '1.2.3.4/8', '１.2.3.4']) expect(parseIpv4(bad), bad).to.equal(null);
    });
    it('formatIpv4 prints a dotted quad', () => {
      expect(formatIpv4(Uint8Array.from([10, 0, 0, 255]))).to.equal('10.0.0.255');
    });
  });

  describe('parseIpv6 (RFC 4291 text forms)', () => {
    it('parses :: and ::1', () => {
      expect(bytes(parseIpv6('::'))).to.deep.equal(new Array(16).fill(0));
      expect(bytes(parseIpv6('::1'))).to.deep.equal([...new Array(15).fill(0), 1]);
    });
    it('parses the full form, with and without leading zeros, any case', () => {
      const want = Array.from(words(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
      expect(bytes(parseIpv6('2001:0db8:0000:0000:0000:0000:0000:0001'))).to.deep.equal(want);
      expect(bytes(parseIpv6('2001:db8:0:0:0:0:0:1'))).to.deep.equal(want);
      expect(bytes(parseIpv6('2001:DB8::1'))).to.deep.equal(want);
      expect(bytes(parseIpv6('2001:db8::0:1'))).to.deep.equal(want);
    });
    it('parses :: at the start, middle and end', () => {
      expect(bytes(parseIpv6('fe80::'))).to.deep.equal(Array.from(words(0xfe80)));
      expect(bytes(parseIpv6('1:2::7:8'))).to.deep.equal(Array.from(words(1, 2, 0, 0, 0, 0, 7, 8)));
      expect(bytes(parseIpv6('::2:3:4:5:6:7:8'))).to.deep.equal(Array.from(words(0, 2, 3, 4, 5, 6, 7, 8)));
      expect(bytes(parseIpv6('1:2:3:4:5:6:7::'))).to.deep.equal(Array.from(words(1, 2, 3, 4, 5, 6, 7, 0)));
    });
    it('parses an embedded IPv4 tail (compressed and full form)', () => {
      expect(bytes(parseIpv6('::ffff:192.0.2.1'))).to.deep.equal(Array.from(words(0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201)));
      expect(bytes(parseIpv6('0:0:0:0:0:ffff:192.0.2.1'))).to.deep.equal(Array.from(words(0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201)));
      expect(bytes(parseIpv6('64:ff9b::10.0.0.1'))).to.deep.equal(Array.from(words(0x64, 0xff9b, 0, 0, 0, 0, 0x0a00, 0x0001)));
      expect(bytes(parseIpv6('::1.2.3.4'))).to.deep.equal(Array.from(words(0, 0, 0, 0, 0, 0, 0x0102, 0x0304)));
    });
    it('rejects a bad embedded IPv4 tail', () => {
      for (const bad of ['::256.0.0.1', '::1.2.3', '::01.2.3.4', '::1.2.3.4:5', '1:2:3:4:5:6:7:1.2.3.4', '1:2:3:4:5:1.2.3.4']) {
        expect(parseIpv6(bad), bad).to.equal(null);
      }
    });
    it('rejects too many or too few groups', () => {
      for (const bad of ['1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '1::2:3:4:5:6:7:8', '1:2:3:4::5:6:7:8', '::1:2:3:4:5:6:7:8']) {
        expect(parseIpv6(bad), bad).to.equal(null);
      }
    });
    it('rejects two :: and stray colons', () => {
      for (const bad of ['1::2::3', '::1::', ':::', '::::', ':1', '1:', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:', '1:::2']) {
        expect(parseIpv6(bad), bad).to.equal(null);
      }
    });
    it('rejects bad groups and characters', () => {
      for (const bad of ['', ':', '12345::', 'g::1', '::1%eth0', '[::1]', ' ::1', '::-1', '1.2.3.4', '2001:db8::/32']) {
        expect(parseIpv6(bad), bad).to.equal(null);
      }
    });
  });

  describe('formatIpv6 (RFC 5952)', () => {
    const cases: [string, string][] = [
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'], // 4.1 no leading zeros, 4.2.1 shorten
      ['2001:DB8:0:0:0:0:0:A', '2001:db8::a'], // 4.3 lowercase
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // 4.2.2 a single zero group is not compressed
      ['2001:db8::1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // 4.2.3 first of equal runs
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // 4.2.3 longest run wins
      ['0:0:1:0:0:0:0:0', '0:0:1::'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['0:0:0:0:0:0:0:1', '::1'],
      ['1:0:0:0:0:0:0:0', '1::'],
      ['fe80:0:0:0:0:0:0:0', 'fe80::'],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
      ['ABCD:EF01:2345:6789:ABCD:EF01:2345:6789', 'abcd:ef01:2345:6789:abcd:ef01:2345:6789'],
      ['::192.0.2.1', '::c000:201'],
      ['0:1:0:1:0:1:0:1', '0:1:0:1:0:1:0:1'],
    ];
    for (const [input, want] of cases) it(`${input} -> ${want}`, () => expect(v6(input)).to.equal(want));

    it('IPv4-mapped addresses are written with a dotted tail (RFC 5952 §5; hal-spec/README.md §4.1)', () => {
      expect(v6('::ffff:10.0.0.1')).to.equal('::ffff:10.0.0.1');
      expect(v6('::ffff:a00:1')).to.equal('::ffff:10.0.0.1');
      expect(v6('0:0:0:0:0:ffff:192.0.2.1')).to.equal('::ffff:192.0.2.1');
    });

    it('formats from raw bytes', () => {
      expect(formatIpv6(words(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0))).to.equal('2001:db8::');
      expect(formatIpv6(words(0, 0, 0, 0, 0, 0, 0, 0))).to.equal('::');
    });
  });

  describe('parseIp / formatIp / familyOf', () => {
    it('dispatches on the presence of ":"', () => {
      expect(bytes(parseIp('10.1.2.3'))).to.deep.equal([10, 1, 2, 3]);
      expect(parseIp('::1')?.length).to.equal(16);
      expect(parseIp('10.1.2')).to.equal(null);
      expect(parseIp('zz')).to.equal(null);
      expect(formatIp(Uint8Array.from([1, 2, 3, 4]))).to.equal('1.2.3.4');
      expect(formatIp(words(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))).to.equal('2001:db8::1');
      expect(familyOf('10.0.0.1')).to.equal(4);
      expect(familyOf('::1')).to.equal(6);
      expect(familyOf('2001:db8::/32')).to.equal(6);
    });
  });

  describe('parsePrefix', () => {
    it('parses IPv4 and IPv6 prefixes and reports host bits', () => {
      const p = parsePrefix('10.1.0.0/16')!;
      expect(p.family).to.equal(4);
      expect(p.length).to.equal(16);
      expect(bytes(p.bytes)).to.deep.equal([10, 1, 0, 0]);
      expect(p.hostBitsZero).to.equal(true);
      expect(parsePrefix('10.1.0.1/16')!.hostBitsZero).to.equal(false);
      expect(parsePrefix('10.1.128.0/17')!.hostBitsZero).to.equal(true);
      expect(parsePrefix('10.1.128.0/16')!.hostBitsZero).to.equal(false);
      const q = parsePrefix('2001:db8::/32')!;
      expect(q.family).to.equal(6);
      expect(q.length).to.equal(32);
      expect(q.hostBitsZero).to.equal(true);
      expect(parsePrefix('2001:db8::1/64')!.hostBitsZero).to.equal(false);
    });
    it('accepts the length bounds 0 and 32 / 128', () => {
      expect(parsePrefix('0.0.0.0/0')!.length).to.equal(0);
      expect(parsePrefix('1.2.3.4/32')!.hostBitsZero).to.equal(true);
      expect(parsePrefix('::/0')!.length).to.equal(0);
      expect(parsePrefix('::1/128')!.hostBitsZero).to.equal(true);
      expect(parsePrefix('1.2.3.4/0')!.hostBitsZero).to.equal(false);
    });
    it('rejects bad lengths and shapes', () => {
      for (const bad of ['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0', '10.0.0.0/-1', '10.0.0.0/08', '10.0.0.0/1a', '10.0.0/8', '/8', '10.0.0.0/8/8', '2001:db8::/1000']) {
        expect(parsePrefix(bad), bad).to.equal(null);
      }
    });
    it('hostBitsZero checks exactly the bits beyond the length', () => {
      expect(hostBitsZero(Uint8Array.from([10, 0, 0, 0]), 8)).to.equal(true);
      expect(hostBitsZero(Uint8Array.from([10, 0, 0, 1]), 31)).to.equal(false);
      expect(hostBitsZero(Uint8Array.from([10, 0, 0, 1]), 32)).to.equal(true);
      expect(hostBitsZero(Uint8Array.from([0x80, 0, 0, 0]), 0)).to.equal(false);
      expect(hostBitsZero(Uint8Array.from([0x80, 0, 0, 0]), 1)).to.equal(true);
    });
  });

  describe('prefixContains', () => {
    const p = (s: string) => parsePrefix(s)!;
    const a = (s: string) => parseIp(s)!;
    it('byte-aligned and unaligned prefixes', () => {
      expect(prefixContains(p('10.0.0.0/8'), a('10.255.1.2'))).to.equal(true);
      expect(prefixContains(p('10.0.0.0/8'), a('11.0.0.0'))).to.equal(false);
      expect(prefixContains(p('192.168.0.0/23'), a('192.168.1.255'))).to.equal(true);
      expect(prefixContains(p('192.168.0.0/23'), a('192.168.2.0'))).to.equal(false);
      expect(prefixContains(p('10.0.0.128/25'), a('10.0.0.127'))).to.equal(false);
      expect(prefixContains(p('10.0.0.128/25'), a('10.0.0.128'))).to.equal(true);
    });
    it('/0 contains everything of its family, /32 only itself', () => {
      expect(prefixContains(p('0.0.0.0/0'), a('1.2.3.4'))).to.equal(true);
      expect(prefixContains(p('1.2.3.4/32'), a('1.2.3.4'))).to.equal(true);
      expect(prefixContains(p('1.2.3.4/32'), a('1.2.3.5'))).to.equal(false);
      expect(prefixContains(p('::/0'), a('2001:db8::1'))).to.equal(true);
    });
    it('IPv6', () => {
      expect(prefixContains(p('2001:db8::/32'), a('2001:db8:ffff::1'))).to.equal(true);
      expect(prefixContains(p('2001:db8::/32'), a('2001:db9::1'))).to.equal(false);
      expect(prefixContains(p('2001:db8::/33'), a('2001:db8:8000::'))).to.equal(false);
      expect(prefixContains(p('2001:db8::/33'), a('2001:db8:7fff::'))).to.equal(true);
    });
    it('never matches across families', () => {
      expect(prefixContains(p('0.0.0.0/0'), a('::1'))).to.equal(false);
      expect(prefixContains(p('::/0'), a('1.2.3.4'))).to.equal(false);
    });
  });

  describe('MAC', () => {
    it('parses colon-separated hex in any case', () => {
      expect(bytes(parseMac('00:1a:2B:3c:4D:ff'))).to.deep.equal([0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0xff]);
    });
    it('rejects other separators and shapes', () => {
      for (const bad of ['00-1a-2b-3c-4d-5e', '001a.2b3c.4d5e', '001a2b3c4d5e', '0:1a:2b:3c:4d:5e', '00:1a:2b:3c:4d', '00:1a:2b:3c:4d:5e:6f', '00:1a:2b:3c:4d:5g', '', '00:1a:2b:3c:4d:5e ']) {
        expect(parseMac(bad), bad).to.equal(null);
      }
    });
    it('formats lowercase, zero padded', () => {
      expect(formatMac(Uint8Array.from([0, 0x1a, 0xb, 0xc, 0xd, 0xff]))).to.equal('00:1a:0b:0c:0d:ff');
    });
  });
});
