// INSERT / MODIFY / DELETE semantics for every logical table, read-back symmetry,
// write-only key material, device-owned rows.
import { expect } from 'chai';
import { isDeepStrictEqual } from 'node:util';
import { tableCatalog } from '../../../src/hal/schema.js';
import {
  OK,
  SAMPLES,
  SA_KEY,
  TLS_RX_KEY,
  TLS_TX_IV,
  TLS_TX_KEY,
  del,
  expectUnchanged,
  expectUpdateError,
  ins,
  installPrereqs,
  mod,
  newDevice,
  readTable,
  rejection,
  shape,
  snapshot,
  write,
  writeFailure,
  type Sample,
  type Entry,
} from './fixtures.js';

async function deviceWith(s: Sample) {
  const d = await newDevice();
  await installPrereqs(d.hal, s.needs);
  return d;
}

/** Byte runs of key material, as JSON.stringify would print a Uint8Array's values. */
function leaks(text: string): string[] {
  const found: string[] = [];
  for (const [name, b] of Object.entries({ SA_KEY, TLS_TX_KEY, TLS_TX_IV, TLS_RX_KEY })) {
    if (text.includes(`"0":${b[0]},"1":${b[1]},"2":${b[2]}`) || text.includes(`${b[0]},${b[0]},${b[0]},${b[0]}`)) found.push(name);
    if (text.includes(Buffer.from(b).toString('hex')) || text.includes(Buffer.from(b).toString('base64'))) found.push(name);
  }
  if (/"(key|salt|iv)"/.test(text)) found.push('field name');
  return found;
}

describe('reference driver: writes', () => {
  it('the samples cover all 21 tables (port is tested as device-owned)', () => {
    const tables = [...tableCatalog().values()].map((t) => t.name).sort();
    expect(tables).to.have.length(21);
    expect([...SAMPLES.map((s) => s.table), 'port'].sort()).to.deep.equal(tables);
  });

  for (const s of SAMPLES) {
    describe(`table ${s.table}`, () => {
      it('INSERT then read returns exactly the canonical entry (write-only fields removed)', async () => {
        const d = await deviceWith(s);
        const before = await d.hal.getState();
        const res = await write(d.hal, [ins(s.entry)]);
        expect(res.generation).to.equal(before.generation! + 1);
        expect(res.digest).to.not.equal(before.digest);
        const rows = (await readTable(d.hal, s.table)).filter((e) => isDeepStrictEqual(e, s.read));
        expect(rows).to.deep.equal([s.read]);
        expect((await d.hal.getState()).usage![s.table]).to.equal(before.usage![s.table] + 1);
      });

      it('INSERT of an existing key fails ALREADY_EXISTS/ENTRY_EXISTS and changes nothing', async () => {
        const d = await deviceWith(s);
        await write(d.hal, [ins(s.entry)]);
        const before = await snapshot(d.hal);
        // Same key, even with different content, is the same entry.
        await expectUpdateError(d.hal, ins(s.modified), { code: 'ALREADY_EXISTS', reason: 'ENTRY_EXISTS', fieldPath: `updates[0].entry.${s.member}` });
        await expectUpdateError(d.hal, ins(s.entry), { code: 'ALREADY_EXISTS', reason: 'ENTRY_EXISTS', fieldPath: `updates[0].entry.${s.member}` });
        await expectUnchanged(d.hal, before);
      });

      it('MODIFY replaces the entry and reads back the new content', async () => {
        const d = await deviceWith(s);
        await write(d.hal, [ins(s.entry)]);
        const g = (await d.hal.getState()).generation!;
        const res = await write(d.hal, [mod(s.modified)]);
        expect(res.generation).to.equal(g + 1);
        const mine = (await readTable(d.hal, s.table)).filter((e) => isDeepStrictEqual(e, s.modifiedRead));
        expect(mine).to.deep.equal([s.modifiedRead]);
        expect((await readTable(d.hal, s.table)).some((e) => isDeepStrictEqual(e, s.read))).to.equal(false);
      });

      it('MODIFY of a missing key fails NOT_FOUND/ENTRY_NOT_FOUND and changes nothing', async () => {
        const d = await deviceWith(s);
        const before = await snapshot(d.hal);
        await expectUpdateError(d.hal, mod(s.entry), { code: 'NOT_FOUND', reason: 'ENTRY_NOT_FOUND', fieldPath: `updates[0].entry.${s.member}` });
        await expectUnchanged(d.hal, before);
      });

      it('DELETE by key removes the entry and restores the previous digest', async () => {
        const d = await deviceWith(s);
        const empty = await snapshot(d.hal);
        await write(d.hal, [ins(s.entry)]);
        const res = await write(d.hal, [del(s.key)]);
        expect(res.generation).to.equal(empty.state.generation! + 2);
        expect(res.digest).to.equal(empty.state.digest);
        expect(await d.hal.read({ includeCounters: true })).to.deep.equal(empty.records);
      });

      it('DELETE of a missing key fails NOT_FOUND/ENTRY_NOT_FOUND and changes nothing', async () => {
        const d = await deviceWith(s);
        const before = await snapshot(d.hal);
        await expectUpdateError(d.hal, del(s.key), { code: 'NOT_FOUND', reason: 'ENTRY_NOT_FOUND', fieldPath: `updates[0].entry.${s.member}` });
        await expectUnchanged(d.hal, before);
        await write(d.hal, [ins(s.entry), del(s.key)]);
        await expectUpdateError(d.hal, del(s.key), { code: 'NOT_FOUND', reason: 'ENTRY_NOT_FOUND', fieldPath: `updates[0].entry.${s.member}` });
      });

      it('DELETE accepts the full entry as well as the bare key', async () => {
        const d = await deviceWith(s);
        const empty = await d.hal.getState();
        await write(d.hal, [ins(s.entry)]);
        const res = await write(d.hal, [del(s.entry)]);
        expect(res.digest).to.equal(empty.digest);
      });
    });
  }

  describe('write-only key material', () => {
    const keyed = SAMPLES.filter((s) => s.table === 'ipsec_sa' || s.table === 'tls_session');

    for (const s of keyed) {
      it(`${s.table}: key material is absent from reads (with and without counters), filters and errors`, async () => {
        const d = await newDevice();
        await write(d.hal, [ins(s.entry)]);
        const all = JSON.stringify(await d.hal.read({}));
        const one = JSON.stringify(await d.hal.read({ tables: [s.table], includeCounters: true }));
        expect(leaks(all)).to.deep.equal([]);
        expect(leaks(one)).to.deep.equal([]);
        expect(one).to.include(s.table === 'ipsec_sa' ? '"spi":4097' : '"recordSeq":5');
        // A duplicate insert carrying the key: the error tells nothing of it.
        const err = await rejection(write(d.hal, [ins(s.entry)]));
        expect(leaks(JSON.stringify(err) + err.message + String(err) + JSON.stringify(err.updates))).to.deep.equal([]);
        // MODIFY keeps the new key write-only too.
        await write(d.hal, [mod(s.modified)]);
        expect(leaks(JSON.stringify(await d.hal.read({})))).to.deep.equal([]);
      });
    }

    it('an invalid key length is reported by path without echoing the bytes', async () => {
      const d = await newDevice();
      const bad = { ipsecSa: { id: 'sa-x', spi: 0x2000, direction: 'INBOUND', mode: 'TRANSPORT', algorithm: 'AES_GCM_256', key: SA_KEY, salt: new Uint8Array(4).fill(0x5a) } } as Entry;
      const st = await expectUpdateError(d.hal, ins(bad), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: 'updates[0].entry.ipsecSa.key' });
      expect(leaks(JSON.stringify(st) + st.message)).to.deep.equal([]);
    });

    it('two SAs differing only in key material have the same digest (write-only fields are not digested)', async () => {
      const a = await newDevice();
      const b = await newDevice();
      const sa = SAMPLES.find((s) => s.table === 'ipsec_sa')!;
      await write(a.hal, [ins(sa.entry)]);
      const body = { ...(sa.entry.ipsecSa as object), key: new Uint8Array(16).fill(1) };
      await write(b.hal, [ins({ ipsecSa: body } as Entry)]);
      expect((await a.hal.getState()).digest).to.equal((await b.hal.getState()).digest);
    });
  });

  describe('canonical form', () => {
    it('a non-canonical IPv6 address is refused NOT_CANONICAL at its path', async () => {
      const d = await newDevice();
      const before = await snapshot(d.hal);
      await expectUpdateError(d.hal, ins({ neighbor: { ip: '2001:DB8:0:0::1', mac: '02:bb:00:00:00:01' } }), {
        code: 'INVALID_ARGUMENT', reason: 'NOT_CANONICAL', fieldPath: 'updates[0].entry.neighbor.ip',
      });
      await expectUpdateError(d.hal, ins({ route: { prefix: '10.1.2.0/16', drop: {} } }), {
        code: 'INVALID_ARGUMENT', reason: 'NOT_CANONICAL', fieldPath: 'updates[0].entry.route.prefix',
      });
      await expectUnchanged(d.hal, before);
    });

    it('default values are omitted on read (vrf 0, false flags, enum zero)', async () => {
      const d = await newDevice();
      await write(d.hal, [ins({ endpoint: { vrf: 0, ip: '10.0.0.5', portId: 'host0', mac: '02:aa:00:00:00:05', endpointId: 'e5', isolatedIngress: false } })]);
      expect(await readTable(d.hal, 'endpoint')).to.deep.equal([{ endpoint: { ip: '10.0.0.5', portId: 'host0', mac: '02:aa:00:00:00:05', endpointId: 'e5' } }]);
    });

    it('the same entry written with and without defaults has the same key (second insert is ENTRY_EXISTS)', async () => {
      const d = await newDevice();
      await write(d.hal, [ins({ neighbor: { ip: '10.0.0.1', mac: '02:bb:00:00:00:01' } })]);
      await expectUpdateError(d.hal, ins({ neighbor: { vrf: 0, ip: '10.0.0.1', mac: '02:bb:00:00:00:02' } }), {
        code: 'ALREADY_EXISTS', reason: 'ENTRY_EXISTS', fieldPath: 'updates[0].entry.neighbor',
      });
    });

    it('ACL priority is part of the key: same match, different priority is another entry', async () => {
      const d = await newDevice();
      const a = { stage: 'ACL_INGRESS', protocol: 17, priority: 10 } as const;
      await write(d.hal, [ins({ acl: a }), ins({ acl: { ...a, priority: 20, action: 'ACL_DENY' } })]);
      expect(await readTable(d.hal, 'acl')).to.have.length(2);
      await write(d.hal, [del({ acl: a })]);
      expect(await readTable(d.hal, 'acl')).to.deep.equal([{ acl: { stage: 'ACL_INGRESS', protocol: 17, priority: 20, action: 'ACL_DENY' } }]);
    });

    it('read filters select by key field text and refuse non-key fields', async () => {
      const d = await newDevice();
      await write(d.hal, [ins({ route: { prefix: '10.0.0.0/8', drop: {} } }), ins({ route: { prefix: '10.1.0.0/16', reject: {} } })]);
      const r = await d.hal.read({ tables: ['route'], filters: [{ field: 'prefix', equals: '10.1.0.0/16' }] });
      expect(r).to.deep.equal([{ entry: { route: { prefix: '10.1.0.0/16', reject: {} } } }]);
      const err = await rejection(d.hal.read({ tables: ['route'], filters: [{ field: 'drop', equals: '' }] }));
      expect([err.code, err.reason, err.fieldPath]).to.deep.equal(['INVALID_ARGUMENT', 'KEY_MISMATCH', 'filters[0].field']);
      const err2 = await rejection(d.hal.read({ tables: ['no_such_table'] }));
      expect([err2.code, err2.reason, err2.fieldPath]).to.deep.equal(['INVALID_ARGUMENT', 'FIELD_INVALID', 'tables[0]']);
    });
  });

  describe('device-owned rows', () => {
    it('a fresh device has every port and ct_zone 0 as device-owned rows', async () => {
      const d = await newDevice({ hostPorts: 2 });
      const recs = await d.hal.read({});
      expect(recs).to.deep.equal([
        { entry: { port: { id: 'host0', adminUp: true } }, deviceOwned: true },
        { entry: { port: { id: 'host1', adminUp: true } }, deviceOwned: true },
        { entry: { port: { id: 'uplink0', adminUp: true } }, deviceOwned: true },
        { entry: { port: { id: 'uplink1', adminUp: true } }, deviceOwned: true },
        { entry: { ctZone: {} }, deviceOwned: true },
      ]);
    });

    it('inserting a port that does not exist fails FAILED_PRECONDITION/DEVICE_OWNED', async () => {
      const d = await newDevice();
      const before = await snapshot(d.hal);
      await expectUpdateError(d.hal, ins({ port: { id: 'host99', adminUp: true } }), { code: 'FAILED_PRECONDITION', reason: 'DEVICE_OWNED', fieldPath: 'updates[0].entry.port' });
      await expectUnchanged(d.hal, before);
    });

    it('inserting an existing port fails ENTRY_EXISTS (hal-spec §5.4: existence is checked before device-owned rows)', async () => {
      const d = await newDevice();
      const before = await snapshot(d.hal);
      await expectUpdateError(d.hal, ins({ port: { id: 'host0', adminUp: true } }), { code: 'ALREADY_EXISTS', reason: 'ENTRY_EXISTS', fieldPath: 'updates[0].entry.port' });
      await expectUpdateError(d.hal, ins({ ctZone: {} }), { code: 'ALREADY_EXISTS', reason: 'ENTRY_EXISTS', fieldPath: 'updates[0].entry.ctZone' });
      await expectUnchanged(d.hal, before);
    });

    it('deleting a port fails DEVICE_OWNED; the port stays', async () => {
      const d = await newDevice();
      const before = await snapshot(d.hal);
      await expectUpdateError(d.hal, del({ port: { id: 'uplink1' } }), { code: 'FAILED_PRECONDITION', reason: 'DEVICE_OWNED', fieldPath: 'updates[0].entry.port' });
      await expectUnchanged(d.hal, before);
      expect((await d.hal.listPorts()).ports!.map((p) => p.id)).to.include('uplink1');
    });

    it('deleting ct_zone 0 fails DEVICE_OWNED (written as {} or {zone: 0})', async () => {
      const d = await newDevice();
      const before = await snapshot(d.hal);
      await expectUpdateError(d.hal, del({ ctZone: {} }), { code: 'FAILED_PRECONDITION', reason: 'DEVICE_OWNED', fieldPath: 'updates[0].entry.ctZone' });
      await expectUpdateError(d.hal, del({ ctZone: { zone: 0 } }), { code: 'FAILED_PRECONDITION', reason: 'DEVICE_OWNED', fieldPath: 'updates[0].entry.ctZone' });
      await expectUnchanged(d.hal, before);
    });

    it('ct_zone 0 can be modified (timeouts) and stays device-owned', async () => {
      const d = await newDevice({ hostPorts: 0 });
      await write(d.hal, [mod({ ctZone: { timeouts: { icmp: 5 } } })]);
      expect(await d.hal.read({ tables: ['ct_zone'] })).to.deep.equal([{ entry: { ctZone: { timeouts: { icmp: 5 } } }, deviceOwned: true }]);
    });

    it('a port can be modified: adminUp false, vrf, mtu; it reads back so and stays device-owned', async () => {
      const d = await newDevice();
      const g = (await d.hal.getState()).generation!;
      const res = await write(d.hal, [mod({ port: { id: 'host2', adminUp: false, vrf: 5, mtu: 9000 } })]);
      expect(res.generation).to.equal(g + 1);
      const recs = await d.hal.read({ tables: ['port'], filters: [{ field: 'id', equals: 'host2' }] });
      expect(recs).to.deep.equal([{ entry: { port: { id: 'host2', vrf: 5, mtu: 9000 } }, deviceOwned: true }]);
      expect((await d.hal.listPorts()).ports!.find((p) => p.id === 'host2')!.operUp).to.equal(false);
      await write(d.hal, [mod({ port: { id: 'host2', adminUp: true } })]);
      expect((await d.hal.listPorts()).ports!.find((p) => p.id === 'host2')!.operUp).to.equal(true);
    });

    it('a port modify referencing a missing ct_zone fails REFERENCE_MISSING at ctZone', async () => {
      const d = await newDevice();
      await expectUpdateError(d.hal, mod({ port: { id: 'host0', adminUp: true, ctZone: 9 } }), {
        code: 'NOT_FOUND', reason: 'REFERENCE_MISSING', fieldPath: 'updates[0].entry.port.ctZone',
      });
    });

    it('modifying a port that does not exist fails ENTRY_NOT_FOUND', async () => {
      const d = await newDevice();
      await expectUpdateError(d.hal, mod({ port: { id: 'host99', adminUp: true } }), { code: 'NOT_FOUND', reason: 'ENTRY_NOT_FOUND', fieldPath: 'updates[0].entry.port' });
    });
  });

  describe('validation', () => {
    it('an update with no table fails ONEOF_UNSET; unknown member FIELD_INVALID; missing required FIELD_MISSING', async () => {
      const d = await newDevice();
      const before = await snapshot(d.hal);
      const { statuses } = await writeFailure(
        d.hal.write({
          updates: [
            ins({}),
            ins({ bogus: {} } as unknown as Entry),
            ins({ neighbor: { mac: '02:bb:00:00:00:01' } }),
            ins({ route: { prefix: '10.0.0.0/8' } }),
            { ...ins({ route: { prefix: '10.0.0.0/8', drop: {} } }), type: undefined },
          ],
        }),
        5,
      );
      expect(statuses.map(shape)).to.deep.equal([
        { code: 'INVALID_ARGUMENT', reason: 'ONEOF_UNSET', fieldPath: 'updates[0].entry' },
        { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: 'updates[1].entry.bogus' },
        { code: 'INVALID_ARGUMENT', reason: 'FIELD_MISSING', fieldPath: 'updates[2].entry.neighbor.ip' },
        { code: 'INVALID_ARGUMENT', reason: 'ONEOF_UNSET', fieldPath: 'updates[3].entry.route.action' },
        { code: 'INVALID_ARGUMENT', reason: 'FIELD_MISSING', fieldPath: 'updates[4].type' },
      ]);
      await expectUnchanged(d.hal, before);
    });

    it('a successful single write returns OK-only and no statuses are needed', async () => {
      const d = await newDevice();
      const res = await write(d.hal, [ins({ neighbor: { ip: '10.0.0.1', mac: '02:bb:00:00:00:01' } })]);
      expect(res).to.have.keys(['generation', 'digest']);
      expect(res.digest).to.match(/^sha256:[0-9a-f]{64}$/);
      void OK;
    });
  });
});
