// The logical-table catalog, derived from the (table), (match), (format), (ref),
// (required) and (write_only) options in hal-spec/. Nothing here is hand-kept.
import protobuf from 'protobufjs';
import type { MatchKind, TableKind, ValueFormat } from './generated/types.js';
import { halType } from './spec-root.js';

export interface FieldSchema {
  readonly name: string;
  readonly field: protobuf.Field;
  readonly match?: MatchKind;
  readonly format?: ValueFormat;
  readonly ref?: string;
  readonly required: boolean;
  readonly writeOnly: boolean;
  readonly min?: number;
  readonly max?: number;
  /** proto3 `optional`: presence is meaningful. */
  readonly explicitPresence: boolean;
  /** The (real, not synthetic) oneof the field belongs to. */
  readonly oneof?: string;
}

export interface TableSchema {
  readonly name: string;
  readonly kind: TableKind;
  readonly stage: string;
  readonly prioritized: boolean;
  readonly deviceOwnedRows: boolean;
  readonly type: protobuf.Type;
  /** Key fields in field-number order (for prioritized tables `priority` is part of the key). */
  readonly keyFields: readonly FieldSchema[];
  /** Name of the action oneof, if the table has one. */
  readonly actionOneof?: string;
  readonly actions: readonly string[];
}

export function fieldSchema(field: protobuf.Field): FieldSchema {
  const o = field.options ?? {};
  const oneof = field.partOf && !field.partOf.name.startsWith('_') ? field.partOf.name : undefined;
  return {
    name: field.name,
    field,
    match: o['(match)'],
    format: o['(format)'],
    ref: o['(ref)'],
    required: o['(required)'] === true,
    writeOnly: o['(write_only)'] === true,
    min: o['(min)'] !== undefined ? Number(o['(min)']) : undefined,
    max: o['(max)'] !== undefined ? Number(o['(max)']) : undefined,
    explicitPresence: o.proto3_optional === true,
    oneof,
  };
}

const fieldCache = new Map<protobuf.Type, FieldSchema[]>();

export function fieldsOf(type: protobuf.Type): FieldSchema[] {
  let f = fieldCache.get(type);
  if (!f) {
    f = type.fieldsArray.slice().sort((a, b) => a.id - b.id).map(fieldSchema);
    fieldCache.set(type, f);
  }
  return f;
}

function buildCatalog(): Map<string, TableSchema> {
  const envelope = halType('TableEntry');
  const out = new Map<string, TableSchema>();
  for (const member of envelope.oneofs.entry.fieldsArray) {
    const type = member.resolvedType as protobuf.Type;
    const o = type.options ?? {};
    const fields = fieldsOf(type);
    const prioritized = o['(table).prioritized'] === true;
    const keyFields = fields.filter((f) => f.match !== undefined || (prioritized && f.name === 'priority'));
    const actionOneof = type.oneofsArray.find((x) => x.name === 'action');
    out.set(member.name, {
      name: o['(table).name'],
      kind: o['(table).kind'],
      stage: o['(table).stage'],
      prioritized,
      deviceOwnedRows: o['(table).device_owned_rows'] === true,
      type,
      keyFields,
      actionOneof: actionOneof?.name,
      actions: actionOneof ? actionOneof.fieldsArray.map((f) => f.name) : [],
    });
    if (out.get(member.name)!.name !== member.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)) {
      throw new Error(`hal-spec: TableEntry member ${member.name} does not match its (table).name`);
    }
  }
  return out;
}

let catalog: Map<string, TableSchema> | undefined;

/** Tables keyed by their TableEntry member name (camelCase: "ecmpGroup"). */
export function tableCatalog(): ReadonlyMap<string, TableSchema> {
  catalog ??= buildCatalog();
  return catalog;
}

/** Every table, by its snake_case name ("ecmp_group") as used in capabilities. */
export function tableByName(name: string): TableSchema | undefined {
  for (const t of tableCatalog().values()) if (t.name === name) return t;
  return undefined;
}

/** The TableEntry member (camelCase) for a table name (snake_case). */
export function memberOf(tableName: string): string {
  return tableName.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function tableNames(): string[] {
  return [...tableCatalog().values()].map((t) => t.name);
}
