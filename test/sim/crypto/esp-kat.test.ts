// Known answers for ESP with AES-GCM: the test cases of draft-mcgrew-gcm-test-01
// ("Test Cases for the use of GCM in IPsec ESP", McGrew & Viega) that use 32-bit
// sequence numbers (8-byte AAD = SPI || seq) and 128/256-bit keys. Each vector
// is an ESP packet: SPI, sequence number, IV, ciphertext, ICV; the plaintext
// ends in the RFC 4303 trailer (padding 01 02, pad length 2, next header 1).

import { expect } from 'chai';
import { createCipheriv, createSecretKey } from 'node:crypto';
import type { IpsecSaEntry } from '../../../src/hal/generated/types.js';
import { EspSa, espUnprotect, openEsp, sealEsp, type AeadKey, type GcmAlgorithm } from '../../../src/sim/crypto/index.js';
import { buildFrame, parsePacket } from '../../../src/sim/packet/index.js';

const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface Vector {
  name: string;
  algorithm: GcmAlgorithm;
  key: string;
  salt: string;
  spi: number;
  seq: number;
  iv: string;
  /** Plaintext including the ESP trailer. */
  plaintext: string;
  ciphertext: string;
  icv: string;
}

const VECTORS: Vector[] = [
  {
    name: 'draft-mcgrew-gcm-test-01 case 3 (AES-256, IPv4/TCP SYN)',
    algorithm: 'AES_GCM_256',
    key: 'abbccddef00112233445566778899aab abbccddef00112233445566778899aab',
    salt: '11223344',
    spi: 0x4a2cbfe3,
    seq: 2,
    iv: '0102030405060708',
    plaintext: `4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000
                7002400020bf0000020405b40101040201020201`,
    ciphertext: `ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763
                 748a637985771d347f0545659f14e99def842d8e`,
    icv: 'b335f4eecfdbf831824b4c4915956c96',
  },
  {
    name: 'draft-mcgrew-gcm-test-01 case 4 (AES-128, all-zero key, IPv4/ICMP echo)',
    algorithm: 'AES_GCM_128',
    key: '00000000000000000000000000000000',
    salt: '00000000',
    spi: 0,
    seq: 1,
    iv: '0000000000000000',
    plaintext: `4500003c99c500008001cb7a40679318010101010800075c0200440061626364
                65666768696a6b6c6d6e6f707172737475767761626364656667686901020201`,
    ciphertext: `4688daf2f973a392732909c331d56d60f694abaa414b5e7ff5fdcdfff5e9a284
                 456476492719ffb64de7d9dca1e1d894bc3bd57873ed4d181d19d4d5c8c18af3`,
    icv: 'f821d496eeb096e98ad2b69e4799c71d',
  },
  {
    name: 'draft-mcgrew-gcm-test-01 case 5 (AES-128, empty payload, seq 2^32-1)',
    algorithm: 'AES_GCM_128',
    key: '7d773d00c144c525ac619d18c84a3f47',
    salt: 'd9664267',
    spi: 0x335467ae,
    seq: 0xffffffff,
    iv: '43457e9182443bc6',
    plaintext: '01020201',
    ciphertext: '437f866b',
    icv: 'cb3f699fe9b0822bac961c4504bef270',
  },
];

function aead(v: Vector): AeadKey {
  return { algorithm: v.algorithm, key: createSecretKey(Buffer.from(fromHex(v.key))), salt: fromHex(v.salt) };
}

const u32 = (n: number): string => n.toString(16).padStart(8, '0');

describe('crypto/ESP known answers (draft-mcgrew-gcm-test-01)', () => {
  for (const v of VECTORS) {
    const plain = fromHex(v.plaintext);
    const payload = plain.subarray(0, plain.length - 4); // strip 01 02 | 02 | 01
    const packet = u32(v.spi) + u32(v.seq) + v.iv + v.ciphertext.replace(/\s+/g, '') + v.icv;

    it(`${v.name}: sealEsp produces the packet byte for byte`, () => {
      expect(hex(sealEsp(aead(v), v.spi, v.seq, fromHex(v.iv), payload, 1))).to.equal(packet);
    });

    it(`${v.name}: openEsp recovers payload and trailer`, () => {
      const r = openEsp(aead(v), fromHex(packet));
      expect(r.ok).to.equal(true);
      if (!r.ok) return;
      expect(hex(r.payload)).to.equal(hex(payload));
      expect([r.spi, r.seq, r.padLength, r.nextHeader]).to.deep.equal([v.spi, v.seq, 2, 1]);
    });

    it(`${v.name}: any single flipped bit fails authentication`, () => {
      const good = fromHex(packet);
      for (let i = 0; i < good.length; i++) {
        const bad = good.slice();
        bad[i] ^= 0x01 << (i % 8);
        expect(openEsp(aead(v), bad), `byte ${i}`).to.deep.equal({ ok: false, reason: 'ipsec-auth-failed' });
      }
    });
  }

  it('a wrong key or salt fails authentication', () => {
    const v = VECTORS[1];
    const packet = fromHex(u32(v.spi) + u32(v.seq) + v.iv + v.ciphertext.replace(/\s+/g, '') + v.icv);
    const otherKey = { ...aead(v), key: createSecretKey(Buffer.alloc(16, 1)) };
    const otherSalt = { ...aead(v), salt: fromHex('00000001') };
    expect(openEsp(otherKey, packet)).to.deep.equal({ ok: false, reason: 'ipsec-auth-failed' });
    expect(openEsp(otherSalt, packet)).to.deep.equal({ ok: false, reason: 'ipsec-auth-failed' });
  });

  it('rejects packets too short or misaligned before any crypto; authentic packets with a bad trailer are refused', () => {
    const v = VECTORS[2];
    const k = aead(v);
    expect(openEsp(k, new Uint8Array(35))).to.deep.equal({ ok: false, reason: 'ipsec-malformed' });
    expect(openEsp(k, new Uint8Array(38))).to.deep.equal({ ok: false, reason: 'ipsec-malformed' });
    // Authentic packets whose plaintext we choose freely, built straight from RFC 4106 with node:crypto.
    const forge = (plaintext: string): Uint8Array => {
      const head = fromHex(u32(v.spi) + u32(9) + v.iv);
      const c = createCipheriv('aes-128-gcm', k.key, Buffer.concat([k.salt, fromHex(v.iv)]), { authTagLength: 16 });
      c.setAAD(head.subarray(0, 8));
      const body = Buffer.concat([c.update(fromHex(plaintext)), c.final()]);
      return new Uint8Array(Buffer.concat([head, body, c.getAuthTag()]));
    };
    expect(openEsp(k, forge('aabbccdd 0102 02 04')).ok).to.equal(true);
    expect(openEsp(k, forge('aabbccdd 0103 02 04'))).to.deep.equal({ ok: false, reason: 'ipsec-bad-trailer' });
    expect(openEsp(k, forge('0000 ff 04'))).to.deep.equal({ ok: false, reason: 'ipsec-bad-trailer' });
  });

  it('espUnprotect on a frame carrying the draft\'s case 3 packet: transport restores protocol 1, tunnel refuses it', () => {
    // The draft's plaintexts are IPv4 packets but name next header 1, so as
    // transport mode they decode to an "ICMP" payload and as tunnel mode they are
    // not a valid inner packet.
    const v = VECTORS[0];
    const esp = fromHex(u32(v.spi) + u32(v.seq) + v.iv + v.ciphertext.replace(/\s+/g, '') + v.icv);
    const frame = buildFrame({ ipv4: { src: '192.0.2.1', dst: '192.0.2.2', protocol: 50 }, payload: esp });
    const sa = (mode: 'TRANSPORT' | 'TUNNEL') => new EspSa({
      id: `kat-${mode}`, spi: v.spi, direction: 'INBOUND', mode, algorithm: v.algorithm, key: fromHex(v.key), salt: fromHex(v.salt), replayWindow: 32,
      ...(mode === 'TUNNEL' ? { tunnelSrc: '192.0.2.1', tunnelDst: '192.0.2.2' } : {}),
    } as IpsecSaEntry);
    const r = espUnprotect(sa('TRANSPORT'), frame);
    if (!r.ok) throw new Error(r.reason);
    const p = parsePacket(r.frame, { verifyChecksums: false });
    if (!p.ok || p.pkt.l3?.kind !== 'ipv4') throw new Error('restored frame is not IPv4');
    expect([p.pkt.l3.protocol, p.pkt.l3.totalLength, p.pkt.l3.src]).to.deep.equal([1, 20 + 48, '192.0.2.1']);
    expect(hex(r.frame.subarray(14 + 20))).to.equal(hex(fromHex(v.plaintext).subarray(0, 48)));
    expect(r.seq).to.equal(2);
    expect(espUnprotect(sa('TUNNEL'), frame)).to.deep.equal({ ok: false, reason: 'ipsec-bad-inner' });
  });
});
