import { expect } from 'chai';
import { HalError } from '../../src/hal/errors.js';
import type { WriteRequest } from '../../src/hal/generated/types.js';
import { tableCatalog } from '../../src/hal/schema.js';
import { TABLE_RULES, checkTableRules } from '../../src/hal/table-rules.js';
import { checkUpdate, checkWrite, type CheckedUpdate, type WriteLimits } from '../../src/hal/write-validation.js';

const LIMITS: WriteLimits = { maxBatchSize: 4, atomicityModes: ['CONTINUE_ON_ERROR', 'ROLLBACK_ON_ERROR'] };
type Obj = Record<string, unknown>;

const req = (r: unknown) => r as WriteRequest;

function thrown(f: () => unknown): HalError {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(HalError);
    return e as HalError;
  }
  throw new Error('expected a HalError');
}

const rulesSeen = new Set<string>();

/** Checks one INSERT (or other type) of `member` and returns its result. */
function one(member: string, body: unknown, type = 'INSERT'): CheckedUpdate {
  if (type !== 'DELETE') rulesSeen.add(member);
  return checkWrite(req({ updates: [{ type, entry: { [member]: body } }] }), LIMITS).updates[0];
}

function expectOk(member: string, body: unknown, type = 'INSERT'): Obj {
  const r = one(member, body, type);
  if (!r.ok) throw new Error(`${member} should pass, got ${JSON.stringify(r.status)}`);
  return r.update.body;
}

function expectStatus(member: string, body: unknown, reason: string, path: string, message?: string, type = 'INSERT'): void {
  const r = one(member, body, type);
  if (r.ok) throw new Error(`${member} should fail at ${path}`);
  expect(r.status.code).to.equal('INVALID_ARGUMENT');
  expect([r.status.reason, r.status.fieldPath], JSON.stringify(r.status)).to.deep.equal([reason, `updates[0].entry.${member}${path ? `.${path}` : ''}`]);
  if (message !== undefined) expect(r.status.message).to.equal(message);
}

const K16 = new Uint8Array(16).fill(1);
const K32 = new Uint8Array(32).fill(2);
const SALT = new Uint8Array(4).fill(3);
const IV = new Uint8Array(12).fill(4);
const ROUTE = { prefix: '10.0.0.0/8', nexthopId: 'nh1' };

describe('hal/write-validation', () => {
  describe('request-level errors throw', () => {
    it('empty batch: EMPTY_BATCH', () => {
      const e = thrown(() => checkWrite(req({ updates: [] }), LIMITS));
      expect([e.code, e.reason, e.fieldPath, e.message]).to.deep.equal(['INVALID_ARGUMENT', 'EMPTY_BATCH', 'updates', 'a write needs at least one update']);
      const m = thrown(() => checkWrite(req({}), LIMITS));
      expect([m.code, m.reason, m.fieldPath, m.message]).to.deep.equal(['INVALID_ARGUMENT', 'EMPTY_BATCH', 'updates', 'updates must be a non-empty list']);
    });
    it('updates that are not a list: FIELD_INVALID', () => {
      const e = thrown(() => checkWrite(req({ updates: { type: 'INSERT' } }), LIMITS));
      expect([e.code, e.reason, e.fieldPath]).to.deep.equal(['INVALID_ARGUMENT', 'FIELD_INVALID', 'updates']);
    });
    it('unsupported atomicity: UNIMPLEMENTED / ATOMICITY_UNSUPPORTED, checked before the batch', () => {
      const e = thrown(() => checkWrite(req({ atomicity: 'DATAPLANE_ATOMIC', updates: [{ type: 'INSERT', entry: { route: ROUTE } }] }), LIMITS));
      expect([e.code, e.codeNumber, e.reason, e.fieldPath]).to.deep.equal(['UNIMPLEMENTED', 12, 'ATOMICITY_UNSUPPORTED', 'atomicity']);
      expect(e.message).to.equal('this device does not support DATAPLANE_ATOMIC (supported: CONTINUE_ON_ERROR, ROLLBACK_ON_ERROR)');
      expect(thrown(() => checkWrite(req({ atomicity: 'DATAPLANE_ATOMIC', updates: [] }), LIMITS)).reason).to.equal('ATOMICITY_UNSUPPORTED');
      // The default (absent) atomicity is CONTINUE_ON_ERROR and is checked too.
      const only = { maxBatchSize: 4, atomicityModes: ['ROLLBACK_ON_ERROR'] } as const;
      expect(thrown(() => checkWrite(req({ updates: [{ type: 'INSERT', entry: { route: ROUTE } }] }), only)).message).to.equal(
        'this device does not support CONTINUE_ON_ERROR (supported: ROLLBACK_ON_ERROR)',
      );
    });
    it('batch too large: RESOURCE_EXHAUSTED / MESSAGE_TOO_LARGE; the limit itself is fine', () => {
      const u = { type: 'INSERT', entry: { route: ROUTE } };
      const e = thrown(() => checkWrite(req({ updates: [u, u, u, u, u] }), LIMITS));
      expect([e.code, e.reason, e.fieldPath, e.message]).to.deep.equal(['RESOURCE_EXHAUSTED', 'MESSAGE_TOO_LARGE', 'updates', '5 updates exceed the batch limit of 4']);
      expect(checkWrite(req({ updates: [u, u, u, u] }), LIMITS).updates).to.have.length(4);
    });
    it('bad top-level fields: FIELD_INVALID with their path', () => {
      const u = [{ type: 'INSERT', entry: { route: ROUTE } }];
      const a = thrown(() => checkWrite(req({ atomicity: 'SOMETIMES', updates: u }), LIMITS));
      expect([a.reason, a.fieldPath]).to.deep.equal(['FIELD_INVALID', 'atomicity']);
      const g = thrown(() => checkWrite(req({ expectedGeneration: -1, updates: u }), LIMITS));
      expect([g.reason, g.fieldPath]).to.deep.equal(['FIELD_INVALID', 'expectedGeneration']);
      const x = thrown(() => checkWrite(req({ dryRun: true, updates: u }), LIMITS));
      expect([x.reason, x.fieldPath, x.message]).to.deep.equal(['FIELD_INVALID', 'dryRun', 'WriteRequest has no field "dryRun"']);
      expect(thrown(() => checkWrite(null as unknown as WriteRequest, LIMITS)).reason).to.equal('FIELD_INVALID');
    });
    it('returns atomicity and expected generation (defaults CONTINUE_ON_ERROR, 0)', () => {
      const u = [{ type: 'INSERT', entry: { route: ROUTE } }];
      const d = checkWrite(req({ updates: u }), LIMITS);
      expect([d.atomicity, d.expectedGeneration]).to.deep.equal(['CONTINUE_ON_ERROR', 0]);
      const s = checkWrite(req({ atomicity: 'ROLLBACK_ON_ERROR', expectedGeneration: 42, updates: u }), LIMITS);
      expect([s.atomicity, s.expectedGeneration]).to.deep.equal(['ROLLBACK_ON_ERROR', 42]);
    });
  });

  describe('per-update statuses', () => {
    it('one result per update, in request order, with updates[i] paths', () => {
      const w = checkWrite(
        req({
          updates: [
            { type: 'INSERT', entry: { route: { vrf: 0, ...ROUTE } } },
            { entry: { route: ROUTE } },
            { type: 'UPSERT', entry: { route: ROUTE } },
            { type: 'MODIFY' },
            { type: 'MODIFY', entry: {} },
            { type: 'MODIFY', entry: { route: ROUTE, neighbor: { ip: '10.0.0.1', mac: '00:00:00:00:00:01' } } },
            { type: 'INSERT', entry: { routes: ROUTE } },
            { type: 'INSERT', entry: { route: { ...ROUTE, prefix: '10.0.0.1/8' } } },
            { type: 'INSERT', entry: { service: { vip: '10.96.0.1', protocol: 1, drop: {} } } },
            { type: 'DELETE', entry: { route: { prefix: '10.0.0.0/8' } } },
            { type: 'INSERT', entry: { route: ROUTE }, note: 'x' },
            'INSERT',
          ],
        }),
        { maxBatchSize: 100, atomicityModes: ['CONTINUE_ON_ERROR'] },
      );
      const summary = w.updates.map((u) => (u.ok ? ['OK', u.update.index, u.update.type, u.update.member] : [u.status.code, u.status.reason, u.status.fieldPath, u.status.message]));
      expect(summary).to.deep.equal([
        ['OK', 0, 'INSERT', 'route'],
        ['INVALID_ARGUMENT', 'FIELD_MISSING', 'updates[1].type', 'type must be INSERT, MODIFY or DELETE'],
        ['INVALID_ARGUMENT', 'FIELD_INVALID', 'updates[2].type', 'type must be INSERT, MODIFY or DELETE'],
        ['INVALID_ARGUMENT', 'FIELD_MISSING', 'updates[3].entry', 'entry is required'],
        ['INVALID_ARGUMENT', 'ONEOF_UNSET', 'updates[4].entry', 'entry must name exactly one table'],
        ['INVALID_ARGUMENT', 'FIELD_INVALID', 'updates[5].entry', 'entry must name exactly one table'],
        ['INVALID_ARGUMENT', 'FIELD_INVALID', 'updates[6].entry.routes', 'TableEntry has no table "routes"'],
        ['INVALID_ARGUMENT', 'NOT_CANONICAL', 'updates[7].entry.route.prefix', '"10.0.0.1/8" has host bits set: use "10.0.0.0/8"'],
        ['INVALID_ARGUMENT', 'FIELD_INVALID', 'updates[8].entry.service.protocol', 'a service protocol is 6 (TCP), 17 (UDP) or 132 (SCTP)'],
        ['OK', 9, 'DELETE', 'route'],
        ['INVALID_ARGUMENT', 'FIELD_INVALID', 'updates[10].note', 'Update has no field "note"'],
        ['INVALID_ARGUMENT', 'FIELD_INVALID', 'updates[11]', 'an update must be an object'],
      ]);
    });
    it('a valid update carries its table, canonical body and key', () => {
      const r = checkUpdate({ type: 'MODIFY', entry: { acl: { priority: 7, stage: 'ACL_EGRESS', protocol: 0, action: 'ACL_ALLOW', log: true } } }, 3);
      expect(r.ok).to.equal(true);
      if (!r.ok) return;
      expect(r.update.index).to.equal(3);
      expect(r.update.type).to.equal('MODIFY');
      expect(r.update.member).to.equal('acl');
      expect(r.update.table).to.equal(tableCatalog().get('acl'));
      expect(r.update.body).to.deep.equal({ stage: 'ACL_EGRESS', protocol: 0, priority: 7, log: true });
      expect(r.update.key).to.equal('["ACL_EGRESS",null,null,null,0,null,null,null,null,7]');
    });
    it('UPDATE_TYPE_UNSPECIFIED is FIELD_MISSING like an absent type (hal-spec §5.1)', () => {
      const r = checkUpdate({ type: 'UPDATE_TYPE_UNSPECIFIED', entry: { route: ROUTE } }, 0);
      expect(r.ok ? null : [r.status.code, r.status.reason, r.status.fieldPath]).to.deep.equal(['INVALID_ARGUMENT', 'FIELD_MISSING', 'updates[0].type']);
    });
  });

  describe('DELETE validates only keys', () => {
    it('ignores non-key fields (not validated, not kept) and skips table rules', () => {
      const r = one('route', { vrf: 1, prefix: '10.0.0.0/8', nexthopId: 'not an id!' }, 'DELETE');
      expect(r.ok && r.update.body).to.deep.equal({ vrf: 1, prefix: '10.0.0.0/8' });
      expect(r.ok && r.update.key).to.equal('[1,"10.0.0.0/8"]');
      expect(expectOk('route', { prefix: '10.0.0.0/8' }, 'DELETE')).to.deep.equal({ prefix: '10.0.0.0/8' });
      expect(expectOk('ipsecSa', { id: 'sa1', spi: 5, algorithm: 'AES_GCM_256', key: K16 }, 'DELETE')).to.deep.equal({ id: 'sa1' });
      expect(expectOk('service', { vip: '10.96.0.1', protocol: 1 }, 'DELETE')).to.deep.equal({ vip: '10.96.0.1', protocol: 1 });
      expect(expectOk('acl', { stage: 'ACL_INGRESS', priority: 3, action: 'BOGUS' }, 'DELETE')).to.deep.equal({ stage: 'ACL_INGRESS', priority: 3 });
    });
    it('still rejects bad keys and unknown fields', () => {
      expectStatus('route', { nexthopId: 'nh1' }, 'FIELD_MISSING', 'prefix', 'prefix is required', 'DELETE');
      expectStatus('route', { prefix: '2001:DB8::/32' }, 'NOT_CANONICAL', 'prefix', undefined, 'DELETE');
      expectStatus('acl', { stage: 'ACL_INGRESS' }, 'FIELD_MISSING', 'priority', undefined, 'DELETE');
      expectStatus('nexthop', { id: 'nh 1' }, 'FIELD_INVALID', 'id', undefined, 'DELETE');
      expectStatus('route', { prefix: '10.0.0.0/8', colour: 'red' }, 'FIELD_INVALID', 'colour', 'RouteEntry has no field "colour"', 'DELETE');
      expectStatus('policerBinding', { direction: 'INGRESS' }, 'ONEOF_UNSET', 'target', undefined, 'DELETE');
    });
  });

  describe('table rules', () => {
    const ACL = { stage: 'ACL_INGRESS', priority: 10 };
    it('acl: port ranges', () => {
      expectOk('acl', { ...ACL, protocol: 6, srcPorts: { lo: 1024, hi: 65535 }, dstPorts: { lo: 80, hi: 80 } });
      expectOk('acl', { ...ACL, protocol: 132, dstPorts: { lo: 0, hi: 0 } });
      expectStatus('acl', { ...ACL, protocol: 6, srcPorts: { lo: 90, hi: 80 } }, 'FIELD_INVALID', 'srcPorts', 'range 90-80 is empty (lo > hi)');
      expectStatus('acl', { ...ACL, protocol: 17, dstPorts: { lo: 80 } }, 'FIELD_INVALID', 'dstPorts', 'range 80-0 is empty (lo > hi)');
      expectStatus('acl', { ...ACL, srcPorts: { lo: 1, hi: 2 } }, 'FIELD_INVALID', 'srcPorts', 'port ranges need protocol 6 (TCP), 17 (UDP) or 132 (SCTP)');
      expectStatus('acl', { ...ACL, protocol: 1, dstPorts: { lo: 1, hi: 2 } }, 'FIELD_INVALID', 'dstPorts', 'port ranges need protocol 6 (TCP), 17 (UDP) or 132 (SCTP)');
    });
    it('acl: address family and ICMP', () => {
      expectOk('acl', { ...ACL, srcPrefix: '10.0.0.0/8', dstPrefix: '192.168.0.0/16' });
      expectOk('acl', { ...ACL, srcPrefix: '2001:db8::/32' });
      expectStatus('acl', { ...ACL, srcPrefix: '10.0.0.0/8', dstPrefix: '2001:db8::/32' }, 'FIELD_INVALID', 'dstPrefix', 'dstPrefix and srcPrefix must be of one address family');
      expectOk('acl', { ...ACL, protocol: 1, icmpType: 8, icmpCode: 0 });
      expectOk('acl', { ...ACL, protocol: 58, icmpType: 128 });
      expectStatus('acl', { ...ACL, protocol: 6, icmpType: 8 }, 'FIELD_INVALID', 'icmpType', 'ICMP type/code need protocol 1 (ICMP) or 58 (ICMPv6)');
      expectStatus('acl', { ...ACL, icmpCode: 0 }, 'FIELD_INVALID', 'icmpCode', 'ICMP type/code need protocol 1 (ICMP) or 58 (ICMPv6)');
    });
    it('snat', () => {
      const S = { priority: 1, srcPrefix: '10.0.0.0/8' };
      expectOk('snat', { ...S, masquerade: { ip: '192.0.2.1', ports: { lo: 1024, hi: 65535 } } });
      expectOk('snat', { ...S, none: {} });
      expectStatus('snat', { ...S, dstPrefix: '::/0', none: {} }, 'FIELD_INVALID', 'dstPrefix', 'dstPrefix and srcPrefix must be of one address family');
      expectStatus('snat', { ...S, masquerade: { ip: '192.0.2.1', ports: { lo: 2000, hi: 1000 } } }, 'FIELD_INVALID', 'masquerade.ports', 'range 2000-1000 is empty (lo > hi)');
    });
    it('ecmpGroup: unique next hops', () => {
      expectOk('ecmpGroup', { id: 'g', members: [{ nexthopId: 'a' }, { nexthopId: 'b', weight: 3 }] });
      expectOk('ecmpGroup', { id: 'g' });
      expectStatus('ecmpGroup', { id: 'g', members: [{ nexthopId: 'a' }, { nexthopId: 'b' }, { nexthopId: 'a', weight: 2 }] }, 'FIELD_INVALID', 'members[2]', 'duplicate next hop a');
    });
    it('backendGroup: unique ip:port', () => {
      expectOk('backendGroup', { id: 'g', members: [{ ip: '10.0.0.1', port: 80 }, { ip: '10.0.0.1', port: 81 }, { ip: '2001:db8::1', port: 80 }] });
      expectStatus('backendGroup', { id: 'g', members: [{ ip: '10.0.0.1', port: 80 }, { ip: '10.0.0.1', port: 80, weight: 2 }] }, 'FIELD_INVALID', 'members[1]', 'duplicate member 10.0.0.1:80');
      expectStatus('backendGroup', { id: 'g', members: [{ ip: '2001:db8::1', port: 80 }, { ip: '2001:db8::1', port: 80 }] }, 'FIELD_INVALID', 'members[1]', 'duplicate member 2001:db8::1:80');
    });
    it('tunnel: family, Geneve options', () => {
      const T = { id: 't', localIp: '192.0.2.1', remoteIp: '192.0.2.2', underlayNexthopId: 'nh' };
      const opt = (n: number) => ({ optionClass: 1, type: 1, data: new Uint8Array(n) });
      expectOk('tunnel', { ...T, type: 'VXLAN', vni: 100 });
      expectOk('tunnel', { ...T, type: 'GENEVE', geneveOptions: [opt(0), opt(124)] });
      expectOk('tunnel', { ...T, type: 'GENEVE', geneveOptions: [opt(80), opt(80), opt(80)] }); // 3 * 84 = 252
      expectStatus('tunnel', { ...T, type: 'VXLAN', remoteIp: '2001:db8::2' }, 'FIELD_INVALID', 'remoteIp', 'remoteIp and localIp must be of one address family');
      expectStatus('tunnel', { ...T, type: 'VXLAN', geneveOptions: [opt(4)] }, 'FIELD_INVALID', 'geneveOptions', 'Geneve options need type GENEVE');
      expectStatus('tunnel', { ...T, type: 'GENEVE', geneveOptions: [opt(4), opt(3)] }, 'FIELD_INVALID', 'geneveOptions[1].data', 'option data must be a multiple of 4 bytes, at most 124');
      expectStatus('tunnel', { ...T, type: 'GENEVE', geneveOptions: [opt(128)] }, 'FIELD_INVALID', 'geneveOptions[0].data');
      expectStatus('tunnel', { ...T, type: 'GENEVE', geneveOptions: [opt(80), opt(80), opt(80), opt(0)] }, 'FIELD_INVALID', 'geneveOptions', 'Geneve options exceed 252 bytes');
    });
    it('service and serviceSource: protocol, family', () => {
      expectOk('service', { vip: '10.96.0.1', protocol: 6, port: 443, balance: { backendGroupId: 'g' } });
      expectOk('service', { vip: '10.96.0.1', protocol: 132, reject: {} });
      expectStatus('service', { vip: '10.96.0.1', protocol: 1, drop: {} }, 'FIELD_INVALID', 'protocol', 'a service protocol is 6 (TCP), 17 (UDP) or 132 (SCTP)');
      const SS = { vip: '10.96.0.1', protocol: 17, port: 53, allow: {} };
      expectOk('serviceSource', { ...SS, source: '192.168.0.0/16' });
      expectOk('serviceSource', { ...SS, vip: '2001:db8::53', source: '2001:db8::/64' });
      expectStatus('serviceSource', { ...SS, protocol: 47, source: '192.168.0.0/16' }, 'FIELD_INVALID', 'protocol', 'a service protocol is 6 (TCP), 17 (UDP) or 132 (SCTP)');
      expectStatus('serviceSource', { ...SS, source: '2001:db8::/64' }, 'FIELD_INVALID', 'source', 'source and vip must be of one address family');
    });
    it('policer: single-rate vs two-rate parameters', () => {
      const P = { id: 'p', cir: 1000, cbs: 100 };
      expectOk('policer', { ...P, mode: 'SRTCM', ebs: 100 });
      expectOk('policer', { ...P, mode: 'TRTCM', pir: 1000, pbs: 10 });
      expectStatus('policer', { ...P, mode: 'TRTCM', pbs: 10 }, 'FIELD_INVALID', 'pir', 'a two-rate policer needs pir >= cir');
      expectStatus('policer', { ...P, mode: 'TRTCM', pir: 999, pbs: 10 }, 'FIELD_INVALID', 'pir', 'a two-rate policer needs pir >= cir');
      expectStatus('policer', { ...P, mode: 'TRTCM', pir: 2000 }, 'FIELD_MISSING', 'pbs', 'a two-rate policer needs pbs');
      expectStatus('policer', { ...P, mode: 'TRTCM', pir: 2000, pbs: 10, ebs: 5 }, 'FIELD_INVALID', 'ebs', 'ebs belongs to single-rate policers');
      expectStatus('policer', { ...P, mode: 'SRTCM', pir: 2000 }, 'FIELD_INVALID', 'pir', 'pir/pbs belong to two-rate policers');
      expectStatus('policer', { ...P, mode: 'SRTCM', pbs: 5 }, 'FIELD_INVALID', 'pbs', 'pir/pbs belong to two-rate policers');
    });
    it('ipsecSa: key and salt sizes, tunnel addresses, anti-replay', () => {
      const SA = { id: 'sa', spi: 4096, direction: 'INBOUND', mode: 'TRANSPORT', algorithm: 'AES_GCM_128', key: K16, salt: SALT };
      expectOk('ipsecSa', { ...SA, replayWindow: 64 });
      expectOk('ipsecSa', { ...SA, algorithm: 'AES_GCM_256', key: K32 });
      expectOk('ipsecSa', { ...SA, mode: 'TUNNEL', tunnelSrc: '2001:db8::1', tunnelDst: '2001:db8::2' });
      expectStatus('ipsecSa', { ...SA, algorithm: 'AES_GCM_256' }, 'FIELD_INVALID', 'key', 'AES_GCM_256 needs a 32-byte key');
      expectStatus('ipsecSa', { ...SA, key: undefined }, 'FIELD_MISSING', 'key', 'AES_GCM_128 needs a 16-byte key');
      expectStatus('ipsecSa', { ...SA, salt: new Uint8Array(3) }, 'FIELD_INVALID', 'salt', 'AES-GCM (RFC 4106) needs a 4-byte salt');
      expectStatus('ipsecSa', { ...SA, salt: undefined }, 'FIELD_MISSING', 'salt');
      expectStatus('ipsecSa', { ...SA, mode: 'TUNNEL' }, 'FIELD_MISSING', 'tunnelSrc', 'tunnel mode needs tunnelSrc and tunnelDst');
      expectStatus('ipsecSa', { ...SA, mode: 'TUNNEL', tunnelSrc: '192.0.2.1' }, 'FIELD_MISSING', 'tunnelDst', 'tunnel mode needs tunnelSrc and tunnelDst');
      expectStatus('ipsecSa', { ...SA, mode: 'TUNNEL', tunnelSrc: '192.0.2.1', tunnelDst: '2001:db8::2' }, 'FIELD_INVALID', 'tunnelDst', 'tunnelDst and tunnelSrc must be of one address family');
      expectStatus('ipsecSa', { ...SA, tunnelDst: '192.0.2.2' }, 'FIELD_INVALID', 'tunnelDst', 'transport mode has no tunnel addresses');
      expectStatus('ipsecSa', { ...SA, tunnelSrc: '192.0.2.1' }, 'FIELD_INVALID', 'tunnelSrc', 'transport mode has no tunnel addresses');
      expectStatus('ipsecSa', { ...SA, direction: 'OUTBOUND', replayWindow: 64 }, 'FIELD_INVALID', 'replayWindow', 'anti-replay applies to inbound SAs');
      // hal-spec §5.5: in both modes.
      const tunnel = { ...SA, mode: 'TUNNEL', tunnelSrc: '192.0.2.1', tunnelDst: '192.0.2.2' };
      expectOk('ipsecSa', { ...tunnel, replayWindow: 64 });
      expectOk('ipsecSa', { ...tunnel, direction: 'OUTBOUND' });
      expectStatus('ipsecSa', { ...tunnel, direction: 'OUTBOUND', replayWindow: 64 }, 'FIELD_INVALID', 'replayWindow', 'anti-replay applies to inbound SAs');
    });
    it('ipsecSpd: saId only and always with SPD_PROTECT', () => {
      const SPD = { direction: 'OUTBOUND', priority: 5, srcPrefix: '10.0.0.0/8' };
      expectOk('ipsecSpd', { ...SPD, action: 'SPD_PROTECT', saId: 'sa1' });
      expectOk('ipsecSpd', { ...SPD, action: 'SPD_DISCARD' });
      expectOk('ipsecSpd', SPD);
      expectStatus('ipsecSpd', { ...SPD, action: 'SPD_PROTECT' }, 'FIELD_MISSING', 'saId', 'SPD_PROTECT needs saId');
      expectStatus('ipsecSpd', { ...SPD, saId: 'sa1' }, 'FIELD_INVALID', 'saId', 'only SPD_PROTECT takes an saId');
      expectStatus('ipsecSpd', { ...SPD, dstPrefix: '2001:db8::/32' }, 'FIELD_INVALID', 'dstPrefix', 'dstPrefix and srcPrefix must be of one address family');
    });
    it('tlsSession: both directions, key and IV sizes, family', () => {
      const TLS = { localIp: '10.0.0.1', localPort: 443, remoteIp: '10.0.0.2', remotePort: 50000, cipher: 'TLS_AES_128_GCM_SHA256' };
      const keys = (key: Uint8Array, iv = IV) => ({ key, iv, recordSeq: 1 });
      expectOk('tlsSession', { ...TLS, tx: keys(K16), rx: keys(K16) });
      expectOk('tlsSession', { ...TLS, cipher: 'TLS_CHACHA20_POLY1305_SHA256', tx: keys(K32), rx: keys(K32) });
      expectStatus('tlsSession', { ...TLS, rx: keys(K16) }, 'FIELD_MISSING', 'tx', 'tx keys are required');
      expectStatus('tlsSession', { ...TLS, tx: keys(K16) }, 'FIELD_MISSING', 'rx', 'rx keys are required');
      expectStatus('tlsSession', { ...TLS, cipher: 'TLS_AES_256_GCM_SHA384', tx: keys(K16), rx: keys(K32) }, 'FIELD_INVALID', 'tx.key', 'TLS_AES_256_GCM_SHA384 needs a 32-byte key');
      expectStatus('tlsSession', { ...TLS, tx: keys(K16), rx: keys(K16, new Uint8Array(8)) }, 'FIELD_INVALID', 'rx.iv', 'TLS 1.3 needs a 12-byte IV');
      expectStatus('tlsSession', { ...TLS, remoteIp: '2001:db8::2', tx: keys(K16), rx: keys(K16) }, 'FIELD_INVALID', 'remoteIp', 'remoteIp and localIp must be of one address family');
    });
    it('flowLog: collectors are host:port', () => {
      expectOk('flowLog', { recordDenied: true, ipfixCollectors: ['10.0.0.9:4739', '[2001:db8::9]:4739', 'collector.example:4739', 'c:65535'] });
      expectStatus('flowLog', { ipfixCollectors: ['10.0.0.9:4739', 'c'] }, 'FIELD_INVALID', 'ipfixCollectors[1]', '"c" is not host:port');
      expectStatus('flowLog', { ipfixCollectors: ['c:65536'] }, 'FIELD_INVALID', 'ipfixCollectors[0]', '"c:65536" is not host:port');
      expectStatus('flowLog', { ipfixCollectors: ['2001:db8::9:4739'] }, 'FIELD_INVALID', 'ipfixCollectors[0]');
      expectStatus('flowLog', { ipfixCollectors: ['c:47a9'] }, 'FIELD_INVALID', 'ipfixCollectors[0]');
    });
    it('MODIFY is checked by the rules too', () => {
      expectStatus('service', { vip: '10.96.0.1', protocol: 1, drop: {} }, 'FIELD_INVALID', 'protocol', undefined, 'MODIFY');
    });
    it('tables without a rule pass checkTableRules', () => {
      expect(checkTableRules('route', { prefix: 'anything' })).to.equal(null);
      expect(checkTableRules('noSuchTable', {})).to.equal(null);
    });
    it('every table rule was exercised above', () => {
      for (const member of Object.keys(TABLE_RULES)) expect(rulesSeen, member).to.include(member);
      for (const member of Object.keys(TABLE_RULES)) expect(tableCatalog().has(member), member).to.equal(true);
    });
  });
});
