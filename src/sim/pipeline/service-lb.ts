// Service load balancing (hal-spec §2 stage 4): source ranges, then the service
// action; a balance action picks a member of its backend group. Active members
// are preferred; terminating ones serve only when no member is active. Without
// affinity the pick is weighted rendezvous hashing of the 5-tuple, so a member
// change moves only that member's flows.
import type { BackendGroupEntry, BackendMember, ServiceEntry } from '../../hal/index.js';
import type { AffinityTable } from './affinity.js';
import type { PacketFacts } from './facts.js';
import { rendezvous } from './flow-hash.js';
import type { ForwardingState, Hit } from './forwarding-state.js';
import type { StoredEntry, TableStore } from '../state/table-store.js';

export type LbOutcome =
  | { kind: 'none' }
  | { kind: 'source-denied'; detail: string; ref: string }
  | { kind: 'drop'; detail: string; ref: string }
  | { kind: 'reject'; detail: string; ref: string; reason: string }
  | { kind: 'empty-drop'; detail: string; ref: string }
  | { kind: 'dnat'; service: Hit<ServiceEntry>; group: StoredEntry; member: BackendMember; detail: string; ref: string };

export function serviceRef(s: ServiceEntry): string {
  return `${s.vip}/${s.protocol}/${s.port ?? 0}`;
}

export function balance(
  fwd: ForwardingState, store: TableStore, affinity: AffinityTable, vrf: number, f: PacketFacts, nowNs: number,
): LbOutcome {
  const port = f.dstPort ?? 0;
  const svc = fwd.service(vrf, f.dst, f.protocol, port);
  if (!svc) return { kind: 'none' };
  const s = svc.entry;
  const ref = serviceRef(s);
  const sources = fwd.serviceSources(vrf, f.dst, f.protocol, port);
  if (sources) {
    const hit = sources.lookup(f.srcBytes)?.value;
    if (!hit || !hit.entry.allow) {
      return { kind: 'source-denied', ref, detail: hit ? `source ${f.src} is denied by range ${hit.entry.source} of service ${ref}` : `source ${f.src} is outside every allowed range of service ${ref}` };
    }
  }
  if (s.drop) return { kind: 'drop', ref, detail: `service ${ref} drops` };
  if (s.reject) return { kind: 'reject', ref, reason: 'service-reject', detail: `service ${ref} rejects` };
  const b = s.balance!;
  const group = store.object('backend_group', b.backendGroupId!)!;
  const members = (group.body as BackendGroupEntry).members ?? [];
  const active = members.filter((m) => (m.state ?? 'MEMBER_ACTIVE') === 'MEMBER_ACTIVE');
  const pool = active.length ? active : members;
  if (!pool.length) {
    const detail = `service ${ref}: backend group ${b.backendGroupId} has no members`;
    return b.whenEmpty === 'WHEN_EMPTY_DROP' ? { kind: 'empty-drop', ref, detail } : { kind: 'reject', ref, reason: 'service-no-endpoints', detail };
  }
  const ids = pool.map((m) => ({ id: memberKey(m), weight: m.weight }));
  const flowKey = `${f.src}|${f.dst}|${f.protocol}|${f.srcPort ?? f.echoId ?? 0}|${port}`;
  let member: BackendMember | undefined;
  let how = 'flow hash';
  const timeout = b.affinityTimeoutS ?? 0;
  if (timeout > 0) {
    const remembered = affinity.lookup(ref, f.src, nowNs);
    // Affinity holds only while the member is still eligible.
    member = remembered && pool.find((m) => m.ip === remembered.ip && m.port === remembered.port);
    if (member) how = `client-IP affinity of ${f.src}`;
    else {
      // A new affinity is chosen like any flow (5-tuple hash) and then pinned to the
      // client IP: after it expires the client may land elsewhere.
      member = pool[rendezvous(flowKey, ids)];
      how = `flow hash, pinned to client ${f.src} for ${timeout}s`;
    }
    affinity.remember(ref, f.src, { ip: member.ip!, port: member.port! }, nowNs, timeout);
  } else {
    member = pool[rendezvous(flowKey, ids)];
  }
  const state = active.length ? '' : ' (terminating: no active member)';
  return { kind: 'dnat', service: svc, group, member, ref, detail: `service ${ref} → ${member.ip}:${member.port} of group ${b.backendGroupId} by ${how}${state}` };
}

const memberKey = (m: BackendMember) => `${m.ip}|${m.port}`;

