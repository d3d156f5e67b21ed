// Generation and digest: generation counts successful writes; the digest is a
// function of state alone (same state, same digest, whatever the history).
import { expect } from 'chai';
import { stateDigest } from '../../../src/hal/digest.js';
import { tableByName } from '../../../src/hal/schema.js';
import { PREREQ, SAMPLES, del, ins, installPrereqs, mod, newDevice, write, writeFailure, type Entry } from './fixtures.js';

const neigh = (ip: string, mac = '02:bb:00:00:00:01'): Entry => ({ neighbor: { ip, mac } });

describe('reference driver: generation and digest', () => {
  it('a fresh device is at generation 0 with a well-formed digest, equal across devices', async () => {
    const a = await newDevice();
    const b = await newDevice();
    const s = await a.hal.getState();
    expect(s.generation).to.equal(0);
    expect(s.digest).to.match(/^sha256:[0-9a-f]{64}$/);
    expect((await b.hal.getState()).digest).to.equal(s.digest);
  });

  it('generation advances by one per successful write call, whatever the batch size', async () => {
    const d = await newDevice();
    const r1 = await write(d.hal, [ins(neigh('10.0.0.1'))]);
    const r2 = await write(d.hal, [ins(neigh('10.0.0.2')), ins(neigh('10.0.0.3')), ins(neigh('10.0.0.4'))]);
    const r3 = await write(d.hal, [del(neigh('10.0.0.1'))], 'DATAPLANE_ATOMIC');
    expect([r1.generation, r2.generation, r3.generation]).to.deep.equal([1, 2, 3]);
    const s = await d.hal.getState();
    expect(s).to.include({ generation: 3, digest: r3.digest });
  });

  it('a fully failed CONTINUE batch does not advance the generation; a partly applied one does', async () => {
    const d = await newDevice();
    await write(d.hal, [ins(neigh('10.0.0.1'))]);
    const { err } = await writeFailure(write(d.hal, [ins(neigh('10.0.0.1')), del(neigh('10.0.0.9'))]), 2);
    expect(err.generation).to.equal(1);
    expect((await d.hal.getState()).generation).to.equal(1);
    const { err: err2 } = await writeFailure(write(d.hal, [ins(neigh('10.0.0.1')), ins(neigh('10.0.0.2'))]), 2);
    expect(err2.generation).to.equal(2);
  });

  it('rolled-back and request-level failures do not advance the generation', async () => {
    const d = await newDevice();
    await writeFailure(write(d.hal, [ins(neigh('10.0.0.1')), ins(neigh('10.0.0.1'))], 'ROLLBACK_ON_ERROR'));
    await d.hal.write({ updates: [] }).catch(() => undefined);
    await d.hal.write({ expectedGeneration: 5, updates: [ins(neigh('10.0.0.1'))] }).catch(() => undefined);
    expect((await d.hal.getState()).generation).to.equal(0);
  });

  it('the same state reached by different orders on two devices has the same digest (generations differ)', async () => {
    const a = await newDevice();
    const b = await newDevice();
    // a: everything in one batch, in sample order.
    const all = [...new Set(SAMPLES.flatMap((s) => s.needs))];
    await installPrereqs(a.hal, all);
    await write(a.hal, SAMPLES.map((s) => ins(s.entry)));
    // b: reverse order, one by one, with detours (insert modified then modify back, extra entries deleted).
    for (const n of [...all].reverse()) await write(b.hal, [ins(PREREQ[n])]);
    for (const s of [...SAMPLES].reverse()) {
      await write(b.hal, [ins(s.modified)]);
      await write(b.hal, [mod(s.entry)]);
    }
    await write(b.hal, [ins(neigh('10.9.9.9')), mod({ port: { id: 'host5', adminUp: false } })]);
    await write(b.hal, [del(neigh('10.9.9.9')), mod({ port: { id: 'host5', adminUp: true } })]);
    const sa = await a.hal.getState();
    const sb = await b.hal.getState();
    expect(sb.generation).to.not.equal(sa.generation);
    expect(sb.digest).to.equal(sa.digest);
    expect(await b.hal.read({})).to.deep.equal(await a.hal.read({}));
  });

  it('different states have different digests (one field of one entry differs)', async () => {
    const a = await newDevice();
    const b = await newDevice();
    await write(a.hal, [ins(neigh('10.0.0.1', '02:bb:00:00:00:01'))]);
    await write(b.hal, [ins(neigh('10.0.0.1', '02:bb:00:00:00:02'))]);
    expect((await a.hal.getState()).digest).to.not.equal((await b.hal.getState()).digest);
  });

  it('a port attribute change is part of the digest; setting it back restores it', async () => {
    const d = await newDevice();
    const d0 = (await d.hal.getState()).digest;
    await write(d.hal, [mod({ port: { id: 'host0', adminUp: false } })]);
    const d1 = (await d.hal.getState()).digest;
    expect(d1).to.not.equal(d0);
    await write(d.hal, [mod({ port: { id: 'host0', adminUp: true } })]);
    expect((await d.hal.getState()).digest).to.equal(d0);
  });

  it('digest after each write equals the one in the write response and in getState', async () => {
    const d = await newDevice();
    const digests = new Set<string>();
    for (let i = 1; i <= 5; i++) {
      const r = await write(d.hal, [ins(neigh(`10.0.0.${i}`))]);
      expect((await d.hal.getState()).digest).to.equal(r.digest);
      digests.add(r.digest!);
    }
    expect(digests.size).to.equal(5);
  });

  it('the digest equals the HAL digest function over the entries read back (hal-spec ordering)', async () => {
    const d = await newDevice({ hostPorts: 2 });
    await installPrereqs(d.hal, ['nh1', 'bg1']);
    await write(d.hal, [ins(neigh('10.0.0.1')), ins({ route: { prefix: '10.0.0.0/8', nexthopId: 'nh1' } }), ins({ route: { prefix: '::/0', drop: {} } })]);
    const recs = await d.hal.read({});
    const inputs = recs.map((r) => {
      const [member, body] = Object.entries(r.entry!)[0];
      const name = member.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      return { table: tableByName(name)!, body: body as Record<string, unknown> };
    });
    expect((await d.hal.getState()).digest).to.equal(stateDigest(inputs));
  });

  it('a rolled-back batch that touched many tables leaves the digest bit-identical', async () => {
    const d = await newDevice();
    await installPrereqs(d.hal, ['nh1', 'nh2', 'bg1', 'pol1', 'pol2', 'sa1']);
    const before = (await d.hal.getState()).digest;
    await writeFailure(write(d.hal, [...SAMPLES.map((s) => ins(s.entry)), ins(neigh('10.0.0.1')), ins(neigh('10.0.0.1'))], 'ROLLBACK_ON_ERROR'));
    expect((await d.hal.getState()).digest).to.equal(before);
  });
});
