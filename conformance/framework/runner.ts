// Runs conformance tests against a target: gates each test on the declared
// capabilities, gives it a fresh device (or resets the shared one), classifies
// the outcome (pass / fail / unsupported / error) and reports progress.
import { isHalError, type DescribeResponse, type Hal } from '../../src/hal/index.js';
import { Ctx } from './context.js';
import { resetDevice } from './reset.js';
import { Failure, Unsupported, emptyTotals, type ConformanceTest, type Env, type Profile, type Status, type TestResult, type Totals } from './types.js';

export interface Target {
  /** For reports: "reference", "grpc://host:port". */
  readonly name: string;
  /** fresh: open() builds a new device per test; shared: open() returns the one device, reset between tests. */
  readonly isolation: 'fresh' | 'shared';
  open(): Promise<Hal>;
}

export interface RunOptions {
  readonly tests: readonly ConformanceTest[];
  /** Per test, wall clock: a hung device is an error, not a hang. Default 20 s. */
  readonly timeoutMs?: number;
  /** Called after each test (progress display). */
  readonly onResult?: (r: TestResult, done: number, total: number) => void;
  /** Stop at the first fail (mutant hunting). */
  readonly stopOnFail?: boolean;
}

export interface RunOutcome {
  readonly target: { name: string; isolation: 'fresh' | 'shared' };
  readonly describe: DescribeResponse;
  readonly results: TestResult[];
  readonly totals: Totals;
  readonly byProfile: Partial<Record<Profile, Totals>>;
  readonly startedAt: string;
  readonly durationMs: number;
}

export async function runConformance(target: Target, opts: RunOptions): Promise<RunOutcome> {
  const started = Date.now();
  const first = await target.open();
  const describe = await first.describe();
  const env: Env = { describe, caps: describe.capabilities ?? {}, ports: (await first.listPorts()).ports ?? [], fresh: target.isolation === 'fresh' };
  if (target.isolation === 'fresh') await first.close();
  // A shared device that cannot be reset (an observer certificate, a device that
  // refuses writes) cannot run the suite at all: say so once instead of per test.
  else await resetDevice(first);
  const results: TestResult[] = [];
  for (const test of opts.tests) {
    const r = await runOne(target, first, env, test, opts.timeoutMs ?? 20_000);
    results.push(r);
    opts.onResult?.(r, results.length, opts.tests.length);
    if (opts.stopOnFail && r.status === 'fail') break;
  }
  if (target.isolation === 'shared') await first.close();
  const totals = emptyTotals();
  const byProfile: Partial<Record<Profile, Totals>> = {};
  for (const r of results) {
    const p = (byProfile[r.profile] ??= emptyTotals());
    for (const t of [totals, p]) {
      t[r.status]++;
      t.total++;
    }
  }
  return { target: { name: target.name, isolation: target.isolation }, describe, results, totals, byProfile, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started };
}

async function runOne(target: Target, shared: Hal, env: Env, test: ConformanceTest, timeoutMs: number): Promise<TestResult> {
  const t0 = performance.now();
  const done = (status: Status, reason?: string): TestResult => ({
    id: test.id,
    profile: test.profile,
    title: test.title,
    status,
    ...(reason !== undefined && { reason }),
    durationMs: Math.round((performance.now() - t0) * 100) / 100,
  });
  const missing = test.needs.map((n) => n.missing(env)).filter((m): m is string => m !== null);
  if (missing.length) return done('unsupported', `needs ${missing.join(', ')}`);
  let hal: Hal;
  try {
    hal = target.isolation === 'fresh' ? await target.open() : shared;
    if (target.isolation === 'shared') await resetDevice(hal);
  } catch (e) {
    return done('error', `could not prepare the device: ${message(e)}`);
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([test.run(new Ctx(guard(hal), env)), timeout]);
    return done('pass');
  } catch (e) {
    return classify(e, done);
  } finally {
    clearTimeout(timer);
    if (target.isolation === 'fresh') await hal.close().catch(() => undefined);
  }
}

class TimeoutError extends Error {}

/** A device call that threw something other than a HalError: the device's fault, so the test fails. */
class DeviceFault extends Error {}

/** The device, with any non-HAL exception of its calls turned into a DeviceFault. */
function guard(hal: Hal): Hal {
  const wrap = (method: string, e: unknown): never => {
    if (isHalError(e) || e instanceof DeviceFault) throw e;
    throw new DeviceFault(`the device's ${method}() threw ${message(e)} instead of answering (hal-spec §11: every failure is a HalError)`);
  };
  return new Proxy(hal, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function' || prop === 'subscribe') return v;
      return (...args: unknown[]) => {
        try {
          const r = v.apply(target, args);
          return r instanceof Promise ? r.catch((e) => wrap(String(prop), e)) : r;
        } catch (e) {
          return wrap(String(prop), e);
        }
      };
    },
  });
}

/** A device's wrong answer (assertion or unexpected HAL error) fails; a crash of the test errors. */
function classify(e: unknown, done: (s: Status, reason?: string) => TestResult): TestResult {
  if (e instanceof Unsupported) return done('unsupported', `needs ${e.missing}`);
  if (e instanceof Failure || e instanceof DeviceFault) return done('fail', e.message);
  if (isHalError(e)) return done('fail', `unexpected device error: ${e.toString()}${firstFailed(e.updates)}`);
  if (e instanceof TimeoutError) return done('error', e.message);
  return done('error', `test crashed: ${message(e)}`);
}

function firstFailed(updates: readonly { code?: string; reason?: string; fieldPath?: string; message?: string }[] | undefined): string {
  const i = (updates ?? []).findIndex((s) => s.code !== 'OK');
  if (i < 0) return '';
  const s = updates![i];
  return `; update [${i}]: ${s.code} (${s.reason ?? ''}) at ${s.fieldPath ?? ''}: ${s.message ?? ''}`;
}

function message(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
