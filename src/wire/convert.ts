// Plain HAL objects (src/hal/generated/types.ts: camelCase, enum names, numbers,
// Uint8Array) to protobuf bytes and back, with protobufjs's generated coders.
import protobuf from 'protobufjs';

/** toObject options giving exactly the in-process shapes. */
const TO_PLAIN: protobuf.IConversionOptions = { enums: String, longs: Number };

export interface PlainCodec {
  encode(value: unknown): Buffer;
  decode(bytes: Buffer): unknown;
}

/** Decodes a response as the in-process face returns it (see responseFiller). */
export function responseDecoder(type: protobuf.Type): (bytes: Buffer) => unknown {
  const base = plainCodec(type).decode;
  const fill = responseFiller(type);
  return fill ? (bytes) => fill(base(bytes) as Record<string, unknown>) : base;
}

const NUMERIC = new Set(['double', 'float', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const fillers = new Map<protobuf.Type, Fixer | null>();
/** Flags the in-process face sets only when true. */
const OMITTED_WHEN_FALSE = new Set(['EntryRecord.deviceOwned']);

/**
 * proto3 leaves zero numbers and empty lists off the wire; drivers' responses
 * carry them (`{packets: 0, bytes: 0}`, `emitted: []`). The client puts them
 * back, except inside table entries, whose canonical form omits defaults
 * (hal-spec §4.3) exactly as the wire does, and except for oneof members and
 * optional fields, whose absence means something.
 */
function responseFiller(type: protobuf.Type): Fixer | null {
  if (fillers.has(type)) return fillers.get(type)!;
  fillers.set(type, null);
  if (type.name === 'TableEntry') return null;
  const steps: ((o: Record<string, unknown>) => void)[] = [];
  for (const field of type.fieldsArray) {
    if (field.partOf) continue;
    const name = field.name;
    const rt = field.resolvedType;
    if (field.map) steps.push((o) => void (o[name] ??= {}));
    else if (field.repeated) {
      const inner = rt instanceof protobuf.Type ? responseFiller(rt) : null;
      steps.push((o) => {
        const a = (o[name] ??= []) as Record<string, unknown>[];
        if (inner) for (const x of a) inner(x);
      });
    } else if (rt instanceof protobuf.Type) {
      const inner = responseFiller(rt);
      if (inner) steps.push((o) => { if (o[name]) inner(o[name] as Record<string, unknown>); });
    } else if (NUMERIC.has(field.type)) steps.push((o) => void (o[name] ??= 0));
    else if (field.type === 'bool' && !OMITTED_WHEN_FALSE.has(`${type.name}.${name}`)) steps.push((o) => void (o[name] ??= false));
  }
  const f: Fixer | null = steps.length ? (o) => { for (const s of steps) s(o); return o; } : null;
  fillers.set(type, f);
  return f;
}

const codecs = new Map<protobuf.Type, PlainCodec>();

/** Encoder/decoder of one message type between plain objects and bytes. */
export function plainCodec(type: protobuf.Type): PlainCodec {
  let c = codecs.get(type);
  if (!c) {
    const fixBytes = bytesFixer(type);
    c = {
      encode: (value) => Buffer.from(type.encode(type.fromObject(value as Record<string, unknown>)).finish()),
      decode: (bytes) => {
        const plain = type.toObject(type.decode(bytes), TO_PLAIN);
        return fixBytes ? fixBytes(plain) : plain;
      },
    };
    codecs.set(type, c);
  }
  return c;
}

type Fixer = (o: Record<string, unknown>) => Record<string, unknown>;
const fixers = new Map<protobuf.Type, Fixer | null>();

/**
 * Decoded bytes are Node Buffers; in process they are plain Uint8Arrays, and
 * deep equality tells the two apart. Returns null for types without bytes.
 */
function bytesFixer(type: protobuf.Type): Fixer | null {
  if (fixers.has(type)) return fixers.get(type)!;
  fixers.set(type, null); // recursion guard
  const steps: ((o: Record<string, unknown>) => void)[] = [];
  for (const field of type.fieldsArray) {
    const name = field.name;
    const rt = field.resolvedType;
    let one: ((v: unknown) => unknown) | null = null;
    if (field.type === 'bytes') one = (v) => (v instanceof Uint8Array ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : v);
    else if (rt instanceof protobuf.Type) {
      const inner = bytesFixer(rt);
      if (inner) one = (v) => (v && typeof v === 'object' ? inner(v as Record<string, unknown>) : v);
    }
    if (!one) continue;
    const f = one;
    if (field.map) steps.push((o) => { const m = o[name] as Record<string, unknown> | undefined; if (m) for (const k of Object.keys(m)) m[k] = f(m[k]); });
    else if (field.repeated) steps.push((o) => { const a = o[name] as unknown[] | undefined; if (a) for (let i = 0; i < a.length; i++) a[i] = f(a[i]); });
    else steps.push((o) => { if (o[name] !== undefined) o[name] = f(o[name]); });
  }
  const fixer: Fixer | null = steps.length ? (o) => { for (const s of steps) s(o); return o; } : null;
  fixers.set(type, fixer);
  return fixer;
}

const INT_RANGE: Record<string, [number, number]> = {
  uint32: [0, 0xffffffff],
  fixed32: [0, 0xffffffff],
  int32: [-0x80000000, 0x7fffffff],
  sint32: [-0x80000000, 0x7fffffff],
  sfixed32: [-0x80000000, 0x7fffffff],
  uint64: [0, Number.MAX_SAFE_INTEGER],
  fixed64: [0, Number.MAX_SAFE_INTEGER],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  sint64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  sfixed64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

const join = (path: string, key: string) => (/^[0-9]+$/.test(key) ? `${path}[${key}]` : path ? `${path}.${key}` : key);

function isMessageObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

// The walk below returns the failing key chain (innermost first) or null, so the
// common, valid case allocates no path strings.
type Chain = string[] | null;
const FAIL: Chain = [];

function valueProblem(field: protobuf.Field, v: unknown): Chain {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return badMessage(rt, v);
  if (rt instanceof protobuf.Enum) return typeof v === 'string' && Object.hasOwn(rt.values, v) ? null : FAIL;
  switch (field.type) {
    case 'string':
      return typeof v === 'string' ? null : FAIL;
    case 'bool':
      return typeof v === 'boolean' ? null : FAIL;
    case 'bytes':
      return v instanceof Uint8Array ? null : FAIL;
    case 'double':
    case 'float':
      return typeof v === 'number' ? null : FAIL;
    default: {
      const r = INT_RANGE[field.type];
      return typeof v === 'number' && Number.isInteger(v) && r && v >= r[0] && v <= r[1] ? null : FAIL;
    }
  }
}

const at = (c: string[], key: string): string[] => [...c, key];

function badMessage(type: protobuf.Type, v: unknown): Chain {
  if (!isMessageObject(v)) return FAIL;
  const fields = type.fields;
  for (const key in v) {
    const x = v[key];
    if (x === undefined || x === null) continue;
    const field = fields[key];
    if (!field || !Object.hasOwn(v, key)) return [key];
    if (field.map) {
      if (!isMessageObject(x)) return [key];
      for (const k in x) {
        const bad = valueProblem(field, x[k]);
        if (bad) return at(at(bad, k), key);
      }
    } else if (field.repeated) {
      if (!Array.isArray(x)) return [key];
      for (let i = 0; i < x.length; i++) {
        const bad = valueProblem(field, x[i]);
        if (bad) return at(at(bad, String(i)), key);
      }
    } else {
      const bad = valueProblem(field, x);
      if (bad) return at(bad, key);
    }
  }
  const oneofs = type.oneofsArray;
  for (let o = 0; o < oneofs.length; o++) {
    let set = 0;
    for (const name of oneofs[o].oneof) if (v[name] !== undefined && v[name] !== null) set++;
    if (set > 1) return FAIL;
  }
  return null;
}

/**
 * The path of the first value protobuf cannot carry as given (an unknown field,
 * a wrong JS type, an integer outside its wire type, two members of a oneof), or
 * null. protobufjs's fromObject would silently drop or coerce such values; the
 * client refuses them instead, with the status the device gives in process.
 */
export function unrepresentable(type: protobuf.Type, v: unknown, path = ''): string | null {
  const bad = badMessage(type, v);
  if (!bad) return null;
  let p = path;
  for (let i = bad.length - 1; i >= 0; i--) p = join(p, bad[i]);
  return p;
}
