// Runs a scenario on the reference driver under one device profile: writes the
// scenario's tables through the Hal write API (so they are validated like any
// client's), sends the traffic through the packet walk with a cost meter
// attached, and models throughput, line rate and latency from what the meter
// priced. Packet counts and drop reasons are the walk's own.
import { ReferenceDriver } from '../drivers/reference/index.js';
import { HalError, type TableEntry } from '../hal/index.js';
import { capacityOf, type Capacity } from '../sim/cost/capacity.js';
import { DataFileError } from '../sim/cost/decode.js';
import { wireBytesOfBuffer } from '../sim/cost/line-rate.js';
import { CostMeter } from '../sim/cost/meter.js';
import type { Profile } from '../sim/cost/profile.js';
import { FifoServers, Samples, flowSpread } from '../sim/cost/queues.js';
import type { PcapRecord } from '../sim/packet/index.js';
import type { Scenario } from './schema.js';
import { Arrivals, FlowModel, PhaseCursor, lineRateOfPhase } from './traffic.js';

export interface RunOptions {
  /** Replays these frames (arrival times relative to the first) instead of the scenario's traffic. */
  readonly pcapIn?: { readonly records: readonly PcapRecord[]; readonly port: string };
  /** Keeps emitted frames (with their modelled departure times) for a pcap file. */
  readonly keepEmitted?: boolean;
  /** Called about once a second of wall clock with progress. */
  readonly progress?: (p: { phase: string; done: number; total: number; pps: number }) => void;
}

export interface PhaseReport {
  readonly name: string;
  readonly packets: { in: number; out: number; dropped: number; droppedByReason: Record<string, number>; queueDropped: Record<string, number> };
  readonly offered: { pps: number; gbps: number; durationNs: number };
  readonly capacity: Capacity & { gbps: number };
  readonly lineRate: { pps: number; gbps: number; busiestPort: string; holds: boolean; ports: { port: string; speedGbps: number; inGbps: number; outGbps: number }[] } | null;
  readonly latencyNs: { p50: number; p90: number; p99: number; max: number; samples: number };
  readonly cyclesPerPacket: { total: number; byStage: Record<string, number>; unit: string };
  readonly slowPath: { punted: number; cyclesPerPuntedPacket: number; byStage: Record<string, number> } | null;
  readonly passesPerPacket?: number;
  readonly hostCpu: { cyclesPerPacket: number; cycles: number; coresAtOffered: number };
}

export interface RunReport {
  readonly scenario: string;
  readonly profile: { readonly name: string; readonly style: string; readonly description: string };
  readonly packets: { in: number; out: number; dropped: number; droppedByReason: Record<string, number>; queueDropped: Record<string, number> };
  readonly phases: PhaseReport[];
  readonly simulator: { wallSeconds: number; packetsPerSecond: number };
}

export interface RunResult {
  readonly report: RunReport;
  readonly emitted: PcapRecord[];
}

class PhaseStats {
  in = 0;
  out = 0;
  drops = new Map<string, number>();
  queueDrops = new Map<string, number>();
  latency = new Samples();
  bitsIn = new Map<string, number>();
  bitsOut = new Map<string, number>();
  bytesIn = 0;
  first = -1;
  last = 0;
}

const add = (m: Map<string, number>, k: string, n = 1) => m.set(k, (m.get(k) ?? 0) + n);
const sorted = (m: Map<string, number>) => Object.fromEntries([...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));

/** Writes the scenario's table batches; a refused entry names its place in the file. */
async function writeTables(driver: ReferenceDriver, scenario: Scenario, file: string): Promise<void> {
  for (const [i, batch] of scenario.tables.entries()) {
    try {
      await driver.write({ atomicity: 'ROLLBACK_ON_ERROR', updates: batch.entries.map((entry) => ({ type: batch.type ?? 'INSERT', entry: entry as TableEntry })) });
    } catch (err) {
      if (!(err instanceof HalError)) throw err;
      const statuses = err.updates ?? [];
      const j = statuses.findIndex((s) => s.code !== 'OK' && s.reason !== 'BATCH_ROLLED_BACK');
      const s = j >= 0 ? statuses[j] : err.toStatus();
      const where = j >= 0 ? `tables[${i}].entries[${j}]` : `tables[${i}]`;
      throw new DataFileError(file, where, `the device refused the entry ("${batch.name}"): ${s.code} (${s.reason ?? 'REASON_UNSPECIFIED'})${s.fieldPath ? ` at ${s.fieldPath}` : ''}: ${s.message ?? ''}`);
    }
  }
}

export async function runScenario(scenario: Scenario, profile: Profile, file: string, opts: RunOptions = {}): Promise<RunResult> {
  const driver = new ReferenceDriver({ hostPorts: scenario.device?.hostPorts, scale: scenario.device?.scale, tableSizes: scenario.device?.tableSizes });
  try {
    return await runOn(driver, scenario, profile, file, opts);
  } finally {
    await driver.close();
  }
}

async function runOn(driver: ReferenceDriver, scenario: Scenario, profile: Profile, file: string, opts: RunOptions): Promise<RunResult> {
  const ports = new Map(((await driver.listPorts()).ports ?? []).map((p) => [p.id!, p.mac!]));
  scenario.topology.ports.forEach((p, i) => {
    if (!ports.has(p.id)) throw new DataFileError(file, `topology.ports[${i}].id`, `the device has no port "${p.id}" (it has ${[...ports.keys()].join(', ')})`);
  });
  if (opts.pcapIn && !ports.has(opts.pcapIn.port)) throw new DataFileError('--pcap-port', '', `the device has no port "${opts.pcapIn.port}"`);
  await writeTables(driver, scenario, file);

  const portMac = (id: string) => {
    const m = ports.get(id);
    if (!m) throw new Error(`no port ${id}`);
    return m;
  };
  const models = scenario.traffic.flows.map((f, i) => new FlowModel(f, i, portMac, file));
  const device = driver.sim;
  const meter = new CostMeter(profile);
  device.cost = meter;
  const speeds = new Map(scenario.topology.ports.map((p) => [p.id, p.speedGbps]));

  // Queues: cores (run to completion) or pipeline inputs, and the slow path.
  const fast = profile.style === 'run-to-completion' ? new FifoServers(Math.max(1, Math.round(profile.engine.cores)), profile.engine.queuePackets) : new FifoServers(Math.max(1, Math.round(profile.pipeline.pipelines)), profile.pipeline.queuePackets);
  const slow = profile.style === 'pipelined' ? new FifoServers(Math.max(1, Math.round(profile.slowPath.cores)), profile.slowPath.queuePackets) : null;

  const emitted: PcapRecord[] = [];
  const phases: PhaseReport[] = [];
  const total = new PhaseStats();
  const wallStart = performance.now();
  let processed = 0;
  let lastProgress = wallStart;

  const onePacket = (st: PhaseStats, port: string, frame: Uint8Array, t: number) => {
    st.in++;
    if (st.first < 0) st.first = t;
    st.last = t;
    st.bytesIn += frame.length;
    const wireBits = wireBytesOfBuffer(frame.length) * 8;
    if (speeds.has(port)) add(st.bitsIn, port, wireBits);
    const h = flowSpread(frame);
    const server = h % fast.servers;
    if (!fast.admits(server, t)) {
      add(st.queueDrops, profile.style === 'run-to-completion' ? 'core-queue-full' : 'pipeline-buffer-full');
      return;
    }
    meter.begin();
    const r = device.inject(port, frame, t);
    const c = meter.end();
    let done = fast.serve(server, t, c.serviceNs);
    if (c.punted && slow) {
      const s = h % slow.servers;
      if (!slow.admits(s, done)) {
        add(st.queueDrops, 'slow-path-queue-full');
        return;
      }
      done = slow.serve(s, done, c.slowServiceNs);
    }
    if (r.dropReason) add(st.drops, r.dropReason);
    if (r.emitted.length === 0) return;
    const latency = done - t + c.extraLatencyNs;
    st.latency.push(latency);
    for (const e of r.emitted) {
      st.out++;
      if (speeds.has(e.portId!)) add(st.bitsOut, e.portId!, wireBytesOfBuffer(e.frame!.length) * 8);
      if (opts.keepEmitted) emitted.push({ timeNs: BigInt(Math.round(t + latency)), frame: e.frame! });
    }
  };

  const finishPhase = (name: string, st: PhaseStats, offeredPps: number) => {
    const totals = meter.totals();
    const cap = capacityOf(profile, totals);
    const n = Math.max(1, totals.packets);
    const durationNs = st.in > 1 ? st.last - st.first + 1e9 / offeredPps : 1e9 / offeredPps;
    const avgBits = st.in ? ((st.bytesIn / st.in + 24) * 8) : 0;
    // Line rate: the aggregate rate at which the busiest topology port (in or out) reaches its speed, for this mix.
    let lineRate: PhaseReport['lineRate'] = null;
    const perPort = [...speeds].map(([port, gbps]) => ({ port, speedGbps: gbps, inBits: st.bitsIn.get(port) ?? 0, outBits: st.bitsOut.get(port) ?? 0 }));
    let best = Infinity;
    let busiest = '';
    for (const p of perPort) {
      for (const bits of [p.inBits, p.outBits]) {
        if (bits === 0) continue;
        const pps = (p.speedGbps * 1e9) / (bits / st.in);
        if (pps < best) {
          best = pps;
          busiest = p.port;
        }
      }
    }
    if (busiest) {
      const secs = durationNs / 1e9;
      lineRate = {
        pps: best,
        gbps: (best * avgBits) / 1e9,
        busiestPort: busiest,
        holds: cap.pps >= best,
        ports: perPort.map((p) => ({ port: p.port, speedGbps: p.speedGbps, inGbps: p.inBits / secs / 1e9, outGbps: p.outBits / secs / 1e9 })),
      };
    }
    const [p50, p90, p99, max] = st.latency.percentiles([0.5, 0.9, 0.99, 1]);
    const byStage: Record<string, number> = {};
    const slowByStage: Record<string, number> = {};
    for (const [stage, v] of totals.byStage) {
      if (v.fast) byStage[stage] = v.fast / n;
      if (v.slow && totals.punted) slowByStage[stage] = v.slow / totals.punted;
    }
    const hostPerPacket = totals.hostCycles / n;
    const hostHz = profile.style === 'run-to-completion' ? profile.engine.clockHz : profile.slowPath.clockHz;
    phases.push({
      name,
      packets: { in: st.in, out: st.out, dropped: sum(st.drops) + sum(st.queueDrops), droppedByReason: sorted(st.drops), queueDropped: sorted(st.queueDrops) },
      offered: { pps: offeredPps, gbps: (offeredPps * avgBits) / 1e9, durationNs },
      capacity: { ...cap, gbps: (cap.pps * avgBits) / 1e9 },
      lineRate,
      latencyNs: { p50, p90, p99, max, samples: st.latency.n },
      cyclesPerPacket: { total: totals.fastCycles / n, byStage, unit: profile.style === 'run-to-completion' ? 'core cycles' : 'pipeline clocks (latency)' },
      slowPath: profile.style === 'pipelined' ? { punted: totals.punted, cyclesPerPuntedPacket: totals.punted ? totals.slowCycles / totals.punted : 0, byStage: slowByStage } : null,
      ...(profile.style === 'pipelined' ? { passesPerPacket: totals.passes / n } : {}),
      hostCpu: { cyclesPerPacket: hostPerPacket, cycles: totals.hostCycles, coresAtOffered: (hostPerPacket * Math.min(offeredPps, cap.pps)) / hostHz },
    });
    for (const [k, v] of st.drops) add(total.drops, k, v);
    for (const [k, v] of st.queueDrops) add(total.queueDrops, k, v);
    total.in += st.in;
    total.out += st.out;
    meter.resetTotals();
  };

  const tick = (phase: string, done: number, all: number) => {
    processed++;
    if ((processed & 4095) === 0 && opts.progress) {
      const now = performance.now();
      if (now - lastProgress >= 1000) {
        lastProgress = now;
        opts.progress({ phase, done, total: all, pps: processed / ((now - wallStart) / 1000) });
      }
    }
    // The device keeps emitted packets for Capture; drain it so it never overflows.
    if ((processed & 1023) === 0) device.capture([], 0, false);
  };

  let clock = 0;
  if (opts.pcapIn) {
    const recs = opts.pcapIn.records;
    const t0 = recs.length ? recs[0].timeNs : 0n;
    const st = new PhaseStats();
    recs.forEach((r, i) => {
      const t = Number(r.timeNs - t0);
      if (t < clock) throw new DataFileError('--pcap-in', `records[${i}]`, 'timestamps go backwards');
      clock = t;
      onePacket(st, opts.pcapIn!.port, r.frame, t);
      tick('pcap', i + 1, recs.length);
    });
    const span = recs.length > 1 ? Number(recs[recs.length - 1].timeNs - t0) : 0;
    finishPhase('pcap', st, span > 0 ? ((recs.length - 1) * 1e9) / span : 1);
  } else {
    const opened = models.map(() => 0);
    for (const [pi, ph] of scenario.traffic.phases.entries()) {
      let pps: number;
      if ('pps' in ph.rate) pps = ph.rate.pps;
      else {
        const dry = new PhaseCursor(models, ph, pi, scenario.traffic.seed, opened.slice(), file);
        const lr = lineRateOfPhase(scenario, models, dry, ph.rate.lineRate);
        if (!lr) throw new DataFileError(file, `traffic.phases[${pi}].rate.lineRate`, 'no packet of this phase enters a port listed in topology.ports, so there is no line rate to scale by');
        pps = lr.pps;
      }
      const cursor = new PhaseCursor(models, ph, pi, scenario.traffic.seed, opened, file);
      const arrivals = new Arrivals(clock, pps, ph.arrival === 'poisson', scenario.traffic.seed + pi);
      const st = new PhaseStats();
      let k = 0;
      for (let p = cursor.next(); p; p = cursor.next()) {
        const m = models[p.flow];
        const t = arrivals.next();
        onePacket(st, m.ingress(p.conn, p.reply), m.frame(p.conn, p.reply, p.flags), t);
        tick(ph.name, ++k, cursor.total);
        clock = t;
      }
      clock = Math.round(clock + 1e9 / pps);
      finishPhase(ph.name, st, pps);
    }
  }
  device.cost = { charge() {} };
  const wallSeconds = (performance.now() - wallStart) / 1000;
  return {
    report: {
      scenario: scenario.name,
      profile: { name: profile.name, style: profile.style, description: profile.description },
      packets: { in: total.in, out: total.out, dropped: sum(total.drops) + sum(total.queueDrops), droppedByReason: sorted(total.drops), queueDropped: sorted(total.queueDrops) },
      phases,
      simulator: { wallSeconds, packetsPerSecond: processed / Math.max(wallSeconds, 1e-9) },
    },
    emitted,
  };
}

function sum(m: Map<string, number>): number {
  let n = 0;
  for (const v of m.values()) n += v;
  return n;
}
