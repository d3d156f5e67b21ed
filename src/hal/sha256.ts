// SHA-256 (FIPS 180-4) of a short message in a caller-owned buffer, into a
// reused state array. Digest records are 20-60 bytes; for these, node:crypto's
// per-call overhead (argument checks, a native call, a result Buffer) cost
// about twice the hashing itself, and the digest is hashed on every update.
// Results are checked against node:crypto in test/hal/sha256.test.ts.

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74,
  0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d,
  0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
  0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
  0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const INIT = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const W = new Int32Array(64);

/** Bytes `buf` needs beyond a `len`-byte message for the padding. */
export const sha256Slack = (len: number): number => (((len + 9 + 63) >> 6) << 6) - len;

/**
 * Hashes buf[0..len) into `out` (eight big-endian words, as signed int32).
 * Pads in place: buf must hold sha256Slack(len) bytes after the message, and
 * those bytes are overwritten.
 */
export function sha256Into(buf: Uint8Array, len: number, out: Int32Array): Int32Array {
  out.set(INIT);
  const total = len + sha256Slack(len);
  buf[len] = 0x80;
  // A few bytes: a loop beats Buffer#fill's argument checks.
  for (let i = len + 1; i < total - 8; i++) buf[i] = 0;
  // Length in bits, 64-bit big-endian (messages here are far below 2^32 bits).
  const hi = Math.floor(len / 0x20000000);
  const lo = (len * 8) >>> 0;
  buf[total - 8] = hi >>> 24;
  buf[total - 7] = hi >>> 16;
  buf[total - 6] = hi >>> 8;
  buf[total - 5] = hi;
  buf[total - 4] = lo >>> 24;
  buf[total - 3] = lo >>> 16;
  buf[total - 2] = lo >>> 8;
  buf[total - 1] = lo;
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) {
      const p = off + i * 4;
      W[i] = (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
    }
    for (let i = 16; i < 64; i++) {
      const a = W[i - 15];
      const b = W[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    let a = out[0];
    let b = out[1];
    let c = out[2];
    let d = out[3];
    let e = out[4];
    let f = out[5];
    let g = out[6];
    let h = out[7];
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + K[i] + W[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + S0 + maj) | 0;
    }
    out[0] = (out[0] + a) | 0;
    out[1] = (out[1] + b) | 0;
    out[2] = (out[2] + c) | 0;
    out[3] = (out[3] + d) | 0;
    out[4] = (out[4] + e) | 0;
    out[5] = (out[5] + f) | 0;
    out[6] = (out[6] + g) | 0;
    out[7] = (out[7] + h) | 0;
  }
  return out;
}
