// io-ts helpers for the simulator's data files (device profiles, scenarios):
// objects that refuse unknown keys (a typo must not silently fall back to a
// default) and one readable error naming the field path of the first problem.
import * as t from 'io-ts';

export class DataFileError extends Error {
  constructor(
    readonly file: string,
    readonly fieldPath: string,
    readonly detail: string,
  ) {
    super(`${file}: ${fieldPath || '(top level)'}: ${detail}`);
    this.name = 'DataFileError';
  }
}

/** An object with required and optional properties and no others. */
export function strictObject<R extends t.Props, O extends t.Props>(name: string, required: R, optional: O = {} as O) {
  const base = t.intersection([t.type(required), t.partial(optional)]);
  const known = new Set([...Object.keys(required), ...Object.keys(optional)]);
  return new t.Type<t.TypeOf<typeof base>, t.OutputOf<typeof base>, unknown>(
    name,
    (u): u is t.TypeOf<typeof base> => base.is(u),
    (u, c) => {
      if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c, `expected an object (${name})`);
      for (const k of Object.keys(u)) {
        if (!known.has(k)) return t.failure(u, t.appendContext(c, k, t.unknown, (u as Record<string, unknown>)[k]), `unknown field "${k}" (known: ${[...known].join(', ')})`);
      }
      return base.validate(u, c);
    },
    base.encode,
  );
}

const finite = (min: number, what: string) =>
  new t.Type<number, number, unknown>(
    what,
    (u): u is number => typeof u === 'number' && Number.isFinite(u) && u >= min,
    (u, c) => (typeof u === 'number' && Number.isFinite(u) && u >= min ? t.success(u) : t.failure(u, c, `expected ${what}, got ${JSON.stringify(u)}`)),
    t.identity,
  );

export const NonNegative = finite(0, 'a finite number >= 0');
export const Positive = new t.Type<number, number, unknown>(
  'a finite number > 0',
  (u): u is number => typeof u === 'number' && Number.isFinite(u) && u > 0,
  (u, c) => (typeof u === 'number' && Number.isFinite(u) && u > 0 ? t.success(u) : t.failure(u, c, `expected a finite number > 0, got ${JSON.stringify(u)}`)),
  t.identity,
);
export const PositiveInt = new t.Type<number, number, unknown>(
  'an integer >= 1',
  (u): u is number => Number.isSafeInteger(u) && (u as number) >= 1,
  (u, c) => (Number.isSafeInteger(u) && (u as number) >= 1 ? t.success(u as number) : t.failure(u, c, `expected an integer >= 1, got ${JSON.stringify(u)}`)),
  t.identity,
);
export const NonNegativeInt = new t.Type<number, number, unknown>(
  'an integer >= 0',
  (u): u is number => Number.isSafeInteger(u) && (u as number) >= 0,
  (u, c) => (Number.isSafeInteger(u) && (u as number) >= 0 ? t.success(u as number) : t.failure(u, c, `expected an integer >= 0, got ${JSON.stringify(u)}`)),
  t.identity,
);
export const NonEmptyString = new t.Type<string, string, unknown>(
  'a non-empty string',
  (u): u is string => typeof u === 'string' && u.trim() !== '',
  (u, c) => (typeof u === 'string' && u.trim() !== '' ? t.success(u) : t.failure(u, c, `expected a non-empty string, got ${JSON.stringify(u)}`)),
  t.identity,
);

/** `a.b[2].c` from an io-ts context (intersection/union members, numbered, are skipped). */
export function pathOf(context: t.Context): string {
  let out = '';
  for (let i = 1; i < context.length; i++) {
    const key = context[i].key;
    if (key === '') continue;
    if (/^[0-9]+$/.test(key)) {
      // Numbered keys are array indexes under an array, and member numbers of
      // intersections and unions anywhere else: not part of the data path.
      if (context[i - 1].type instanceof t.ArrayType) out += `[${key}]`;
      continue;
    }
    out += out ? `.${key}` : key;
  }
  return out;
}

function messageOf(e: t.ValidationError): string {
  if (e.message) return e.message;
  const last = e.context[e.context.length - 1];
  return `expected ${last?.type.name ?? 'a valid value'}, got ${JSON.stringify(e.value) ?? 'nothing'}`;
}

/**
 * One of several shapes, chosen by what the value looks like (a key it has),
 * instead of an io-ts union: a union reports every member's complaints, and the
 * user wants the one about the shape they meant.
 */
export function oneOf<A>(name: string, pick: (u: Record<string, unknown>) => { validate: t.Validate<unknown, A>; is: t.Is<A> }) {
  return new t.Type<A, unknown, unknown>(
    name,
    (u): u is A => typeof u === 'object' && u !== null && pick(u as Record<string, unknown>).is(u),
    (u, c) => (typeof u === 'object' && u !== null && !Array.isArray(u) ? pick(u as Record<string, unknown>).validate(u, c) : t.failure(u, c, `expected an object (${name})`)),
    t.identity,
  );
}

/** A number with the note that says where it comes from: `{ "value": n, "source": "..." }` or `"calibration"`. */
export function noted<C extends t.Mixed>(value: C) {
  type P = { value: t.TypeOf<C>; source: string } | { value: t.TypeOf<C>; calibration: string };
  return new t.Type<P, P, unknown>(
    'parameter',
    (u): u is P => typeof u === 'object' && u !== null && value.is((u as { value?: unknown }).value),
    (u, c) => {
      if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c, 'expected a parameter: { "value": ..., "source": "where the figure comes from" }');
      const o = u as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        if (k !== 'value' && k !== 'source' && k !== 'calibration') return t.failure(o[k], t.appendContext(c, k, t.unknown, o[k]), `unknown field "${k}" (a parameter has value and source or calibration)`);
      }
      const note = o.source ?? o.calibration;
      if (typeof note !== 'string' || note.trim() === '') return t.failure(u, c, 'a parameter needs a "source" (published figure) or "calibration" (measurement) note');
      const v = value.validate(o.value, t.appendContext(c, 'value', value, o.value));
      return v._tag === 'Left' ? v : t.success(u as P);
    },
    t.identity,
  );
}

/** Decodes or throws a DataFileError for the first problem in document order. */
export function decodeFile<A>(codec: t.Decoder<unknown, A>, value: unknown, file: string): A {
  const r = codec.decode(value);
  if (r._tag === 'Right') return r.right;
  const first = r.left[0];
  throw new DataFileError(file, pathOf(first.context), messageOf(first));
}
