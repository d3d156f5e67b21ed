// intel-ipu figures for docs/benchmarks.md: P4Runtime Write throughput into the
// simulated target over gRPC + mTLS (raw entries, batched), the same through
// the HAL driver, and the modelled throughput of a forwarding workload: the
// target's own program priced with the intel-ipu profile, beside the reference
// walk priced with the intel-ipu and host-x86 profiles.
import { IntelIpuDriver } from '../src/drivers/intel-ipu/index.js';
import { canonical } from '../src/drivers/intel-ipu/p4rt/bytestrings.js';
import { P4RuntimeClient } from '../src/drivers/intel-ipu/p4rt/client.js';
import type { Update as P4Update } from '../src/drivers/intel-ipu/p4rt/messages.js';
import { p4info } from '../src/drivers/intel-ipu/program/p4info.js';
import { ACTIONS, TABLES } from '../src/drivers/intel-ipu/program/program.js';
import { IpuTarget } from '../src/drivers/intel-ipu/target/target.js';
import { devPki } from '../src/drivers/intel-ipu/tls.js';
import { ReferenceDriver } from '../src/drivers/reference/index.js';
import type { TableEntry, Update } from '../src/hal/index.js';
import { capacityOf } from '../src/sim/cost/capacity.js';
import { CostMeter } from '../src/sim/cost/meter.js';
import { loadProfile } from '../src/sim/cost/profile.js';
import { buildFrame } from '../src/sim/packet/index.js';

const line = (label: string, value: string) => console.log(`${label.padEnd(52)} ${value}`);

const p4Route = (i: number): P4Update => ({
  type: 'INSERT',
  entity: {
    tableEntry: {
      tableId: TABLES.ipv4_route.id,
      match: [
        { fieldId: 1, exact: { value: canonical(0) } },
        { fieldId: 2, lpm: { value: canonical((((10 + (i >> 16)) << 24) | (((i >> 8) & 255) << 16) | ((i & 255) << 8)) >>> 0), prefixLen: 24 } },
      ],
      action: { action: { actionId: ACTIONS.route_drop.id } },
    },
  },
});

async function p4Writes(batch: number, total: number): Promise<void> {
  const pki = devPki();
  const target = new IpuTarget({ tls: { ca: pki.ca, cert: pki.serverCert, key: pki.serverKey }, tableSizes: { ipv4_route: total } });
  const address = await target.start();
  const c = new P4RuntimeClient({ address, tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, serverName: 'localhost' }, deviceId: 1n, electionId: 1n });
  await c.openStream();
  await c.setPipeline('VERIFY_AND_COMMIT', { p4info: p4info() });
  const start = process.hrtime.bigint();
  for (let i = 0; i < total; i += batch) await c.write(Array.from({ length: Math.min(batch, total - i) }, (_, j) => p4Route(i + j)));
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  line(`P4Runtime Write over mTLS, batches of ${batch}`, `${(total / secs).toFixed(0).padStart(10)} entries/s  (${total} in ${secs.toFixed(3)} s)`);
  c.close();
  await target.stop();
}

const halRoute = (i: number): Update => ({ type: 'INSERT', entry: { route: { prefix: `${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`, drop: {} } } as TableEntry });

async function halWrites(batch: number, total: number): Promise<void> {
  const hal = await IntelIpuDriver.connect({ tableSizes: { ipv4_route: total } });
  const start = process.hrtime.bigint();
  for (let i = 0; i < total; i += batch) await hal.write({ updates: Array.from({ length: Math.min(batch, total - i) }, (_, j) => halRoute(i + j)) });
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  line(`HAL write via intel-ipu (P4Runtime), batches of ${batch}`, `${(total / secs).toFixed(0).padStart(10)} entries/s  (${total} in ${secs.toFixed(3)} s)`);
  await hal.close();
}

/**
 * Services through the driver: backend groups of `members` (each a dnat_rewrite
 * entry per member plus two selector groups) and one service each, in HAL batches
 * of `batch`; then membership churn (one member replaced per group, MODIFY).
 */
export async function halServices(groups: number, members: number, batch: number): Promise<void> {
  const hal = await IntelIpuDriver.connect({});
  const group = (g: number, gen: number) => ({ id: `svc-${g}`, members: Array.from({ length: members }, (_, m) => ({ ip: `10.${64 + (g >> 8)}.${g & 255}.${m + 1 + (m === 0 ? gen * members : 0)}`, port: 8080 })) });
  const ups: Update[] = [];
  for (let g = 0; g < groups; g++) {
    ups.push({ type: 'INSERT', entry: { backendGroup: group(g, 0) } as TableEntry });
    ups.push({ type: 'INSERT', entry: { service: { vip: `10.96.${g >> 8}.${g & 255}`, protocol: 6, port: 80, balance: { backendGroupId: `svc-${g}` } } } as TableEntry });
  }
  let start = process.hrtime.bigint();
  for (let i = 0; i < ups.length; i += batch) await hal.write({ updates: ups.slice(i, i + batch) });
  let secs = Number(process.hrtime.bigint() - start) / 1e9;
  const entities = groups * (members + 3);
  line(`HAL services via intel-ipu (${members} backends each), batches of ${batch}`, `${(ups.length / secs).toFixed(0).padStart(10)} HAL updates/s  (${entities} P4 entities, ${(entities / secs).toFixed(0)}/s)`);
  const churn: Update[] = Array.from({ length: groups }, (_, g) => ({ type: 'MODIFY', entry: { backendGroup: group(g, 1) } as TableEntry }));
  start = process.hrtime.bigint();
  for (let i = 0; i < churn.length; i += batch) await hal.write({ updates: churn.slice(i, i + batch) });
  secs = Number(process.hrtime.bigint() - start) / 1e9;
  line(`HAL backend group MODIFY (one backend replaced), batches of ${batch}`, `${(groups / secs).toFixed(0).padStart(10)} HAL updates/s  (4 P4 entities each)`);
  await hal.close();
}

/** A forwarding workload: a pod behind 60 egress ACLs (the program has 64 range checkers) reaching a routed destination. */
const WORKLOAD: Update[] = [
  { type: 'INSERT', entry: { neighbor: { ip: '192.168.0.1', mac: '0a:ff:00:00:00:01' } } as TableEntry },
  { type: 'INSERT', entry: { nexthop: { id: 'gw', port: { portId: 'uplink0', ip: '192.168.0.1' } } } as TableEntry },
  { type: 'INSERT', entry: { route: { prefix: '0.0.0.0/0', nexthopId: 'gw' } } as TableEntry },
  { type: 'INSERT', entry: { endpoint: { ip: '10.1.0.10', portId: 'host0', mac: '0a:00:00:00:00:10', endpointId: 'a', isolatedEgress: true } } as TableEntry },
  ...Array.from({ length: 60 }, (_, i): Update => ({ type: 'INSERT', entry: { acl: { stage: 'ACL_EGRESS', endpointId: 'a', protocol: 6, dstPorts: { lo: 1000 + i, hi: 1000 + i }, priority: 1000 - i } } as TableEntry })),
];

async function modelled(n: number): Promise<void> {
  const frames = Array.from({ length: 256 }, (_, i) => buildFrame({ eth: { src: '0a:00:00:00:00:10', dst: '02:00:00:00:00:03' }, ipv4: { src: '10.1.0.10', dst: `20.0.${i}.1` }, tcp: { sport: 40000 + i, dport: 1000 + (i % 60) }, padTo: 60 }));
  const run = async (label: string, sink: (m: CostMeter) => void, inject: (f: Uint8Array) => Promise<unknown>, profile: string) => {
    const meter = new CostMeter(loadProfile(profile));
    sink(meter);
    for (let i = 0; i < n; i++) {
      meter.begin();
      await inject(frames[i % frames.length]);
      meter.end();
    }
    const cap = capacityOf(meter.profile, meter.totals());
    line(label, `${(cap.pps / 1e6).toFixed(1).padStart(10)} Mpps modelled  (bottleneck: ${cap.bottleneck})`);
  };
  const hal = await IntelIpuDriver.connect({});
  await hal.write({ updates: WORKLOAD });
  const target = hal.target!;
  await run('IPU target program, intel-ipu profile', (m) => (target.cost = m), async (f) => target.inject('host0', f, 0), 'intel-ipu');
  await hal.close();
  for (const profile of ['intel-ipu', 'host-x86']) {
    const ref = new ReferenceDriver({});
    await ref.write({ updates: WORKLOAD });
    await run(`reference walk, ${profile} profile`, (m) => (ref.sim.cost = m), (f) => ref.inject({ portId: 'host0', frame: f }), profile);
  }
}

export async function intelIpuBench(): Promise<void> {
  await p4Writes(1, 2_000);
  await p4Writes(100, 50_000);
  await p4Writes(1000, 100_000);
  await halWrites(100, 5_000);
  await halWrites(1000, 20_000);
  await halServices(1000, 8, 100);
  await modelled(20_000);
}

if (process.argv[1]?.endsWith('intel-ipu.ts')) await intelIpuBench();
