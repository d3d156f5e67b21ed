// Request bytes to the plain HAL objects the in-process face takes, in one
// pass compiled per message type. It yields what protobufjs's decode +
// toObject({enums: String, longs: Number}) gave (test/wire/decode.test.ts
// compares the two) without building message instances first, and it refuses
// what protobufjs skipped silently: a field number the schema does not know
// (hal-spec §11.4: FIELD_INVALID, path of the containing message, the message
// names the number) and a known field sent with the wrong wire type.
import protobuf from 'protobufjs';

/** Why request bytes are not the message; `fieldPath` as hal-spec §11.4 writes it. */
export class WireDecodeError extends Error {
  constructor(
    message: string,
    readonly fieldPath: string,
    /** An error about one message (unknown field number, wrong wire type): its path grows on the way up. */
    readonly located = false,
  ) {
    super(message);
  }
}

interface Reader {
  buf: Uint8Array;
  pos: number;
}

const VARINT = 0;
const LEN = 2;
const I32 = 5;

/** The high 32 bits of the last varint read (the low ones are returned). */
let varHi = 0;

function truncated(): never {
  throw new WireDecodeError('the message is truncated', '');
}

/** Reads a varint of up to 64 bits: returns the low 32 bits (unsigned), sets varHi. */
function varint(r: Reader, end: number): number {
  const b = r.buf;
  let p = r.pos;
  let lo = 0;
  let hi = 0;
  let byte: number;
  for (let shift = 0; shift < 28; shift += 7) {
    if (p >= end) truncated();
    byte = b[p++];
    lo |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      r.pos = p;
      varHi = 0;
      return lo >>> 0;
    }
  }
  // Byte 5 holds bits 28..31 of the low word and 0..2 of the high word.
  if (p >= end) truncated();
  byte = b[p++];
  lo |= (byte & 0x0f) << 28;
  hi = (byte & 0x70) >> 4;
  if (byte >= 0x80) {
    for (let shift = 3; ; shift += 7) {
      if (shift > 31 + 7) throw new WireDecodeError('a varint is longer than 10 bytes', '');
      if (p >= end) truncated();
      byte = b[p++];
      if (shift < 32) hi |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
  }
  r.pos = p;
  varHi = hi >>> 0;
  return lo >>> 0;
}

type ValueDecoder = (r: Reader, end: number) => unknown;

interface FieldPlan {
  readonly name: string;
  readonly id: number;
  /** Wire type of one element when not packed. */
  readonly wireType: number;
  readonly repeated: boolean;
  /** Repeated scalar numerics also accept the packed (LEN) form. */
  readonly packable: boolean;
  readonly map: boolean;
  readonly value: ValueDecoder;
  /** Map fields: the key decoder and its wire type. */
  readonly key?: ValueDecoder;
  readonly keyWireType?: number;
  readonly mapDefault?: () => unknown;
  /** Nested message fields: the path segment is added by the caller. */
  readonly message: boolean;
}

type MessageDecoder = (r: Reader, end: number) => Record<string, unknown>;

function scalarPlan(type: string): { wireType: number; value: ValueDecoder } | null {
  switch (type) {
    case 'string':
      return {
        wireType: LEN,
        value: (r, end) => {
          const n = varint(r, end);
          if (r.pos + n > end) truncated();
          const s = Buffer.prototype.utf8Slice.call(r.buf, r.pos, r.pos + n) as string;
          r.pos += n;
          return s;
        },
      };
    case 'bytes':
      return {
        wireType: LEN,
        value: (r, end) => {
          const n = varint(r, end);
          if (r.pos + n > end) truncated();
          // A view, as protobufjs gave (the call's buffer is not reused).
          const v = new Uint8Array(r.buf.buffer, r.buf.byteOffset + r.pos, n);
          r.pos += n;
          return v;
        },
      };
    case 'bool':
      return { wireType: VARINT, value: (r, end) => varint(r, end) !== 0 || varHi !== 0 };
    case 'uint32':
      return { wireType: VARINT, value: (r, end) => varint(r, end) };
    case 'int32':
      return { wireType: VARINT, value: (r, end) => varint(r, end) | 0 };
    case 'uint64':
      return {
        wireType: VARINT,
        value: (r, end) => {
          const lo = varint(r, end);
          return varHi * 0x100000000 + lo;
        },
      };
    case 'int64': {
      return {
        wireType: VARINT,
        value: (r, end) => {
          const lo = varint(r, end);
          const hi = varHi | 0;
          return hi * 0x100000000 + lo;
        },
      };
    }
    case 'fixed32':
      return {
        wireType: I32,
        value: (r, end) => {
          if (r.pos + 4 > end) truncated();
          const b = r.buf;
          const p = r.pos;
          r.pos += 4;
          return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
        },
      };
    default:
      return null;
  }
}

const compiled = new Map<protobuf.Type, MessageDecoder>();

function planOf(field: protobuf.Field): FieldPlan {
  const rt = field.resolvedType;
  const base = { name: field.name, id: field.id, repeated: field.repeated && !field.map, map: !!field.map };
  if (field.map) {
    const mf = field as unknown as protobuf.MapField;
    const key = scalarPlan(mf.keyType);
    const value = rt instanceof protobuf.Type ? { wireType: LEN, value: nestedDecoder(rt) } : rt instanceof protobuf.Enum ? enumPlan(rt) : scalarPlan(field.type);
    if (!key || !value) throw new Error(`wire decoder: unsupported map ${field.fullName}`);
    const empty = rt instanceof protobuf.Type ? () => ({}) : value.wireType === LEN ? () => '' : () => 0;
    return { ...base, wireType: LEN, packable: false, value: value.value, key: key.value, keyWireType: key.wireType, mapDefault: empty, message: false };
  }
  if (rt instanceof protobuf.Type) return { ...base, wireType: LEN, packable: false, value: nestedDecoder(rt), message: true };
  const p = rt instanceof protobuf.Enum ? enumPlan(rt) : scalarPlan(field.type);
  if (!p) throw new Error(`wire decoder: unsupported field type ${field.type} (${field.fullName})`);
  return { ...base, wireType: p.wireType, packable: field.repeated && p.wireType !== LEN, value: p.value, message: false };
}

function enumPlan(e: protobuf.Enum): { wireType: number; value: ValueDecoder } {
  const names = e.valuesById;
  // toObject({enums: String}): the name, or the number when it has none.
  return {
    wireType: VARINT,
    value: (r, end) => {
      const n = varint(r, end) | 0;
      return names[n] ?? n;
    },
  };
}

function nestedDecoder(type: protobuf.Type): ValueDecoder {
  const inner = messageDecoder(type);
  return (r, end) => {
    const n = varint(r, end);
    const stop = r.pos + n;
    if (stop > end) truncated();
    const v = inner(r, stop);
    r.pos = stop;
    return v;
  };
}

const WIRE_NAMES = ['VARINT', 'I64', 'LEN', 'SGROUP', 'EGROUP', 'I32', '6', '7'];

/** Prefixes a failing nested field's segment to the error's path. */
function within(e: unknown, segment: string): never {
  if (e instanceof WireDecodeError && e.located) {
    throw new WireDecodeError(e.message, e.fieldPath ? `${segment}.${e.fieldPath}` : segment, true);
  }
  throw e;
}

/** The compiled decoder of a message type: plain object of its fields. */
export function messageDecoder(type: protobuf.Type): MessageDecoder {
  const hit = compiled.get(type);
  if (hit) return hit;
  // Recursive types resolve through this indirection.
  let impl: MessageDecoder = () => ({});
  const self: MessageDecoder = (r, end) => impl(r, end);
  compiled.set(type, self);
  const byId = new Map<number, FieldPlan>();
  for (const f of type.fieldsArray) byId.set(f.id, planOf(f));
  const plans: (FieldPlan | undefined)[] = [];
  for (const [id, plan] of byId) if (id < 64) plans[id] = plan;
  impl = (r, end) => {
    const out: Record<string, unknown> = {};
    while (r.pos < end) {
      const tag = varint(r, end);
      const id = tag >>> 3;
      const wt = tag & 7;
      if (id === 0) throw new WireDecodeError(`${type.name}: field number 0 is not valid`, '');
      const plan = id < 64 ? plans[id] : byId.get(id);
      if (!plan) throw new WireDecodeError(`${type.name} has no field number ${id}`, '', true);
      if (plan.map) {
        if (wt !== LEN) throw new WireDecodeError(`${type.name}.${plan.name} (field ${id}) has wire type ${WIRE_NAMES[wt]}, expected LEN`, '', true);
        const m = (out[plan.name] ??= {}) as Record<string, unknown>;
        readMapEntry(r, end, plan, m, type.name);
        continue;
      }
      if (plan.repeated) {
        const list = (out[plan.name] ??= []) as unknown[];
        if (plan.packable && wt === LEN) {
          const n = varint(r, end);
          const stop = r.pos + n;
          if (stop > end) truncated();
          while (r.pos < stop) list.push(plan.value(r, stop));
          if (r.pos !== stop) truncated();
          continue;
        }
        if (wt !== plan.wireType) throw new WireDecodeError(`${type.name}.${plan.name} (field ${id}) has wire type ${WIRE_NAMES[wt]}, expected ${WIRE_NAMES[plan.wireType]}`, '', true);
        if (plan.message) {
          try {
            list.push(plan.value(r, end));
          } catch (e) {
            within(e, `${plan.name}[${list.length}]`);
          }
        } else list.push(plan.value(r, end));
        continue;
      }
      if (wt !== plan.wireType) throw new WireDecodeError(`${type.name}.${plan.name} (field ${id}) has wire type ${WIRE_NAMES[wt]}, expected ${WIRE_NAMES[plan.wireType]}`, '', true);
      if (plan.message) {
        try {
          out[plan.name] = plan.value(r, end);
        } catch (e) {
          within(e, plan.name);
        }
      } else out[plan.name] = plan.value(r, end);
    }
    if (r.pos !== end) truncated();
    return out;
  };
  return self;
}

function readMapEntry(r: Reader, end: number, plan: FieldPlan, into: Record<string, unknown>, typeName: string): void {
  const n = varint(r, end);
  const stop = r.pos + n;
  if (stop > end) truncated();
  let key: unknown = plan.keyWireType === LEN ? '' : 0;
  let value: unknown;
  while (r.pos < stop) {
    const tag = varint(r, stop);
    const id = tag >>> 3;
    const wt = tag & 7;
    if (id === 1 && wt === plan.keyWireType) key = plan.key!(r, stop);
    else if (id === 2) value = plan.value(r, stop);
    else throw new WireDecodeError(`${typeName}.${plan.name}: a map entry has no field number ${id}`, plan.name, true);
  }
  r.pos = stop;
  into[String(key)] = value ?? plan.mapDefault!();
}

/** Decodes a whole request; throws WireDecodeError. */
export function decodeRequest(type: protobuf.Type, bytes: Uint8Array): Record<string, unknown> {
  return messageDecoder(type)({ buf: bytes, pos: 0 }, bytes.length);
}
