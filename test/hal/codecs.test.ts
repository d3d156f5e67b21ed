import { expect } from 'chai';
import { contextPath, decodeOrThrow, halCodec, joinPath, problemsOf, type CodecOptions, type Problem } from '../../src/hal/codecs.js';
import { HalError } from '../../src/hal/errors.js';

type Obj = Record<string, unknown>;

function decode(name: string, value: unknown, opts: CodecOptions = {}): Obj {
  const r = halCodec(name, opts).decode(value);
  if (r._tag === 'Left') throw new Error(`${name} should decode, got ${JSON.stringify(problemsOf(r.left))}`);
  return r.right;
}

function problems(name: string, value: unknown, opts: CodecOptions = {}): Problem[] {
  const r = halCodec(name, opts).decode(value);
  if (r._tag === 'Right') throw new Error(`${name} should not decode, got ${JSON.stringify(r.right)}`);
  return problemsOf(r.left);
}

/** The only problem is exactly this one. */
function expectProblem(name: string, value: unknown, reason: string, fieldPath: string, message?: string, opts: CodecOptions = {}): void {
  const ps = problems(name, value, opts);
  expect(ps.map((p) => [p.reason, p.fieldPath]), JSON.stringify(ps)).to.deep.equal([[reason, fieldPath]]);
  if (message !== undefined) expect(ps[0].message).to.equal(message);
}

const ROUTE = { prefix: '10.0.0.0/8', nexthopId: 'nh1' };
const ACL = { stage: 'ACL_INGRESS', priority: 100 };
const ENDPOINT = { ip: '10.0.0.5', portId: 'pf0vf1', mac: '02:00:00:00:00:05', endpointId: 'ns/pod-a' };
const TUNNEL = { id: 't1', type: 'VXLAN', localIp: '192.0.2.1', remoteIp: '192.0.2.2', underlayNexthopId: 'nh-up' };
const SA = { id: 'sa1', spi: 0x1000, direction: 'INBOUND', mode: 'TRANSPORT', algorithm: 'AES_GCM_128' };

describe('hal/codecs', () => {
  describe('RouteEntry', () => {
    it('decodes to the canonical form: implicit defaults omitted, the oneof member kept', () => {
      expect(decode('RouteEntry', { vrf: 0, ...ROUTE })).to.deep.equal({ prefix: '10.0.0.0/8', nexthopId: 'nh1' });
      expect(decode('RouteEntry', { vrf: 3, prefix: '2001:db8::/32', drop: {} })).to.deep.equal({ vrf: 3, prefix: '2001:db8::/32', drop: {} });
      expect(decode('RouteEntry', { prefix: '0.0.0.0/0', reject: {} })).to.deep.equal({ prefix: '0.0.0.0/0', reject: {} });
    });
    it('treats null and undefined as absent', () => {
      expect(decode('RouteEntry', { ...ROUTE, ecmpGroupId: null, vrf: undefined, bogus: undefined })).to.deep.equal(ROUTE);
    });
    it('prefix: host bits and non-canonical text are NOT_CANONICAL, garbage FIELD_INVALID', () => {
      expectProblem('RouteEntry', { ...ROUTE, prefix: '10.0.0.1/8' }, 'NOT_CANONICAL', 'prefix', '"10.0.0.1/8" has host bits set: use "10.0.0.0/8"');
      expectProblem('RouteEntry', { ...ROUTE, prefix: '2001:DB8::/32' }, 'NOT_CANONICAL', 'prefix', '"2001:DB8::" is not canonical (RFC 5952): use "2001:db8::"');
      expectProblem('RouteEntry', { ...ROUTE, prefix: '10.0.0.0/33' }, 'FIELD_INVALID', 'prefix', '"10.0.0.0/33" is not an IP prefix (address/length)');
      expectProblem('RouteEntry', { ...ROUTE, prefix: '10.0.0.0' }, 'FIELD_INVALID', 'prefix');
    });
    it('missing required field: FIELD_MISSING, whether absent or empty', () => {
      expectProblem('RouteEntry', { nexthopId: 'nh1' }, 'FIELD_MISSING', 'prefix', 'prefix is required');
      expectProblem('RouteEntry', { prefix: '', nexthopId: 'nh1' }, 'FIELD_MISSING', 'prefix', 'prefix is required');
    });
    it('oneof with no member: ONEOF_UNSET at the oneof name', () => {
      expectProblem('RouteEntry', { prefix: '10.0.0.0/8' }, 'ONEOF_UNSET', 'action', 'one of nexthopId, ecmpGroupId, drop, reject must be set');
    });
    it('oneof with two members: FIELD_INVALID at the second member', () => {
      expectProblem('RouteEntry', { prefix: '10.0.0.0/8', drop: {}, reject: {} }, 'FIELD_INVALID', 'reject', 'only one of nexthopId, ecmpGroupId, drop, reject may be set');
      expectProblem('RouteEntry', { ...ROUTE, ecmpGroupId: 'g1' }, 'FIELD_INVALID', 'ecmpGroupId');
    });
    it('unknown fields are rejected, including snake_case spellings', () => {
      expectProblem('RouteEntry', { ...ROUTE, nextHop: 'x' }, 'FIELD_INVALID', 'nextHop', 'RouteEntry has no field "nextHop"');
      expectProblem('RouteEntry', { prefix: '10.0.0.0/8', nexthop_id: 'nh1', drop: {} }, 'FIELD_INVALID', 'nexthop_id', 'RouteEntry has no field "nexthop_id"');
      expectProblem('RouteEntry', { ...ROUTE, vrf: null, drop: undefined, extra: 0 }, 'FIELD_INVALID', 'extra');
    });
    it('wrong types', () => {
      expectProblem('RouteEntry', { ...ROUTE, vrf: '1' }, 'FIELD_INVALID', 'vrf', 'expected an integer, got "1"');
      expectProblem('RouteEntry', { ...ROUTE, vrf: 1.5 }, 'FIELD_INVALID', 'vrf', 'expected an integer, got 1.5');
      expectProblem('RouteEntry', { ...ROUTE, vrf: true }, 'FIELD_INVALID', 'vrf', 'expected an integer, got true');
      expectProblem('RouteEntry', { ...ROUTE, vrf: Number.NaN }, 'FIELD_INVALID', 'vrf');
      expectProblem('RouteEntry', { prefix: 10, drop: {} }, 'FIELD_INVALID', 'prefix', 'expected a string, got number');
      expectProblem('RouteEntry', { prefix: '10.0.0.0/8', drop: 'yes' }, 'FIELD_INVALID', 'drop', 'expected a NoParams object');
      expectProblem('RouteEntry', { prefix: '10.0.0.0/8', drop: [] }, 'FIELD_INVALID', 'drop', 'expected a NoParams object');
      expectProblem('RouteEntry', { prefix: '10.0.0.0/8', drop: { why: 1 } }, 'FIELD_INVALID', 'drop.why', 'NoParams has no field "why"');
    });
    it('bounds: uint32 range, then the (format) range', () => {
      expectProblem('RouteEntry', { ...ROUTE, vrf: -1 }, 'FIELD_INVALID', 'vrf', '-1 is out of range for uint32 (0..4294967295)');
      expectProblem('RouteEntry', { ...ROUTE, vrf: 2 ** 32 }, 'FIELD_INVALID', 'vrf', '4294967296 is out of range for uint32 (0..4294967295)');
      expectProblem('RouteEntry', { ...ROUTE, vrf: 65536 }, 'FIELD_INVALID', 'vrf', '65536 is not a valid VRF (0..65535)');
      expect(decode('RouteEntry', { ...ROUTE, vrf: 65535 }).vrf).to.equal(65535);
    });
    it('ID format on references', () => {
      expectProblem('RouteEntry', { ...ROUTE, nexthopId: 'nh 1' }, 'FIELD_INVALID', 'nexthopId', '"nh 1" is not an id (1..128 of [A-Za-z0-9._:/-])');
      expectProblem('RouteEntry', { ...ROUTE, nexthopId: 'n'.repeat(129) }, 'FIELD_INVALID', 'nexthopId');
      expect(decode('RouteEntry', { ...ROUTE, nexthopId: 'n'.repeat(128) }).nexthopId).to.have.length(128);
    });
    it('a non-object is FIELD_INVALID at the root', () => {
      for (const bad of ['x', 1, null, [], new Uint8Array(1), true]) {
        expectProblem('RouteEntry', bad, 'FIELD_INVALID', '', 'expected a RouteEntry object');
      }
    });
    it('reports every problem, unknown fields first, then fields in number order, then oneofs', () => {
      const ps = problems('RouteEntry', { zzz: 1, prefix: '1.2.3.4/8', vrf: -1 });
      expect(ps.map((p) => [p.reason, p.fieldPath])).to.deep.equal([
        ['FIELD_INVALID', 'zzz'],
        ['FIELD_INVALID', 'vrf'],
        ['NOT_CANONICAL', 'prefix'],
        ['ONEOF_UNSET', 'action'],
      ]);
    });
  });

  describe('AclEntry', () => {
    it('keeps proto3 optional fields when 0; drops implicit defaults', () => {
      expect(decode('AclEntry', { ...ACL, protocol: 0, icmpType: 0, icmpCode: 0 })).to.deep.equal({ stage: 'ACL_INGRESS', protocol: 0, icmpType: 0, icmpCode: 0, priority: 100 });
      expect(decode('AclEntry', { ...ACL, endpointId: '', action: 'ACL_ALLOW', log: false, policyRef: '', srcPrefix: '' })).to.deep.equal({ stage: 'ACL_INGRESS', priority: 100 });
      expect(decode('AclEntry', ACL)).to.not.have.property('protocol');
    });
    it('keeps sub-message presence, with the sub-message canonical', () => {
      expect(decode('AclEntry', { ...ACL, protocol: 6, srcPorts: { lo: 0, hi: 0 }, dstPorts: { lo: 80, hi: 443 }, action: 'ACL_REJECT', log: true })).to.deep.equal({
        stage: 'ACL_INGRESS',
        protocol: 6,
        srcPorts: {},
        dstPorts: { lo: 80, hi: 443 },
        priority: 100,
        action: 'ACL_REJECT',
        log: true,
      });
    });
    it('output keys are in field-number order whatever the input order', () => {
      const out = decode('AclEntry', { priority: 5, log: true, dstPrefix: '10.0.0.0/8', stage: 'ACL_EGRESS', protocol: 17 });
      expect(Object.keys(out)).to.deep.equal(['stage', 'dstPrefix', 'protocol', 'priority', 'log']);
    });
    it('enums by name only', () => {
      expectProblem('AclEntry', { ...ACL, stage: 1 }, 'FIELD_INVALID', 'stage', '1 is not a AclStage (one of ACL_STAGE_UNSPECIFIED, ACL_INGRESS, ACL_EGRESS)');
      expectProblem('AclEntry', { ...ACL, stage: 'acl_ingress' }, 'FIELD_INVALID', 'stage');
      expectProblem('AclEntry', { ...ACL, stage: 'toString' }, 'FIELD_INVALID', 'stage');
      expectProblem('AclEntry', { ...ACL, action: 'DENY' }, 'FIELD_INVALID', 'action', '"DENY" is not a AclAction (one of ACL_ALLOW, ACL_DENY, ACL_REJECT)');
    });
    it('a required enum at its zero value is FIELD_MISSING', () => {
      expectProblem('AclEntry', { ...ACL, stage: 'ACL_STAGE_UNSPECIFIED' }, 'FIELD_MISSING', 'stage', 'stage must be set (not ACL_STAGE_UNSPECIFIED)');
      expectProblem('AclEntry', { priority: 1 }, 'FIELD_MISSING', 'stage', 'stage is required');
    });
    it('priority: required, 1..2^31-1', () => {
      expectProblem('AclEntry', { ...ACL, priority: 0 }, 'FIELD_MISSING', 'priority', 'priority is required');
      expectProblem('AclEntry', { ...ACL, priority: 2 ** 31 }, 'FIELD_INVALID', 'priority', '2147483648 is not a valid priority (1..2147483647)');
      expect(decode('AclEntry', { ...ACL, priority: 2 ** 31 - 1 }).priority).to.equal(2 ** 31 - 1);
    });
    it('IP protocol, 8-bit and L4 port formats', () => {
      expectProblem('AclEntry', { ...ACL, protocol: 256 }, 'FIELD_INVALID', 'protocol', '256 is not a valid IP protocol (0..255)');
      expectProblem('AclEntry', { ...ACL, icmpType: 256 }, 'FIELD_INVALID', 'icmpType', '256 is not a valid 8-bit value (0..255)');
      expectProblem('AclEntry', { ...ACL, icmpCode: -1 }, 'FIELD_INVALID', 'icmpCode', '-1 is out of range for uint32 (0..4294967295)');
      expectProblem('AclEntry', { ...ACL, dstPorts: { lo: 1, hi: 70000 } }, 'FIELD_INVALID', 'dstPorts.hi', '70000 is not a valid L4 port (0..65535)');
      expectProblem('AclEntry', { ...ACL, srcPorts: { lo: 1, high: 2 } }, 'FIELD_INVALID', 'srcPorts.high', 'PortRange has no field "high"');
    });
    it('prefix formats', () => {
      expectProblem('AclEntry', { ...ACL, srcPrefix: '10.1.1.1/16' }, 'NOT_CANONICAL', 'srcPrefix');
      expectProblem('AclEntry', { ...ACL, dstPrefix: 'fe80::1' }, 'FIELD_INVALID', 'dstPrefix', '"fe80::1" is not an IP prefix (address/length)');
    });
  });

  describe('EndpointEntry', () => {
    it('decodes', () => {
      expect(decode('EndpointEntry', { ...ENDPOINT, vrf: 0, isolatedIngress: false, isolatedEgress: true })).to.deep.equal({ ...ENDPOINT, isolatedEgress: true });
      expect(decode('EndpointEntry', { ...ENDPOINT, ip: '2001:db8::5' }).ip).to.equal('2001:db8::5');
    });
    it('addresses and MACs must be canonical', () => {
      expectProblem('EndpointEntry', { ...ENDPOINT, ip: '2001:DB8::5' }, 'NOT_CANONICAL', 'ip', '"2001:DB8::5" is not canonical (RFC 5952): use "2001:db8::5"');
      expectProblem('EndpointEntry', { ...ENDPOINT, ip: '2001:db8:0:0:0:0:0:5' }, 'NOT_CANONICAL', 'ip');
      expectProblem('EndpointEntry', { ...ENDPOINT, ip: '10.0.0.05' }, 'FIELD_INVALID', 'ip', '"10.0.0.05" is not an IPv4 address');
      expectProblem('EndpointEntry', { ...ENDPOINT, mac: '02:00:00:00:00:AB' }, 'NOT_CANONICAL', 'mac', '"02:00:00:00:00:AB" is not canonical: use "02:00:00:00:00:ab"');
      expectProblem('EndpointEntry', { ...ENDPOINT, mac: '02-00-00-00-00-05' }, 'FIELD_INVALID', 'mac');
    });
    it('several missing required fields, in field order', () => {
      const ps = problems('EndpointEntry', { ip: '10.0.0.5' });
      expect(ps.map((p) => [p.reason, p.fieldPath, p.message])).to.deep.equal([
        ['FIELD_MISSING', 'portId', 'portId is required'],
        ['FIELD_MISSING', 'mac', 'mac is required'],
        ['FIELD_MISSING', 'endpointId', 'endpointId is required'],
      ]);
    });
    it('booleans must be booleans', () => {
      expectProblem('EndpointEntry', { ...ENDPOINT, isolatedIngress: 'true' }, 'FIELD_INVALID', 'isolatedIngress', 'expected a boolean, got string');
      expectProblem('EndpointEntry', { ...ENDPOINT, isolatedEgress: 1 }, 'FIELD_INVALID', 'isolatedEgress', 'expected a boolean, got number');
    });
  });

  describe('TunnelEntry', () => {
    it('decodes, copying bytes into a fresh Uint8Array', () => {
      const data = Buffer.from([1, 2, 3, 4]);
      const out = decode('TunnelEntry', { ...TUNNEL, type: 'GENEVE', vni: 0xffffff, ttl: 255, udpDstPort: 0, geneveOptions: [{ optionClass: 0x0102, type: 3, data }] });
      expect(out).to.deep.include({ ...TUNNEL, type: 'GENEVE', vni: 0xffffff, ttl: 255 });
      expect(out).to.not.have.property('udpDstPort');
      const opt = (out.geneveOptions as Obj[])[0];
      expect(opt.optionClass).to.equal(0x0102);
      expect(opt.data).to.be.instanceOf(Uint8Array);
      expect(opt.data).to.not.equal(data);
      expect(Array.from(opt.data as Uint8Array)).to.deep.equal([1, 2, 3, 4]);
      expect(decode('TunnelEntry', { ...TUNNEL, geneveOptions: [] })).to.not.have.property('geneveOptions');
    });
    it('required enum, VNI, ttl max, nested list paths', () => {
      expectProblem('TunnelEntry', { ...TUNNEL, type: 'TUNNEL_TYPE_UNSPECIFIED' }, 'FIELD_MISSING', 'type');
      expectProblem('TunnelEntry', { ...TUNNEL, type: 'GRE' }, 'FIELD_INVALID', 'type', '"GRE" is not a TunnelType (one of TUNNEL_TYPE_UNSPECIFIED, VXLAN, GENEVE)');
      expectProblem('TunnelEntry', { ...TUNNEL, vni: 2 ** 24 }, 'FIELD_INVALID', 'vni', '16777216 is not a valid VNI (0..16777215)');
      expectProblem('TunnelEntry', { ...TUNNEL, ttl: 256 }, 'FIELD_INVALID', 'ttl', '256 is above the maximum 255');
      expectProblem('TunnelEntry', { ...TUNNEL, udpDstPort: 65536 }, 'FIELD_INVALID', 'udpDstPort', '65536 is not a valid L4 port (0..65535)');
      expectProblem('TunnelEntry', { ...TUNNEL, geneveOptions: [{}, { data: [1, 2, 3, 4] }] }, 'FIELD_INVALID', 'geneveOptions[1].data', 'expected bytes (Uint8Array)');
      expectProblem('TunnelEntry', { ...TUNNEL, geneveOptions: [{ type: 256 }] }, 'FIELD_INVALID', 'geneveOptions[0].type', '256 is above the maximum 255');
      expectProblem('TunnelEntry', { ...TUNNEL, geneveOptions: { type: 1 } }, 'FIELD_INVALID', 'geneveOptions', 'expected a list');
      expectProblem('TunnelEntry', { ...TUNNEL, geneveOptions: [7] }, 'FIELD_INVALID', 'geneveOptions[0]', 'expected a GeneveOption object');
      expectProblem('TunnelEntry', { ...TUNNEL, remoteIp: '' }, 'FIELD_MISSING', 'remoteIp');
    });
  });

  describe('IpsecSaEntry', () => {
    const key = new Uint8Array(16).fill(7);
    const salt = new Uint8Array(4).fill(1);
    it('decodes with key material; uint64 up to 2^53-1', () => {
      const out = decode('IpsecSaEntry', { ...SA, key, salt, hardLifetimeBytes: Number.MAX_SAFE_INTEGER, replayWindow: 4096 });
      expect(out).to.deep.include({ ...SA, hardLifetimeBytes: Number.MAX_SAFE_INTEGER, replayWindow: 4096 });
      expect(Array.from(out.key as Uint8Array)).to.deep.equal(Array.from(key));
    });
    it('uint64 beyond 2^53-1 is FIELD_INVALID; strings are not accepted', () => {
      expectProblem('IpsecSaEntry', { ...SA, hardLifetimeBytes: 2 ** 53 }, 'FIELD_INVALID', 'hardLifetimeBytes', '9007199254740992 is out of range for uint64 (0..9007199254740991)');
      expectProblem('IpsecSaEntry', { ...SA, softLifetimePackets: -1 }, 'FIELD_INVALID', 'softLifetimePackets', '-1 is out of range for uint64 (0..9007199254740991)');
      expectProblem('IpsecSaEntry', { ...SA, softLifetimePackets: '10' }, 'FIELD_INVALID', 'softLifetimePackets', 'expected an integer, got "10"');
    });
    it('SPI: 0 is missing, 1..255 reserved, above 2^32-1 out of range', () => {
      expectProblem('IpsecSaEntry', { ...SA, spi: 0 }, 'FIELD_MISSING', 'spi', 'spi is required');
      expectProblem('IpsecSaEntry', { ...SA, spi: 255 }, 'FIELD_INVALID', 'spi', '255 is not a valid SPI (256..4294967295)');
      expectProblem('IpsecSaEntry', { ...SA, spi: 1 }, 'FIELD_INVALID', 'spi');
      expectProblem('IpsecSaEntry', { ...SA, spi: 2 ** 32 }, 'FIELD_INVALID', 'spi', '4294967296 is out of range for uint32 (0..4294967295)');
      expect(decode('IpsecSaEntry', { ...SA, spi: 256 }).spi).to.equal(256);
      expect(decode('IpsecSaEntry', { ...SA, spi: 2 ** 32 - 1 }).spi).to.equal(2 ** 32 - 1);
    });
    it('replayWindow max, required enums', () => {
      expectProblem('IpsecSaEntry', { ...SA, replayWindow: 4097 }, 'FIELD_INVALID', 'replayWindow', '4097 is above the maximum 4096');
      expectProblem('IpsecSaEntry', { ...SA, algorithm: 'AEAD_UNSPECIFIED' }, 'FIELD_MISSING', 'algorithm', 'algorithm must be set (not AEAD_UNSPECIFIED)');
      expectProblem('IpsecSaEntry', { ...SA, key: 'secret' }, 'FIELD_INVALID', 'key', 'expected bytes (Uint8Array)');
    });
    it('forbidWriteOnly rejects key material without echoing it', () => {
      const r = halCodec('IpsecSaEntry', { forbidWriteOnly: true }).decode({ ...SA, key, salt });
      expect(r._tag).to.equal('Left');
      if (r._tag !== 'Left') return;
      expect(problemsOf(r.left).map((p) => [p.reason, p.fieldPath, p.message])).to.deep.equal([
        ['FIELD_INVALID', 'key', 'key is write-only'],
        ['FIELD_INVALID', 'salt', 'salt is write-only'],
      ]);
      expect(r.left.map((e) => e.value)).to.deep.equal(['<redacted>', '<redacted>']);
      expect(decode('IpsecSaEntry', SA, { forbidWriteOnly: true })).to.deep.equal(SA);
    });
    it('forbidWriteOnly reaches nested messages', () => {
      const tls = { localIp: '10.0.0.1', localPort: 443, remoteIp: '10.0.0.2', remotePort: 5555, cipher: 'TLS_AES_128_GCM_SHA256', tx: { key: new Uint8Array(16), recordSeq: 3 } };
      expectProblem('TlsSessionEntry', tls, 'FIELD_INVALID', 'tx.key', 'key is write-only', { forbidWriteOnly: true });
      expect(decode('TlsSessionEntry', { ...tls, tx: { recordSeq: 3 } }, { forbidWriteOnly: true }).tx).to.deep.equal({ recordSeq: 3 });
    });
  });

  describe('BackendGroupEntry', () => {
    it('decodes members canonically', () => {
      const out = decode('BackendGroupEntry', {
        id: 'svc-a',
        members: [
          { ip: '10.0.1.1', port: 8080, weight: 0, state: 'MEMBER_ACTIVE' },
          { ip: '2001:db8::2', port: 8080, weight: 5, state: 'MEMBER_TERMINATING' },
        ],
      });
      expect(out).to.deep.equal({
        id: 'svc-a',
        members: [
          { ip: '10.0.1.1', port: 8080 },
          { ip: '2001:db8::2', port: 8080, weight: 5, state: 'MEMBER_TERMINATING' },
        ],
      });
      expect(decode('BackendGroupEntry', { id: 'g', members: [] })).to.deep.equal({ id: 'g' });
    });
    it('nested paths name the member', () => {
      expectProblem('BackendGroupEntry', { id: 'g', members: [{ ip: '10.0.0.1', port: 1 }, { ip: '10.0.0.300', port: 1 }] }, 'FIELD_INVALID', 'members[1].ip', '"10.0.0.300" is not an IPv4 address');
      expectProblem('BackendGroupEntry', { id: 'g', members: [{ ip: '10.0.0.1' }] }, 'FIELD_MISSING', 'members[0].port', 'port is required');
      expectProblem('BackendGroupEntry', { id: 'g', members: [{ ip: '10.0.0.1', port: 0 }] }, 'FIELD_MISSING', 'members[0].port');
      expectProblem('BackendGroupEntry', { id: 'g', members: [{ ip: '10.0.0.1', port: 1, weight: 1025 }] }, 'FIELD_INVALID', 'members[0].weight', '1025 is above the maximum 1024');
      expectProblem('BackendGroupEntry', { id: 'g', members: [{ ip: '10.0.0.1', port: 1, state: 'MEMBER_GONE' }] }, 'FIELD_INVALID', 'members[0].state');
      expectProblem('BackendGroupEntry', { id: 'g', members: [{ ip: '10.0.0.1', port: 1, extra: 1 }] }, 'FIELD_INVALID', 'members[0].extra', 'BackendMember has no field "extra"');
      const ps = problems('BackendGroupEntry', { id: 'g', members: [{ ip: 'x', port: 1 }, { ip: '10.0.0.1', port: 1 }, { ip: '10.0.0.1', port: 99999 }] });
      expect(ps.map((p) => p.fieldPath)).to.deep.equal(['members[0].ip', 'members[2].port']);
    });
  });

  describe('other tables', () => {
    it('EcmpGroupEntry: weight 0 is the default, (min)/(max) apply to non-zero values', () => {
      expect(decode('EcmpGroupEntry', { id: 'g', members: [{ nexthopId: 'a', weight: 0 }] })).to.deep.equal({ id: 'g', members: [{ nexthopId: 'a' }] });
      expectProblem('EcmpGroupEntry', { id: 'g', members: [{ nexthopId: 'a' }, { nexthopId: 'b', weight: 2000 }] }, 'FIELD_INVALID', 'members[1].weight', '2000 is above the maximum 1024');
      expectProblem('EcmpGroupEntry', { id: 'g', members: [{ weight: 1 }] }, 'FIELD_MISSING', 'members[0].nexthopId');
    });
    it('PortEntry: (min) bound', () => {
      expectProblem('PortEntry', { id: 'p0', mtu: 67 }, 'FIELD_INVALID', 'mtu', '67 is below the minimum 68');
      expectProblem('PortEntry', { id: 'p0', mtu: 16385 }, 'FIELD_INVALID', 'mtu', '16385 is above the maximum 16384');
      expectProblem('PortEntry', { id: 'p0', ctZone: 65536 }, 'FIELD_INVALID', 'ctZone', '65536 is not a valid conntrack zone (0..65535)');
      expect(decode('PortEntry', { id: 'p0', mtu: 0, adminUp: true })).to.deep.equal({ id: 'p0', adminUp: true });
      expectProblem('PortEntry', {}, 'FIELD_MISSING', 'id', 'id is required');
    });
    it('ServiceEntry: nested oneof member paths', () => {
      const svc = { vip: '10.96.0.10', protocol: 17, port: 53 };
      expect(decode('ServiceEntry', { ...svc, balance: { backendGroupId: 'dns', snatMode: 'SNAT_NONE', whenEmpty: 'WHEN_EMPTY_REJECT' } })).to.deep.equal({ ...svc, balance: { backendGroupId: 'dns' } });
      expectProblem('ServiceEntry', { ...svc, balance: {} }, 'FIELD_MISSING', 'balance.backendGroupId', 'backendGroupId is required');
      expectProblem('ServiceEntry', { ...svc, balance: { backendGroupId: 'dns', affinityTimeoutS: 86401 } }, 'FIELD_INVALID', 'balance.affinityTimeoutS', '86401 is above the maximum 86400');
      expectProblem('ServiceEntry', { ...svc, balance: { backendGroupId: 'dns', snatIp: '2001:db8::01' } }, 'NOT_CANONICAL', 'balance.snatIp');
      expectProblem('ServiceEntry', { ...svc, protocol: 0, drop: {} }, 'FIELD_MISSING', 'protocol');
    });
    it('FlowLogEntry: repeated strings', () => {
      expect(decode('FlowLogEntry', {})).to.deep.equal({});
      expect(decode('FlowLogEntry', { ipfixCollectors: ['c:4739'] })).to.deep.equal({ ipfixCollectors: ['c:4739'] });
      expectProblem('FlowLogEntry', { ipfixCollectors: ['c:4739', 5] }, 'FIELD_INVALID', 'ipfixCollectors[1]', 'expected a string, got number');
    });
    it('PolicerBindingEntry: a oneof of key fields', () => {
      expect(decode('PolicerBindingEntry', { portId: 'p0', direction: 'INGRESS', policerId: 'pol' })).to.deep.equal({ portId: 'p0', direction: 'INGRESS', policerId: 'pol' });
      expectProblem('PolicerBindingEntry', { direction: 'INGRESS', policerId: 'pol' }, 'ONEOF_UNSET', 'target', 'one of portId, endpointId must be set');
      expectProblem('PolicerBindingEntry', { portId: 'p0', endpointId: 'e', direction: 'EGRESS', policerId: 'pol' }, 'FIELD_INVALID', 'endpointId');
    });
    it('CtZoneEntry: zone 0 is a valid key; sub-message presence kept', () => {
      expect(decode('CtZoneEntry', { zone: 0, timeouts: { tcpEstablished: 0 } })).to.deep.equal({ timeouts: {} });
      expect(decode('CtZoneEntry', { zone: 7, maxEntries: 2 ** 40 })).to.deep.equal({ zone: 7, maxEntries: 2 ** 40 });
    });
  });

  describe('WriteRequest', () => {
    const update = (type: string, entry: unknown) => ({ type, entry });
    it('decodes nested updates canonically', () => {
      const out = decode('WriteRequest', {
        atomicity: 'CONTINUE_ON_ERROR',
        expectedGeneration: 0,
        updates: [update('INSERT', { route: { vrf: 0, ...ROUTE } }), update('DELETE', { acl: { ...ACL, protocol: 0 } })],
      });
      expect(out).to.deep.equal({ updates: [update('INSERT', { route: ROUTE }), update('DELETE', { acl: { stage: 'ACL_INGRESS', protocol: 0, priority: 100 } })] });
      expect(decode('WriteRequest', { atomicity: 'DATAPLANE_ATOMIC', expectedGeneration: 12, updates: [] })).to.deep.equal({ atomicity: 'DATAPLANE_ATOMIC', expectedGeneration: 12 });
    });
    it('paths run through the envelope', () => {
      expectProblem('WriteRequest', { updates: [update('INSERT', { route: ROUTE }), update('INSERT', { route: { ...ROUTE, prefix: '10.0.0.1/8' } })] }, 'NOT_CANONICAL', 'updates[1].entry.route.prefix');
      expectProblem('WriteRequest', { updates: [update('INSERT', { backendGroup: { id: 'g', members: [{ ip: '1.1.1.1', port: 1 }, { ip: '::G', port: 1 }] } })] }, 'FIELD_INVALID', 'updates[0].entry.backendGroup.members[1].ip');
      expectProblem('WriteRequest', { updates: [update('INSERT', {})] }, 'ONEOF_UNSET', 'updates[0].entry.entry');
      expectProblem('WriteRequest', { updates: [update('INSERT', { route: ROUTE, neighbor: { ip: '10.0.0.1', mac: '00:00:00:00:00:01' } })] }, 'FIELD_INVALID', 'updates[0].entry.route');
      expectProblem('WriteRequest', { updates: [update('UPSERT', { route: ROUTE })] }, 'FIELD_INVALID', 'updates[0].type');
      const ps = problems('WriteRequest', { updates: [update('INSERT', { routes: ROUTE })] });
      expect(ps.map((p) => [p.reason, p.fieldPath, p.message.slice(0, 30)])).to.deep.equal([
        ['FIELD_INVALID', 'updates[0].entry.routes', 'TableEntry has no field "route'],
        ['ONEOF_UNSET', 'updates[0].entry.entry', 'one of port, endpoint, neighbo'],
      ]);
    });
    it('top-level fields: enums, uint64 bounds, unknown fields', () => {
      expectProblem('WriteRequest', { atomicity: 'ALL_OR_NOTHING' }, 'FIELD_INVALID', 'atomicity');
      expectProblem('WriteRequest', { atomicity: 1 }, 'FIELD_INVALID', 'atomicity');
      expectProblem('WriteRequest', { expectedGeneration: 2 ** 53 }, 'FIELD_INVALID', 'expectedGeneration', '9007199254740992 is out of range for uint64 (0..9007199254740991)');
      expectProblem('WriteRequest', { updates: 'x' }, 'FIELD_INVALID', 'updates', 'expected a list');
      expectProblem('WriteRequest', { generation: 1 }, 'FIELD_INVALID', 'generation', 'WriteRequest has no field "generation"');
    });
  });

  describe('keyOnly mode', () => {
    it('keeps and validates only key fields, ignoring the action oneof', () => {
      expect(decode('RouteEntry', { vrf: 2, prefix: '10.0.0.0/8', nexthopId: 'not an id!' }, { keyOnly: true })).to.deep.equal({ vrf: 2, prefix: '10.0.0.0/8' });
      expect(decode('RouteEntry', { prefix: '10.0.0.0/8' }, { keyOnly: true })).to.deep.equal({ prefix: '10.0.0.0/8' });
      expect(decode('EndpointEntry', { ip: '10.0.0.5' }, { keyOnly: true })).to.deep.equal({ ip: '10.0.0.5' });
    });
    it('still rejects bad or missing keys and unknown fields', () => {
      expectProblem('RouteEntry', { drop: {} }, 'FIELD_MISSING', 'prefix', 'prefix is required', { keyOnly: true });
      expectProblem('RouteEntry', { prefix: '10.0.0.1/8' }, 'NOT_CANONICAL', 'prefix', undefined, { keyOnly: true });
      expectProblem('RouteEntry', { prefix: '10.0.0.0/8', foo: 1 }, 'FIELD_INVALID', 'foo', undefined, { keyOnly: true });
    });
    it('priority is part of the key of prioritized tables', () => {
      expect(decode('AclEntry', { ...ACL, protocol: 6, action: 'ACL_DENY', log: true, policyRef: 'ns/p' }, { keyOnly: true })).to.deep.equal({ stage: 'ACL_INGRESS', protocol: 6, priority: 100 });
      expectProblem('AclEntry', { stage: 'ACL_INGRESS' }, 'FIELD_MISSING', 'priority', undefined, { keyOnly: true });
    });
    it('a oneof of key fields is still checked', () => {
      expectProblem('PolicerBindingEntry', { direction: 'INGRESS' }, 'ONEOF_UNSET', 'target', undefined, { keyOnly: true });
      expect(decode('PolicerBindingEntry', { endpointId: 'e', direction: 'INGRESS' }, { keyOnly: true })).to.deep.equal({ endpointId: 'e', direction: 'INGRESS' });
    });
    it('object tables keep only the id', () => {
      expect(decode('IpsecSaEntry', { id: 'sa1', spi: 1, key: 'not bytes' }, { keyOnly: true })).to.deep.equal({ id: 'sa1' });
      expect(decode('FlowLogEntry', { recordAllowed: true }, { keyOnly: true })).to.deep.equal({});
    });
  });

  describe('decodeOrThrow, problemsOf, paths', () => {
    it('decodeOrThrow returns the canonical value or throws the first problem as a HalError', () => {
      expect(decodeOrThrow(halCodec('RouteEntry'), { vrf: 0, ...ROUTE })).to.deep.equal(ROUTE);
      let err: unknown;
      try {
        decodeOrThrow(halCodec('RouteEntry'), { vrf: -1, prefix: '10.0.0.1/8' }, 'updates[3].entry.route');
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(HalError);
      const e = err as HalError;
      expect(e.code).to.equal('INVALID_ARGUMENT');
      expect(e.reason).to.equal('FIELD_INVALID');
      expect(e.fieldPath).to.equal('updates[3].entry.route.vrf');
      expect(e.message).to.equal('-1 is out of range for uint32 (0..4294967295)');
    });
    it('problemsOf joins a base path', () => {
      const r = halCodec('BackendGroupEntry').decode({ id: 'g', members: [{ ip: '1.1.1.1' }] });
      expect(r._tag).to.equal('Left');
      if (r._tag === 'Left') {
        expect(problemsOf(r.left, 'updates[0].entry.backendGroup')).to.deep.equal([
          { reason: 'FIELD_MISSING', message: 'port is required', fieldPath: 'updates[0].entry.backendGroup.members[0].port' },
        ]);
        expect(problemsOf(r.left)[0].fieldPath).to.equal('members[0].port');
      }
    });
    it('joinPath and contextPath', () => {
      expect(joinPath('', 'a.b')).to.equal('a.b');
      expect(joinPath('a', '')).to.equal('a');
      expect(joinPath('updates', '[2].entry')).to.equal('updates[2].entry');
      expect(joinPath('updates[2]', 'entry')).to.equal('updates[2].entry');
      const ctx = ['', 'updates', '2', 'entry', 'route', 'prefix'].map((key) => ({ key, type: halCodec('RouteEntry') }));
      expect(contextPath(ctx)).to.equal('updates[2].entry.route.prefix');
    });
    it('halCodec caches per message and options; unknown messages throw', () => {
      expect(halCodec('RouteEntry')).to.equal(halCodec('RouteEntry'));
      expect(halCodec('RouteEntry', { keyOnly: true })).to.not.equal(halCodec('RouteEntry'));
      expect(halCodec('RouteEntry').name).to.equal('RouteEntry');
      expect(() => halCodec('NoSuchEntry')).to.throw();
    });
  });
});
