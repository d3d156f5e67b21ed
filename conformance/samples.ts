// One valid entry per client-insertable table, with a modified variant (same key,
// other content), what Read must return for each (canonical, write-only fields
// removed: hal-spec §4.3, §15), the key alone, and the objects it refers to.
import type { Ctx, Entry } from './framework/context.js';

const fill = (n: number, b: number) => new Uint8Array(n).fill(b);
/** Recognisable key material: it must never come back (hal-spec §15). */
export const KEY16 = fill(16, 0xa5);
export const KEY32 = fill(32, 0xa6);
export const SALT = fill(4, 0x5a);
export const TLS_KEY = fill(16, 0xc3);
export const TLS_IV = fill(12, 0x3c);

export interface Sample {
  readonly table: string;
  readonly member: string;
  /** Objects the entry refers to, inserted first. */
  readonly prereq: Entry[];
  /** Tables the prerequisites need. */
  readonly prereqTables: string[];
  readonly entry: Entry;
  readonly read: Entry;
  readonly modified: Entry;
  readonly modifiedRead: Entry;
  readonly key: Entry;
}

function s(table: string, member: string, prereq: Entry[], entry: object, read: object | null, modified: object, modifiedRead: object | null, key: object): Sample {
  const w = (b: object) => ({ [member]: b }) as Entry;
  const prereqTables = [...new Set(prereq.map((e) => Object.keys(e)[0].replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`)))];
  return { table, member, prereq, prereqTables, entry: w(entry), read: w(read ?? entry), modified: w(modified), modifiedRead: w(modifiedRead ?? modified), key: w(key) };
}

export function samples(c: Ctx): Sample[] {
  const nh1 = { nexthop: { id: 'nh1', port: { portId: c.U0, ip: '192.168.0.1' } } };
  const nh2 = { nexthop: { id: 'nh2', port: { portId: c.U1, ip: '192.168.1.1' } } };
  const bg1 = { backendGroup: { id: 'bg1', members: [{ ip: '10.1.0.1', port: 80 }] } };
  const pol1 = { policer: { id: 'pol1', mode: 'SRTCM', cir: 1000, cbs: 1500 } };
  const pol2 = { policer: { id: 'pol2', mode: 'SRTCM', cir: 2000, cbs: 3000 } };
  const sa1 = { ipsecSa: { id: 'sa1', spi: 4096, direction: 'OUTBOUND', mode: 'TRANSPORT', algorithm: 'AES_GCM_128', key: KEY16, salt: SALT } };
  return [
    s('endpoint', 'endpoint', [], { ip: '10.0.0.10', portId: c.H0, mac: '02:aa:00:00:00:0a', endpointId: 'ep-a', isolatedIngress: true }, null,
      { ip: '10.0.0.10', portId: c.H1, mac: '02:aa:00:00:00:0b', endpointId: 'ep-a', isolatedEgress: true }, null, { ip: '10.0.0.10' }),
    s('neighbor', 'neighbor', [], { vrf: 2, ip: '192.0.2.77', mac: '02:bb:00:00:00:01' }, null,
      { vrf: 2, ip: '192.0.2.77', mac: '02:bb:00:00:00:02' }, null, { vrf: 2, ip: '192.0.2.77' }),
    s('route', 'route', [nh1, nh2], { prefix: '10.2.0.0/16', nexthopId: 'nh1' }, null, { prefix: '10.2.0.0/16', drop: {} }, null, { prefix: '10.2.0.0/16' }),
    s('nexthop', 'nexthop', [], { id: 'nh9', port: { portId: c.U1, ip: '192.168.1.9' } }, null,
      { id: 'nh9', port: { portId: c.H1, dmac: '02:bb:00:00:00:09' } }, null, { id: 'nh9' }),
    s('ecmp_group', 'ecmpGroup', [nh1, nh2], { id: 'g1', members: [{ nexthopId: 'nh1', weight: 1 }, { nexthopId: 'nh2', weight: 3 }] }, null,
      { id: 'g1', members: [{ nexthopId: 'nh2', weight: 7 }] }, null, { id: 'g1' }),
    s('tunnel', 'tunnel', [nh1], { id: 't1', type: 'VXLAN', localIp: '192.0.2.1', remoteIp: '192.0.2.2', vni: 100, underlayNexthopId: 'nh1' }, null,
      { id: 't1', type: 'GENEVE', localIp: '192.0.2.1', remoteIp: '192.0.2.3', vni: 200, ttl: 32, underlayNexthopId: 'nh1', geneveOptions: [{ optionClass: 0x102, type: 1, data: fill(4, 1) }] },
      null, { id: 't1' }),
    s('tunnel_term', 'tunnelTerm', [], { localIp: '192.0.2.1', vni: 100, type: 'VXLAN', vrf: 3 }, null,
      { localIp: '192.0.2.1', vni: 100, type: 'VXLAN', vrf: 4 }, null, { localIp: '192.0.2.1', vni: 100, type: 'VXLAN' }),
    // Balance options only where declared: a device refuses those it cannot honour (§5.4 step 4).
    s('service', 'service', [bg1], { vip: '10.96.0.10', protocol: 6, port: 80, balance: { backendGroupId: 'bg1', ...(c.has('SERVICE_AFFINITY') && { affinityTimeoutS: 60 }), ...(c.has('SNAT') && { snatMode: 'SNAT_MASQUERADE', snatIp: '10.0.0.1' }) } }, null,
      { vip: '10.96.0.10', protocol: 6, port: 80, reject: {} }, null, { vip: '10.96.0.10', protocol: 6, port: 80 }),
    s('service_source', 'serviceSource', [], { vip: '10.96.0.10', protocol: 6, port: 80, source: '203.0.113.0/24', allow: {} }, null,
      { vip: '10.96.0.10', protocol: 6, port: 80, source: '203.0.113.0/24', drop: {} }, null, { vip: '10.96.0.10', protocol: 6, port: 80, source: '203.0.113.0/24' }),
    s('backend_group', 'backendGroup', [], { id: 'bg9', members: [{ ip: '10.1.0.1', port: 8080, weight: 2 }, { ip: '10.1.0.2', port: 8080, state: 'MEMBER_TERMINATING' }] }, null,
      { id: 'bg9', members: [{ ip: '10.1.0.3', port: 9090 }] }, null, { id: 'bg9' }),
    s('acl', 'acl', [], { stage: 'ACL_INGRESS', endpointId: 'ep-a', srcPrefix: '10.0.0.0/8', protocol: 6, dstPorts: { lo: 80, hi: 443 }, priority: 100, action: 'ACL_DENY', log: true, policyRef: 'ns/deny-web' }, null,
      { stage: 'ACL_INGRESS', endpointId: 'ep-a', srcPrefix: '10.0.0.0/8', protocol: 6, dstPorts: { lo: 80, hi: 443 }, priority: 100, policyRef: 'ns/allow-web' }, null,
      { stage: 'ACL_INGRESS', endpointId: 'ep-a', srcPrefix: '10.0.0.0/8', protocol: 6, dstPorts: { lo: 80, hi: 443 }, priority: 100 }),
    s('snat', 'snat', [], { srcPrefix: '10.0.0.0/8', priority: 10, masquerade: { ip: '198.51.100.1', ports: { lo: 1024, hi: 65535 } } }, null,
      { srcPrefix: '10.0.0.0/8', priority: 10, none: {} }, null, { srcPrefix: '10.0.0.0/8', priority: 10 }),
    s('ct_zone', 'ctZone', [], { zone: 7, maxEntries: 1000 }, null, { zone: 7, maxEntries: 2000 }, null, { zone: 7 }),
    s('policer', 'policer', [], { id: 'pol9', mode: 'SRTCM', cir: 1000, cbs: 2000, ebs: 500, red: 'COLOR_DROP' }, null,
      { id: 'pol9', mode: 'SRTCM', cir: 3000, cbs: 2000 }, null, { id: 'pol9' }),
    s('policer_binding', 'policerBinding', [pol1, pol2], { portId: c.H0, direction: 'INGRESS', policerId: 'pol1' }, null,
      { portId: c.H0, direction: 'INGRESS', policerId: 'pol2' }, null, { portId: c.H0, direction: 'INGRESS' }),
    s('shaper', 'shaper', [], { portId: c.H0, queue: 3, rateBps: 1_000_000_000, burstBytes: 65536, queueLimitBytes: 1 << 20 }, null,
      { portId: c.H0, queue: 3, rateBps: 2_000_000_000, burstBytes: 65536, queueLimitBytes: 1 << 21 }, null, { portId: c.H0, queue: 3 }),
    s('ipsec_sa', 'ipsecSa', [], { id: 'sa9', spi: 0x1001, direction: 'INBOUND', mode: 'TRANSPORT', algorithm: 'AES_GCM_128', key: KEY16, salt: SALT, replayWindow: 64 },
      { id: 'sa9', spi: 0x1001, direction: 'INBOUND', mode: 'TRANSPORT', algorithm: 'AES_GCM_128', replayWindow: 64 },
      { id: 'sa9', spi: 0x1002, direction: 'INBOUND', mode: 'TRANSPORT', algorithm: 'AES_GCM_128', key: KEY16, salt: SALT },
      { id: 'sa9', spi: 0x1002, direction: 'INBOUND', mode: 'TRANSPORT', algorithm: 'AES_GCM_128' }, { id: 'sa9' }),
    s('ipsec_spd', 'ipsecSpd', [sa1], { direction: 'OUTBOUND', srcPrefix: '10.0.0.0/8', dstPrefix: '10.9.0.0/16', protocol: 17, priority: 50, action: 'SPD_PROTECT', saId: 'sa1' }, null,
      { direction: 'OUTBOUND', srcPrefix: '10.0.0.0/8', dstPrefix: '10.9.0.0/16', protocol: 17, priority: 50, action: 'SPD_DISCARD' }, null,
      { direction: 'OUTBOUND', srcPrefix: '10.0.0.0/8', dstPrefix: '10.9.0.0/16', protocol: 17, priority: 50 }),
    s('tls_session', 'tlsSession', [], { localIp: '10.0.0.10', localPort: 443, remoteIp: '10.0.0.20', remotePort: 50000, cipher: 'TLS_AES_128_GCM_SHA256', tx: { key: TLS_KEY, iv: TLS_IV, recordSeq: 5 }, rx: { key: TLS_KEY, iv: TLS_IV } },
      { localIp: '10.0.0.10', localPort: 443, remoteIp: '10.0.0.20', remotePort: 50000, cipher: 'TLS_AES_128_GCM_SHA256', tx: { recordSeq: 5 }, rx: {} },
      { localIp: '10.0.0.10', localPort: 443, remoteIp: '10.0.0.20', remotePort: 50000, cipher: 'TLS_AES_128_GCM_SHA256', tx: { key: TLS_KEY, iv: TLS_IV, recordSeq: 9 }, rx: { key: TLS_KEY, iv: TLS_IV, recordSeq: 2 } },
      { localIp: '10.0.0.10', localPort: 443, remoteIp: '10.0.0.20', remotePort: 50000, cipher: 'TLS_AES_128_GCM_SHA256', tx: { recordSeq: 9 }, rx: { recordSeq: 2 } },
      { localIp: '10.0.0.10', localPort: 443, remoteIp: '10.0.0.20', remotePort: 50000 }),
    s('flow_log', 'flowLog', [], { recordAllowed: true, sampleOneIn: 10 }, null, { recordDenied: true, activeTimeoutS: 60 }, null, {}),
  ];
}

/** The table names samples() covers, for declaring one test per table. */
export const SAMPLE_TABLES = ['endpoint', 'neighbor', 'route', 'nexthop', 'ecmp_group', 'tunnel', 'tunnel_term', 'service', 'service_source', 'backend_group', 'acl', 'snat', 'ct_zone', 'policer', 'policer_binding', 'shaper', 'ipsec_sa', 'ipsec_spd', 'tls_session', 'flow_log'] as const;
