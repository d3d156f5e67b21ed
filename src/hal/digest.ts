// The state digest (hal-spec/README.md, "Generation and digest"): SHA-256 over
// every readable entry, in an order any implementation can reproduce.
import { createHash } from 'node:crypto';
import { encodeBody, redact } from './entries.js';
import type { TableSchema } from './schema.js';

export interface DigestInput {
  readonly table: TableSchema;
  readonly body: Record<string, unknown>;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/**
 * For each entry: its table name, a 0x00 byte, a 4-byte big-endian length and
 * the entry's canonical encoding with write-only fields removed; records sorted
 * by table name, then by encoding bytes.
 */
export function stateDigest(entries: Iterable<DigestInput>): string {
  const records: { table: string; bytes: Uint8Array }[] = [];
  for (const e of entries) records.push({ table: e.table.name, bytes: encodeBody(e.table, redact(e.table, e.body)) });
  records.sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : compareBytes(a.bytes, b.bytes)));
  const h = createHash('sha256');
  const len = Buffer.alloc(4);
  for (const r of records) {
    h.update(r.table);
    h.update(Buffer.from([0]));
    len.writeUInt32BE(r.bytes.length);
    h.update(len);
    h.update(r.bytes);
  }
  return `sha256:${h.digest('hex')}`;
}
