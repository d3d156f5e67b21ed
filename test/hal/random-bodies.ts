// Random table-entry bodies, valid and not, drawn from the schema: for tests
// that compare two implementations of one contract (fast vs io-ts validation,
// compiled vs protobufjs encoding). Seeded, so a failure replays.
import protobuf from 'protobufjs';
import { fieldsOf, type FieldSchema } from '../../src/hal/schema.js';

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

const STRINGS: Record<string, readonly unknown[]> = {
  ID: ['a', 'gw-1', 'ns/svc:80', 'x'.repeat(128), 'x'.repeat(129), 'bad id', ''],
  IPV4: ['10.0.0.1', '192.168.255.254', '0.0.0.0', '256.0.0.1', '10.0.0', '::1', ''],
  IPV6: ['2001:db8::1', '::', 'fe80::1', '2001:DB8::1', '2001:db8:0::1', '10.0.0.1', ''],
  IP: ['10.0.0.1', '2001:db8::1', '2001:DB8::1', 'nope', ''],
  IP_PREFIX: ['10.0.0.0/8', '0.0.0.0/0', '10.0.0.1/8', '2001:db8::/32', '2001:db8::1/32', '10.0.0.0/33', '10.0.0.0', ''],
  MAC: ['02:00:00:00:00:01', '02:00:00:00:00:0A', '02-00-00-00-00-01', 'nope', ''],
  '': ['', 'plain', 'é✓ unicode', 'y'.repeat(300), 'host:4739'],
};
const NUMBERS = [0, 1, 6, 17, 127, 128, 255, 256, 300, 4096, 65535, 65536, 0xffffff, 0x1000000, 0xffffffff, 0x100000000, 2 ** 40, Number.MAX_SAFE_INTEGER, -1, 1.5, NaN];

function value(fs: FieldSchema, r: Rand, depth: number, validish: boolean): unknown {
  const rt = fs.field.resolvedType;
  if (!validish && r() < 0.05) return pick(r, ['str', 7, true, [], {}, new Uint8Array(1), 10n]);
  if (rt instanceof protobuf.Type) return depth > 3 ? {} : body(rt, r, depth + 1, validish);
  if (rt instanceof protobuf.Enum) {
    const names = Object.keys(rt.values);
    return !validish && r() < 0.1 ? pick(r, ['NOPE', 1]) : pick(r, names);
  }
  switch (fs.field.type) {
    case 'string':
      return pick(r, STRINGS[fs.format ?? ''] ?? STRINGS['']);
    case 'bool':
      return r() < 0.5;
    case 'bytes':
      return new Uint8Array(pick(r, [0, 4, 12, 16, 32, 200])).fill(7);
    default:
      return pick(r, validish ? NUMBERS.slice(0, 14) : NUMBERS);
  }
}

/** A random body of `type`; `validish` keeps to values of the right JS type. */
export function body(type: protobuf.Type, r: Rand, depth = 0, validish = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const oneofChoice = new Map<string, string>();
  for (const o of type.oneofsArray) oneofChoice.set(o.name, pick(r, o.oneof));
  for (const fs of fieldsOf(type)) {
    const p = fs.field.partOf;
    if (p && oneofChoice.get(p.name) !== fs.name && (validish || r() < 0.9)) continue;
    if (r() < (fs.required ? 0.1 : 0.4)) {
      if (!validish && r() < 0.1) out[fs.name] = null;
      continue;
    }
    out[fs.name] = fs.field.repeated ? Array.from({ length: Math.floor(r() * 4) }, () => value(fs, r, depth, validish)) : value(fs, r, depth, validish);
  }
  if (!validish && r() < 0.05) out.notAField = 1;
  return out;
}
