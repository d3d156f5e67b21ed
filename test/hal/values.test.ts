import { expect } from 'chai';
import { HalError } from '../../src/hal/errors.js';
import {
  checkId, checkIp, checkIpv4, checkIpv6, checkL4Port, checkMac, checkPrefix, checkSpi, checkVni, ip, ipBytes, ipv4, ipv6, l4Port, mac, prefix, spi, vni,
} from '../../src/hal/values.js';

function thrown(f: () => unknown): HalError {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(HalError);
    return e as HalError;
  }
  throw new Error('expected a HalError');
}

function expectInvalid(f: () => unknown, reason: 'FIELD_INVALID' | 'NOT_CANONICAL', message?: string): void {
  const e = thrown(f);
  expect(e.code).to.equal('INVALID_ARGUMENT');
  expect(e.reason).to.equal(reason);
  expect(e.fieldPath).to.equal('');
  if (message !== undefined) expect(e.message).to.equal(message);
}

describe('hal/values', () => {
  describe('canonicalizing constructors', () => {
    it('ip() canonicalizes IPv6 to RFC 5952 and keeps IPv4', () => {
      expect(ip('2001:DB8::1')).to.equal('2001:db8::1');
      expect(ip('2001:0db8:0000:0000:0000:0000:0000:0001')).to.equal('2001:db8::1');
      expect(ip('0:0:0:0:0:0:0:0')).to.equal('::');
      expect(ip('10.0.0.1')).to.equal('10.0.0.1');
      expect(ipv6('FE80:0:0:0:0:0:0:1')).to.equal('fe80::1');
      expect(ipv4('192.0.2.1')).to.equal('192.0.2.1');
    });
    it('ip()/ipv4()/ipv6() reject bad text with FIELD_INVALID', () => {
      expectInvalid(() => ip('10.0.0.256'), 'FIELD_INVALID', '"10.0.0.256" is not an IPv4 address');
      expectInvalid(() => ip('1::2::3'), 'FIELD_INVALID', '"1::2::3" is not an IPv6 address');
      expectInvalid(() => ipv4('010.0.0.1'), 'FIELD_INVALID', '"010.0.0.1" is not an IPv4 address');
      expectInvalid(() => ipv4('::1'), 'FIELD_INVALID');
      expectInvalid(() => ipv6('10.0.0.1'), 'FIELD_INVALID', '"10.0.0.1" is not an IPv6 address');
      expectInvalid(() => ip(''), 'FIELD_INVALID');
    });
    it('prefix() canonicalizes the address and rejects host bits as NOT_CANONICAL', () => {
      expect(prefix('2001:DB8:0:0::/32')).to.equal('2001:db8::/32');
      expect(prefix('10.0.0.0/8')).to.equal('10.0.0.0/8');
      expect(prefix('0.0.0.0/0')).to.equal('0.0.0.0/0');
      expectInvalid(() => prefix('10.0.0.1/8'), 'NOT_CANONICAL', '"10.0.0.1/8" has host bits set: use "10.0.0.0/8"');
      expectInvalid(() => prefix('2001:db8::1/32'), 'NOT_CANONICAL', '"2001:db8::1/32" has host bits set: use "2001:db8::/32"');
      expectInvalid(() => prefix('10.0.0.0/33'), 'FIELD_INVALID', '"10.0.0.0/33" is not an IP prefix (address/length)');
      expectInvalid(() => prefix('10.0.0.0'), 'FIELD_INVALID');
      expectInvalid(() => prefix('10.0.0/8'), 'FIELD_INVALID');
    });
    it('mac() lowercases and rejects other shapes', () => {
      expect(mac('AA:BB:CC:0D:0E:0F')).to.equal('aa:bb:cc:0d:0e:0f');
      expect(mac('aa:bb:cc:dd:ee:ff')).to.equal('aa:bb:cc:dd:ee:ff');
      expectInvalid(() => mac('aa-bb-cc-dd-ee-ff'), 'FIELD_INVALID', '"aa-bb-cc-dd-ee-ff" is not a MAC address (aa:bb:cc:dd:ee:ff)');
      expectInvalid(() => mac('aa:bb:cc:dd:ee'), 'FIELD_INVALID');
    });
    it('ipBytes() returns the address bytes or throws FIELD_INVALID', () => {
      expect(Array.from(ipBytes(ip('1.2.3.4')))).to.deep.equal([1, 2, 3, 4]);
      expect(ipBytes('::1')).to.have.length(16);
      expectInvalid(() => ipBytes('nope'), 'FIELD_INVALID', '"nope" is not an IP address');
    });
  });

  describe('numeric brands', () => {
    it('l4Port: 0..65535 integers', () => {
      expect(l4Port(0)).to.equal(0);
      expect(l4Port(65535)).to.equal(65535);
      expectInvalid(() => l4Port(65536), 'FIELD_INVALID', '65536 is not a valid L4 port (0..65535)');
      expectInvalid(() => l4Port(-1), 'FIELD_INVALID', '-1 is not a valid L4 port (0..65535)');
      expectInvalid(() => l4Port(80.5), 'FIELD_INVALID');
      expectInvalid(() => l4Port(Number.NaN), 'FIELD_INVALID');
    });
    it('vni: 0..2^24-1', () => {
      expect(vni(0)).to.equal(0);
      expect(vni(0xffffff)).to.equal(0xffffff);
      expectInvalid(() => vni(0x1000000), 'FIELD_INVALID', '16777216 is not a valid VNI (0..16777215)');
      expectInvalid(() => vni(-1), 'FIELD_INVALID');
    });
    it('spi: 256..2^32-1 (0..255 reserved)', () => {
      expect(spi(256)).to.equal(256);
      expect(spi(0xffffffff)).to.equal(0xffffffff);
      for (const bad of [0, 1, 255]) expectInvalid(() => spi(bad), 'FIELD_INVALID', `${bad} is not a valid SPI (256..4294967295)`);
      expectInvalid(() => spi(2 ** 32), 'FIELD_INVALID');
      expectInvalid(() => spi(300.5), 'FIELD_INVALID');
    });
  });

  describe('check functions (used by the codecs)', () => {
    it('checkIpv6 / checkIp: non-canonical text is NOT_CANONICAL with the canonical form', () => {
      expect(checkIpv6('2001:db8::1')).to.equal(null);
      expect(checkIpv6('2001:DB8::1')).to.deep.equal({ reason: 'NOT_CANONICAL', message: '"2001:DB8::1" is not canonical (RFC 5952): use "2001:db8::1"' });
      expect(checkIp('2001:db8:0:0:0:0:0:1')).to.deep.equal({ reason: 'NOT_CANONICAL', message: '"2001:db8:0:0:0:0:0:1" is not canonical (RFC 5952): use "2001:db8::1"' });
      expect(checkIpv6('1.2.3.4')).to.deep.equal({ reason: 'FIELD_INVALID', message: '"1.2.3.4" is not an IPv6 address' });
      expect(checkIp('1.2.3.4')).to.equal(null);
      // hal-spec §4.1 / RFC 5952 §5: IPv4-mapped addresses use the dotted tail.
      expect(checkIp('::ffff:10.0.0.1')).to.equal(null);
      expect(checkIp('::ffff:a00:1')).to.deep.equal({ reason: 'NOT_CANONICAL', message: '"::ffff:a00:1" is not canonical (RFC 5952): use "::ffff:10.0.0.1"' });
      expect(ip('::ffff:a00:1')).to.equal('::ffff:10.0.0.1');
      expect(checkIpv4('1.2.3.04')).to.deep.equal({ reason: 'FIELD_INVALID', message: '"1.2.3.04" is not an IPv4 address' });
    });
    it('checkPrefix: invalid, non-canonical address, host bits', () => {
      expect(checkPrefix('10.0.0.0/24')).to.equal(null);
      expect(checkPrefix('10.0.0.0/24x')?.reason).to.equal('FIELD_INVALID');
      expect(checkPrefix('2001:DB8::/32')).to.deep.equal({ reason: 'NOT_CANONICAL', message: '"2001:DB8::" is not canonical (RFC 5952): use "2001:db8::"' });
      expect(checkPrefix('10.0.0.1/24')).to.deep.equal({ reason: 'NOT_CANONICAL', message: '"10.0.0.1/24" has host bits set: use "10.0.0.0/24"' });
    });
    it('checkMac: uppercase is NOT_CANONICAL', () => {
      expect(checkMac('aa:bb:cc:dd:ee:ff')).to.equal(null);
      expect(checkMac('AA:bb:cc:dd:ee:ff')).to.deep.equal({ reason: 'NOT_CANONICAL', message: '"AA:bb:cc:dd:ee:ff" is not canonical: use "aa:bb:cc:dd:ee:ff"' });
      expect(checkMac('aabbccddeeff')?.reason).to.equal('FIELD_INVALID');
    });
    it('checkId: 1..128 of [A-Za-z0-9._:/-]', () => {
      expect(checkId('a')).to.equal(null);
      expect(checkId('ns/name:v1.2_x-y')).to.equal(null);
      expect(checkId('x'.repeat(128))).to.equal(null);
      expect(checkId('x'.repeat(129))?.reason).to.equal('FIELD_INVALID');
      expect(checkId('')).to.deep.equal({ reason: 'FIELD_INVALID', message: '"" is not an id (1..128 of [A-Za-z0-9._:/-])' });
      for (const bad of ['a b', 'a@b', 'é', 'a\n']) expect(checkId(bad), bad).to.not.equal(null);
    });
    it('numeric checks return null or FIELD_INVALID', () => {
      expect(checkL4Port(443)).to.equal(null);
      expect(checkVni(5000)).to.equal(null);
      expect(checkSpi(256)).to.equal(null);
      expect(checkSpi(255)).to.deep.equal({ reason: 'FIELD_INVALID', message: '255 is not a valid SPI (256..4294967295)' });
    });
  });
});

describe('hal/values: checkPrefix fast path agrees with the full parse', () => {
  it('on a sweep of IPv4 prefix texts, valid, non-canonical and malformed', async () => {
    const { checkPrefix } = await import('../../src/hal/values.js');
    const { parsePrefix } = await import('../../src/hal/addresses.js');
    const texts = ['10.0.0.0/8', '10.0.0.1/8', '0.0.0.0/0', '1.2.3.4/32', '255.255.255.255/32', '255.255.255.254/31', '10.0.0.0/33', '10.0.0.0/08', '10.0.0.0/', '10.0.0.0',
      '010.0.0.0/8', '10.0.0.0/8/', '10.0.0.0.0/8', '10.0..0/8', '256.0.0.0/8', '10.0.0.0/100', '10.0.0.0/0', '1.0.0.0/7', '2.0.0.0/7', '10.1.2.0/24', '10.1.2.128/25', '10.1.2.64/25', ' 10.0.0.0/8', '10.0.0.0/8 ', '::/0'];
    for (let a = 0; a < 256; a += 37) for (let len = 0; len <= 32; len += 3) texts.push(`${a}.${(a * 7) & 255}.${(a * 13) & 255}.0/${len}`);
    for (const t of texts) {
      const p = parsePrefix(t);
      const fullValid = p !== null && p.hostBitsZero;
      // The full definition: checkPrefix without the fast path is parse + canonical address + zero host bits.
      const problem = checkPrefix(t);
      if (problem === null) expect(fullValid, t).to.equal(true);
      if (fullValid && !t.includes(':')) expect(problem, t).to.equal(null);
    }
  });
});
