// Capacity: a full table answers RESOURCE_EXHAUSTED/TABLE_FULL for that update
// and nothing else changes; group size limits; describe() agrees with what was written.
import { expect } from 'chai';
import { tableCapability } from '../../../src/hal/capabilities.js';
import { ABORTED, OK, del, expectUnchanged, expectUpdateError, ins, mod, newDevice, readTable, shape, snapshot, write, writeFailure, type Entry } from './fixtures.js';

const route = (i: number): Entry => ({ route: { prefix: `10.${i}.0.0/16`, drop: {} } });
const FULL = (i: number, member = 'route') => ({ code: 'RESOURCE_EXHAUSTED', reason: 'TABLE_FULL', fieldPath: `updates[${i}].entry.${member}` });
const nexthops = (n: number): Entry[] => Array.from({ length: n }, (_, i) => ({ nexthop: { id: `nh${i}`, port: { portId: 'uplink0', dmac: '02:bb:00:00:00:01' } } }));

async function usage(hal: Awaited<ReturnType<typeof newDevice>>['hal'], table: string) {
  const cap = tableCapability((await hal.describe()).capabilities!, table)!;
  return { max: cap.maxEntries, used: cap.usedEntries, state: (await hal.getState()).usage![table] };
}

describe('reference driver: capacity', () => {
  it('with route size 3 the 4th insert fails TABLE_FULL and nothing else changes', async () => {
    const d = await newDevice({ tableSizes: { route: 3 } });
    await write(d.hal, [ins(route(1)), ins(route(2)), ins(route(3))]);
    const before = await snapshot(d.hal);
    await expectUpdateError(d.hal, ins(route(4)), FULL(0));
    await expectUnchanged(d.hal, before);
    for (const mode of ['ROLLBACK_ON_ERROR', 'DATAPLANE_ATOMIC'] as const) {
      await expectUpdateError(d.hal, ins(route(4)), FULL(0), mode);
      await expectUnchanged(d.hal, before);
    }
  });

  it('a CONTINUE batch of 5 inserts into a 3-entry table gives OK, OK, OK, FULL, FULL', async () => {
    const d = await newDevice({ tableSizes: { route: 3 } });
    const { statuses } = await writeFailure(write(d.hal, [1, 2, 3, 4, 5].map((i) => ins(route(i)))), 5);
    expect(statuses.map(shape)).to.deep.equal([OK, OK, OK, FULL(3), FULL(4)]);
    expect((await readTable(d.hal, 'route')).map((e) => e.route!.prefix)).to.deep.equal(['10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16']);
    expect((await d.hal.getState()).generation).to.equal(1);
  });

  it('a ROLLBACK batch of 5 inserts into a 3-entry table leaves the table empty', async () => {
    const d = await newDevice({ tableSizes: { route: 3 } });
    const before = await snapshot(d.hal);
    const { statuses } = await writeFailure(write(d.hal, [1, 2, 3, 4, 5].map((i) => ins(route(i))), 'ROLLBACK_ON_ERROR'), 5);
    expect(statuses.map(shape)).to.deep.equal([ABORTED, ABORTED, ABORTED, FULL(3), ABORTED]);
    await expectUnchanged(d.hal, before);
  });

  it('a full table still accepts MODIFY and DELETE; delete frees a slot', async () => {
    const d = await newDevice({ tableSizes: { route: 2 } });
    await write(d.hal, [ins(route(1)), ins(route(2))]);
    await write(d.hal, [mod({ route: { prefix: '10.1.0.0/16', reject: {} } })]);
    await write(d.hal, [del(route(2)), ins(route(3))]);
    await expectUpdateError(d.hal, ins(route(4)), FULL(0));
    expect((await readTable(d.hal, 'route')).map((e) => e.route!.prefix)).to.deep.equal(['10.1.0.0/16', '10.3.0.0/16']);
  });

  it('in one batch, delete-then-insert fits a full table but insert-then-delete does not', async () => {
    const d = await newDevice({ tableSizes: { route: 1 } });
    await write(d.hal, [ins(route(1))]);
    await write(d.hal, [del(route(1)), ins(route(2))], 'ROLLBACK_ON_ERROR');
    const before = await snapshot(d.hal);
    const { statuses } = await writeFailure(write(d.hal, [ins(route(3)), del(route(2))], 'ROLLBACK_ON_ERROR'), 2);
    expect(statuses.map(shape)).to.deep.equal([FULL(0), ABORTED]);
    await expectUnchanged(d.hal, before);
  });

  it('check order on a full table: REFERENCE_MISSING and GROUP_TOO_LARGE come before TABLE_FULL', async () => {
    const d = await newDevice({ tableSizes: { route: 1, ecmp_group: 1 } });
    await write(d.hal, [ins(route(1)), ...nexthops(65).map(ins), ins({ ecmpGroup: { id: 'g0', members: [] } })]);
    await expectUpdateError(d.hal, ins({ route: { prefix: '10.9.0.0/16', nexthopId: 'missing' } }), {
      code: 'NOT_FOUND', reason: 'REFERENCE_MISSING', fieldPath: 'updates[0].entry.route.nexthopId',
    });
    await expectUpdateError(d.hal, ins({ ecmpGroup: { id: 'g1', members: Array.from({ length: 65 }, (_, i) => ({ nexthopId: `nh${i}` })) } }), {
      code: 'RESOURCE_EXHAUSTED', reason: 'GROUP_TOO_LARGE', fieldPath: 'updates[0].entry.ecmpGroup.members',
    });
    await expectUpdateError(d.hal, ins({ ecmpGroup: { id: 'g1', members: [] } }), FULL(0, 'ecmpGroup'));
  });

  it('a full table does not affect other tables', async () => {
    const d = await newDevice({ tableSizes: { route: 1 } });
    await write(d.hal, [ins(route(1))]);
    const { statuses } = await writeFailure(write(d.hal, [ins(route(2)), ins({ neighbor: { ip: '10.0.0.1', mac: '02:bb:00:00:00:01' } })]), 2);
    expect(statuses.map(shape)).to.deep.equal([FULL(0), OK]);
  });

  it('duplicate insert into a full table is ENTRY_EXISTS, not TABLE_FULL', async () => {
    const d = await newDevice({ tableSizes: { route: 1 } });
    await write(d.hal, [ins(route(1))]);
    await expectUpdateError(d.hal, ins(route(1)), { code: 'ALREADY_EXISTS', reason: 'ENTRY_EXISTS', fieldPath: 'updates[0].entry.route' });
  });

  it('the singleton flow_log holds one entry: a second insert is ENTRY_EXISTS', async () => {
    const d = await newDevice();
    await write(d.hal, [ins({ flowLog: { recordDenied: true } })]);
    await expectUpdateError(d.hal, ins({ flowLog: { recordAllowed: true } }), { code: 'ALREADY_EXISTS', reason: 'ENTRY_EXISTS', fieldPath: 'updates[0].entry.flowLog' });
    expect((await d.hal.describe()).capabilities!.tables!.find((t) => t.name === 'flow_log')!.maxEntries).to.equal(1);
  });

  it('ct_zone capacity counts the device-owned zone 0', async () => {
    const d = await newDevice({ tableSizes: { ct_zone: 2 } });
    await write(d.hal, [ins({ ctZone: { zone: 1 } })]);
    await expectUpdateError(d.hal, ins({ ctZone: { zone: 2 } }), FULL(0, 'ctZone'));
  });

  describe('group limits', () => {
    it('an ECMP group of 64 members is accepted; 65 is GROUP_TOO_LARGE at ...members', async () => {
      const d = await newDevice();
      await write(d.hal, nexthops(65).map(ins));
      const members = (n: number) => Array.from({ length: n }, (_, i) => ({ nexthopId: `nh${i}` }));
      const before = await snapshot(d.hal);
      await expectUpdateError(d.hal, ins({ ecmpGroup: { id: 'g', members: members(65) } }), {
        code: 'RESOURCE_EXHAUSTED', reason: 'GROUP_TOO_LARGE', fieldPath: 'updates[0].entry.ecmpGroup.members',
      });
      await expectUnchanged(d.hal, before);
      await write(d.hal, [ins({ ecmpGroup: { id: 'g', members: members(64) } })]);
      // Growing it by MODIFY is refused the same way; the 64-member group stays.
      const full = await snapshot(d.hal);
      await expectUpdateError(d.hal, mod({ ecmpGroup: { id: 'g', members: members(65) } }), {
        code: 'RESOURCE_EXHAUSTED', reason: 'GROUP_TOO_LARGE', fieldPath: 'updates[0].entry.ecmpGroup.members',
      });
      await expectUnchanged(d.hal, full);
    });

    it('a backend group of 257 members is GROUP_TOO_LARGE (limit 256)', async () => {
      const d = await newDevice();
      const members = (n: number) => Array.from({ length: n }, (_, i) => ({ ip: `10.1.${i >> 8}.${i & 255}`, port: 80 }));
      await expectUpdateError(d.hal, ins({ backendGroup: { id: 'bg', members: members(257) } }), {
        code: 'RESOURCE_EXHAUSTED', reason: 'GROUP_TOO_LARGE', fieldPath: 'updates[0].entry.backendGroup.members',
      });
      await write(d.hal, [ins({ backendGroup: { id: 'bg', members: members(256) } })]);
    });

    it('describe() declares the group limits', async () => {
      const d = await newDevice();
      const caps = (await d.hal.describe()).capabilities!;
      expect(tableCapability(caps, 'ecmp_group')!.maxGroupMembers).to.equal(64);
      expect(tableCapability(caps, 'backend_group')!.maxGroupMembers).to.equal(256);
      expect(tableCapability(caps, 'route')!.maxGroupMembers).to.equal(0);
    });
  });

  describe('describe() usage', () => {
    it('reports the overridden maxEntries and usedEntries that follow inserts, failures and deletes', async () => {
      const d = await newDevice({ tableSizes: { route: 3 } });
      expect(await usage(d.hal, 'route')).to.deep.equal({ max: 3, used: 0, state: 0 });
      await write(d.hal, [ins(route(1)), ins(route(2))]);
      expect(await usage(d.hal, 'route')).to.deep.equal({ max: 3, used: 2, state: 2 });
      await writeFailure(write(d.hal, [2, 3, 4].map((i) => ins(route(i)))));
      expect(await usage(d.hal, 'route')).to.deep.equal({ max: 3, used: 3, state: 3 });
      await write(d.hal, [del(route(1))]);
      expect(await usage(d.hal, 'route')).to.deep.equal({ max: 3, used: 2, state: 2 });
    });

    it('ports and ct_zone 0 count as used; every table is listed with usedEntries ≤ maxEntries', async () => {
      const d = await newDevice({ hostPorts: 4 });
      const caps = (await d.hal.describe()).capabilities!;
      expect(caps.tables).to.have.length(21);
      expect(tableCapability(caps, 'port')).to.include({ maxEntries: 6, usedEntries: 6 });
      expect(tableCapability(caps, 'ct_zone')).to.include({ maxEntries: 256, usedEntries: 1 });
      expect(tableCapability(caps, 'shaper')!.maxEntries).to.equal(6 * 8);
      for (const t of caps.tables!) expect(t.usedEntries!, t.name).to.be.at.most(t.maxEntries!);
    });

    it('scale multiplies the table sizes', async () => {
      const one = (await (await newDevice()).hal.describe()).capabilities!;
      const two = (await (await newDevice({ scale: 2 })).hal.describe()).capabilities!;
      expect(tableCapability(two, 'route')!.maxEntries).to.equal(2 * tableCapability(one, 'route')!.maxEntries!);
      expect(tableCapability(two, 'ct_zone')!.maxEntries).to.equal(tableCapability(one, 'ct_zone')!.maxEntries);
    });

    it('an unknown table in tableSizes is refused at construction', async () => {
      let err: unknown;
      try {
        await newDevice({ tableSizes: { routes: 3 } });
      } catch (e) {
        err = e;
      }
      expect(err).to.have.property('fieldPath', 'tableSizes.routes');
    });
  });
});
