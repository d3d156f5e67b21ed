// io-ts codecs for every HAL message, built from the proto schema. Decoding
// validates types, formats, bounds, required fields and oneofs, reports readable
// field paths, and yields the canonical form (implicit-presence defaults omitted)
// that reads, digests and comparisons use.
import * as t from 'io-ts';
import protobuf from 'protobufjs';
import { HalError, type HalReason } from './errors.js';
import { fieldsOf, type FieldSchema } from './schema.js';
import { halType } from './spec-root.js';
import { checkId, checkIp, checkIpv4, checkIpv6, checkL4Port, checkMac, checkPrefix, checkSpi, checkVni, type FormatProblem } from './values.js';

export interface CodecOptions {
  /** Validate and keep only key fields (DELETE updates, filters). */
  readonly keyOnly?: boolean;
  /** Reject write-only fields instead of accepting them (reads never carry them). */
  readonly forbidWriteOnly?: boolean;
}

const UINT32_MAX = 0xffffffff;
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

const fail = (u: unknown, c: t.Context, reason: HalReason, message: string): t.Validation<never> => t.failure(u, c, `${reason}|${message}`);
const problem = (u: unknown, c: t.Context, reason: HalReason, message: string): t.ValidationError => ({ value: u, context: c, message: `${reason}|${message}` });

function numberBounds(field: protobuf.Field): [number, number] {
  switch (field.type) {
    case 'uint32':
    case 'fixed32':
      return [0, UINT32_MAX];
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return [INT32_MIN, INT32_MAX];
    case 'uint64':
    case 'fixed64':
      return [0, Number.MAX_SAFE_INTEGER];
    default:
      return [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  }
}

const FORMAT_BOUNDS: Partial<Record<string, [number, number, string]>> = {
  IP_PROTOCOL: [0, 255, 'IP protocol'],
  VRF: [0, 65535, 'VRF'],
  CT_ZONE: [0, 65535, 'conntrack zone'],
  PRIORITY: [1, INT32_MAX, 'priority'],
  UINT8: [0, 255, '8-bit value'],
};

function checkString(format: string | undefined, v: string): FormatProblem | null {
  switch (format) {
    case 'ID':
      return checkId(v);
    case 'IPV4':
      return checkIpv4(v);
    case 'IPV6':
      return checkIpv6(v);
    case 'IP':
      return checkIp(v);
    case 'IP_PREFIX':
      return checkPrefix(v);
    case 'MAC':
      return checkMac(v);
    default:
      return null;
  }
}

function checkNumber(format: string | undefined, v: number): FormatProblem | null {
  switch (format) {
    case 'L4_PORT':
      return checkL4Port(v);
    case 'VNI':
      return checkVni(v);
    case 'SPI':
      return checkSpi(v);
  }
  const b = format ? FORMAT_BOUNDS[format] : undefined;
  if (b && (v < b[0] || v > b[1])) return { reason: 'FIELD_INVALID', message: `${v} is not a valid ${b[2]} (${b[0]}..${b[1]})` };
  return null;
}

/** Safe for messages: BigInt and cyclic values must not make validation throw. */
function show(u: unknown): string {
  if (typeof u === 'bigint') return `${u}n (a BigInt; use a number)`;
  try {
    return JSON.stringify(u) ?? String(u);
  } catch {
    return String(u);
  }
}

function isDefault(v: unknown): boolean {
  return v === 0 || v === '' || v === false || (v instanceof Uint8Array && v.length === 0) || (Array.isArray(v) && v.length === 0);
}

/** Validates one non-repeated value of a field; returns the canonical value. */
function validateValue(fs: FieldSchema, u: unknown, c: t.Context, opts: CodecOptions): t.Validation<unknown> {
  const field = fs.field;
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return messageCodec(rt, { forbidWriteOnly: opts.forbidWriteOnly }).validate(u, c);
  if (rt instanceof protobuf.Enum) {
    if (typeof u !== 'string' || !Object.hasOwn(rt.values, u)) {
      return fail(u, c, 'FIELD_INVALID', `${show(u)} is not a ${rt.name} (one of ${Object.keys(rt.values).join(', ')})`);
    }
    if (fs.required && rt.values[u] === 0) return fail(u, c, 'FIELD_MISSING', `${fs.name} must be set (not ${u})`);
    return t.success(u);
  }
  switch (field.type) {
    case 'string': {
      if (typeof u !== 'string') return fail(u, c, 'FIELD_INVALID', `expected a string, got ${typeof u}`);
      if (u === '' && fs.required) return fail(u, c, 'FIELD_MISSING', `${fs.name} is required`);
      // An empty string is the "unset" default, except where presence is explicit (a set oneof member or optional must be valid).
      if (u === '' && !fs.oneof && !fs.explicitPresence) return t.success(u);
      const p = checkString(fs.format, u);
      return p ? fail(u, c, p.reason, p.message) : t.success(u);
    }
    case 'bool':
      return typeof u === 'boolean' ? t.success(u) : fail(u, c, 'FIELD_INVALID', `expected a boolean, got ${typeof u}`);
    case 'bytes':
      if (!(u instanceof Uint8Array)) return fail(u, c, 'FIELD_INVALID', 'expected bytes (Uint8Array)');
      if (fs.required && u.length === 0) return fail('<bytes>', c, 'FIELD_MISSING', `${fs.name} is required`);
      return t.success(new Uint8Array(u));
    default: {
      if (typeof u !== 'number' || !Number.isInteger(u)) return fail(u, c, 'FIELD_INVALID', `expected an integer, got ${show(u)}`);
      const [lo, hi] = numberBounds(field);
      if (u < lo || u > hi) return fail(u, c, 'FIELD_INVALID', `${u} is out of range for ${field.type} (${lo}..${hi})`);
      if (u === 0 && fs.required) return fail(u, c, 'FIELD_MISSING', `${fs.name} is required`);
      if (u === 0 && !fs.explicitPresence) return t.success(u);
      if (fs.min !== undefined && u < fs.min) return fail(u, c, 'FIELD_INVALID', `${u} is below the minimum ${fs.min}`);
      if (fs.max !== undefined && u > fs.max) return fail(u, c, 'FIELD_INVALID', `${u} is above the maximum ${fs.max}`);
      const p = checkNumber(fs.format, u);
      return p ? fail(u, c, p.reason, p.message) : t.success(u);
    }
  }
}

function validateField(fs: FieldSchema, u: unknown, c: t.Context, opts: CodecOptions): t.Validation<unknown> {
  const field = fs.field;
  if (field instanceof protobuf.MapField) {
    if (typeof u !== 'object' || u === null || Array.isArray(u)) return fail(u, c, 'FIELD_INVALID', 'expected a map');
    const out: Record<string, unknown> = {};
    const errors: t.Errors = [];
    for (const [k, v] of Object.entries(u)) {
      const r = validateValue({ ...fs, required: false }, v, t.appendContext(c, k, t.unknown, v), opts);
      if (r._tag === 'Left') errors.push(...r.left);
      else out[k] = r.right;
    }
    return errors.length ? t.failures(errors) : t.success(out);
  }
  if (field.repeated) {
    if (!Array.isArray(u)) return fail(u, c, 'FIELD_INVALID', 'expected a list');
    const out: unknown[] = [];
    const errors: t.Errors = [];
    u.forEach((v, i) => {
      const r = validateValue({ ...fs, required: false }, v, t.appendContext(c, String(i), t.unknown, v), opts);
      if (r._tag === 'Left') errors.push(...r.left);
      else out.push(r.right);
    });
    if (!errors.length && fs.required && out.length === 0) return fail(u, c, 'FIELD_MISSING', `${fs.name} needs at least one element`);
    return errors.length ? t.failures(errors) : t.success(out);
  }
  return validateValue(fs, u, c, opts);
}

// ---------------------------------------------------------------------------
// The fast path. Each message type's checks are compiled once into closures
// that return the canonical value, or FAILED without saying why. Valid input
// (the common case) then costs no io-ts contexts, Either objects or error
// lists; invalid input is decoded again by the io-ts codec below, which gives
// the exact reason, message and field path. The two must accept exactly the
// same values and produce the same canonical form: test/hal/fast-codec.test.ts
// checks that over random valid and invalid bodies of every table.

/** The fast path's "not valid; ask the io-ts codec why". */
const FAILED: unique symbol = Symbol('invalid');
type Fast = (u: unknown) => unknown;

const isPlainObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u) && !(u instanceof Uint8Array);

function fastValue(fs: FieldSchema, opts: CodecOptions): Fast {
  const field = fs.field;
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return fastMessage(rt, { forbidWriteOnly: opts.forbidWriteOnly });
  if (rt instanceof protobuf.Enum) {
    const values = rt.values;
    const required = fs.required;
    return (u) => (typeof u !== 'string' || !Object.hasOwn(values, u) || (required && values[u] === 0) ? FAILED : u);
  }
  switch (field.type) {
    case 'string': {
      const { required, format } = fs;
      const emptyIsUnset = !fs.oneof && !fs.explicitPresence;
      return (u) => {
        if (typeof u !== 'string') return FAILED;
        if (u === '') {
          if (required) return FAILED;
          if (emptyIsUnset) return u;
        }
        return checkString(format, u) ? FAILED : u;
      };
    }
    case 'bool':
      return (u) => (typeof u === 'boolean' ? u : FAILED);
    case 'bytes': {
      const required = fs.required;
      return (u) => (!(u instanceof Uint8Array) || (required && u.length === 0) ? FAILED : new Uint8Array(u));
    }
    default: {
      const [lo, hi] = numberBounds(field);
      const { required, explicitPresence, min, max, format } = fs;
      return (u) => {
        if (typeof u !== 'number' || !Number.isInteger(u) || u < lo || u > hi) return FAILED;
        if (u === 0) {
          if (required) return FAILED;
          if (!explicitPresence) return u;
        }
        if ((min !== undefined && u < min) || (max !== undefined && u > max)) return FAILED;
        return checkNumber(format, u) ? FAILED : u;
      };
    }
  }
}

function fastField(fs: FieldSchema, opts: CodecOptions): Fast {
  const one = fastValue({ ...fs, required: false }, opts);
  const field = fs.field;
  if (field instanceof protobuf.MapField) {
    return (u) => {
      if (typeof u !== 'object' || u === null || Array.isArray(u)) return FAILED;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(u)) {
        const r = one(v);
        if (r === FAILED) return FAILED;
        out[k] = r;
      }
      return out;
    };
  }
  if (field.repeated) {
    const required = fs.required;
    return (u) => {
      if (!Array.isArray(u)) return FAILED;
      const out: unknown[] = [];
      // forEach, as the io-ts path does: holes in a sparse list are skipped.
      let bad = false;
      u.forEach((v) => {
        if (bad) return;
        const r = one(v);
        if (r === FAILED) bad = true;
        else out.push(r);
      });
      if (bad || (required && out.length === 0)) return FAILED;
      return out;
    };
  }
  return fastValue(fs, opts);
}

const fastCache = new Map<protobuf.Type, (Fast | undefined)[]>();

/** The compiled fast path of messageCodec (same options, same canonical output). */
function fastMessage(type: protobuf.Type, opts: CodecOptions): Fast {
  const slot = (opts.keyOnly ? 1 : 0) | (opts.forbidWriteOnly ? 2 : 0);
  let slots = fastCache.get(type);
  if (!slots) fastCache.set(type, (slots = []));
  const hit = slots[slot];
  if (hit) return hit;
  // Nested types may refer back to this one: resolve through a late binding.
  let impl: Fast = () => FAILED;
  const self: Fast = (u) => impl(u);
  slots[slot] = self;
  const fields = fieldsOf(type);
  const known = new Set(fields.map((f) => f.name));
  interface Step {
    readonly name: string;
    readonly required: boolean;
    readonly refuse: boolean;
    readonly check: Fast;
    /** Drop from the canonical form when the value is this kind of default. */
    readonly omitDefault: boolean;
    readonly omitEnumZero?: Record<string, number>;
  }
  const steps: Step[] = [];
  for (const fs of fields) {
    const isKey = fs.match !== undefined || fs.name === 'priority';
    if (opts.keyOnly && !isKey) continue;
    const rt = fs.field.resolvedType;
    steps.push({
      name: fs.name,
      required: fs.required,
      refuse: fs.writeOnly && opts.forbidWriteOnly === true,
      check: fastField(fs, opts),
      omitDefault: !fs.oneof && !fs.explicitPresence && !(rt instanceof protobuf.Type && !fs.field.repeated),
      omitEnumZero: rt instanceof protobuf.Enum && !fs.oneof ? rt.values : undefined,
    });
  }
  const oneofs = type.oneofsArray
    .filter((o) => !o.name.startsWith('_'))
    .filter((o) => !opts.keyOnly || o.fieldsArray.some((f) => f.options?.['(match)']))
    .map((o) => ({ members: o.fieldsArray.map((f) => f.name), optional: o.options?.['(optional_oneof)'] === true }));
  impl = (u) => {
    if (!isPlainObject(u)) return FAILED;
    for (const k of Object.keys(u)) if (!known.has(k) && u[k] !== undefined) return FAILED;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < steps.length; i++) {
      const st = steps[i];
      const v = u[st.name];
      if (v === undefined || v === null) {
        if (st.required) return FAILED;
        continue;
      }
      if (st.refuse) return FAILED;
      const r = st.check(v);
      if (r === FAILED) return FAILED;
      if (st.omitDefault && isDefault(r)) continue;
      if (st.omitEnumZero && st.omitEnumZero[r as string] === 0) continue;
      out[st.name] = r;
    }
    for (let i = 0; i < oneofs.length; i++) {
      let present = 0;
      for (const m of oneofs[i].members) if (u[m] !== undefined && u[m] !== null) present++;
      if (present > 1 || (present === 0 && !oneofs[i].optional)) return FAILED;
    }
    return out;
  };
  return self;
}

/**
 * The canonical form of `value` as a `type` message, or undefined when it is
 * not valid (then decode it with messageCodec to learn why).
 */
export function canonicalOrUndefined(type: protobuf.Type, value: unknown, opts: CodecOptions = {}): Record<string, unknown> | undefined {
  const r = fastMessage(type, opts)(value);
  return r === FAILED ? undefined : (r as Record<string, unknown>);
}

// Keyed by the Type object and an options index: `type.fullName` is a getter
// that rebuilds the name on every call, too slow for a per-value lookup.
const codecCache = new Map<protobuf.Type, (t.Type<unknown, unknown, unknown> | undefined)[]>();

/** The codec for a message type. Decoding yields the canonical plain object. */
export function messageCodec<A = Record<string, unknown>>(type: protobuf.Type, opts: CodecOptions = {}): t.Type<A, A, unknown> {
  const slot = (opts.keyOnly ? 1 : 0) | (opts.forbidWriteOnly ? 2 : 0);
  let slots = codecCache.get(type);
  if (!slots) codecCache.set(type, (slots = []));
  const hit = slots[slot];
  if (hit) return hit as t.Type<A, A, unknown>;
  const fast = fastMessage(type, opts);
  const slow = slowValidate(type, opts);
  const codec = new t.Type<A, A, unknown>(
    type.name,
    (u): u is A => typeof u === 'object' && u !== null,
    (u, c) => {
      const r = bypassFast ? FAILED : fast(u);
      return r === FAILED ? (slow(u, c) as t.Validation<A>) : t.success(r as A);
    },
    t.identity,
  );
  slots[slot] = codec as t.Type<unknown, unknown, unknown>;
  return codec;
}

let bypassFast = false;

/** Decodes with the io-ts walk alone (nested messages too): the reference the fast path is tested against. */
export function decodeWithoutFastPath(type: protobuf.Type, value: unknown, opts: CodecOptions = {}): t.Validation<unknown> {
  bypassFast = true;
  try {
    return messageCodec(type, opts).decode(value);
  } finally {
    bypassFast = false;
  }
}

/** The io-ts walk: slower, but says what is wrong and where. */
function slowValidate(type: protobuf.Type, opts: CodecOptions): t.Validate<unknown, unknown> {
  const fields = fieldsOf(type);
  const known = new Set(fields.map((f) => f.name));
  const realOneofs = type.oneofsArray.filter((o) => !o.name.startsWith('_'));
  return (u, c) => {
    if (typeof u !== 'object' || u === null || Array.isArray(u) || u instanceof Uint8Array) {
      return fail(u, c, 'FIELD_INVALID', `expected a ${type.name} object`);
    }
    const input = u as Record<string, unknown>;
    const errors: t.Errors = [];
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(input)) {
      if (!known.has(k) && input[k] !== undefined) {
        errors.push(problem(input[k], t.appendContext(c, k, t.unknown, input[k]), 'FIELD_INVALID', `${type.name} has no field "${k}"`));
      }
    }
    for (const fs of fields) {
      const isKey = fs.match !== undefined || fs.name === 'priority';
      if (opts.keyOnly && !isKey) continue;
      const v = input[fs.name];
      const ctx = t.appendContext(c, fs.name, t.unknown, v);
      if (v === undefined || v === null) {
        if (fs.required) errors.push(problem(v, ctx, 'FIELD_MISSING', `${fs.name} is required`));
        continue;
      }
      if (fs.writeOnly && opts.forbidWriteOnly) {
        errors.push(problem('<redacted>', ctx, 'FIELD_INVALID', `${fs.name} is write-only`));
        continue;
      }
      const r = validateField(fs, v, ctx, opts);
      if (r._tag === 'Left') {
        errors.push(...r.left);
        continue;
      }
      // Canonical form: implicit-presence defaults are omitted; presence of
      // oneof members, proto3 optionals and sub-messages is kept.
      if (!fs.oneof && !fs.explicitPresence && !(fs.field.resolvedType instanceof protobuf.Type && !fs.field.repeated) && isDefault(r.right)) continue;
      if (fs.field.resolvedType instanceof protobuf.Enum && !fs.oneof && fs.field.resolvedType.values[r.right as string] === 0) continue;
      out[fs.name] = r.right;
    }
    for (const oneof of realOneofs) {
      const present = oneof.fieldsArray.filter((f) => input[f.name] !== undefined && input[f.name] !== null);
      const keyOneof = oneof.fieldsArray.some((f) => f.options?.['(match)']);
      if (opts.keyOnly && !keyOneof) continue;
      if (present.length > 1) {
        errors.push(problem(present.map((f) => f.name), t.appendContext(c, present[1].name, t.unknown, undefined), 'FIELD_INVALID', `only one of ${oneof.oneof.join(', ')} may be set`));
      } else if (present.length === 0 && oneof.options?.['(optional_oneof)'] !== true) {
        errors.push(problem(undefined, t.appendContext(c, oneof.name, t.unknown, undefined), 'ONEOF_UNSET', `one of ${oneof.oneof.join(', ')} must be set`));
      }
    }
    return errors.length ? t.failures(errors) : t.success(out);
  };
}

export interface Problem {
  readonly reason: HalReason;
  readonly message: string;
  readonly fieldPath: string;
}

/** Joins io-ts context keys into "updates[2].entry.route.prefix". */
export function contextPath(context: t.Context): string {
  let path = '';
  for (const entry of context) {
    if (entry.key === '') continue;
    path += /^[0-9]+$/.test(entry.key) ? `[${entry.key}]` : path ? `.${entry.key}` : entry.key;
  }
  return path;
}

export function joinPath(base: string, rest: string): string {
  if (!base) return rest;
  if (!rest) return base;
  return rest.startsWith('[') ? base + rest : `${base}.${rest}`;
}

/** Readable problems from io-ts errors, in input order. */
export function problemsOf(errors: t.Errors, basePath = ''): Problem[] {
  return errors.map((e) => {
    const raw = e.message ?? 'FIELD_INVALID|invalid value';
    const bar = raw.indexOf('|');
    return {
      reason: (bar > 0 ? raw.slice(0, bar) : 'FIELD_INVALID') as HalReason,
      message: bar > 0 ? raw.slice(bar + 1) : raw,
      fieldPath: joinPath(basePath, contextPath(e.context)),
    };
  });
}

export function problemError(p: Problem): HalError {
  return HalError.of(p.reason, p.message, p.fieldPath);
}

/** Decodes or throws the first problem as a HalError (INVALID_ARGUMENT). */
export function decodeOrThrow<A>(codec: t.Type<A, A, unknown>, value: unknown, basePath = ''): A {
  const r = codec.decode(value);
  if (r._tag === 'Right') return r.right;
  throw problemError(problemsOf(r.left, basePath)[0]);
}

/** The codec of a HAL message by its name in hal-spec ("RouteEntry", "WriteRequest"). */
export function halCodec<A = Record<string, unknown>>(name: string, opts: CodecOptions = {}): t.Type<A, A, unknown> {
  return messageCodec<A>(halType(name), opts);
}
