// HAL services through the intel-ipu driver: the P4 entities it writes for a
// sample of service, backend_group and service_source updates (checked against
// a hand translation, so a translation bug fails here), reads reverse-translated
// from the device equal to the reference driver's, packets, counters, refusals
// that change nothing, and a new session rebuilding the pointers from the device.
import { expect } from 'chai';
import { IntelIpuDriver } from '../../../src/drivers/intel-ipu/index.js';
import { devPki } from '../../../src/drivers/intel-ipu/tls.js';
import { ReferenceDriver } from '../../../src/drivers/reference/index.js';
import type { TableEntry, Update } from '../../../src/hal/index.js';
import { buildFrame, parsePacket, verifyChecksums } from '../../../src/sim/packet/index.js';
import { ip4, refusal, te } from './target-fixtures.js';
import { expectP4 as expectP4Of, p4read as p4entities, type P4Table } from './p4-entities.js';

type E = Record<string, unknown>;
const ins = (table: string, body: E): Update => ({ type: 'INSERT', entry: { [table]: body } as TableEntry });
const mod = (table: string, body: E): Update => ({ type: 'MODIFY', entry: { [table]: body } as TableEntry });
const del = (table: string, body: E): Update => ({ type: 'DELETE', entry: { [table]: body } as TableEntry });

const VIP = '10.96.0.10';
const SERVICES: Update[] = [
  ins('endpoint', { ip: '10.1.0.1', portId: 'host0', mac: '0a:00:00:00:01:01', endpointId: 'ns/b1' }),
  ins('endpoint', { ip: '10.1.0.2', portId: 'host1', mac: '0a:00:00:00:01:02', endpointId: 'ns/b2' }),
  ins('backendGroup', { id: 'web', members: [{ ip: '10.1.0.1', port: 8080, weight: 2 }, { ip: '10.1.0.3', port: 8080, state: 'MEMBER_TERMINATING' }, { ip: '10.1.0.2', port: 8080, weight: 1 }] }),
  ins('backendGroup', { id: 'none', members: [] }),
  ins('service', { vip: VIP, protocol: 6, port: 80, balance: { backendGroupId: 'web' } }),
  ins('service', { vip: VIP, protocol: 17, port: 53, balance: { backendGroupId: 'none', whenEmpty: 'WHEN_EMPTY_DROP', affinityTimeoutS: 30 } }),
  ins('service', { vip: VIP, protocol: 6, port: 443, reject: {} }),
  ins('service', { vrf: 3, vip: VIP, protocol: 6, port: 444, drop: {} }),
  ins('serviceSource', { vip: VIP, protocol: 6, port: 80, source: '198.51.100.0/24', allow: {} }),
  ins('serviceSource', { vip: VIP, protocol: 6, port: 80, source: '198.51.100.0/29', drop: {} }),
];

const portMac = (n: number) => `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`;
const backend = (ptr: number, weight = 1) => ({ action: 'set_backend' as const, params: { dnat_ptr: ptr }, weight });
const svcKey = (protocol: number, port: number, vrf = 0) => ({ vrf, vip: ip4(VIP), protocol, port });

describe('intel-ipu driver: services', () => {
  let hal: IntelIpuDriver;
  beforeEach(async () => {
    hal = await IntelIpuDriver.connect({});
  });
  afterEach(async () => {
    await hal.close();
  });

  const p4read = (table: P4Table) => p4entities(hal, table);
  const expectP4 = (expected: Parameters<typeof expectP4Of>[1]) => expectP4Of(hal, expected);

  it('writes the P4 entities a hand translation expects, and follows a MODIFY and DELETEs', async () => {
    await hal.write({ updates: SERVICES });
    // Group web = 1 → selector groups 2 (active) and 3 (standby); none = 2 → 4 and 5.
    // DNAT pointers in order of first use: web|10.1.0.1 = 1, web|10.1.0.3 = 2, web|10.1.0.2 = 3.
    await expectP4({
      dnat_rewrite: [
        te('dnat_rewrite', { dnat_ptr: 1 }, 'rewrite_dst', { ip: ip4('10.1.0.1'), port: 8080 }),
        te('dnat_rewrite', { dnat_ptr: 2 }, 'rewrite_dst', { ip: ip4('10.1.0.3'), port: 8080 }),
        te('dnat_rewrite', { dnat_ptr: 3 }, 'rewrite_dst', { ip: ip4('10.1.0.2'), port: 8080 }),
      ],
      backend_group: [
        te('backend_group', { group_id: 2 }, { set: [backend(1, 2), backend(3)] }),
        te('backend_group', { group_id: 3 }, { set: [backend(2)] }),
        te('backend_group', { group_id: 4 }, { set: [{ action: 'lb_empty', weight: 1 }] }),
        te('backend_group', { group_id: 5 }, { set: [{ action: 'lb_empty', weight: 1 }] }),
      ],
      service_lb: [
        te('service_lb', svcKey(6, 80), 'svc_balance', { group_id: 2, standby_group_id: 3, empty_drop: 0 }),
        te('service_lb', svcKey(17, 53), 'svc_balance', { group_id: 4, standby_group_id: 5, empty_drop: 1, affinity_s: 30 }),
        te('service_lb', svcKey(6, 443), 'svc_reject'),
        te('service_lb', svcKey(6, 444, 3), 'svc_drop'),
      ],
      // Two ranges for VIP:80 and the key's implicit catch-all (source omitted: deny).
      service_source: [
        te('service_source', { ...svcKey(6, 80), src_addr: { value: ip4('198.51.100.0'), prefixLen: 24 } }, 'src_allow'),
        te('service_source', { ...svcKey(6, 80), src_addr: { value: ip4('198.51.100.0'), prefixLen: 29 } }, 'src_deny'),
        te('service_source', svcKey(6, 80), 'src_deny'),
      ],
    });
    // MODIFY: 10.1.0.3 leaves, 10.1.0.4 joins (a new pointer), 10.1.0.2 becomes terminating (keeps its pointer).
    // A HAL 0.0.0.0/0 source takes the catch-all's place.
    await hal.write({
      updates: [
        mod('backendGroup', { id: 'web', members: [{ ip: '10.1.0.1', port: 8080, weight: 2 }, { ip: '10.1.0.2', port: 8080, state: 'MEMBER_TERMINATING' }, { ip: '10.1.0.4', port: 8080 }] }),
        ins('serviceSource', { vip: VIP, protocol: 6, port: 80, source: '0.0.0.0/0', allow: {} }),
      ],
    });
    await expectP4({
      dnat_rewrite: [
        te('dnat_rewrite', { dnat_ptr: 1 }, 'rewrite_dst', { ip: ip4('10.1.0.1'), port: 8080 }),
        te('dnat_rewrite', { dnat_ptr: 3 }, 'rewrite_dst', { ip: ip4('10.1.0.2'), port: 8080 }),
        te('dnat_rewrite', { dnat_ptr: 4 }, 'rewrite_dst', { ip: ip4('10.1.0.4'), port: 8080 }),
      ],
      backend_group: [
        te('backend_group', { group_id: 2 }, { set: [backend(1, 2), backend(4)] }),
        te('backend_group', { group_id: 3 }, { set: [backend(3)] }),
        te('backend_group', { group_id: 4 }, { set: [{ action: 'lb_empty', weight: 1 }] }),
        te('backend_group', { group_id: 5 }, { set: [{ action: 'lb_empty', weight: 1 }] }),
      ],
      service_source: [
        te('service_source', { ...svcKey(6, 80), src_addr: { value: ip4('198.51.100.0'), prefixLen: 24 } }, 'src_allow'),
        te('service_source', { ...svcKey(6, 80), src_addr: { value: ip4('198.51.100.0'), prefixLen: 29 } }, 'src_deny'),
        te('service_source', svcKey(6, 80), 'src_allow'),
      ],
    });
    // Removing the /0 brings the catch-all back; removing the others removes it.
    await hal.write({ updates: [del('serviceSource', { vip: VIP, protocol: 6, port: 80, source: '0.0.0.0/0' })] });
    await expectP4({ service_source: [
      te('service_source', { ...svcKey(6, 80), src_addr: { value: ip4('198.51.100.0'), prefixLen: 24 } }, 'src_allow'),
      te('service_source', { ...svcKey(6, 80), src_addr: { value: ip4('198.51.100.0'), prefixLen: 29 } }, 'src_deny'),
      te('service_source', svcKey(6, 80), 'src_deny'),
    ] });
    await hal.write({
      updates: [
        del('serviceSource', { vip: VIP, protocol: 6, port: 80, source: '198.51.100.0/24' }),
        del('serviceSource', { vip: VIP, protocol: 6, port: 80, source: '198.51.100.0/29' }),
        del('service', { vip: VIP, protocol: 6, port: 80 }),
        del('backendGroup', { id: 'web' }),
      ],
    });
    await expectP4({ service_source: [], dnat_rewrite: [], backend_group: [te('backend_group', { group_id: 4 }, { set: [{ action: 'lb_empty', weight: 1 }] }), te('backend_group', { group_id: 5 }, { set: [{ action: 'lb_empty', weight: 1 }] })] });
  });

  it('reads back from the device what the reference driver reads; a new session rebuilds its pointers from the device', async () => {
    const ref = new ReferenceDriver({});
    await ref.write({ updates: SERVICES });
    const res = await hal.write({ updates: SERVICES });
    expect(res.digest).to.equal((await hal.getState()).digest);
    const tables = ['service', 'service_source', 'backend_group'];
    expect(await hal.read({ tables })).to.deep.equal(await ref.read({ tables }));
    const pki = devPki();
    const second = await IntelIpuDriver.connect({ address: hal.target!.address, ca: pki.ca.toString(), cert: pki.clientCert.toString(), key: pki.clientKey.toString(), serverName: 'localhost', electionId: 5000 });
    try {
      expect(await second.read({ tables })).to.deep.equal(await ref.read({ tables }));
      // Its pointers came from the device: a new service on group web reuses selector groups 2/3, a new member gets a fresh DNAT pointer.
      await second.write({ updates: [ins('service', { vip: VIP, protocol: 6, port: 8080, balance: { backendGroupId: 'web' } }), mod('backendGroup', { id: 'none', members: [{ ip: '10.1.0.9', port: 53 }] })] });
      const lb = (await p4read('service_lb')).find((e) => Buffer.from(e.match![3].exact!.value!).readUIntBE(0, e.match![3].exact!.value!.length) === 8080);
      expect(Buffer.from(lb!.action!.action!.params![0].value!)).to.deep.equal(Buffer.from([2]));
      expect((await p4read('dnat_rewrite')).map((e) => Buffer.from(e.match![0].exact!.value!)[0]).sort()).to.deep.equal([1, 2, 3, 4]);
    } finally {
      await second.close();
    }
  });

  it('balances, rejects and drops packets as programmed, with per-entry counters', async () => {
    await hal.write({ updates: SERVICES });
    const send = (src: string, dport: number, proto: 'tcp' | 'udp' = 'tcp', sport = 40000) =>
      hal.inject({ portId: 'uplink0', frame: buildFrame({ eth: { src: '0b:00:00:00:00:01', dst: portMac(1) }, ipv4: { src, dst: VIP }, ...(proto === 'tcp' ? { tcp: { sport, dport, flags: 'S' } } : { udp: { sport, dport } }) }) });
    // 198.51.100.9: allowed by the /24, outside the /29 deny; DNATed to an active backend (never the terminating 10.1.0.3).
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const r = await send('198.51.100.9', 80, 'tcp', 41000 + i);
      expect(r.disposition, JSON.stringify(r.trace)).to.equal('FORWARDED');
      const p = parsePacket(r.emitted![0].frame!);
      if (!p.ok || p.pkt.l3?.kind !== 'ipv4' || p.pkt.l4?.kind !== 'tcp') throw new Error('not TCP');
      expect(p.pkt.l4.dstPort).to.equal(8080);
      expect(verifyChecksums(r.emitted![0].frame!)).to.deep.equal([]);
      seen.add(p.pkt.l3.dst);
    }
    expect([...seen].sort()).to.deep.equal(['10.1.0.1', '10.1.0.2']);
    expect((await send('198.51.100.3', 80)).dropReason).to.equal('service-source-denied');
    expect((await send('203.0.113.1', 80)).dropReason).to.equal('service-source-denied');
    const rst = await send('198.51.100.9', 443);
    expect([rst.disposition, rst.dropReason, rst.emitted?.[0]?.portId]).to.deep.equal(['REJECTED', 'service-reject', 'uplink0']);
    const rp = parsePacket(rst.emitted![0].frame!);
    expect(rp.ok && rp.pkt.l4?.kind === 'tcp' && rp.pkt.l4.flags.rst).to.equal(true);
    expect(rp.ok && rp.pkt.eth.src).to.equal(portMac(1));
    expect((await send('198.51.100.9', 53, 'udp')).dropReason).to.equal('service-no-endpoints');
    const counted = await hal.read({ tables: ['service'], includeCounters: true });
    const byPort = new Map(counted.map((r) => [(r.entry as { service: { port?: number; protocol: number } }).service.port, Number(r.counters?.packets)]));
    expect([byPort.get(80), byPort.get(443), byPort.get(53)]).to.deep.equal([14, 1, 1]);
    const groups = await hal.read({ tables: ['backend_group'], includeCounters: true });
    expect(groups.map((r) => Number(r.counters?.packets)).sort()).to.deep.equal([0, 12]);
  });

  it('client-IP affinity: a client keeps its backend across new connections until affinityTimeoutS after its last one (virtual time)', async () => {
    await hal.write({
      updates: [
        ...SERVICES,
        ins('endpoint', { ip: '10.1.0.5', portId: 'host2', mac: '0a:00:00:00:01:05', endpointId: 'ns/b5' }),
        ins('backendGroup', { id: 'aff', members: ['10.1.0.1', '10.1.0.2', '10.1.0.5'].map((ip) => ({ ip, port: 9000 })) }),
        ins('service', { vip: VIP, protocol: 6, port: 8000, balance: { backendGroupId: 'aff', affinityTimeoutS: 10 } }),
      ],
    });
    const S = 1_000_000_000;
    const to = async (client: string, sport: number) => {
      const r = await hal.inject({ portId: 'uplink0', frame: buildFrame({ eth: { src: '0b:00:00:00:00:01', dst: portMac(1) }, ipv4: { src: client, dst: VIP }, tcp: { sport, dport: 8000, flags: 'S' } }) });
      const p = parsePacket(r.emitted?.[0]?.frame ?? new Uint8Array());
      return p.ok && p.pkt.l3?.kind === 'ipv4' ? p.pkt.l3.dst : `${r.disposition}/${r.dropReason}`;
    };
    const clients = Array.from({ length: 12 }, (_, i) => `198.51.100.${100 + i}`);
    const first = new Map<string, string>();
    for (const cl of clients) {
      first.set(cl, await to(cl, 1000));
      await hal.advance(5 * S);
      // A new connection 5 s later (another source port: not pinned) keeps the backend and restarts the time.
      expect(await to(cl, 2000), `${cl} second connection`).to.equal(first.get(cl));
    }
    expect(new Set(first.values()).size, 'clients spread over the backends').to.be.greaterThan(1);
    // Client i last connected at 5i + 5 s; at 60 s only clients 10 and 11 are within their 10 s.
    expect(await p4read('service_affinity')).to.have.length(2);
    await hal.advance(11 * S);
    // Lapsed: a read no longer shows them, and new connections are hashed again.
    expect(await p4read('service_affinity')).to.have.length(0);
    let moved = 0;
    for (const [i, cl] of clients.entries()) if ((await to(cl, 3000 + i * 7)) !== first.get(cl)) moved++;
    expect(moved, 'some client changed backend after its affinity lapsed').to.be.greaterThan(0);
  });

  it('refuses what the program cannot carry and what the state forbids, changing nothing', async () => {
    await hal.write({ updates: SERVICES });
    const before = await hal.getState();
    const big = Array.from({ length: 129 }, (_, i) => ({ ip: `10.2.${i >> 8}.${i & 255}`, port: 80 }));
    const e = await refusal(
      hal.write({
        updates: [
          ins('service', { vip: 'fd00::10', protocol: 6, port: 80, drop: {} }),
          ins('backendGroup', { id: 'v6', members: [{ ip: 'fd00::1', port: 80 }] }),
          ins('backendGroup', { id: 'big', members: big }),
          del('backendGroup', { id: 'web' }),
          ins('service', { vip: VIP, protocol: 6, port: 81, balance: { backendGroupId: 'missing' } }),
          // Not stored and ignored: the program has no SNAT.
          ins('service', { vip: VIP, protocol: 6, port: 83, balance: { backendGroupId: 'web', snatMode: 'SNAT_MASQUERADE' } }),
          ins('service', { vip: VIP, protocol: 6, port: 84, balance: { backendGroupId: 'web', snatMode: 'SNAT_HAIRPIN' } }),
        ],
      }),
    );
    expect(e.updates!.map((s) => [s.code, s.reason, s.fieldPath])).to.deep.equal([
      ['UNIMPLEMENTED', 'FEATURE_UNSUPPORTED', 'updates[0].entry.service.vip'],
      ['UNIMPLEMENTED', 'FEATURE_UNSUPPORTED', 'updates[1].entry.backendGroup.members.ip'],
      ['RESOURCE_EXHAUSTED', 'GROUP_TOO_LARGE', 'updates[2].entry.backendGroup.members'],
      ['FAILED_PRECONDITION', 'OBJECT_IN_USE', 'updates[3].entry.backendGroup'],
      ['NOT_FOUND', 'REFERENCE_MISSING', 'updates[4].entry.service.balance.backendGroupId'],
      ['UNIMPLEMENTED', 'FEATURE_UNSUPPORTED', 'updates[5].entry.service.balance.snatMode'],
      ['UNIMPLEMENTED', 'FEATURE_UNSUPPORTED', 'updates[6].entry.service.balance.snatMode'],
    ]);
    const after = await hal.getState();
    expect([after.digest, after.generation]).to.deep.equal([before.digest, before.generation]);
    expect(await p4read('dnat_rewrite')).to.have.length(3);
  });
});
