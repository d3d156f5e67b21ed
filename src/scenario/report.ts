// Plain-text forms of `sim run` reports: one report in full, or several
// profiles side by side.
import type { PhaseReport, RunReport } from './run.js';

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const mpps = (pps: number) => (Number.isFinite(pps) ? `${(pps / 1e6).toFixed(2)} Mpps` : 'unbounded');
const gbps = (g: number) => `${g.toFixed(2)} Gb/s`;
const us = (ns: number) => `${(ns / 1000).toFixed(2)} µs`;

function dropLines(p: { droppedByReason: Record<string, number>; queueDropped: Record<string, number> }, indent: string): string[] {
  const out: string[] = [];
  for (const [why, n] of Object.entries(p.droppedByReason)) out.push(`${indent}${int(n).padStart(9)}  ${why}`);
  for (const [why, n] of Object.entries(p.queueDropped)) out.push(`${indent}${int(n).padStart(9)}  ${why} (modelled queue overflow; the packet never reached the pipeline)`);
  return out;
}

function stages(byStage: Record<string, number>): string {
  return Object.entries(byStage)
    .map(([s, v]) => `${s} ${int(v)}`)
    .join(', ');
}

function phaseLines(p: PhaseReport): string[] {
  const out = [`Phase "${p.name}": ${int(p.packets.in)} packets in, ${int(p.packets.out)} out, ${int(p.packets.dropped)} dropped; offered ${mpps(p.offered.pps)} (${gbps(p.offered.gbps)})`];
  out.push(...dropLines(p.packets, '  '));
  out.push(`  throughput  ${mpps(p.capacity.pps)} (${gbps(p.capacity.gbps)}), bottleneck: ${p.capacity.bottleneck}`);
  if (p.capacity.limits.length > 1) out.push(`              limits: ${p.capacity.limits.map((l) => `${l.name} ${mpps(l.pps)}`).join('; ')}`);
  if (p.lineRate) {
    const lr = p.lineRate;
    const pct = ((100 * p.capacity.pps) / lr.pps).toFixed(1);
    out.push(`  line rate   ${mpps(lr.pps)} (${gbps(lr.gbps)}) for this mix, busiest port ${lr.busiestPort}: ${lr.holds ? 'HELD' : `NOT held (throughput is ${pct}% of line rate)`}`);
  } else out.push('  line rate   no traffic on a topology port');
  const l = p.latencyNs;
  out.push(`  latency     p50 ${us(l.p50)}  p90 ${us(l.p90)}  p99 ${us(l.p99)}  max ${us(l.max)}  (${int(l.samples)} forwarded packets, with queueing)`);
  out.push(`  per packet  ${int(p.cyclesPerPacket.total)} ${p.cyclesPerPacket.unit}: ${stages(p.cyclesPerPacket.byStage)}`);
  if (p.passesPerPacket !== undefined) out.push(`              ${p.passesPerPacket.toFixed(3)} pipeline passes per packet`);
  if (p.slowPath) {
    const s = p.slowPath;
    out.push(s.punted ? `  slow path   ${int(s.punted)} packets punted, ${int(s.cyclesPerPuntedPacket)} cycles each: ${stages(s.byStage)}` : '  slow path   no packet punted');
  }
  out.push(`  host CPU    ${int(p.hostCpu.cyclesPerPacket)} cycles per packet; ${p.hostCpu.coresAtOffered.toFixed(2)} cores busy at the offered rate (or at throughput, if lower)`);
  return out;
}

export function formatReport(r: RunReport): string {
  const out = [`xpuhal sim run: scenario "${r.scenario}" on profile ${r.profile.name} (${r.profile.style})`, `  ${r.profile.description}`, ''];
  out.push(`Packets: ${int(r.packets.in)} in, ${int(r.packets.out)} out, ${int(r.packets.dropped)} dropped`);
  out.push(...dropLines(r.packets, '  '), '');
  for (const p of r.phases) out.push(...phaseLines(p), '');
  out.push(`Simulator: ${int(r.packets.in)} packets in ${r.simulator.wallSeconds.toFixed(2)} s of wall clock = ${int(r.simulator.packetsPerSecond)} packets/s (the model's figures above are virtual)`);
  return `${out.join('\n')}\n`;
}

export function formatComparison(reports: readonly RunReport[], renderTable: (h: string[], rows: string[][]) => string): string {
  const rows: string[][] = [];
  for (const r of reports) {
    for (const p of r.phases) {
      rows.push([
        r.profile.name,
        p.name,
        `${int(p.packets.in)}/${int(p.packets.out)}/${int(p.packets.dropped)}`,
        mpps(p.capacity.pps),
        p.capacity.bottleneck,
        p.lineRate ? `${mpps(p.lineRate.pps)} ${p.lineRate.holds ? 'held' : 'NOT held'}` : '-',
        us(p.latencyNs.p50),
        us(p.latencyNs.p99),
        int(p.cyclesPerPacket.total),
        int(p.hostCpu.cyclesPerPacket),
      ]);
    }
  }
  const head = `xpuhal sim run: scenario "${reports[0]?.scenario ?? '?'}" under ${reports.length} profiles\n\n`;
  const table = renderTable(['PROFILE', 'PHASE', 'IN/OUT/DROP', 'THROUGHPUT', 'BOTTLENECK', 'LINE RATE', 'P50', 'P99', 'CYCLES/PKT', 'HOST CYC/PKT'], rows);
  return `${head}${table}\n\nCYCLES/PKT are core cycles (run-to-completion) or pipeline clocks of latency (pipelined); HOST CYC/PKT is what the host CPU spends.\n`;
}
