// Checksums: RFC 1071 internet checksum, pseudo-header sums, RFC 1624
// incremental update, and CRC32c (Castagnoli) for SCTP (RFC 9260 / RFC 3309).

/**
 * Unfolded ones'-complement sum of bytes [start, end) taken as big-endian 16-bit
 * words (an odd trailing byte is padded with zero), added to `initial`.
 * Folding is deferred (JS numbers hold 53 bits), so callers can chain sums.
 */
export function sum16(data: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  const last = end - 1;
  for (; i < last; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (i < end) sum += data[i] << 8;
  return sum;
}

/** Fold a ones'-complement sum to 16 bits (end-around carry). */
export function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** RFC 1071 checksum of bytes [start, end) plus `initial` (e.g. a pseudo-header sum): the complemented folded sum. */
export function internetChecksum(data: Uint8Array, start = 0, end = data.length, initial = 0): number {
  return ~foldSum(sum16(data, start, end, initial)) & 0xffff;
}

/** IPv4 pseudo-header sum (RFC 793/768): src, dst, zero+protocol, L4 length. Addresses are read from `data` at the given offsets. */
export function pseudoHeaderSumV4(data: Uint8Array, srcOffset: number, dstOffset: number, protocol: number, length: number): number {
  return sum16(data, srcOffset, srcOffset + 4) + sum16(data, dstOffset, dstOffset + 4) + protocol + length;
}

/** IPv6 pseudo-header sum (RFC 8200 §8.1): src, dst, 32-bit upper-layer length, next header. */
export function pseudoHeaderSumV6(data: Uint8Array, srcOffset: number, dstOffset: number, nextHeader: number, length: number): number {
  return sum16(data, srcOffset, srcOffset + 16) + sum16(data, dstOffset, dstOffset + 16) +
    Math.floor(length / 0x10000) + (length & 0xffff) + nextHeader;
}

/**
 * RFC 1624 eqn. 3: new checksum after one 16-bit word changes from `oldWord` to
 * `newWord`: HC' = ~(~HC + ~m + m'). Unlike eqn. 2 this never yields the 0x0000
 * vs 0xFFFF ambiguity for a non-zero sum.
 */
export function incrementalUpdate16(checksum: number, oldWord: number, newWord: number): number {
  const sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return ~foldSum(sum) & 0xffff;
}

/** Apply incremental updates for a changed byte range (same length, same 16-bit alignment as the checksummed data). */
export function incrementalUpdateBytes(checksum: number, oldBytes: Uint8Array, newBytes: Uint8Array): number {
  let c = checksum;
  for (let i = 0; i < oldBytes.length; i += 2) {
    const o = (oldBytes[i] << 8) | (i + 1 < oldBytes.length ? oldBytes[i + 1] : 0);
    const n = (newBytes[i] << 8) | (i + 1 < newBytes.length ? newBytes[i + 1] : 0);
    if (o !== n) c = incrementalUpdate16(c, o, n);
  }
  return c;
}

// Reflected CRC32c table, polynomial 0x82F63B78 (bit-reversed 0x1EDC6F41).
const CRC32C_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC32c of bytes [start, end). `skip` (optional offset) treats 4 bytes there as zero, as SCTP does for its checksum field. */
export function crc32c(data: Uint8Array, start = 0, end = data.length, skip = -1): number {
  let crc = 0xffffffff;
  const skipEnd = skip >= 0 ? skip + 4 : -1;
  for (let i = start; i < end; i++) {
    const b = i >= skip && i < skipEnd ? 0 : data[i];
    crc = CRC32C_TABLE[(crc ^ b) & 0xff] ^ (crc >>> 8);
  }
  return ~crc >>> 0;
}

/**
 * SCTP checksum value as it must appear in the header. RFC 9260 Appendix A
 * transmits the CRC least-significant byte first, so the 32-bit header field
 * read big-endian equals the byte-swapped CRC.
 */
export function sctpChecksum(data: Uint8Array, start: number, end: number): number {
  const crc = crc32c(data, start, end, start + 8);
  return (((crc & 0xff) << 24) | ((crc & 0xff00) << 8) | ((crc >>> 8) & 0xff00) | (crc >>> 24)) >>> 0;
}
