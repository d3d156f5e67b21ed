// Reads (hal-spec §8): table selection, key filters with canonical text and
// defaults, counters only for tables that declare per-entry counters.
import { expect } from 'chai';
import { ins, newDevice, rejection, write } from './fixtures.js';

describe('reference driver: reads', () => {
  async function device() {
    const d = await newDevice({ hostPorts: 2 });
    await write(d.hal, [
      ins({ route: { prefix: '10.0.0.0/8', drop: {} } }),
      ins({ route: { vrf: 2, prefix: '10.0.0.0/8', drop: {} } }),
      ins({ acl: { stage: 'ACL_INGRESS', priority: 5, protocol: 0 } }),
      ins({ acl: { stage: 'ACL_EGRESS', endpointId: 'ep-a', priority: 6, protocol: 6, dstPorts: { lo: 1, hi: 2 } } }),
      ins({ ctZone: { zone: 3 } }),
    ]);
    return d;
  }
  const count = async (d: Awaited<ReturnType<typeof device>>, table: string, field: string, equals: string) =>
    (await d.hal.read({ tables: [table], filters: [{ field, equals }] })).length;

  it('an absent implicit-presence number compares as "0" (vrf 0, zone 0)', async () => {
    const d = await device();
    expect(await count(d, 'route', 'vrf', '0')).to.equal(1);
    expect(await count(d, 'route', 'vrf', '2')).to.equal(1);
    expect(await count(d, 'ct_zone', 'zone', '0')).to.equal(1);
    expect(await count(d, 'ct_zone', 'zone', '3')).to.equal(1);
  });

  it('an absent OPTIONAL field compares as "", a present one by its text (protocol 0 is present)', async () => {
    const d = await device();
    expect(await count(d, 'acl', 'endpointId', '')).to.equal(1);
    expect(await count(d, 'acl', 'endpointId', 'ep-a')).to.equal(1);
    expect(await count(d, 'acl', 'protocol', '0')).to.equal(1);
    expect(await count(d, 'acl', 'protocol', '')).to.equal(0);
    expect(await count(d, 'acl', 'stage', 'ACL_EGRESS')).to.equal(1);
    expect(await count(d, 'acl', 'priority', '5')).to.equal(1);
  });

  it('several filters must all hold', async () => {
    const d = await device();
    const r = await d.hal.read({ tables: ['route'], filters: [{ field: 'vrf', equals: '2' }, { field: 'prefix', equals: '10.0.0.0/8' }] });
    expect(r).to.deep.equal([{ entry: { route: { vrf: 2, prefix: '10.0.0.0/8', drop: {} } } }]);
  });

  it('a RANGE key field or a non-key field is KEY_MISMATCH at filters[i].field', async () => {
    const d = await device();
    for (const [table, field] of [['acl', 'dstPorts'], ['acl', 'action'], ['route', 'nexthopId']]) {
      const err = await rejection(d.hal.read({ tables: [table], filters: [{ field: 'priority', equals: '5' }, { field, equals: '' }].slice(table === 'acl' ? 0 : 1) }));
      expect([err.code, err.reason, err.fieldPath], field).to.deep.equal(['INVALID_ARGUMENT', 'KEY_MISMATCH', table === 'acl' ? 'filters[1].field' : 'filters[0].field']);
    }
  });

  it('equals must be valid and canonical for the field: FIELD_INVALID or NOT_CANONICAL at filters[i].equals', async () => {
    const d = await device();
    const cases: [string, string, string, string][] = [
      ['route', 'vrf', '', 'FIELD_INVALID'],
      ['route', 'vrf', '02', 'FIELD_INVALID'],
      ['route', 'prefix', '10.0.0.1/8', 'NOT_CANONICAL'],
      ['route', 'prefix', 'banana', 'FIELD_INVALID'],
      ['acl', 'stage', 'INGRESS', 'FIELD_INVALID'],
      ['neighbor', 'ip', '2001:DB8::1', 'NOT_CANONICAL'],
    ];
    for (const [table, field, equals, reason] of cases) {
      const err = await rejection(d.hal.read({ tables: [table], filters: [{ field, equals }] }));
      expect([err.code, err.reason, err.fieldPath], `${field}=${equals}`).to.deep.equal(['INVALID_ARGUMENT', reason, 'filters[0].equals']);
    }
  });

  it('filters need exactly one table: FIELD_INVALID at filters', async () => {
    const d = await device();
    for (const tables of [[], ['route', 'acl']]) {
      const err = await rejection(d.hal.read({ tables, filters: [{ field: 'vrf', equals: '0' }] }));
      expect([err.code, err.reason, err.fieldPath]).to.deep.equal(['INVALID_ARGUMENT', 'FIELD_INVALID', 'filters']);
    }
  });

  it('counters come only for tables that declare per-entry counters', async () => {
    const d = await device();
    const caps = (await d.hal.describe()).capabilities!.tables!;
    const withCounters = new Set(caps.filter((t) => t.perEntryCounters).map((t) => t.name));
    expect([...withCounters].sort()).to.deep.equal(['acl', 'backend_group', 'endpoint', 'policer', 'route', 'service', 'shaper', 'snat', 'tunnel', 'tunnel_term']);
    for (const rec of await d.hal.read({ includeCounters: true })) {
      const member = Object.keys(rec.entry!)[0];
      const table = member.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      if (withCounters.has(table)) expect(rec.counters, table).to.deep.equal({ packets: 0, bytes: 0 });
      else expect(rec, table).to.not.have.property('counters');
    }
  });

  it('usedEntries, usage and the number of records read agree for every table', async () => {
    const d = await device();
    const st = await d.hal.getState();
    for (const t of (await d.hal.describe()).capabilities!.tables!) {
      const n = (await d.hal.read({ tables: [t.name!] })).length;
      expect([t.usedEntries, st.usage![t.name!]], t.name).to.deep.equal([n, n]);
    }
  });
});
