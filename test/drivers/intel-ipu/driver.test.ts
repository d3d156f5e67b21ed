// The intel-ipu driver through the HAL interface only, against its embedded
// target over gRPC + mTLS: translation checked against hand-written P4
// entities, reads reverse-translated from the device agreeing with the
// reference driver, packets, refusals that change nothing.
import { expect } from 'chai';
import { IntelIpuDriver } from '../../../src/drivers/intel-ipu/index.js';
import { P4RuntimeClient } from '../../../src/drivers/intel-ipu/p4rt/client.js';
import type { TableEntry as P4Entry } from '../../../src/drivers/intel-ipu/p4rt/messages.js';
import { TABLES } from '../../../src/drivers/intel-ipu/program/program.js';
import { devPki } from '../../../src/drivers/intel-ipu/tls.js';
import { ReferenceDriver } from '../../../src/drivers/reference/index.js';
import type { Hal, TableEntry, Update, UpdateStatus } from '../../../src/hal/index.js';
import { buildFrame, parsePacket } from '../../../src/sim/packet/index.js';
import { ip4, refusal, te } from './target-fixtures.js';

type E = Record<string, unknown>;
const ins = (table: string, body: E): Update => ({ type: 'INSERT', entry: { [table]: body } as TableEntry });
const mod = (table: string, body: E): Update => ({ type: 'MODIFY', entry: { [table]: body } as TableEntry });
const del = (table: string, body: E): Update => ({ type: 'DELETE', entry: { [table]: body } as TableEntry });

/** A small pod network: two endpoints, a gateway neighbor, a next hop, ECMP, routes, ACLs. */
const TOPOLOGY: Update[] = [
  mod('port', { id: 'uplink0', adminUp: true, vrf: 0, mtu: 9000 }),
  ins('endpoint', { ip: '10.0.0.2', portId: 'host0', mac: '0a:00:00:00:00:02', endpointId: 'ns/a' }),
  ins('endpoint', { ip: '10.0.0.3', portId: 'host1', mac: '0a:00:00:00:00:03', endpointId: 'ns/b', isolatedIngress: true }),
  ins('neighbor', { ip: '192.168.0.1', mac: '0b:00:00:00:00:01' }),
  ins('nexthop', { id: 'gw', port: { portId: 'uplink0', ip: '192.168.0.1' } }),
  ins('nexthop', { id: 'gw2', port: { portId: 'uplink1', dmac: '0b:00:00:00:00:02' } }),
  ins('ecmpGroup', { id: 'up', members: [{ nexthopId: 'gw' }, { nexthopId: 'gw2', weight: 3 }] }),
  ins('route', { prefix: '0.0.0.0/0', nexthopId: 'gw' }),
  ins('route', { prefix: '20.0.0.0/8', ecmpGroupId: 'up' }),
  ins('route', { prefix: '30.0.0.0/8', drop: {} }),
  ins('acl', { stage: 'ACL_INGRESS', endpointId: 'ns/b', srcPrefix: '10.0.0.0/24', protocol: 6, dstPorts: { lo: 80, hi: 80 }, priority: 100, policyRef: 'ns/allow-web' }),
  ins('acl', { stage: 'ACL_EGRESS', dstPrefix: '0.0.0.0/0', protocol: 17, dstPorts: { hi: 65535 }, priority: 5, action: 'ACL_DENY', log: true }),
];

const portMac = (n: number) => `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`;

async function statusesOf(p: Promise<unknown>): Promise<UpdateStatus[]> {
  return (await refusal(p)).updates ?? [];
}

describe('intel-ipu driver', () => {
  let hal: IntelIpuDriver;
  beforeEach(async () => {
    hal = await IntelIpuDriver.connect({});
  });
  afterEach(async () => {
    await hal.close();
  });

  /** A second P4Runtime controller (backup) that reads what the driver wrote. */
  async function p4read(table: keyof typeof TABLES): Promise<P4Entry[]> {
    const pki = devPki();
    const addr = hal.target!.address;
    const c = new P4RuntimeClient({ address: addr, tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, serverName: 'localhost' }, deviceId: 1n });
    try {
      return (await c.read([{ tableEntry: { tableId: TABLES[table].id } }])).map((e) => e.tableEntry!);
    } finally {
      c.close();
    }
  }
  const norm = (es: P4Entry[]) => es.map((e) => JSON.stringify({ ...e, metadata: undefined, action: { ...e.action, type: undefined }, match: e.match?.map((m) => ({ ...m, fieldMatchType: undefined })) }, (_k, v) => (v instanceof Uint8Array || (v && v.type === 'Buffer') ? [...Buffer.from(v.data ?? v)] : Array.isArray(v) && v.length === 0 ? undefined : v))).sort();

  it('writes the P4 entities a hand translation expects', async () => {
    await hal.write({ updates: TOPOLOGY });
    // Pointers are allocated from 1 in order of first use: gw=1, gw2=2; group up=1; tags ns/a=1, ns/b=2.
    const expected: Partial<Record<keyof typeof TABLES, P4Entry[]>> = {
      port_config: [te('port_config', { port: 1 }, 'set_port_config', { vrf: 0, admin_up: 1, mtu: 9000 })],
      ipv4_to_port: [
        te('ipv4_to_port', { vrf: 0, dst_addr: ip4('10.0.0.2') }, 'to_endpoint', { port: 3, dmac: 0x0a0000000002n, ep_tag: 1 }),
        te('ipv4_to_port', { vrf: 0, dst_addr: ip4('10.0.0.3') }, 'to_endpoint', { port: 4, dmac: 0x0a0000000003n, ep_tag: 2, isolated_ingress: 1 }),
      ],
      ipv4_src_endpoint: [
        te('ipv4_src_endpoint', { vrf: 0, src_addr: ip4('10.0.0.2') }, 'set_src_endpoint', { ep_tag: 1 }),
        te('ipv4_src_endpoint', { vrf: 0, src_addr: ip4('10.0.0.3') }, 'set_src_endpoint', { ep_tag: 2 }),
      ],
      neighbor: [te('neighbor', { vrf: 0, ip: ip4('192.168.0.1') }, 'set_neighbor_mac', { dmac: 0x0b0000000001n })],
      nexthop: [
        te('nexthop', { nexthop_id: 1 }, 'nh_neighbor', { port: 1, neighbor_ip: ip4('192.168.0.1') }),
        te('nexthop', { nexthop_id: 2 }, 'nh_fixed_mac', { port: 2, dmac: 0x0b0000000002n, neighbor_ip: 0 }),
      ],
      ecmp_group: [te('ecmp_group', { group_id: 1 }, { set: [{ action: 'set_ecmp_member', params: { nexthop_id: 1 }, weight: 1 }, { action: 'set_ecmp_member', params: { nexthop_id: 2 }, weight: 3 }] })],
      ipv4_route: [
        te('ipv4_route', { vrf: 0 }, 'route_to_nexthop', { nexthop_id: 1 }),
        te('ipv4_route', { vrf: 0, dst_addr: { value: ip4('20.0.0.0'), prefixLen: 8 } }, 'route_to_ecmp', { group_id: 1 }),
        te('ipv4_route', { vrf: 0, dst_addr: { value: ip4('30.0.0.0'), prefixLen: 8 } }, 'route_drop'),
      ],
      acl: [
        // A present prefix names its family (ip version), a present port range needs ports (port valid).
        te('acl', { stage: 1, ep_tag: { optional: 2 }, src_addr: { value: ip4('10.0.0.0'), mask: 0xffffff00 }, protocol: { optional: 6 }, dst_port: { low: 80, high: 80 }, src_ip_version: { optional: 4 }, dst_port_valid: { optional: 1 } }, 'acl_allow', {}, 100),
        te('acl', { stage: 2, protocol: { optional: 17 }, dst_ip_version: { optional: 4 }, dst_port_valid: { optional: 1 } }, 'acl_deny', {}, 5),
      ],
    };
    for (const [table, want] of Object.entries(expected)) {
      expect(norm(await p4read(table as keyof typeof TABLES)), table).to.deep.equal(norm(want));
    }
  });

  it('reads back from the device what the reference driver reads for the same writes', async () => {
    const ref = new ReferenceDriver({});
    await ref.write({ updates: TOPOLOGY });
    const res = await hal.write({ updates: TOPOLOGY });
    // The write's digest (intent cache) equals the one recomputed from a device read.
    expect(res.digest).to.equal((await hal.getState()).digest);
    const tables = ['port', 'endpoint', 'neighbor', 'nexthop', 'ecmp_group', 'route', 'acl'];
    expect(await hal.read({ tables })).to.deep.equal(await ref.read({ tables }));
    expect(await hal.read({ tables: ['route'], filters: [{ field: 'prefix', equals: '20.0.0.0/8' }] })).to.have.length(1);
    // A fresh session on the same device rebuilds its cache and pointers from the device.
    const state = await hal.getState();
    expect(state.usage?.route).to.equal(3);
  });

  it('forwards packets as programmed (through the target test port)', async () => {
    await hal.write({ updates: TOPOLOGY });
    const frame = (dst: string, dport = 80, inPort = 'host0', inMac = portMac(3), src = '10.0.0.2') =>
      hal.inject({ portId: inPort, frame: buildFrame({ eth: { src: '0a:00:00:00:00:02', dst: inMac }, ipv4: { src, dst }, tcp: { sport: 1234, dport } }) });
    const out = await frame('8.8.8.8');
    expect(out.disposition).to.equal('FORWARDED');
    expect(out.emitted?.[0].portId).to.equal('uplink0');
    const p = parsePacket(out.emitted![0].frame!);
    expect(p.ok && p.pkt.eth.dst).to.equal('0b:00:00:00:00:01');
    expect((await frame('10.0.0.3')).disposition).to.equal('FORWARDED');
    expect((await frame('10.0.0.3', 443)).dropReason).to.equal('default-deny-ingress');
    expect((await frame('30.1.1.1')).dropReason).to.equal('route-drop');
    const counted = await hal.read({ tables: ['acl'], includeCounters: true });
    expect(counted.map((r) => r.counters?.packets)).to.include(1);
    expect((await hal.getCounters()).drops?.['default-deny-ingress']).to.equal(1);
  });

  it('refuses what the program cannot carry, changing nothing', async () => {
    await hal.write({ updates: TOPOLOGY });
    const before = await hal.getState();
    const st = await statusesOf(
      hal.write({
        updates: [
          ins('service', { vip: 'fd00::10', protocol: 6, port: 80, drop: {} }),
          ins('acl', { stage: 'ACL_INGRESS', priority: 7, action: 'ACL_REJECT' }),
          ins('ctZone', { zone: 5 }),
          ins('route', { prefix: '40.0.0.0/8', nexthopId: 'missing' }),
          del('nexthop', { id: 'gw' }),
        ],
      }),
    );
    expect(st.map((s) => [s.code, s.reason])).to.deep.equal([
      ['UNIMPLEMENTED', 'FEATURE_UNSUPPORTED'],
      ['UNIMPLEMENTED', 'ACTION_UNSUPPORTED'],
      ['UNIMPLEMENTED', 'TABLE_UNSUPPORTED'],
      ['NOT_FOUND', 'REFERENCE_MISSING'],
      ['FAILED_PRECONDITION', 'OBJECT_IN_USE'],
    ]);
    expect(st[0].fieldPath).to.equal('updates[0].entry.service.vip');
    const after = await hal.getState();
    expect(after.digest).to.equal(before.digest);
    expect(after.generation).to.equal(before.generation);
  });

  it('maps device-side refusals (range checkers) and rolls atomic batches back on the device', async () => {
    const acls = Array.from({ length: 65 }, (_, i) => ins('acl', { stage: 'ACL_INGRESS', protocol: 6, dstPorts: { lo: 1000 + i, hi: 5000 }, priority: i + 1 }));
    const st = await statusesOf(hal.write({ updates: acls }));
    expect(st.slice(0, 64).every((s) => s.code === 'OK')).to.equal(true);
    expect([st[64].code, st[64].reason]).to.deep.equal(['RESOURCE_EXHAUSTED', 'TABLE_FULL']);
    expect(await hal.read({ tables: ['acl'] })).to.have.length(64);
    const before = await hal.getState();
    const atomic = await statusesOf(
      hal.write({ atomicity: 'ROLLBACK_ON_ERROR', updates: [ins('nexthop', { id: 'n1', port: { portId: 'host0' } }), ins('acl', { stage: 'ACL_EGRESS', protocol: 6, dstPorts: { lo: 1, hi: 2 }, priority: 999 })] }),
    );
    expect(atomic.map((s) => s.code)).to.deep.equal(['ABORTED', 'RESOURCE_EXHAUSTED']);
    expect((await hal.getState()).digest).to.equal(before.digest);
    expect(await p4read('nexthop')).to.have.length(0);
  });

  it('a MODIFY and a DELETE reach the device, and pointers are reused', async () => {
    await hal.write({ updates: TOPOLOGY });
    await hal.write({ updates: [mod('nexthop', { id: 'gw', port: { portId: 'uplink1' } }), del('route', { prefix: '30.0.0.0/8' })] });
    const nh = (await hal.read({ tables: ['nexthop'] })).map((r) => r.entry?.nexthop);
    expect(nh).to.deep.include({ id: 'gw', port: { portId: 'uplink1' } });
    expect(await p4read('ipv4_route')).to.have.length(2);
  });
});

describe('intel-ipu driver: sessions', () => {
  it('a second driver session on the same target loses arbitration unless its election id is higher, and then takes over with the state', async () => {
    const first = await IntelIpuDriver.connect({});
    try {
      await first.write({ updates: TOPOLOGY });
      const pki = devPki();
      const addr = first.target!.address;
      const opts = { address: addr, ca: pki.ca.toString(), cert: pki.clientCert.toString(), key: pki.clientKey.toString(), serverName: 'localhost' };
      const lower = await refusal(IntelIpuDriver.connect({ ...opts, electionId: 5 }));
      expect(lower.reason).to.equal('ROLE_FORBIDDEN');
      const second: Hal = await IntelIpuDriver.connect({ ...opts, electionId: 5000 });
      try {
        expect(await second.read({ tables: ['route'] })).to.deep.equal(await first.read({ tables: ['route'] }));
        // The old session is now a backup: its writes are refused by the device.
        const e = await refusal(first.write({ updates: [ins('neighbor', { ip: '1.2.3.4', mac: '0a:00:00:00:00:44' })] }));
        expect(e.reason).to.equal('ROLE_FORBIDDEN');
        // The new session's cache was rebuilt: references to existing objects resolve.
        await second.write({ updates: [ins('route', { prefix: '50.0.0.0/8', ecmpGroupId: 'up' })] });
        expect((await second.getState()).usage?.route).to.equal(4);
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
    }
  });
});
