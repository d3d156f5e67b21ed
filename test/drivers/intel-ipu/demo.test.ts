// `xpuhal demo --driver intel-ipu`: the dual-stack demo runs on the P4 target
// (IPv6 endpoints and routes included), exits 0 and says what it ran.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('intel-ipu: the demo', function () {
  this.timeout(120_000);

  it('demo --driver intel-ipu --json: every batch as planned, IPv6 packets forwarded, exit 0', async () => {
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [path.join(ROOT, 'bin/xpuhal.js'), 'demo', '--driver', 'intel-ipu', '--json'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout);
    expect(report.driver).to.equal('intel-ipu');
    expect(report.batches.map((b: { name: string; ok: boolean }) => [b.name, b.ok])).to.deep.equal([
      ['underlay', true],
      ['pods', true],
      ['policy', true],
      ['tenant', true],
      ['bad-batch', false],
    ]);
    const byId = new Map(report.packets.map((p: { id: string }) => [p.id, p]));
    const v6 = report.packets.filter((p: { sent: string }) => /\[?fd00:|2001:db8/.test(p.sent));
    expect(v6.length).to.be.at.least(2);
    expect(v6.map((p: { disposition: string; dropReason?: string }) => p.disposition === 'FORWARDED' || p.dropReason === 'default-deny-ingress')).to.not.include(false);
    expect(v6.some((p: { disposition: string }) => p.disposition === 'FORWARDED')).to.equal(true);
    expect(byId.size).to.equal(report.summary.sent);
    expect(report.summary.forwarded).to.be.at.least(6);
  });
});
