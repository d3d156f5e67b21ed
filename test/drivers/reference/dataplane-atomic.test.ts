// DATAPLANE_ATOMIC with packets: replacing a policy set (delete the old ACLs,
// insert the new ones in one batch) — packets see the old or the new set, never a mix.
import { expect } from 'chai';
import type { InjectResponse, Update } from '../../../src/hal/generated/types.js';
import { ABORTED, del, mod, expectUnchanged, ins, send, shape, snapshot, topologyDevice, write, writeFailure, type Device, type Flow, type Entry } from './fixtures.js';

const OUTSIDE = '198.51.100.7';
// Each probe is a new connection (fresh source port): an established one would
// keep its admission and never consult the policy being swapped.
let nextSport = 30000;
const flowTo = (dport: number): Flow => ({ src: OUTSIDE, dst: '10.0.0.10', proto: 'tcp', sport: nextSport++, dport });

const aclEntry = (set: 'old' | 'new', dport: number, action: 'ACL_ALLOW' | 'ACL_DENY'): Entry => ({
  acl: {
    stage: 'ACL_INGRESS',
    endpointId: 'ep-a',
    protocol: 6,
    dstPorts: { lo: dport, hi: dport },
    priority: set === 'old' ? 100 : 200,
    ...(action === 'ACL_DENY' && { action }),
    policyRef: `${set}/${dport}`,
  },
});

// Old policy: allow 80, deny 81 (ep-a is isolated, so 82 is default-denied).
// New policy: allow 82, deny 80 (81 falls to default deny).
const OLD = [aclEntry('old', 80, 'ACL_ALLOW'), aclEntry('old', 81, 'ACL_DENY')];
const NEW = [aclEntry('new', 82, 'ACL_ALLOW'), aclEntry('new', 80, 'ACL_DENY')];
const swap = (): Update[] => [...OLD.map(del), ...NEW.map(ins)];

/** What a packet saw: its disposition and the policy that decided. */
function verdict(r: InjectResponse): string {
  const policy = r.trace!.filter((s) => s.stage === 'policy').at(-1);
  return `${r.disposition}:${r.dropReason ?? ''}:${policy?.ref ?? ''}`;
}

const OLD_VERDICTS = ['FORWARDED::old/80', 'DROPPED:acl-deny:old/81', 'DROPPED:default-deny-ingress:ep-a'];
const NEW_VERDICTS = ['DROPPED:acl-deny:new/80', 'DROPPED:default-deny-ingress:ep-a', 'FORWARDED::new/82'];

async function probe(d: Device): Promise<string[]> {
  const out: string[] = [];
  for (const port of [80, 81, 82]) out.push(verdict(await send(d, 'uplink0', flowTo(port))));
  return out;
}

describe('reference driver: DATAPLANE_ATOMIC with packets', () => {
  let d: Device;
  beforeEach(async () => {
    d = await topologyDevice();
    await write(d.hal, [
      mod({ endpoint: { ip: '10.0.0.10', portId: 'host0', mac: '02:aa:00:00:00:0a', endpointId: 'ep-a', isolatedIngress: true } }),
      ...OLD.map(ins),
    ]);
  });

  it('the old policy decides before the swap', async () => {
    expect(await probe(d)).to.deep.equal(OLD_VERDICTS);
  });

  it('a policy swap with one failing update is rolled back: packets see exactly the old policy', async () => {
    const before = await snapshot(d.hal);
    // The last update refers to a missing next hop: the whole swap must not happen.
    const updates = [...swap(), ins({ route: { prefix: '10.99.0.0/16', nexthopId: 'missing' } })];
    const { statuses } = await writeFailure(write(d.hal, updates, 'DATAPLANE_ATOMIC'), updates.length);
    expect(statuses.map(shape)).to.deep.equal([
      ABORTED, ABORTED, ABORTED, ABORTED,
      { code: 'NOT_FOUND', reason: 'REFERENCE_MISSING', fieldPath: 'updates[4].entry.route.nexthopId' },
    ]);
    await expectUnchanged(d.hal, before);
    expect(await probe(d)).to.deep.equal(OLD_VERDICTS);
    // The old entries kept their identity: their counters count the probe.
    const recs = await d.hal.read({ tables: ['acl'], includeCounters: true });
    expect(recs.map((r) => [r.entry!.acl!.policyRef, r.counters!.packets])).to.have.deep.members([
      ['old/80', 1],
      ['old/81', 1],
    ]);
  });

  it('the same failing swap under CONTINUE_ON_ERROR would have changed the policy (the contrast)', async () => {
    const updates = [...swap(), ins({ route: { prefix: '10.99.0.0/16', nexthopId: 'missing' } })];
    await writeFailure(write(d.hal, updates, 'CONTINUE_ON_ERROR'), updates.length);
    expect(await probe(d)).to.deep.equal(NEW_VERDICTS);
  });

  it('a successful swap switches every flow to the new policy at once', async () => {
    await write(d.hal, swap(), 'DATAPLANE_ATOMIC');
    expect(await probe(d)).to.deep.equal(NEW_VERDICTS);
  });

  it('packets injected concurrently with swaps see the old or the new policy, never a mix', async () => {
    const calls: Promise<unknown>[] = [];
    const seen: Promise<string[]>[] = [];
    const back = (): Update[] => [...NEW.map(del), ...OLD.map(ins)];
    for (let i = 0; i < 40; i++) {
      // Probes interleaved with swaps (some of which fail and roll back).
      seen.push(Promise.all([80, 81, 82].map((p) => send(d, 'uplink0', flowTo(p)).then(verdict))));
      const fail = i % 3 === 2;
      const updates = [...(i % 2 === 0 ? swap() : back()), ...(fail ? [del({ neighbor: { ip: '10.77.0.1' } })] : [])];
      calls.push(write(d.hal, updates, 'DATAPLANE_ATOMIC').catch(() => 'failed'));
      if (fail) calls.push(write(d.hal, i % 2 === 0 ? swap() : back(), 'DATAPLANE_ATOMIC'));
    }
    await Promise.all(calls);
    let olds = 0;
    let news = 0;
    for (const v of await Promise.all(seen)) {
      const isOld = JSON.stringify(v) === JSON.stringify(OLD_VERDICTS);
      const isNew = JSON.stringify(v) === JSON.stringify(NEW_VERDICTS);
      expect(isOld || isNew, `a probe saw a mix: ${v.join(', ')}`).to.equal(true);
      if (isOld) olds++;
      else news++;
    }
    expect(olds).to.be.greaterThan(0);
    expect(news).to.be.greaterThan(0);
  });
});
