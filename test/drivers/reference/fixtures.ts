// Shared fixtures for the reference driver's tests: a device, write helpers,
// "rejected ⇒ unchanged" snapshots, one valid sample entry per table, a standard
// forwarding topology, and frame builders for what goes in and what must come out.
import { expect } from 'chai';
import { ReferenceDriver, type ReferenceOptions } from '../../../src/drivers/reference/index.js';
import { HalError } from '../../../src/hal/errors.js';
import type { Hal } from '../../../src/hal/hal.js';
import { overTheWire, WIRE } from './over-the-wire.js';
import type {
  Atomicity,
  ConntrackFilter,
  EntryRecord,
  Event,
  FiveTuple,
  FlowRecord,
  InjectResponse,
  StateResponse,
  SubscribeRequest,
  TableEntry,
  Update,
  UpdateStatus,
  WriteRequest,
  WriteResponse,
} from '../../../src/hal/generated/types.js';
import type { IpAddress, IpPrefix, L4Port, Mac, Spi, Vni } from '../../../src/hal/values.js';
import { buildFrame, parsePacket, type FrameSpec, type ParsedPacket } from '../../../src/sim/packet/index.js';

/** A TableEntry written with plain strings and numbers where the HAL types are branded. */
type Unbrand<T> = T extends IpAddress | IpPrefix | Mac
  ? string
  : T extends L4Port | Vni | Spi
    ? number
    : T extends Uint8Array
      ? Uint8Array
      : T extends readonly (infer U)[]
        ? Unbrand<U>[]
        : T extends object
          ? { [K in keyof T]: Unbrand<T[K]> }
          : T;
export type Entry = Unbrand<TableEntry>;

// ------------------------------------------------------------------ device

export interface Device {
  /** The reference driver in process, or (XPUHAL_WIRE=1) a remote client of it served over mutual TLS. */
  readonly hal: Hal;
  /** Port id → the port's MAC (frames must be addressed to it). */
  readonly macs: ReadonlyMap<string, string>;
}

export async function newDevice(opts: ReferenceOptions = {}): Promise<Device> {
  const driver = new ReferenceDriver(opts);
  const hal = WIRE ? await overTheWire(driver) : driver;
  const macs = new Map<string, string>();
  for (const p of (await hal.listPorts()).ports ?? []) macs.set(p.id!, p.mac!);
  return { hal, macs };
}

// ------------------------------------------------------------------ writes

export const ins = (entry: Entry): Update => ({ type: 'INSERT', entry: entry as TableEntry });
export const mod = (entry: Entry): Update => ({ type: 'MODIFY', entry: entry as TableEntry });
export const del = (entry: Entry): Update => ({ type: 'DELETE', entry: entry as TableEntry });

export function write(hal: Hal, updates: Update[], atomicity?: Atomicity, extra: Partial<WriteRequest> = {}): Promise<WriteResponse> {
  return hal.write({ ...(atomicity && { atomicity }), updates, ...extra });
}

/** Awaits a promise that must reject with a HalError and returns it. */
export async function rejection(p: Promise<unknown>): Promise<HalError> {
  let value: unknown;
  try {
    value = await p;
  } catch (e) {
    expect(e).to.be.instanceOf(HalError);
    return e as HalError;
  }
  throw new Error(`expected a HalError, got success: ${JSON.stringify(value)}`);
}

/** A failed write: code UNKNOWN with one status per update. */
export async function writeFailure(p: Promise<unknown>, count?: number): Promise<{ err: HalError; statuses: UpdateStatus[] }> {
  const err = await rejection(p);
  expect(err.code).to.equal('UNKNOWN');
  expect(err.reason).to.equal('REASON_UNSPECIFIED');
  expect(err.updates, 'statuses').to.be.an('array');
  if (count !== undefined) expect(err.updates).to.have.length(count);
  return { err, statuses: err.updates! };
}

export interface StatusShape {
  code: string;
  reason?: string;
  fieldPath?: string;
}

/** The status without its message: what tests compare exactly. */
export const shape = (s: UpdateStatus): StatusShape => ({
  code: s.code!,
  ...(s.reason && { reason: s.reason }),
  ...(s.fieldPath && { fieldPath: s.fieldPath }),
});

/** A single-update write that must fail with exactly this status. */
export async function expectUpdateError(hal: Hal, update: Update, want: StatusShape, atomicity?: Atomicity): Promise<UpdateStatus> {
  const { statuses } = await writeFailure(write(hal, [update], atomicity), 1);
  expect(shape(statuses[0])).to.deep.equal(want);
  return statuses[0];
}

export const ABORTED: StatusShape = { code: 'ABORTED', reason: 'BATCH_ROLLED_BACK' };
export const OK: StatusShape = { code: 'OK' };

// ------------------------------------------------------------------ snapshots

export interface Snapshot {
  readonly state: StateResponse;
  readonly records: EntryRecord[];
}

export async function snapshot(hal: Hal): Promise<Snapshot> {
  return { state: await hal.getState(), records: await hal.read({ includeCounters: true }) };
}

/** Rejected ⇒ unchanged: digest, generation, usage and every readable entry. */
export async function expectUnchanged(hal: Hal, before: Snapshot): Promise<void> {
  const now = await snapshot(hal);
  expect(now.state.generation, 'generation').to.equal(before.state.generation);
  expect(now.state.digest, 'digest').to.equal(before.state.digest);
  expect(now.state.usage, 'usage').to.deep.equal(before.state.usage);
  expect(now.records, 'read({})').to.deep.equal(before.records);
}

/** Client-written (not device-owned) entries of one table. */
export async function readTable(hal: Hal, table: string): Promise<Entry[]> {
  return (await hal.read({ tables: [table] })).filter((r) => !r.deviceOwned).map((r) => r.entry as Entry);
}

// ------------------------------------------------------------------ samples

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
/** Key material bytes chosen to be recognisable if they ever leaked. */
export const SA_KEY = bytes(16, 0xa5);
export const SA_SALT = bytes(4, 0x5a);
export const TLS_TX_KEY = bytes(16, 0xc3);
export const TLS_TX_IV = bytes(12, 0x3c);
export const TLS_RX_KEY = bytes(16, 0xe7);
export const TLS_RX_IV = bytes(12, 0x7e);

/** Objects the samples refer to. */
export const PREREQ = {
  nh1: { nexthop: { id: 'nh1', port: { portId: 'uplink0', ip: '192.168.0.1' } } },
  nh2: { nexthop: { id: 'nh2', port: { portId: 'uplink1', ip: '192.168.1.1' } } },
  bg1: { backendGroup: { id: 'bg1', members: [{ ip: '10.1.0.1', port: 80 }] } },
  pol1: { policer: { id: 'pol1', mode: 'SRTCM', cir: 1000, cbs: 1500 } },
  pol2: { policer: { id: 'pol2', mode: 'SRTCM', cir: 2000, cbs: 3000 } },
  sa1: { ipsecSa: { id: 'sa1', spi: 4096, direction: 'OUTBOUND', mode: 'TRANSPORT', algorithm: 'AES_GCM_128', key: SA_KEY, salt: SA_SALT } },
} satisfies Record<string, Entry>;

export interface Sample {
  /** Table name (snake_case) and TableEntry member (camelCase). */
  readonly table: string;
  readonly member: string;
  readonly needs: (keyof typeof PREREQ)[];
  readonly entry: Entry;
  /** What reads return for `entry` (canonical, write-only fields removed). */
  readonly read: Entry;
  /** Same key, different non-key content. */
  readonly modified: Entry;
  readonly modifiedRead: Entry;
  /** The key alone (what a DELETE carries). */
  readonly key: Entry;
}

function sample(table: string, member: string, needs: Sample['needs'], entry: object, read: object | null, modified: object, modifiedRead: object | null, key: object): Sample {
  const wrap = (b: object) => ({ [member]: b }) as Entry;
  return { table, member, needs, entry: wrap(entry), read: wrap(read ?? entry), modified: wrap(modified), modifiedRead: wrap(modifiedRead ?? modified), key: wrap(key) };
}

/** One valid entry for each of the 20 client-insertable tables (port is device-owned). */
export const SAMPLES: Sample[] = [
  sample('endpoint', 'endpoint', [],
    { ip: '10.0.0.10', portId: 'host0', mac: '02:aa:00:00:00:0a', endpointId: 'ep-a', isolatedIngress: true },
    null,
    { ip: '10.0.0.10', portId: 'host1', mac: '02:aa:00:00:00:0b', endpointId: 'ep-a', isolatedEgress: true },
    null, { ip: '10.0.0.10' }),
  sample('neighbor', 'neighbor', [],
    { vrf: 2, ip: '2001:db8::1', mac: '02:bb:00:00:00:01' }, null,
    { vrf: 2, ip: '2001:db8::1', mac: '02:bb:00:00:00:02' }, null, { vrf: 2, ip: '2001:db8::1' }),
  sample('route', 'route', ['nh1', 'nh2'],
    { prefix: '10.2.0.0/16', nexthopId: 'nh1' }, null,
    { prefix: '10.2.0.0/16', nexthopId: 'nh2' }, null, { prefix: '10.2.0.0/16' }),
  sample('nexthop', 'nexthop', [],
    { id: 'nh9', port: { portId: 'uplink1', ip: '192.168.1.9' } }, null,
    { id: 'nh9', port: { portId: 'host3', dmac: '02:bb:00:00:00:09' } }, null, { id: 'nh9' }),
  sample('ecmp_group', 'ecmpGroup', ['nh1', 'nh2'],
    { id: 'g1', members: [{ nexthopId: 'nh1', weight: 1 }, { nexthopId: 'nh2', weight: 3 }] }, null,
    { id: 'g1', members: [{ nexthopId: 'nh2', weight: 7 }] }, null, { id: 'g1' }),
  sample('tunnel', 'tunnel', ['nh1'],
    { id: 't1', type: 'VXLAN', localIp: '192.0.2.1', remoteIp: '192.0.2.2', vni: 100, underlayNexthopId: 'nh1' }, null,
    { id: 't1', type: 'GENEVE', localIp: '192.0.2.1', remoteIp: '192.0.2.3', vni: 200, ttl: 32, underlayNexthopId: 'nh1', geneveOptions: [{ optionClass: 0x102, type: 1, data: bytes(4, 1) }] },
    null, { id: 't1' }),
  sample('tunnel_term', 'tunnelTerm', [],
    { localIp: '192.0.2.1', vni: 100, type: 'VXLAN', vrf: 3 }, null,
    { localIp: '192.0.2.1', vni: 100, type: 'VXLAN', vrf: 4 }, null, { localIp: '192.0.2.1', vni: 100, type: 'VXLAN' }),
  sample('service', 'service', ['bg1'],
    { vip: '10.96.0.10', protocol: 6, port: 80, balance: { backendGroupId: 'bg1', affinityTimeoutS: 60, snatMode: 'SNAT_MASQUERADE', snatIp: '10.0.0.1' } }, null,
    { vip: '10.96.0.10', protocol: 6, port: 80, reject: {} }, null, { vip: '10.96.0.10', protocol: 6, port: 80 }),
  sample('service_source', 'serviceSource', [],
    { vip: '10.96.0.10', protocol: 6, port: 80, source: '203.0.113.0/24', allow: {} }, null,
    { vip: '10.96.0.10', protocol: 6, port: 80, source: '203.0.113.0/24', drop: {} }, null,
    { vip: '10.96.0.10', protocol: 6, port: 80, source: '203.0.113.0/24' }),
  sample('backend_group', 'backendGroup', [],
    { id: 'bg9', members: [{ ip: '10.1.0.1', port: 8080, weight: 2 }, { ip: '10.1.0.2', port: 8080, state: 'MEMBER_TERMINATING' }] }, null,
    { id: 'bg9', members: [{ ip: '10.1.0.3', port: 9090 }] }, null, { id: 'bg9' }),
  sample('acl', 'acl', [],
    { stage: 'ACL_INGRESS', endpointId: 'ep-a', srcPrefix: '10.0.0.0/8', protocol: 6, dstPorts: { lo: 80, hi: 443 }, priority: 100, action: 'ACL_DENY', log: true, policyRef: 'ns/deny-web' },
    null,
    { stage: 'ACL_INGRESS', endpointId: 'ep-a', srcPrefix: '10.0.0.0/8', protocol: 6, dstPorts: { lo: 80, hi: 443 }, priority: 100, policyRef: 'ns/allow-web' },
    null, { stage: 'ACL_INGRESS', endpointId: 'ep-a', srcPrefix: '10.0.0.0/8', protocol: 6, dstPorts: { lo: 80, hi: 443 }, priority: 100 }),
  sample('snat', 'snat', [],
    { srcPrefix: '10.0.0.0/8', priority: 10, masquerade: { ip: '198.51.100.1', ports: { lo: 1024, hi: 65535 } } }, null,
    { srcPrefix: '10.0.0.0/8', priority: 10, none: {} }, null, { srcPrefix: '10.0.0.0/8', priority: 10 }),
  sample('ct_zone', 'ctZone', [],
    { zone: 7, timeouts: { tcpEstablished: 3600, udpUnreplied: 30 }, maxEntries: 1000, tcpWindowTracking: true }, null,
    { zone: 7, timeouts: { icmp: 10 }, maxEntries: 2000 }, null, { zone: 7 }),
  sample('policer', 'policer', [],
    { id: 'pol9', mode: 'TRTCM', cir: 1000, cbs: 2000, pir: 5000, pbs: 4000, red: 'COLOR_DROP' }, null,
    { id: 'pol9', mode: 'SRTCM', cir: 3000, cbs: 2000, ebs: 100, yellow: 'COLOR_DROP' }, null, { id: 'pol9' }),
  sample('policer_binding', 'policerBinding', ['pol1', 'pol2'],
    { portId: 'host0', direction: 'INGRESS', policerId: 'pol1' }, null,
    { portId: 'host0', direction: 'INGRESS', policerId: 'pol2' }, null, { portId: 'host0', direction: 'INGRESS' }),
  sample('shaper', 'shaper', [],
    { portId: 'host0', queue: 3, rateBps: 1_000_000_000, burstBytes: 65536, queueLimitBytes: 1 << 20 }, null,
    { portId: 'host0', queue: 3, rateBps: 2_000_000_000, burstBytes: 65536, queueLimitBytes: 1 << 21 }, null, { portId: 'host0', queue: 3 }),
  sample('ipsec_sa', 'ipsecSa', [],
    { id: 'sa9', spi: 0x1001, direction: 'INBOUND', mode: 'TRANSPORT', algorithm: 'AES_GCM_128', key: SA_KEY, salt: SA_SALT, replayWindow: 64 },
    { id: 'sa9', spi: 0x1001, direction: 'INBOUND', mode: 'TRANSPORT', algorithm: 'AES_GCM_128', replayWindow: 64 },
    { id: 'sa9', spi: 0x1002, direction: 'INBOUND', mode: 'TUNNEL', algorithm: 'AES_GCM_128', key: SA_KEY, salt: SA_SALT, tunnelSrc: '192.0.2.1', tunnelDst: '192.0.2.2' },
    { id: 'sa9', spi: 0x1002, direction: 'INBOUND', mode: 'TUNNEL', algorithm: 'AES_GCM_128', tunnelSrc: '192.0.2.1', tunnelDst: '192.0.2.2' },
    { id: 'sa9' }),
  sample('ipsec_spd', 'ipsecSpd', ['sa1'],
    { direction: 'OUTBOUND', srcPrefix: '10.0.0.0/8', dstPrefix: '10.9.0.0/16', protocol: 17, priority: 50, action: 'SPD_PROTECT', saId: 'sa1' }, null,
    { direction: 'OUTBOUND', srcPrefix: '10.0.0.0/8', dstPrefix: '10.9.0.0/16', protocol: 17, priority: 50, action: 'SPD_DISCARD' }, null,
    { direction: 'OUTBOUND', srcPrefix: '10.0.0.0/8', dstPrefix: '10.9.0.0/16', protocol: 17, priority: 50 }),
  sample('tls_session', 'tlsSession', [],
    { localIp: '10.0.0.10', localPort: 443, remoteIp: '10.0.0.20', remotePort: 50000, cipher: 'TLS_AES_128_GCM_SHA256', tx: { key: TLS_TX_KEY, iv: TLS_TX_IV, recordSeq: 5 }, rx: { key: TLS_RX_KEY, iv: TLS_RX_IV } },
    { localIp: '10.0.0.10', localPort: 443, remoteIp: '10.0.0.20', remotePort: 50000, cipher: 'TLS_AES_128_GCM_SHA256', tx: { recordSeq: 5 }, rx: {} },
    { localIp: '10.0.0.10', localPort: 443, remoteIp: '10.0.0.20', remotePort: 50000, cipher: 'TLS_AES_128_GCM_SHA256', tx: { key: TLS_TX_KEY, iv: TLS_TX_IV, recordSeq: 9 }, rx: { key: TLS_RX_KEY, iv: TLS_RX_IV, recordSeq: 2 } },
    { localIp: '10.0.0.10', localPort: 443, remoteIp: '10.0.0.20', remotePort: 50000, cipher: 'TLS_AES_128_GCM_SHA256', tx: { recordSeq: 9 }, rx: { recordSeq: 2 } },
    { localIp: '10.0.0.10', localPort: 443, remoteIp: '10.0.0.20', remotePort: 50000 }),
  sample('flow_log', 'flowLog', [],
    { recordAllowed: true, sampleOneIn: 10 }, null,
    { recordDenied: true, activeTimeoutS: 60 }, null, {}),
];

export async function installPrereqs(hal: Hal, names: readonly (keyof typeof PREREQ)[]): Promise<void> {
  if (names.length) await write(hal, names.map((n) => ins(PREREQ[n])));
}

// ------------------------------------------------------------------ topology

/** MACs of the standard topology's hosts and routers. */
export const MAC = {
  client: '02:ee:00:00:00:01',
  epA: '02:aa:00:00:00:0a',
  epB: '02:aa:00:00:00:0b',
  router0: '02:cc:00:00:00:01',
  router1: '02:cc:00:00:01:01',
  router6: '02:cc:00:00:06:01',
} as const;

/**
 * Endpoint ep-a (10.0.0.10 and 2001:db8:a::10) on host0, ep-b (10.0.0.11) on
 * host1; next hops nh-up0 (uplink0 via 192.168.0.1) and nh-up1 (uplink1 via
 * 192.168.1.1) with neighbors; IPv6 next hop nh-up6 (uplink0 via fe80::1);
 * default routes 0.0.0.0/0 → nh-up0 and ::/0 → nh-up6.
 */
export const TOPOLOGY: Entry[] = [
  { endpoint: { ip: '10.0.0.10', portId: 'host0', mac: MAC.epA, endpointId: 'ep-a' } },
  { endpoint: { ip: '2001:db8:a::10', portId: 'host0', mac: MAC.epA, endpointId: 'ep-a' } },
  { endpoint: { ip: '10.0.0.11', portId: 'host1', mac: MAC.epB, endpointId: 'ep-b' } },
  { neighbor: { ip: '192.168.0.1', mac: MAC.router0 } },
  { neighbor: { ip: '192.168.1.1', mac: MAC.router1 } },
  { neighbor: { ip: 'fe80::1', mac: MAC.router6 } },
  { nexthop: { id: 'nh-up0', port: { portId: 'uplink0', ip: '192.168.0.1' } } },
  { nexthop: { id: 'nh-up1', port: { portId: 'uplink1', ip: '192.168.1.1' } } },
  { nexthop: { id: 'nh-up6', port: { portId: 'uplink0', ip: 'fe80::1' } } },
  { route: { prefix: '0.0.0.0/0', nexthopId: 'nh-up0' } },
  { route: { prefix: '::/0', nexthopId: 'nh-up6' } },
];

export async function topologyDevice(opts: ReferenceOptions = {}): Promise<Device> {
  const d = await newDevice(opts);
  await write(d.hal, TOPOLOGY.map(ins));
  return d;
}

// ------------------------------------------------------------------ frames

export interface Flow {
  src: string;
  dst: string;
  /** Default UDP. */
  proto?: 'udp' | 'tcp' | 'icmp' | 'icmpv6';
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpCode?: number;
  /** TTL or hop limit, default 64. */
  ttl?: number;
  payload?: string;
  /** TCP flag letters (FSRPAUEC, default 'S'), sequence and acknowledgment numbers, window (default 65535). */
  flags?: string;
  seq?: number;
  ack?: number;
  window?: number;
  /** ICMP / ICMPv6 echo identifier and sequence number (defaults 7 and 1). */
  icmpId?: number;
  icmpSeq?: number;
}

/** The frame spec of a flow between two MACs (addresses decide IPv4 / IPv6). */
export function flowSpec(f: Flow, srcMac: string, dstMac: string, ttl = f.ttl ?? 64): FrameSpec {
  const v6 = f.src.includes(':');
  const proto = f.proto ?? 'udp';
  const spec: FrameSpec = {
    eth: { src: srcMac, dst: dstMac },
    ...(v6 ? { ipv6: { src: f.src, dst: f.dst, hopLimit: ttl } } : { ipv4: { src: f.src, dst: f.dst, ttl, id: 0x1234 } }),
    payload: f.payload ?? 'xpuhal',
  };
  if (proto === 'udp') spec.udp = { sport: f.sport ?? 40000, dport: f.dport ?? 53 };
  else if (proto === 'tcp') {
    spec.tcp = { sport: f.sport ?? 40000, dport: f.dport ?? 80, flags: f.flags ?? 'S', ...(f.seq !== undefined && { seq: f.seq }), ...(f.ack !== undefined && { ack: f.ack }), ...(f.window !== undefined && { window: f.window }) };
  } else spec[proto] = { type: f.icmpType ?? (proto === 'icmp' ? 8 : 128), code: f.icmpCode ?? 0, id: f.icmpId ?? 7, seq: f.icmpSeq ?? 1 };
  return spec;
}

/** A frame as it arrives at `port`: addressed to the port's MAC. */
export function frameIn(d: Device, port: string, f: Flow, srcMac: string = MAC.client): Uint8Array {
  return buildFrame(flowSpec(f, srcMac, portMac(d, port)));
}

/** The frame that must leave `port` toward `dmac`: new MACs, TTL / hop limit one less. */
export function frameOut(d: Device, port: string, dmac: string, f: Flow): Uint8Array {
  return buildFrame(flowSpec(f, portMac(d, port), dmac, (f.ttl ?? 64) - 1));
}

export function portMac(d: Device, port: string): string {
  const m = d.macs.get(port);
  if (!m) throw new Error(`no port ${port}`);
  return m;
}

export function send(d: Device, port: string, f: Flow, srcMac?: string): Promise<InjectResponse> {
  return d.hal.inject({ portId: port, frame: frameIn(d, port, f, srcMac) });
}

/** Injects and expects exactly one frame out of `outPort`, byte-equal to frameOut. */
export async function expectForwarded(d: Device, inPort: string, f: Flow, outPort: string, dmac: string): Promise<InjectResponse> {
  const r = await send(d, inPort, f);
  expect(r.dropReason, 'dropReason').to.equal(undefined);
  expect(r.disposition).to.equal('FORWARDED');
  expect(r.emitted).to.have.length(1);
  expect(r.emitted![0].portId).to.equal(outPort);
  expect(hex(r.emitted![0].frame!)).to.equal(hex(frameOut(d, outPort, dmac, f)));
  return r;
}

export async function expectDropped(d: Device, inPort: string, f: Flow, reason: string): Promise<InjectResponse> {
  const r = await send(d, inPort, f);
  expect(r.dropReason, 'dropReason').to.equal(reason);
  expect(r.disposition).to.equal('DROPPED');
  expect(r.emitted ?? []).to.have.length(0);
  return r;
}

/** Which port a flow leaves by (undefined when dropped). */
export async function egressOf(d: Device, inPort: string, f: Flow): Promise<string | undefined> {
  const r = await send(d, inPort, f);
  return r.emitted?.[0]?.portId;
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// ------------------------------------------------------------------ stateful helpers

/** Injects a flow's frame at virtual time `timeNs` (0 = the device's now). */
export function sendAt(d: Device, port: string, f: Flow, timeNs: number, srcMac?: string): Promise<InjectResponse> {
  return d.hal.inject({ portId: port, frame: frameIn(d, port, f, srcMac), ...(timeNs && { timeNs }) });
}

/** Default ports of flowSpec, made explicit (so a flow can be reversed). */
export function withPorts(f: Flow): Flow {
  const proto = f.proto ?? 'udp';
  if (proto === 'udp') return { ...f, sport: f.sport ?? 40000, dport: f.dport ?? 53 };
  if (proto === 'tcp') return { ...f, sport: f.sport ?? 40000, dport: f.dport ?? 80 };
  return f;
}

/** The same flow in the other direction (addresses and ports swapped), with overrides. */
export function reversed(f: Flow, over: Partial<Flow> = {}): Flow {
  const p = withPorts(f);
  return { ...p, src: p.dst, dst: p.src, ...(p.sport !== undefined && { sport: p.dport, dport: p.sport }), ...over };
}

/** Expects a FORWARDED result with exactly one frame out of `port`, byte-equal to `want`. */
export function expectEmitted(r: InjectResponse, port: string, want: Uint8Array, what = 'emitted frame'): void {
  expect(r.dropReason, `${what}: dropReason`).to.equal(undefined);
  expect(r.disposition, `${what}: disposition`).to.equal('FORWARDED');
  expect(r.emitted, `${what}: emitted`).to.have.length(1);
  expect(r.emitted![0].portId, `${what}: port`).to.equal(port);
  expect(hex(r.emitted![0].frame!), what).to.equal(hex(want));
}

/** Expects a drop with exactly this reason and nothing emitted. */
export function expectDrop(r: InjectResponse, reason: string, what = 'packet'): void {
  expect(r.dropReason, `${what}: dropReason`).to.equal(reason);
  expect(r.disposition, `${what}: disposition`).to.equal('DROPPED');
  expect(r.emitted ?? [], `${what}: emitted`).to.have.length(0);
}

/** Parses a frame the device emitted (it must parse, checksums included). */
export function parsed(frame: Uint8Array): ParsedPacket {
  const p = parsePacket(frame);
  if (!p.ok) throw new Error(`emitted frame does not parse: ${p.reason} (${p.detail})`);
  return p.pkt;
}

/**
 * Waits until `count()` stops changing. In process, delivery is a microtask away;
 * over the wire (XPUHAL_WIRE=1) a stream is asynchronous, so wait (bounded, real
 * time, transport only) until it has been quiet for a while.
 */
export async function settled(count: () => number, stop: () => boolean = () => false): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  if (!WIRE) return;
  let last = -1;
  let quiet = 0;
  for (const end = Date.now() + 10_000; Date.now() < end && quiet < 4 && !stop(); ) {
    await new Promise((r) => setTimeout(r, 100));
    const n = count();
    quiet = n === last ? quiet + 1 : 0;
    last = n;
  }
}

/** Every retained event matching `req` (subscribes, lets delivery run, closes). */
export async function events(hal: Hal, req: SubscribeRequest = {}): Promise<Event[]> {
  const got: Event[] = [];
  let failure: Error | undefined;
  const sub = hal.subscribe(req, (e) => got.push(e), (e) => (failure = e));
  await settled(() => got.length, () => failure !== undefined);
  sub.close();
  if (failure) throw failure;
  return got;
}

/** The flow records among `evs`. */
export const flowRecords = (evs: Event[]): FlowRecord[] => evs.filter((e) => e.flowRecord).map((e) => e.flowRecord!);

/** Sets isolation flags on one of the standard topology's endpoints (by IP). */
export async function isolate(d: Device, ip: string, flags: { isolatedIngress?: boolean; isolatedEgress?: boolean }): Promise<void> {
  const ep = (TOPOLOGY.find((e) => e.endpoint?.ip === ip) as { endpoint: Record<string, unknown> } | undefined)?.endpoint;
  if (!ep) throw new Error(`no topology endpoint ${ip}`);
  await write(d.hal, [mod({ endpoint: { ...ep, ...flags } as Entry['endpoint'] })]);
}

export const SECOND = 1_000_000_000;

// ------------------------------------------------------------------ reject answers

export interface RstWant {
  /** The port the answer leaves by (the ingress port) and the MACs it carries. */
  port: string;
  srcMac: string;
  dstMac: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  /** RFC 9293 §3.10.7.1: RST+ACK (0x14) answers a segment without ACK, a bare RST (0x04) one with ACK. */
  flagBits: number;
  reason: string;
}

/**
 * A REJECTED result answered by exactly one TCP RST, every field checked, then
 * compared byte for byte with a frame rebuilt from those fields (so no stray
 * options, lengths or checksums). TTL, IP id and window are the device's choice.
 */
export function expectRst(r: InjectResponse, w: RstWant): Uint8Array {
  expect(r.disposition, 'disposition').to.equal('REJECTED');
  expect(r.dropReason, 'dropReason').to.equal(w.reason);
  expect(r.emitted, 'emitted').to.have.length(1);
  expect(r.emitted![0].portId, 'answer port').to.equal(w.port);
  const frame = r.emitted![0].frame!;
  const p = parsed(frame);
  expect(p.eth.src, 'eth src').to.equal(w.srcMac);
  expect(p.eth.dst, 'eth dst').to.equal(w.dstMac);
  const l3 = p.l3!;
  expect(l3.kind === 'arp' ? '' : l3.src, 'ip src').to.equal(w.src);
  expect(l3.kind === 'arp' ? '' : l3.dst, 'ip dst').to.equal(w.dst);
  const l4 = p.l4!;
  expect(l4.kind, 'l4').to.equal('tcp');
  if (l4.kind !== 'tcp' || l3.kind === 'arp') throw new Error('not TCP');
  expect([l4.srcPort, l4.dstPort], 'ports').to.deep.equal([w.sport, w.dport]);
  expect(l4.flagBits, 'flags').to.equal(w.flagBits);
  expect(l4.seq >>> 0, 'seq').to.equal(w.seq >>> 0);
  expect(l4.ack >>> 0, 'ack').to.equal(w.flagBits & 0x10 ? w.ack >>> 0 : 0);
  expect(p.payloadEnd - l4.offset - l4.dataOffset, 'payload').to.equal(0);
  const ttl = l3.kind === 'ipv4' ? l3.ttl : l3.hopLimit;
  expect(ttl, 'ttl').to.be.greaterThan(0);
  const rebuilt = buildFrame({
    eth: { src: w.srcMac, dst: w.dstMac },
    ...(l3.kind === 'ipv4'
      ? { ipv4: { src: w.src, dst: w.dst, ttl, id: l3.id, dscp: l3.dscp, ecn: l3.ecn, flags: { df: l3.df } } }
      : { ipv6: { src: w.src, dst: w.dst, hopLimit: ttl, flowLabel: l3.flowLabel, trafficClass: l3.trafficClass } }),
    tcp: { sport: w.sport, dport: w.dport, seq: w.seq >>> 0, ack: w.flagBits & 0x10 ? w.ack >>> 0 : 0, flags: flagLetters(w.flagBits), window: l4.window },
    padTo: frame.length > 60 ? 0 : frame.length,
  });
  expect(hex(frame), 'RST bytes').to.equal(hex(rebuilt));
  return frame;
}

const flagLetters = (bits: number) => [...'FSRPAUEC'].filter((_, i) => bits & (1 << i)).join('');

export interface IcmpErrorWant {
  port: string;
  srcMac: string;
  dstMac: string;
  /** The sender of the rejected packet. */
  dst: string;
  type: number;
  code: number;
  /** The rejected frame as it was injected: its IP packet must be quoted. */
  quoteOf: Uint8Array;
  reason: string;
}

/** A REJECTED result answered by one ICMP / ICMPv6 error that quotes the rejected packet (RFC 792, RFC 1812 §4.3.2.3, RFC 4443 §2.4). */
export function expectIcmpError(r: InjectResponse, w: IcmpErrorWant): ParsedPacket {
  expect(r.disposition, 'disposition').to.equal('REJECTED');
  expect(r.dropReason, 'dropReason').to.equal(w.reason);
  expect(r.emitted, 'emitted').to.have.length(1);
  expect(r.emitted![0].portId, 'answer port').to.equal(w.port);
  const frame = r.emitted![0].frame!;
  const p = parsed(frame); // checksums verified (ICMPv6 over the pseudo-header)
  expect(p.eth.src, 'eth src').to.equal(w.srcMac);
  expect(p.eth.dst, 'eth dst').to.equal(w.dstMac);
  const l3 = p.l3!;
  if (l3.kind === 'arp') throw new Error('not IP');
  expect(l3.dst, 'ip dst').to.equal(w.dst);
  const l4 = p.l4!;
  const v6 = l3.kind === 'ipv6';
  expect(l4.kind, 'l4').to.equal(v6 ? 'icmpv6' : 'icmp');
  if (l4.kind !== 'icmp' && l4.kind !== 'icmpv6') throw new Error('not ICMP');
  expect([l4.type, l4.code], 'type/code').to.deep.equal([w.type, w.code]);
  expect(hex(frame.subarray(l4.offset + 4, l4.offset + 8)), 'unused word').to.equal('00000000');
  const quote = frame.subarray(l4.offset + 8, p.payloadEnd);
  const original = w.quoteOf.subarray(14);
  const origIp = parsePacket(w.quoteOf);
  const origLen = origIp.ok ? origIp.pkt.payloadEnd - 14 : original.length;
  const minimum = Math.min(origLen, v6 ? 1280 - 48 : 28);
  expect(quote.length, 'quote length').to.be.at.least(minimum);
  expect(hex(quote), 'the quote is the rejected packet as received').to.equal(hex(original.subarray(0, quote.length)));
  expect(p.payloadEnd - 14, 'answer size').to.be.at.most(v6 ? 1280 : 576);
  return p;
}

/** A conntrack filter / tuple written with plain strings and numbers (the HAL types are branded). */
export const ctf = (f: Unbrand<ConntrackFilter>): ConntrackFilter => f as ConntrackFilter;
export const ctt = (t: Unbrand<FiveTuple>): FiveTuple => t as FiveTuple;
