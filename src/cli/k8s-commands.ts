// The work behind `xpuhal k8s` (src/cli/k8s.ts loads this module only when a k8s
// command runs, so other commands do not pay for client-node).
import { loadAllYaml } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { builtinRegistry } from '../drivers/builtin.js';
import type { Hal } from '../hal/hal.js';
import { HalError } from '../hal/errors.js';
import {
  KubeConfig,
  LiveSource,
  LiveSync,
  NodeAdapter,
  ProxyHealth,
  ServiceHealthServers,
  compile,
  loadManifests,
  nodeConfig,
  nodeEligible,
  planHealthChecks,
  startProxyHealthServer,
  type ClusterState,
  type OverlayMode,
} from '../k8s-adapter/index.js';
import { openEndpoint } from './conformance-endpoint.js';
import { loadNodeConfigFile } from './k8s-run-config.js';
import { ClusterSim, completeCluster, type HalFactory, type ProbeResult, type ProbeSpec, type Verdict } from './k8s-simulate.js';
import { renderTable } from './text-table.js';

interface ProbesFile {
  readonly matrix?: readonly { protocol: ProbeSpec['protocol']; port: number; pods?: readonly string[] }[];
  readonly probes?: readonly ProbeSpec[];
}

const MARK: Record<Verdict, string> = { allowed: '.', denied: 'X', rejected: 'R', dropped: 'D', 'no-route': '?', 'left-cluster': 'O' };

function readProbes(path: string): ProbesFile {
  const text = readFileSync(path, 'utf8');
  const doc = (path.endsWith('.json') ? JSON.parse(text) : loadAllYaml(text)[0]) as ProbesFile | undefined;
  if (!doc || typeof doc !== 'object') throw new Error(`${path}: expected an object with "matrix" and/or "probes"`);
  const protocols = ['TCP', 'UDP', 'SCTP'];
  for (const [i, m] of (doc.matrix ?? []).entries()) {
    if (!protocols.includes(m.protocol) || !Number.isInteger(m.port)) throw new Error(`${path}: matrix[${i}] needs protocol TCP|UDP|SCTP and an integer port`);
  }
  for (const [i, p] of (doc.probes ?? []).entries()) {
    if (typeof p.from !== 'string' || typeof p.to !== 'string' || !protocols.includes(p.protocol) || !Number.isInteger(p.port)) {
      throw new Error(`${path}: probes[${i}] needs from, to, protocol TCP|UDP|SCTP and an integer port`);
    }
  }
  return doc;
}

export interface SimulateReport {
  readonly driver: string;
  readonly overlay: OverlayMode;
  readonly nodes: { node: string; converged: boolean; entries: number; error?: string; endpoint?: string }[];
  readonly problems: string[];
  readonly notes: string[];
  readonly matrices: { protocol: string; port: number; pods: string[]; rows: string[]; cells: ProbeResult[] }[];
  readonly probes: ProbeResult[];
}

export interface SimulateOptions {
  readonly manifests: string;
  readonly probes: string;
  readonly driver: string;
  readonly nodes?: number;
  readonly overlay: OverlayMode;
  /** "NODE=HOST:PORT": that node's device is a served HAL (xpuhal serve) reached over gRPC with mTLS. */
  readonly endpoint?: readonly string[];
  readonly tlsDir?: string;
  readonly client?: string;
  readonly serverName?: string;
}

/** --endpoint NODE=HOST:PORT values, checked against the cluster's nodes. */
function parseEndpoints(values: readonly string[], nodes: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of values) {
    const m = /^([^=]+)=(.+:[0-9]{1,5})$/.exec(v);
    if (!m) throw new Error(`--endpoint "${v}": expected NODE=HOST:PORT`);
    if (!nodes.includes(m[1])) throw new Error(`--endpoint "${v}": the cluster has no node "${m[1]}" (nodes: ${nodes.join(', ')})`);
    if (out.has(m[1])) throw new Error(`--endpoint "${v}": node "${m[1]}" given twice`);
    out.set(m[1], m[2]);
  }
  return out;
}

export async function runSimulate(opts: SimulateOptions): Promise<SimulateReport> {
  const loaded = loadManifests(opts.manifests);
  const probes = readProbes(opts.probes);
  const completed = completeCluster(loaded.state, opts.nodes);
  const endpoints = parseEndpoints(opts.endpoint ?? [], completed.state.nodes.map((n) => n.metadata.name!));
  // Nodes named by --endpoint get a RemoteHal to that server; the others the driver, in process.
  const registry = builtinRegistry();
  const halFactory: HalFactory = async (node, o): Promise<Hal> => {
    const ep = endpoints.get(node);
    if (!ep) return registry.create(opts.driver, o);
    return (await openEndpoint(ep, { tlsDir: opts.tlsDir, client: opts.client ?? 'controller', serverName: opts.serverName })).open();
  };
  const sim = await ClusterSim.create(completed.state, { driver: opts.driver, overlay: opts.overlay, nodes: opts.nodes, halFactory });
  try {
    const nodes = await sim.program();
    const problems = [...loaded.problems, ...sim.nodes.flatMap((n) => n.desired.problems.map((p) => ({ ...p, object: `${n.name}: ${p.object}` })))].map((p) => `${p.object}: ${p.message}`);
    const notes = [...loaded.notes, ...completed.notes, ...new Set(sim.nodes.flatMap((n) => n.desired.notes))];
    const matrices = [];
    for (const m of probes.matrix ?? []) {
      const pods = m.pods ? [...m.pods] : sim.pods();
      const cells: ProbeResult[] = [];
      const rows: string[] = [];
      for (const from of pods) {
        let row = '';
        for (const to of pods) {
          if (from === to) {
            row += '-';
            continue;
          }
          const r = await sim.probe({ from, to, protocol: m.protocol, port: m.port });
          cells.push(r);
          row += MARK[r.verdict];
        }
        rows.push(row);
      }
      matrices.push({ protocol: m.protocol, port: m.port, pods, rows, cells });
    }
    const results: ProbeResult[] = [];
    for (const p of probes.probes ?? []) results.push(await sim.probe(p));
    const where = nodes.map((n) => ({ ...n, ...(endpoints.has(n.node) ? { endpoint: endpoints.get(n.node)! } : {}) }));
    return { driver: opts.driver, overlay: opts.overlay, nodes: where, problems, notes, matrices, probes: results };
  } finally {
    await sim.close();
  }
}

export function formatSimulate(r: SimulateReport): string {
  const out: string[] = [];
  out.push(`cluster: ${r.nodes.length} node(s) on driver "${r.driver}", overlay ${r.overlay}`);
  for (const n of r.nodes) out.push(`  ${n.node}${n.endpoint ? ` (served at ${n.endpoint})` : ''}: ${n.converged ? 'programmed (digest matches)' : `NOT converged: ${n.error}`}, ${n.entries} entries written`);
  for (const p of r.problems) out.push(`problem: ${p}`);
  for (const n of r.notes) out.push(`note: ${n}`);
  for (const m of r.matrices) {
    out.push('', `reachability ${m.protocol}/${m.port} (rows: from, columns: to; . allowed, X denied, R rejected, D dropped, ? no route, O left the cluster)`);
    const w = Math.max(...m.pods.map((p) => p.length));
    out.push(`${' '.repeat(w)}  ${m.pods.map((p) => p.padEnd(w)).join(' ')}`);
    m.rows.forEach((row, i) => out.push(`${m.pods[i].padEnd(w)}  ${[...row].map((c) => c.padEnd(w)).join(' ')}`));
    const denied = m.cells.filter((c) => c.verdict === 'denied');
    if (denied.length) {
      const by = new Map<string, number>();
      for (const d of denied) by.set(d.policy ?? '(none named)', (by.get(d.policy ?? '(none named)') ?? 0) + 1);
      out.push(`denied by: ${[...by].map(([p, n]) => `${p} (${n})`).join(', ')}`);
    }
  }
  if (r.probes.length) {
    out.push('');
    out.push(
      renderTable(
        ['from', 'to', 'probe', 'verdict', 'answered by', 'policy', 'path / why'],
        r.probes.map((p) => [p.from, p.to, `${p.protocol}/${p.port}`, p.verdict, p.answeredBy ?? '-', p.policy ?? '-', [p.path.join(' > '), p.dropReason].filter(Boolean).join(': ')]),
        { wrap: { 6: 50 } },
      ).trimEnd(),
    );
  }
  return `${out.join('\n')}\n`;
}


export async function compileCommand(opts: { manifests: string; node: string; hostPorts: number; overlay: string }, json: boolean, printJson: (v: unknown) => void): Promise<void> {
  const loaded = loadManifests(opts.manifests);
  const d = compile(loaded.state, nodeConfig({ nodeName: opts.node, hostPorts: Array.from({ length: opts.hostPorts }, (_, i) => `host${i}`), overlay: opts.overlay as OverlayMode }));
  const report = { tables: d.tables, problems: [...loaded.problems, ...d.problems], notes: [...loaded.notes, ...d.notes] };
  if (json) return printJson(report);
  for (const [t, entries] of Object.entries(d.tables)) {
    process.stdout.write(`${t} (${entries.length})\n`);
    for (const e of entries) process.stdout.write(`  ${JSON.stringify(Object.values(e)[0])}\n`);
  }
  for (const p of report.problems) process.stdout.write(`problem: ${p.object}: ${p.message}\n`);
  for (const n of report.notes) process.stdout.write(`note: ${n}\n`);
}

export interface RunOptions {
  kubeconfig?: string;
  node: string;
  driver?: string;
  endpoint?: string;
  tlsDir?: string;
  client: string;
  serverName?: string;
  config?: string;
  overlay?: OverlayMode;
  metricsPort: number;
  healthzPort: number;
  healthAddress: string;
  healthCheckNodePorts: boolean;
  resync: number;
}

/** The device: a driver in process, or the HAL served over gRPC with mutual TLS. */
async function openDevice(opts: RunOptions): Promise<{ hal: Hal; close: () => Promise<void> }> {
  if (opts.endpoint) {
    if (opts.driver) throw HalError.of('FIELD_INVALID', 'give --driver or --endpoint, not both', 'driver');
    const target = await openEndpoint(opts.endpoint, { tlsDir: opts.tlsDir, client: opts.client, serverName: opts.serverName });
    return { hal: await target.open(), close: () => target.dispose() };
  }
  const hal = await builtinRegistry().create(opts.driver ?? 'reference', {});
  return { hal, close: () => hal.close() };
}

export async function runCommand(opts: RunOptions): Promise<void> {
  const file = opts.config ? loadNodeConfigFile(opts.config) : {};
  const kc = new KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  const log = (l: string) => process.stderr.write(`${new Date().toISOString()} ${l}\n`);
  const device = await openDevice(opts);
  const hal = device.hal;
  const ports = (await hal.listPorts()).ports ?? [];
  const config = nodeConfig({
    hostPorts: ports.filter((p) => p.role === 'HOST').map((p) => p.id!),
    ...file,
    nodeName: opts.node,
    ...(opts.overlay && { overlay: opts.overlay }),
  });
  const adapter = new NodeAdapter({ hal, config, log });
  // kube-proxy's health: a change pending longer than two resync periods is unhealthy.
  const health = new ProxyHealth({ timeoutMs: 2 * Math.max(1, opts.resync) * 1000 });
  const hcServers = opts.healthCheckNodePorts ? new ServiceHealthServers({ host: opts.healthAddress, serviceProxyHealthy: () => health.status().healthy, log }) : undefined;
  let lastProblems = '';
  // Health check listeners follow the cluster once per burst of events, not per event.
  let checksQueued = false;
  const planChecks = () => {
    if (!hcServers || checksQueued) return;
    checksQueued = true;
    setImmediate(() => {
      checksQueued = false;
      const plan = planHealthChecks(source.snapshot(), opts.node, config.proxyName);
      const problems = plan.problems.join('\n');
      if (problems && problems !== lastProblems) for (const p of plan.problems) log(`health check: ${p}`);
      lastProblems = problems;
      void hcServers.update(plan.checks);
    });
  };
  // Every pass (change or resync) also refreshes health and the health-check servers.
  const tracked = {
    sync: (state: ClusterState) => {
      health.queued();
      health.setNodeEligible(nodeEligible(state.nodes.find((n) => n.metadata.name === opts.node)));
      planChecks();
      return adapter.sync(state);
    },
  };
  // A pass on every change and a resync at least every --resync seconds (repairs foreign writes).
  const live = new LiveSync({
    adapter: tracked,
    snapshot: () => source.snapshot(),
    resyncMs: Math.max(1, opts.resync) * 1000,
    log,
    onResult: (r, why) => {
      if (r.converged) health.updated();
      log(`sync: ${r.converged ? 'converged' : `NOT converged (${r.error})`}; +${r.inserts} ~${r.modifies} -${r.deletes}${r.fullResync ? ' (full read)' : ''}${why === 'resync' ? ' (resync timer)' : ''}`);
    },
  });
  const source = new LiveSource({ kubeConfig: kc, onChange: () => live.changed(), log });
  const healthz = opts.healthzPort ? await startProxyHealthServer(health, opts.healthAddress, opts.healthzPort) : undefined;
  await adapter.watchFlowRecords();
  await source.start();
  live.start();
  const server = opts.metricsPort
    ? createServer((req, res) => {
        if (req.url !== '/metrics') return void res.writeHead(404).end();
        void adapter.metrics.text().then((t) => res.writeHead(200, { 'content-type': adapter.metrics.registry.contentType }).end(t));
      }).listen(opts.metricsPort)
    : undefined;
  log(`adapter for node ${opts.node} running on ${opts.endpoint ?? `driver ${opts.driver ?? 'reference'}`}${healthz ? `; /healthz on ${opts.healthAddress}:${healthz.port}` : ''}`);
  // Kubernetes stops a pod with SIGTERM; a terminal with SIGINT.
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  live.stop();
  server?.close();
  await healthz?.close();
  await hcServers?.close();
  await source.stop();
  adapter.close();
  await device.close();
}
