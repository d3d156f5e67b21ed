// P4Runtime bytestrings (specification §8.3): big-endian, canonical form is the
// shortest encoding (at least one byte). A server accepts longer encodings when
// the extra leading bits are zero; a value wider than the field is OUT_OF_RANGE.

export function toBigInt(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

/** Canonical bytestring of a non-negative integer. */
export function canonical(v: bigint | number): Uint8Array {
  let n = BigInt(v);
  if (n < 0n) throw new RangeError('bytestrings encode non-negative integers');
  const out: number[] = [];
  do {
    out.unshift(Number(n & 0xffn));
    n >>= 8n;
  } while (n > 0n);
  return Uint8Array.from(out);
}

/** Encodes to exactly `bytes` bytes (what packet headers and address fields carry). */
export function toFixed(v: bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let n = v;
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

export function bitsOf(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

export const allOnes = (bitwidth: number) => (1n << BigInt(bitwidth)) - 1n;
