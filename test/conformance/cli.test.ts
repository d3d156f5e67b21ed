// `xpuhal conformance` end to end: a real process, real report files.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseXml } from './xml.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/xpuhal.js');

function xpuhal(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('cli: xpuhal conformance', function () {
  this.timeout(90_000);

  it('--driver reference --profile core forwarding passes and writes report.json, junit.xml and summary.md', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'xpuhal-conf-cli-'));
    const r = await xpuhal('conformance', '--driver', 'reference', '--profile', 'core', 'forwarding', '--report-dir', dir);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/reference: \d+ pass, 0 fail, 0 error/);
    expect(r.stderr).to.include('conformance: core');
    for (const f of ['report.json', 'junit.xml', 'summary.md']) expect(existsSync(path.join(dir, f)), f).to.equal(true);
    const report = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8'));
    expect(report.identity.driver).to.equal('reference');
    expect(report.conformant).to.equal(true);
    expect(report.profiles).to.deep.equal(['core', 'forwarding']);
    expect(new Set(report.results.map((x: { profile: string }) => x.profile))).to.deep.equal(new Set(['core', 'forwarding']));
    const xml = parseXml(readFileSync(path.join(dir, 'junit.xml'), 'utf8'));
    expect(Number(xml.attrs.tests)).to.equal(report.totals.total);
  });

  it('bad arguments are one clear error line and a non-zero exit', async () => {
    const a = await xpuhal('conformance', '--driver', 'reference', '--profile', 'nope');
    expect(a.code).to.equal(2);
    expect(a.stderr).to.match(/^error: INVALID_ARGUMENT \(FIELD_INVALID\) at profile: unknown profile "nope"/);
    const b = await xpuhal('conformance', '--endpoint', '127.0.0.1:1');
    expect(b.code).to.equal(2);
    expect(b.stderr).to.include('--tls-dir');
    const c = await xpuhal('conformance');
    expect(c.code).to.equal(2);
    expect(c.stderr).to.include('exactly one of --driver, --endpoint or --all-drivers');
  });
});
