// Kubernetes adapter at scale (issue 7): 10,000 services with 100,000 endpoints,
// 1,000 NetworkPolicies and 5,000 pods on the node, programmed onto a reference
// device. Figures: time to the first full programming (compile + reconcile,
// converged by digest), the time for one EndpointSlice change to reach the device
// (p50/p99 over repeated changes, the whole pass: compile, diff, write, digest
// check), and the process's resident memory. Wall clock, for docs/benchmarks.md.
import { ReferenceDriver } from '../src/drivers/reference/index.js';
import { NodeAdapter, nodeConfig, type ClusterState, type EndpointSlice, type NetworkPolicy, type Pod, type Service } from '../src/k8s-adapter/index.js';

const line = (label: string, value: string) => console.log(`${label.padEnd(52)} ${value}`);

export interface K8sScale {
  readonly services: number;
  readonly endpointsPerService: number;
  readonly policies: number;
  readonly localPods: number;
}

export function scaleCluster(s: K8sScale): ClusterState {
  const namespaces = Array.from({ length: 100 }, (_, i) => ({ kind: 'Namespace', metadata: { name: `ns-${i}`, labels: { team: `t${i % 10}` } } }));
  const pods: Pod[] = [];
  for (let i = 0; i < s.localPods; i++) {
    const ns = `ns-${i % 100}`;
    const ip = `10.244.${(i >> 8) & 255}.${i & 255}`;
    pods.push({
      kind: 'Pod',
      metadata: { name: `pod-${i}`, namespace: ns, labels: { app: `app-${Math.floor(i / 100) % 50}`, role: i % 2 ? 'client' : 'server' } },
      spec: { nodeName: 'node-1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] },
      status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
    });
  }
  const services: Service[] = [];
  const endpointSlices: EndpointSlice[] = [];
  for (let i = 0; i < s.services; i++) {
    const ns = `ns-${i % 100}`;
    services.push({ kind: 'Service', metadata: { name: `svc-${i}`, namespace: ns }, spec: { clusterIP: `10.96.${(i >> 8) & 255}.${i & 255}`, ports: [{ name: 'http', port: 80 }] } });
    endpointSlices.push(sliceFor(i, 0, s.endpointsPerService));
  }
  const networkPolicies: NetworkPolicy[] = Array.from({ length: s.policies }, (_, i) => ({
    kind: 'NetworkPolicy',
    metadata: { name: `np-${i}`, namespace: `ns-${i % 100}` },
    spec: {
      // Selects the one pod of its app in its namespace; admits that app's clients in every namespace (50 pods).
      podSelector: { matchLabels: { app: `app-${i % 50}` } },
      ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { role: 'client', app: `app-${i % 50}` } } }], ports: [{ protocol: 'TCP', port: 'http' }] }],
    },
  }));
  const nodes = [1, 2, 3, 4].map((n) => ({
    kind: 'Node',
    metadata: { name: `node-${n}` },
    spec: { podCIDRs: [n === 1 ? '10.244.0.0/16' : `10.${244 + n}.0.0/16`] },
    status: { addresses: [{ type: 'InternalIP', address: `192.168.10.${n}` }] },
  }));
  return { namespaces, pods, services, endpointSlices, networkPolicies, nodes };
}

/** Endpoints on remote nodes (10.246.0.0/15), shifted by `generation` so a change moves one address. */
function sliceFor(i: number, generation: number, n: number, trigger?: string): EndpointSlice {
  return {
    kind: 'EndpointSlice',
    metadata: {
      name: `svc-${i}-abc`,
      namespace: `ns-${i % 100}`,
      labels: { 'kubernetes.io/service-name': `svc-${i}` },
      ...(trigger ? { annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': trigger } } : {}),
    },
    addressType: 'IPv4',
    endpoints: Array.from({ length: n }, (_, j) => {
      const k = i * n + j + (j === 0 ? generation * 7919 : 0);
      return { addresses: [`10.${246 + ((k >> 16) & 1)}.${(k >> 8) & 255}.${k & 255}`], nodeName: 'node-2' };
    }),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

export async function k8sBench(scale: K8sScale = { services: 10_000, endpointsPerService: 10, policies: 1_000, localPods: 5_000 }, changes = 200): Promise<void> {
  const state = scaleCluster(scale);
  const hal = new ReferenceDriver({ scale: 8, hostPorts: 16 });
  const ports = (await hal.listPorts()).ports!.filter((p) => p.role === 'HOST').map((p) => p.id!);
  const adapter = new NodeAdapter({ hal, config: nodeConfig({ nodeName: 'node-1', hostPorts: ports }), sleep: async () => {} });
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const first = await adapter.sync(state);
  const firstSecs = Number(process.hrtime.bigint() - t0) / 1e9;
  const firstCpu = process.cpuUsage(cpu0);
  const entries = first.desired.size;
  const split = (r: { compileMs: number; timings?: { readMs: number; diffMs: number; writeMs: number; checkMs: number } }) =>
    `compile ${r.compileMs.toFixed(0)} / read ${r.timings?.readMs.toFixed(0)} / diff ${r.timings?.diffMs.toFixed(0)} / write ${r.timings?.writeMs.toFixed(0)} / digest check ${r.timings?.checkMs.toFixed(0)} ms`;
  line(`k8s: first full programming (${scale.services} svc, ${scale.services * scale.endpointsPerService} endpoints, ${scale.policies} policies, ${scale.localPods} pods)`, `${firstSecs.toFixed(2)} s, ${entries} entries, converged=${first.converged}`);
  line('k8s:   of which', split(first));
  line('k8s:   CPU time of the first programming', `${((firstCpu.user + firstCpu.system) / 1e6).toFixed(2)} s (the device in the same process included)`);

  const samples: number[] = [];
  // CPU time of the same passes: on a loaded machine the wall clock also counts waiting for a core.
  const cpuSamples: number[] = [];
  const parts = { compile: [] as number[], diff: [] as number[], write: [] as number[], check: [] as number[] };
  let cur = state;
  for (let c = 1; c <= changes; c++) {
    const i = (c * 997) % scale.services;
    const slices = cur.endpointSlices.slice();
    slices[i] = sliceFor(i, c, scale.endpointsPerService, new Date().toISOString());
    cur = { ...cur, endpointSlices: slices };
    const t = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const r = await adapter.sync(cur);
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    const used = process.cpuUsage(cpu);
    cpuSamples.push((used.user + used.system) / 1e3);
    parts.compile.push(r.compileMs);
    parts.diff.push((r.timings?.readMs ?? 0) + (r.timings?.diffMs ?? 0));
    parts.write.push(r.timings?.writeMs ?? 0);
    parts.check.push(r.timings?.checkMs ?? 0);
    if (!r.converged || r.modifies !== 1) throw new Error(`change ${c}: converged=${r.converged} modifies=${r.modifies}`);
  }
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))].toFixed(1);
  line('k8s: one EndpointSlice change to the device', `p50 ${q(samples, 0.5)} ms  p99 ${q(samples, 0.99)} ms  max ${q(samples, 1)} ms  (${changes} changes)`);
  line('k8s:   CPU time of those passes', `p50 ${q(cpuSamples, 0.5)} ms  p99 ${q(cpuSamples, 0.99)} ms  max ${q(cpuSamples, 1)} ms`);
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)].toFixed(2);
  line('k8s:   of which (medians)', `compile ${med(parts.compile)} / state+diff ${med(parts.diff)} / write ${med(parts.write)} / digest check ${med(parts.check)} ms`);
  // A pod relabelled (client <-> server): the policies that select it or name it as a peer recompile.
  const podSamples: number[] = [];
  const podCpu: number[] = [];
  for (let c = 1; c <= Math.min(20, changes); c++) {
    const i = (c * 251) % scale.localPods;
    const pods = cur.pods.slice();
    const p = pods[i];
    pods[i] = { ...p, metadata: { ...p.metadata, labels: { ...p.metadata.labels, role: p.metadata.labels?.role === 'client' ? 'server' : 'client' } } };
    cur = { ...cur, pods };
    const t = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const r = await adapter.sync(cur);
    podSamples.push(Number(process.hrtime.bigint() - t) / 1e6);
    const used = process.cpuUsage(cpu);
    podCpu.push((used.user + used.system) / 1e3);
    if (!r.converged) throw new Error(`pod change ${c}: not converged`);
  }
  line('k8s: one pod relabelled, to the device', `p50 ${q(podSamples, 0.5)} ms  max ${q(podSamples, 1)} ms  (${podSamples.length} changes; CPU p50 ${q(podCpu, 0.5)} ms, max ${q(podCpu, 1)} ms)`);
  line('k8s: adapter process RSS', `${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  await hal.close();
}

if (process.argv[1]?.endsWith('k8s.ts')) await k8sBench();
