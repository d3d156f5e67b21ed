// Referential integrity: missing references are refused at their exact field
// path; referenced objects cannot be deleted (no cascade) until the referrer goes.
import { expect } from 'chai';
import { PREREQ, del, expectUnchanged, expectUpdateError, ins, mod, newDevice, readTable, snapshot, write, type Entry } from './fixtures.js';

const MISSING = (path: string) => ({ code: 'NOT_FOUND', reason: 'REFERENCE_MISSING', fieldPath: `updates[0].entry.${path}` });
const IN_USE = (member: string) => ({ code: 'FAILED_PRECONDITION', reason: 'OBJECT_IN_USE', fieldPath: `updates[0].entry.${member}` });

interface RefCase {
  name: string;
  /** Objects present before the insert. */
  present: Entry[];
  entry: Entry;
  path: string;
}

const REF_CASES: RefCase[] = [
  { name: 'route → nexthop', present: [], entry: { route: { prefix: '10.0.0.0/8', nexthopId: 'nh-x' } }, path: 'route.nexthopId' },
  { name: 'route → ecmp_group', present: [], entry: { route: { prefix: '10.0.0.0/8', ecmpGroupId: 'g-x' } }, path: 'route.ecmpGroupId' },
  {
    name: 'ecmp_group member 1 → nexthop',
    present: [PREREQ.nh1],
    entry: { ecmpGroup: { id: 'g', members: [{ nexthopId: 'nh1' }, { nexthopId: 'nh-x' }, { nexthopId: 'nh-y' }] } },
    path: 'ecmpGroup.members[1].nexthopId',
  },
  { name: 'nexthop → port', present: [], entry: { nexthop: { id: 'n', port: { portId: 'host77' } } }, path: 'nexthop.port.portId' },
  { name: 'nexthop → tunnel', present: [], entry: { nexthop: { id: 'n', tunnelId: 't-x' } }, path: 'nexthop.tunnelId' },
  {
    name: 'tunnel → underlay nexthop',
    present: [],
    entry: { tunnel: { id: 't', type: 'VXLAN', localIp: '192.0.2.1', remoteIp: '192.0.2.2', underlayNexthopId: 'nh-x' } },
    path: 'tunnel.underlayNexthopId',
  },
  { name: 'endpoint → port', present: [], entry: { endpoint: { ip: '10.0.0.1', portId: 'host99', mac: '02:aa:00:00:00:01', endpointId: 'e' } }, path: 'endpoint.portId' },
  {
    name: 'service → backend_group',
    present: [],
    entry: { service: { vip: '10.96.0.1', protocol: 6, port: 443, balance: { backendGroupId: 'bg-x' } } },
    path: 'service.balance.backendGroupId',
  },
  { name: 'policer_binding → policer', present: [], entry: { policerBinding: { portId: 'host0', direction: 'EGRESS', policerId: 'p-x' } }, path: 'policerBinding.policerId' },
  { name: 'policer_binding → port', present: [PREREQ.pol1], entry: { policerBinding: { portId: 'host99', direction: 'EGRESS', policerId: 'pol1' } }, path: 'policerBinding.portId' },
  { name: 'shaper → port', present: [], entry: { shaper: { portId: 'hostX', queue: 1, rateBps: 1, burstBytes: 1, queueLimitBytes: 1 } }, path: 'shaper.portId' },
  { name: 'ipsec_spd → ipsec_sa', present: [], entry: { ipsecSpd: { direction: 'OUTBOUND', priority: 1, action: 'SPD_PROTECT', saId: 'sa-x' } }, path: 'ipsecSpd.saId' },
];

describe('reference driver: referential integrity', () => {
  for (const c of REF_CASES) {
    it(`${c.name}: a missing reference is NOT_FOUND/REFERENCE_MISSING at ${c.path}, state unchanged`, async () => {
      const d = await newDevice();
      if (c.present.length) await write(d.hal, c.present.map(ins));
      const before = await snapshot(d.hal);
      await expectUpdateError(d.hal, ins(c.entry), MISSING(c.path));
      await expectUnchanged(d.hal, before);
    });
  }

  it('port → ct_zone: modifying a port to a missing zone fails at port.ctZone; after inserting the zone it works', async () => {
    const d = await newDevice();
    const before = await snapshot(d.hal);
    await expectUpdateError(d.hal, mod({ port: { id: 'host3', adminUp: true, ctZone: 12 } }), MISSING('port.ctZone'));
    await expectUnchanged(d.hal, before);
    await write(d.hal, [ins({ ctZone: { zone: 12 } }), mod({ port: { id: 'host3', adminUp: true, ctZone: 12 } })]);
    // The zone is now in use by the port.
    await expectUpdateError(d.hal, del({ ctZone: { zone: 12 } }), IN_USE('ctZone'));
    await write(d.hal, [mod({ port: { id: 'host3', adminUp: true } }), del({ ctZone: { zone: 12 } })]);
  });

  it('zone 0 and empty ids are implicit: a port in zone 0 needs no reference', async () => {
    const d = await newDevice();
    await write(d.hal, [mod({ port: { id: 'host3', adminUp: true, ctZone: 0 } })]);
  });

  it('MODIFY to a missing reference is refused and the old entry stays', async () => {
    const d = await newDevice();
    await write(d.hal, [ins(PREREQ.nh1), ins({ route: { prefix: '10.0.0.0/8', nexthopId: 'nh1' } })]);
    const before = await snapshot(d.hal);
    await expectUpdateError(d.hal, mod({ route: { prefix: '10.0.0.0/8', nexthopId: 'nh-x' } }), MISSING('route.nexthopId'));
    await expectUnchanged(d.hal, before);
  });

  interface InUseCase {
    name: string;
    object: Entry;
    objectKey: Entry;
    member: string;
    referrer: Entry;
    referrerKey: Entry;
    extra?: Entry[];
  }
  const IN_USE_CASES: InUseCase[] = [
    { name: 'nexthop used by a route', object: PREREQ.nh1, objectKey: { nexthop: { id: 'nh1' } }, member: 'nexthop', referrer: { route: { prefix: '10.0.0.0/8', nexthopId: 'nh1' } }, referrerKey: { route: { prefix: '10.0.0.0/8' } } },
    { name: 'nexthop used by an ECMP group', object: PREREQ.nh1, objectKey: { nexthop: { id: 'nh1' } }, member: 'nexthop', referrer: { ecmpGroup: { id: 'g', members: [{ nexthopId: 'nh1' }] } }, referrerKey: { ecmpGroup: { id: 'g' } } },
    { name: 'nexthop used by a tunnel', object: PREREQ.nh1, objectKey: { nexthop: { id: 'nh1' } }, member: 'nexthop', referrer: { tunnel: { id: 't', type: 'GENEVE', localIp: '192.0.2.1', remoteIp: '192.0.2.2', underlayNexthopId: 'nh1' } }, referrerKey: { tunnel: { id: 't' } } },
    { name: 'ecmp_group used by a route', object: { ecmpGroup: { id: 'g', members: [] } }, objectKey: { ecmpGroup: { id: 'g' } }, member: 'ecmpGroup', referrer: { route: { prefix: '10.0.0.0/8', ecmpGroupId: 'g' } }, referrerKey: { route: { prefix: '10.0.0.0/8' } } },
    { name: 'backend_group used by a service', object: PREREQ.bg1, objectKey: { backendGroup: { id: 'bg1' } }, member: 'backendGroup', referrer: { service: { vip: '10.96.0.1', protocol: 17, port: 53, balance: { backendGroupId: 'bg1' } } }, referrerKey: { service: { vip: '10.96.0.1', protocol: 17, port: 53 } } },
    { name: 'policer used by a binding', object: PREREQ.pol1, objectKey: { policer: { id: 'pol1' } }, member: 'policer', referrer: { policerBinding: { endpointId: 'ep-a', direction: 'INGRESS', policerId: 'pol1' } }, referrerKey: { policerBinding: { endpointId: 'ep-a', direction: 'INGRESS' } } },
    { name: 'ipsec_sa used by an SPD entry', object: PREREQ.sa1, objectKey: { ipsecSa: { id: 'sa1' } }, member: 'ipsecSa', referrer: { ipsecSpd: { direction: 'OUTBOUND', priority: 5, action: 'SPD_PROTECT', saId: 'sa1' } }, referrerKey: { ipsecSpd: { direction: 'OUTBOUND', priority: 5 } } },
  ];

  for (const c of IN_USE_CASES) {
    it(`${c.name}: delete is FAILED_PRECONDITION/OBJECT_IN_USE, no cascade; possible once the referrer is gone`, async () => {
      const d = await newDevice();
      await write(d.hal, [ins(c.object), ins(c.referrer)]);
      const before = await snapshot(d.hal);
      await expectUpdateError(d.hal, del(c.objectKey), IN_USE(c.member));
      await expectUnchanged(d.hal, before);
      // No cascade: the referrer is still there.
      expect((await d.hal.read({})).length).to.equal(before.records.length);
      await write(d.hal, [del(c.referrerKey)]);
      await write(d.hal, [del(c.objectKey)]);
      expect((await d.hal.read({})).length).to.equal(before.records.length - 2);
    });
  }

  it('an object referenced twice is in use until both referrers are gone', async () => {
    const d = await newDevice();
    await write(d.hal, [ins(PREREQ.nh1), ins({ route: { prefix: '10.0.0.0/8', nexthopId: 'nh1' } }), ins({ route: { prefix: '10.1.0.0/16', nexthopId: 'nh1' } })]);
    await write(d.hal, [del({ route: { prefix: '10.0.0.0/8' } })]);
    await expectUpdateError(d.hal, del({ nexthop: { id: 'nh1' } }), IN_USE('nexthop'));
    await write(d.hal, [del({ route: { prefix: '10.1.0.0/16' } }), del({ nexthop: { id: 'nh1' } })]);
    expect(await readTable(d.hal, 'nexthop')).to.deep.equal([]);
  });

  it('modifying a referrer to point elsewhere releases the old object', async () => {
    const d = await newDevice();
    await write(d.hal, [ins(PREREQ.nh1), ins(PREREQ.nh2), ins({ route: { prefix: '10.0.0.0/8', nexthopId: 'nh1' } })]);
    await write(d.hal, [mod({ route: { prefix: '10.0.0.0/8', nexthopId: 'nh2' } })]);
    await write(d.hal, [del({ nexthop: { id: 'nh1' } })]);
    await expectUpdateError(d.hal, del({ nexthop: { id: 'nh2' } }), IN_USE('nexthop'));
  });

  it('an ECMP group listing the same next hop in two groups holds a reference from each', async () => {
    const d = await newDevice();
    await write(d.hal, [ins(PREREQ.nh1), ins({ ecmpGroup: { id: 'g1', members: [{ nexthopId: 'nh1' }] } }), ins({ ecmpGroup: { id: 'g2', members: [{ nexthopId: 'nh1' }] } })]);
    await write(d.hal, [del({ ecmpGroup: { id: 'g1' } })]);
    await expectUpdateError(d.hal, del({ nexthop: { id: 'nh1' } }), IN_USE('nexthop'));
    await write(d.hal, [mod({ ecmpGroup: { id: 'g2', members: [] } }), del({ nexthop: { id: 'nh1' } })]);
  });

  describe('underlay next hops (hal-spec §6.2)', () => {
    const tunnel = (id: string, underlay: string): Entry => ({ tunnel: { id, type: 'VXLAN', localIp: '192.0.2.1', remoteIp: '192.0.2.2', underlayNexthopId: underlay } });

    it('a tunnel whose underlay is a tunnel next hop is FIELD_INVALID at underlayNexthopId', async () => {
      const d = await newDevice();
      await write(d.hal, [ins(PREREQ.nh1), ins(tunnel('t1', 'nh1')), ins({ nexthop: { id: 'nh-t1', tunnelId: 't1' } })]);
      const before = await snapshot(d.hal);
      await expectUpdateError(d.hal, ins(tunnel('t2', 'nh-t1')), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: 'updates[0].entry.tunnel.underlayNexthopId' });
      await expectUpdateError(d.hal, mod(tunnel('t1', 'nh-t1')), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: 'updates[0].entry.tunnel.underlayNexthopId' });
      await expectUnchanged(d.hal, before);
    });

    it('turning a next hop used as underlay into a tunnel next hop is OBJECT_IN_USE; other changes are fine', async () => {
      const d = await newDevice();
      await write(d.hal, [ins(PREREQ.nh1), ins(tunnel('t1', 'nh1'))]);
      const before = await snapshot(d.hal);
      await expectUpdateError(d.hal, mod({ nexthop: { id: 'nh1', tunnelId: 't1' } }), { code: 'FAILED_PRECONDITION', reason: 'OBJECT_IN_USE', fieldPath: 'updates[0].entry.nexthop' });
      await expectUnchanged(d.hal, before);
      await write(d.hal, [mod({ nexthop: { id: 'nh1', port: { portId: 'uplink1', dmac: '02:bb:00:00:00:01' } } })]);
      // Once no tunnel uses it as underlay, it may become a tunnel next hop.
      await write(d.hal, [ins(PREREQ.nh2), mod(tunnel('t1', 'nh2')), mod({ nexthop: { id: 'nh1', tunnelId: 't1' } })]);
    });
  });

  it('a duplicate member in an ECMP group is FIELD_INVALID at members[i]', async () => {
    const d = await newDevice();
    await write(d.hal, [ins(PREREQ.nh1)]);
    await expectUpdateError(d.hal, ins({ ecmpGroup: { id: 'g', members: [{ nexthopId: 'nh1' }, { nexthopId: 'nh1', weight: 2 }] } }), {
      code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: 'updates[0].entry.ecmpGroup.members[1]',
    });
  });
});
