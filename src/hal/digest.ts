// The state digest (hal-spec/README.md, "Generation and digest"). It is a
// multiset hash so a device can keep it up to date per update instead of
// rehashing its whole state on every write:
//   record(e) = table name (UTF-8) || 0x00 || canonical encoding of e without
//               write-only fields (deterministic proto3, fields in number order)
//   S         = Σ SHA-256(record(e)) as 256-bit big-endian integers, mod 2^256
//   digest    = "sha256:" || hex(SHA-256("xpuhal-state-v1" || S as 32 bytes))
// Equal state gives equal digests on every implementation, whatever the order
// of writes. It proves convergence; it is not meant to resist a forger.
import { recordHashWords } from './record-encoder.js';
import { sha256Into, sha256Slack } from './sha256.js';
import type { TableSchema } from './schema.js';

export interface DigestInput {
  readonly table: TableSchema;
  readonly body: Record<string, unknown>;
}

const DOMAIN = Buffer.from('xpuhal-state-v1');
const FINAL = Buffer.alloc(DOMAIN.length + 32 + sha256Slack(DOMAIN.length + 32));
const FINAL_WORDS = new Int32Array(8);
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** SHA-256 of one entry's digest record, as an integer. */
export function recordHash(table: TableSchema, body: Record<string, unknown>): bigint {
  let n = 0n;
  for (const w of recordHashWords(table, body)) n = (n << 32n) | BigInt(w >>> 0);
  return n;
}

/**
 * Keeps S as entries come and go: eight 32-bit limbs, most significant first,
 * added and subtracted with carry. (A 256-bit BigInt allocated per update and
 * was a visible share of a write.)
 */
export class DigestAccumulator {
  private readonly limbs = new Uint32Array(8);

  add(table: TableSchema, body: Record<string, unknown>): void {
    const h = recordHashWords(table, body);
    const s = this.limbs;
    let carry = 0;
    for (let i = 7; i >= 0; i--) {
      const x = s[i] + (h[i] >>> 0) + carry;
      s[i] = x; // a Uint32Array stores x mod 2^32
      carry = x > 0xffffffff ? 1 : 0;
    }
  }

  remove(table: TableSchema, body: Record<string, unknown>): void {
    const h = recordHashWords(table, body);
    const s = this.limbs;
    let borrow = 0;
    for (let i = 7; i >= 0; i--) {
      const x = s[i] - (h[i] >>> 0) - borrow;
      s[i] = x; // negatives wrap mod 2^32
      borrow = x < 0 ? 1 : 0;
    }
  }

  value(): string {
    // SHA-256(domain || S): 47 bytes, hashed in a scratch buffer like the records.
    FINAL.set(DOMAIN, 0);
    for (let i = 0; i < 8; i++) FINAL.writeUInt32BE(this.limbs[i], DOMAIN.length + i * 4);
    const h = sha256Into(FINAL, DOMAIN.length + 32, FINAL_WORDS);
    let hex = 'sha256:';
    for (let i = 0; i < 8; i++) {
      const w = h[i];
      hex += HEX2[(w >>> 24) & 255] + HEX2[(w >>> 16) & 255] + HEX2[(w >>> 8) & 255] + HEX2[w & 255];
    }
    return hex;
  }
}

/** The digest of a whole state at once. */
export function stateDigest(entries: Iterable<DigestInput>): string {
  const acc = new DigestAccumulator();
  for (const e of entries) acc.add(e.table, e.body);
  return acc.value();
}
