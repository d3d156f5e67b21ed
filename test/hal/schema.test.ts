import { expect } from 'chai';
import protobuf from 'protobufjs';
import * as t from 'io-ts';
import { halCodec } from '../../src/hal/codecs.js';
import { keyString } from '../../src/hal/entries.js';
import { fieldsOf, memberOf, tableByName, tableCatalog, tableNames, type TableSchema } from '../../src/hal/schema.js';
import { HAL_PACKAGE, halRoot, halType } from '../../src/hal/spec-root.js';

type Kind = 'OBJECT' | 'ENTRY' | 'SINGLETON';
interface Expected {
  kind: Kind;
  stage: string;
  keys: [string, string | undefined][];
  prioritized?: boolean;
  deviceOwned?: boolean;
  actions?: string[];
}

const ID: [string, string][] = [['id', 'EXACT']];

// Transcribed from tables.proto: the catalog must match it exactly.
const EXPECTED: Record<string, Expected> = {
  port: { kind: 'OBJECT', stage: 'port-ingress', keys: ID, deviceOwned: true },
  endpoint: { kind: 'ENTRY', stage: 'routing', keys: [['vrf', 'EXACT'], ['ip', 'EXACT']] },
  neighbor: { kind: 'ENTRY', stage: 'neighbor', keys: [['vrf', 'EXACT'], ['ip', 'EXACT']] },
  route: { kind: 'ENTRY', stage: 'routing', keys: [['vrf', 'EXACT'], ['prefix', 'LPM']], actions: ['nexthopId', 'ecmpGroupId', 'drop', 'reject'] },
  nexthop: { kind: 'OBJECT', stage: 'routing', keys: ID },
  ecmp_group: { kind: 'OBJECT', stage: 'routing', keys: ID },
  tunnel: { kind: 'OBJECT', stage: 'tunnel-encap', keys: ID },
  tunnel_term: { kind: 'ENTRY', stage: 'tunnel-term', keys: [['localIp', 'EXACT'], ['vni', 'EXACT'], ['type', 'EXACT']] },
  service: {
    kind: 'ENTRY',
    stage: 'service-lb',
    keys: [['vrf', 'EXACT'], ['vip', 'EXACT'], ['protocol', 'EXACT'], ['port', 'EXACT']],
    actions: ['balance', 'reject', 'drop'],
  },
  service_source: {
    kind: 'ENTRY',
    stage: 'service-lb',
    keys: [['vrf', 'EXACT'], ['vip', 'EXACT'], ['protocol', 'EXACT'], ['port', 'EXACT'], ['source', 'LPM']],
    actions: ['allow', 'drop'],
  },
  backend_group: { kind: 'OBJECT', stage: 'service-lb', keys: ID },
  acl: {
    kind: 'ENTRY',
    stage: 'policy',
    prioritized: true,
    keys: [
      ['stage', 'EXACT'],
      ['endpointId', 'OPTIONAL'],
      ['srcPrefix', 'PREFIX'],
      ['dstPrefix', 'PREFIX'],
      ['protocol', 'OPTIONAL'],
      ['srcPorts', 'RANGE'],
      ['dstPorts', 'RANGE'],
      ['icmpType', 'OPTIONAL'],
      ['icmpCode', 'OPTIONAL'],
      ['priority', undefined],
    ],
  },
  snat: {
    kind: 'ENTRY',
    stage: 'nat',
    prioritized: true,
    keys: [['vrf', 'EXACT'], ['srcPrefix', 'PREFIX'], ['dstPrefix', 'PREFIX'], ['priority', undefined]],
    actions: ['masquerade', 'snatIp', 'none'],
  },
  ct_zone: { kind: 'OBJECT', stage: 'conntrack', keys: [['zone', 'EXACT']], deviceOwned: true },
  policer: { kind: 'OBJECT', stage: 'qos', keys: ID },
  policer_binding: { kind: 'ENTRY', stage: 'qos', keys: [['portId', 'EXACT'], ['endpointId', 'EXACT'], ['direction', 'EXACT']] },
  shaper: { kind: 'ENTRY', stage: 'qos', keys: [['portId', 'EXACT'], ['queue', 'EXACT']] },
  ipsec_sa: { kind: 'OBJECT', stage: 'crypto', keys: ID },
  ipsec_spd: {
    kind: 'ENTRY',
    stage: 'crypto',
    prioritized: true,
    keys: [['direction', 'EXACT'], ['srcPrefix', 'PREFIX'], ['dstPrefix', 'PREFIX'], ['protocol', 'OPTIONAL'], ['priority', undefined]],
  },
  tls_session: {
    kind: 'ENTRY',
    stage: 'crypto',
    keys: [['vrf', 'EXACT'], ['localIp', 'EXACT'], ['localPort', 'EXACT'], ['remoteIp', 'EXACT'], ['remotePort', 'EXACT']],
  },
  flow_log: { kind: 'SINGLETON', stage: 'telemetry', keys: [] },
};

const snake = (camel: string) => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function allTypes(ns: protobuf.NamespaceBase): protobuf.Type[] {
  const out: protobuf.Type[] = [];
  for (const n of ns.nestedArray) {
    if (n instanceof protobuf.Type) out.push(n);
    if (n instanceof protobuf.Type || n instanceof protobuf.Namespace) out.push(...allTypes(n));
  }
  return out;
}

describe('hal/schema', () => {
  const catalog = tableCatalog();

  it('has the 21 tables of TableEntry, in TableEntry order', () => {
    const members = halType('TableEntry').oneofs.entry.fieldsArray.map((f) => f.name);
    expect(members).to.have.length(21);
    expect([...catalog.keys()]).to.deep.equal(members);
    expect(tableNames()).to.deep.equal(Object.keys(EXPECTED));
  });

  for (const [name, want] of Object.entries(EXPECTED)) {
    it(`${name}: kind, stage, flags, key fields and match kinds`, () => {
      const table = tableByName(name)!;
      expect(table, name).to.not.equal(undefined);
      expect(catalog.get(memberOf(name))).to.equal(table);
      expect(table.name).to.equal(name);
      expect(table.kind).to.equal(want.kind);
      expect(table.stage).to.equal(want.stage);
      expect(table.prioritized).to.equal(want.prioritized ?? false);
      expect(table.deviceOwnedRows).to.equal(want.deviceOwned ?? false);
      expect(table.keyFields.map((f) => [f.name, f.match])).to.deep.equal(want.keys);
      expect(table.actions).to.deep.equal(want.actions ?? []);
      expect(table.actionOneof).to.equal(want.actions ? 'action' : undefined);
    });
  }

  it('every table\'s (table).name equals its TableEntry member in snake_case', () => {
    for (const [member, table] of catalog) {
      expect(table.name, member).to.equal(snake(member));
      expect(table.type.options?.['(table).name']).to.equal(snake(member));
      expect(memberOf(table.name)).to.equal(member);
    }
  });

  it('every (ref) in the package names an OBJECT table', () => {
    let refs = 0;
    for (const type of allTypes(halRoot().lookup(HAL_PACKAGE) as protobuf.Namespace)) {
      for (const fs of fieldsOf(type)) {
        if (fs.ref === undefined) continue;
        refs++;
        const target = tableByName(fs.ref);
        expect(target, `${type.name}.${fs.name} -> ${fs.ref}`).to.not.equal(undefined);
        expect(target!.kind, `${type.name}.${fs.name} -> ${fs.ref}`).to.equal('OBJECT');
      }
    }
    expect(refs).to.be.greaterThan(10);
  });

  it('OBJECT tables have one EXACT key; SINGLETON tables none; ENTRY tables at least one', () => {
    for (const table of catalog.values()) {
      if (table.kind === 'OBJECT') expect(table.keyFields.map((f) => f.match), table.name).to.deep.equal(['EXACT']);
      else if (table.kind === 'SINGLETON') expect(table.keyFields, table.name).to.deep.equal([]);
      else expect(table.keyFields.length, table.name).to.be.greaterThan(0);
    }
  });

  it('prioritized tables include a required priority in their key fields; others have no priority field', () => {
    for (const table of catalog.values()) {
      const priority = table.keyFields.find((f) => f.name === 'priority');
      if (table.prioritized) {
        expect(priority, table.name).to.not.equal(undefined);
        expect(priority!.format).to.equal('PRIORITY');
        expect(priority!.required).to.equal(true);
        expect(table.keyFields[table.keyFields.length - 1].name).to.equal('priority');
      } else {
        expect(fieldsOf(table.type).some((f) => f.name === 'priority'), table.name).to.equal(false);
      }
    }
  });

  it('at most one LPM key per table, and LPM tables are not prioritized', () => {
    for (const table of catalog.values()) {
      const lpm = table.keyFields.filter((f) => f.match === 'LPM');
      expect(lpm.length, table.name).to.be.at.most(1);
      if (lpm.length) expect(table.prioritized, table.name).to.equal(false);
    }
  });

  it('field schemas carry format, required, write-only, bounds and presence', () => {
    const sa = fieldsOf(halType('IpsecSaEntry'));
    const byName = (n: string) => sa.find((f) => f.name === n)!;
    expect(byName('key')).to.include({ format: 'KEY_MATERIAL', writeOnly: true, required: false });
    expect(byName('salt').writeOnly).to.equal(true);
    expect(byName('spi')).to.include({ format: 'SPI', required: true, writeOnly: false });
    expect(byName('replayWindow').max).to.equal(4096);
    const mtu = fieldsOf(halType('PortEntry')).find((f) => f.name === 'mtu')!;
    expect(mtu.min).to.equal(68);
    expect(mtu.max).to.equal(16384);
    const acl = fieldsOf(halType('AclEntry'));
    expect(acl.find((f) => f.name === 'protocol')!.explicitPresence).to.equal(true);
    expect(acl.find((f) => f.name === 'protocol')!.oneof).to.equal(undefined);
    expect(acl.find((f) => f.name === 'stage')!.explicitPresence).to.equal(false);
    const route = fieldsOf(halType('RouteEntry'));
    expect(route.find((f) => f.name === 'nexthopId')).to.include({ oneof: 'action', ref: 'nexthop', format: 'ID' });
    expect(route.map((f) => f.field.id)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    const tls = fieldsOf(halType('TlsDirectionKeys'));
    expect(tls.filter((f) => f.writeOnly).map((f) => f.name)).to.deep.equal(['key', 'iv']);
  });

  describe('keyString', () => {
    const decode = (member: string, body: unknown): Record<string, unknown> => {
      const table = catalog.get(member)!;
      const r = halCodec(table.type.name).decode(body);
      if (r._tag === 'Left') throw new Error(`bad fixture: ${JSON.stringify(body)}`);
      return r.right as Record<string, unknown>;
    };
    const key = (member: string, body: unknown) => keyString(catalog.get(member)! as TableSchema, decode(member, body));

    it('equal keys give equal strings whatever the non-key fields and the input order', () => {
      expect(key('route', { prefix: '10.0.0.0/8', nexthopId: 'a' })).to.equal(key('route', { drop: {}, prefix: '10.0.0.0/8', vrf: 0 }));
      expect(key('acl', { stage: 'ACL_INGRESS', priority: 10, srcPorts: { lo: 1, hi: 2 }, protocol: 6, action: 'ACL_DENY' })).to.equal(
        key('acl', { srcPorts: { hi: 2, lo: 1 }, protocol: 6, priority: 10, stage: 'ACL_INGRESS', log: true }),
      );
      expect(key('endpoint', { ip: '10.0.0.1', portId: 'p1', mac: '00:00:00:00:00:01', endpointId: 'e1' })).to.equal(
        key('endpoint', { ip: '10.0.0.1', portId: 'p2', mac: '00:00:00:00:00:02', endpointId: 'e2', isolatedIngress: true }),
      );
      expect(key('flowLog', { recordAllowed: true })).to.equal(key('flowLog', {}));
    });

    it('different keys give different strings', () => {
      const base = key('route', { prefix: '10.0.0.0/8', drop: {} });
      expect(key('route', { prefix: '10.0.0.0/9', drop: {} })).to.not.equal(base);
      expect(key('route', { vrf: 1, prefix: '10.0.0.0/8', drop: {} })).to.not.equal(base);
      const acl = { stage: 'ACL_INGRESS', priority: 10 };
      const k = key('acl', acl);
      expect(key('acl', { ...acl, priority: 11 })).to.not.equal(k);
      expect(key('acl', { ...acl, stage: 'ACL_EGRESS' })).to.not.equal(k);
      // proto3 optional: an absent protocol (any) differs from protocol 0 (HOPOPT).
      expect(key('acl', { ...acl, protocol: 0 })).to.not.equal(k);
      expect(key('acl', { ...acl, protocol: 6 })).to.not.equal(key('acl', { ...acl, protocol: 17 }));
      expect(key('acl', { ...acl, protocol: 6, dstPorts: { lo: 1, hi: 2 } })).to.not.equal(key('acl', { ...acl, protocol: 6, dstPorts: { lo: 1, hi: 3 } }));
      expect(key('policerBinding', { portId: 'p1', direction: 'INGRESS', policerId: 'x' })).to.not.equal(
        key('policerBinding', { endpointId: 'p1', direction: 'INGRESS', policerId: 'x' }),
      );
    });

    it('is the JSON list of key values in field order, null for absent', () => {
      expect(key('route', { prefix: '10.0.0.0/8', drop: {} })).to.equal('[null,"10.0.0.0/8"]');
      expect(key('nexthop', { id: 'nh1', tunnelId: 't' })).to.equal('["nh1"]');
      expect(key('flowLog', {})).to.equal('[]');
    });
  });

  it('io-ts is the codec library (sanity: halCodec returns an io-ts Type)', () => {
    expect(halCodec('RouteEntry')).to.be.instanceOf(t.Type);
  });
});
