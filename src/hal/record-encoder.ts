// Deterministic proto3 encoding of canonical bodies straight from the plain
// object (hal-spec §9.2 step 2), compiled once per message type. It writes the
// same bytes as protobufjs's `encode(fromObject(body))` (test/hal/record-
// encoder.test.ts checks that) without building message instances, which made
// the digest the largest cost of a write. Field kinds it does not compile fall
// back to protobufjs for that whole message.
import protobuf from 'protobufjs';
import { redactMessage } from './entries.js';
import { tableCatalog } from './schema.js';
import { sha256Into, sha256Slack } from './sha256.js';

/** A growable scratch buffer, reused for every record. */
export class RecordWriter {
  buf: Buffer = Buffer.allocUnsafe(1024);
  pos = 0;

  reset(): this {
    this.pos = 0;
    return this;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Unsigned varint of a non-negative safe integer. */
  varint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[p++] = v;
    this.pos = p;
  }

  /** int32 / enum: negatives take ten bytes (sign-extended to 64 bits). */
  int32(v: number): void {
    if (v >= 0) return this.varint(v);
    this.ensure(10);
    let lo = v >>> 0;
    for (let i = 0; i < 4; i++) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    // bits 28..31 of the low word, then 32 ones of the high word.
    this.buf[this.pos++] = (lo & 0x0f) | 0xf0;
    for (let i = 0; i < 4; i++) this.buf[this.pos++] = 0xff;
    this.buf[this.pos++] = 0x01;
  }

  bytes(v: Uint8Array): void {
    this.varint(v.length);
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  string(v: string): void {
    // Short ASCII (addresses, ids: nearly every string here) byte by byte,
    // without Buffer#write's argument checks; anything else through it.
    const chars = v.length;
    if (chars < 128) {
      this.ensure(1 + chars);
      const b = this.buf;
      const start = this.pos + 1;
      let i = 0;
      for (; i < chars; i++) {
        const c = v.charCodeAt(i);
        if (c >= 0x80) break;
        b[start + i] = c;
      }
      if (i === chars) {
        b[this.pos] = chars;
        this.pos = start + chars;
        return;
      }
    }
    // One byte of length suffices for short strings; longer ones are measured first.
    const max = v.length * 3;
    if (max < 128) {
      this.ensure(1 + max);
      const n = this.buf.write(v, this.pos + 1, 'utf8');
      this.buf[this.pos] = n;
      this.pos += 1 + n;
      return;
    }
    const n = Buffer.byteLength(v, 'utf8');
    this.varint(n);
    this.ensure(n);
    this.pos += this.buf.write(v, this.pos, 'utf8');
  }

  /** Writes `body` length-delimited: reserve one length byte, shift if it needs more. */
  nested(fn: () => void): void {
    this.ensure(1);
    const at = this.pos++;
    fn();
    const len = this.pos - at - 1;
    if (len < 128) {
      this.buf[at] = len;
      return;
    }
    let extra = 0;
    for (let x = len; x >= 0x80; x = Math.floor(x / 0x80)) extra++;
    this.ensure(extra);
    this.buf.copyWithin(at + 1 + extra, at + 1, this.pos);
    const end = this.pos + extra;
    this.pos = at;
    this.varint(len);
    this.pos = end;
  }

  view(from = 0): Buffer {
    return this.buf.subarray(from, this.pos);
  }
}

type Encode = (w: RecordWriter, body: Record<string, unknown>) => void;
type EncodeValue = (w: RecordWriter, v: unknown) => void;

const VARINT_KINDS = new Set(['uint32', 'uint64', 'bool']);
/** Per type: [plain encoder, record encoder (write-only fields left out)]. */
const compiled = new Map<protobuf.Type, [Encode?, Encode?]>();

function tagOf(id: number, wireType: number): number {
  return id * 8 + wireType;
}

/** The value writer of one (non-repeated) element, or null when not compiled. */
function valueWriter(field: protobuf.Field, record: boolean): EncodeValue | null {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) {
    const inner = encoderOf(rt, record);
    return (w, v) => w.nested(() => inner(w, v as Record<string, unknown>));
  }
  if (rt instanceof protobuf.Enum) {
    const values = rt.values;
    return (w, v) => w.int32(typeof v === 'number' ? v : values[v as string]);
  }
  switch (field.type) {
    case 'string':
      return (w, v) => w.string(v as string);
    case 'bytes':
      return (w, v) => w.bytes(v as Uint8Array);
    case 'bool':
      return (w, v) => w.varint(v ? 1 : 0);
    case 'uint32':
    case 'uint64':
      return (w, v) => w.varint(v as number);
    case 'int32':
      return (w, v) => w.int32(v as number);
    default:
      return null;
  }
}

const skip: Encode = () => {};

function fieldWriter(field: protobuf.Field, record: boolean): Encode | null {
  if (record && field.options?.['(write_only)'] === true) return skip;
  if (field.map) return null;
  const one = valueWriter(field, record);
  if (!one) return null;
  const name = field.name;
  const rt = field.resolvedType;
  const scalarVarint = rt instanceof protobuf.Enum || VARINT_KINDS.has(field.type) || field.type === 'int32';
  if (field.repeated) {
    if (scalarVarint && field.packed) {
      const tag = tagOf(field.id, 2);
      return (w, b) => {
        const a = b[name] as unknown[] | undefined | null;
        if (a == null || !a.length) return;
        w.varint(tag);
        w.nested(() => {
          for (const x of a) one(w, x);
        });
      };
    }
    const tag = tagOf(field.id, scalarVarint ? 0 : 2);
    return (w, b) => {
      const a = b[name] as unknown[] | undefined | null;
      if (a == null || !a.length) return;
      for (const x of a) {
        w.varint(tag);
        one(w, x);
      }
    };
  }
  const tag = tagOf(field.id, scalarVarint ? 0 : 2);
  // As protobufjs: fields without presence leave their default off the wire.
  const isDefault = field.hasPresence ? null : defaultTest(field);
  return (w, b) => {
    const v = b[name];
    if (v == null || !Object.hasOwn(b, name) || (isDefault && isDefault(v))) return;
    w.varint(tag);
    one(w, v);
  };
}

/** Whether a value of a field without presence is its default (then not encoded). */
function defaultTest(field: protobuf.Field): ((v: unknown) => boolean) | null {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return null;
  if (rt instanceof protobuf.Enum) {
    const first = rt.values[Object.keys(rt.values)[0]];
    return (v) => (typeof v === 'number' ? v : rt.values[v as string]) === first;
  }
  switch (field.type) {
    case 'string':
      return (v) => v === '';
    case 'bytes':
      return (v) => (v as Uint8Array).length === 0;
    case 'bool':
      return (v) => v === false;
    default:
      return (v) => v === 0;
  }
}

/** protobufjs's own path, for messages with field kinds not compiled above. */
function fallback(type: protobuf.Type, record: boolean): Encode {
  return (w, body) => {
    const plain = record ? redactMessage(type, body) : body;
    const bytes = type.encode(type.fromObject(plain)).finish();
    w.ensure(bytes.length);
    w.buf.set(bytes, w.pos);
    w.pos += bytes.length;
  };
}

/**
 * The compiled encoder of a message type (fields in number order). `record`:
 * leave write-only fields out, as digest records do (hal-spec §9.2 step 1).
 */
export function encoderOf(type: protobuf.Type, record = false): Encode {
  let slots = compiled.get(type);
  if (!slots) compiled.set(type, (slots = [undefined, undefined]));
  const slot = record ? 1 : 0;
  const hit = slots[slot];
  if (hit) return hit;
  // Recursive types resolve through this indirection.
  let impl: Encode = fallback(type, record);
  const self: Encode = (w, b) => impl(w, b);
  slots[slot] = self;
  const writers: Encode[] = [];
  for (const f of type.fieldsArray.slice().sort((a, b) => a.id - b.id)) {
    const fw = fieldWriter(f, record);
    if (!fw) return self;
    writers.push(fw);
  }
  impl = (w, b) => {
    for (let i = 0; i < writers.length; i++) writers[i](w, b);
  };
  return self;
}

const scratch = new RecordWriter();
const NAME_PREFIX = new Map<string, Buffer>();

/**
 * The digest record of one entry (hal-spec §9.2 step 3): table name, 0x00,
 * deterministic encoding without write-only fields. The view is into a shared
 * scratch buffer, valid until the next call.
 */
export function recordBytes(table: { readonly name: string; readonly type: protobuf.Type }, body: Record<string, unknown>): Buffer {
  let prefix = NAME_PREFIX.get(table.name);
  if (!prefix) NAME_PREFIX.set(table.name, (prefix = Buffer.concat([Buffer.from(table.name), Buffer.from([0])])));
  const w = scratch.reset();
  w.ensure(prefix.length);
  w.buf.set(prefix, 0);
  w.pos = prefix.length;
  encoderOf(table.type, true)(w, body);
  return w.view();
}

const words = new Int32Array(8);

/**
 * SHA-256 of one entry's digest record (hal-spec §9.2 step 4), as eight
 * big-endian words in a shared array, valid until the next call.
 */
export function recordHashWords(table: { readonly name: string; readonly type: protobuf.Type }, body: Record<string, unknown>): Int32Array {
  const len = recordBytes(table, body).length;
  scratch.ensure(sha256Slack(len));
  return sha256Into(scratch.buf, len, words);
}

/** Every table's encoders compiled up front, so the first write pays nothing. */
export function warmEncoders(): void {
  for (const t of tableCatalog().values()) encoderOf(t.type, true);
}
