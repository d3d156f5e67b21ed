// Batches: CONTINUE_ON_ERROR, ROLLBACK_ON_ERROR, DATAPLANE_ATOMIC; request-level errors.
import { expect } from 'chai';
import type { Atomicity, Update } from '../../../src/hal/generated/types.js';
import {
  ABORTED,
  OK,
  del,
  expectUnchanged,
  expectUpdateError,
  ins,
  mod,
  newDevice,
  readTable,
  rejection,
  shape,
  snapshot,
  write,
  writeFailure,
  type Entry,
} from './fixtures.js';

const nh = (id: string, port = 'uplink0'): Entry => ({ nexthop: { id, port: { portId: port, ip: '192.168.0.1' } } });
const route = (prefix: string, nexthopId: string): Entry => ({ route: { prefix, nexthopId } });
const neigh = (ip: string, mac = '02:bb:00:00:00:01'): Entry => ({ neighbor: { ip, mac } });

describe('reference driver: atomicity', () => {
  describe('CONTINUE_ON_ERROR', () => {
    it('statuses come in request order; applied updates stay; generation advances once', async () => {
      const d = await newDevice();
      await write(d.hal, [ins(neigh('10.0.0.2'))]);
      const g = (await d.hal.getState()).generation!;
      const { err, statuses } = await writeFailure(
        write(d.hal, [
          ins(neigh('10.0.0.1')),
          ins(neigh('10.0.0.2')), // exists
          ins(route('10.9.0.0/16', 'nope')), // reference missing
          ins(neigh('10.0.0.3')),
          del(neigh('10.0.0.99')), // missing
        ]),
        5,
      );
      expect(statuses.map(shape)).to.deep.equal([
        OK,
        { code: 'ALREADY_EXISTS', reason: 'ENTRY_EXISTS', fieldPath: 'updates[1].entry.neighbor' },
        { code: 'NOT_FOUND', reason: 'REFERENCE_MISSING', fieldPath: 'updates[2].entry.route.nexthopId' },
        OK,
        { code: 'NOT_FOUND', reason: 'ENTRY_NOT_FOUND', fieldPath: 'updates[4].entry.neighbor' },
      ]);
      expect(err.message).to.equal('3 of 5 updates failed');
      const st = await d.hal.getState();
      expect(st.generation).to.equal(g + 1);
      expect(err.generation).to.equal(st.generation);
      expect(err.digest).to.equal(st.digest);
      expect((await readTable(d.hal, 'neighbor')).map((e) => e.neighbor!.ip)).to.deep.equal(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
      expect(await readTable(d.hal, 'route')).to.deep.equal([]);
    });

    it('an applied update\'s status is exactly {code: OK}, with no reason, message or path', async () => {
      const d = await newDevice();
      const { statuses } = await writeFailure(write(d.hal, [ins(neigh('10.0.0.1')), ins(neigh('10.0.0.1'))]), 2);
      expect(statuses[0]).to.deep.equal({ code: 'OK' });
      expect(statuses[1].message).to.be.a('string').and.not.equal('');
    });

    it('DELETE reads only key fields: other known fields are not validated, unknown ones are refused', async () => {
      const d = await newDevice();
      await write(d.hal, [ins(neigh('10.0.0.1')), ins(neigh('10.0.0.2'))]);
      await write(d.hal, [del({ neighbor: { ip: '10.0.0.1', mac: 'not a mac' } })]);
      const { statuses } = await writeFailure(write(d.hal, [del({ neighbor: { ip: '10.0.0.2', colour: 'red' } } as unknown as Entry)]), 1);
      expect(shape(statuses[0])).to.deep.equal({ code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: 'updates[0].entry.neighbor.colour' });
      expect(await readTable(d.hal, 'neighbor')).to.deep.equal([neigh('10.0.0.2')]);
    });

    it('is the default atomicity', async () => {
      const d = await newDevice();
      await writeFailure(d.hal.write({ updates: [ins(neigh('10.0.0.1')), ins(neigh('10.0.0.1'))] }), 2);
      expect(await readTable(d.hal, 'neighbor')).to.have.length(1);
    });

    it('a later update sees an earlier one of the same batch (insert, modify, delete in sequence)', async () => {
      const d = await newDevice();
      await write(d.hal, [ins(neigh('10.0.0.1')), mod(neigh('10.0.0.1', '02:bb:00:00:00:09')), del(neigh('10.0.0.1')), ins(neigh('10.0.0.1', '02:bb:00:00:00:07'))], 'CONTINUE_ON_ERROR');
      expect(await readTable(d.hal, 'neighbor')).to.deep.equal([neigh('10.0.0.1', '02:bb:00:00:00:07')]);
    });

    it('an invalid update among valid ones gets its validation status; the others apply', async () => {
      const d = await newDevice();
      const { statuses } = await writeFailure(write(d.hal, [ins(neigh('10.0.0.1')), ins({ neighbor: { ip: '10.0.0.300', mac: '02:bb:00:00:00:01' } }), ins(neigh('10.0.0.2'))]), 3);
      expect(statuses.map(shape)).to.deep.equal([OK, { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: 'updates[1].entry.neighbor.ip' }, OK]);
      expect(await readTable(d.hal, 'neighbor')).to.have.length(2);
    });
  });

  for (const mode of ['ROLLBACK_ON_ERROR', 'DATAPLANE_ATOMIC'] as Atomicity[]) {
    describe(mode, () => {
      it('all succeed: applied, generation +1', async () => {
        const d = await newDevice();
        const res = await write(d.hal, [ins(nh('a')), ins(route('10.0.0.0/8', 'a'))], mode);
        expect(res.generation).to.equal(1);
        expect(await readTable(d.hal, 'route')).to.deep.equal([route('10.0.0.0/8', 'a')]);
      });

      it('first update fails: it has its own status, all others ABORTED/BATCH_ROLLED_BACK, nothing changes', async () => {
        const d = await newDevice();
        await write(d.hal, [ins(neigh('10.0.0.1'))]);
        const before = await snapshot(d.hal);
        const { err, statuses } = await writeFailure(write(d.hal, [ins(neigh('10.0.0.1')), ins(neigh('10.0.0.2')), ins(neigh('10.0.0.3'))], mode), 3);
        expect(statuses.map(shape)).to.deep.equal([{ code: 'ALREADY_EXISTS', reason: 'ENTRY_EXISTS', fieldPath: 'updates[0].entry.neighbor' }, ABORTED, ABORTED]);
        expect(err.generation).to.equal(before.state.generation);
        expect(err.digest).to.equal(before.state.digest);
        await expectUnchanged(d.hal, before);
      });

      it('a failure after inserts, modifies and deletes restores exactly the prior state', async () => {
        const d = await newDevice();
        await write(d.hal, [ins(nh('a')), ins(nh('b')), ins(route('10.1.0.0/16', 'a')), ins(route('10.2.0.0/16', 'b')), ins(neigh('10.0.0.1'))]);
        const before = await snapshot(d.hal);
        const updates: Update[] = [
          ins(nh('c')),
          ins(route('10.3.0.0/16', 'c')), // refers to an object inserted in this batch
          mod(route('10.1.0.0/16', 'b')), // moves a reference a → b
          del(route('10.2.0.0/16', 'b')),
          mod(neigh('10.0.0.1', '02:bb:00:00:00:02')),
          del(neigh('10.0.0.1')),
          ins(neigh('10.0.0.1', '02:bb:00:00:00:03')),
          ins(route('10.4.0.0/16', 'missing')),
          ins(neigh('10.0.0.9')),
        ];
        const { statuses } = await writeFailure(write(d.hal, updates, mode), updates.length);
        expect(statuses.map(shape)).to.deep.equal([
          ABORTED, ABORTED, ABORTED, ABORTED, ABORTED, ABORTED, ABORTED,
          { code: 'NOT_FOUND', reason: 'REFERENCE_MISSING', fieldPath: 'updates[7].entry.route.nexthopId' },
          ABORTED,
        ]);
        await expectUnchanged(d.hal, before);
        // Reference counts were restored too: a is still used by 10.1/16, b by 10.2/16, c is gone.
        await expectUpdateError(d.hal, del(nh('a')), { code: 'FAILED_PRECONDITION', reason: 'OBJECT_IN_USE', fieldPath: 'updates[0].entry.nexthop' });
        await expectUpdateError(d.hal, del(nh('b')), { code: 'FAILED_PRECONDITION', reason: 'OBJECT_IN_USE', fieldPath: 'updates[0].entry.nexthop' });
        await expectUpdateError(d.hal, del(nh('c')), { code: 'NOT_FOUND', reason: 'ENTRY_NOT_FOUND', fieldPath: 'updates[0].entry.nexthop' });
        // And once the referrers go, the objects can go.
        await write(d.hal, [del(route('10.1.0.0/16', 'a')), del(route('10.2.0.0/16', 'b')), del(nh('a')), del(nh('b'))]);
      });

      it('after a rolled-back batch that deleted the only referencing route, deleting the next hop still fails OBJECT_IN_USE', async () => {
        const d = await newDevice();
        await write(d.hal, [ins(nh('a')), ins(route('10.1.0.0/16', 'a'))]);
        const before = await snapshot(d.hal);
        // Deleting route then next hop would succeed; the third update fails.
        const { statuses } = await writeFailure(write(d.hal, [del(route('10.1.0.0/16', 'a')), del(nh('a')), del(neigh('10.0.0.77'))], mode), 3);
        expect(statuses.map(shape)).to.deep.equal([ABORTED, ABORTED, { code: 'NOT_FOUND', reason: 'ENTRY_NOT_FOUND', fieldPath: 'updates[2].entry.neighbor' }]);
        await expectUnchanged(d.hal, before);
        await expectUpdateError(d.hal, del(nh('a')), { code: 'FAILED_PRECONDITION', reason: 'OBJECT_IN_USE', fieldPath: 'updates[0].entry.nexthop' });
      });

      it('after a rolled-back batch that modified a route away from a next hop, the next hop is still in use', async () => {
        const d = await newDevice();
        await write(d.hal, [ins(nh('a')), ins(nh('b')), ins(route('10.1.0.0/16', 'a'))]);
        const before = await snapshot(d.hal);
        await writeFailure(write(d.hal, [mod(route('10.1.0.0/16', 'b')), ins(nh('a'))], mode), 2);
        await expectUnchanged(d.hal, before);
        await expectUpdateError(d.hal, del(nh('a')), { code: 'FAILED_PRECONDITION', reason: 'OBJECT_IN_USE', fieldPath: 'updates[0].entry.nexthop' });
        // b was referenced only inside the rolled-back batch: free.
        await write(d.hal, [del(nh('b'))]);
      });

      it('a validation failure in the middle rolls back the valid updates before it', async () => {
        const d = await newDevice();
        const before = await snapshot(d.hal);
        const { statuses } = await writeFailure(write(d.hal, [ins(neigh('10.0.0.1')), ins({ neighbor: { ip: '10.0.0.2', mac: 'zz' } }), ins(neigh('10.0.0.3'))], mode), 3);
        expect(statuses.map(shape)).to.deep.equal([ABORTED, { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: 'updates[1].entry.neighbor.mac' }, ABORTED]);
        await expectUnchanged(d.hal, before);
      });

      it('a batch may insert an object then an entry referencing it, and delete them in reverse order', async () => {
        const d = await newDevice();
        const empty = await d.hal.getState();
        await write(d.hal, [ins(nh('a')), ins({ ecmpGroup: { id: 'g', members: [{ nexthopId: 'a' }] } }), ins({ route: { prefix: '10.0.0.0/8', ecmpGroupId: 'g' } })], mode);
        const res = await write(d.hal, [del({ route: { prefix: '10.0.0.0/8' } }), del({ ecmpGroup: { id: 'g' } }), del(nh('a'))], mode);
        expect(res.digest).to.equal(empty.digest);
      });

      it('deleting an object before its referrer in one batch fails OBJECT_IN_USE and rolls back', async () => {
        const d = await newDevice();
        await write(d.hal, [ins(nh('a')), ins(route('10.1.0.0/16', 'a'))]);
        const before = await snapshot(d.hal);
        const { statuses } = await writeFailure(write(d.hal, [del(nh('a')), del(route('10.1.0.0/16', 'a'))], mode), 2);
        expect(statuses.map(shape)).to.deep.equal([{ code: 'FAILED_PRECONDITION', reason: 'OBJECT_IN_USE', fieldPath: 'updates[0].entry.nexthop' }, ABORTED]);
        await expectUnchanged(d.hal, before);
      });

      it('a failing table-full insert rolls back earlier inserts of the same table', async () => {
        const d = await newDevice({ tableSizes: { neighbor: 2 } });
        const before = await snapshot(d.hal);
        const { statuses } = await writeFailure(write(d.hal, [ins(neigh('10.0.0.1')), ins(neigh('10.0.0.2')), ins(neigh('10.0.0.3'))], mode), 3);
        expect(statuses.map(shape)).to.deep.equal([ABORTED, ABORTED, { code: 'RESOURCE_EXHAUSTED', reason: 'TABLE_FULL', fieldPath: 'updates[2].entry.neighbor' }]);
        await expectUnchanged(d.hal, before);
        await write(d.hal, [ins(neigh('10.0.0.1')), ins(neigh('10.0.0.2'))], mode);
      });
    });
  }

  describe('request-level errors apply nothing', () => {
    it('an empty batch is INVALID_ARGUMENT/EMPTY_BATCH at updates', async () => {
      const d = await newDevice();
      const before = await snapshot(d.hal);
      for (const req of [{ updates: [] }, {}]) {
        const err = await rejection(d.hal.write(req));
        expect([err.code, err.reason, err.fieldPath, err.updates]).to.deep.equal(['INVALID_ARGUMENT', 'EMPTY_BATCH', 'updates', undefined]);
      }
      await expectUnchanged(d.hal, before);
    });

    it('expectedGeneration mismatch is FAILED_PRECONDITION/GENERATION_MISMATCH; a match applies', async () => {
      const d = await newDevice();
      await write(d.hal, [ins(neigh('10.0.0.1'))]);
      await write(d.hal, [ins(neigh('10.0.0.2'))]);
      const before = await snapshot(d.hal);
      expect(before.state.generation).to.equal(2);
      for (const atomicity of ['CONTINUE_ON_ERROR', 'ROLLBACK_ON_ERROR', 'DATAPLANE_ATOMIC'] as Atomicity[]) {
        const err = await rejection(d.hal.write({ atomicity, expectedGeneration: 1, updates: [ins(neigh('10.0.0.3'))] }));
        expect([err.code, err.reason, err.fieldPath, err.updates]).to.deep.equal(['FAILED_PRECONDITION', 'GENERATION_MISMATCH', 'expectedGeneration', undefined]);
      }
      await expectUnchanged(d.hal, before);
      const res = await d.hal.write({ expectedGeneration: 2, updates: [ins(neigh('10.0.0.3'))] });
      expect(res.generation).to.equal(3);
    });

    it('an unknown atomicity mode is refused before anything applies', async () => {
      const d = await newDevice();
      const before = await snapshot(d.hal);
      const err = await rejection(d.hal.write({ atomicity: 'BEST_EFFORT' as Atomicity, updates: [ins(neigh('10.0.0.1'))] }));
      expect([err.code, err.reason, err.fieldPath]).to.deep.equal(['INVALID_ARGUMENT', 'FIELD_INVALID', 'atomicity']);
      await expectUnchanged(d.hal, before);
    });

    it('check order: EMPTY_BATCH comes before GENERATION_MISMATCH; MESSAGE_TOO_LARGE above maxBatchSize', async () => {
      const d = await newDevice();
      const before = await snapshot(d.hal);
      const e1 = await rejection(d.hal.write({ expectedGeneration: 9, updates: [] }));
      expect([e1.code, e1.reason]).to.deep.equal(['INVALID_ARGUMENT', 'EMPTY_BATCH']);
      const max = (await d.hal.describe()).capabilities!.maxBatchSize!;
      const big = Array.from({ length: max + 1 }, () => ins(neigh('10.0.0.1')));
      const e2 = await rejection(d.hal.write({ expectedGeneration: 9, updates: big }));
      expect([e2.code, e2.reason, e2.fieldPath]).to.deep.equal(['RESOURCE_EXHAUSTED', 'MESSAGE_TOO_LARGE', 'updates']);
      await expectUnchanged(d.hal, before);
    });

    it('a cancelled call applies nothing', async () => {
      const d = await newDevice();
      const before = await snapshot(d.hal);
      const ac = new AbortController();
      ac.abort();
      const err = await rejection(d.hal.write({ updates: [ins(neigh('10.0.0.1'))] }, { signal: ac.signal }));
      expect([err.code, err.reason]).to.deep.equal(['CANCELLED', 'CALL_CANCELLED']);
      await expectUnchanged(d.hal, before);
    });
  });
});
