// The reconciler against the reference driver: convergence proven by the HAL
// digest, minimal diffs, reference-safe ordering, retries on transient errors,
// full resync after a device restart or foreign writes, UDP conntrack flushing.
import { expect } from 'chai';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReferenceDriver } from '../../src/drivers/reference/index.js';
import { HalError, type Hal, type WriteRequest } from '../../src/hal/index.js';
import { AdapterMetrics, Compiler, Reconciler, compile, deriveEndpointSlices, diffStates, digestOf, loadManifests, nodeConfig, removedUdpBackends, type ClusterState } from '../../src/k8s-adapter/index.js';

const EXAMPLE = join(fileURLToPath(import.meta.url), '..', '..', '..', 'examples', 'k8s', 'two-node');
const cfg = nodeConfig({ nodeName: 'node-1', hostPorts: Array.from({ length: 16 }, (_, i) => `host${i}`) });

/** A Hal that fails chosen calls: the fault injector around a real driver. */
function flaky(inner: Hal, failWrites: HalError[]): Hal & { writes: WriteRequest[] } {
  const writes: WriteRequest[] = [];
  return new Proxy(inner, {
    get(target, prop, recv) {
      if (prop === 'writes') return writes;
      if (prop === 'write') {
        return async (req: WriteRequest) => {
          writes.push(req);
          const e = failWrites.shift();
          if (e) throw e;
          return target.write(req);
        };
      }
      const v = Reflect.get(target, prop, recv);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as Hal & { writes: WriteRequest[] };
}

describe('k8s adapter: reconciler', () => {
  const base = loadManifests(EXAMPLE).state;
  const desired = compile(base, cfg);

  it('converges a fresh device in one atomic batch; the digest equals the desired state\'s', async () => {
    const hal = new ReferenceDriver({ hostPorts: 16 });
    const before = await hal.read({});
    const metrics = new AdapterMetrics();
    const r = await new Reconciler({ hal, metrics }).reconcile(desired);
    expect(r.converged, r.error).to.equal(true);
    expect(r.fullResync).to.equal(true);
    expect(r.batches).to.equal(1);
    expect(r.inserts).to.equal(desired.tables.endpoint.length + desired.tables.acl.length + desired.tables.route.length + desired.tables.nexthop.length + desired.tables.tunnel.length + desired.tables.tunnel_term.length + desired.tables.service.length + desired.tables.backend_group.length + desired.tables.snat.length + desired.tables.flow_log.length + desired.tables.service_source.length);
    const state = await hal.getState();
    // Independent check: device-owned rows as read before, plus every desired entry.
    const all = [...before.map((x) => x.entry!), ...Object.values(desired.tables).flat()];
    expect(state.digest).to.equal(digestOf(all));
    expect(await metrics.text()).to.match(/xpuhal_adapter_updates_total\{type="insert"\} \d+/);
  });

  it('a second pass with nothing changed writes nothing and does not re-read', async () => {
    const hal = flaky(new ReferenceDriver({ hostPorts: 16 }), []);
    const rec = new Reconciler({ hal });
    await rec.reconcile(desired);
    const r = await rec.reconcile(desired);
    expect([r.converged, r.inserts + r.modifies + r.deletes, r.fullResync, hal.writes.length]).to.deep.equal([true, 0, false, 1]);
  });

  it('a change is the minimal diff, ordered so references resolve (removing a node: route, nexthop, tunnel)', async () => {
    const hal = flaky(new ReferenceDriver({ hostPorts: 16 }), []);
    const rec = new Reconciler({ hal });
    await rec.reconcile(desired);
    const noNode2: ClusterState = { ...base, nodes: base.nodes.filter((n) => n.metadata.name !== 'node-2') };
    const r = await rec.reconcile(compile(noNode2, cfg));
    expect(r.converged, r.error).to.equal(true);
    const last = hal.writes[hal.writes.length - 1];
    expect(last.atomicity).to.equal('DATAPLANE_ATOMIC');
    expect(last.updates!.map((u) => `${u.type} ${Object.keys(u.entry!)[0]}`)).to.deep.equal(['DELETE route', 'DELETE nexthop', 'DELETE tunnel']);
    expect(last.expectedGeneration).to.equal(1);
  });

  it('follows its own writes: an EndpointSlice change is one MODIFY of one backend group, with no read of the device', async () => {
    const reads: unknown[] = [];
    const inner = new ReferenceDriver({ hostPorts: 16 });
    const hal = new Proxy(flaky(inner, []), {
      get(target, prop, recv) {
        if (prop === 'read') return async (req: never) => (reads.push(req), inner.read(req));
        return Reflect.get(target, prop, recv);
      },
    });
    const compiler = new Compiler(cfg);
    const rec = new Reconciler({ hal });
    await rec.reconcile(compiler.compile(base));
    expect(reads).to.have.length(1);
    const web = base.endpointSlices.findIndex((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'web');
    const moved = { ...base.endpointSlices[web], endpoints: base.endpointSlices[web].endpoints!.slice(1) };
    const next: ClusterState = { ...base, endpointSlices: base.endpointSlices.map((s, i) => (i === web ? moved : s)) };
    const r = await rec.reconcile(compiler.compile(next));
    expect([r.converged, r.fullResync, r.inserts, r.modifies, r.deletes, reads.length]).to.deep.equal([true, false, 0, 1, 0, 1]);
    expect(hal.writes[hal.writes.length - 1].updates!.map((u) => `${u.type} ${Object.keys(u.entry!)[0]}`)).to.deep.equal(['MODIFY backendGroup']);
    // The device holds what a fresh compile of the new state gives.
    expect((await inner.getState()).digest).to.equal(r.expectedDigest);
    const owned = (await new ReferenceDriver({ hostPorts: 16 }).read({})).map((x) => x.entry!);
    expect(r.expectedDigest).to.equal(digestOf([...owned, ...Object.values(compile(next, cfg).tables).flat()]));
  });

  it('retries transient failures with backoff and converges', async () => {
    const hal = flaky(new ReferenceDriver({ hostPorts: 16 }), [HalError.of('DEVICE_UNAVAILABLE', 'link down'), HalError.of('DEVICE_UNAVAILABLE', 'link down')]);
    const sleeps: number[] = [];
    const r = await new Reconciler({ hal, sleep: async (ms) => void sleeps.push(ms), baseBackoffMs: 100 }).reconcile(desired);
    expect([r.converged, r.attempts]).to.deep.equal([true, 3]);
    expect(sleeps).to.deep.equal([100, 200]);
  });

  it('a permanent error stops retrying and reports the update that failed', async () => {
    const hal = new ReferenceDriver({ hostPorts: 16, tableSizes: { acl: 2 } });
    const r = await new Reconciler({ hal, sleep: async () => {} }).reconcile(desired);
    expect([r.converged, r.attempts]).to.deep.equal([false, 1]);
    expect(r.error).to.match(/TABLE_FULL/);
    expect((await hal.getState()).generation, 'the atomic batch left nothing behind').to.equal(0);
  });

  it('resyncs fully after a device restart (generation went back) and after foreign writes', async () => {
    const logs: string[] = [];
    let hal: Hal = new ReferenceDriver({ hostPorts: 16 });
    const proxy = new Proxy({} as Hal, { get: (_t, p) => (hal as unknown as Record<string | symbol, unknown>)[p] instanceof Function ? ((hal as unknown as Record<string | symbol, (...a: unknown[]) => unknown>)[p] as (...a: unknown[]) => unknown).bind(hal) : undefined });
    const rec = new Reconciler({ hal: proxy, log: (l) => logs.push(l) });
    await rec.reconcile(desired);
    hal = new ReferenceDriver({ hostPorts: 16 }); // restarted: empty, generation 0
    const r = await rec.reconcile(desired);
    expect([r.converged, r.fullResync, r.inserts]).to.deep.equal([true, true, desired.tables.endpoint.length + Object.values(desired.tables).flat().length - desired.tables.endpoint.length]);
    expect(logs.join('\n')).to.match(/device restarted/);
    // Someone else deletes a route: the next pass notices (digest moved), re-reads, puts it back.
    await hal.write({ updates: [{ type: 'DELETE', entry: { route: { prefix: '10.244.2.0/24' } } as never }] });
    const r2 = await rec.reconcile(desired);
    expect([r2.converged, r2.fullResync, r2.inserts, r2.deletes]).to.deep.equal([true, true, 1, 0]);
    expect(logs.join('\n')).to.match(/another writer/);
  });

  it('stale entries the adapter owns are removed; rows it does not own are left alone', async () => {
    const hal = new ReferenceDriver({ hostPorts: 16 });
    await hal.write({ updates: [{ type: 'INSERT', entry: { route: { prefix: '10.99.0.0/16', drop: {} } } as never }, { type: 'MODIFY', entry: { port: { id: 'host15', adminUp: true, mtu: 9000 } } as never }] });
    const r = await new Reconciler({ hal }).reconcile(desired);
    expect([r.converged, r.deletes]).to.deep.equal([true, 1]);
    const ports = await hal.read({ tables: ['port'], filters: [{ field: 'id', equals: 'host15' }] });
    expect(ports[0].entry).to.deep.equal({ port: { id: 'host15', adminUp: true, mtu: 9000 } });
  });

  it('names the UDP backends that left (for conntrack flushing), not TCP ones', () => {
    const withDns = compile(base, cfg);
    const fewer: ClusterState = { ...base, pods: base.pods.filter((p) => !(p.metadata.namespace === 'y' && p.metadata.name === 'a')) };
    const fresh = { ...fewer, endpointSlices: [] };
    const after = compile({ ...fresh, endpointSlices: deriveEndpointSlices(fresh).slices }, cfg);
    expect(removedUdpBackends(Object.values(withDns.tables).flat(), Object.values(after.tables).flat())).to.deep.equal(['10.244.1.21']);
    const d = diffStates(Object.values(after.tables).flat(), Object.values(withDns.tables).flat());
    expect(d.modifies).to.be.greaterThan(0);
  });
});

