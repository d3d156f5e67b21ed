// The client's request encoder: checks that protobuf can carry a plain request
// exactly as given (the rules of convert.ts's `unrepresentable`) and writes its
// bytes in the same pass, compiled per message type. It answers null for
// anything it does not take as is (a wrong JS type, an unknown field, two
// members of a oneof, a field kind it does not compile); the caller then takes
// the slower path that explains the refusal. For what it accepts it writes the
// bytes protobufjs's encode(fromObject(v)) writes (test/wire/decode.test.ts).
import protobuf from 'protobufjs';
import { RecordWriter } from '../hal/record-encoder.js';

type Enc = (w: RecordWriter, v: unknown) => boolean;

const INT_RANGE: Record<string, [number, number]> = {
  uint32: [0, 0xffffffff],
  uint64: [0, Number.MAX_SAFE_INTEGER],
  int32: [-0x80000000, 0x7fffffff],
};

const isMessageObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

/** Writes one element of a field (no tag); false when the value is not carried as is. */
function elementWriter(field: protobuf.Field): { enc: Enc; wireType: number; isDefault?: (v: unknown) => boolean } | null {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) {
    const inner = messageWriter(rt);
    if (!inner) return null;
    return {
      wireType: 2,
      enc: (w, v) => {
        if (!isMessageObject(v)) return false;
        let ok = true;
        w.nested(() => {
          ok = inner(w, v);
        });
        return ok;
      },
    };
  }
  if (rt instanceof protobuf.Enum) {
    const values = rt.values;
    const first = values[Object.keys(values)[0]];
    return {
      wireType: 0,
      enc: (w, v) => {
        if (typeof v !== 'string' || !Object.hasOwn(values, v)) return false;
        w.int32(values[v]);
        return true;
      },
      isDefault: (v) => typeof v === 'string' && values[v] === first,
    };
  }
  switch (field.type) {
    case 'string':
      return {
        wireType: 2,
        enc: (w, v) => {
          if (typeof v !== 'string') return false;
          w.string(v);
          return true;
        },
        isDefault: (v) => v === '',
      };
    case 'bool':
      return {
        wireType: 0,
        enc: (w, v) => {
          if (typeof v !== 'boolean') return false;
          w.varint(v ? 1 : 0);
          return true;
        },
        isDefault: (v) => v === false,
      };
    case 'bytes':
      return {
        wireType: 2,
        enc: (w, v) => {
          if (!(v instanceof Uint8Array)) return false;
          w.bytes(v);
          return true;
        },
        isDefault: (v) => v instanceof Uint8Array && v.length === 0,
      };
    default: {
      const range = INT_RANGE[field.type];
      if (!range) return null;
      const [lo, hi] = range;
      const signed = lo < 0;
      return {
        wireType: 0,
        enc: (w, v) => {
          if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) return false;
          if (signed) w.int32(v);
          else w.varint(v);
          return true;
        },
        isDefault: (v) => v === 0,
      };
    }
  }
}

function fieldWriter(field: protobuf.Field): Enc | null {
  if (field.map) return null;
  const el = elementWriter(field);
  if (!el) return null;
  const name = field.name;
  const { enc } = el;
  if (field.repeated) {
    if (el.wireType === 0 && field.packed) {
      const tag = field.id * 8 + 2;
      return (w, b) => {
        const a = (b as Record<string, unknown>)[name];
        if (a == null) return true;
        if (!Array.isArray(a)) return false;
        if (!a.length) return true;
        w.varint(tag);
        let ok = true;
        w.nested(() => {
          for (let i = 0; i < a.length && ok; i++) ok = enc(w, a[i]);
        });
        return ok;
      };
    }
    const tag = field.id * 8 + el.wireType;
    return (w, b) => {
      const a = (b as Record<string, unknown>)[name];
      if (a == null) return true;
      if (!Array.isArray(a)) return false;
      for (let i = 0; i < a.length; i++) {
        w.varint(tag);
        if (!enc(w, a[i])) return false;
      }
      return true;
    };
  }
  const tag = field.id * 8 + el.wireType;
  // As protobufjs: fields without presence leave their default off the wire.
  const isDefault = field.hasPresence ? undefined : el.isDefault;
  return (w, b) => {
    const v = (b as Record<string, unknown>)[name];
    if (v == null || (isDefault && isDefault(v))) return true;
    w.varint(tag);
    return enc(w, v);
  };
}

const compiled = new Map<protobuf.Type, Enc | null>();

function messageWriter(type: protobuf.Type): Enc | null {
  if (compiled.has(type)) return compiled.get(type)!;
  let impl: Enc = () => false;
  const self: Enc = (w, v) => impl(w, v);
  compiled.set(type, self);
  const writers: Enc[] = [];
  for (const f of type.fieldsArray.slice().sort((a, b) => a.id - b.id)) {
    const fw = fieldWriter(f);
    if (!fw) {
      compiled.set(type, null);
      return null;
    }
    writers.push(fw);
  }
  const fields = type.fields;
  const oneofs = type.oneofsArray.map((o) => o.oneof);
  impl = (w, v) => {
    const b = v as Record<string, unknown>;
    for (const key in b) {
      const x = b[key];
      if (x === undefined || x === null) continue;
      if (!Object.hasOwn(fields, key) || !Object.hasOwn(b, key)) return false;
    }
    for (let o = 0; o < oneofs.length; o++) {
      let set = 0;
      for (const name of oneofs[o]) if (b[name] !== undefined && b[name] !== null) set++;
      if (set > 1) return false;
    }
    for (let i = 0; i < writers.length; i++) if (!writers[i](w, b)) return false;
    return true;
  };
  return self;
}

const scratch = new RecordWriter();

/** The request's bytes, or null when it must go the slow way (see above). */
export function encodeStrict(type: protobuf.Type, value: unknown): Buffer | null {
  if (!isMessageObject(value)) return null;
  const enc = messageWriter(type);
  if (!enc) return null;
  const w = scratch.reset();
  if (!enc(w, value)) return null;
  return Buffer.from(w.view());
}
