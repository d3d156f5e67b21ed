// report.json: who was tested (identity, capabilities), what ran, and every
// test's outcome; plus the writer for all three reports of a run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Capabilities, DeviceIdentity } from '../../src/hal/index.js';
import type { RunOutcome } from '../framework/runner.js';
import type { Profile, TestResult, Totals } from '../framework/types.js';
import { junitXml } from './junit.js';
import { markdownSummary } from './markdown.js';

export const REPORT_SCHEMA = 'xpuhal-conformance-report/v1';

export interface Report {
  readonly schema: typeof REPORT_SCHEMA;
  readonly target: { name: string; isolation: 'fresh' | 'shared' };
  readonly identity: DeviceIdentity;
  readonly capabilities: Capabilities;
  readonly profiles: readonly Profile[];
  readonly startedAt: string;
  readonly durationMs: number;
  readonly totals: Totals;
  readonly byProfile: Partial<Record<Profile, Totals>>;
  /** True when nothing failed or errored: the device conforms for what it declares. */
  readonly conformant: boolean;
  readonly results: readonly TestResult[];
}

export function buildReport(run: RunOutcome, profiles: readonly Profile[]): Report {
  return {
    schema: REPORT_SCHEMA,
    target: run.target,
    identity: run.describe.identity ?? {},
    capabilities: run.describe.capabilities ?? {},
    profiles,
    startedAt: run.startedAt,
    durationMs: run.durationMs,
    totals: run.totals,
    byProfile: run.byProfile,
    conformant: run.totals.fail === 0 && run.totals.error === 0,
    results: run.results,
  };
}

const json = (v: unknown) => `${JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? Buffer.from(x).toString('base64') : typeof x === 'bigint' ? Number(x) : x), 2)}\n`;

/** Writes report.json, junit.xml and summary.md into `dir`; returns their paths. */
export function writeReports(dir: string, report: Report): string[] {
  mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [
    ['report.json', json(report)],
    ['junit.xml', junitXml(report)],
    ['summary.md', markdownSummary(report)],
  ];
  return files.map(([name, text]) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  });
}
