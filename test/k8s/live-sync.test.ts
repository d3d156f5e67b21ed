// LiveSync on virtual timers with a real adapter and device: nothing is programmed
// before the source's first complete list, a resync tick repairs a device another
// writer changed, and stop() ends the ticks. (The same glue runs against a real
// kube-apiserver in apiserver.test.ts.)
import { expect } from 'chai';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReferenceDriver } from '../../src/drivers/reference/index.js';
import { LiveSync, NodeAdapter, loadManifests, nodeConfig, type ClusterState, type SyncResult, type Timers } from '../../src/k8s-adapter/index.js';

const EXAMPLE = join(fileURLToPath(import.meta.url), '..', '..', '..', 'examples', 'k8s', 'two-node');

/** Virtual periodic timers: tick() fires every registered callback once. */
function virtualTimers(): Timers & { tick(): void; active(): number } {
  const fns = new Set<() => void>();
  return {
    every(_ms, fn) {
      fns.add(fn);
      return () => fns.delete(fn);
    },
    tick: () => fns.forEach((f) => f()),
    active: () => fns.size,
  };
}

describe('k8s adapter: LiveSync (change passes and the resync timer)', () => {
  let state: ClusterState;
  before(() => {
    state = loadManifests(EXAMPLE).state;
  });

  it('no pass before the first change; a resync tick repairs a foreign write; stop() ends the ticks', async () => {
    const hal = new ReferenceDriver({ hostPorts: 16 });
    const adapter = new NodeAdapter({ hal, config: nodeConfig({ nodeName: 'node-1', hostPorts: Array.from({ length: 16 }, (_, i) => `host${i}`) }), sleep: async () => {} });
    const timers = virtualTimers();
    const results: { r: SyncResult; why: string }[] = [];
    let settle: () => void = () => {};
    const live = new LiveSync({
      adapter,
      snapshot: () => state,
      resyncMs: 60_000,
      timers,
      onResult: (r, why) => {
        results.push({ r, why });
        settle();
      },
    });
    const next = () => new Promise<void>((r) => (settle = r));
    live.start();
    timers.tick(); // the source has not listed yet: an empty cache must not be programmed
    expect([live.stats.resyncs, results.length, (await hal.getState()).generation ?? 0]).to.deep.equal([0, 0, 0]);

    let done = next();
    live.changed();
    await done;
    expect([results[0].why, results[0].r.converged]).to.deep.equal(['change', true]);
    const good = (await hal.getState()).digest;

    // Another writer removes a route the adapter owns.
    const routes = await hal.read({ tables: ['route'] });
    await hal.write({ updates: [{ type: 'DELETE', entry: routes[0].entry! }] });
    expect((await hal.getState()).digest).to.not.equal(good);
    done = next();
    timers.tick();
    await done;
    expect([results[1].why, results[1].r.converged, results[1].r.fullResync, results[1].r.inserts]).to.deep.equal(['resync', true, true, 1]);
    expect((await hal.getState()).digest).to.equal(good);

    // A tick over an untouched device changes nothing.
    done = next();
    timers.tick();
    await done;
    expect([results[2].r.fullResync, results[2].r.inserts + results[2].r.modifies + results[2].r.deletes]).to.deep.equal([false, 0]);

    live.stop();
    expect(timers.active()).to.equal(0);
    adapter.close();
  });
});
