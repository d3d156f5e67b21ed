// Action profile members and groups (P4Runtime §9.2.1, §9.2.2) of the program's
// action selectors: a member is an action with its parameters, a group a
// weighted list of members; a selector table entry then refers to one member or
// one group by id. The rules enforced here:
//   - ids are the controller's; INSERT of a taken id is ALREADY_EXISTS, MODIFY or
//     DELETE of a missing one NOT_FOUND; an unknown action_profile_id NOT_FOUND;
//   - a member's action must be an action of the tables the profile implements;
//   - a group's members must exist (NOT_FOUND), appear once (INVALID_ARGUMENT),
//     have a weight in 1..max_member_weight; more than max_group_size members, or
//     a max_size above it, or more members than the group's own max_size, is
//     RESOURCE_EXHAUSTED; so is a profile holding more members than its size;
//   - a member in a group or a table entry, or a group in a table entry, cannot be
//     deleted (FAILED_PRECONDITION), nor a group shrunk below its max_size rule;
//   - one profile is programmed either with one-shot action sets or with members
//     and groups, never both at once (FAILED_PRECONDITION), since a one-shot set
//     is itself an implicit group the server owns;
//   - watch ports (watch_kind) are not supported: UNIMPLEMENTED.
// Every change goes through the TableState undo log, so batches roll back.
import { TABLES, type SelectorDef, type TableDef } from '../program/program.js';
import { canonical } from '../p4rt/bytestrings.js';
import type { Action } from '../p4rt/messages.js';
import { p4err } from './errors.js';
import type { ActionCall } from './table-state.js';

export interface ProfileMember {
  actionProfileId?: number;
  memberId?: number;
  action?: Action;
}

export interface ProfileGroup {
  actionProfileId?: number;
  groupId?: number;
  members?: { memberId?: number; weight?: number; watch?: number; watchPort?: Uint8Array }[];
  maxSize?: number;
}

interface Group {
  readonly members: readonly { memberId: number; weight: number }[];
  readonly maxSize: number;
}

/** What the profiles need from the table state: action parsing, the undo log, and who refers to what. */
export interface ProfileHost {
  parseAction(t: TableDef, a: Action | undefined): ActionCall;
  logUndo(undo: () => void): void;
  /** Entries of the profile's tables: one-shot sets and member / group references. */
  selectorEntries(profile: SelectorDef): Iterable<{ oneShot: boolean; memberId?: number; groupId?: number }>;
}

const callMessage = (c: ActionCall): Action => ({ actionId: c.action.id, params: c.action.params.map((p) => ({ paramId: p.id, value: canonical(c.params[p.name]) })) });

export class ActionProfiles {
  private readonly members = new Map<number, Map<number, ActionCall>>();
  private readonly groups = new Map<number, Map<number, Group>>();
  private readonly profiles = new Map<number, { def: SelectorDef; tables: TableDef[] }>();

  constructor(private readonly host: ProfileHost) {
    for (const t of Object.values(TABLES) as TableDef[]) {
      if (!t.selector) continue;
      const p = this.profiles.get(t.selector.id) ?? { def: t.selector, tables: [] };
      p.tables.push(t);
      this.profiles.set(t.selector.id, p);
      this.members.set(t.selector.id, new Map());
      this.groups.set(t.selector.id, new Map());
    }
  }

  private profile(id: number | undefined): { def: SelectorDef; tables: TableDef[] } {
    const p = id ? this.profiles.get(id) : undefined;
    if (!p) throw p4err('NOT_FOUND', `no action profile with id ${id ?? 0}`);
    return p;
  }

  /** True when the profile has members or groups (member/group programming). */
  programmedByMembers(profile: SelectorDef): boolean {
    return this.members.get(profile.id)!.size > 0 || this.groups.get(profile.id)!.size > 0;
  }

  member(profile: SelectorDef, id: number): ActionCall | undefined {
    return this.members.get(profile.id)!.get(id);
  }

  /** The weighted actions of a group (resolved now, so a member MODIFY takes effect at once). */
  groupActions(profile: SelectorDef, id: number): { call: ActionCall; weight: number }[] | undefined {
    const g = this.groups.get(profile.id)!.get(id);
    if (!g) return undefined;
    const ms = this.members.get(profile.id)!;
    return g.members.map((m) => ({ call: ms.get(m.memberId)!, weight: m.weight }));
  }

  hasGroup(profile: SelectorDef, id: number): boolean {
    return this.groups.get(profile.id)!.has(id);
  }

  clear(): void {
    for (const m of this.members.values()) m.clear();
    for (const g of this.groups.values()) g.clear();
  }

  private set<K, V>(map: Map<K, V>, key: K, value: V | undefined): void {
    const before = map.get(key);
    if (value === undefined) map.delete(key);
    else map.set(key, value);
    this.host.logUndo(() => {
      if (before === undefined) map.delete(key);
      else map.set(key, before);
    });
  }

  private oneShotInUse(p: SelectorDef): boolean {
    for (const e of this.host.selectorEntries(p)) if (e.oneShot) return true;
    return false;
  }

  applyMember(type: string | undefined, m: ProfileMember | undefined): void {
    if (!m) throw p4err('INVALID_ARGUMENT', 'entity has no action_profile_member');
    const p = this.profile(m.actionProfileId);
    const id = m.memberId ?? 0;
    if (id === 0) throw p4err('INVALID_ARGUMENT', 'member_id 0 is not a member id');
    const rows = this.members.get(p.def.id)!;
    const existing = rows.get(id);
    if (type === 'DELETE') {
      if (!existing) throw p4err('NOT_FOUND', `no member ${id} in ${p.def.name}`);
      for (const [gid, g] of this.groups.get(p.def.id)!) if (g.members.some((x) => x.memberId === id)) throw p4err('FAILED_PRECONDITION', `member ${id} of ${p.def.name} is in group ${gid}`);
      for (const e of this.host.selectorEntries(p.def)) if (e.memberId === id) throw p4err('FAILED_PRECONDITION', `member ${id} of ${p.def.name} is used by a table entry`);
      this.set(rows, id, undefined);
      return;
    }
    if (type !== 'INSERT' && type !== 'MODIFY') throw p4err('INVALID_ARGUMENT', 'update type must be INSERT, MODIFY or DELETE');
    // The action must suit every table the profile implements (here: one each).
    let call: ActionCall | undefined;
    for (const t of p.tables) call = this.host.parseAction(t, m.action);
    if (type === 'INSERT') {
      if (existing) throw p4err('ALREADY_EXISTS', `member ${id} already exists in ${p.def.name}`);
      if (this.oneShotInUse(p.def)) throw p4err('FAILED_PRECONDITION', `${p.def.name} is programmed with one-shot action sets: members and groups cannot be used with it at the same time`);
      if (rows.size >= p.def.size) throw p4err('RESOURCE_EXHAUSTED', `${p.def.name} holds at most ${p.def.size} members`);
    } else if (!existing) throw p4err('NOT_FOUND', `no member ${id} in ${p.def.name}`);
    this.set(rows, id, call!);
  }

  applyGroup(type: string | undefined, g: ProfileGroup | undefined): void {
    if (!g) throw p4err('INVALID_ARGUMENT', 'entity has no action_profile_group');
    const p = this.profile(g.actionProfileId);
    const id = g.groupId ?? 0;
    if (id === 0) throw p4err('INVALID_ARGUMENT', 'group_id 0 is not a group id');
    const rows = this.groups.get(p.def.id)!;
    const existing = rows.get(id);
    if (type === 'DELETE') {
      if (!existing) throw p4err('NOT_FOUND', `no group ${id} in ${p.def.name}`);
      for (const e of this.host.selectorEntries(p.def)) if (e.groupId === id) throw p4err('FAILED_PRECONDITION', `group ${id} of ${p.def.name} is used by a table entry`);
      this.set(rows, id, undefined);
      return;
    }
    if (type !== 'INSERT' && type !== 'MODIFY') throw p4err('INVALID_ARGUMENT', 'update type must be INSERT, MODIFY or DELETE');
    const maxSize = g.maxSize ?? 0;
    if (maxSize < 0) throw p4err('INVALID_ARGUMENT', `max_size ${maxSize} is negative`);
    if (maxSize > p.def.maxGroupSize) throw p4err('RESOURCE_EXHAUSTED', `max_size ${maxSize} exceeds max_group_size ${p.def.maxGroupSize} of ${p.def.name}`);
    const list = g.members ?? [];
    const bound = maxSize || p.def.maxGroupSize;
    if (list.length > bound) throw p4err('RESOURCE_EXHAUSTED', `${list.length} members exceed ${maxSize ? `the group's max_size ${maxSize}` : `max_group_size ${p.def.maxGroupSize} of ${p.def.name}`}`);
    const seen = new Set<number>();
    const members = list.map((x, i) => {
      const mid = x.memberId ?? 0;
      if (x.watch || x.watchPort?.length) throw p4err('UNIMPLEMENTED', `members[${i}]: watch ports are not supported by this target`);
      if (!this.members.get(p.def.id)!.has(mid)) throw p4err('NOT_FOUND', `members[${i}]: no member ${mid} in ${p.def.name}`);
      if (seen.has(mid)) throw p4err('INVALID_ARGUMENT', `members[${i}]: member ${mid} is listed twice`);
      seen.add(mid);
      const w = x.weight ?? 0;
      if (w <= 0) throw p4err('INVALID_ARGUMENT', `members[${i}]: weight must be positive`);
      if (w > p.def.maxMemberWeight) throw p4err('INVALID_ARGUMENT', `members[${i}]: weight ${w} exceeds ${p.def.maxMemberWeight}`);
      return { memberId: mid, weight: w };
    });
    if (type === 'INSERT') {
      if (existing) throw p4err('ALREADY_EXISTS', `group ${id} already exists in ${p.def.name}`);
      if (this.oneShotInUse(p.def)) throw p4err('FAILED_PRECONDITION', `${p.def.name} is programmed with one-shot action sets: members and groups cannot be used with it at the same time`);
      const most = p.tables.reduce((n, t) => n + t.size, 0);
      if (rows.size >= most) throw p4err('RESOURCE_EXHAUSTED', `${p.def.name} holds at most ${most} groups`);
    } else if (!existing) throw p4err('NOT_FOUND', `no group ${id} in ${p.def.name}`);
    this.set(rows, id, { members, maxSize });
  }

  /** Members selected by a read request entity (0 = wildcard), as messages. */
  readMembers(q: ProfileMember): ProfileMember[] {
    const out: ProfileMember[] = [];
    const ids = q.actionProfileId ? [this.profile(q.actionProfileId).def.id] : [...this.profiles.keys()];
    for (const pid of ids) {
      for (const [mid, call] of this.members.get(pid)!) {
        if (q.memberId && q.memberId !== mid) continue;
        out.push({ actionProfileId: pid, memberId: mid, action: callMessage(call) });
      }
    }
    return out;
  }

  readGroups(q: ProfileGroup): ProfileGroup[] {
    const out: ProfileGroup[] = [];
    const ids = q.actionProfileId ? [this.profile(q.actionProfileId).def.id] : [...this.profiles.keys()];
    for (const pid of ids) {
      for (const [gid, g] of this.groups.get(pid)!) {
        if (q.groupId && q.groupId !== gid) continue;
        out.push({ actionProfileId: pid, groupId: gid, members: g.members.map((m) => ({ memberId: m.memberId, weight: m.weight })), ...(g.maxSize && { maxSize: g.maxSize }) });
      }
    }
    return out;
  }
}
