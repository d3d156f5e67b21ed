// `xpuhal k8s simulate` on the two-node example: two devices behind the simulated
// fabric, one adapter each, the reachability matrix from real frames (direct
// routing between nodes), and the command line in text and JSON.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSimulate } from '../../src/cli/k8s-commands.js';
import { ReferenceDriver } from '../../src/drivers/reference/index.js';
import { serve, tlsDir } from '../wire/wire-fixtures.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const MANIFESTS = join(ROOT, 'examples/k8s/two-node');
const PROBES = join(ROOT, 'examples/k8s/two-node-probes.yaml');

// x/a admits only namespace y; z may send only to x (examples/k8s/two-node/policies.yaml).
const EXPECTED = ['-........', 'X-.......', 'X.-......', '...-.....', '....-....', '.....-...', 'X..XXX-XX', 'X..XXXX-X', 'X..XXXXX-'];

describe('k8s simulate: a two-node cluster behind a simulated fabric', function () {
  this.timeout(120_000);

  it('programs both nodes and gives the policy matrix, naming the deciding policies', async () => {
    const r = await runSimulate({ manifests: MANIFESTS, probes: PROBES, driver: 'reference', overlay: 'direct' });
    expect(r.nodes.map((n) => [n.node, n.converged])).to.deep.equal([['node-1', true], ['node-2', true]]);
    expect(r.problems).to.deep.equal([]);
    expect(r.matrices[0].pods).to.deep.equal(['x/a', 'x/b', 'x/c', 'y/a', 'y/b', 'y/c', 'z/a', 'z/b', 'z/c']);
    expect(r.matrices[0].rows).to.deep.equal(EXPECTED);
    const cell = (from: string, to: string) => r.matrices[0].cells.find((c) => c.from === from && c.to === to)!;
    // Cross-node: z/a (node-2) to x/b (node-1) crosses the fabric.
    expect(cell('z/a', 'x/b')).to.deep.include({ verdict: 'allowed', answeredBy: 'x/b (10.244.1.12:80)', path: ['node-2', 'node-1'], policy: 'z/z-to-x' });
    expect(cell('z/a', 'x/a')).to.deep.include({ verdict: 'denied', policy: 'x/a-from-y', path: ['node-2', 'node-1'] });
    expect(cell('z/a', 'y/c')).to.deep.include({ verdict: 'denied', policy: 'z/z-to-x', path: ['node-2'] });
    expect(cell('y/b', 'x/a')).to.deep.include({ verdict: 'allowed', policy: 'x/a-from-y' });
    const out = r.probes.find((p) => p.to === '8.8.8.8')!;
    expect(out.verdict).to.equal('left-cluster');
  });

  it('on intel-ipu: the same matrix; service options the program lacks are left out and reported, not the whole write refused', async () => {
    const r = await runSimulate({ manifests: MANIFESTS, probes: PROBES, driver: 'intel-ipu', overlay: 'direct' });
    expect(r.nodes.map((n) => [n.node, n.converged])).to.deep.equal([['node-1', true], ['node-2', true]]);
    expect(r.matrices[0].rows).to.deep.equal(EXPECTED);
    // Problems read "node-N: Service ns/name: <option> is not offloaded by this device ...".
    const reported = [...new Set(r.problems.map((p) => p.replace(/^node-\d+: /, '').split(' is not offloaded')[0]))].sort();
    expect(reported).to.deep.equal(['Service x/web: hairpin SNAT', 'Service x/web: masquerade', 'Service y/dns: hairpin SNAT']);
  });

  it('the command prints the matrix, and --json the same report', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/xpuhal.js'), ...args], { encoding: 'utf8', cwd: ROOT });
    const text = run('k8s', 'simulate', '--manifests', MANIFESTS, '--probes', PROBES);
    expect(text.status, text.stderr).to.equal(0);
    expect(text.stdout).to.match(/reachability TCP\/80/);
    expect(text.stdout).to.match(/z\/a\s+X\s+\.\s+\.\s+X\s+X\s+X\s+-\s+X\s+X/);
    expect(text.stdout).to.match(/denied by: .*x\/a-from-y/);
    const json = run('--json', 'k8s', 'simulate', '--manifests', MANIFESTS, '--probes', PROBES);
    expect(json.status, json.stderr).to.equal(0);
    expect(JSON.parse(json.stdout).matrices[0].rows).to.deep.equal(EXPECTED);
    const bad = run('k8s', 'simulate', '--manifests', MANIFESTS, '--probes', PROBES, '--overlay', 'carrier-pigeon');
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.match(/--overlay must be vxlan, geneve or direct/);
  });

  it('--endpoint: each node\'s device served over gRPC with mutual TLS gives the same matrix', async () => {
    const devices = [new ReferenceDriver({ hostPorts: 16 }), new ReferenceDriver({ hostPorts: 16 })];
    const served = await Promise.all(devices.map((d) => serve(d)));
    try {
      const r = await runSimulate({ manifests: MANIFESTS, probes: PROBES, driver: 'reference', overlay: 'direct', endpoint: served.map((s, i) => `node-${i + 1}=127.0.0.1:${s.port}`), tlsDir: tlsDir(), client: 'ctl' });
      expect(r.nodes.map((n) => [n.node, n.converged, n.endpoint])).to.deep.equal(served.map((s, i) => [`node-${i + 1}`, true, `127.0.0.1:${s.port}`]));
      expect(r.matrices[0].rows).to.deep.equal(EXPECTED);
      // The served devices hold what the adapters wrote over the wire.
      for (const d of devices) expect((await d.read({ tables: ['endpoint'] })).length).to.be.greaterThan(0);
      const bad = (endpoint: string[]) => runSimulate({ manifests: MANIFESTS, probes: PROBES, driver: 'reference', overlay: 'direct', endpoint, tlsDir: tlsDir(), client: 'ctl' }).then(() => 'ok', (e: Error) => e.message);
      expect(await bad(['node-9=127.0.0.1:1'])).to.equal('--endpoint "node-9=127.0.0.1:1": the cluster has no node "node-9" (nodes: node-1, node-2)');
      expect(await bad(['node-1'])).to.equal('--endpoint "node-1": expected NODE=HOST:PORT');
    } finally {
      for (const s of served) await s.close();
    }
  });
});
