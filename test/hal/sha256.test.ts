import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { sha256Into, sha256Slack } from '../../src/hal/sha256.js';

const hex = (h: Int32Array) => Array.from(h, (x) => (x >>> 0).toString(16).padStart(8, '0')).join('');

describe('hal/sha256', () => {
  it('equals node:crypto for every length 0..300 (one to six blocks, every padding boundary)', () => {
    const out = new Int32Array(8);
    for (let len = 0; len <= 300; len++) {
      const msg = Buffer.alloc(len);
      for (let i = 0; i < len; i++) msg[i] = (i * 31 + len) & 0xff;
      const buf = Buffer.alloc(len + sha256Slack(len));
      msg.copy(buf);
      expect(hex(sha256Into(buf, len, out)), `length ${len}`).to.equal(createHash('sha256').update(msg).digest('hex'));
    }
  });

  it('FIPS 180-4 example "abc"', () => {
    const buf = Buffer.alloc(64);
    buf.write('abc');
    expect(hex(sha256Into(buf, 3, new Int32Array(8)))).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
