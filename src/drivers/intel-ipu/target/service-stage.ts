// The program's service stage on a packet, before policy (which judges the
// translated flow): a pinned connection keeps its backend; otherwise service_lb
// → service_source (longest match; a key with no entry admits everyone) → the
// backend_group selector, then its standby group (terminating backends) when it
// has no backend → dnat_rewrite pointer. A new connection and its reply
// direction are learned into pinned_flows / pinned_flows_reverse (add_on_miss);
// a reply gets the VIP:port back as its source.
//
// The selector picks by weighted rendezvous hashing of the 5-tuple over the
// members' DNAT pointers, so removing a backend moves only its own flows.
import { rewriteDst, rewriteSrc, type ParsedPacket } from '../../../sim/packet/index.js';
import { LpmTrie } from '../../../sim/lookup/lpm-trie.js';
import { NO_COST, type CostSink } from '../../../sim/cost/ops.js';
import { formatIpv4 } from '../../../hal/index.js';
import { toFixed } from '../p4rt/bytestrings.js';
import { ACTIONS, TABLES, type TableDef } from '../program/program.js';
import { keyOf, type MatchValue, type StoredEntry, type TableState } from './table-state.js';

export interface LbFlow {
  src: number;
  dst: number;
  protocol: number;
  srcPort?: number;
  dstPort?: number;
}

/** What the pipeline lends the stage: its counted lookups and the learned tables. */
export interface LbLookups {
  exact(t: TableDef, values: readonly (number | bigint)[], cost: CostSink, stage: string): StoredEntry | undefined;
  learned(t: TableDef, values: readonly number[], now: number, cost: CostSink): StoredEntry | undefined;
  learn(t: TableDef, values: readonly number[], action: keyof typeof ACTIONS, params: Record<string, bigint>, now: number, cost: CostSink): void;
  /** Removes a learned entry (the data plane's own delete). */
  forget(t: TableDef, e: StoredEntry): void;
  countLookup(table: string, hit: boolean): void;
  /** The weighted actions of a selector entry (one-shot set or action profile group). */
  members(e: StoredEntry): readonly { call: { action: { name: string }; params: Readonly<Record<string, bigint>> }; weight: number }[];
}

/** Undefined: continue. Otherwise the packet is dropped, or rejected (answered out of its ingress port). */
export type LbVerdict = undefined | { drop: string; detail: string; table: string } | { reject: string; detail: string; table: string };

type Step = (stage: string, detail: string, table?: string) => void;

/** The stored key of a one-field exact entry (dnat_rewrite). */
const exactKey = (values: readonly bigint[]) => keyOf(TABLES.dnat_rewrite, new Map<string, MatchValue>([['dnat_ptr', { kind: 'EXACT', value: values[0] }]]), 0);

const ip = (n: number | bigint) => formatIpv4(toFixed(BigInt(n), 4));

function fnv32(values: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const v of values) {
    for (let s = 24; s >= 0; s -= 8) {
      h ^= (v >>> s) & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** Highest random weight: each member scores weight / -ln(hash(tuple, member)). */
function rendezvous(tuple: readonly number[], ptrs: readonly { ptr: number; weight: number }[]): number {
  let best = -1;
  let score = -Infinity;
  ptrs.forEach((m, i) => {
    const h = (fnv32([...tuple, m.ptr]) + 1) / 4294967297;
    const s = m.weight / -Math.log(h);
    if (s > score) {
      score = s;
      best = i;
    }
  });
  return best;
}

export class ServiceStage {
  /** When each service_affinity entry lapses (virtual ns), by its stored key. */
  private readonly affinityUntil = new Map<string, number>();
  private sourceVersion = -1;
  private sources = new Map<string, LpmTrie<StoredEntry>>();

  constructor(
    private readonly state: TableState,
    private readonly t: LbLookups,
  ) {}

  /** The source-range trie of one service key, or undefined when it has no entry. */
  private sourceTrie(key: string): LpmTrie<StoredEntry> | undefined {
    const t = TABLES.service_source;
    if (this.sourceVersion !== this.state.version(t)) {
      this.sources = new Map();
      for (const e of this.state.entries(t)) {
        const k = ['vrf', 'vip', 'protocol', 'port'].map((n) => e.match.get(n)!.value).join('|');
        let trie = this.sources.get(k);
        if (!trie) this.sources.set(k, (trie = new LpmTrie()));
        const m = e.match.get('src_addr');
        trie.set(toFixed(m?.value ?? 0n, 4), m?.prefixLen ?? 0, e);
      }
      this.sourceVersion = this.state.version(t);
    }
    return this.sources.get(key);
  }

  /** Backends of a group pointer: DNAT pointers with weights (none for a missing or lb_empty group). */
  private backends(groupId: bigint, cost: CostSink, bytes?: number): { ptr: number; weight: number }[] {
    const g = this.t.exact(TABLES.backend_group, [groupId], cost, 'service-lb');
    if (!g) return [];
    const out = this.t.members(g).flatMap((m) => (m.call.action.name === 'set_backend' ? [{ ptr: Number(m.call.params.dnat_ptr), weight: m.weight }] : []));
    if (out.length && bytes !== undefined) {
      g.counters.packets++;
      g.counters.bytes += bytes;
    }
    return out;
  }

  /**
   * A pinned connection keeps its backend while its service still balances and
   * the backend's dnat_rewrite entry exists, even if the backend left the group
   * (established connections keep their member). A pin whose service or
   * rewrite entry is gone is stale: forgotten, and the packet balanced afresh.
   */
  private pinStillValid(pin: StoredEntry, svc: StoredEntry | undefined): boolean {
    if (!svc || svc.action!.action.name !== 'svc_balance') return false;
    return this.state.get(TABLES.dnat_rewrite, exactKey([pin.action!.params.dnat_ptr])) !== undefined;
  }

  /** The client's remembered backend, while unexpired and still in the pool it would be chosen from. */
  private remembered(key: readonly number[], pool: readonly { ptr: number }[], now: number, cost: CostSink): number | undefined {
    const e = this.t.exact(TABLES.service_affinity, key, cost, 'service-lb');
    if (!e) return undefined;
    if (now >= (this.affinityUntil.get(e.key) ?? 0)) {
      this.t.forget(TABLES.service_affinity, e);
      this.affinityUntil.delete(e.key);
      return undefined;
    }
    const ptr = Number(e.action!.params.dnat_ptr);
    return pool.some((b) => b.ptr === ptr) ? ptr : undefined;
  }

  /** Learns (or refreshes) a client's backend: a new connection restarts its affinity time. */
  private remember(key: readonly number[], ptr: bigint, until: number, now: number, cost: CostSink): void {
    this.t.learn(TABLES.service_affinity, key, 'affinity_hit', { dnat_ptr: ptr }, now, cost);
    const e = this.t.exact(TABLES.service_affinity, key, NO_COST, 'service-lb');
    if (e) this.affinityUntil.set(e.key, until);
  }

  /** Removes lapsed affinity entries (before a controller reads the table). */
  expire(now: number): void {
    for (const e of [...this.state.entries(TABLES.service_affinity)]) {
      if (now >= (this.affinityUntil.get(e.key) ?? 0)) {
        this.state.forget(TABLES.service_affinity, e.key);
        this.affinityUntil.delete(e.key);
      }
    }
  }

  run(vrf: number, frame: Uint8Array, pkt: ParsedPacket, f: LbFlow, step: Step, cost: CostSink, now: number): LbVerdict {
    if (f.srcPort === undefined || f.dstPort === undefined) return undefined;
    const bytes = frame.length;
    const tuple = [f.src, f.dst, f.protocol, f.srcPort, f.dstPort];
    let ptr: bigint | undefined;
    const svc = this.t.exact(TABLES.service_lb, [vrf, f.dst, f.protocol, f.dstPort], cost, 'service-lb');
    if (svc) {
      svc.counters.packets++;
      svc.counters.bytes += bytes;
    }
    let pin = this.t.learned(TABLES.pinned_flows, tuple, now, cost);
    if (pin && !this.pinStillValid(pin, svc)) {
      this.t.forget(TABLES.pinned_flows, pin);
      step('service-lb', `pinned connection to backend pointer ${pin.action!.params.dnat_ptr} is stale (its service or backend is gone): forgotten`, 'pinned_flows');
      pin = undefined;
    }
    if (pin) {
      ptr = pin.action!.params.dnat_ptr;
      step('service-lb', `pinned connection → backend pointer ${ptr}`, 'pinned_flows');
    } else if (svc) {
      const name = `${ip(f.dst)}/${f.protocol}/${f.dstPort}`;
      const trie = this.sourceTrie([vrf, f.dst, f.protocol, f.dstPort].join('|'));
      if (trie) {
        const hit = trie.lookup(toFixed(BigInt(f.src), 4))?.value;
        this.t.countLookup(TABLES.service_source.name, !!hit);
        cost.charge('service-lb', 'lookup', this.state.count(TABLES.service_source), TABLES.service_source.name, 'lpm');
        if (!hit || hit.action!.action.name !== 'src_allow') {
          return { drop: 'service-source-denied', table: 'service_source', detail: `source ${ip(f.src)} is not admitted by the source ranges of service ${name}` };
        }
        step('service-lb', `source ${ip(f.src)} admitted by a source range of service ${name}`, 'service_source');
      }
      const a = svc.action!;
      if (a.action.name === 'svc_drop') return { drop: 'service-drop', table: 'service_lb', detail: `service ${name} drops` };
      if (a.action.name === 'svc_reject') return { reject: 'service-reject', table: 'service_lb', detail: `service ${name} rejects` };
      let pool = this.backends(a.params.group_id, cost, bytes);
      let which = 'group';
      if (pool.length === 0) {
        pool = this.backends(a.params.standby_group_id, cost, bytes);
        which = 'standby group (terminating backends: no active one)';
      }
      if (pool.length === 0) {
        const detail = `service ${name}: groups ${a.params.group_id} and ${a.params.standby_group_id} have no backend`;
        return a.params.empty_drop === 1n ? { drop: 'service-no-endpoints', table: 'backend_group', detail } : { reject: 'service-no-endpoints', table: 'backend_group', detail };
      }
      const affinityS = Number(a.params.affinity_s);
      const remembered = affinityS > 0 ? this.remembered([vrf, f.dst, f.protocol, f.dstPort, f.src], pool, now, cost) : undefined;
      if (remembered !== undefined) {
        ptr = BigInt(remembered);
        step('service-lb', `service ${name} → backend pointer ${ptr}: client-IP affinity of ${ip(f.src)}`, 'service_affinity');
      } else {
        ptr = BigInt(pool[rendezvous(tuple, pool)].ptr);
        step('service-lb', `service ${name} → backend pointer ${ptr} of its ${which} by flow hash${affinityS > 0 ? `, remembered for client ${ip(f.src)} for ${affinityS} s` : ''}`, 'backend_group');
      }
      if (affinityS > 0) this.remember([vrf, f.dst, f.protocol, f.dstPort, f.src], ptr, now + affinityS * 1e9, now, cost);
    }
    if (ptr !== undefined) {
      const rw = this.t.exact(TABLES.dnat_rewrite, [ptr], cost, 'service-lb');
      if (!rw) return { drop: 'dnat-missing', table: 'dnat_rewrite', detail: `backend pointer ${ptr} has no dnat_rewrite entry` };
      const to = Number(rw.action!.params.ip);
      const port = Number(rw.action!.params.port);
      if (!rewriteDst(frame, pkt, ip(to), port)) return { drop: 'nat-failed', table: 'dnat_rewrite', detail: 'the packet could not be rewritten' };
      cost.charge('service-lb', 'nat');
      if (!pin) {
        this.t.learn(TABLES.pinned_flows, tuple, 'pinned_hit', { dnat_ptr: ptr }, now, cost);
        this.t.learn(TABLES.pinned_flows_reverse, [to, f.src, f.protocol, port, f.srcPort], 'reverse_hit', { vip: BigInt(f.dst), port: BigInt(f.dstPort) }, now, cost);
      }
      f.dst = to;
      f.dstPort = port;
      return undefined;
    }
    const rev = this.t.learned(TABLES.pinned_flows_reverse, tuple, now, cost);
    if (rev) {
      const vip = ip(rev.action!.params.vip);
      if (!rewriteSrc(frame, pkt, vip, Number(rev.action!.params.port))) return { drop: 'nat-failed', table: 'pinned_flows_reverse', detail: 'the reply could not be rewritten' };
      cost.charge('service-lb', 'nat');
      step('service-lb', `reply of a balanced connection: source back to ${vip}:${rev.action!.params.port}`, 'pinned_flows_reverse');
      f.src = Number(rev.action!.params.vip);
      f.srcPort = Number(rev.action!.params.port);
    }
    return undefined;
  }
}
