// The target's table entries: every P4Runtime rule for a TableEntry is checked
// here (match kinds, bytestrings, don't-care omission, ternary masks, LPM low
// bits, priorities, action parameters, one-shot action sets and the selector's
// group bound), then INSERT / MODIFY / DELETE are applied with an undo log so a
// batch can be rolled back.
import { ACL_RANGE_CHECKERS, TABLES, actionById, tableById, type ActionDef, type TableDef } from '../program/program.js';
import { allOnes, bitsOf, canonical, toBigInt } from '../p4rt/bytestrings.js';
import type { Action, FieldMatch, TableEntry, UpdateType } from '../p4rt/messages.js';
import { p4err } from './errors.js';
import { ActionProfiles } from './action-profiles.js';

export interface MatchValue {
  readonly kind: 'EXACT' | 'LPM' | 'TERNARY' | 'RANGE' | 'OPTIONAL';
  readonly value: bigint;
  readonly mask?: bigint;
  readonly prefixLen?: number;
  readonly high?: bigint;
}

export interface ActionCall {
  readonly action: ActionDef;
  /** Parameter values by parameter name. */
  readonly params: Readonly<Record<string, bigint>>;
}

export interface StoredEntry {
  readonly table: TableDef;
  readonly key: string;
  /** Present (non-wildcard) match fields by field name. */
  readonly match: ReadonlyMap<string, MatchValue>;
  readonly priority: number;
  /** A direct action, or a one-shot action set (selector tables) with weights. */
  readonly action?: ActionCall;
  readonly actionSet?: readonly { call: ActionCall; weight: number }[];
  /** Or an action profile member or group of the table's selector (action-profiles.ts). */
  readonly memberId?: number;
  readonly groupId?: number;
  readonly metadata?: Uint8Array;
  readonly counters: { packets: number; bytes: number };
}

type Undo = () => void;

function bytesOf(v: Uint8Array | undefined, what: string, bitwidth: number): bigint {
  if (!v || v.length === 0) throw p4err('INVALID_ARGUMENT', `${what}: empty bytestring`);
  const n = toBigInt(v);
  if (bitsOf(n) > bitwidth) throw p4err('OUT_OF_RANGE', `${what}: value 0x${n.toString(16)} does not fit in ${bitwidth} bits`);
  return n;
}

function parseMatch(t: TableDef, ms: readonly FieldMatch[]): Map<string, MatchValue> {
  const out = new Map<string, MatchValue>();
  const seen = new Set<number>();
  for (const m of ms) {
    const fd = t.fields.find((x) => x.id === m.fieldId);
    if (!fd) throw p4err('INVALID_ARGUMENT', `table ${t.name} has no match field id ${m.fieldId ?? 0}`);
    if (seen.has(fd.id)) throw p4err('INVALID_ARGUMENT', `match field ${fd.name} is given twice`);
    seen.add(fd.id);
    const kind = m.fieldMatchType;
    const what = `${t.name}.${fd.name}`;
    const expected = fd.match.toLowerCase();
    if (kind !== expected) throw p4err('INVALID_ARGUMENT', `${what} is a ${fd.match} field, got ${kind ?? 'no match type'}`);
    const bw = fd.bitwidth;
    switch (fd.match) {
      case 'EXACT':
        out.set(fd.name, { kind: 'EXACT', value: bytesOf(m.exact?.value, what, bw) });
        break;
      case 'OPTIONAL':
        out.set(fd.name, { kind: 'OPTIONAL', value: bytesOf(m.optional?.value, what, bw) });
        break;
      case 'TERNARY': {
        const value = bytesOf(m.ternary?.value, `${what} value`, bw);
        const mask = bytesOf(m.ternary?.mask, `${what} mask`, bw);
        if (mask === 0n) throw p4err('INVALID_ARGUMENT', `${what}: a don't-care ternary match must be omitted, not sent with mask 0`);
        if ((value & mask) !== value) throw p4err('INVALID_ARGUMENT', `${what}: value has bits outside the mask (value & mask != value)`);
        out.set(fd.name, { kind: 'TERNARY', value, mask });
        break;
      }
      case 'LPM': {
        const value = bytesOf(m.lpm?.value, what, bw);
        const len = m.lpm?.prefixLen ?? 0;
        if (len === 0) throw p4err('INVALID_ARGUMENT', `${what}: a don't-care LPM match (prefix length 0) must be omitted`);
        if (len < 0 || len > bw) throw p4err('INVALID_ARGUMENT', `${what}: prefix length ${len} is outside 1..${bw}`);
        const low = allOnes(bw - len);
        if ((value & low) !== 0n) throw p4err('INVALID_ARGUMENT', `${what}: bits below the /${len} prefix must be zero`);
        out.set(fd.name, { kind: 'LPM', value, prefixLen: len });
        break;
      }
      case 'RANGE': {
        const lo = bytesOf(m.range?.low, `${what} low`, bw);
        const hi = bytesOf(m.range?.high, `${what} high`, bw);
        if (lo > hi) throw p4err('INVALID_ARGUMENT', `${what}: low ${lo} is above high ${hi}`);
        if (lo === 0n && hi === allOnes(bw)) throw p4err('INVALID_ARGUMENT', `${what}: a don't-care range (the full range) must be omitted`);
        out.set(fd.name, { kind: 'RANGE', value: lo, high: hi });
        break;
      }
    }
  }
  for (const fd of t.fields) {
    if ((fd.match === 'EXACT') && !out.has(fd.name)) throw p4err('INVALID_ARGUMENT', `${t.name}.${fd.name} is an exact match field and must be present`);
  }
  return out;
}

export function parseAction(t: TableDef, a: Action | undefined): ActionCall {
  const def = a?.actionId ? actionById(a.actionId) : undefined;
  if (!def) throw p4err('INVALID_ARGUMENT', `unknown action id ${a?.actionId ?? 0}`);
  if (!t.actions.includes(def.id)) throw p4err('INVALID_ARGUMENT', `action ${def.name} is not an action of table ${t.name}`);
  const params: Record<string, bigint> = {};
  for (const p of a?.params ?? []) {
    const pd = def.params.find((x) => x.id === p.paramId);
    if (!pd) throw p4err('INVALID_ARGUMENT', `action ${def.name} has no parameter id ${p.paramId ?? 0}`);
    if (pd.name in params) throw p4err('INVALID_ARGUMENT', `parameter ${def.name}.${pd.name} is given twice`);
    params[pd.name] = bytesOf(p.value, `${def.name}.${pd.name}`, pd.bitwidth);
  }
  for (const pd of def.params) if (!(pd.name in params)) throw p4err('INVALID_ARGUMENT', `parameter ${def.name}.${pd.name} is missing`);
  return { action: def, params };
}

function needsPriority(t: TableDef): boolean {
  return t.fields.some((f) => f.match === 'TERNARY' || f.match === 'RANGE' || f.match === 'OPTIONAL');
}

export function keyOf(t: TableDef, match: ReadonlyMap<string, MatchValue>, priority: number): string {
  const parts = t.fields.map((f) => {
    const m = match.get(f.name);
    if (!m) return '*';
    return `${m.value.toString(16)}/${(m.mask ?? m.high ?? BigInt(m.prefixLen ?? 0)).toString(16)}`;
  });
  return `${parts.join(',')}#${priority}`;
}

export interface ParsedKey {
  readonly table: TableDef;
  readonly match: Map<string, MatchValue>;
  readonly priority: number;
  readonly key: string;
}

/** The key part of a TableEntry (what identifies it), validated. */
export function parseKey(te: TableEntry): ParsedKey {
  const t = te.tableId ? tableById(te.tableId) : undefined;
  if (!t) throw p4err('NOT_FOUND', `no table with id ${te.tableId ?? 0}`);
  if (te.isDefaultAction) throw p4err('UNIMPLEMENTED', `the default actions of this program are fixed (table ${t.name})`);
  const match = parseMatch(t, te.match ?? []);
  const priority = te.priority ?? 0;
  if (needsPriority(t)) {
    if (priority <= 0) throw p4err('INVALID_ARGUMENT', `table ${t.name} has ternary/range/optional fields: priority must be > 0`);
  } else if (priority !== 0) throw p4err('INVALID_ARGUMENT', `table ${t.name} has only exact/LPM fields: priority must be 0`);
  return { table: t, match, priority, key: keyOf(t, match, priority) };
}

export class TableState {
  private readonly tables = new Map<number, Map<string, StoredEntry>>();
  private readonly versions = new Map<number, number>();
  private undoLog: Undo[] | null = null;
  /** Members and groups of the program's action selectors, under the same undo log. */
  readonly profiles = new ActionProfiles({
    parseAction,
    logUndo: (u) => this.undoLog?.push(u),
    selectorEntries: (p) => this.selectorUsers(p),
  });

  private *selectorUsers(p: NonNullable<TableDef['selector']>): Iterable<{ oneShot: boolean; memberId?: number; groupId?: number }> {
    for (const t of Object.values(TABLES) as TableDef[]) {
      if (t.selector?.id !== p.id) continue;
      for (const e of this.tables.get(t.id)!.values()) yield { oneShot: !!e.actionSet, memberId: e.memberId, groupId: e.groupId };
    }
  }

  /** The weighted actions a selector entry stands for: its one-shot set, its member, or its group's members. */
  selectorMembers(e: StoredEntry): readonly { call: ActionCall; weight: number }[] {
    if (e.actionSet) return e.actionSet;
    const sel = e.table.selector;
    if (sel && e.memberId !== undefined) {
      const m = this.profiles.member(sel, e.memberId);
      return m ? [{ call: m, weight: 1 }] : [];
    }
    if (sel && e.groupId !== undefined) return this.profiles.groupActions(sel, e.groupId) ?? [];
    return e.action ? [{ call: e.action, weight: 1 }] : [];
  }

  constructor(private readonly sizes: Readonly<Record<string, number>> = {}) {
    for (const t of Object.values(TABLES)) {
      this.tables.set(t.id, new Map());
      this.versions.set(t.id, 0);
    }
  }

  sizeOf(t: TableDef): number {
    return this.sizes[t.name] ?? t.size;
  }

  version(t: TableDef): number {
    return this.versions.get(t.id)!;
  }

  entries(t: TableDef): IterableIterator<StoredEntry> {
    return this.tables.get(t.id)!.values();
  }

  count(t: TableDef): number {
    return this.tables.get(t.id)!.size;
  }

  get(t: TableDef, key: string): StoredEntry | undefined {
    return this.tables.get(t.id)!.get(key);
  }

  clear(): void {
    this.profiles.clear();
    for (const [id, m] of this.tables) {
      m.clear();
      this.versions.set(id, this.versions.get(id)! + 1);
    }
  }

  /** Runs `fn` so that `rollback()` undoes every change it made. */
  transaction<T>(fn: (rollback: () => void) => T): T {
    const log: Undo[] = [];
    this.undoLog = log;
    try {
      return fn(() => {
        for (const u of log.reverse()) u();
        log.length = 0;
      });
    } finally {
      this.undoLog = null;
    }
  }

  /** Applies one update; throws P4Error and changes nothing on failure. */
  apply(type: UpdateType | undefined, te: TableEntry | undefined): void {
    if (type !== 'INSERT' && type !== 'MODIFY' && type !== 'DELETE') throw p4err('INVALID_ARGUMENT', 'update type must be INSERT, MODIFY or DELETE');
    if (!te) throw p4err('INVALID_ARGUMENT', 'entity has no table_entry');
    const k = parseKey(te);
    const t = k.table;
    if (t.learned) throw p4err('PERMISSION_DENIED', `table ${t.name} is learned by the data plane (add_on_miss); controllers may only read it`);
    const rows = this.tables.get(t.id)!;
    const existing = rows.get(k.key);
    if (type === 'DELETE') {
      if (!existing) throw p4err('NOT_FOUND', `no such entry in ${t.name}`);
      this.put(t, k.key, undefined);
      return;
    }
    if (te.idleTimeoutNs && te.idleTimeoutNs !== '0') throw p4err('INVALID_ARGUMENT', `table ${t.name} does not support idle timeout`);
    if (te.counterData && !t.counterId) throw p4err('INVALID_ARGUMENT', `table ${t.name} has no direct counter`);
    const act = te.action;
    let action: ActionCall | undefined;
    let actionSet: { call: ActionCall; weight: number }[] | undefined;
    let memberId: number | undefined;
    let groupId: number | undefined;
    if (!act || !act.type) throw p4err('INVALID_ARGUMENT', `an ${type} needs an action`);
    if (act.type === 'actionProfileMemberId' || act.type === 'actionProfileGroupId') {
      if (!t.selector) throw p4err('INVALID_ARGUMENT', `table ${t.name} has no action profile: it takes a direct action`);
      if (act.type === 'actionProfileMemberId') {
        memberId = act.actionProfileMemberId ?? 0;
        if (!this.profiles.member(t.selector, memberId)) throw p4err('NOT_FOUND', `no member ${memberId} in ${t.selector.name}`);
      } else {
        groupId = act.actionProfileGroupId ?? 0;
        if (!this.profiles.hasGroup(t.selector, groupId)) throw p4err('NOT_FOUND', `no group ${groupId} in ${t.selector.name}`);
      }
    } else if (t.selector) {
      if (this.profiles.programmedByMembers(t.selector)) {
        throw p4err('FAILED_PRECONDITION', `${t.selector.name} is programmed with members and groups: one-shot action sets cannot be used with it at the same time`);
      }
      if (act.type !== 'actionProfileActionSet') throw p4err('INVALID_ARGUMENT', `table ${t.name} is implemented by ${t.selector.name}: use an action_profile_action_set`);
      const items = act.actionProfileActionSet?.actionProfileActions ?? [];
      if (items.length === 0) throw p4err('INVALID_ARGUMENT', 'an action set needs at least one action');
      if (items.length > t.selector.maxGroupSize) throw p4err('RESOURCE_EXHAUSTED', `${items.length} actions exceed the group size of ${t.selector.name} (${t.selector.maxGroupSize})`);
      actionSet = items.map((x, i) => {
        const w = x.weight ?? 0;
        if (w <= 0) throw p4err('INVALID_ARGUMENT', `action set member ${i}: weight must be positive`);
        if (w > t.selector!.maxMemberWeight) throw p4err('INVALID_ARGUMENT', `action set member ${i}: weight ${w} exceeds ${t.selector!.maxMemberWeight}`);
        return { call: parseAction(t, x.action), weight: w };
      });
      const used = [...this.entries(t)].reduce((n, e) => n + (e.key === k.key ? 0 : e.actionSet?.length ?? 0), 0);
      if (used + actionSet.length > t.selector.size) throw p4err('RESOURCE_EXHAUSTED', `${t.selector.name} holds at most ${t.selector.size} members`);
    } else {
      if (act.type !== 'action') throw p4err('INVALID_ARGUMENT', `table ${t.name} takes a direct action`);
      action = parseAction(t, act.action);
    }
    if (type === 'INSERT') {
      if (existing) throw p4err('ALREADY_EXISTS', `the entry already exists in ${t.name}`);
      if (rows.size >= this.sizeOf(t)) throw p4err('RESOURCE_EXHAUSTED', `table ${t.name} is full (${this.sizeOf(t)} entries)`);
    } else if (!existing) throw p4err('NOT_FOUND', `no such entry in ${t.name}`);
    this.checkRangeCheckers(t, k);
    const counters = existing?.counters ?? { packets: 0, bytes: 0 };
    if (te.counterData) {
      counters.packets = Number(te.counterData.packetCount ?? 0);
      counters.bytes = Number(te.counterData.byteCount ?? 0);
    }
    const md = te.metadata && te.metadata.length ? Uint8Array.from(te.metadata) : undefined;
    this.put(t, k.key, { table: t, key: k.key, match: k.match, priority: k.priority, action, actionSet, memberId, groupId, metadata: md, counters: { ...counters } });
  }

  /** The acl table's range fields draw on a pool of range checkers (distinct low..high pairs per field). */
  private checkRangeCheckers(t: TableDef, k: ParsedKey): void {
    if (t.id !== TABLES.acl.id) return;
    for (const f of t.fields.filter((x) => x.match === 'RANGE')) {
      const mine = k.match.get(f.name);
      if (!mine) continue;
      const distinct = new Set<string>();
      for (const e of this.entries(t)) {
        if (e.key === k.key) continue;
        const m = e.match.get(f.name);
        if (m) distinct.add(`${m.value}-${m.high}`);
      }
      distinct.add(`${mine.value}-${mine.high}`);
      if (distinct.size > ACL_RANGE_CHECKERS) throw p4err('RESOURCE_EXHAUSTED', `${t.name}.${f.name}: all ${ACL_RANGE_CHECKERS} range checkers are in use by other ranges`);
    }
  }

  /** A data-plane insert into a learned table (add_on_miss); false when the table is full. */
  learn(t: TableDef, match: Map<string, MatchValue>, action: ActionCall): StoredEntry | undefined {
    const rows = this.tables.get(t.id)!;
    if (rows.size >= this.sizeOf(t)) return undefined;
    const key = keyOf(t, match, 0);
    const e: StoredEntry = { table: t, key, match, priority: 0, action, counters: { packets: 0, bytes: 0 } };
    rows.set(key, e);
    this.versions.set(t.id, this.versions.get(t.id)! + 1);
    return e;
  }

  /** A data-plane removal from a learned table (expiry). */
  forget(t: TableDef, key: string): void {
    if (this.tables.get(t.id)!.delete(key)) this.versions.set(t.id, this.versions.get(t.id)! + 1);
  }

  private put(t: TableDef, key: string, e: StoredEntry | undefined): void {
    const rows = this.tables.get(t.id)!;
    const before = rows.get(key);
    if (e) rows.set(key, e);
    else rows.delete(key);
    this.versions.set(t.id, this.versions.get(t.id)! + 1);
    this.undoLog?.push(() => {
      if (before) rows.set(key, before);
      else rows.delete(key);
      this.versions.set(t.id, this.versions.get(t.id)! + 1);
    });
  }
}

/** A stored entry as a P4Runtime TableEntry with canonical bytestrings. */
export function entryMessage(e: StoredEntry, withCounters: boolean): TableEntry {
  const match: FieldMatch[] = [];
  for (const f of e.table.fields) {
    const m = e.match.get(f.name);
    if (!m) continue;
    if (m.kind === 'EXACT') match.push({ fieldId: f.id, exact: { value: canonical(m.value) } });
    else if (m.kind === 'OPTIONAL') match.push({ fieldId: f.id, optional: { value: canonical(m.value) } });
    else if (m.kind === 'TERNARY') match.push({ fieldId: f.id, ternary: { value: canonical(m.value), mask: canonical(m.mask!) } });
    else if (m.kind === 'LPM') match.push({ fieldId: f.id, lpm: { value: canonical(m.value), prefixLen: m.prefixLen } });
    else match.push({ fieldId: f.id, range: { low: canonical(m.value), high: canonical(m.high!) } });
  }
  const call = (c: ActionCall): Action => ({ actionId: c.action.id, params: c.action.params.map((p) => ({ paramId: p.id, value: canonical(c.params[p.name]) })) });
  const te: TableEntry = {
    tableId: e.table.id,
    match,
    action: e.action
      ? { action: call(e.action) }
      : e.memberId !== undefined
        ? { actionProfileMemberId: e.memberId }
        : e.groupId !== undefined
          ? { actionProfileGroupId: e.groupId }
          : { actionProfileActionSet: { actionProfileActions: e.actionSet!.map((x) => ({ action: call(x.call), weight: x.weight })) } },
  };
  if (e.priority) te.priority = e.priority;
  if (e.metadata) te.metadata = e.metadata;
  if (withCounters && e.table.counterId) te.counterData = { byteCount: String(e.counters.bytes), packetCount: String(e.counters.packets) };
  return te;
}
