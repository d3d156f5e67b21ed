// The QoS stage on the table store: policer instances follow `policer` rows (a
// MODIFY reconfigures, keeping counters), bindings attach them to ports and
// endpoints per direction, and each port's queue-0 shaper delays or tail-drops.
// Without a classifier every packet uses queue 0 (hal-spec §2 stage 10).
import { keyString, tableByName, type PolicerBindingEntry, type PolicerEntry, type ShaperEntry } from '../../hal/index.js';
import { POLICER_DROP_REASON, Policer, Shaper } from '../qos/index.js';
import type { StoredEntry, TableStore } from '../state/table-store.js';
import type { QosInput, QosOutcome, QosStage } from './qos-stage.js';

const SHAPER = tableByName('shaper')!;

// An engine belongs to one row: a MODIFY keeps the row's counters object (and the
// engine, reconfigured); DELETE then INSERT makes a new row and a fresh engine.
interface Live<T> {
  row: object;
  body: unknown;
  engine: T;
}

export class TableQos implements QosStage {
  private readonly policers = new Map<string, Live<Policer>>();
  private readonly shapers = new Map<string, Live<Shaper>>();
  private bindingsVersion = -1;
  private bindings = new Map<string, string>();

  constructor(private readonly store: TableStore) {}

  apply(q: QosInput): QosOutcome {
    const steps: QosOutcome['steps'] = [];
    let charged = false;
    if (this.store.count('policer_binding') > 0) {
      const targets: [string, string][] = [
        [`port|${q.ingressPort}|INGRESS`, `ingress of port ${q.ingressPort}`],
        ...(q.srcEndpoint ? [[`endpoint|${q.srcEndpoint}|EGRESS`, `egress of endpoint ${q.srcEndpoint}`] as [string, string]] : []),
        ...(q.dstEndpoint ? [[`endpoint|${q.dstEndpoint}|INGRESS`, `ingress of endpoint ${q.dstEndpoint}`] as [string, string]] : []),
        [`port|${q.egressPort}|EGRESS`, `egress of port ${q.egressPort}`],
      ];
      for (const [key, where] of targets) {
        const id = this.binding(key);
        if (!id) continue;
        const stored = this.store.object('policer', id)!;
        const p = this.policer(id, stored, q.nowNs);
        charged = true;
        const v = p.mark(q.bytes, q.nowNs);
        // hal-spec §8: per-entry counters count the packets that matched the entry,
        // so the packets a policer drops count too (as a denying ACL's do).
        stored.counters.packets++;
        stored.counters.bytes += q.bytes;
        if (v.action === 'drop') {
          return { charged, steps, drop: { reason: POLICER_DROP_REASON, detail: `policer ${id} at ${where} marked the packet ${v.color}: drop`, table: 'policer', ref: id }, departNs: q.nowNs };
        }
        steps.push({ detail: `policer ${id} at ${where} marked the packet ${v.color}: forward`, table: 'policer', ref: id });
      }
    }
    let departNs = q.nowNs;
    const shaperStored = this.store.count('shaper') > 0 ? this.store.get('shaper', keyString(SHAPER, { portId: q.egressPort })) : undefined;
    if (shaperStored) {
      charged = true;
      const s = this.shaper(shaperStored, q.nowNs);
      const r = s.enqueue(q.bytes, q.nowNs);
      // Tail-dropped packets reached the shaper entry too (hal-spec §8).
      shaperStored.counters.packets++;
      shaperStored.counters.bytes += q.bytes;
      if ('dropped' in r) {
        return { charged, steps, drop: { reason: r.dropped, detail: `the shaper queue of port ${q.egressPort} is full`, table: 'shaper', ref: q.egressPort }, departNs };
      }
      departNs = r.departNs;
      steps.push({ detail: `shaper of port ${q.egressPort} queue 0: leaves at ${r.departNs} ns (${r.delayNs} ns queued)`, table: 'shaper', ref: q.egressPort });
    }
    return { charged, steps, departNs };
  }

  private binding(key: string): string | undefined {
    const v = this.store.version('policer_binding');
    if (v !== this.bindingsVersion) {
      this.bindings = new Map();
      for (const e of this.store.entries('policer_binding')) {
        const b = e.body as PolicerBindingEntry;
        const k = b.portId ? `port|${b.portId}|${b.direction}` : `endpoint|${b.endpointId}|${b.direction}`;
        this.bindings.set(k, b.policerId!);
      }
      this.bindingsVersion = v;
    }
    return this.bindings.get(key);
  }

  private policer(id: string, stored: StoredEntry, nowNs: number): Policer {
    const live = this.policers.get(id);
    if (!live || live.row !== stored.counters) {
      const engine = new Policer(stored.body as PolicerEntry, nowNs);
      this.policers.set(id, { row: stored.counters, body: stored.body, engine });
      return engine;
    }
    if (live.body !== stored.body) {
      live.engine.reconfigure(stored.body as PolicerEntry, nowNs);
      live.body = stored.body;
    }
    return live.engine;
  }

  private shaper(stored: StoredEntry, nowNs: number): Shaper {
    const live = this.shapers.get(stored.key);
    if (!live || live.row !== stored.counters) {
      const engine = new Shaper(stored.body as ShaperEntry, nowNs);
      this.shapers.set(stored.key, { row: stored.counters, body: stored.body, engine });
      return engine;
    }
    if (live.body !== stored.body) {
      live.engine.reconfigure(stored.body as ShaperEntry);
      live.body = stored.body;
    }
    return live.engine;
  }
}
