// `xpuhal conformance`: runs the conformance suite against a registered driver
// (a fresh device per test), against a HAL endpoint over gRPC (one device,
// reset between tests), or against every registered driver (a matrix), and
// writes report.json, junit.xml and summary.md. Exits non-zero on any fail or error.
import { join } from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { Command, Option } from 'commander';
import {
  PROFILES,
  buildReport,
  matrixMarkdown,
  runConformance,
  testsFor,
  writeReports,
  type Profile,
  type RunOutcome,
  type Target,
  type TestResult,
} from '../../conformance/index.js';
import { builtinRegistry } from '../drivers/builtin.js';
import { HalError } from '../hal/errors.js';
import { openEndpoint } from './conformance-endpoint.js';

interface Opts {
  driver?: string;
  endpoint?: string;
  tlsDir?: string;
  client: string;
  serverName?: string;
  profile?: string[];
  reportDir: string;
  allDrivers?: boolean;
  shared?: boolean;
  timeout: string;
}

/** Progress on stderr: a rewritten line on a terminal, one line per profile and per failure otherwise. */
export function progress(stream: NodeJS.WriteStream = process.stderr): (r: TestResult, done: number, total: number) => void {
  const tty = stream.isTTY === true;
  let profile = '';
  const counts = { pass: 0, fail: 0, unsupported: 0, error: 0 };
  return (r, done, total) => {
    counts[r.status]++;
    if (tty) {
      const line = `[${done}/${total}] ${counts.pass} pass, ${counts.fail} fail, ${counts.error} error, ${counts.unsupported} unsupported  ${r.id}`;
      stream.write(`\r\x1b[K${line.slice(0, (stream.columns ?? 120) - 1)}`);
      if (done === total) stream.write('\n');
    } else if (r.profile !== profile) {
      profile = r.profile;
      stream.write(`conformance: ${profile} (${done}/${total})\n`);
    }
    if (r.status === 'fail' || r.status === 'error') stream.write(`${tty ? '\r\x1b[K' : ''}  ${r.status.toUpperCase()} ${r.id}: ${r.reason ?? ''}\n`);
  };
}

function profilesOf(list: string[] | undefined): Profile[] {
  const out = (list ?? []).flatMap((p) => p.split(',')).filter(Boolean);
  for (const p of out) if (!(PROFILES as readonly string[]).includes(p)) throw HalError.of('FIELD_INVALID', `unknown profile "${p}" (profiles: ${PROFILES.join(', ')})`, 'profile');
  return out as Profile[];
}

function driverTarget(name: string, shared: boolean): Target {
  const registry = builtinRegistry();
  if (!registry.has(name)) throw HalError.of('ENTRY_NOT_FOUND', `no driver named "${name}" (registered: ${registry.names().join(', ')})`, 'driver');
  if (!shared) return { name, isolation: 'fresh', open: () => registry.create(name) };
  const one = registry.create(name);
  return { name, isolation: 'shared', open: () => one };
}

async function runOne(target: Target, profiles: Profile[], dir: string, timeoutMs: number): Promise<RunOutcome> {
  const run = await runConformance(target, { tests: testsFor(profiles), timeoutMs, onResult: progress() });
  const report = buildReport(run, profiles.length ? profiles : [...PROFILES]);
  const files = writeReports(dir, report);
  const t = run.totals;
  process.stdout.write(`${target.name}: ${t.pass} pass, ${t.fail} fail, ${t.error} error, ${t.unsupported} unsupported of ${t.total} (${(run.durationMs / 1000).toFixed(1)} s)\n`);
  process.stdout.write(`reports: ${files.join(', ')}\n`);
  return run;
}

export function registerConformanceCommand(program: Command): void {
  program
    .command('conformance')
    .description('run the HAL conformance suite against a driver or a HAL endpoint and write reports')
    .option('--driver <name>', 'a registered driver (a fresh device per test)')
    .option('--endpoint <host:port>', 'a HAL gRPC endpoint (one device, reset between tests)')
    .option('--tls-dir <dir>', 'mTLS material for --endpoint, as made by `xpuhal certs init`')
    .option('--client <name>', 'client certificate in --tls-dir (clients/NAME.pem); its role must be controller', 'controller')
    .option('--server-name <name>', 'name to check the server certificate against (default: the endpoint host)')
    .option('--profile <profile...>', `profiles to run (default all): ${PROFILES.join(', ')}`)
    .option('--report-dir <dir>', 'where report.json, junit.xml and summary.md go', 'out/conformance')
    .option('--all-drivers', 'every registered driver × every profile: reports per driver and matrix.md')
    .addOption(new Option('--shared', 'run a driver as one device reset between tests (how --endpoint runs)').hideHelp())
    .option('--timeout <ms>', 'per-test timeout in milliseconds', '20000')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  xpuhal conformance --driver reference --report-dir out',
        '  xpuhal conformance --driver reference --profile core forwarding',
        '  xpuhal conformance --endpoint dpu-0.local:50051 --tls-dir tls/ --client agent',
        '  xpuhal conformance --all-drivers --report-dir out/matrix',
        '',
        'Exit status: 0 when nothing failed or errored (unsupported tests do not fail a run), 1 otherwise.',
      ].join('\n'),
    )
    .action(async (opts: Opts) => {
      const profiles = profilesOf(opts.profile);
      const timeoutMs = Number(opts.timeout);
      if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw HalError.of('FIELD_INVALID', `--timeout must be a positive integer, got "${opts.timeout}"`, 'timeout');
      const modes = [opts.driver, opts.endpoint, opts.allDrivers].filter(Boolean).length;
      if (modes !== 1) throw HalError.of('FIELD_INVALID', 'give exactly one of --driver, --endpoint or --all-drivers', 'driver');
      const runs: { name: string; run: RunOutcome }[] = [];
      if (opts.allDrivers) {
        for (const name of builtinRegistry().names()) runs.push({ name, run: await runOne(driverTarget(name, false), profiles, join(opts.reportDir, name), timeoutMs) });
        mkdirSync(opts.reportDir, { recursive: true });
        const matrix = join(opts.reportDir, 'matrix.md');
        writeFileSync(matrix, matrixMarkdown(runs.map(({ name, run }) => ({ driver: name, byProfile: run.byProfile, totals: run.totals }))));
        process.stdout.write(`matrix: ${matrix}\n`);
      } else if (opts.endpoint) {
        const target = await openEndpoint(opts.endpoint, { tlsDir: opts.tlsDir, client: opts.client, serverName: opts.serverName });
        try {
          runs.push({ name: opts.endpoint, run: await runOne(target, profiles, opts.reportDir, timeoutMs) });
        } finally {
          await target.dispose();
        }
      } else {
        runs.push({ name: opts.driver!, run: await runOne(driverTarget(opts.driver!, opts.shared === true), profiles, opts.reportDir, timeoutMs) });
      }
      const bad = runs.filter(({ run }) => run.totals.fail + run.totals.error > 0);
      if (bad.length) throw new Error(`conformance failed: ${bad.map(({ name, run }) => `${name} (${run.totals.fail} fail, ${run.totals.error} error)`).join(', ')}`);
    });
}
