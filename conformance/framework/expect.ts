// Assertions that throw Failure with a message an operator can act on.
import { isDeepStrictEqual } from 'node:util';
import { isHalError, type HalError, type UpdateStatus } from '../../src/hal/index.js';
import { Failure } from './types.js';

export function show(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? `bytes:${Buffer.from(x).toString('hex')}` : typeof x === 'bigint' ? `${x}n` : x));
}

export function fail(message: string): never {
  throw new Failure(message);
}

export function check(cond: unknown, message: string): asserts cond {
  if (!cond) fail(message);
}

export function eq<T>(actual: unknown, expected: T, what: string): asserts actual is T {
  if (!isDeepStrictEqual(actual, expected)) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

export interface StatusShape {
  code: string;
  reason?: string;
  fieldPath?: string;
}

/** A status without its message: what the suite compares exactly. */
export function shape(s: UpdateStatus | HalError): StatusShape {
  const reason = s.reason && s.reason !== 'REASON_UNSPECIFIED' ? s.reason : undefined;
  return { code: String(s.code), ...(reason && { reason }), ...(s.fieldPath && { fieldPath: s.fieldPath }) };
}

/** Awaits a call that must fail with a HalError and returns it. */
export async function rejects(p: Promise<unknown>, what: string): Promise<HalError> {
  let value: unknown;
  try {
    value = await p;
  } catch (e) {
    if (isHalError(e)) return e;
    throw e;
  }
  return fail(`${what}: expected the call to fail, it succeeded with ${show(value)}`);
}

/** The call fails with exactly this code, reason and field path (hal-spec §11). */
export async function callFails(p: Promise<unknown>, want: StatusShape, what: string): Promise<HalError> {
  const err = await rejects(p, what);
  eq(shape(err), want, `${what}: error`);
  return err;
}

export const OK: StatusShape = { code: 'OK' };
export const ROLLED_BACK: StatusShape = { code: 'ABORTED', reason: 'BATCH_ROLLED_BACK' };
