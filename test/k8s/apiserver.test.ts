// The adapter against a real kube-apiserver (with etcd), started once for this
// file: objects are created, changed and deleted through the API; the live source
// (client-node informers) feeds a NodeAdapter programming a reference device served
// over gRPC with mutual TLS (a RemoteHal, as deployed); the
// device converges (digest) to what the API's current state compiles to, and
// packets show the resulting policy matrix. The source reaches the API server
// through a TCP relay the test can cut; its watches time out every few seconds
// (bookmarks arrive before each timeout). Robustness: connections killed and
// refused, the API server restarted (real 410 Gone, relist), bookmarks used to
// resume, bad objects reported and skipped, foreign device writes repaired by the
// resync timer.
// No controllers run, so the test writes EndpointSlices itself, as the endpointslice
// controller would (with the last-change-trigger-time annotation), and sets pod and
// node status (addresses) as the kubelet would.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { CoreV1Api, DiscoveryV1Api, KubeConfig, NetworkingV1Api, type V1EndpointSlice, type V1NetworkPolicy } from '@kubernetes/client-node';
import { LiveSource, LiveSync, NodeAdapter, compile, type ClusterState, type Kind, type SyncResult, type WatchStats } from '../../src/k8s-adapter/index.js';
import { NAMESPACES, NODE, NetpolWorld, PEERS, config, podIp, worldPods } from './support/netpol-world.js';
import { ReferenceDriver } from '../../src/drivers/reference/index.js';
import { serve, type Served } from '../wire/wire-fixtures.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { TestEnv, testenvBinary } from './support/testenv.js';

/** Server-side watch timeout: the API server sends a bookmark about 2 s before it. */
const WATCH_TIMEOUT_S = 5;
const KINDS: readonly Kind[] = ['Namespace', 'Node', 'Pod', 'Service', 'EndpointSlice', 'NetworkPolicy'];

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
  let live: LiveSync | undefined;
  let proxy: TcpProxy;
  let served: Served | undefined;
  /** The kubeconfig the source uses: through the relay. The test's own clients go direct. */
  let viaProxy: KubeConfig;
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
    const server = new URL(kc.getCurrentCluster()!.server);
    proxy = await TcpProxy.start(Number(server.port));
    viaProxy = new KubeConfig();
    viaProxy.loadFromString(readFileSync(env.kubeconfigPath, 'utf8').replace(server.origin, `https://127.0.0.1:${proxy.port}`));
    // The device is served over gRPC with mutual TLS, as deployed (deploy/: the adapter
    // talks to the HAL server on its node); the adapter and the probes use a RemoteHal.
    served = await serve(new ReferenceDriver({ hostPorts: 16 }));
    world = await NetpolWorld.create(served.client('ctl'));
    adapter = new NodeAdapter({ hal: world.hal, config, log: (l) => logs.push(l) });
  });

  after(async () => {
    live?.stop();
    await source?.stop();
    await proxy?.close();
    await served?.close();
    await env?.stop();
  });

  // The same glue as `xpuhal k8s run`: a pass per change, resync on a timer (started by the resync test).
  const startSource = async () => {
    const src = new LiveSource({ kubeConfig: viaProxy, log: (l) => logs.push(l), onChange: () => sync.changed(), restartMs: 100, maxRestartMs: 1000, watchTimeoutSeconds: WATCH_TIMEOUT_S });
    const sync = new LiveSync({
      adapter,
      snapshot: () => src.snapshot(),
      resyncMs: 300,
      log: (l) => logs.push(l),
      onResult: (r) => {
        last = r;
        world.usePorts(r.desired);
      },
    });
    source = src;
    live = sync;
    await src.start();
  };

  /** The cluster as the API lists it now (independent of the source's cache). */
  const apiState = async (): Promise<ClusterState> => {
    const tag = <T>(kind: string, items: object[]) => items.map((o) => ({ kind, ...o }) as T);
    return {
      namespaces: tag('Namespace', (await core.listNamespace()).items),
      nodes: tag('Node', (await core.listNode()).items),
      pods: tag('Pod', (await core.listPodForAllNamespaces()).items),
      services: tag('Service', (await core.listServiceForAllNamespaces()).items),
      endpointSlices: tag('EndpointSlice', (await discovery.listEndpointSliceForAllNamespaces()).items),
      networkPolicies: tag('NetworkPolicy', (await networking.listNetworkPolicyForAllNamespaces()).items),
    };
  };

  const stats = (): Record<Kind, Readonly<WatchStats>> => source!.watchStats();

  /** Waits until the device holds exactly what compiling the API's current state gives. */
  const converged = async (what: string, pred: (r: SyncResult) => boolean = () => true) =>
    eventually(what, async () => {
      const state = await apiState();
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

  it('the device is changed behind the adapter\'s back: the resync timer repairs it (no cluster event involved)', async () => {
    await converged('a quiet cluster');
    const zb = await world.hal.read({ tables: ['endpoint'], filters: [{ field: 'ip', equals: podIp('z/b') }] });
    expect(zb, 'z/b is programmed').to.have.length(1);
    const changesBefore = live!.stats.changes;
    // Another writer removes z/b's endpoint: packets to it stop being delivered.
    await world.hal.write({ updates: [{ type: 'DELETE', entry: zb[0].entry! }] });
    expect((await world.send('x/a', 'z/b', { protocol: 'TCP', port: 80 }, await apiState())).allowed).to.equal(false);
    const resyncsBefore = live!.stats.resyncs;
    live!.start();
    try {
      await eventually('the resync repair', async () => ((await world.hal.read({ tables: ['endpoint'], filters: [{ field: 'ip', equals: podIp('z/b') }] })).length === 1 ? true : undefined));
    } finally {
      live!.stop();
    }
    expect(live!.stats.resyncs).to.be.greaterThan(resyncsBefore);
    expect(live!.stats.changes, 'no watch event drove the repair').to.equal(changesBefore);
    expect(logs.join('\n')).to.match(/full resync: device changed by another writer/);
    await converged('the repaired device');
    expect((await world.send('x/a', 'z/b', { protocol: 'TCP', port: 80 }, await apiState())).allowed).to.equal(true);
  });

  it('bookmarks are requested and arrive; a watch that ends resumes from the last bookmark, not by relisting', async () => {
    const before = stats().NetworkPolicy;
    const fromRv = source!.resourceVersions().NetworkPolicy;
    // Move etcd's revision on with writes the NetworkPolicy watch never sees...
    await core.createNamespacedConfigMap({ namespace: 'x', body: { metadata: { name: 'progress' }, data: { n: '1' } } });
    await core.replaceNamespacedConfigMap({ name: 'progress', namespace: 'x', body: { metadata: { name: 'progress' }, data: { n: '2' } } });
    // ...and a consistent list, which makes the watch cache catch up to that revision (progress notify).
    await networking.listNetworkPolicyForAllNamespaces();
    const after = await eventually(
      'a NetworkPolicy watch resumed from a newer bookmark',
      async () => {
        const s = stats().NetworkPolicy;
        return s.bookmarks > before.bookmarks && s.watches > before.watches && s.lastWatchFrom === s.lastBookmark && Number(s.lastBookmark) > Number(fromRv) ? s : undefined;
      },
      4 * WATCH_TIMEOUT_S * 1000,
    );
    expect(after.lists, 'no relist').to.equal(before.lists);
    for (const k of KINDS) expect(stats()[k].bookmarks, `${k} bookmarks`).to.be.greaterThan(0);
    // A killed connection resumes from the bookmark too.
    const bm = stats().NetworkPolicy;
    expect(proxy.cut()).to.be.greaterThan(0);
    const resumed = await eventually('the NetworkPolicy watch back', async () => {
      const s = stats().NetworkPolicy;
      return s.watches > bm.watches ? s : undefined;
    });
    expect(Number(resumed.lastWatchFrom)).to.be.at.least(Number(bm.lastBookmark));
    expect(resumed.lists, 'no relist after the cut').to.equal(before.lists);
  });

  it('the watch connections are killed and refused for a while: changes made meanwhile arrive when they return, resumed without a relist', async () => {
    const before = stats();
    const errorsBefore = source!.stats.errors;
    await proxy.pause();
    await core.deleteNamespacedPod({ name: 'c', namespace: 'z', gracePeriodSeconds: 0 });
    await networking.createNamespacedNetworkPolicy({ namespace: 'y', body: { metadata: { name: 'deny-all', namespace: 'y' }, spec: { podSelector: {} } } });
    await eventually('the source to notice', async () => (source!.stats.errors > errorsBefore ? true : undefined));
    await proxy.resume();
    const r = await converged('the state after the outage', (x) => x.desired.tables.endpoint.length === 8 && x.desired.tables.acl.length > 0);
    expect(r.desired.tables.endpoint.map((e) => e.endpoint!.ip)).to.not.include(podIp('z/c'));
    for (const k of KINDS) expect(stats()[k].lists, `${k} resumed, not relisted`).to.equal(before[k].lists);
    const m = await matrixTcp80();
    // Columns y/* are denied from everyone (z/c is gone: its row and column are not asserted).
    for (const [i, from] of PEERS.entries()) {
      if (from === 'z/c') continue;
      expect(m[i].slice(3, 6).replace('-', ''), `${from} -> y`).to.match(/^X+$/);
    }
  });

  it('etcd is compacted and the API server restarted while the source is cut off: resumed watches get 410 Gone, every informer relists, the device converges with no stale entries', async () => {
    const before = stats();
    await proxy.pause();
    // Changes the source cannot see: a pod and a policy deleted, the endpoints replaced.
    await core.deleteNamespacedPod({ name: 'b', namespace: 'y', gracePeriodSeconds: 0 });
    await networking.deleteNamespacedNetworkPolicy({ name: 'deny-all', namespace: 'y' });
    const cur = await discovery.readNamespacedEndpointSlice({ name: 'web-1', namespace: 'x' });
    const changed = slice('web-1', [podIp('x/b')], new Date().toISOString());
    changed.metadata!.resourceVersion = cur.metadata!.resourceVersion;
    await discovery.replaceNamespacedEndpointSlice({ name: 'web-1', namespace: 'x', body: changed });
    // etcd's history compacted (as the periodic compaction does) and the API server
    // restarted: the versions the source would resume from are gone.
    await env!.restart({ compactHistory: true });
    await proxy.resume();
    const r = await converged('the relisted state', (x) => x.desired.tables.endpoint.length === 7 && x.desired.tables.acl.length === 0);
    const after = stats();
    for (const k of KINDS) {
      expect(after[k].gone, `${k}: 410 Gone seen; ${JSON.stringify(after[k])}\n${logs.slice(-40).join('\n')}`).to.be.greaterThan(before[k].gone);
      expect(after[k].lists, `${k}: relisted`).to.be.greaterThan(before[k].lists);
    }
    expect(logs.join('\n')).to.match(/410 Gone/);
    // Nothing stale on the device: the deleted pod, the deleted policy and the old backends are gone.
    const dev = await world.hal.read({ tables: ['endpoint', 'acl', 'backend_group'] });
    expect(dev.filter((e) => e.entry!.endpoint?.ip === podIp('y/b'))).to.deep.equal([]);
    expect(dev.filter((e) => e.entry!.acl)).to.deep.equal([]);
    const web = dev.find((e) => e.entry!.backendGroup?.id === 'svc:x/web/http/v4')!.entry!.backendGroup!;
    expect(web.members!.map((m) => m.ip)).to.deep.equal([podIp('x/b')]);
    expect(r.desired.problems).to.deep.equal([]);
    // deny-all is gone: every remaining pair is allowed again.
    for (const row of await matrixTcp80()) expect(row).to.match(/^[.-]+$/);
  });

  it('a bad object (a pod claiming another pod\'s address) is reported and skipped; everything else is programmed; removing it clears the problem', async () => {
    await core.createNamespacedPod({ namespace: 'x', body: { metadata: { name: 'dup', labels: { pod: 'dup' } }, spec: { nodeName: NODE, containers: [{ name: 'cont', image: 'registry.invalid/serve:1' }] } } });
    const pod = await core.readNamespacedPod({ name: 'dup', namespace: 'x' });
    pod.status = { phase: 'Running', podIP: podIp('x/a'), podIPs: [{ ip: podIp('x/a') }] };
    await core.replaceNamespacedPodStatus({ name: 'dup', namespace: 'x', body: pod });
    const r = await converged('the state with the bad pod', (x) => x.desired.problems.length > 0);
    expect(r.desired.problems.map((p) => p.object)).to.deep.equal(['Pod x/dup']);
    expect(logs.join('\n')).to.match(/problem: Pod x\/dup: address 10\.\S+ is already used by pod x\/a; skipped/);
    const owners = (await world.hal.read({ tables: ['endpoint'], filters: [{ field: 'ip', equals: podIp('x/a') }] })).map((e) => e.entry!.endpoint!.endpointId);
    expect(owners).to.deep.equal(['pod:x/a']);
    await core.deleteNamespacedPod({ name: 'dup', namespace: 'x', gracePeriodSeconds: 0 });
    const r2 = await converged('the bad pod removed', (x) => x.desired.problems.length === 0);
    expect(r2.desired.tables.endpoint).to.have.length(7);
  });
});
