// The xpuhal CLI end to end: spawns `node bin/xpuhal.js` as a user would.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/xpuhal.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function xpuhal(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const json = (r: Run) => {
  expect(r.code, r.stderr).to.equal(0);
  return JSON.parse(r.stdout);
};

describe('cli: xpuhal', function () {
  this.timeout(60000);

  it('--help lists the commands with examples', async () => {
    const r = await xpuhal('--help');
    expect(r.code).to.equal(0);
    for (const cmd of ['drivers', 'describe', 'demo', 'Examples:', '--json']) expect(r.stdout).to.include(cmd);
  });

  it('drivers --json lists the reference driver with a summary', async () => {
    const list = json(await xpuhal('drivers', '--json')) as { name: string; summary: string }[];
    const ref = list.find((d) => d.name === 'reference');
    expect(ref, JSON.stringify(list)).to.exist;
    expect(ref!.summary).to.be.a('string').and.not.empty;
  });

  it('describe --driver reference --json has identity, tables with key fields, and what is unsupported', async () => {
    const d = json(await xpuhal('describe', '--driver', 'reference', '--json'));
    expect(d.identity.driver).to.equal('reference');
    expect(d.identity.halVersion).to.equal('v1alpha1');
    const tables = d.capabilities.tables as { name: string; keyFields: { name: string; match: string }[] }[];
    expect(tables.length).to.be.greaterThan(0);
    const route = tables.find((t) => t.name === 'route');
    expect(route?.keyFields).to.deep.include({ name: 'prefix', match: 'LPM' });
    expect(d.unsupported.tables).to.be.an('array');
    expect(d.unsupported.features).to.be.an('array');
  });

  it('describe (human form) prints the table of tables and the not-supported section', async () => {
    const r = await xpuhal('describe', '-d', 'reference');
    expect(r.code, r.stderr).to.equal(0);
    for (const s of ['TABLE', 'KEY FIELDS (MATCH)', 'USED / MAX', 'atomicity modes', 'Not supported', 'Notes']) expect(r.stdout).to.include(s);
  });

  it('describe --driver nope fails with one clear error line and a non-zero exit', async () => {
    const r = await xpuhal('describe', '--driver', 'nope');
    expect(r.code).to.not.equal(0);
    expect(r.stdout).to.equal('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^error: NOT_FOUND \(ENTRY_NOT_FOUND\) at driver: no driver named "nope"/);
  });

  it('an unknown command is a usage error', async () => {
    const r = await xpuhal('frobnicate');
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include('unknown command');
  });

  describe('demo --json (regression test of the main job)', () => {
    let report: any;
    let features: string[];

    before(async () => {
      report = json(await xpuhal('demo', '--json'));
      features = json(await xpuhal('describe', '--driver', 'reference', '--json')).capabilities.features ?? [];
    });

    const packet = (id: string) => {
      const p = report.packets.find((x: { id: string }) => x.id === id);
      expect(p, `packet ${id}`).to.exist;
      return p;
    };

    it('programs every batch, and the bad batch is refused with state unchanged', () => {
      const byName = Object.fromEntries(report.batches.map((b: { name: string }) => [b.name, b]));
      for (const name of ['underlay', 'pods', 'policy', 'tenant']) expect(byName[name].ok, name).to.equal(true);
      const bad = byName['bad-batch'];
      expect(bad.ok).to.equal(false);
      expect(bad.refusal.status.code).to.equal('NOT_FOUND');
      expect(bad.refusal.status.reason).to.equal('REFERENCE_MISSING');
      expect(bad.refusal.status.fieldPath).to.equal('updates[1].entry.route.nexthopId');
      expect(bad.refusal.stateUnchanged).to.equal(true);
    });

    it('each packet gets its expected disposition', () => {
      const rejectRoute = features.includes('ROUTE_REJECT_ICMP') ? 'REJECTED' : 'DROPPED';
      const expected: Record<string, string> = {
        'a0-to-b0-web': 'FORWARDED',
        'a0-to-b0-ssh': 'DROPPED',
        'a1-to-b0-web': 'DROPPED',
        'a0-ping-b1': 'FORWARDED',
        'a0-to-b1-web-v6': 'FORWARDED',
        'a1-ping-b0-v6': 'DROPPED',
        'a0-to-internet': 'FORWARDED',
        'b1-to-internet-v6': 'FORWARDED',
        'internet-to-a0': 'FORWARDED',
        'a0-to-rejected-range': rejectRoute,
        't0-to-a0-no-route': 'DROPPED',
      };
      const got = Object.fromEntries(report.packets.map((p: { id: string; disposition: string }) => [p.id, p.disposition]));
      expect(got).to.deep.equal(expected);
    });

    it('says why, in plain words', () => {
      expect(packet('a0-to-b0-web').why).to.include('allowed by ACL demo/allow-web-from-a (priority 100)');
      expect(packet('a1-to-b0-web').why).to.equal('denied by ACL demo/deny-b (priority 200)');
      expect(packet('a0-to-b0-ssh').why).to.equal('isolated for ingress: default deny');
      expect(packet('a1-ping-b0-v6').why).to.equal('isolated for ingress: default deny');
      expect(packet('t0-to-a0-no-route').why).to.match(/^no route/);
      expect(packet('a0-to-internet').why).to.include('0.0.0.0/0');
    });

    it('forwarded packets leave the right port with rewritten MACs and a decremented TTL', () => {
      const out = (id: string) => {
        const p = packet(id);
        expect(p.emitted, id).to.have.length(1);
        return p.emitted[0];
      };
      expect(out('a0-to-b0-web')).to.include({ port: 'host2', dstMac: '0a:58:0a:02:00:14', ttl: 63 });
      expect(out('a0-ping-b1')).to.include({ port: 'host3', dstMac: '0a:58:0a:02:00:15' });
      expect(out('a0-to-b1-web-v6')).to.include({ port: 'host3', dstMac: '0a:58:0a:02:00:15' });
      expect(out('a0-to-internet')).to.include({ port: 'uplink0', dstMac: '02:42:c0:a8:00:01' });
      expect(out('b1-to-internet-v6')).to.include({ port: 'uplink0', dstMac: '02:42:c0:a8:00:01' });
      expect(out('internet-to-a0')).to.include({ port: 'host0', dstMac: '0a:58:0a:01:00:0a' });
      for (const id of ['a0-to-b0-ssh', 'a1-to-b0-web', 't0-to-a0-no-route']) expect(packet(id).emitted, id).to.deep.equal([]);
    });

    it('ends with a summary and the state generation and digest', () => {
      const s = report.summary;
      expect(s.sent).to.equal(11);
      expect(s.forwarded + s.dropped + s.rejected).to.equal(11);
      expect(s.forwarded).to.equal(6);
      expect(s.byReason['isolated for ingress: default deny']).to.equal(2);
      expect(s.byReason['denied by ACL demo/deny-b (priority 200)']).to.equal(1);
      expect(report.state.generation).to.equal(4);
      expect(report.state.digest).to.match(/^sha256:[0-9a-f]{64}$/);
    });
  });

  it('demo (human form) prints one line per packet and the summary, exit 0', async () => {
    const r = await xpuhal('demo');
    expect(r.code, r.stderr).to.equal(0);
    const packetLines = r.stdout.split('\n').filter((l) => /^\s*\d+\. \[/.test(l));
    expect(packetLines).to.have.length(11);
    for (const l of packetLines) expect(l).to.match(/=> {2}(FORWARDED|DROPPED|REJECTED)/);
    expect(r.stdout).to.match(/Summary: 11 packets: \d+ forwarded, \d+ dropped, \d+ rejected/);
    expect(r.stdout).to.match(/State: generation 4, digest sha256:[0-9a-f]{64}/);
  });

  it('the demo is deterministic: the same digest every run', async () => {
    const a = json(await xpuhal('demo', '--json'));
    const b = json(await xpuhal('demo', '--json'));
    expect(a.state).to.deep.equal(b.state);
  });
});
