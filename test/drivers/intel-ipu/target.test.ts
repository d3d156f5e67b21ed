// The IPU target as a P4Runtime server, over real gRPC with mTLS: pipeline
// config, arbitration, Write rules with per-update errors, Read wildcards.
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { canonical } from '../../../src/drivers/intel-ipu/p4rt/bytestrings.js';
import { P4RuntimeClient } from '../../../src/drivers/intel-ipu/p4rt/client.js';
import { TABLES } from '../../../src/drivers/intel-ipu/program/program.js';
import { p4info } from '../../../src/drivers/intel-ipu/program/p4info.js';
import { devPki } from '../../../src/drivers/intel-ipu/tls.js';
import { del, failure, ins, ip4, mod, primary, startTarget, te, until, type Running } from './target-fixtures.js';

const nh = (id: number, port = 3) => te('nexthop', { nexthop_id: id }, 'nh_connected', { port });
const route = (prefix: string, len: number, nhId: number) => te('ipv4_route', { vrf: 0, dst_addr: { value: ip4(prefix), prefixLen: len } }, 'route_to_nexthop', { nexthop_id: nhId });

describe('intel-ipu target: P4Runtime server', () => {
  let r: Running;
  beforeEach(async () => {
    r = await startTarget();
  });
  afterEach(async () => {
    await r.stop();
  });

  describe('pipeline config and capabilities', () => {
    it('answers Capabilities and refuses writes before a pipeline is set', async () => {
      const c = r.client(1n);
      await c.openStream();
      expect((await c.capabilities()).p4runtimeApiVersion).to.match(/^1\./);
      const e = await failure(c.write([ins(nh(1))]));
      expect(e.code).to.equal(grpc.status.FAILED_PRECONDITION);
    });

    it('accepts its own P4Info, returns it with the cookie, and refuses another program', async () => {
      const c = await primary(r);
      const got = await c.getPipeline('P4INFO_AND_COOKIE');
      expect(got.config?.cookie?.cookie).to.equal('7');
      expect((got.config?.p4info?.tables as unknown[]).length).to.equal(Object.keys(TABLES).length);
      const other = p4info().toJSON();
      (other.pkgInfo as { name: string }).name = 'someone_else';
      const e = await failure(c.setPipeline('VERIFY_AND_COMMIT', { p4info: other }));
      expect(e.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(e.message).to.match(/not that program/);
      expect((await failure(c.setPipeline('RECONCILE_AND_COMMIT', { p4info: p4info() }))).code).to.equal(grpc.status.UNIMPLEMENTED);
    });

    it('requires client certificates (mTLS)', async () => {
      const pki = devPki();
      const anon = new P4RuntimeClient({ address: r.address, tls: { ca: pki.ca, serverName: 'localhost' }, deviceId: 1n });
      const e = await failure(anon.capabilities());
      expect(e.code).to.equal(grpc.status.UNAVAILABLE);
      anon.close();
    });
  });

  describe('arbitration', () => {
    it('elects the highest election id, tells the others, and refuses writes from a backup', async () => {
      const a = await primary(r, 10n);
      const b = r.client(5n);
      const ub = await b.openStream();
      expect(ub.status?.code).to.equal(grpc.status.ALREADY_EXISTS);
      expect(ub.electionId?.low).to.equal('10');
      const e = await failure(b.write([ins(nh(1))]));
      expect(e.code).to.equal(grpc.status.PERMISSION_DENIED);
      // A higher id takes over; the old primary is told it is now a backup.
      const seen: number[] = [];
      a.onArbitration((u) => seen.push(u.status?.code ?? 0));
      await b.arbitrate(20n);
      expect(b.isPrimary).to.equal(true);
      await until(() => seen.length > 0, 'demotion notice');
      expect(seen.at(-1)).to.equal(grpc.status.ALREADY_EXISTS);
      expect((await failure(a.write([ins(nh(1))]))).code).to.equal(grpc.status.PERMISSION_DENIED);
      await b.write([ins(nh(1))]);
      // When the primary leaves, the remaining controller with the highest id is primary.
      b.close();
      await until(() => a.isPrimary, 'a to be re-elected');
      await a.write([ins(nh(2))]);
    });

    it('refuses a duplicate election id and writes with no stream', async () => {
      await primary(r, 10n);
      const dup = r.client(10n);
      const e = await failure(dup.openStream(2000));
      expect(e.code).to.equal(grpc.status.INVALID_ARGUMENT);
      const noStream = r.client(99n);
      expect((await failure(noStream.write([ins(nh(1))]))).code).to.equal(grpc.status.PERMISSION_DENIED);
    });

    it('arbitrates roles separately', async () => {
      await primary(r, 10n);
      const other = r.client(1n, 'sdn');
      const u = await other.openStream();
      expect(u.status?.code ?? 0).to.equal(0);
      expect(u.role?.name).to.equal('sdn');
      await other.write([ins(nh(9))]);
    });
  });

  describe('write rules', () => {
    it('reports one p4.v1.Error per update under a top-level UNKNOWN (CONTINUE_ON_ERROR)', async () => {
      const c = await primary(r);
      const e = await failure(c.write([ins(nh(1)), ins(nh(1)), del(nh(7)), ins(nh(2))]));
      expect(e.code).to.equal(grpc.status.UNKNOWN);
      expect(e.errors?.map((x) => x.canonicalCode ?? 0)).to.deep.equal([0, grpc.status.ALREADY_EXISTS, grpc.status.NOT_FOUND, 0]);
      const rows = await c.read([{ tableEntry: { tableId: TABLES.nexthop.id } }]);
      expect(rows).to.have.length(2);
    });

    it('rolls a batch back under ROLLBACK_ON_ERROR and DATAPLANE_ATOMIC', async () => {
      const c = await primary(r);
      for (const mode of ['ROLLBACK_ON_ERROR', 'DATAPLANE_ATOMIC'] as const) {
        const e = await failure(c.write([ins(nh(1)), ins(nh(2)), mod(nh(3))], mode));
        expect(e.errors?.map((x) => x.canonicalCode)).to.deep.equal([grpc.status.ABORTED, grpc.status.ABORTED, grpc.status.NOT_FOUND]);
        expect(await c.read([{ tableEntry: { tableId: TABLES.nexthop.id } }])).to.have.length(0);
      }
    });

    it('enforces bytestring, match and priority rules', async () => {
      const c = await primary(r);
      const codes = async (entry: ReturnType<typeof te>) => {
        const e = await failure(c.write([ins(entry)]));
        return e.errors?.[0].canonicalCode;
      };
      // Wider than the field: OUT_OF_RANGE.
      const wide = nh(1);
      wide.match![0].exact!.value = canonical(0x10000n);
      expect(await codes(wide)).to.equal(grpc.status.OUT_OF_RANGE);
      // Padded with zero bytes: accepted, read back canonical.
      const padded = nh(2);
      padded.match![0].exact!.value = Uint8Array.from([0, 0, 0, 2]);
      await c.write([ins(padded)]);
      const back = await c.read([{ tableEntry: { tableId: TABLES.nexthop.id } }]);
      expect([...back[0].tableEntry!.match![0].exact!.value!]).to.deep.equal([2]);
      // LPM with host bits set; LPM /0 must be omitted.
      expect(await codes(route('10.0.0.1', 24, 2))).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(await codes(route('0.0.0.0', 0, 2))).to.equal(grpc.status.INVALID_ARGUMENT);
      // Ternary value outside its mask; mask 0 (don't care) must be omitted.
      const acl = (m: Parameters<typeof te>[1], prio: number) => te('acl', { stage: 1, ...m }, 'acl_allow', {}, prio);
      expect(await codes(acl({ src_addr: { value: ip4('10.0.0.1'), mask: 0xffffff00 } }, 10))).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(await codes(acl({ src_addr: { value: 0, mask: 0 } }, 10))).to.equal(grpc.status.INVALID_ARGUMENT);
      // Full range must be omitted; low > high refused.
      expect(await codes(acl({ dst_port: { low: 0, high: 65535 } }, 10))).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(await codes(acl({ dst_port: { low: 90, high: 80 } }, 10))).to.equal(grpc.status.INVALID_ARGUMENT);
      // Priority: required on the TCAM table, forbidden on exact/LPM tables.
      expect(await codes(acl({}, 0))).to.equal(grpc.status.INVALID_ARGUMENT);
      const prio = nh(3);
      prio.priority = 5;
      expect(await codes(prio)).to.equal(grpc.status.INVALID_ARGUMENT);
      // Missing exact field; unknown table.
      expect(await codes(te('neighbor', { vrf: 0 }, 'set_neighbor_mac', { dmac: 1 }))).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(await codes({ tableId: 0x02ffffff, match: [] })).to.equal(grpc.status.NOT_FOUND);
      // Good ternary + range rule.
      await c.write([ins(acl({ src_addr: { value: ip4('10.0.0.0'), mask: 0xffffff00 }, dst_port: { low: 80, high: 90 } }, 10))]);
      expect(r.target.state.count(TABLES.acl)).to.equal(1);
      expect(r.target.state.count(TABLES.nexthop)).to.equal(1);
    });

    it('bounds action-selector groups and range checkers', async () => {
      const c = await primary(r);
      const members = (n: number) => ({ set: Array.from({ length: n }, (_, i) => ({ action: 'set_ecmp_member' as const, params: { nexthop_id: i + 1 }, weight: 1 })) });
      await c.write([ins(te('ecmp_group', { group_id: 1 }, members(64)))]);
      const e = await failure(c.write([ins(te('ecmp_group', { group_id: 2 }, members(65)))]));
      expect(e.errors?.[0].canonicalCode).to.equal(grpc.status.RESOURCE_EXHAUSTED);
      const direct = await failure(c.write([ins(te('ecmp_group', { group_id: 3 }, 'set_ecmp_member', { nexthop_id: 1 }))]));
      expect(direct.errors?.[0].canonicalCode).to.equal(grpc.status.INVALID_ARGUMENT);
      const ranges = Array.from({ length: 64 }, (_, i) => ins(te('acl', { stage: 1, dst_port: { low: 1000 + i, high: 2000 } }, 'acl_allow', {}, i + 1)));
      await c.write(ranges);
      const over = await failure(c.write([ins(te('acl', { stage: 1, dst_port: { low: 1, high: 2 } }, 'acl_allow', {}, 100))]));
      expect(over.errors?.[0].canonicalCode).to.equal(grpc.status.RESOURCE_EXHAUSTED);
      // Reusing a range already held needs no new checker.
      await c.write([ins(te('acl', { stage: 2, dst_port: { low: 1000, high: 2000 } }, 'acl_allow', {}, 100))]);
    });
  });

  describe('read', () => {
    it('reads all tables, one table, one entry, and counters', async () => {
      const c = await primary(r);
      await c.write([ins(nh(1)), ins(nh(2)), ins(route('10.1.0.0', 16, 1))]);
      expect(await c.read([{ tableEntry: {} }])).to.have.length(3);
      expect(await c.read([{ tableEntry: { tableId: TABLES.ipv4_route.id } }])).to.have.length(1);
      const one = await c.read([{ tableEntry: { tableId: TABLES.nexthop.id, match: nh(2).match } }]);
      expect(one).to.have.length(1);
      const withCounters = await c.read([{ tableEntry: { tableId: TABLES.ipv4_route.id, counterData: {} } }]);
      expect(withCounters[0].tableEntry?.counterData).to.not.equal(undefined);
      // A backup may read.
      const backup = r.client(1n);
      await backup.openStream();
      expect(await backup.read([{ tableEntry: {} }])).to.have.length(3);
    });
  });
});
