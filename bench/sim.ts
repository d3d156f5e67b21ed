// `npm run bench` section for the cost model: the seed scenario (Geneve +
// conntrack, 2x25GbE, 64-byte packets) under every device profile. The full
// 500K-connection run takes minutes on a shared machine, so the bench scales it
// (XPUHAL_BENCH_SEED_CONNECTIONS, default 50,000) and says so; the full figures in
// docs/benchmarks.md come from `xpuhal sim run -s scenarios/seed-geneve-ct.json -p all`.
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScenario } from '../src/scenario/run.js';
import { parseScenario } from '../src/scenario/schema.js';
import { loadProfile, profileNames } from '../src/sim/cost/profile.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function seedScenarioBench(): Promise<void> {
  const connections = Number(process.env.XPUHAL_BENCH_SEED_CONNECTIONS ?? 50_000);
  const doc = JSON.parse(readFileSync(path.join(ROOT, 'scenarios/seed-geneve-ct.json'), 'utf8'));
  doc.traffic.flows[0].connections = connections;
  doc.traffic.phases[1].packets = 2 * connections;
  const scenario = parseScenario(doc, 'seed-geneve-ct.json');
  console.log(`seed scenario (Geneve + conntrack, 2x25GbE, 64 B), ${connections.toLocaleString('en-US')} connections, ${(2 * connections).toLocaleString('en-US')} established-phase packets:`);
  for (const name of profileNames()) {
    const { report } = await runScenario(scenario, loadProfile(name), 'seed-geneve-ct.json');
    for (const p of report.phases) {
      const lr = p.lineRate ? `line rate ${(p.lineRate.pps / 1e6).toFixed(1)} Mpps ${p.lineRate.holds ? 'held' : 'NOT held'}` : 'no line rate';
      console.log(
        `  ${name.padEnd(11)} ${p.name.padEnd(12)} ${(p.capacity.pps / 1e6).toFixed(2).padStart(7)} Mpps (${p.capacity.bottleneck}), ${lr}, p50 ${(p.latencyNs.p50 / 1e3).toFixed(2)} µs p99 ${(p.latencyNs.p99 / 1e3).toFixed(2)} µs, ${Math.round(p.cyclesPerPacket.total)} ${p.cyclesPerPacket.unit}/pkt, host ${Math.round(p.hostCpu.cyclesPerPacket)} cycles/pkt, dropped ${p.packets.dropped}`,
      );
    }
    console.log(`  ${name.padEnd(11)} simulator: ${Math.round(report.simulator.packetsPerSecond).toLocaleString('en-US')} packets/s wall clock (${report.packets.in.toLocaleString('en-US')} packets in ${report.simulator.wallSeconds.toFixed(1)} s)`);
  }
}
