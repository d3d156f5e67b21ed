// Entry identity and canonical encoding, shared by every driver so keys, reads
// and digests mean the same thing everywhere.
import protobuf from 'protobufjs';
import { HalError } from './errors.js';
import type { TableEntry } from './generated/types.js';
import { fieldsOf, tableCatalog, type TableSchema } from './schema.js';

export interface EntryParts {
  readonly member: string;
  readonly table: TableSchema;
  readonly body: Record<string, unknown>;
}

/** Splits a TableEntry into its table and entry body (exactly one member set). */
export function entryParts(entry: TableEntry): EntryParts {
  const set = Object.entries(entry).filter(([, v]) => v !== undefined && v !== null);
  if (set.length !== 1) throw HalError.of('ONEOF_UNSET', 'a TableEntry needs exactly one table member', 'entry');
  const [member, body] = set[0];
  const table = tableCatalog().get(member);
  if (!table) throw HalError.of('FIELD_INVALID', `unknown table member "${member}"`, 'entry');
  return { member, table, body: body as Record<string, unknown> };
}

export function makeEntry(member: string, body: Record<string, unknown>): TableEntry {
  return { [member]: body } as TableEntry;
}

/**
 * The key of a canonical entry body: key-field values in field order, absent
 * values as null. Two entries with the same key string are the same entry.
 */
export function keyString(table: TableSchema, body: Record<string, unknown>): string {
  // Exactly JSON.stringify of the array of values, without building the array.
  const keys = table.keyFields;
  let s = '[';
  for (let i = 0; i < keys.length; i++) {
    const v = body[keys[i].name];
    if (i) s += ',';
    s += v === undefined || v === null ? 'null' : typeof v === 'number' ? (Number.isFinite(v) ? String(v) : 'null') : JSON.stringify(v);
  }
  return `${s}]`;
}

/** Drops write-only fields (never returned, never digested). */
export function redact(table: TableSchema, body: Record<string, unknown>): Record<string, unknown> {
  return redactMessage(table.type, body);
}

/** Like redact, but may return `body` itself (no copy) when the table holds no key material: for read-only uses such as hashing. */
export function redactView(table: TableSchema, body: Record<string, unknown>): Record<string, unknown> {
  return hasWriteOnly(table.type) ? redactMessage(table.type, body) : body;
}

const writeOnlyCache = new Map<protobuf.Type, boolean>();

/** Whether a message (or one nested in it) has a write-only field. */
function hasWriteOnly(type: protobuf.Type, seen = new Set<protobuf.Type>()): boolean {
  const hit = writeOnlyCache.get(type);
  if (hit !== undefined) return hit;
  seen.add(type);
  const found = fieldsOf(type).some((fs) => {
    const rt = fs.field.resolvedType;
    return fs.writeOnly || (rt instanceof protobuf.Type && !seen.has(rt) && hasWriteOnly(rt, seen));
  });
  writeOnlyCache.set(type, found);
  return found;
}

/** redact() for any message type (nested ones included). */
export function redactMessage(type: protobuf.Type, body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const fs of fieldsOf(type)) {
    const v = body[fs.name];
    if (v === undefined || fs.writeOnly) continue;
    const rt = fs.field.resolvedType;
    if (rt instanceof protobuf.Type) {
      out[fs.name] = Array.isArray(v) ? v.map((x) => redactMessage(rt, x)) : redactMessage(rt, v as Record<string, unknown>);
    } else out[fs.name] = v;
  }
  return out;
}

/** Deterministic proto3 binary encoding of a canonical body (fields in number order). */
export function encodeBody(table: TableSchema, body: Record<string, unknown>): Uint8Array {
  return table.type.encode(table.type.fromObject(body)).finish();
}

/** A key for people: "route vrf=0 prefix=10.0.0.0/8" (absent fields shown as *). */
export function describeKey(table: TableSchema, body: Record<string, unknown>): string {
  if (table.keyFields.length === 0) return table.name;
  const parts = table.keyFields.map((f) => {
    const v = body[f.name];
    const text = v === undefined ? (f.match === 'EXACT' ? '0' : '*') : typeof v === 'object' ? `${(v as { lo?: number }).lo ?? 0}-${(v as { hi?: number }).hi ?? 0}` : String(v);
    return `${f.name}=${text}`;
  });
  return `${table.name} ${parts.join(' ')}`;
}
