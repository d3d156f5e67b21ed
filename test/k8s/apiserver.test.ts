// The adapter against a real kube-apiserver (with etcd), started once for this
// file: objects are created, changed and deleted through the API; the live source
// (client-node informers) feeds a NodeAdapter programming a reference device; the
// device converges (digest) and packets show the resulting policy matrix.
// No controllers run, so the test writes EndpointSlices itself, as the endpointslice
// controller would (with the last-change-trigger-time annotation), and sets pod and
// node status (addresses) as the kubelet would.
import { expect } from 'chai';
import { CoreV1Api, DiscoveryV1Api, KubeConfig, NetworkingV1Api, type V1EndpointSlice, type V1NetworkPolicy } from '@kubernetes/client-node';
import { LiveSource, NodeAdapter, compile, type SyncResult } from '../../src/k8s-adapter/index.js';
import { NAMESPACES, NODE, NetpolWorld, PEERS, config, podIp, worldPods } from './support/netpol-world.js';
import { TestEnv, testenvBinary } from './support/testenv.js';

const REQUIRE_ALL = process.env.XPUHAL_REQUIRE_ALL_TIERS === '1';

/** Polls (real time: the API server is a real process) until check() holds. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

describe('k8s adapter: real kube-apiserver (live source)', function () {
  this.timeout(300_000);
  let env: TestEnv | undefined;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let discovery: DiscoveryV1Api;
  let networking: NetworkingV1Api;
  let world: NetpolWorld;
  let adapter: NodeAdapter;
  let source: LiveSource | undefined;
  let last: SyncResult | undefined;
  const logs: string[] = [];

  before(async function () {
    const bin = testenvBinary();
    if ('reason' in bin) {
      const msg = `SKIPPED: k8s-apiserver: ${bin.reason}`;
      console.log(msg);
      if (REQUIRE_ALL) throw new Error(`${msg} (XPUHAL_REQUIRE_ALL_TIERS=1)`);
      this.skip();
    }
    env = await TestEnv.start(bin.path);
    kc = new KubeConfig();
    kc.loadFromFile(env.kubeconfigPath);
    core = kc.makeApiClient(CoreV1Api);
    discovery = kc.makeApiClient(DiscoveryV1Api);
    networking = kc.makeApiClient(NetworkingV1Api);
    world = await NetpolWorld.create();
    adapter = new NodeAdapter({ hal: world.hal, config, log: (l) => logs.push(l) });
  });

  after(async () => {
    await source?.stop();
    await env?.stop();
  });

  const startSource = async () => {
    source = new LiveSource({
      kubeConfig: kc,
      log: (l) => logs.push(l),
      onChange: () => {
        const state = source!.snapshot();
        void adapter.sync(state).then((r) => {
          last = r;
          world.usePorts(r.desired);
        });
      },
    });
    await source.start();
  };

  /** Waits until the device holds exactly what compiling the API's current state gives. */
  const converged = async (what: string, pred: (r: SyncResult) => boolean = () => true) =>
    eventually(what, async () => {
      const state = source!.snapshot();
      const want = compile(state, config);
      const r = last;
      if (!r || !r.converged || !pred(r)) return undefined;
      const dev = await world.hal.getState();
      // The device digest equals what the current API state compiles to (plus device-owned rows).
      return dev.digest === r.expectedDigest && JSON.stringify(r.desired.tables) === JSON.stringify(want.tables) ? r : undefined;
    });

  const matrixTcp80 = async () => {
    const state = source!.snapshot();
    const rows: string[] = [];
    for (const from of PEERS) {
      let row = '';
      for (const to of PEERS) {
        // A pod that is gone has no port on the device: not probed.
        if (from === to || !world.portOf(from) || !world.portOf(to)) row += '-';
        else row += (await world.send(from, to, { protocol: 'TCP', port: 80 }, state)).allowed ? '.' : 'X';
      }
      rows.push(row);
    }
    return rows;
  };

  it('lists and watches a cluster built through the API; the device converges', async () => {
    await core.createNode({ body: { metadata: { name: NODE }, spec: { podCIDRs: ['10.244.1.0/24'] } } });
    const node = await core.readNode({ name: NODE });
    node.status = { addresses: [{ type: 'InternalIP', address: '192.168.10.1' }] };
    await core.replaceNodeStatus({ name: NODE, body: node });
    for (const ns of NAMESPACES) await core.createNamespace({ body: { metadata: { name: ns, labels: { ns } } } });
    for (const p of worldPods()) {
      await core.createNamespacedPod({
        namespace: p.metadata.namespace!,
        body: { metadata: { name: p.metadata.name, labels: { ...p.metadata.labels } }, spec: { nodeName: NODE, containers: [{ name: 'cont', image: 'registry.invalid/serve:1', ports: [...p.spec!.containers![0].ports!] as never }] } },
      });
      const pod = await core.readNamespacedPod({ name: p.metadata.name!, namespace: p.metadata.namespace! });
      pod.status = { phase: 'Running', podIP: p.status!.podIP, podIPs: [{ ip: p.status!.podIP! }] };
      await core.replaceNamespacedPodStatus({ name: p.metadata.name!, namespace: p.metadata.namespace!, body: pod });
    }
    await startSource();
    const r = await converged('the initial sync');
    expect(r.desired.tables.endpoint).to.have.length(9);
    expect(r.desired.problems).to.deep.equal([]);
    expect(await matrixTcp80()).to.deep.equal(PEERS.map((from) => PEERS.map((to) => (from === to ? '-' : '.')).join('')));
  });

  it('a NetworkPolicy created through the API isolates x/a; deleting it opens it again', async () => {
    const np: V1NetworkPolicy = { metadata: { name: 'a-from-y', namespace: 'x' }, spec: { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ _from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] } };
    await networking.createNamespacedNetworkPolicy({ namespace: 'x', body: np });
    await converged('the policy', (r) => r.desired.tables.acl.length > 0);
    const m = await matrixTcp80();
    expect(m.map((row) => row[0]).join('')).to.equal('-XX...XXX');
    await networking.deleteNamespacedNetworkPolicy({ name: 'a-from-y', namespace: 'x' });
    await converged('the policy deletion', (r) => r.desired.tables.acl.length === 0);
    expect((await matrixTcp80()).map((row) => row[0]).join('')).to.equal('-........');
  });

  const slice = (name: string, ips: string[], trigger: string): V1EndpointSlice => ({
    metadata: {
      name,
      namespace: 'x',
      labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'xpuhal-test' },
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': trigger },
    },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, nodeName: NODE })),
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
  });

  it('a Service and the EndpointSlice the controller would write become service + backend_group; changes follow, with programming latency', async () => {
    await core.createNamespacedService({ namespace: 'x', body: { metadata: { name: 'web' }, spec: { selector: { pod: 'a' }, ports: [{ name: 'http', port: 80, targetPort: 80 as never }] } } });
    const svc = await core.readNamespacedService({ name: 'web', namespace: 'x' });
    const vip = svc.spec!.clusterIP!;
    await discovery.createNamespacedEndpointSlice({ namespace: 'x', body: slice('web-1', [podIp('x/a'), podIp('x/b')], new Date().toISOString()) });
    const r = await converged('the service', (x) => x.desired.tables.backend_group.some((g) => (g.backendGroup!.members ?? []).length === 2));
    expect(r.desired.tables.service.map((e) => e.service!.vip)).to.include(vip);
    // The device's own record of the group (the "kubernetes" Service has a group too: empty, no endpoints reconciler runs).
    const webGroup = async () => (await world.hal.read({ tables: ['backend_group'], filters: [{ field: 'id', equals: 'svc:x/web/http/v4' }] })).map((x) => x.entry!.backendGroup!.members!.map((m) => m.ip));
    expect(await webGroup()).to.deep.equal([[podIp('x/a'), podIp('x/b')]]);

    const cur = await discovery.readNamespacedEndpointSlice({ name: 'web-1', namespace: 'x' });
    const changed = slice('web-1', [podIp('x/c')], new Date().toISOString());
    changed.metadata!.resourceVersion = cur.metadata!.resourceVersion;
    await discovery.replaceNamespacedEndpointSlice({ name: 'web-1', namespace: 'x', body: changed });
    const r2 = await converged('the endpoint change', (x) => x.desired.tables.backend_group.some((g) => g.backendGroup!.members?.[0]?.ip === podIp('x/c')));
    expect(await webGroup()).to.deep.equal([[podIp('x/c')]]);
    const metrics = await adapter.metrics.text();
    const count = Number(/network_programming_duration_seconds_count\{node="node-1"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    expect(count, metrics).to.be.at.least(1);
    expect(r2.converged).to.equal(true);
  });

  it('the watch is killed and restarted: changes made meanwhile are picked up by the relist', async () => {
    await source!.stop();
    source = undefined;
    await core.deleteNamespacedPod({ name: 'c', namespace: 'z', gracePeriodSeconds: 0 });
    await networking.createNamespacedNetworkPolicy({ namespace: 'y', body: { metadata: { name: 'deny-all', namespace: 'y' }, spec: { podSelector: {} } } });
    await startSource();
    const r = await converged('the relisted state', (x) => x.desired.tables.endpoint.length === 8 && x.desired.tables.acl.length > 0);
    expect(r.desired.tables.endpoint.map((e) => e.endpoint!.ip)).to.not.include(podIp('z/c'));
    const m = await matrixTcp80();
    // Columns y/* are denied from everyone (z/c is gone: its row and column are not asserted).
    for (const [i, from] of PEERS.entries()) {
      if (from === 'z/c') continue;
      expect(m[i].slice(3, 6).replace('-', ''), `${from} -> y`).to.match(/^X+$/);
    }
    expect(logs.filter((l) => /problem/.test(l))).to.deep.equal([]);
  });
});
