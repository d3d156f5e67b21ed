// HAL entries → P4 table entries of the program, and back. Each supported HAL
// table maps to one or two P4 tables (docs/intel-ipu.md has the table):
//   port        → port_config           endpoint → ipv4_to_port + ipv4_src_endpoint
//   neighbor    → neighbor              nexthop  → nexthop (pointer-indexed)
//   ecmp_group  → ecmp_group (selector) route    → ipv4_route (LPM)
//   acl         → acl (TCAM, priority)   tunnel(_term) → translate-tunnels.ts
// IPv6 endpoints, neighbors and routes go to the ipv6_* / neighbor_v6 tables
// (translate-v6.ts). What P4 cannot hold — string ids, policy_ref, log, an ECMP
// member weight left unset — travels in the entry's controller metadata
// (TableEntry.metadata, opaque to the target and returned by Read) as a small
// JSON object. An ACL's explicit wildcards (0.0.0.0/0, ::/0, ports 0-65535)
// are real match fields (ip version, port validity): hal-spec §3.1 makes them
// other keys than absence, and they match fewer packets.
import { parseIpv4, parseMac, parsePrefix, formatIpv4, formatMac } from '../../../hal/index.js';
import { allOnes, canonical, toBigInt, toFixed } from '../p4rt/bytestrings.js';
import type { FieldMatch, TableEntry } from '../p4rt/messages.js';
import { ACTIONS, TABLES, actionById, type ActionName, type TableName } from '../program/program.js';
import type { IdSpace } from './ids.js';
import { tunnelFromP4, tunnelNexthopToP4, tunnelTermFromP4, tunnelTermToP4, tunnelToP4 } from './translate-tunnels.js';
import { FAMILY_TABLES, aclAddrField, addrOf, bitsOfFamily, formatAddr, prefixOf, type Family } from './translate-v6.js';

export type Body = Record<string, unknown>;

export interface Pointers {
  readonly nexthop: IdSpace;
  readonly ecmp: IdSpace;
  readonly epTag: IdSpace;
  readonly tunnel: IdSpace;
}

export interface PortMap {
  number(name: string): number | undefined;
  name(n: number): string | undefined;
}

/** A name with no P4 number (a port the driver does not know): a state problem the intent cache reports. */
export class Unresolved extends Error {}

/** A value the program cannot carry: the driver refuses it as FEATURE_UNSUPPORTED. */
export class Untranslatable extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

export type M = { exact: bigint } | { lpm: bigint; len: number } | { ternary: bigint; mask: bigint } | { range: [bigint, bigint] } | { optional: bigint };

export function p4Entry(table: TableName, match: Record<string, M | undefined>, action: ActionName | undefined, params: Record<string, bigint | number> = {}, priority = 0, meta?: Record<string, unknown>): TableEntry {
  const t = TABLES[table];
  const ms: FieldMatch[] = [];
  for (const f of t.fields) {
    const m = match[f.name];
    if (!m) continue;
    if ('exact' in m) ms.push({ fieldId: f.id, exact: { value: canonical(m.exact) } });
    else if ('lpm' in m) ms.push({ fieldId: f.id, lpm: { value: canonical(m.lpm), prefixLen: m.len } });
    else if ('ternary' in m) ms.push({ fieldId: f.id, ternary: { value: canonical(m.ternary), mask: canonical(m.mask) } });
    else if ('range' in m) ms.push({ fieldId: f.id, range: { low: canonical(m.range[0]), high: canonical(m.range[1]) } });
    else ms.push({ fieldId: f.id, optional: { value: canonical(m.optional) } });
  }
  const e: TableEntry = { tableId: t.id, match: ms };
  if (action) e.action = { action: call(action, params) };
  if (priority) e.priority = priority;
  if (meta && Object.keys(meta).length) e.metadata = Buffer.from(JSON.stringify(meta));
  return e;
}

export function call(action: ActionName, params: Record<string, bigint | number>) {
  const a = ACTIONS[action];
  return { actionId: a.id, params: a.params.map((p) => ({ paramId: p.id, value: canonical(BigInt(params[p.name] ?? 0)) })) };
}


export function v4(text: string, field: string): bigint {
  const b = parseIpv4(text);
  if (!b) throw new Untranslatable(`${text} is not IPv4: this program's service path is IPv4 only`, field);
  return toBigInt(b);
}

export function v4Prefix(text: string, field: string): { value: bigint; len: number } {
  const p = parsePrefix(text);
  if (!p || p.bytes.length !== 4) throw new Untranslatable(`${text} is not an IPv4 prefix: this program's service path is IPv4 only`, field);
  return { value: toBigInt(p.bytes), len: p.length };
}

const mac = (text: string) => toBigInt(parseMac(text)!);

function port(ports: PortMap, name: string, field: string): number {
  const n = ports.number(name);
  if (n === undefined) throw new Unresolved(`port ${name} has no P4 port number (${field})`);
  return n;
}

/**
 * The P4 entries one HAL entry becomes. For DELETE only the key matters, but the
 * whole entry is built (the caller has the stored body).
 */
export function toP4(table: string, body: Body, ptr: Pointers, ports: PortMap): TableEntry[] {
  const vrf = BigInt((body.vrf as number) ?? 0);
  switch (table) {
    case 'port':
      return [p4Entry('port_config', { port: { exact: BigInt(port(ports, body.id as string, 'id')) } }, 'set_port_config', { vrf, admin_up: body.adminUp ? 1 : 0, mtu: (body.mtu as number) ?? 0 })];
    case 'endpoint': {
      const { family, value: ip } = addrOf(body.ip as string);
      const tag = ptr.epTag.allocate(body.endpointId as string);
      return [
        p4Entry(
          FAMILY_TABLES[family].toPort,
          { vrf: { exact: vrf }, dst_addr: { exact: ip } },
          'to_endpoint',
          { port: port(ports, body.portId as string, 'portId'), dmac: mac(body.mac as string), ep_tag: tag, isolated_ingress: body.isolatedIngress ? 1 : 0, isolated_egress: body.isolatedEgress ? 1 : 0 },
          0,
          { ep: body.endpointId },
        ),
        p4Entry(FAMILY_TABLES[family].srcEndpoint, { vrf: { exact: vrf }, src_addr: { exact: ip } }, 'set_src_endpoint', { ep_tag: tag, isolated_egress: body.isolatedEgress ? 1 : 0 }),
      ];
    }
    case 'neighbor': {
      const a = addrOf(body.ip as string);
      return [p4Entry(FAMILY_TABLES[a.family].neighbor, { vrf: { exact: vrf }, ip: { exact: a.value } }, 'set_neighbor_mac', { dmac: body.mac ? mac(body.mac as string) : 0 })];
    }
    case 'nexthop': {
      const id = ptr.nexthop.allocate(body.id as string);
      const key = { nexthop_id: { exact: BigInt(id) } };
      const pn = body.port as Body | undefined;
      if (!pn) return [tunnelNexthopToP4(body, p4Entry('nexthop', key, undefined).match, ptr.tunnel)];
      const out = port(ports, pn.portId as string, 'port.portId');
      const nbr = pn.ip ? addrOf(pn.ip as string) : undefined;
      const v6 = nbr?.family === 6;
      const meta = { id: body.id };
      if (pn.dmac) return [p4Entry('nexthop', key, v6 ? 'nh_fixed_mac_v6' : 'nh_fixed_mac', { port: out, dmac: mac(pn.dmac as string), neighbor_ip: nbr?.value ?? 0n }, 0, { ...meta, ...(nbr !== undefined && { ip: true }) })];
      if (nbr !== undefined) return [p4Entry('nexthop', key, v6 ? 'nh_neighbor_v6' : 'nh_neighbor', { port: out, neighbor_ip: nbr.value }, 0, meta)];
      return [p4Entry('nexthop', key, 'nh_connected', { port: out }, 0, meta)];
    }
    case 'ecmp_group': {
      const id = ptr.ecmp.allocate(body.id as string);
      const members = (body.members as Body[] | undefined) ?? [];
      const e = p4Entry('ecmp_group', { group_id: { exact: BigInt(id) } }, undefined, {}, 0, {
        id: body.id,
        // Members whose HAL weight is unset (P4 weight 1, same as an explicit 1).
        ...(members.some((m) => m.weight === undefined) && { unset: members.flatMap((m, i) => (m.weight === undefined ? [i] : [])) }),
      });
      const set = members.length
        ? members.map((m) => ({ action: call('set_ecmp_member', { nexthop_id: ptr.nexthop.allocate(m.nexthopId as string) }), weight: (m.weight as number) ?? 1 }))
        : [{ action: call('ecmp_empty', {}), weight: 1 }];
      e.action = { actionProfileActionSet: { actionProfileActions: set } };
      return [e];
    }
    case 'route': {
      const pfx = prefixOf(body.prefix as string);
      const table = FAMILY_TABLES[pfx.family].route;
      // A /0 is a don't-care LPM match: omitted (P4Runtime §9.1.1).
      const match = { vrf: { exact: vrf }, dst_addr: pfx.len ? { lpm: pfx.value, len: pfx.len } : undefined };
      if (body.nexthopId) return [p4Entry(table, match, 'route_to_nexthop', { nexthop_id: ptr.nexthop.allocate(body.nexthopId as string) })];
      if (body.ecmpGroupId) return [p4Entry(table, match, 'route_to_ecmp', { group_id: ptr.ecmp.allocate(body.ecmpGroupId as string) })];
      return [p4Entry(table, match, body.reject ? 'route_reject' : 'route_drop')];
    }
    case 'acl': {
      const match: Record<string, M | undefined> = {};
      // A present prefix matches only its own family (hal-spec §3.1 PREFIX): the
      // ip-version field says which; a /0 adds no address bits (omitted).
      const pfx = (name: 'srcPrefix' | 'dstPrefix', side: 'src' | 'dst') => {
        if (!body[name]) return;
        const p = prefixOf(body[name] as string);
        match[`${side}_ip_version`] = { optional: BigInt(p.family) };
        const w = bitsOfFamily(p.family);
        if (p.len) match[aclAddrField(side, p.family)] = { ternary: p.value, mask: allOnes(w) ^ allOnes(w - p.len) };
      };
      // A present range matches only packets that have ports (TCP, UDP, SCTP); the full range adds no bounds.
      const range = (name: 'srcPorts' | 'dstPorts', side: 'src' | 'dst') => {
        const r = body[name] as { lo?: number; hi?: number } | undefined;
        if (!r) return;
        match[`${side}_port_valid`] = { optional: 1n };
        const lo = r.lo ?? 0;
        const hi = r.hi ?? 0;
        if (!(lo === 0 && hi === 65535)) match[`${side}_port`] = { range: [BigInt(lo), BigInt(hi)] };
      };
      const opt = (v: unknown): M | undefined => (v === undefined ? undefined : { optional: BigInt(v as number) });
      const ep = body.endpointId as string | undefined;
      match.stage = { exact: body.stage === 'ACL_EGRESS' ? 2n : 1n };
      match.ep_tag = ep ? { optional: BigInt(ptr.epTag.allocate(ep)) } : undefined;
      pfx('srcPrefix', 'src');
      pfx('dstPrefix', 'dst');
      range('srcPorts', 'src');
      range('dstPorts', 'dst');
      match.protocol = opt(body.protocol);
      match.icmp_type = opt(body.icmpType);
      match.icmp_code = opt(body.icmpCode);
      const meta = { ...(ep && { ep }), ...(body.policyRef !== undefined && { ref: body.policyRef }), ...(body.log === true && { log: true }) };
      return [p4Entry('acl', match, body.action === 'ACL_DENY' ? 'acl_deny' : 'acl_allow', {}, 0, meta)].map((e) => ({ ...e, priority: body.priority as number }));
    }
    case 'tunnel':
      return [tunnelToP4(body, ptr.tunnel, ptr.nexthop)];
    case 'tunnel_term':
      return [tunnelTermToP4(body)];
  }
  throw new Untranslatable(`table ${table} is not offloaded by this program`, '');
}

// ------------------------------------------------------------------ reverse

export function metaOf(e: TableEntry): Record<string, unknown> {
  if (!e.metadata?.length) return {};
  try {
    return JSON.parse(Buffer.from(e.metadata).toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export interface Decoded {
  priority: number;
  counters?: { packets: number; bytes: number };
  match: Record<string, { value: bigint; mask?: bigint; prefixLen?: number; high?: bigint }>;
  action?: { name: string; params: Record<string, bigint> };
  set?: { name: string; params: Record<string, bigint>; weight: number }[];
  meta: Record<string, unknown>;
}

export function decode(e: TableEntry, tableName: TableName): Decoded {
  const t = TABLES[tableName];
  const match: Decoded['match'] = {};
  for (const m of e.match ?? []) {
    const f = t.fields.find((x) => x.id === m.fieldId);
    if (!f) continue;
    if (m.exact) match[f.name] = { value: toBigInt(m.exact.value!) };
    else if (m.optional) match[f.name] = { value: toBigInt(m.optional.value!) };
    else if (m.lpm) match[f.name] = { value: toBigInt(m.lpm.value!), prefixLen: m.lpm.prefixLen };
    else if (m.ternary) match[f.name] = { value: toBigInt(m.ternary.value!), mask: toBigInt(m.ternary.mask!) };
    else if (m.range) match[f.name] = { value: toBigInt(m.range.low!), high: toBigInt(m.range.high!) };
  }
  const params = (a: { actionId?: number; params?: { paramId?: number; value?: Uint8Array }[] }) => {
    const def = actionById(a.actionId ?? 0);
    const ps: Record<string, bigint> = {};
    for (const p of a.params ?? []) {
      const pd = def?.params.find((x) => x.id === p.paramId);
      if (pd) ps[pd.name] = toBigInt(p.value ?? new Uint8Array([0]));
    }
    return { name: def?.name ?? '', params: ps };
  };
  const d: Decoded = { match, meta: metaOf(e), priority: e.priority ?? 0 };
  if (e.counterData) d.counters = { packets: Number(e.counterData.packetCount ?? 0), bytes: Number(e.counterData.byteCount ?? 0) };
  if (e.action?.action) d.action = params(e.action.action);
  if (e.action?.actionProfileActionSet) d.set = (e.action.actionProfileActionSet.actionProfileActions ?? []).map((x) => ({ ...params(x.action ?? {}), weight: x.weight ?? 0 }));
  return d;
}

export const ip4 = (v: bigint) => formatIpv4(toFixed(v, 4));
const mac6 = (v: bigint) => formatMac(toFixed(v, 6));
const prefixLenOfMask = (m: bigint) => m.toString(2).replace(/0+$/, '').length;

/** Device entries of the program's tables → HAL entries (table name, body). */
export interface HalRow {
  readonly table: string;
  readonly body: Body;
  readonly counters?: { packets: number; bytes: number };
}

export function fromP4(rows: ReadonlyMap<TableName, TableEntry[]>, ptr: Pointers, ports: PortMap): HalRow[] {
  const out: HalRow[] = [];
  const get = (t: TableName) => (rows.get(t) ?? []).map((e) => decode(e, t));
  const nhName = (n: bigint) => ptr.nexthop.name(Number(n)) ?? `nexthop-${n}`;
  const grpName = (n: bigint) => ptr.ecmp.name(Number(n)) ?? `ecmp-${n}`;
  const vrfOf = (d: Decoded) => (d.match.vrf?.value ? { vrf: Number(d.match.vrf.value) } : {});

  const portCfg = new Map<string, Decoded>();
  for (const d of get('port_config')) portCfg.set(ports.name(Number(d.match.port.value)) ?? `port-${d.match.port.value}`, d);
  for (const [name, d] of portCfg) {
    const p = d.action!.params;
    out.push({ table: 'port', body: { id: name, ...(p.admin_up === 1n && { adminUp: true }), ...(p.vrf && { vrf: Number(p.vrf) }), ...(p.mtu && { mtu: Number(p.mtu) }) } });
  }
  for (const [family, d] of ([4, 6] as const).flatMap((fam) => get(FAMILY_TABLES[fam].toPort).map((x) => [fam, x] as const))) {
    const p = d.action!.params;
    out.push({
      table: 'endpoint',
      body: {
        ...vrfOf(d),
        ip: formatAddr(family, d.match.dst_addr.value),
        portId: ports.name(Number(p.port)) ?? `port-${p.port}`,
        mac: mac6(p.dmac),
        endpointId: (d.meta.ep as string) ?? ptr.epTag.name(Number(p.ep_tag)) ?? `tag-${p.ep_tag}`,
        ...(p.isolated_ingress === 1n && { isolatedIngress: true }),
        ...(p.isolated_egress === 1n && { isolatedEgress: true }),
      },
      counters: d.counters,
    });
  }
  for (const fam of [4, 6] as const) {
    for (const d of get(FAMILY_TABLES[fam].neighbor)) out.push({ table: 'neighbor', body: { ...vrfOf(d), ip: formatAddr(fam, d.match.ip.value), mac: mac6(d.action!.params.dmac) } });
  }
  const tunnelName = (n: bigint) => ptr.tunnel.name(Number(n)) ?? `tunnel-${n}`;
  for (const d of get('nexthop')) {
    const p = d.action!.params;
    const a = d.action!.name;
    const id = (d.meta.id as string) ?? nhName(d.match.nexthop_id.value);
    if (a === 'nh_tunnel') {
      out.push({ table: 'nexthop', body: { id, tunnelId: tunnelName(p.tunnel_ptr) } });
      continue;
    }
    const portNh: Body = { portId: ports.name(Number(p.port)) ?? `port-${p.port}` };
    const fam: Family = a.endsWith('_v6') ? 6 : 4;
    if (a.startsWith('nh_neighbor') || (a.startsWith('nh_fixed_mac') && d.meta.ip)) portNh.ip = formatAddr(fam, p.neighbor_ip);
    if (a.startsWith('nh_fixed_mac')) portNh.dmac = mac6(p.dmac);
    out.push({ table: 'nexthop', body: { id, port: portNh } });
  }
  for (const d of get('tunnel_encap')) out.push({ table: 'tunnel', body: tunnelFromP4(d, ptr.tunnel, nhName) });
  for (const d of get('tunnel_term')) out.push({ table: 'tunnel_term', body: tunnelTermFromP4(d, 4), counters: d.counters });
  for (const d of get('tunnel_term_v6')) out.push({ table: 'tunnel_term', body: tunnelTermFromP4(d, 6), counters: d.counters });
  for (const d of get('ecmp_group')) {
    const unset = new Set((d.meta.unset as number[] | undefined) ?? []);
    const members = (d.set ?? []).filter((m) => m.name === 'set_ecmp_member').map((m, i) => ({ nexthopId: nhName(m.params.nexthop_id), ...(!unset.has(i) && { weight: m.weight }) }));
    out.push({ table: 'ecmp_group', body: { id: (d.meta.id as string) ?? grpName(d.match.group_id.value), ...(members.length && { members }) } });
  }
  for (const [fam, d] of ([4, 6] as const).flatMap((f) => get(FAMILY_TABLES[f].route).map((x) => [f, x] as const))) {
    const a = d.action!;
    const pfx = d.match.dst_addr ? `${formatAddr(fam, d.match.dst_addr.value)}/${d.match.dst_addr.prefixLen}` : fam === 4 ? '0.0.0.0/0' : '::/0';
    const act: Body =
      a.name === 'route_to_nexthop' ? { nexthopId: nhName(a.params.nexthop_id) } : a.name === 'route_to_ecmp' ? { ecmpGroupId: grpName(a.params.group_id) } : a.name === 'route_reject' ? { reject: {} } : { drop: {} };
    out.push({ table: 'route', body: { ...vrfOf(d), prefix: pfx, ...act }, counters: d.counters });
  }
  for (const d of get('acl')) {
    const m = d.match;
    const pfx = (side: 'src' | 'dst') => {
      const ver = m[`${side}_ip_version`];
      if (!ver) return undefined;
      const fam: Family = ver.value === 6n ? 6 : 4;
      const a = m[aclAddrField(side, fam)];
      return a ? `${formatAddr(fam, a.value)}/${prefixLenOfMask(a.mask!)}` : fam === 4 ? '0.0.0.0/0' : '::/0';
    };
    const rng = (side: 'src' | 'dst') => {
      if (!m[`${side}_port_valid`]) return undefined;
      const r = m[`${side}_port`];
      return r ? { ...(r.value && { lo: Number(r.value) }), hi: Number(r.high) } : { hi: 65535 };
    };
    const body: Body = {
      stage: m.stage.value === 2n ? 'ACL_EGRESS' : 'ACL_INGRESS',
      endpointId: m.ep_tag ? ((d.meta.ep as string) ?? ptr.epTag.name(Number(m.ep_tag.value))) : undefined,
      srcPrefix: pfx('src'),
      dstPrefix: pfx('dst'),
      protocol: m.protocol ? Number(m.protocol.value) : undefined,
      srcPorts: rng('src'),
      dstPorts: rng('dst'),
      icmpType: m.icmp_type ? Number(m.icmp_type.value) : undefined,
      icmpCode: m.icmp_code ? Number(m.icmp_code.value) : undefined,
      priority: d.priority,
      action: d.action!.name === 'acl_deny' ? 'ACL_DENY' : undefined,
      log: d.meta.log === true ? true : undefined,
      policyRef: d.meta.ref,
    };
    out.push({ table: 'acl', body: Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)), counters: d.counters });
  }
  return out;
}
