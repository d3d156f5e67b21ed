// HAL services → the program's service path, and back:
//   backend_group  → dnat_rewrite, one entry per member (pointer allocated per
//                    group, address and port), and two backend_group selector
//                    groups: 2n holds the active members, 2n+1 the terminating
//                    ones (the standby group the program falls back to when the
//                    active group has no backend). An empty group is lb_empty.
//   service        → service_lb: svc_balance(2n, 2n+1, empty_drop, affinity_s),
//                    svc_drop, svc_reject.
//   service_source → service_source (LPM on the source), plus one implicit
//                    catch-all per service key with entries (source omitted,
//                    src_deny), so a source no entry matches is dropped.
// Controller metadata keeps what P4 does not hold: the group id, the order of
// members across the two groups ("seq"), unset weights, the implicit
// catch-all, and the balance options the program stores but does not apply
// (SNAT mode and address: features not declared).
import { canonical, toBigInt } from '../p4rt/bytestrings.js';
import type { TableEntry, Update as P4Update } from '../p4rt/messages.js';
import { ACTIONS, type TableName } from '../program/program.js';
import { IdSpace } from './ids.js';
import { decode, ip4, p4Entry, v4, v4Prefix, type Body, type Decoded, type HalRow } from './translate.js';

export const SERVICE_TABLES = ['service', 'service_source', 'backend_group'] as const;

/** The P4 tables the service translation reads back. */
export const SERVICE_P4_TABLES: readonly TableName[] = ['service_lb', 'service_source', 'backend_group', 'dnat_rewrite'];

export interface ServicePointers {
  /** HAL backend group id → n; its P4 groups are 2n (active) and 2n+1 (standby). */
  readonly group: IdSpace;
  /** "group|ip|port" → dnat_rewrite pointer. */
  readonly dnat: IdSpace;
}

export function servicePointers(): ServicePointers {
  return { group: new IdSpace('backend group', 0x7fff), dnat: new IdSpace('DNAT', 0xffffff, true) };
}

const activeId = (n: number) => BigInt(2 * n);
const standbyId = (n: number) => BigInt(2 * n + 1);
const dnatName = (group: string, m: Body) => `${group}|${m.ip as string}|${m.port as number}`;

type Member = Body & { ip: string; port: number };

function members(body: Body): Member[] {
  return ((body.members as Member[] | undefined) ?? []).map((m) => ({ ...m }));
}

const terminating = (m: Body) => m.state === 'MEMBER_TERMINATING';

function dnatEntry(group: string, m: Member, sp: ServicePointers): TableEntry {
  const name = dnatName(group, m);
  return p4Entry('dnat_rewrite', { dnat_ptr: { exact: BigInt(sp.dnat.allocate(name)) } }, 'rewrite_dst', { ip: v4(m.ip, 'members.ip'), port: m.port }, 0, { m: name });
}

/** One backend of a selector group: its DNAT pointer, weight 0 meaning 1. */
function backendAction(group: string, m: Member, sp: ServicePointers) {
  const ptr = sp.dnat.allocate(dnatName(group, m));
  const a = ACTIONS.set_backend;
  return { action: { actionId: a.id, params: [{ paramId: a.params[0].id, value: canonical(BigInt(ptr)) }] }, weight: (m.weight as number) || 1 };
}

/** The two selector entries of a group, active first; an empty one holds lb_empty. */
function groupEntries(body: Body, sp: ServicePointers): [TableEntry, TableEntry] {
  const id = body.id as string;
  const n = sp.group.allocate(id);
  const ms = members(body);
  const build = (gid: bigint, list: Member[], meta: Record<string, unknown>) => {
    const e = p4Entry('backend_group', { group_id: { exact: gid } }, undefined, {}, 0, meta);
    const set = list.length ? list.map((m) => backendAction(id, m, sp)) : [{ action: { actionId: ACTIONS.lb_empty.id, params: [] }, weight: 1 }];
    e.action = { actionProfileActionSet: { actionProfileActions: set } };
    return e;
  };
  const seq = ms.map((m) => (terminating(m) ? 't' : 'a')).join('');
  const unset = ms.flatMap((m, i) => (m.weight ? [] : [i]));
  const meta = { id, ...(seq.includes('t') && seq.includes('a') && { seq }), ...(unset.length && { unset }) };
  return [build(activeId(n), ms.filter((m) => !terminating(m)), meta), build(standbyId(n), ms.filter(terminating), { id, standby: true })];
}

function serviceKey(body: Body) {
  return {
    vrf: { exact: BigInt((body.vrf as number) ?? 0) },
    vip: { exact: v4(body.vip as string, 'vip') },
    protocol: { exact: BigInt(body.protocol as number) },
    port: { exact: BigInt((body.port as number) ?? 0) },
  };
}

export function serviceEntry(body: Body, sp: ServicePointers): TableEntry {
  const key = serviceKey(body);
  if (body.drop) return p4Entry('service_lb', key, 'svc_drop');
  if (body.reject) return p4Entry('service_lb', key, 'svc_reject');
  const b = body.balance as Body;
  const n = sp.group.allocate(b.backendGroupId as string);
  // Stored for read-back; the program does not apply them (SNAT, HAIRPIN are not declared).
  const meta = {
    ...(b.snatMode && b.snatMode !== 'SNAT_NONE' ? { snat: b.snatMode } : {}),
    ...(b.snatIp ? { snatIp: b.snatIp } : {}),
  };
  return p4Entry('service_lb', key, 'svc_balance', { group_id: activeId(n), standby_group_id: standbyId(n), empty_drop: b.whenEmpty === 'WHEN_EMPTY_DROP' ? 1 : 0, affinity_s: (b.affinityTimeoutS as number) ?? 0 }, 0, meta);
}

function sourceEntry(body: Body, action: 'src_allow' | 'src_deny', implicit = false): TableEntry {
  const key: Record<string, ReturnType<typeof serviceKey>['vrf'] | { lpm: bigint; len: number } | undefined> = { ...serviceKey(body) };
  if (!implicit) {
    const p = v4Prefix(body.source as string, 'source');
    // A /0 is a don't-care LPM match: omitted (it shares its key with the catch-all).
    if (p.len) key.src_addr = { lpm: p.value, len: p.len };
  }
  return p4Entry('service_source', key, action, {}, 0, implicit ? { implicit: true } : undefined);
}

const isDefaultSource = (body: Body) => v4Prefix(body.source as string, 'source').len === 0;
const sourceAction = (body: Body) => (body.allow ? 'src_allow' : 'src_deny');

const up = (type: 'INSERT' | 'MODIFY' | 'DELETE', e: TableEntry): P4Update => ({ type, entity: { tableEntry: type === 'DELETE' ? { ...e, action: undefined, metadata: undefined } : e } });

export interface ServiceContext {
  readonly sp: ServicePointers;
  /** How many other service_source entries the intent cache holds for this entry's service key. */
  othersWithKey(body: Body): number;
}

/**
 * The P4 updates of one HAL service-table update and their inverses (aligned
 * one to one, for undoing a half-applied update).
 */
export function translateService(table: string, type: 'INSERT' | 'MODIFY' | 'DELETE', body: Body, before: Body | undefined, ctx: ServiceContext): { forward: P4Update[]; inverse: P4Update[] } {
  const { sp } = ctx;
  const f: P4Update[] = [];
  const inv: P4Update[] = [];
  const pair = (a: P4Update, b: P4Update) => {
    f.push(a);
    inv.push(b);
  };
  if (table === 'service') {
    if (type === 'INSERT') pair(up('INSERT', serviceEntry(body, sp)), up('DELETE', serviceEntry(body, sp)));
    else if (type === 'MODIFY') pair(up('MODIFY', serviceEntry(body, sp)), up('MODIFY', serviceEntry(before!, sp)));
    else pair(up('DELETE', serviceEntry(before!, sp)), up('INSERT', serviceEntry(before!, sp)));
    return { forward: f, inverse: inv };
  }
  if (table === 'backend_group') {
    const id = (body.id ?? before?.id) as string;
    const now = type === 'DELETE' ? [] : members(body);
    const was = before ? members(before) : [];
    const nowNames = new Set(now.map((m) => dnatName(id, m)));
    const wasNames = new Set(was.map((m) => dnatName(id, m)));
    for (const m of now) if (!wasNames.has(dnatName(id, m))) pair(up('INSERT', dnatEntry(id, m, sp)), up('DELETE', dnatEntry(id, m, sp)));
    if (type === 'INSERT') {
      for (const e of groupEntries(body, sp)) pair(up('INSERT', e), up('DELETE', e));
    } else if (type === 'MODIFY') {
      const [a0, s0] = groupEntries(before!, sp);
      const [a1, s1] = groupEntries(body, sp);
      pair(up('MODIFY', a1), up('MODIFY', a0));
      pair(up('MODIFY', s1), up('MODIFY', s0));
    } else {
      const [a, s] = groupEntries(before!, sp);
      pair(up('DELETE', s), up('INSERT', s));
      pair(up('DELETE', a), up('INSERT', a));
    }
    for (const m of was) if (!nowNames.has(dnatName(id, m))) pair(up('DELETE', dnatEntry(id, m, sp)), up('INSERT', dnatEntry(id, m, sp)));
    return { forward: f, inverse: inv };
  }
  // service_source: the catch-all exists while the key has any entry; a HAL /0 entry takes its place.
  const others = ctx.othersWithKey(type === 'DELETE' ? before! : body);
  const catchAll = sourceEntry(body ?? before, 'src_deny', true);
  if (type === 'INSERT') {
    const mine = sourceEntry(body, sourceAction(body));
    if (isDefaultSource(body)) {
      if (others) pair(up('MODIFY', mine), up('MODIFY', catchAll));
      else pair(up('INSERT', mine), up('DELETE', mine));
    } else {
      if (!others) pair(up('INSERT', catchAll), up('DELETE', catchAll));
      pair(up('INSERT', mine), up('DELETE', mine));
    }
  } else if (type === 'MODIFY') {
    pair(up('MODIFY', sourceEntry(body, sourceAction(body))), up('MODIFY', sourceEntry(before!, sourceAction(before!))));
  } else {
    const mine = sourceEntry(before!, sourceAction(before!));
    if (isDefaultSource(before!)) {
      if (others) pair(up('MODIFY', catchAll), up('MODIFY', mine));
      else pair(up('DELETE', mine), up('INSERT', mine));
    } else {
      pair(up('DELETE', mine), up('INSERT', mine));
      if (!others) pair(up('DELETE', catchAll), up('INSERT', catchAll));
    }
  }
  return { forward: f, inverse: inv };
}

/** Binds the pointers a device entry carries (reconnect: the device is the truth). */
export function bindServicePointers(table: TableName, e: TableEntry, meta: Record<string, unknown>, sp: ServicePointers): void {
  const key = e.match?.[0]?.exact?.value;
  if (!key) return;
  const n = Number(toBigInt(key));
  if (table === 'backend_group' && typeof meta.id === 'string' && !meta.standby) sp.group.bind(meta.id, n / 2);
  if (table === 'dnat_rewrite' && typeof meta.m === 'string') sp.dnat.bind(meta.m, n);
}

/** Device entries of the service tables → HAL rows. */
export function servicesFromP4(rows: ReadonlyMap<TableName, TableEntry[]>, sp: ServicePointers): HalRow[] {
  const get = (t: TableName) => (rows.get(t) ?? []).map((e) => decode(e, t));
  const out: HalRow[] = [];
  const key = (d: Decoded) => ({
    ...(d.match.vrf?.value ? { vrf: Number(d.match.vrf.value) } : {}),
    vip: ip4(d.match.vip.value),
    protocol: Number(d.match.protocol.value),
    ...(d.match.port?.value ? { port: Number(d.match.port.value) } : {}),
  });
  const groupName = (id: bigint) => sp.group.name(Number(id / 2n)) ?? `backend-group-${id / 2n}`;
  for (const d of get('service_lb')) {
    const a = d.action!;
    let act: Body;
    if (a.name === 'svc_drop') act = { drop: {} };
    else if (a.name === 'svc_reject') act = { reject: {} };
    else {
      act = {
        balance: {
          backendGroupId: groupName(a.params.group_id),
          ...(a.params.affinity_s && { affinityTimeoutS: Number(a.params.affinity_s) }),
          ...(typeof d.meta.snat === 'string' && { snatMode: d.meta.snat }),
          ...(a.params.empty_drop === 1n && { whenEmpty: 'WHEN_EMPTY_DROP' }),
          ...(typeof d.meta.snatIp === 'string' && { snatIp: d.meta.snatIp }),
        },
      };
    }
    out.push({ table: 'service', body: { ...key(d), ...act }, counters: d.counters });
  }
  for (const d of get('service_source')) {
    if (d.meta.implicit) continue;
    const src = d.match.src_addr ? `${ip4(d.match.src_addr.value)}/${d.match.src_addr.prefixLen}` : '0.0.0.0/0';
    out.push({ table: 'service_source', body: { ...key(d), source: src, ...(d.action!.name === 'src_allow' ? { allow: {} } : { drop: {} }) } });
  }
  const dnat = new Map<bigint, Decoded>();
  for (const d of get('dnat_rewrite')) dnat.set(d.match.dnat_ptr.value, d);
  const groups = new Map<bigint, Decoded>();
  for (const d of get('backend_group')) groups.set(d.match.group_id.value, d);
  for (const [gid, d] of groups) {
    if (gid % 2n === 1n) continue;
    const standby = groups.get(gid + 1n);
    const backends = (g: Decoded | undefined) =>
      (g?.set ?? []).filter((m) => m.name === 'set_backend').map((m) => {
        const rw = dnat.get(m.params.dnat_ptr);
        if (!rw) throw new Error(`backend group ${gid}: DNAT pointer ${m.params.dnat_ptr} has no dnat_rewrite entry`);
        return { ip: ip4(rw.action!.params.ip), port: Number(rw.action!.params.port), weight: m.weight };
      });
    const active = backends(d);
    const term = backends(standby).map((m) => ({ ...m, state: 'MEMBER_TERMINATING' }));
    const seq = typeof d.meta.seq === 'string' ? d.meta.seq : term.length ? 't'.repeat(term.length) : 'a'.repeat(active.length);
    const ms: Body[] = [];
    let ai = 0;
    let ti = 0;
    for (const c of seq) ms.push(c === 't' ? term[ti++] : active[ai++]);
    const unset = new Set((d.meta.unset as number[] | undefined) ?? []);
    const list = ms.filter(Boolean).map((m, i) => (unset.has(i) ? { ...m, weight: undefined } : m));
    const counters = d.counters && standby?.counters ? { packets: d.counters.packets + standby.counters.packets, bytes: d.counters.bytes + standby.counters.bytes } : d.counters;
    out.push({ table: 'backend_group', body: { id: (d.meta.id as string) ?? groupName(gid), ...(list.length && { members: list }) }, counters });
  }
  return out;
}
