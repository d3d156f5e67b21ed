// `xpuhal k8s run --config`: node settings from a file, every field checked, the
// bad one named by its path (and the adapter stops before it opens a device).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HalError } from '../../src/hal/errors.js';
import { loadNodeConfigFile, parseNodeConfigFile } from '../../src/cli/k8s-run-config.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'xpuhal.js');

function failure(f: () => unknown): { reason?: string; fieldPath?: string; message: string } {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(HalError);
    const h = e as HalError;
    return { reason: h.reason, fieldPath: h.fieldPath, message: h.message };
  }
  throw new Error('accepted');
}

describe('cli: k8s run --config (node settings file)', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'xpuhal-k8s-config-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads YAML and JSON; an empty file means the defaults', () => {
    writeFileSync(join(dir, 'ok.yaml'), 'overlay: geneve\nvni: 7\nclusterCidrs: [10.0.0.0/8, "fd00::/48"]\nfabricMac: "02:AA:bb:00:00:01"\nmasqueradeOutside: false\nzone: z1\n');
    expect(loadNodeConfigFile(join(dir, 'ok.yaml'))).to.deep.equal({ overlay: 'geneve', vni: 7, clusterCidrs: ['10.0.0.0/8', 'fd00::/48'], fabricMac: '02:aa:bb:00:00:01', masqueradeOutside: false, zone: 'z1' });
    writeFileSync(join(dir, 'ok.json'), '{"hostPorts": ["host0", "host1"], "vrf": 3}');
    expect(loadNodeConfigFile(join(dir, 'ok.json'))).to.deep.equal({ hostPorts: ['host0', 'host1'], vrf: 3 });
    writeFileSync(join(dir, 'empty.yaml'), '# nothing\n');
    expect(loadNodeConfigFile(join(dir, 'empty.yaml'))).to.deep.equal({});
  });

  it('names the bad field: wrong type, out of range, not a CIDR, unknown, nodeName', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ overlay: 'gre' }, 'config.overlay', /vxlan \| geneve \| direct/],
      [{ vni: 0 }, 'config.vni', /1\.\.16777215/],
      [{ vni: '4096' }, 'config.vni', /integer/],
      [{ clusterCidrs: ['10.0.0.0/8', '10.0.0.0/33'] }, 'config.clusterCidrs[1]', /CIDR/],
      [{ serviceCidrs: '10.96.0.0/16' }, 'config.serviceCidrs', /a list/],
      [{ nodePortAddresses: ['10.0.0.1'] }, 'config.nodePortAddresses[0]', /CIDR/],
      [{ fabricMac: '02:fa:b0:00:00' }, 'config.fabricMac', /MAC/],
      [{ masqueradeOutside: 'yes' }, 'config.masqueradeOutside', /true or false/],
      [{ overlayMode: 'vxlan' }, 'config.overlayMode', /not a node setting/],
      [{ nodeName: 'n1' }, 'config.nodeName', /--node/],
      [['vxlan'], 'config', /mapping/],
    ];
    for (const [doc, path, msg] of cases) {
      const f = failure(() => parseNodeConfigFile(doc));
      expect([f.reason, f.fieldPath], JSON.stringify(doc)).to.deep.equal(['FIELD_INVALID', path]);
      expect(f.message).to.match(msg);
    }
    writeFileSync(join(dir, 'bad.yaml'), 'overlay: [unclosed\n');
    expect(failure(() => loadNodeConfigFile(join(dir, 'bad.yaml'))).message).to.match(/is not YAML/);
    expect(failure(() => loadNodeConfigFile(join(dir, 'absent.yaml'))).message).to.match(/ENOENT/);
  });

  it('xpuhal k8s run stops with the field path and exit code 2 before it connects anywhere', async function () {
    this.timeout(20_000);
    writeFileSync(join(dir, 'vni.yaml'), 'vni: 99999999\n');
    // The real CLI in a child process. A kubeconfig that does not exist: reaching it would fail differently.
    const r = spawnSync(process.execPath, [BIN, 'k8s', 'run', '--node', 'n1', '--kubeconfig', join(dir, 'no-kubeconfig'), '--config', join(dir, 'vni.yaml')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).to.equal(2);
    expect(r.stderr.trim()).to.equal('error: INVALID_ARGUMENT (FIELD_INVALID) at config.vni: config.vni must be an integer 1..16777215, got 99999999');
  });
});
