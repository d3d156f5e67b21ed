// What a conformance test is, what it needs from a device, and what a run yields.
import type { Capabilities, DescribeResponse, Feature, PortStatus } from '../../src/hal/index.js';
import type { Ctx } from './context.js';

export const PROFILES = ['core', 'forwarding', 'policy', 'stateful', 'tunnel', 'qos', 'crypto', 'telemetry'] as const;
export type Profile = (typeof PROFILES)[number];

export type Status = 'pass' | 'fail' | 'unsupported' | 'error';

/** What the runner knows about the device before running a test. */
export interface Env {
  readonly describe: DescribeResponse;
  readonly caps: Capabilities;
  readonly ports: readonly PortStatus[];
  /** Each test gets a new device (true) or a reset shared one (false). */
  readonly fresh: boolean;
}

/** A precondition: null when the device meets it, else the missing capability, named. */
export interface Requirement {
  missing(env: Env): string | null;
}

export interface ConformanceTest {
  /** Stable, dotted: `<profile>.<area>.<case>`. */
  readonly id: string;
  readonly profile: Profile;
  /** Says what is asserted and cites the hal-spec section (§n.m). */
  readonly title: string;
  readonly needs: readonly Requirement[];
  run(ctx: Ctx): Promise<void>;
}

export interface TestResult {
  readonly id: string;
  readonly profile: Profile;
  readonly title: string;
  readonly status: Status;
  /** Why it failed, errored or was unsupported (the missing capability). */
  readonly reason?: string;
  readonly durationMs: number;
}

export type Totals = Record<Status, number> & { total: number };

export const emptyTotals = (): Totals => ({ pass: 0, fail: 0, unsupported: 0, error: 0, total: 0 });

/** Thrown by an assertion: the device did not behave as hal-spec says. */
export class Failure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Failure';
  }
}

/** Thrown when a precondition discovered while running is not met. */
export class Unsupported extends Error {
  constructor(readonly missing: string) {
    super(`unsupported: ${missing}`);
    this.name = 'Unsupported';
  }
}

export type { Feature };
