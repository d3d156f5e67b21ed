// core: Describe, ports, writes (request checks, validation order, per-update
// statuses, atomicity), referential integrity, device-owned rows, capacity,
// reads, generation and digest, packet I/O and the clock (hal-spec §3–§10, §14).
import { stateDigest, tableByName, tableCapability, tableNames, type Update } from '../../src/hal/index.js';
import { del, ins, mod, sortRecords, type Ctx, type Entry } from '../framework/context.js';
import { profile } from '../framework/define.js';
import { OK, ROLLED_BACK, callFails, check, eq, show } from '../framework/expect.js';
import { atomicity, feature, fresh, io, lacksAtomicity, lacksTable, noVirtualTime, ports, table, virtualTime } from '../framework/needs.js';
import { hex } from '../packet/frame.js';
import { IP, TOPO, topology } from '../topology.js';
import { Unsupported } from '../framework/types.js';
import { SAMPLE_TABLES, samples, type Sample } from '../samples.js';

export const { tests, test } = profile('core');

const route = (prefix: string, extra: Record<string, unknown> = { drop: {} }, vrf?: number): Entry => ({ route: { ...(vrf && { vrf }), prefix, ...extra } });
const nexthop = (id: string, portId: string, ip = '192.168.0.1'): Entry => ({ nexthop: { id, port: { portId, ip } } });
const U = (i: number, member = 'route') => `updates[${i}].entry.${member}`;
const T_ROUTE = [table('route'), table('nexthop')];

// ------------------------------------------------------------------ describe and ports

test('describe.identity', '§10, §17: identity names the driver and halVersion "v1alpha1"', [], async (c) => {
  const id = c.env.describe.identity ?? {};
  eq(id.halVersion, 'v1alpha1', 'identity.halVersion');
  check(typeof id.driver === 'string' && id.driver.length > 0, 'identity.driver is empty');
});

test('describe.atomicity', '§5.6, §10: atomicityModes includes CONTINUE_ON_ERROR', [], async (c) => {
  check((c.caps.atomicityModes ?? []).includes('CONTINUE_ON_ERROR'), `atomicityModes ${show(c.caps.atomicityModes)} lacks CONTINUE_ON_ERROR`);
});

test('describe.max-batch', '§10: maxBatchSize is at least 1', [], async (c) => {
  check(Number(c.caps.maxBatchSize ?? 0) >= 1, `maxBatchSize ${c.caps.maxBatchSize}`);
});

test('describe.tables-match-schema', '§3.1, §10: every declared table is in the catalog with its kind; key fields and actions are the schema\'s', [], async (c) => {
  for (const t of c.caps.tables ?? []) {
    const s = tableByName(t.name!);
    check(s, `declared table ${t.name} is not in the catalog`);
    eq(t.kind, s.kind, `${t.name}.kind`);
    for (const k of t.keyFields ?? []) {
      const f: { match?: string } | undefined = s.keyFields.find((x) => x.name === k.name);
      check(f && f.match, `${t.name}: keyField ${k.name} is not a key field of the schema`);
      eq(k.match, f.match, `${t.name}.keyFields ${k.name}.match`);
    }
    for (const a of t.actions ?? []) check(s.actions.includes(a), `${t.name}: action ${a} is not a member of the schema's action oneof`);
  }
});

test('describe.table-limits', '§7: maxEntries ≥ 1; group tables declare maxGroupMembers ≥ 1, others 0', [], async (c) => {
  for (const t of c.caps.tables ?? []) {
    check(Number(t.maxEntries ?? 0) >= 1, `${t.name}.maxEntries ${t.maxEntries}`);
    const group = t.name === 'ecmp_group' || t.name === 'backend_group';
    if (group) check(Number(t.maxGroupMembers ?? 0) >= 1, `${t.name}.maxGroupMembers ${t.maxGroupMembers}`);
    else eq(Number(t.maxGroupMembers ?? 0), 0, `${t.name}.maxGroupMembers`);
  }
});

test('describe.constant', '§10: capabilities are constant except usedEntries', [...T_ROUTE], async (c) => {
  const strip = (d: Awaited<ReturnType<typeof c.hal.describe>>) => ({ ...d, capabilities: { ...d.capabilities, tables: (d.capabilities?.tables ?? []).map((t) => ({ ...t, usedEntries: 0 })) } });
  const a = await c.hal.describe();
  await c.insert(route('10.9.0.0/16'));
  const b = await c.hal.describe();
  eq(strip(b), strip(a), 'Describe after a write (usedEntries aside)');
  eq(Number(tableCapability(b.capabilities!, 'route')!.usedEntries ?? 0), Number(tableCapability(a.capabilities!, 'route')!.usedEntries ?? 0) + 1, 'route.usedEntries');
});

test('ports.rows', '§6.3: one device-owned port row per ListPorts port, fresh rows are {id, adminUp: true}', [table('port'), fresh], async (c) => {
  const rows = (await c.hal.read({ tables: ['port'] }));
  eq(sortRecords(rows), sortRecords(c.ports.map((p) => ({ entry: { port: { id: p.id!, adminUp: true } }, deviceOwned: true }))), 'Read(port)');
});

test('ports.macs', '§10: ListPorts gives every port a role and a unique canonical MAC', [], async (c) => {
  const macs = c.ports.map((p) => p.mac ?? '');
  for (const p of c.ports) {
    check(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(p.mac ?? ''), `port ${p.id} MAC "${p.mac}" is not canonical`);
    check(p.role && p.role !== 'PORT_ROLE_UNSPECIFIED', `port ${p.id} has no role`);
  }
  eq(new Set(macs).size, macs.length, 'distinct port MACs');
});

test('ports.zone0', '§6.3: ct_zone zone 0 is a device-owned row, fresh value {}', [table('ct_zone'), fresh], async (c) => {
  eq(await c.hal.read({ tables: ['ct_zone'] }), [{ entry: { ctZone: {} }, deviceOwned: true }], 'Read(ct_zone)');
});

// ------------------------------------------------------------------ generation and digest

test('state.fresh', '§9.1: a fresh device has generation 0', [fresh], async (c) => {
  eq(Number((await c.hal.getState()).generation ?? 0), 0, 'generation');
});

test('state.digest-format', '§9.2: the digest is "sha256:" and 64 lowercase hex digits', [], async (c) => {
  const d = (await c.hal.getState()).digest ?? '';
  check(/^sha256:[0-9a-f]{64}$/.test(d), `digest "${d}"`);
});

/** The digest a device must report for what it returns from Read (§9.2). */
async function expectedDigest(c: Ctx): Promise<string> {
  const records = await c.hal.read({});
  return stateDigest(
    records.map((r) => {
      const [member, body] = Object.entries(r.entry!)[0];
      const t = [...tableNames()].map((n) => tableByName(n)!).find((x) => x.name === member.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`))!;
      return { table: t, body: body as Record<string, unknown> };
    }),
  );
}

test('state.digest-recomputed', '§9.2: the digest equals the multiset hash of every readable entry, after writes to several tables', [...T_ROUTE, table('neighbor')], async (c) => {
  eq((await c.hal.getState()).digest, await expectedDigest(c), 'digest of the start-up state');
  await c.insert(nexthop('nh1', c.ports[0].id!), route('10.1.0.0/16', { nexthopId: 'nh1' }), { neighbor: { ip: '192.168.0.1', mac: '02:bb:00:00:00:01' } });
  const w = await c.write([mod(route('10.1.0.0/16')), del({ neighbor: { ip: '192.168.0.1' } }), ins({ neighbor: { vrf: 3, ip: '192.0.2.5', mac: '02:bb:00:00:00:05' } })]);
  eq(w.digest, await expectedDigest(c), 'digest after inserts, a modify and a delete');
  eq((await c.hal.getState()).digest, w.digest, 'GetState digest equals Write digest');
});

test('state.digest-order-independent', '§9.2: equal state gives an equal digest whatever the order of writes', [table('neighbor')], async (c) => {
  const a = { neighbor: { ip: '192.168.0.1', mac: '02:bb:00:00:00:01' } };
  const b = { neighbor: { ip: '192.168.0.2', mac: '02:bb:00:00:00:02' } };
  const start = (await c.hal.getState()).digest;
  await c.insert(a);
  const d1 = (await c.insert(b)).digest;
  await c.write([del(a), del(b)]);
  eq((await c.hal.getState()).digest, start, 'digest back at the start after deleting both');
  await c.insert(b);
  eq((await c.insert(a)).digest, d1, 'digest after inserting in the other order');
});

test('state.generation-per-write', '§9.1: each Write that applied updates moves the generation by exactly one', [table('neighbor')], async (c) => {
  const g0 = Number((await c.hal.getState()).generation ?? 0);
  const w1 = await c.insert({ neighbor: { ip: '192.168.0.1', mac: '02:bb:00:00:00:01' } }, { neighbor: { ip: '192.168.0.2', mac: '02:bb:00:00:00:02' } }, { neighbor: { ip: '192.168.0.3', mac: '02:bb:00:00:00:03' } });
  eq(Number(w1.generation), g0 + 1, 'generation after a 3-update write');
  const w2 = await c.write([del({ neighbor: { ip: '192.168.0.1' } })]);
  eq(Number(w2.generation), g0 + 2, 'generation after a delete');
  eq(Number((await c.hal.getState()).generation), g0 + 2, 'GetState generation');
});

test('state.generation-same-values', '§9.1: a MODIFY writing the values already there still moves the generation; the digest does not move', [table('neighbor')], async (c) => {
  const n = { neighbor: { ip: '192.168.0.1', mac: '02:bb:00:00:00:01' } };
  const w1 = await c.insert(n);
  const w2 = await c.write([mod(n)]);
  eq(Number(w2.generation), Number(w1.generation) + 1, 'generation');
  eq(w2.digest, w1.digest, 'digest');
});

test('state.non-writes', '§9.1: reads, packets, counters and the clock leave the generation and digest alone', [table('neighbor'), io], async (c) => {
  await c.insert({ neighbor: { ip: '192.168.0.1', mac: '02:bb:00:00:00:01' } });
  const before = await c.snapshot();
  await c.hal.read({ includeCounters: true });
  await c.hal.getCounters();
  await c.hal.listPorts();
  await c.inject(c.ports[0].id!, new Uint8Array(20));
  await c.hal.capture({});
  if (c.caps.packetIo?.virtualTime) await c.hal.advance(1_000_000_000);
  await c.unchanged(before);
});

test('state.usage-agrees', '§7: usedEntries, GetState usage and Read agree, and usage lists every declared table', [...T_ROUTE], async (c) => {
  await c.insert(nexthop('nh1', c.ports[0].id!), route('10.1.0.0/16', { nexthopId: 'nh1' }), route('10.2.0.0/16'));
  const st = await c.hal.getState();
  const caps = (await c.hal.describe()).capabilities!;
  eq(Object.keys(st.usage ?? {}).sort(), (caps.tables ?? []).map((t) => t.name!).sort(), 'usage keys');
  for (const t of caps.tables ?? []) {
    const n = (await c.hal.read({ tables: [t.name!] })).length;
    eq(Number(st.usage![t.name!]), n, `usage[${t.name}] vs Read`);
    eq(Number(t.usedEntries ?? 0), n, `${t.name}.usedEntries vs Read`);
  }
});

// ------------------------------------------------------------------ request-level checks (§5.2)

test('request.empty-batch', '§5.2: an empty batch fails INVALID_ARGUMENT/EMPTY_BATCH at updates; nothing changes', [], async (c) => {
  const before = await c.snapshot();
  await callFails(c.write([]), { code: 'INVALID_ARGUMENT', reason: 'EMPTY_BATCH', fieldPath: 'updates' }, 'Write([])');
  await c.unchanged(before);
});

test('request.unknown-field', '§5.2: an unknown top-level field fails INVALID_ARGUMENT/FIELD_INVALID at that field', [table('neighbor')], async (c) => {
  const before = await c.snapshot();
  const req = { updates: [ins({ neighbor: { ip: '192.168.0.1', mac: '02:bb:00:00:00:01' } })], priorityBoost: 1 };
  await callFails(c.hal.write(req as never), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: 'priorityBoost' }, 'Write with an unknown field');
  await c.unchanged(before);
});

test('request.atomicity-unsupported', '§5.2: an undeclared atomicity mode fails UNIMPLEMENTED/ATOMICITY_UNSUPPORTED, never downgraded', [lacksAtomicity, table('neighbor')], async (c) => {
  const mode = (['ROLLBACK_ON_ERROR', 'DATAPLANE_ATOMIC'] as const).find((m) => !(c.caps.atomicityModes ?? []).includes(m))!;
  const before = await c.snapshot();
  await callFails(c.write([ins({ neighbor: { ip: '192.168.0.1', mac: '02:bb:00:00:00:01' } })], mode), { code: 'UNIMPLEMENTED', reason: 'ATOMICITY_UNSUPPORTED', fieldPath: 'atomicity' }, mode);
  await c.unchanged(before);
});

test('request.batch-too-large', '§5.2: more updates than maxBatchSize fail RESOURCE_EXHAUSTED/MESSAGE_TOO_LARGE at updates', [table('neighbor')], async (c) => {
  const max = Number(c.caps.maxBatchSize ?? 0);
  if (max > 200_000) throw new Unsupported('maxBatchSize ≤ 200000 to build an oversized batch');
  const u = ins({ neighbor: { ip: '192.168.0.1', mac: '02:bb:00:00:00:01' } });
  const before = await c.snapshot();
  await callFails(c.write(new Array<Update>(max + 1).fill(u)), { code: 'RESOURCE_EXHAUSTED', reason: 'MESSAGE_TOO_LARGE', fieldPath: 'updates' }, `Write of ${max + 1} updates`);
  await c.unchanged(before);
});

test('request.generation-mismatch', '§5.2: expectedGeneration other than the current fails FAILED_PRECONDITION/GENERATION_MISMATCH; nothing changes', [table('neighbor')], async (c) => {
  const n = (i: number) => ins({ neighbor: { ip: `192.168.0.${i}`, mac: '02:bb:00:00:00:01' } });
  const g = Number((await c.insert({ neighbor: { ip: '192.168.0.9', mac: '02:bb:00:00:00:09' } })).generation);
  const before = await c.snapshot();
  await callFails(c.write([n(1)], undefined, { expectedGeneration: g + 5 }), { code: 'FAILED_PRECONDITION', reason: 'GENERATION_MISMATCH', fieldPath: 'expectedGeneration' }, 'stale expectedGeneration');
  await c.unchanged(before);
  const w = await c.write([n(2)], undefined, { expectedGeneration: g });
  eq(Number(w.generation), g + 1, 'a write with the current expectedGeneration applies');
});

test('request.check-order', '§5.2: request checks run in order: EMPTY_BATCH before GENERATION_MISMATCH', [table('neighbor')], async (c) => {
  await c.insert({ neighbor: { ip: '192.168.0.9', mac: '02:bb:00:00:00:09' } });
  await callFails(c.write([], undefined, { expectedGeneration: 999 }), { code: 'INVALID_ARGUMENT', reason: 'EMPTY_BATCH', fieldPath: 'updates' }, 'empty batch with a stale generation');
});

// ------------------------------------------------------------------ update validation (§5.1, §5.4)

test('update.type-missing', '§5.1: an update without type fails INVALID_ARGUMENT/FIELD_MISSING at updates[i].type', [table('neighbor')], async (c) => {
  await c.rejected({ entry: { neighbor: { ip: '192.168.0.1', mac: '02:bb:00:00:00:01' } } } as Update, { code: 'INVALID_ARGUMENT', reason: 'FIELD_MISSING', fieldPath: 'updates[0].type' });
});

test('update.entry-missing', '§5.4 step 1: an update without entry fails FIELD_MISSING at updates[i].entry', [], async (c) => {
  await c.rejected({ type: 'INSERT' } as Update, { code: 'INVALID_ARGUMENT', reason: 'FIELD_MISSING', fieldPath: 'updates[0].entry' });
});

test('update.entry-empty', '§5.4 step 1: an entry naming no table fails ONEOF_UNSET at updates[i].entry', [], async (c) => {
  await c.rejected({ type: 'INSERT', entry: {} }, { code: 'INVALID_ARGUMENT', reason: 'ONEOF_UNSET', fieldPath: 'updates[0].entry' });
});

test('update.entry-two-tables', '§5.4 step 1: an entry naming two tables fails FIELD_INVALID', [table('neighbor'), table('route')], async (c) => {
  const before = await c.snapshot();
  const [s] = await c.writeFails([ins({ neighbor: { ip: '192.168.0.1', mac: '02:bb:00:00:00:01' }, route: { prefix: '10.0.0.0/8', drop: {} } })], [{ code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: 'updates[0].entry' }]);
  check(s.message, 'message');
  await c.unchanged(before);
});

test('update.unknown-entry-field', '§4.3 rule 3: an entry field the message does not define fails FIELD_INVALID at that field', [table('route')], async (c) => {
  await c.rejected(ins(route('10.0.0.0/8', { drop: {}, metric: 5 })), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${U(0)}.metric` });
});

test('update.required-missing', '§3.2, §5.4 step 2: a required field left out fails FIELD_MISSING at the field', [table('neighbor')], async (c) => {
  await c.rejected(ins({ neighbor: { ip: '192.168.0.1' } }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_MISSING', fieldPath: `${U(0, 'neighbor')}.mac` });
});

test('update.oneof-unset', '§3.1: an action oneof with no member fails ONEOF_UNSET at the oneof name', [table('route')], async (c) => {
  await c.rejected(ins({ route: { prefix: '10.0.0.0/8' } }), { code: 'INVALID_ARGUMENT', reason: 'ONEOF_UNSET', fieldPath: `${U(0)}.action` });
});

test('update.oneof-two', '§5.4 step 2c: two members of a oneof fail FIELD_INVALID at the second member', [table('route')], async (c) => {
  await c.rejected(ins({ route: { prefix: '10.0.0.0/8', drop: {}, reject: {} } }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${U(0)}.reject` });
});

test('update.bounds', '§3.1 (min)/(max): port.mtu below 68 fails FIELD_INVALID at the field', [table('port')], async (c) => {
  await c.rejected(mod({ port: { id: c.ports[0].id!, adminUp: true, mtu: 50 } }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${U(0, 'port')}.mtu` });
});

test('update.enum-unknown', '§4.3 rule 3: an enum value outside the enum fails FIELD_INVALID', [table('acl')], async (c) => {
  await c.rejected(ins({ acl: { stage: 'ACL_SIDEWAYS', priority: 10 } }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${U(0, 'acl')}.stage` });
});

test('canonical.ipv6-uppercase', '§4.2: uppercase IPv6 fails NOT_CANONICAL and the message gives the canonical form', [table('neighbor')], async (c) => {
  const s = await c.rejected(ins({ neighbor: { ip: '2001:DB8::1', mac: '02:bb:00:00:00:01' } }), { code: 'INVALID_ARGUMENT', reason: 'NOT_CANONICAL', fieldPath: `${U(0, 'neighbor')}.ip` });
  check((s.message ?? '').includes('2001:db8::1'), `message "${s.message}" does not give the canonical form 2001:db8::1`);
});

test('canonical.ipv6-uncompressed', '§4.2: an uncompressed IPv6 address fails NOT_CANONICAL', [table('neighbor')], async (c) => {
  const s = await c.rejected(ins({ neighbor: { ip: '2001:db8:0:0:0:0:0:1', mac: '02:bb:00:00:00:01' } }), { code: 'INVALID_ARGUMENT', reason: 'NOT_CANONICAL', fieldPath: `${U(0, 'neighbor')}.ip` });
  check((s.message ?? '').includes('2001:db8::1'), `message "${s.message}" does not give 2001:db8::1`);
});

test('canonical.prefix-host-bits', '§4.2: a prefix with host bits set fails NOT_CANONICAL naming the masked prefix; nothing is stored', [table('route')], async (c) => {
  const s = await c.rejected(ins(route('10.1.2.3/8')), { code: 'INVALID_ARGUMENT', reason: 'NOT_CANONICAL', fieldPath: `${U(0)}.prefix` });
  check((s.message ?? '').includes('10.0.0.0/8'), `message "${s.message}" does not give 10.0.0.0/8`);
});

test('canonical.mac-uppercase', '§4.2: an uppercase MAC fails NOT_CANONICAL', [table('neighbor')], async (c) => {
  await c.rejected(ins({ neighbor: { ip: '192.168.0.1', mac: '02:BB:00:00:00:01' } }), { code: 'INVALID_ARGUMENT', reason: 'NOT_CANONICAL', fieldPath: `${U(0, 'neighbor')}.mac` });
});

test('canonical.mac-dashes', '§4.2 [D]: a MAC with "-" separators is FIELD_INVALID', [table('neighbor')], async (c) => {
  await c.rejected(ins({ neighbor: { ip: '192.168.0.1', mac: '02-bb-00-00-00-01' } }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${U(0, 'neighbor')}.mac` });
});

test('canonical.ipv4-leading-zero', '§4.2 [D]: a dotted quad with a leading zero is FIELD_INVALID', [table('neighbor')], async (c) => {
  await c.rejected(ins({ neighbor: { ip: '192.168.0.01', mac: '02:bb:00:00:00:01' } }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${U(0, 'neighbor')}.ip` });
});

test('update.field-major-order', '§5.4 step 2: problems are reported field-major: the lowest-numbered bad field wins', [table('neighbor')], async (c) => {
  // ip (field 2) is invalid and mac (field 3) is not canonical: ip is reported.
  await c.rejected(ins({ neighbor: { ip: '300.1.1.1', mac: '02:BB:00:00:00:01' } }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${U(0, 'neighbor')}.ip` });
});

test('update.schema-before-reference', '§5.4: a schema problem is reported before a missing reference', [table('route')], async (c) => {
  await c.rejected(ins({ route: { prefix: '10.0.0.1/8', nexthopId: 'nope' } }), { code: 'INVALID_ARGUMENT', reason: 'NOT_CANONICAL', fieldPath: `${U(0)}.prefix` });
});

test('update.existence-before-reference', '§5.4: existence (step 5) is checked before references (step 7)', [...T_ROUTE], async (c) => {
  await c.insert(route('10.0.0.0/8'));
  await c.rejected(ins(route('10.0.0.0/8', { nexthopId: 'nope' })), { code: 'ALREADY_EXISTS', reason: 'ENTRY_EXISTS', fieldPath: U(0) });
});

test('rules.acl-port-range', '§5.5: an ACL port range with lo > hi fails FIELD_INVALID at the range', [table('acl')], async (c) => {
  await c.rejected(ins({ acl: { stage: 'ACL_INGRESS', protocol: 6, dstPorts: { lo: 90, hi: 80 }, priority: 10 } }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${U(0, 'acl')}.dstPorts` });
});

test('rules.acl-ports-need-protocol', '§5.5: ACL ports need protocol TCP, UDP or SCTP', [table('acl')], async (c) => {
  await c.rejected(ins({ acl: { stage: 'ACL_INGRESS', srcPorts: { lo: 1, hi: 2 }, priority: 10 } }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${U(0, 'acl')}.srcPorts` });
});

test('rules.acl-icmp-needs-protocol', '§5.5: icmpType needs protocol ICMP or ICMPv6', [table('acl')], async (c) => {
  await c.rejected(ins({ acl: { stage: 'ACL_INGRESS', protocol: 6, icmpType: 8, priority: 10 } }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${U(0, 'acl')}.icmpType` });
});

test('rules.acl-family', '§5.5: ACL srcPrefix and dstPrefix of different families fail at dstPrefix', [table('acl')], async (c) => {
  await c.rejected(ins({ acl: { stage: 'ACL_INGRESS', srcPrefix: '10.0.0.0/8', dstPrefix: '2001:db8::/32', priority: 10 } }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${U(0, 'acl')}.dstPrefix` });
});

test('rules.ecmp-duplicate-member', '§5.5: two ECMP members naming one next hop fail at members[i]', [...T_ROUTE, table('ecmp_group')], async (c) => {
  await c.insert(nexthop('nh1', c.ports[0].id!));
  await c.rejected(ins({ ecmpGroup: { id: 'g', members: [{ nexthopId: 'nh1' }, { nexthopId: 'nh1', weight: 2 }] } }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${U(0, 'ecmpGroup')}.members[1]` });
});

test('rules.backend-duplicate-member', '§5.5: two backends with one ip and port fail at members[i]', [table('backend_group')], async (c) => {
  await c.rejected(ins({ backendGroup: { id: 'bg', members: [{ ip: '10.1.0.1', port: 80 }, { ip: '10.1.0.2', port: 80 }, { ip: '10.1.0.1', port: 80 }] } }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${U(0, 'backendGroup')}.members[2]` });
});

test('rules.service-protocol', '§5.5: a service protocol other than 6, 17, 132 fails at protocol', [table('service'), table('backend_group')], async (c) => {
  await c.insert({ backendGroup: { id: 'bg', members: [] } });
  await c.rejected(ins({ service: { vip: '10.96.0.1', protocol: 1, port: 0, drop: {} } }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${U(0, 'service')}.protocol` });
});

test('rules.tunnel-family', '§5.5: tunnel localIp and remoteIp of different families fail at remoteIp', [table('tunnel'), table('nexthop')], async (c) => {
  await c.insert(nexthop('nh1', c.ports[0].id!));
  await c.rejected(ins({ tunnel: { id: 't', type: 'VXLAN', localIp: '192.0.2.1', remoteIp: '2001:db8::2', underlayNexthopId: 'nh1' } }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${U(0, 'tunnel')}.remoteIp` });
});

test('rules.geneve-options-vxlan', '§5.5: geneveOptions on a VXLAN tunnel fail at geneveOptions', [table('tunnel'), table('nexthop')], async (c) => {
  await c.insert(nexthop('nh1', c.ports[0].id!));
  await c.rejected(ins({ tunnel: { id: 't', type: 'VXLAN', localIp: '192.0.2.1', remoteIp: '192.0.2.2', underlayNexthopId: 'nh1', geneveOptions: [{ optionClass: 1, type: 1, data: new Uint8Array(4) }] } }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${U(0, 'tunnel')}.geneveOptions` });
});

test('rules.policer-trtcm', '§5.5: a TRTCM policer needs pir ≥ cir', [table('policer')], async (c) => {
  if (tableCapability(c.caps, 'policer')?.appliedToPackets && !(c.caps.qos?.policerModes ?? []).includes('TRTCM')) throw new Unsupported('qos.policerModes TRTCM');
  await c.rejected(ins({ policer: { id: 'p', mode: 'TRTCM', cir: 2000, cbs: 100, pir: 1000, pbs: 100 } }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${U(0, 'policer')}.pir` });
});

test('rules.flow-log-collector', '§5.5: an IPFIX collector that is not host:port fails at ipfixCollectors[i]', [table('flow_log')], async (c) => {
  await c.rejected(ins({ flowLog: { recordAllowed: true, ipfixCollectors: ['collector.example:4739', 'no-port'] } }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${U(0, 'flowLog')}.ipfixCollectors[1]` });
});

test('support.table-unsupported', '§5.4 step 4: a write to an undeclared table fails UNIMPLEMENTED/TABLE_UNSUPPORTED', [lacksTable], async (c) => {
  const declared = new Set((c.caps.tables ?? []).map((t) => t.name));
  const s = samples(c).find((x) => !declared.has(x.table) && x.prereq.length === 0);
  if (!s) throw new Unsupported('an undeclared table without prerequisites');
  await c.rejected(ins(s.entry), { code: 'UNIMPLEMENTED', reason: 'TABLE_UNSUPPORTED', fieldPath: U(0, s.member) });
});

/** A sample whose table is declared, with its prerequisites installed, where `pick` finds something undeclared. */
async function undeclared(c: Ctx, pick: (s: Sample, cap: NonNullable<ReturnType<typeof tableCapability>>) => string | undefined, what: string): Promise<{ s: Sample; field: string }> {
  for (const s of samples(c)) {
    const cap = tableCapability(c.caps, s.table);
    if (!cap || s.prereqTables.some((t) => !tableCapability(c.caps, t))) continue;
    const field = pick(s, cap);
    if (!field) continue;
    if (s.prereq.length) await c.insert(...s.prereq);
    return { s, field };
  }
  throw new Unsupported(what);
}

test('support.match-unsupported', '§5.4 step 4 [D]: a set key field the device omits from keyFields is UNIMPLEMENTED/MATCH_UNSUPPORTED at that field', [], async (c) => {
  const { s, field } = await undeclared(c, (x, cap) => {
    const body = Object.values(x.entry)[0];
    const declared = new Set((cap.keyFields ?? []).map((k) => k.name));
    return tableByName(x.table)!.keyFields.find((k) => k.match && body[k.name] !== undefined && !declared.has(k.name))?.name;
  }, 'a declared table omitting a key field the samples set');
  await c.rejected(ins(s.entry), { code: 'UNIMPLEMENTED', reason: 'MATCH_UNSUPPORTED', fieldPath: `${U(0, s.member)}.${field}` });
});

test('support.action-unsupported', '§5.4 step 4: an action member not in TableCapability.actions is UNIMPLEMENTED/ACTION_UNSUPPORTED at the member', [], async (c) => {
  const { s, field } = await undeclared(c, (x, cap) => {
    const body = Object.values(x.entry)[0];
    return tableByName(x.table)!.actions.find((a) => body[a] !== undefined && !(cap.actions ?? []).includes(a));
  }, 'a declared table omitting an action the samples use');
  await c.rejected(ins(s.entry), { code: 'UNIMPLEMENTED', reason: 'ACTION_UNSUPPORTED', fieldPath: `${U(0, s.member)}.${field}` });
});

// ------------------------------------------------------------------ INSERT / MODIFY / DELETE (§5.1)

test('update.insert-existing', '§5.1: INSERT of an existing key fails ALREADY_EXISTS/ENTRY_EXISTS; the stored entry is untouched', [table('neighbor')], async (c) => {
  await c.insert({ neighbor: { ip: '192.168.0.1', mac: '02:bb:00:00:00:01' } });
  await c.rejected(ins({ neighbor: { ip: '192.168.0.1', mac: '02:bb:00:00:00:02' } }), { code: 'ALREADY_EXISTS', reason: 'ENTRY_EXISTS', fieldPath: U(0, 'neighbor') });
});

test('update.modify-missing', '§5.1: MODIFY of a missing key fails NOT_FOUND/ENTRY_NOT_FOUND', [table('neighbor')], async (c) => {
  await c.rejected(mod({ neighbor: { ip: '192.168.0.1', mac: '02:bb:00:00:00:01' } }), { code: 'NOT_FOUND', reason: 'ENTRY_NOT_FOUND', fieldPath: U(0, 'neighbor') });
});

test('update.delete-missing', '§5.1: DELETE of a missing key fails NOT_FOUND/ENTRY_NOT_FOUND', [table('neighbor')], async (c) => {
  await c.rejected(del({ neighbor: { ip: '192.168.0.1' } }), { code: 'NOT_FOUND', reason: 'ENTRY_NOT_FOUND', fieldPath: U(0, 'neighbor') });
});

test('update.key-is-vrf-scoped', '§3.1: keys include implicit EXACT fields: vrf 0 and vrf 1 entries are distinct', [table('neighbor')], async (c) => {
  await c.insert({ neighbor: { ip: '192.168.0.1', mac: '02:bb:00:00:00:01' } }, { neighbor: { vrf: 1, ip: '192.168.0.1', mac: '02:bb:00:00:00:02' } });
  eq((await c.rows('neighbor')).length, 2, 'neighbor rows');
});

test('update.priority-in-key', '§3.1: in a prioritized table entries differing only in priority are different entries', [table('acl')], async (c) => {
  await c.insert({ acl: { stage: 'ACL_INGRESS', priority: 10 } }, { acl: { stage: 'ACL_INGRESS', priority: 20, action: 'ACL_DENY' } });
  eq((await c.rows('acl')).length, 2, 'acl rows');
});

test('update.modify-replaces', '§5.1: MODIFY replaces every non-key field; absent fields take their defaults (no merge)', [table('endpoint')], async (c) => {
  await c.insert({ endpoint: { ip: '10.0.0.10', portId: c.H0, mac: '02:aa:00:00:00:0a', endpointId: 'ep-a', isolatedIngress: true, isolatedEgress: true } });
  await c.write([mod({ endpoint: { ip: '10.0.0.10', portId: c.H0, mac: '02:aa:00:00:00:0a', endpointId: 'ep-a' } })]);
  eq(await c.rows('endpoint'), [{ endpoint: { ip: '10.0.0.10', portId: c.H0, mac: '02:aa:00:00:00:0a', endpointId: 'ep-a' } }], 'Read after MODIFY');
});

test('update.delete-key-only', '§5.1: DELETE reads only key fields: other known fields are not validated', [...T_ROUTE], async (c) => {
  await c.insert(route('10.0.0.0/8'));
  await c.write([del({ route: { prefix: '10.0.0.0/8', nexthopId: 'does not matter!' } })]);
  eq(await c.rows('route'), [], 'routes after DELETE');
});

test('update.delete-unknown-field', '§5.1: DELETE still rejects a field the message does not define', [table('route')], async (c) => {
  await c.insert(route('10.0.0.0/8'));
  await c.rejected(del({ route: { prefix: '10.0.0.0/8', colour: 'red' } }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${U(0)}.colour` });
});

test('update.delete-singleton', '§5.1: DELETE of the SINGLETON entry takes an empty body', [table('flow_log')], async (c) => {
  await c.insert({ flowLog: { recordDenied: true } });
  await c.write([del({ flowLog: {} })]);
  eq(await c.rows('flow_log'), [], 'flow_log after DELETE');
});

test('update.singleton-one', '§3.1: a SINGLETON table holds at most one entry: a second INSERT is ENTRY_EXISTS', [table('flow_log')], async (c) => {
  await c.insert({ flowLog: { recordDenied: true } });
  await c.rejected(ins({ flowLog: { recordAllowed: true } }), { code: 'ALREADY_EXISTS', reason: 'ENTRY_EXISTS', fieldPath: U(0, 'flowLog') });
});

// ------------------------------------------------------------------ device-owned rows (§6.3)

test('owned.insert-port', '§5.4 step 6: INSERT of a new port fails FAILED_PRECONDITION/DEVICE_OWNED', [table('port')], async (c) => {
  await c.rejected(ins({ port: { id: 'no-such-port-9', adminUp: true } }), { code: 'FAILED_PRECONDITION', reason: 'DEVICE_OWNED', fieldPath: U(0, 'port') });
});

test('owned.insert-existing-port', '§5.4: INSERT of an existing port is ENTRY_EXISTS (step 5 before step 6)', [table('port')], async (c) => {
  await c.rejected(ins({ port: { id: c.ports[0].id!, adminUp: true } }), { code: 'ALREADY_EXISTS', reason: 'ENTRY_EXISTS', fieldPath: U(0, 'port') });
});

test('owned.delete-port', '§6.3: DELETE of a port fails DEVICE_OWNED', [table('port')], async (c) => {
  await c.rejected(del({ port: { id: c.ports[0].id! } }), { code: 'FAILED_PRECONDITION', reason: 'DEVICE_OWNED', fieldPath: U(0, 'port') });
});

test('owned.zone0', '§6.3: DELETE of ct_zone 0 fails DEVICE_OWNED; INSERT of zone 0 is ENTRY_EXISTS', [table('ct_zone')], async (c) => {
  await c.rejected(del({ ctZone: {} }), { code: 'FAILED_PRECONDITION', reason: 'DEVICE_OWNED', fieldPath: U(0, 'ctZone') });
  await c.rejected(ins({ ctZone: {} }), { code: 'ALREADY_EXISTS', reason: 'ENTRY_EXISTS', fieldPath: U(0, 'ctZone') });
});

test('owned.modify-port', '§6.3: a port may be modified; MODIFY omitting adminUp takes it down; Read shows deviceOwned', [table('port')], async (c) => {
  const id = c.ports[0].id!;
  await c.write([mod({ port: { id, mtu: 9000 } })]);
  const rec = (await c.hal.read({ tables: ['port'], filters: [{ field: 'id', equals: id }] }));
  eq(rec, [{ entry: { port: { id, mtu: 9000 } }, deviceOwned: true }], 'Read(port) after MODIFY');
});

// ------------------------------------------------------------------ references (§6)

test('refs.missing', '§6.1: a reference to a missing object fails NOT_FOUND/REFERENCE_MISSING at the field', [...T_ROUTE], async (c) => {
  await c.rejected(ins(route('10.0.0.0/8', { nexthopId: 'ghost' })), { code: 'NOT_FOUND', reason: 'REFERENCE_MISSING', fieldPath: `${U(0)}.nexthopId` });
});

test('refs.nested-path', '§5.4 step 7: a missing reference in a list element names the element', [...T_ROUTE, table('ecmp_group')], async (c) => {
  await c.insert(nexthop('nh1', c.ports[0].id!));
  await c.rejected(ins({ ecmpGroup: { id: 'g', members: [{ nexthopId: 'nh1' }, { nexthopId: 'ghost' }] } }), { code: 'NOT_FOUND', reason: 'REFERENCE_MISSING', fieldPath: `${U(0, 'ecmpGroup')}.members[1].nexthopId` });
});

test('refs.port-reference', '§6.1: a next hop naming an unknown port fails at port.portId', [table('nexthop')], async (c) => {
  await c.rejected(ins({ nexthop: { id: 'nh', port: { portId: 'no-such-port-9' } } }), { code: 'NOT_FOUND', reason: 'REFERENCE_MISSING', fieldPath: `${U(0, 'nexthop')}.port.portId` });
});

test('refs.ct-zone', '§6.1: port.ctZone must name an existing zone; zone 0 always exists', [table('port'), table('ct_zone')], async (c) => {
  const id = c.ports[0].id!;
  await c.rejected(mod({ port: { id, adminUp: true, ctZone: 5 } }), { code: 'NOT_FOUND', reason: 'REFERENCE_MISSING', fieldPath: `${U(0, 'port')}.ctZone` });
  await c.write([ins({ ctZone: { zone: 5 } }), mod({ port: { id, adminUp: true, ctZone: 5 } })]);
});

test('refs.same-batch', '§5.3: a batch may insert an object and then an entry that refers to it', [...T_ROUTE], async (c) => {
  await c.write([ins(nexthop('nh1', c.ports[0].id!)), ins(route('10.0.0.0/8', { nexthopId: 'nh1' }))]);
  eq((await c.rows('route')).length, 1, 'routes');
});

test('refs.forward', '§5.3: an update referring forward fails REFERENCE_MISSING; the later one applies (CONTINUE_ON_ERROR)', [...T_ROUTE], async (c) => {
  await c.writeFails([ins(route('10.0.0.0/8', { nexthopId: 'nh1' })), ins(nexthop('nh1', c.ports[0].id!))], [{ code: 'NOT_FOUND', reason: 'REFERENCE_MISSING', fieldPath: `${U(0)}.nexthopId` }, OK]);
  eq(await c.rows('route'), [], 'routes');
  eq((await c.rows('nexthop')).length, 1, 'next hops');
});

test('refs.in-use', '§6.4: DELETE of a referenced object fails OBJECT_IN_USE; the referrer is untouched (no cascade)', [...T_ROUTE], async (c) => {
  await c.insert(nexthop('nh1', c.ports[0].id!), route('10.0.0.0/8', { nexthopId: 'nh1' }));
  await c.rejected(del({ nexthop: { id: 'nh1' } }), { code: 'FAILED_PRECONDITION', reason: 'OBJECT_IN_USE', fieldPath: U(0, 'nexthop') });
});

test('refs.delete-chain', '§6.4: one batch deleting the referrer and then the object succeeds', [...T_ROUTE], async (c) => {
  await c.insert(nexthop('nh1', c.ports[0].id!), route('10.0.0.0/8', { nexthopId: 'nh1' }));
  await c.write([del(route('10.0.0.0/8')), del({ nexthop: { id: 'nh1' } })]);
  eq([...(await c.rows('route')), ...(await c.rows('nexthop'))], [], 'rows');
});

test('refs.deleted-earlier', '§6.1: a reference to an object deleted earlier in the batch fails REFERENCE_MISSING', [...T_ROUTE], async (c) => {
  await c.insert(nexthop('nh1', c.ports[0].id!));
  await c.writeFails([del({ nexthop: { id: 'nh1' } }), ins(route('10.0.0.0/8', { nexthopId: 'nh1' }))], [OK, { code: 'NOT_FOUND', reason: 'REFERENCE_MISSING', fieldPath: `${U(1)}.nexthopId` }]);
});

test('refs.modify-releases', '§6.1: MODIFY moving a reference releases the old object', [...T_ROUTE], async (c) => {
  await c.insert(nexthop('nh1', c.ports[0].id!), nexthop('nh2', c.ports[0].id!), route('10.0.0.0/8', { nexthopId: 'nh1' }));
  await c.write([mod(route('10.0.0.0/8', { nexthopId: 'nh2' })), del({ nexthop: { id: 'nh1' } })]);
  await c.rejected(del({ nexthop: { id: 'nh2' } }), { code: 'FAILED_PRECONDITION', reason: 'OBJECT_IN_USE', fieldPath: U(0, 'nexthop') });
});

test('refs.labels', '§6.1: labels are not references: an ACL may name an endpoint id that has no endpoint', [table('acl')], async (c) => {
  await c.insert({ acl: { stage: 'ACL_INGRESS', endpointId: 'nobody-yet', priority: 10 } });
});

test('refs.underlay-port', '§6.2: a tunnel underlay naming a tunnel next hop fails FIELD_INVALID at underlayNexthopId', [table('tunnel'), table('nexthop')], async (c) => {
  const t = (id: string, nh: string) => ({ tunnel: { id, type: 'VXLAN', localIp: '192.0.2.1', remoteIp: '192.0.2.2', vni: 1, underlayNexthopId: nh } });
  await c.insert(nexthop('nh1', c.ports[0].id!), t('t1', 'nh1'), { nexthop: { id: 'nh-t', tunnelId: 't1' } });
  await c.rejected(ins(t('t2', 'nh-t')), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${U(0, 'tunnel')}.underlayNexthopId` });
});

test('refs.underlay-modify', '§6.2: turning a used underlay next hop into a tunnel next hop fails OBJECT_IN_USE', [table('tunnel'), table('nexthop')], async (c) => {
  await c.insert(nexthop('nh1', c.ports[0].id!), { tunnel: { id: 't1', type: 'VXLAN', localIp: '192.0.2.1', remoteIp: '192.0.2.2', vni: 1, underlayNexthopId: 'nh1' } });
  await c.rejected(mod({ nexthop: { id: 'nh1', tunnelId: 't1' } }), { code: 'FAILED_PRECONDITION', reason: 'OBJECT_IN_USE', fieldPath: U(0, 'nexthop') });
});

// ------------------------------------------------------------------ batches and atomicity (§5.3, §5.6, §5.7)

const nb = (i: number, mac = '02:bb:00:00:00:01'): Entry => ({ neighbor: { ip: `192.168.0.${i}`, mac } });

test('batch.continue', '§5.6, §5.7: CONTINUE_ON_ERROR applies what it can; one status per update in order; generation +1', [table('neighbor')], async (c) => {
  await c.insert(nb(2));
  const g = Number((await c.hal.getState()).generation);
  const statuses = await c.writeFails([ins(nb(1)), ins(nb(2)), mod(nb(3)), ins(nb(4)), del(nb(5))], [OK, { code: 'ALREADY_EXISTS', reason: 'ENTRY_EXISTS', fieldPath: U(1, 'neighbor') }, { code: 'NOT_FOUND', reason: 'ENTRY_NOT_FOUND', fieldPath: U(2, 'neighbor') }, OK, { code: 'NOT_FOUND', reason: 'ENTRY_NOT_FOUND', fieldPath: U(4, 'neighbor') }]);
  check(statuses.length === 5, 'statuses');
  eq(Number((await c.hal.getState()).generation), g + 1, 'generation');
  eq((await c.rows('neighbor')).map((r) => r.neighbor.ip).sort(), ['192.168.0.1', '192.168.0.2', '192.168.0.4'], 'neighbors');
});

test('batch.continue-all-fail', '§9.1: a CONTINUE_ON_ERROR batch where every update failed leaves the generation and digest alone', [table('neighbor')], async (c) => {
  await c.insert(nb(1));
  const before = await c.snapshot();
  await c.writeFails([ins(nb(1)), del(nb(9))], [{ code: 'ALREADY_EXISTS', reason: 'ENTRY_EXISTS', fieldPath: U(0, 'neighbor') }, { code: 'NOT_FOUND', reason: 'ENTRY_NOT_FOUND', fieldPath: U(1, 'neighbor') }]);
  await c.unchanged(before);
});

for (const mode of ['ROLLBACK_ON_ERROR', 'DATAPLANE_ATOMIC'] as const) {
  const slug = mode === 'ROLLBACK_ON_ERROR' ? 'rollback' : 'dataplane-atomic';
  test(`batch.${slug}`, `§5.6: ${mode}: the first failure undoes the batch; it keeps its status, every other update is ABORTED/BATCH_ROLLED_BACK; state unchanged`, [table('neighbor'), atomicity(mode)], async (c) => {
    await c.insert(nb(1), nb(2));
    const before = await c.snapshot();
    await c.writeFails([ins(nb(3)), mod(nb(1, '02:bb:00:00:00:99')), del(nb(2)), ins(nb(1)), ins(nb(4))], [ROLLED_BACK, ROLLED_BACK, ROLLED_BACK, { code: 'ALREADY_EXISTS', reason: 'ENTRY_EXISTS', fieldPath: U(3, 'neighbor') }, ROLLED_BACK], mode);
    await c.unchanged(before, `after a failed ${mode} batch`);
  });
  test(`batch.${slug}-references`, `§5.6: ${mode}: a rolled-back batch releases references it took and restores objects it deleted`, [...T_ROUTE, atomicity(mode)], async (c) => {
    await c.insert(nexthop('nh1', c.ports[0].id!), route('10.1.0.0/16', { nexthopId: 'nh1' }));
    const before = await c.snapshot();
    await c.writeFails([del(route('10.1.0.0/16')), del({ nexthop: { id: 'nh1' } }), ins(nexthop('nh2', c.ports[0].id!)), ins(route('10.2.0.0/16', { nexthopId: 'nh2' })), ins(route('10.3.0.0/16', { nexthopId: 'ghost' }))], [ROLLED_BACK, ROLLED_BACK, ROLLED_BACK, ROLLED_BACK, { code: 'NOT_FOUND', reason: 'REFERENCE_MISSING', fieldPath: `${U(4)}.nexthopId` }], mode);
    await c.unchanged(before);
    // nh1 must still be in use by the restored route; nh2 must not exist.
    await c.rejected(del({ nexthop: { id: 'nh1' } }), { code: 'FAILED_PRECONDITION', reason: 'OBJECT_IN_USE', fieldPath: U(0, 'nexthop') });
    await c.rejected(del({ nexthop: { id: 'nh2' } }), { code: 'NOT_FOUND', reason: 'ENTRY_NOT_FOUND', fieldPath: U(0, 'nexthop') });
  });
}

test('batch.rollback-success', '§5.6: a ROLLBACK_ON_ERROR batch without failures applies all its updates', [table('neighbor'), atomicity('ROLLBACK_ON_ERROR')], async (c) => {
  const w = await c.write([ins(nb(1)), ins(nb(2))], 'ROLLBACK_ON_ERROR');
  eq((await c.rows('neighbor')).length, 2, 'neighbors');
  eq(w.digest, (await c.hal.getState()).digest, 'digest');
});

test('batch.order', '§5.3: updates apply in order: insert, modify and delete of one key in one batch', [table('neighbor')], async (c) => {
  await c.write([ins(nb(1)), mod(nb(1, '02:bb:00:00:00:77')), ins(nb(2)), del(nb(2))]);
  eq(await c.rows('neighbor'), [{ neighbor: { ip: '192.168.0.1', mac: '02:bb:00:00:00:77' } }], 'neighbors');
});

test('batch.response', '§5.7: a successful Write returns the generation and digest of the state after it', [table('neighbor')], async (c) => {
  const w = await c.insert(nb(1));
  const st = await c.hal.getState();
  eq([Number(w.generation), w.digest], [Number(st.generation), st.digest], 'Write response vs GetState');
});

// ------------------------------------------------------------------ capacity (§7)

/** The smallest declared table the suite can fill with generated entries. */
function fillable(c: Ctx): { table: string; member: string; max: number; entry: (i: number) => Entry; owned: number } {
  const gens: Record<string, { member: string; entry: (i: number) => Entry }> = {
    ct_zone: { member: 'ctZone', entry: (i) => ({ ctZone: { zone: i + 1 } }) },
    neighbor: { member: 'neighbor', entry: (i) => ({ neighbor: { ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, mac: '02:bb:00:00:00:01' } }) },
    route: { member: 'route', entry: (i) => ({ route: { prefix: `10.${(i >> 8) & 255}.${i & 255}.0/24`, drop: {} } }) },
    acl: { member: 'acl', entry: (i) => ({ acl: { stage: 'ACL_INGRESS', priority: i + 1 } }) },
  };
  let best: ReturnType<typeof fillable> | undefined;
  for (const [t, g] of Object.entries(gens)) {
    const max = c.maxEntries(t);
    if (max > 0 && max <= 70_000 && (!best || max < best.max)) best = { table: t, member: g.member, max, entry: g.entry, owned: t === 'ct_zone' ? 1 : 0 };
  }
  if (!best) throw new Unsupported('a table of ct_zone, neighbor, route or acl with maxEntries ≤ 70000');
  return best;
}

async function fill(c: Ctx, f: ReturnType<typeof fillable>): Promise<void> {
  const n = f.max - f.owned;
  const batch = Number(c.caps.maxBatchSize ?? 1);
  for (let i = 0; i < n; i += batch) await c.write(Array.from({ length: Math.min(batch, n - i) }, (_, k) => ins(f.entry(i + k))));
}

test('capacity.table-full', '§7: an INSERT into a full table fails RESOURCE_EXHAUSTED/TABLE_FULL; other updates of the batch proceed', [], async (c) => {
  const f = fillable(c);
  await fill(c, f);
  const extra = f.entry(f.max + 5);
  const before = await c.snapshot();
  await c.rejected(ins(extra), { code: 'RESOURCE_EXHAUSTED', reason: 'TABLE_FULL', fieldPath: U(0, f.member) });
  await c.unchanged(before);
  eq(Number((await c.hal.getState()).usage?.[f.table]), f.max, `usage[${f.table}] at maxEntries`);
});

test('capacity.delete-frees', '§7: a DELETE earlier in a batch frees room for a later INSERT; MODIFY never fails for room', [], async (c) => {
  const f = fillable(c);
  await fill(c, f);
  await c.write([del(f.entry(0)), ins(f.entry(f.max + 5))]);
  await c.write([mod(f.entry(1))]);
});

test('capacity.group-too-large', '§7: more members than maxGroupMembers fail GROUP_TOO_LARGE at members', [table('ecmp_group'), table('nexthop')], async (c) => {
  const max = Number(tableCapability(c.caps, 'ecmp_group')!.maxGroupMembers ?? 0);
  if (max < 1 || max >= Number(c.caps.maxBatchSize ?? 0) || max > 4096) throw new Unsupported('ecmp_group.maxGroupMembers below maxBatchSize and ≤ 4096');
  if (c.maxEntries('nexthop') < max + 1) throw new Unsupported('nexthop.maxEntries > ecmp_group.maxGroupMembers');
  const ids = Array.from({ length: max + 1 }, (_, i) => `nh${i}`);
  await c.write(ids.map((id) => ins(nexthop(id, c.ports[0].id!))));
  await c.rejected(ins({ ecmpGroup: { id: 'g', members: ids.map((nexthopId) => ({ nexthopId })) } }), { code: 'RESOURCE_EXHAUSTED', reason: 'GROUP_TOO_LARGE', fieldPath: `${U(0, 'ecmpGroup')}.members` });
  await c.insert({ ecmpGroup: { id: 'g', members: ids.slice(0, max).map((nexthopId) => ({ nexthopId })) } });
});

// ------------------------------------------------------------------ reads (§8)

test('read.all-tables', '§8: Read with no tables returns every declared table\'s entries, device-owned rows included', [table('neighbor')], async (c) => {
  await c.insert(nb(1));
  const recs = await c.hal.read({});
  check(recs.some((r) => r.entry?.neighbor?.ip === '192.168.0.1'), 'the neighbor is missing from Read({})');
  eq(recs.length, Object.values((await c.hal.getState()).usage ?? {}).reduce((a, b) => a + Number(b), 0), 'records vs total usage');
});

test('read.unknown-table', '§8: an unknown table name fails FIELD_INVALID at tables[i]', [], async (c) => {
  await callFails(c.hal.read({ tables: [(c.caps.tables ?? [])[0]?.name ?? 'port', 'no_such_table'] }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: 'tables[1]' }, 'Read');
});

test('read.unsupported-table', '§8 [D]: a catalog table the device does not declare fails TABLE_UNSUPPORTED at tables[i]', [lacksTable], async (c) => {
  const declared = new Set((c.caps.tables ?? []).map((t) => t.name));
  const missing = [...tableNames()].find((n) => !declared.has(n))!;
  await callFails(c.hal.read({ tables: [missing] }), { code: 'UNIMPLEMENTED', reason: 'TABLE_UNSUPPORTED', fieldPath: 'tables[0]' }, 'Read');
});

test('read.filters-one-table', '§8: filters with other than one table fail FIELD_INVALID at filters', [table('neighbor'), table('route')], async (c) => {
  await callFails(c.hal.read({ tables: ['neighbor', 'route'], filters: [{ field: 'vrf', equals: '0' }] }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: 'filters' }, 'Read');
});

test('read.filter-non-key', '§8 [D]: a filter on a non-key field fails KEY_MISMATCH at filters[i].field', [table('neighbor')], async (c) => {
  await callFails(c.hal.read({ tables: ['neighbor'], filters: [{ field: 'ip', equals: '192.168.0.1' }, { field: 'mac', equals: '02:bb:00:00:00:01' }] }), { code: 'INVALID_ARGUMENT', reason: 'KEY_MISMATCH', fieldPath: 'filters[1].field' }, 'Read');
});

test('read.filter-range', '§8 [D]: a filter on a RANGE key field fails KEY_MISMATCH', [table('acl')], async (c) => {
  await callFails(c.hal.read({ tables: ['acl'], filters: [{ field: 'dstPorts', equals: '80' }] }), { code: 'INVALID_ARGUMENT', reason: 'KEY_MISMATCH', fieldPath: 'filters[0].field' }, 'Read');
});

test('read.filter-canonical', '§8 [D]: a filter value that is not canonical fails NOT_CANONICAL at filters[i].equals', [table('neighbor')], async (c) => {
  await callFails(c.hal.read({ tables: ['neighbor'], filters: [{ field: 'ip', equals: '2001:DB8::1' }] }), { code: 'INVALID_ARGUMENT', reason: 'NOT_CANONICAL', fieldPath: 'filters[0].equals' }, 'Read');
});

test('read.filter-match', '§8: filters select entries (AND), numbers in decimal, absent vrf compares as "0"', [table('neighbor')], async (c) => {
  await c.insert(nb(1), nb(2), { neighbor: { vrf: 7, ip: '192.168.0.1', mac: '02:bb:00:00:00:07' } });
  const r = async (filters: { field: string; equals: string }[]) => sortRecords(await c.hal.read({ tables: ['neighbor'], filters })).map((x) => x.entry);
  eq(await r([{ field: 'vrf', equals: '7' }]), [{ neighbor: { vrf: 7, ip: '192.168.0.1', mac: '02:bb:00:00:00:07' } }], 'vrf=7');
  eq((await r([{ field: 'vrf', equals: '0' }])).length, 2, 'vrf=0 (absent)');
  eq(await r([{ field: 'vrf', equals: '0' }, { field: 'ip', equals: '192.168.0.2' }]), [{ neighbor: { ip: '192.168.0.2', mac: '02:bb:00:00:00:01' } }], 'vrf=0 AND ip');
});

test('read.filter-enum', '§8: enum key fields compare by name; absent OPTIONAL fields compare as ""', [table('acl')], async (c) => {
  await c.insert({ acl: { stage: 'ACL_INGRESS', priority: 10 } }, { acl: { stage: 'ACL_EGRESS', endpointId: 'ep', priority: 10 } });
  eq((await c.hal.read({ tables: ['acl'], filters: [{ field: 'stage', equals: 'ACL_EGRESS' }] })).map((r) => r.entry), [{ acl: { stage: 'ACL_EGRESS', endpointId: 'ep', priority: 10 } }], 'stage=ACL_EGRESS');
  eq((await c.hal.read({ tables: ['acl'], filters: [{ field: 'endpointId', equals: '' }] })).map((r) => r.entry), [{ acl: { stage: 'ACL_INGRESS', priority: 10 } }], 'endpointId=""');
});

test('read.counters-flag', '§8: counters only with includeCounters and only for tables declaring perEntryCounters', [table('route')], async (c) => {
  await c.insert(route('10.0.0.0/8'));
  eq((await c.hal.read({ tables: ['route'] }))[0].counters, undefined, 'counters without includeCounters');
  const withC = (await c.hal.read({ tables: ['route'], includeCounters: true }))[0];
  if (tableCapability(c.caps, 'route')!.perEntryCounters) check(withC.counters, 'counters missing with includeCounters on a perEntryCounters table');
  else eq(withC.counters, undefined, 'counters on a table without perEntryCounters');
});

// ------------------------------------------------------------------ read-back symmetry per table (§4.3, §5.1, §15)

for (const name of SAMPLE_TABLES) {
  test(`table.${name}`, `§4.3, §5.1: ${name}: INSERT, Read back exactly (write-only fields removed), MODIFY replaces, DELETE removes; digest tracks each step`, [table(name)], async (c) => {
    const s = samples(c).find((x) => x.table === name)!;
    valueGate(c, s);
    for (const t of s.prereqTables) if (!tableCapability(c.caps, t)) throw new Unsupported(`table ${t}`);
    if (s.prereq.length) await c.insert(...s.prereq);
    const start = await c.hal.getState();
    await c.insert(s.entry);
    eq(await c.rows(name), [s.read], 'Read after INSERT');
    const afterInsert = await c.hal.getState();
    check(afterInsert.digest !== start.digest, 'digest did not change on INSERT');
    await c.write([mod(s.modified)]);
    eq(await c.rows(name), [s.modifiedRead], 'Read after MODIFY');
    check((await c.hal.getState()).digest !== afterInsert.digest, 'digest did not change on MODIFY');
    await c.write([del(s.key)]);
    eq(await c.rows(name), [], 'Read after DELETE');
    eq((await c.hal.getState()).digest, start.digest, 'digest after DELETE equals the digest before INSERT');
  });
}

/** Values a device applying the table to packets may refuse (§5.4 step 4) make the test unsupported. */
function valueGate(c: Ctx, s: Sample): void {
  const cap = tableCapability(c.caps, s.table);
  if (!cap?.appliedToPackets) return;
  const need = (ok: boolean, what: string) => {
    if (!ok) throw new Unsupported(what);
  };
  if (s.table === 'policer') need((c.caps.qos?.policerModes ?? []).includes('SRTCM'), 'qos.policerModes SRTCM');
  if (s.table === 'ipsec_sa') need((c.caps.crypto?.ipsecAlgorithms ?? []).includes('AES_GCM_128') && (c.caps.crypto?.ipsecModes ?? []).includes('TRANSPORT'), 'crypto AES_GCM_128 TRANSPORT');
  if (s.table === 'tls_session') need((c.caps.crypto?.tlsCiphers ?? []).includes('TLS_AES_128_GCM_SHA256'), 'crypto.tlsCiphers TLS_AES_128_GCM_SHA256');
  const actions = cap.actions ?? [];
  const body = Object.values(s.entry)[0];
  const m = Object.values(s.modified)[0];
  const sch = tableByName(s.table)!;
  for (const a of sch.actions) if ((a in body || a in m) && !actions.includes(a)) throw new Unsupported(`action ${a} on table ${s.table}`);
}

// ------------------------------------------------------------------ packet I/O and clock (§14)

test('io.inject-unknown-port', '§14.1: Inject on an unknown port fails NOT_FOUND/ENTRY_NOT_FOUND at portId', [io], async (c) => {
  await callFails(c.inject('no-such-port-9', new Uint8Array(60)), { code: 'NOT_FOUND', reason: 'ENTRY_NOT_FOUND', fieldPath: 'portId' }, 'Inject');
});

test('io.capture-unknown-port', '§14.2 [D]: Capture naming an unknown port fails ENTRY_NOT_FOUND at portIds[i]', [io], async (c) => {
  await callFails(c.hal.capture({ portIds: [c.ports[0].id!, 'no-such-port-9'] }), { code: 'NOT_FOUND', reason: 'ENTRY_NOT_FOUND', fieldPath: 'portIds[1]' }, 'Capture');
});

test('io.malformed', '§14.1: a truncated frame is dropped and counted under malformed:<reason>; the call succeeds', [io], async (c) => {
  const frame = c.frameIn(c.ports[0].id!, { src: '10.0.0.1', dst: '10.0.0.2' }).slice(0, 30);
  await c.expectDropped(c.ports[0].id!, frame, 'truncated IPv4', 'malformed:');
});

test('io.bad-ipv4-checksum', '§14.1: a frame with a bad IPv4 header checksum is dropped as malformed:', [io], async (c) => {
  const frame = c.frameIn(c.ports[0].id!, { src: '10.0.0.1', dst: '10.0.0.2' });
  frame[14 + 10] ^= 0xff;
  await c.expectDropped(c.ports[0].id!, frame, 'bad IPv4 checksum', 'malformed:');
});

test('io.bad-l4-checksum', '§14.1: a frame with a bad UDP checksum is dropped as malformed:', [io], async (c) => {
  const frame = c.frameIn(c.ports[0].id!, { src: '10.0.0.1', dst: '10.0.0.2' });
  frame[14 + 20 + 6] ^= 0x5a;
  await c.expectDropped(c.ports[0].id!, frame, 'bad UDP checksum', 'malformed:');
});

test('io.counters', '§13.1: injected and emitted totals and port rx counters count frames and bytes', [io], async (c) => {
  const p = c.ports[0].id!;
  const before = await c.hal.getCounters();
  const rx0 = (await c.hal.listPorts()).ports!.find((x) => x.id === p)!.rx ?? {};
  const f = new Uint8Array(64);
  await c.inject(p, f);
  await c.inject(p, f);
  const after = await c.hal.getCounters();
  eq(Number(after.injected?.packets ?? 0) - Number(before.injected?.packets ?? 0), 2, 'injected.packets');
  eq(Number(after.injected?.bytes ?? 0) - Number(before.injected?.bytes ?? 0), 128, 'injected.bytes');
  const rx1 = (await c.hal.listPorts()).ports!.find((x) => x.id === p)!.rx ?? {};
  eq(Number(rx1.packets ?? 0) - Number(rx0.packets ?? 0), 2, `${p}.rx.packets`);
  eq(Number(rx1.bytes ?? 0) - Number(rx0.bytes ?? 0), 128, `${p}.rx.bytes`);
});

test('clock.advance', '§14.3: Now and Advance move virtual time exactly; time never moves on its own', [virtualTime], async (c) => {
  const t0 = Number((await c.hal.now()).nowNs ?? 0);
  eq(Number((await c.hal.now()).nowNs ?? 0), t0, 'Now twice');
  eq(Number((await c.hal.advance(1_500)).nowNs ?? 0), t0 + 1_500, 'Advance response');
  eq(Number((await c.hal.now()).nowNs ?? 0), t0 + 1_500, 'Now after Advance');
});

test('clock.inject-past', '§14.1: Inject with timeNs before the device clock fails FIELD_INVALID at timeNs', [virtualTime, io], async (c) => {
  await c.hal.advance(10_000);
  const now = Number((await c.hal.now()).nowNs ?? 0);
  await callFails(c.inject(c.ports[0].id!, new Uint8Array(60), now - 1), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: 'timeNs' }, 'Inject in the past');
});

test('clock.inject-future', '§14.1 [D]: Inject with a future timeNs advances the clock to it first', [virtualTime, io], async (c) => {
  const now = Number((await c.hal.now()).nowNs ?? 0);
  await c.inject(c.ports[0].id!, new Uint8Array(60), now + 5_000_000);
  eq(Number((await c.hal.now()).nowNs ?? 0), now + 5_000_000, 'Now after Inject');
});

test('clock.unsupported', '§14.3: without virtualTime, Advance fails UNIMPLEMENTED/FEATURE_UNSUPPORTED', [noVirtualTime], async (c) => {
  await callFails(c.hal.advance(1), { code: 'UNIMPLEMENTED', reason: 'FEATURE_UNSUPPORTED' }, 'Advance');
});

test('io.capture', '§14.2: Capture hands packets over in emission order; peek keeps them; maxPackets limits; portIds selects', [...TOPO, feature('IPV4_ROUTING')], async (c) => {
  await topology(c);
  await c.insert({ route: { prefix: '203.0.113.0/24', nexthopId: 'nh-u1' } });
  await c.hal.capture({});
  const flows = [{ src: IP.epA, dst: IP.remote, sport: 1 }, { src: IP.epA, dst: '203.0.113.9', sport: 2 }, { src: IP.epA, dst: IP.remote, sport: 3 }];
  const frames: string[] = [];
  for (const f of flows) frames.push(hex((await c.emitsOne(c.H0, f, 'setup', false)).frame));
  const get = async (req: Parameters<typeof c.hal.capture>[0]) => ((await c.hal.capture(req)).packets ?? []).map((p) => [p.portId, hex(p.frame)]);
  eq(await get({ portIds: [c.U0], peek: true }), [[c.U0, frames[0]], [c.U0, frames[2]]], 'peek at U0');
  eq(await get({ portIds: [c.U0], peek: true }), [[c.U0, frames[0]], [c.U0, frames[2]]], 'peek again: nothing was removed');
  eq(await get({ portIds: [c.U0], maxPackets: 1 }), [[c.U0, frames[0]]], 'maxPackets 1 hands over the oldest');
  eq(await get({}), [[c.U1, frames[1]], [c.U0, frames[2]]], 'the rest, every port, in emission order');
  eq(await get({}), [], 'handed over: nothing left');
});

test('io.trace', '§14.1: with packetIo.trace, Inject returns one step per stage; without it, no trace', [io, ports(1, 0)], async (c) => {
  const r = await c.inject(c.ports[0].id!, new Uint8Array(60));
  const trace = r.trace ?? [];
  if (c.caps.packetIo?.trace) check(trace.length > 0 && trace.every((t) => typeof t.stage === 'string' && t.stage.length > 0), `trace ${show(trace)}`);
  else eq(trace, [], 'trace without packetIo.trace');
});

test('write.cancelled', '§16.4: a Write cancelled before it starts fails CANCELLED/CALL_CANCELLED and applies nothing', [table('neighbor')], async (c) => {
  const before = await c.snapshot();
  const ac = new AbortController();
  ac.abort();
  await callFails(c.hal.write({ updates: [ins({ neighbor: { ip: '192.168.0.1', mac: '02:bb:00:00:00:01' } })] }, { signal: ac.signal }), { code: 'CANCELLED', reason: 'CALL_CANCELLED' }, 'cancelled Write');
  await c.unchanged(before);
});

test('ports.admin-down-ingress', '§2 stage 1: a port with adminUp false drops everything it receives', [io, ports(1, 1), table('port')], async (c) => {
  await c.write([mod({ port: { id: c.H0 } })]);
  await c.expectDropped(c.H0, { src: '10.0.0.10', dst: '198.51.100.7' }, 'on a down port');
});

// Keep the list honest: every test has a section reference.
for (const t of tests) if (!/§\d/.test(t.title)) throw new Error(`suite bug: ${t.id} cites no section`);
