// The incremental compiler cannot drift: after any sequence of changes, one
// long-lived Compiler gives exactly what a fresh compile of the same state gives
// (entries, problems, notes, and the digest sum it keeps on the side). Random
// change sequences from a seeded generator touch every dependency the cache
// tracks: pod labels, addresses and nodes (policy selectors, peers, named ports,
// address conflicts), namespace labels (namespaceSelectors), policies added,
// changed, made invalid and removed (priorities shift), slices and services
// (VIP conflicts), and nodes (tunnels, NodePort addresses). The reconciler
// follows the same sequence on a reference device and must converge every time
// with the device digest equal to the fresh compile's.
import { expect } from 'chai';
import { ReferenceDriver } from '../../src/drivers/reference/index.js';
import { stateDigest, entryParts, type TableEntry } from '../../src/hal/index.js';
import { Compiler, Reconciler, compile, desiredEntries, digestOf, nodeConfig, type ClusterState, type EndpointSlice, type Namespace, type NetworkPolicy, type NetworkPolicyPeer, type Node, type Pod, type Service } from '../../src/k8s-adapter/index.js';
import { digestFromSum } from '../../src/k8s-adapter/reconcile/digest-sum.js';
import { MANAGED_TABLES } from '../../src/k8s-adapter/index.js';

/** mulberry32: small, seedable, good enough to pick changes. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NS = ['x', 'y', 'z'];
const NODES = ['n1', 'n2', 'n3'];
const APPS = ['a', 'b', 'c'];

class World {
  constructor(readonly r: () => number) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.r() < p;
  }

  namespace(name: string): Namespace {
    return { kind: 'Namespace', metadata: { name, labels: { tier: this.pick(['front', 'back']) } } };
  }

  node(name: string): Node {
    const n = NODES.indexOf(name) + 1;
    const addresses = [{ type: 'InternalIP', address: `192.168.0.${n}` }];
    if (this.chance(0.3)) addresses.push({ type: 'ExternalIP', address: `203.0.113.${n}` });
    if (this.chance(0.3)) addresses.push({ type: 'InternalIP', address: `fd00:192::${n}` });
    return { kind: 'Node', metadata: { name }, spec: { podCIDRs: [`10.244.${n}.0/24`, ...(this.chance(0.3) ? [`fd00:10:244:${n}::/64`] : [])] }, status: { addresses } };
  }

  pod(i: number): Pod {
    const ns = this.pick(NS);
    const node = this.pick(NODES);
    const n = NODES.indexOf(node) + 1;
    // A small address space so pods sometimes collide (the first by name keeps the address).
    const ip = `10.244.${n}.${10 + this.int(12)}`;
    const ips = [{ ip }, ...(this.chance(0.3) ? [{ ip: `fd00:10:244:${n}::${10 + this.int(12)}` }] : [])];
    return {
      kind: 'Pod',
      metadata: { name: `p${i}`, namespace: ns, labels: { app: this.pick(APPS), ...(this.chance(0.5) ? { role: this.pick(['client', 'server']) } : {}) }, ...(this.chance(0.1) ? { annotations: { 'xpuhal.dev/port': this.pick(['host1', 'nope']) } } : {}) },
      spec: { nodeName: node, containers: [{ name: 'c', ports: [{ name: 'http', containerPort: this.pick([80, 8080]) }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] }], ...(this.chance(0.05) ? { hostNetwork: true } : {}) },
      status: { phase: this.chance(0.08) ? 'Succeeded' : 'Running', ...(this.chance(0.05) ? {} : { podIP: ip, podIPs: ips }) },
    };
  }

  peer(): NetworkPolicyPeer {
    switch (this.int(5)) {
      case 0:
        return { podSelector: { matchLabels: { app: this.pick(APPS) } } };
      case 1:
        return { namespaceSelector: { matchLabels: { tier: this.pick(['front', 'back']) } } };
      case 2:
        return { namespaceSelector: {}, podSelector: { matchExpressions: [{ key: 'role', operator: this.pick(['Exists', 'DoesNotExist']) }] } };
      case 3:
        return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': this.pick(NS) } }, podSelector: { matchLabels: { app: this.pick(APPS) } } };
      default:
        return { ipBlock: { cidr: '10.244.0.0/16', except: [`10.244.${1 + this.int(3)}.0/24`] } };
    }
  }

  ports(): NonNullable<NonNullable<NetworkPolicy['spec']>['ingress']>[number]['ports'] {
    switch (this.int(4)) {
      case 0:
        return undefined;
      case 1:
        return [{ protocol: 'TCP', port: 'http' }];
      case 2:
        return [{ protocol: 'UDP', port: 'dns' }, { port: 443 }];
      default:
        return [{ port: 8000, endPort: 8100 }];
    }
  }

  policy(i: number): NetworkPolicy {
    const types = this.pick([undefined, ['Ingress'], ['Egress'], ['Ingress', 'Egress']]);
    const rules = () => Array.from({ length: this.int(3) }, () => ({ peers: this.chance(0.2) ? undefined : Array.from({ length: 1 + this.int(2) }, () => this.peer()), ports: this.ports() }));
    const spec: Record<string, unknown> = {
      podSelector: this.chance(0.3) ? {} : { matchLabels: { app: this.pick(APPS) } },
      ...(types ? { policyTypes: types } : {}),
      ingress: rules().map((r) => ({ ...(r.peers ? { from: r.peers } : {}), ...(r.ports ? { ports: r.ports } : {}) })),
      egress: rules().map((r) => ({ ...(r.peers ? { to: r.peers } : {}), ...(r.ports ? { ports: r.ports } : {}) })),
    };
    // Now and then an invalid policy: reported and skipped, and it shifts no priority.
    if (this.chance(0.08)) spec.podSelector = { matchExpressions: [{ key: 'app', operator: 'Near' }] };
    return { kind: 'NetworkPolicy', metadata: { name: `np${i}`, namespace: this.pick(NS) }, spec } as NetworkPolicy;
  }

  service(i: number): Service {
    const type = this.pick(['ClusterIP', 'ClusterIP', 'NodePort', 'LoadBalancer']);
    const spec: Record<string, unknown> = {
      type,
      clusterIP: this.chance(0.05) ? 'None' : `10.96.0.${1 + i}`,
      ports: [{ name: 'http', port: 80, ...(type !== 'ClusterIP' ? { nodePort: 30000 + this.int(3) } : {}) }, ...(this.chance(0.4) ? [{ name: 'dns', port: 53, protocol: 'UDP' }] : [])],
      ...(this.chance(0.3) ? { externalIPs: [`198.51.100.${this.int(3)}`] } : {}),
      ...(this.chance(0.3) ? { externalTrafficPolicy: 'Local' } : {}),
      ...(this.chance(0.2) ? { internalTrafficPolicy: 'Local' } : {}),
      ...(this.chance(0.2) ? { sessionAffinity: 'ClientIP' } : {}),
      ...(type === 'LoadBalancer' && this.chance(0.5) ? { loadBalancerSourceRanges: ['192.0.2.0/24'] } : {}),
    };
    const status = type === 'LoadBalancer' ? { loadBalancer: { ingress: [{ ip: `192.0.2.${100 + this.int(3)}` }] } } : undefined;
    return { kind: 'Service', metadata: { name: `s${i}`, namespace: this.pick(NS) }, spec, ...(status ? { status } : {}) } as Service;
  }

  slice(svc: Service, j: number, pods: readonly Pod[]): EndpointSlice {
    const backends = pods.filter((p) => p.status?.podIP && this.chance(0.3));
    return {
      kind: 'EndpointSlice',
      metadata: { name: `${svc.metadata.name}-${j}`, namespace: svc.metadata.namespace, labels: { 'kubernetes.io/service-name': svc.metadata.name! } },
      addressType: 'IPv4',
      endpoints: backends.map((p) => ({
        addresses: [p.status!.podIP!],
        nodeName: p.spec?.nodeName,
        conditions: this.pick([{}, { ready: false, serving: true, terminating: true }, { ready: false }]),
      })),
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }],
    };
  }

  initial(): ClusterState {
    const pods = Array.from({ length: 16 }, (_, i) => this.pod(i));
    const services = Array.from({ length: 6 }, (_, i) => this.service(i));
    return {
      namespaces: NS.map((n) => this.namespace(n)),
      nodes: NODES.map((n) => this.node(n)),
      pods,
      services,
      endpointSlices: services.map((s) => this.slice(s, 0, pods)),
      networkPolicies: Array.from({ length: 6 }, (_, i) => this.policy(i)),
    };
  }

  /** One random change; returns the new state (the old one is left as it was). */
  change(s: ClusterState, step: number): ClusterState {
    const replaceAt = <T>(xs: readonly T[], i: number, v: T | undefined) => [...xs.slice(0, i), ...(v === undefined ? [] : [v]), ...xs.slice(i + 1)];
    switch (this.int(12)) {
      case 0:
      case 1: {
        // A pod changes (labels, node, address, phase) or goes away.
        const i = this.int(s.pods.length);
        const name = s.pods[i].metadata.name!;
        const next = this.chance(0.2) ? undefined : { ...this.pod(Number(name.slice(1))), metadata: { ...this.pod(0).metadata, name } };
        return { ...s, pods: replaceAt(s.pods, i, next) };
      }
      case 2:
        return { ...s, pods: [...s.pods, this.pod(100 + step)] };
      case 3: {
        const i = this.int(s.namespaces.length);
        return { ...s, namespaces: replaceAt(s.namespaces, i, this.chance(0.15) ? undefined : this.namespace(NS[i] ?? 'x')) };
      }
      case 4: {
        const i = this.int(s.networkPolicies.length + 1);
        if (i === s.networkPolicies.length) return { ...s, networkPolicies: [...s.networkPolicies, this.policy(200 + step)] };
        const np = s.networkPolicies[i];
        return { ...s, networkPolicies: replaceAt(s.networkPolicies, i, this.chance(0.3) ? undefined : { ...this.policy(0), metadata: np.metadata }) };
      }
      case 5:
      case 6: {
        // An EndpointSlice changes: the common case.
        if (!s.endpointSlices.length) return s;
        const i = this.int(s.endpointSlices.length);
        const sl = s.endpointSlices[i];
        const svc = s.services.find((x) => x.metadata.name === sl.metadata.labels?.['kubernetes.io/service-name']) ?? s.services[0];
        const next = { ...this.slice(svc ?? this.service(0), 0, s.pods), metadata: sl.metadata };
        return { ...s, endpointSlices: replaceAt(s.endpointSlices, i, this.chance(0.1) ? undefined : next) };
      }
      case 7: {
        const svc = s.services.length ? this.pick(s.services) : this.service(0);
        return { ...s, endpointSlices: [...s.endpointSlices, this.slice(svc, step + 1, s.pods)] };
      }
      case 8: {
        const i = this.int(s.services.length + 1);
        if (i === s.services.length) return { ...s, services: [...s.services, this.service(20 + (step % 30))] };
        return { ...s, services: replaceAt(s.services, i, this.chance(0.2) ? undefined : { ...this.service(i), metadata: s.services[i].metadata }) };
      }
      case 9: {
        const i = this.int(s.nodes.length);
        return { ...s, nodes: replaceAt(s.nodes, i, this.chance(0.1) ? undefined : this.node(NODES[i] ?? 'n3')) };
      }
      case 10:
        // The same objects in another order: nothing may change.
        return { ...s, pods: [...s.pods].reverse(), services: [...s.services].reverse(), networkPolicies: [...s.networkPolicies].reverse() };
      default:
        // An object copied with the same content: unchanged for the cache or recompiled, the output is the same.
        return { ...s, pods: s.pods.map((p) => ({ ...p })) };
    }
  }
}

const cfg = nodeConfig({ nodeName: 'n1', hostPorts: ['host0', 'host1', 'host2'], zone: '' });
const sumOf = (entries: readonly TableEntry[]) => stateDigest(entries.map((e) => entryParts(e)));

describe('k8s adapter: incremental compiler', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: after each of 60 random changes, equals a fresh compile (entries, problems, notes, digest)`, () => {
      const w = new World(rng(seed));
      const compiler = new Compiler(cfg);
      let state = w.initial();
      const kept: { state: ClusterState; desired: ReturnType<Compiler['compile']> }[] = [];
      for (let step = 0; step < 60; step++) {
        const inc = compiler.compile(state);
        const fresh = compile(state, cfg);
        expect(JSON.stringify(inc), `step ${step}`).to.equal(JSON.stringify(fresh));
        const all = new Set<string>(MANAGED_TABLES);
        expect(digestFromSum(inc.hashSum(all)), `step ${step}: the kept digest sum`).to.equal(sumOf(desiredEntries(fresh)));
        if (step % 7 === 0) kept.push({ state, desired: inc });
        state = w.change(state, step);
      }
      // Older versions still read as they were (rebuilt from the journal).
      for (const k of kept.slice(-3)) expect(JSON.stringify(k.desired.tables)).to.equal(JSON.stringify(compile(k.state, cfg).tables));
    });
  }

  it('a change sequence produces a variety of output (the generator is not degenerate)', () => {
    const w = new World(rng(7));
    let state = w.initial();
    const sizes = new Set<string>();
    const problems = new Set<string>();
    for (let step = 0; step < 60; step++) {
      const d = compile(state, cfg);
      sizes.add(MANAGED_TABLES.map((t) => d.tables[t].length).join(','));
      for (const p of d.problems) problems.add(p.message.replace(/[0-9.:]+/g, '#').slice(0, 30));
      state = w.change(state, step);
    }
    expect(sizes.size).to.be.greaterThan(12);
    expect(problems.size, [...problems].join('\n')).to.be.greaterThan(3);
  });

  for (const seed of [11, 12]) {
    it(`seed ${seed}: the reconciler follows 40 random changes incrementally and the device digest matches a fresh compile each time`, async () => {
      const w = new World(rng(seed));
      const hal = new ReferenceDriver({ hostPorts: 4 });
      const owned = (await hal.read({})).map((r) => r.entry!);
      const compiler = new Compiler(cfg);
      const rec = new Reconciler({ hal, sleep: async () => {} });
      let state = w.initial();
      let fullResyncs = 0;
      for (let step = 0; step < 40; step++) {
        const r = await rec.reconcile(compiler.compile(state));
        expect(r.converged, `step ${step}: ${r.error}`).to.equal(true);
        if (r.fullResync) fullResyncs++;
        expect((await hal.getState()).digest, `step ${step}`).to.equal(digestOf([...owned, ...desiredEntries(compile(state, cfg))]));
        state = w.change(state, step);
      }
      expect(fullResyncs, 'only the first pass reads the device').to.equal(1);
    });
  }
});
