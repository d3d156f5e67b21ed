// `xpuhal sim run` end to end, spawned as a user would run it.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { buildFrame, parsePacket, readPcap, writePcap } from '../../src/sim/packet/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/xpuhal.js');
const SMOKE = path.join(ROOT, 'scenarios/smoke.json');

function xpuhal(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('cli: xpuhal sim run', function () {
  this.timeout(120000);
  const dir = mkdtempSync(path.join(tmpdir(), 'xpuhal-sim-'));

  it('--json on the smoke scenario: packet counts, drops by reason, model figures; --pcap-out parses back', async () => {
    const pcap = path.join(dir, 'smoke.pcap');
    const r = await xpuhal('sim', 'run', '--scenario', SMOKE, '--profile', 'host-x86', '--pcap-out', pcap, '--json', '--no-progress');
    expect(r.code, r.stderr).to.equal(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.scenario).to.equal('smoke');
    expect(rep.profile.name).to.equal('host-x86');
    const [open, steady] = rep.phases;
    // Open: 400 + 100 TCP handshakes (3 packets) and 50 UDP exchanges (2 packets) = 1600.
    // a1 (every other client) has HTTPS denied by ACL: 200 connections × SYN and ACK = 400.
    // a1 → b0 is not admitted by b0's ingress ACL: 50 connections × 2 = 100 default-deny-ingress.
    // UDP to 198.51.100.0/24 hits the drop route: 50; the replies from there are delivered
    // (a UDP packet may open a connection). The SYN-ACKs answering the 250 denied SYNs
    // belong to no connection: conntrack drops them as ct-invalid (hal-spec §2).
    expect(open.packets.in).to.equal(1600);
    expect(open.packets.droppedByReason).to.deep.equal({ 'acl-deny': 400, 'ct-invalid': 250, 'default-deny-ingress': 100, 'route-drop': 50 });
    expect(open.packets.out).to.equal(800);
    expect(steady.packets.in).to.equal(4000);
    expect(steady.packets.out + steady.packets.dropped).to.equal(4000);
    expect(Object.keys(steady.packets.droppedByReason)).to.include.members(['acl-deny', 'default-deny-ingress', 'route-drop']);
    expect(rep.packets.in).to.equal(5600);
    expect(rep.packets.out).to.equal(open.packets.out + steady.packets.out);
    for (const p of rep.phases) {
      expect(p.capacity.pps).to.be.greaterThan(0);
      expect(p.capacity.bottleneck).to.equal('4 cores');
      expect(p.lineRate.holds).to.be.a('boolean');
      expect(p.latencyNs.p50).to.be.at.most(p.latencyNs.p90);
      expect(p.latencyNs.p90).to.be.at.most(p.latencyNs.p99);
      expect(p.latencyNs.p99).to.be.at.most(p.latencyNs.max);
      expect(p.latencyNs.samples).to.equal(p.packets.out);
      expect(Object.keys(p.cyclesPerPacket.byStage)).to.include.members(['parse', 'policy', 'routing', 'port-egress']);
      expect(p.hostCpu.cyclesPerPacket).to.be.closeTo(p.cyclesPerPacket.total, 1e-6);
    }
    expect(rep.simulator.packetsPerSecond).to.be.greaterThan(0);

    const file = readPcap(readFileSync(pcap));
    expect(file.records.length).to.equal(rep.packets.out);
    for (const rec of file.records) {
      const parsed = parsePacket(rec.frame);
      expect(parsed.ok, JSON.stringify(parsed)).to.equal(true);
    }
    for (let i = 1; i < file.records.length; i++) expect(file.records[i].timeNs >= file.records[i - 1].timeNs).to.equal(true);
  });

  it('the same scenario gives the same packets under every profile (--profile all), and different modelled figures', async () => {
    const r = await xpuhal('sim', 'run', '-s', SMOKE, '-p', 'all', '--json', '--no-progress');
    expect(r.code, r.stderr).to.equal(0);
    const all = JSON.parse(r.stdout) as { reports: { profile: { name: string; style: string }; packets: unknown; phases: { capacity: { pps: number }; hostCpu: { cyclesPerPacket: number } }[] }[] };
    expect(all.reports.map((x) => x.profile.name)).to.deep.equal(['host-x86', 'intel-ipu', 'nvidia-dpu', 'pensando']);
    for (const x of all.reports) expect(x.packets).to.deep.equal(all.reports[0].packets);
    const host = all.reports[0];
    for (const x of all.reports.slice(1)) {
      expect(x.profile.style).to.equal('pipelined');
      expect(x.phases[1].capacity.pps).to.be.greaterThan(host.phases[1].capacity.pps);
      expect(x.phases[1].hostCpu.cyclesPerPacket).to.equal(0);
    }
  });

  it('text output names the figures; --pcap-in replays a capture as the traffic', async () => {
    const pcapIn = path.join(dir, 'in.pcap');
    // Frames from pod a0 on host0 to the internet: addressed to host0's MAC (02:00:00:00:00:03: ports are numbered uplink0, uplink1, host0, ...).
    const frames = Array.from({ length: 10 }, (_, i) =>
      buildFrame({ eth: { src: '0a:58:0a:01:00:0a', dst: '02:00:00:00:00:03' }, ipv4: { src: '10.1.0.10', dst: '203.0.113.9' }, tcp: { sport: 2000 + i, dport: 443, flags: 'S' } }),
    );
    writeFileSync(pcapIn, writePcap(frames.map((frame, i) => ({ timeNs: 1_700_000_000_000_000_000n + BigInt(i * 1000), frame }))));
    const r = await xpuhal('sim', 'run', '-s', SMOKE, '--pcap-in', pcapIn, '--pcap-port', 'host0', '--no-progress');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('Packets: 10 in, 10 out, 0 dropped');
    expect(r.stdout).to.include('Phase "pcap"');
    expect(r.stdout).to.include('offered 1.00 Mpps');
    for (const w of ['throughput', 'line rate', 'latency', 'p50', 'p99', 'per packet', 'host CPU', 'Simulator:']) expect(r.stdout).to.include(w);
  });

  it('a bad scenario or profile is one clear error line and a non-zero exit', async () => {
    const bad = path.join(dir, 'bad.json');
    const doc = JSON.parse(readFileSync(SMOKE, 'utf8'));
    doc.traffic.phases[0].rate = { pps: -1 };
    writeFileSync(bad, JSON.stringify(doc));
    const r = await xpuhal('sim', 'run', '-s', bad);
    expect(r.code).to.not.equal(0);
    expect(r.stderr.trim()).to.equal(`error: ${bad}: traffic.phases[0].rate.pps: expected a finite number > 0, got -1`);
    const p = await xpuhal('sim', 'run', '-s', SMOKE, '-p', 'tofino');
    expect(p.code).to.not.equal(0);
    expect(p.stderr).to.include('no profile "tofino"');
    expect(p.stdout).to.equal('');
  });

  it('sim run --help explains the options with examples', async () => {
    const r = await xpuhal('sim', 'run', '--help');
    expect(r.code).to.equal(0);
    for (const w of ['--scenario', '--profile', '--pcap-in', '--pcap-out', '--json', 'Examples:', 'host-x86']) expect(r.stdout).to.include(w);
  });
});
