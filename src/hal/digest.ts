// The state digest (hal-spec/README.md, "Generation and digest"). It is a
// multiset hash so a device can keep it up to date per update instead of
// rehashing its whole state on every write:
//   record(e) = table name (UTF-8) || 0x00 || canonical encoding of e without
//               write-only fields (deterministic proto3, fields in number order)
//   S         = Σ SHA-256(record(e)) as 256-bit big-endian integers, mod 2^256
//   digest    = "sha256:" || hex(SHA-256("xpuhal-state-v1" || S as 32 bytes))
// Equal state gives equal digests on every implementation, whatever the order
// of writes. It proves convergence; it is not meant to resist a forger.
import { createHash, hash } from 'node:crypto';
import { encodeBody, redactView } from './entries.js';
import type { TableSchema } from './schema.js';

export interface DigestInput {
  readonly table: TableSchema;
  readonly body: Record<string, unknown>;
}

// mod 2^256 as a mask: BigInt `&` with a positive mask also wraps negatives (two's complement).
const MASK = (1n << 256n) - 1n;
const DOMAIN = Buffer.from('xpuhal-state-v1');

const NAME_PREFIX = new Map<string, Buffer>();

/** SHA-256 of one entry's digest record, as an integer. */
export function recordHash(table: TableSchema, body: Record<string, unknown>): bigint {
  let prefix = NAME_PREFIX.get(table.name);
  if (!prefix) NAME_PREFIX.set(table.name, (prefix = Buffer.concat([Buffer.from(table.name), Buffer.from([0])])));
  // One-shot hash of one buffer: per-entry createHash/update/hex/BigInt parsing
  // was most of the cost of a write.
  const h = hash('sha256', Buffer.concat([prefix, encodeBody(table, redactView(table, body))]), 'buffer') as unknown as Buffer;
  return (h.readBigUInt64BE(0) << 192n) | (h.readBigUInt64BE(8) << 128n) | (h.readBigUInt64BE(16) << 64n) | h.readBigUInt64BE(24);
}

/** Keeps S as entries come and go. */
export class DigestAccumulator {
  private sum = 0n;

  add(table: TableSchema, body: Record<string, unknown>): void {
    this.sum = (this.sum + recordHash(table, body)) & MASK;
  }

  remove(table: TableSchema, body: Record<string, unknown>): void {
    this.sum = (this.sum - recordHash(table, body)) & MASK;
  }

  value(): string {
    const s = Buffer.from(this.sum.toString(16).padStart(64, '0'), 'hex');
    return `sha256:${createHash('sha256').update(DOMAIN).update(s).digest('hex')}`;
  }
}

/** The digest of a whole state at once. */
export function stateDigest(entries: Iterable<DigestInput>): string {
  const acc = new DigestAccumulator();
  for (const e of entries) acc.add(e.table, e.body);
  return acc.value();
}
