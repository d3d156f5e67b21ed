#!/usr/bin/env node
// `npm test`: every tier in order, each with a header and a timing, then exactly
// one summary line `N passed, N failed[, N skipped]` from mocha's own results.
//
//   1. typecheck        tsc --noEmit -p .
//   2. generated code   tsx scripts/generate-hal-types.ts --check
//   3. k8s-apiserver    builds kube-apiserver + etcd once (scripts/k8s/build-testenv.sh)
//   4. grpcurl          builds grpcurl (go install, cached) and checks reflection with it
//                       (before `tests`, so the binary is there for them)
//   5. tests            mocha over test/**/*.test.ts (.mocharc.json)
//   6. p4rt-shell       test/drivers/intel-ipu/p4rt-shell/run.mjs (Python p4runtime-shell from PyPI)
//   7. wire             the reference driver suites again, each device served by
//                       `HalServer` over mutual TLS on loopback and used through
//                       `RemoteHal` (XPUHAL_WIRE=1, test/wire/over-the-wire.mocharc.json)
//
// Mocha takes one reporter; we want spec on the console, JUnit-style XML in
// out/test-results.xml (mocha's built-in xunit) and counts we can trust. So the
// test tier runs mocha's own CLI (same .mocharc.json, same arguments) in a child
// process whose reporter is a spec reporter that also drives xunit and writes
// the run's stats to out/mocha-stats.json.
//
// A tier whose tool is missing prints `SKIPPED <tier>: <reason>`; with
// XPUHAL_REQUIRE_ALL_TIERS=1 a skipped tier fails the run. A failed tier other
// than the tests counts as one failure in the summary, so the line never says
// "0 failed" for a broken run. Extra arguments go to mocha: npm test -- --grep x
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'out');
const STATS = path.join(OUT, 'mocha-stats.json');
const XUNIT = path.join(OUT, 'test-results.xml');
const require = createRequire(import.meta.url);
const GRPCURL_VERSION = 'v1.9.3';
const GRPCURL = path.join(os.homedir(), '.cache', 'xpuhal', 'bin', 'grpcurl');

if (process.argv[2] === '--mocha-child') await mochaChild(process.argv.slice(3));
else process.exitCode = runTiers(process.argv.slice(2));

function resolveOrNull(id) {
  try {
    return require.resolve(id, { paths: [ROOT] });
  } catch {
    return null;
  }
}

function commandExists(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function runTiers(mochaArgs) {
  const requireAll = process.env.XPUHAL_REQUIRE_ALL_TIERS === '1';
  const tsc = resolveOrNull('typescript/bin/tsc');
  const tsxCli = resolveOrNull('tsx/cli');
  const mocha = resolveOrNull('mocha');
  const generator = path.join(ROOT, 'scripts/generate-hal-types.ts');
  const tiers = [
    { name: 'typecheck', what: 'tsc --noEmit -p .', missing: !tsc && 'typescript is not installed (run npm ci)', argv: [tsc, '--noEmit', '-p', '.'] },
    {
      name: 'generated',
      what: 'tsx scripts/generate-hal-types.ts --check',
      missing: (!tsxCli && 'tsx is not installed (run npm ci)') || (!existsSync(generator) && 'scripts/generate-hal-types.ts is absent'),
      argv: [tsxCli, generator, '--check'],
    },
    {
      // test/k8s/apiserver.test.ts runs the adapter against a real kube-apiserver + etcd,
      // built from the Go module proxy once and cached under ~/.cache/xpuhal/k8s/.
      name: 'k8s-apiserver',
      what: 'bash scripts/k8s/build-testenv.sh (kube-apiserver + etcd, built once, cached)',
      missing: !commandExists('go') && 'go is not installed (needed to build kube-apiserver and etcd from the Go module proxy)',
      cmd: 'bash',
      argv: [path.join(ROOT, 'scripts/k8s/build-testenv.sh')],
    },
    {
      name: 'grpcurl',
      what: 'go install grpcurl (cached in ~/.cache/xpuhal/bin) and reflect/call the server with it',
      missing: (!mocha && 'mocha is not installed (run npm ci)') || (!ensureGrpcurl() && 'grpcurl is not built and Go is not available to build it (needs the Go toolchain)'),
      argv: ['--import', 'tsx', fileURLToPath(import.meta.url), '--mocha-child', '--config', 'test/wire/grpcurl.mocharc.json'],
      env: { XPUHAL_GRPCURL: GRPCURL, XPUHAL_XUNIT_FILE: path.join(OUT, 'test-results-grpcurl.xml') },
      tests: true,
    },
    {
      name: 'tests',
      what: 'mocha (spec to the console, xunit to out/test-results.xml)',
      missing: (!mocha && 'mocha is not installed (run npm ci)') || (!tsxCli && 'tsx is not installed (run npm ci)'),
      argv: ['--import', 'tsx', fileURLToPath(import.meta.url), '--mocha-child', ...mochaArgs],
      tests: true,
    },
    {
      // Exits 77 after printing its own SKIPPED line when python3 / venv / PyPI are unavailable.
      name: 'p4rt-shell',
      what: 'p4runtime-shell (PyPI, pinned, in ~/.cache/xpuhal/venv-p4rt) against the intel-ipu target',
      missing: !tsxCli && 'tsx is not installed (run npm ci)',
      argv: [path.join(ROOT, 'test/drivers/intel-ipu/p4rt-shell/run.mjs')],
      selfSkips: true,
    },
    {
      name: 'wire',
      what: 'reference driver suites through serve + remote client over mTLS (XPUHAL_WIRE=1)',
      missing: (!mocha && 'mocha is not installed (run npm ci)') || (!tsxCli && 'tsx is not installed (run npm ci)') || (!hasOpenssl() && 'the openssl CLI is missing (apt-get install openssl)'),
      argv: ['--import', 'tsx', fileURLToPath(import.meta.url), '--mocha-child', '--config', 'test/wire/over-the-wire.mocharc.json'],
      env: { XPUHAL_WIRE: '1', XPUHAL_XUNIT_FILE: path.join(OUT, 'test-results-wire.xml') },
      tests: true,
    },
  ];

  let failedTiers = 0;
  let stats = null;
  const results = [];
  const add = (a, b) => (a ? { passes: a.passes + b.passes, failures: a.failures + b.failures, pending: a.pending + b.pending } : b);
  for (const [i, t] of tiers.entries()) {
    console.log(`\n=== [${i + 1}/${tiers.length}] ${t.name}: ${t.what}`);
    if (t.missing) {
      console.log(`SKIPPED ${t.name}: ${t.missing}`);
      results.push(`${t.name}: skipped`);
      if (requireAll) {
        console.log(`FAILED ${t.name}: XPUHAL_REQUIRE_ALL_TIERS=1 makes a skipped tier a failure`);
        failedTiers++;
      }
      continue;
    }
    if (t.tests) rmSync(STATS, { force: true });
    const start = process.hrtime.bigint();
    const r = spawnSync(t.cmd ?? process.execPath, t.argv, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...t.env } });
    const secs = (Number(process.hrtime.bigint() - start) / 1e9).toFixed(1);
    const ok = r.status === 0;
    const tierStats = t.tests ? readStats() : null;
    if (tierStats) stats = add(stats, tierStats);
    if (t.selfSkips && r.status === 77) {
      results.push(`${t.name}: skipped`);
      if (requireAll) {
        console.log(`FAILED ${t.name}: XPUHAL_REQUIRE_ALL_TIERS=1 makes a skipped tier a failure`);
        failedTiers++;
      }
      continue;
    }
    if (!ok && !(t.tests && tierStats)) failedTiers++;
    if (t.tests && !tierStats) console.log(`FAILED ${t.name}: mocha did not report results (a test file failed to load?)`);
    const status = ok ? 'passed' : r.signal ? `killed by ${r.signal}` : `failed (exit ${r.status})`;
    console.log(`--- ${t.name}: ${status} in ${secs}s`);
    results.push(`${t.name}: ${status} (${secs}s)`);
  }

  console.log(`\n${results.join('; ')}`);
  const passed = stats?.passes ?? 0;
  const failed = (stats?.failures ?? 0) + failedTiers;
  const skipped = stats?.pending ?? 0;
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return failed > 0 ? 1 : 0;
}

/** Builds grpcurl with `go install` from the Go module proxy once; true when it is there. */
function ensureGrpcurl() {
  if (existsSync(GRPCURL)) return true;
  if (spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0) return false;
  console.log(`building grpcurl ${GRPCURL_VERSION} into ${path.dirname(GRPCURL)} ...`);
  const r = spawnSync('go', ['install', `github.com/fullstorydev/grpcurl/cmd/grpcurl@${GRPCURL_VERSION}`], { stdio: 'inherit', env: { ...process.env, GOBIN: path.dirname(GRPCURL) } });
  return r.status === 0 && existsSync(GRPCURL);
}

function hasOpenssl() {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

function readStats() {
  try {
    return JSON.parse(readFileSync(STATS, 'utf8'));
  } catch {
    return null;
  }
}

// Runs inside `node --import tsx`: mocha's CLI, with a reporter that is spec on
// the console plus xunit to a file plus the stats file.
async function mochaChild(args) {
  const { default: Mocha } = await import('mocha');
  const { Spec, XUnit } = Mocha.reporters;
  class SpecWithXunit extends Spec {
    constructor(runner, options) {
      super(runner, options);
      this.xunit = new XUnit(runner, { ...options, reporterOptions: { output: process.env.XPUHAL_XUNIT_FILE ?? XUNIT, suiteName: 'xpuhal' } });
      runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
        const { passes, failures, pending, tests, duration } = runner.stats ?? this.stats;
        mkdirSync(OUT, { recursive: true });
        writeFileSync(STATS, `${JSON.stringify({ passes, failures, pending, tests, duration })}\n`);
      });
    }
    done(failures, fn) {
      this.xunit.done(failures, fn);
    }
  }
  Mocha.reporters['xpuhal-spec-xunit'] = SpecWithXunit;
  const { main } = await import('mocha/lib/cli/cli.js');
  main(['--reporter', 'xpuhal-spec-xunit', ...args]);
}
