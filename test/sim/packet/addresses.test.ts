import { expect } from 'chai';
import {
  formatIpv4, formatIpv6, formatMac, parseIpv4Text, parseIpv6Text, parseMacText,
} from '../../../src/sim/packet/index.js';

const v6 = (text: string): string => {
  const b = parseIpv6Text(text);
  if (!b) throw new Error(`unparseable ${text}`);
  return formatIpv6(b);
};

describe('packet/addresses', () => {
  describe('RFC 5952 IPv6 text', () => {
    const cases: [string, string][] = [
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'], // §4.1 leading zeros, §4.2.1 shorten
      ['2001:DB8::A', '2001:db8::a'], // §4.3 lowercase
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // §4.2.2 one zero group stays
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // §4.2.3 first of equal runs
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // §4.2.3 longest run wins
      ['0:0:0:0:0:0:0:0', '::'],
      ['0:0:0:0:0:0:0:1', '::1'],
      ['1:0:0:0:0:0:0:0', '1::'],
      ['fe80:0:0:0:0:0:0:0', 'fe80::'],
      ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
      ['::ffff:c000:0201', '::ffff:192.0.2.1'], // §5 IPv4-mapped in mixed notation
      ['::192.0.2.1', '::c000:201'], // deprecated IPv4-compatible: plain hex
      ['0:0:1:0:0:0:0:0', '0:0:1::'],
    ];
    for (const [input, want] of cases) it(`${input} -> ${want}`, () => expect(v6(input)).to.equal(want));

    it('rejects invalid IPv6 text', () => {
      for (const bad of ['', ':', ':::', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'g::1', '1::2:3:4:5:6:7:8', '::1%eth0', '::256.0.0.1']) {
        expect(parseIpv6Text(bad), bad).to.equal(null);
      }
    });
  });

  it('IPv4 text round trip and strictness', () => {
    expect(formatIpv4(parseIpv4Text('192.168.0.255')!)).to.equal('192.168.0.255');
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-4', 'a.b.c.d', '1..2.3']) {
      expect(parseIpv4Text(bad), bad).to.equal(null);
    }
  });

  it('MAC text round trip, lowercase output', () => {
    expect(formatMac(parseMacText('AA:BB:cc:0d:EE:0f')!)).to.equal('aa:bb:cc:0d:ee:0f');
    expect(formatMac(parseMacText('aa-bb-cc-dd-ee-ff')!)).to.equal('aa:bb:cc:dd:ee:ff');
    for (const bad of ['', 'aa:bb:cc:dd:ee', 'aa:bb:cc:dd:ee:ff:00', 'aa:bb-cc:dd:ee:ff', 'aabbccddeeff', 'gg:bb:cc:dd:ee:ff']) {
      expect(parseMacText(bad), bad).to.equal(null);
    }
  });
});
