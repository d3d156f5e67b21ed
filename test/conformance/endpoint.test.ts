// The suite over the wire: the reference driver served by `HalServer` on
// loopback with mutual TLS, driven through `xpuhal conformance --endpoint`
// (one device, reset between tests) and through the runner with `RemoteHal`.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReferenceDriver } from '../../src/drivers/reference/index.js';
import { HalServer, TLS_FILES, certsInit, loadRoles } from '../../src/wire/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/xpuhal.js');

function xpuhal(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('conformance: against a HAL endpoint (serve on loopback, mutual TLS)', function () {
  this.timeout(180_000);
  let dir: string;
  let server: HalServer;
  let port: number;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'xpuhal-conf-tls-'));
    certsInit(dir, { clients: [{ name: 'controller', role: 'controller' }, { name: 'watcher', role: 'observer' }] });
    server = new HalServer({ hal: new ReferenceDriver(), listen: '127.0.0.1:0', tlsDir: dir, roles: loadRoles(path.join(dir, TLS_FILES.roles)) });
    port = await server.start();
  });

  after(async () => {
    await server.shutdown(1000);
  });

  it('xpuhal conformance --endpoint runs the forwarding profile: nothing fails or errors', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'xpuhal-conf-ep-'));
    const r = await xpuhal('conformance', '--endpoint', `127.0.0.1:${port}`, '--tls-dir', dir, '--profile', 'forwarding', '--report-dir', out);
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.target).to.deep.equal({ name: `127.0.0.1:${port}`, isolation: 'shared' });
    expect(report.identity.driver).to.equal('reference');
    expect(report.totals.fail + report.totals.error).to.equal(0);
    expect(report.totals.pass).to.be.at.least(45);
  });

  it('an observer certificate cannot run the suite: the first write is refused PERMISSION_DENIED', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'xpuhal-conf-ep-'));
    const r = await xpuhal('conformance', '--endpoint', `127.0.0.1:${port}`, '--tls-dir', dir, '--client', 'watcher', '--profile', 'core', '--report-dir', out);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/PERMISSION_DENIED|ROLE_FORBIDDEN/, r.stderr);
  });
});
