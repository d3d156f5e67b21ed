// Action profile members and groups on the target (P4Runtime §9.2): write and
// read them, point selector table entries at them, and check every refusal with
// its exact code and that a refused update changes nothing. Packets show that
// a group's members (and a member MODIFY) drive the data plane.
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { canonical } from '../../../src/drivers/intel-ipu/p4rt/bytestrings.js';
import type { Update } from '../../../src/drivers/intel-ipu/p4rt/messages.js';
import { ACTIONS, ECMP_SELECTOR, LB_SELECTOR, TABLES } from '../../../src/drivers/intel-ipu/program/program.js';
import { buildFrame, parsePacket } from '../../../src/sim/packet/index.js';
import { failure, ins, ip4, primary, startTarget, te, type Running } from './target-fixtures.js';

const LB = LB_SELECTOR.id;
const backend = (ptr: number) => ({ actionId: ACTIONS.set_backend.id, params: [{ paramId: 1, value: canonical(BigInt(ptr)) }] });
const member = (type: 'INSERT' | 'MODIFY' | 'DELETE', memberId: number, ptr = 1, profile = LB): Update => ({ type, entity: { actionProfileMember: { actionProfileId: profile, memberId, ...(type !== 'DELETE' && { action: backend(ptr) }) } } });
const group = (type: 'INSERT' | 'MODIFY' | 'DELETE', groupId: number, members: [number, number][] = [], maxSize = 0): Update => ({
  type,
  entity: { actionProfileGroup: { actionProfileId: LB, groupId, members: members.map(([memberId, weight]) => ({ memberId, weight })), ...(maxSize && { maxSize }) } },
});
const codes = (e: { errors?: { canonicalCode?: number }[] }) => (e.errors ?? []).map((x) => x.canonicalCode ?? 0);
const bgEntry = (gid: number, ref: { actionProfileGroupId?: number; actionProfileMemberId?: number }) => ({ ...te('backend_group', { group_id: gid }), action: ref });
const VIP = '10.96.0.10';

describe('intel-ipu target: action profile members and groups', () => {
  let r: Running;
  beforeEach(async () => {
    r = await startTarget();
  });
  afterEach(async () => {
    await r.stop();
  });

  it('writes and reads members and groups (wildcards by profile and id)', async () => {
    const c = await primary(r);
    await c.write([member('INSERT', 1, 11), member('INSERT', 2, 12), group('INSERT', 100, [[1, 1], [2, 3]], 8)]);
    const ms = await c.read([{ actionProfileMember: {} }]);
    expect(ms.map((e) => (e.actionProfileMember as { memberId: number }).memberId).sort()).to.deep.equal([1, 2]);
    const one = await c.read([{ actionProfileMember: { actionProfileId: LB, memberId: 2 } }]);
    expect(one).to.have.length(1);
    expect(Buffer.from((one[0].actionProfileMember as { action: { params: { value: Uint8Array }[] } }).action.params[0].value)).to.deep.equal(Buffer.from([12]));
    const gs = await c.read([{ actionProfileGroup: { actionProfileId: LB } }]);
    expect(gs).to.have.length(1);
    expect(gs[0].actionProfileGroup).to.deep.include({ actionProfileId: LB, groupId: 100, maxSize: 8 });
    expect((gs[0].actionProfileGroup as { members: unknown[] }).members).to.deep.equal([{ memberId: 1, weight: 1 }, { memberId: 2, weight: 3 }]);
    expect(await c.read([{ actionProfileGroup: { actionProfileId: ECMP_SELECTOR.id } }])).to.have.length(0);
    // A table entry refers to the group and reads back as that reference.
    await c.write([ins(bgEntry(5, { actionProfileGroupId: 100 })), ins(bgEntry(6, { actionProfileMemberId: 2 }))]);
    const entries = await c.read([{ tableEntry: { tableId: TABLES.backend_group.id } }]);
    expect(entries.map((e) => e.tableEntry?.action?.actionProfileGroupId ?? e.tableEntry?.action?.actionProfileMemberId).sort()).to.deep.equal([100, 2]);
  });

  it('refuses with the exact codes and changes nothing', async () => {
    const c = await primary(r);
    await c.write([member('INSERT', 1, 11), member('INSERT', 2, 12), group('INSERT', 100, [[1, 1]])]);
    await c.write([ins(bgEntry(5, { actionProfileGroupId: 100 })), ins(bgEntry(6, { actionProfileMemberId: 2 }))]);
    const before = JSON.stringify([await c.read([{ actionProfileMember: {} }]), await c.read([{ actionProfileGroup: {} }]), await c.read([{ tableEntry: {} }])]);
    const tooMany = Array.from({ length: LB_SELECTOR.maxGroupSize + 1 }, (_, i) => [1, 1] as [number, number]).map((m, i) => [i < 1 ? 1 : 1, 1] as [number, number]);
    const e = await failure(
      c.write([
        member('INSERT', 1, 13), // id taken
        member('MODIFY', 9, 13), // no such member
        member('DELETE', 1), // in group 100
        member('DELETE', 2), // used by a table entry
        { type: 'INSERT', entity: { actionProfileMember: { actionProfileId: 0x11000099, memberId: 3, action: backend(1) } } }, // no such profile
        { type: 'INSERT', entity: { actionProfileMember: { actionProfileId: LB, memberId: 3, action: { actionId: ACTIONS.set_ecmp_member.id, params: [{ paramId: 1, value: canonical(1n) }] } } } }, // not an action of backend_group
        group('INSERT', 100, [[1, 1]]), // id taken
        group('INSERT', 101, [[7, 1]]), // member 7 does not exist
        group('INSERT', 102, [[1, 1], [1, 2]]), // listed twice
        group('INSERT', 103, [[1, 0]]), // weight 0
        group('INSERT', 104, [], LB_SELECTOR.maxGroupSize + 1), // max_size above max_group_size
        group('INSERT', 105, [[1, 1], [2, 1]], 1), // more members than its max_size
        group('DELETE', 100), // used by a table entry
        group('MODIFY', 106, [[1, 1]]), // no such group
        ins(bgEntry(7, { actionProfileGroupId: 999 })), // no such group
        ins(te('backend_group', { group_id: 8 }, { set: [{ action: 'set_backend', params: { dnat_ptr: 1 }, weight: 1 }] })), // one-shot beside members
        ins({ ...te('dnat_rewrite', { dnat_ptr: 1 }), action: { actionProfileMemberId: 1 } }), // not a selector table
      ]),
    );
    expect(tooMany.length).to.equal(LB_SELECTOR.maxGroupSize + 1);
    const S = grpc.status;
    expect(codes(e)).to.deep.equal([
      S.ALREADY_EXISTS, S.NOT_FOUND, S.FAILED_PRECONDITION, S.FAILED_PRECONDITION, S.NOT_FOUND, S.INVALID_ARGUMENT,
      S.ALREADY_EXISTS, S.NOT_FOUND, S.INVALID_ARGUMENT, S.INVALID_ARGUMENT, S.RESOURCE_EXHAUSTED, S.RESOURCE_EXHAUSTED,
      S.FAILED_PRECONDITION, S.NOT_FOUND, S.NOT_FOUND, S.FAILED_PRECONDITION, S.INVALID_ARGUMENT,
    ]);
    const after = JSON.stringify([await c.read([{ actionProfileMember: {} }]), await c.read([{ actionProfileGroup: {} }]), await c.read([{ tableEntry: {} }])]);
    expect(after).to.equal(before);
  });

  it('a group larger than max_group_size is RESOURCE_EXHAUSTED; one-shot sets block members; a rolled-back batch leaves nothing', async () => {
    const c = await primary(r);
    const n = LB_SELECTOR.maxGroupSize + 1;
    await c.write(Array.from({ length: n }, (_, i) => member('INSERT', i + 1, i + 1)));
    const big = await failure(c.write([group('INSERT', 1, Array.from({ length: n }, (_, i) => [i + 1, 1] as [number, number]))]));
    expect(codes(big)).to.deep.equal([grpc.status.RESOURCE_EXHAUSTED]);
    // ROLLBACK_ON_ERROR: the group insert is undone when the next update fails.
    const rb = await failure(c.write([group('INSERT', 2, [[1, 1]]), member('DELETE', 999)], 'ROLLBACK_ON_ERROR'));
    expect(codes(rb)).to.deep.equal([grpc.status.ABORTED, grpc.status.NOT_FOUND]);
    expect(await c.read([{ actionProfileGroup: {} }])).to.have.length(0);
    // Members gone, the ECMP profile programmed one-shot: no members can join it.
    await c.write(Array.from({ length: n }, (_, i) => member('DELETE', i + 1)));
    await c.write([ins(te('ecmp_group', { group_id: 1 }, { set: [{ action: 'set_ecmp_member', params: { nexthop_id: 1 }, weight: 1 }] }))]);
    const mixed = await failure(c.write([{ type: 'INSERT', entity: { actionProfileMember: { actionProfileId: ECMP_SELECTOR.id, memberId: 1, action: { actionId: ACTIONS.set_ecmp_member.id, params: [{ paramId: 1, value: canonical(1n) }] } } } }]));
    expect(codes(mixed)).to.deep.equal([grpc.status.FAILED_PRECONDITION]);
  });

  it('packets follow the group: its members are chosen; a member MODIFY redirects at once', async () => {
    const c = await primary(r);
    await c.write([
      ins(te('dnat_rewrite', { dnat_ptr: 1 }, 'rewrite_dst', { ip: ip4('10.1.0.1'), port: 8080 })),
      ins(te('dnat_rewrite', { dnat_ptr: 2 }, 'rewrite_dst', { ip: ip4('10.1.0.2'), port: 8080 })),
      member('INSERT', 1, 1),
      group('INSERT', 100, [[1, 1]]),
      ins(bgEntry(2, { actionProfileGroupId: 100 })),
      ins(te('service_lb', { vrf: 0, vip: ip4(VIP), protocol: 6, port: 80 }, 'svc_balance', { group_id: 2, standby_group_id: 3, empty_drop: 1 })),
      ins(te('nexthop', { nexthop_id: 1 }, 'nh_fixed_mac', { port: 2, dmac: 0x0a0000000099n })),
      ins(te('ipv4_route', { vrf: 0, dst_addr: { value: ip4('10.1.0.0'), prefixLen: 24 } }, 'route_to_nexthop', { nexthop_id: 1 })),
    ]);
    const send = (sport: number) => {
      const res = r.target.inject('uplink0', buildFrame({ eth: { src: '0a:00:00:00:00:99', dst: '02:00:00:00:00:01' }, ipv4: { src: '192.0.2.7', dst: VIP }, tcp: { sport, dport: 80, flags: 'S' } }), 0);
      const p = parsePacket(res.emitted?.[0]?.frame ?? new Uint8Array());
      return p.ok && p.pkt.l3?.kind === 'ipv4' ? p.pkt.l3.dst : res.dropReason;
    };
    expect(send(1000)).to.equal('10.1.0.1');
    await c.write([member('MODIFY', 1, 2)]);
    expect(send(1001)).to.equal('10.1.0.2');
    // An empty group: the service has no backend (standby group 3 absent): dropped, empty_drop.
    await c.write([group('MODIFY', 100, [])]);
    expect(send(1002)).to.equal('service-no-endpoints');
  });
});
