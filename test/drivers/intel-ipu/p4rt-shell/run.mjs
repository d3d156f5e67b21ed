#!/usr/bin/env node
// The p4runtime-shell tier: prepares a Python virtual environment under
// ~/.cache/xpuhal/venv-p4rt with p4runtime-shell from PyPI (pinned), then runs
// scenario.ts, which drives the intel-ipu target with the driver and with the
// shell. Exit 0 pass, 1 fail; 77 after printing one `SKIPPED p4rt-shell: <reason>`
// line when the machine cannot run it (no python3, no venv module, no PyPI).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const P4RUNTIME_SHELL = 'p4runtime-shell==0.0.6';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../../..');
const VENV = process.env.XPUHAL_P4RT_VENV ?? path.join(homedir(), '.cache', 'xpuhal', 'venv-p4rt');
const PY = path.join(VENV, 'bin', 'python');

function skip(reason) {
  console.log(`SKIPPED p4rt-shell: ${reason}`);
  process.exit(77);
}

function run(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', ...opts });
}

const python3 = run('python3', ['--version']);
if (python3.error || python3.status !== 0) skip('python3 is not installed');

if (!existsSync(PY)) {
  mkdirSync(path.dirname(VENV), { recursive: true });
  const v = run('python3', ['-m', 'venv', VENV]);
  if (v.status !== 0) skip(`python3 -m venv failed (install python3-venv): ${(v.stderr || '').trim().split('\n').pop()}`);
}
const want = P4RUNTIME_SHELL.split('==')[1];
const have = run(PY, ['-c', "import importlib.metadata as m; print(m.version('p4runtime-shell'))"]);
if (have.status !== 0 || have.stdout.trim() !== want) {
  console.log(`installing ${P4RUNTIME_SHELL} into ${VENV}`);
  const pip = run(PY, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', P4RUNTIME_SHELL], { stdio: ['ignore', 'inherit', 'pipe'] });
  if (pip.status !== 0) skip(`pip install ${P4RUNTIME_SHELL} failed: ${(pip.stderr || '').trim().split('\n').pop()}`);
}

const require = createRequire(import.meta.url);
const tsx = require.resolve('tsx', { paths: [ROOT] });
const r = spawnSync(process.execPath, ['--import', tsx, path.join(HERE, 'scenario.ts'), PY], { cwd: ROOT, stdio: 'inherit' });
process.exit(r.status ?? 1);
