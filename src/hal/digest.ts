// The state digest (hal-spec/README.md, "Generation and digest"). It is a
// multiset hash so a device can keep it up to date per update instead of
// rehashing its whole state on every write:
//   record(e) = table name (UTF-8) || 0x00 || canonical encoding of e without
//               write-only fields (deterministic proto3, fields in number order)
//   S         = Σ SHA-256(record(e)) as 256-bit big-endian integers, mod 2^256
//   digest    = "sha256:" || hex(SHA-256("xpuhal-state-v1" || S as 32 bytes))
// Equal state gives equal digests on every implementation, whatever the order
// of writes. It proves convergence; it is not meant to resist a forger.
import { createHash } from 'node:crypto';
import { encodeBody, redact } from './entries.js';
import type { TableSchema } from './schema.js';

export interface DigestInput {
  readonly table: TableSchema;
  readonly body: Record<string, unknown>;
}

const MOD = 1n << 256n;
const DOMAIN = Buffer.from('xpuhal-state-v1');

/** SHA-256 of one entry's digest record, as an integer. */
export function recordHash(table: TableSchema, body: Record<string, unknown>): bigint {
  const h = createHash('sha256');
  h.update(table.name);
  h.update(Buffer.from([0]));
  h.update(encodeBody(table, redact(table, body)));
  return BigInt(`0x${h.digest('hex')}`);
}

/** Keeps S as entries come and go. */
export class DigestAccumulator {
  private sum = 0n;

  add(table: TableSchema, body: Record<string, unknown>): void {
    this.sum = (this.sum + recordHash(table, body)) % MOD;
  }

  remove(table: TableSchema, body: Record<string, unknown>): void {
    this.sum = (this.sum - recordHash(table, body) + MOD) % MOD;
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
