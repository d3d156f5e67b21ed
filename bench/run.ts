// `npm run bench`: figures for docs/benchmarks.md. Wall-clock measurements of the
// in-process HAL and the reference simulator; nothing here is asserted by tests.
import 'reflect-metadata';
import { cpus, loadavg, totalmem } from 'node:os';
import { ReferenceDriver } from '../src/drivers/reference/index.js';
import { seedScenarioBench } from './sim.js';
import { ip, mac, prefix, type Update } from '../src/hal/index.js';
import { buildFrame, parsePacket } from '../src/sim/packet/index.js';
import { conntrackBench } from './conntrack.js';
import { wireBench } from './wire.js';
import { intelIpuBench } from './intel-ipu.js';
import { k8sBench } from './k8s.js';
import { EspSa, espProtect, espUnprotect } from '../src/sim/crypto/index.js';
import { Policer, Shaper } from '../src/sim/qos/index.js';

function timeIt(label: string, ops: number, unit: string, fn: () => void | Promise<void>): Promise<number> {
  return (async () => {
    const start = process.hrtime.bigint();
    await fn();
    const secs = Number(process.hrtime.bigint() - start) / 1e9;
    const rate = ops / secs;
    console.log(`${label.padEnd(52)} ${rate.toFixed(0).padStart(10)} ${unit}/s  (${ops} in ${secs.toFixed(3)} s)`);
    return rate;
  })();
}

const routeUpdate = (i: number): Update => ({
  type: 'INSERT',
  entry: { route: { prefix: prefix(`${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`), drop: {} } },
});

async function writes(batch: number, total: number) {
  const d = new ReferenceDriver({ scale: 8 });
  const cpu = process.cpuUsage();
  await timeIt(`HAL write, in process, batches of ${batch}`, total, 'entries', async () => {
    for (let i = 0; i < total; i += batch) {
      await d.write({ updates: Array.from({ length: batch }, (_, j) => routeUpdate(i + j)) });
    }
  });
  // CPU per entry moves less than the wall clock when the machine is shared.
  const used = process.cpuUsage(cpu);
  console.log(`${''.padEnd(52)} (${((used.user + used.system) / total).toFixed(2)} µs CPU per entry, request building included)`);
}

async function singleWriteLatency(n: number) {
  const d = new ReferenceDriver({ scale: 8 });
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await d.write({ updates: [routeUpdate(i)] });
    samples.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))].toFixed(1);
  console.log(`${'HAL single write latency, in process'.padEnd(52)} p50 ${q(0.5)} µs  p99 ${q(0.99)} µs`);
}

async function packets(n: number) {
  const d = new ReferenceDriver({});
  const ports = Object.fromEntries((await d.listPorts()).ports!.map((p) => [p.id, p.mac!]));
  const updates: Update[] = [
    { type: 'INSERT', entry: { neighbor: { ip: ip('192.168.0.1'), mac: mac('0a:ff:00:00:00:01') } } },
    { type: 'INSERT', entry: { nexthop: { id: 'gw', port: { portId: 'uplink0', ip: ip('192.168.0.1') } } } },
    { type: 'INSERT', entry: { route: { prefix: prefix('0.0.0.0/0'), nexthopId: 'gw' } } },
    { type: 'INSERT', entry: { endpoint: { ip: ip('10.1.0.10'), portId: 'host0', mac: mac('0a:00:00:00:00:10'), endpointId: 'a', isolatedEgress: true } } },
  ];
  for (let i = 0; i < 100; i++) {
    updates.push({ type: 'INSERT', entry: { acl: { stage: 'ACL_EGRESS', endpointId: 'a', protocol: 6, dstPorts: { lo: 1000 + i, hi: 1000 + i } as never, priority: 1000 - i, policyRef: `bench/${i}` } } });
  }
  updates.push({ type: 'INSERT', entry: { acl: { stage: 'ACL_EGRESS', endpointId: 'a', priority: 1, policyRef: 'bench/all' } } });
  await d.write({ updates });
  const frame = buildFrame({ eth: { src: '0a:00:00:00:00:10', dst: ports.host0 }, ipv4: { src: '10.1.0.10', dst: '8.8.8.8' }, tcp: { sport: 40000, dport: 443, flags: 'S' }, payload: new Uint8Array(18) });
  await timeIt('parse only (64-byte TCP frame)', n, 'packets', () => {
    for (let i = 0; i < n; i++) parsePacket(frame);
  });
  await timeIt('reference walk: 101 ACLs + LPM + neighbor, via Hal', n, 'packets', async () => {
    for (let i = 0; i < n; i++) await d.inject({ portId: 'host0', frame });
    await d.capture({});
  });
}

// QoS and ESP engines alone (src/sim/qos, src/sim/crypto), wall clock.
async function qosAndCrypto(n: number) {
  const pol = new Policer({ id: 'p', mode: 'TRTCM', cir: 125_000_000, cbs: 100_000, pir: 250_000_000, pbs: 200_000 });
  await timeIt('policer mark (trTCM)', n, 'packets', () => {
    for (let i = 0; i < n; i++) pol.mark(1500, i * 10_000);
  });
  const sh = new Shaper({ portId: 'p', rateBps: 10_000_000_000, burstBytes: 64_000, queueLimitBytes: 1_000_000 });
  await timeIt('shaper departure (10 Gb/s, 1500 B at 1.2x rate)', n, 'packets', () => {
    for (let i = 0; i < n; i++) sh.departure(1500, i * 1000);
  });
  const key = new Uint8Array(16).fill(7);
  const salt = new Uint8Array(4).fill(9);
  for (const size of [64, 1400]) {
    const base = { spi: 0x100, mode: 'TUNNEL', algorithm: 'AES_GCM_128', key, salt, tunnelSrc: '10.0.0.1', tunnelDst: '10.0.0.2' } as never as object;
    const out = new EspSa({ ...base, id: 'o', direction: 'OUTBOUND' });
    const inn = new EspSa({ ...base, id: 'i', direction: 'INBOUND', replayWindow: 64 });
    const frame = buildFrame({ ipv4: { src: '192.168.1.1', dst: '192.168.2.1' }, udp: { sport: 1, dport: 2 }, payload: new Uint8Array(size - 42) });
    const m = Math.floor(n / 4);
    const sealed: Uint8Array[] = [];
    await timeIt(`ESP tunnel protect, AES-GCM-128, ${size}-byte frame`, m, 'packets', () => {
      for (let i = 0; i < m; i++) {
        const r = espProtect(out, frame);
        if (r.ok) sealed.push(r.frame);
      }
    });
    await timeIt(`ESP tunnel unprotect (ICV + replay), ${size}-byte frame`, m, 'packets', () => {
      for (const f of sealed) espUnprotect(inn, f);
    });
  }
}

console.log(`machine: ${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
await writes(1, 5_000);
await writes(100, 50_000);
await writes(1000, 100_000);
await singleWriteLatency(5_000);
await wireBench();
await packets(50_000);
conntrackBench(500_000, 2_000_000);
await qosAndCrypto(200_000);
await seedScenarioBench();
await intelIpuBench();
await k8sBench();
