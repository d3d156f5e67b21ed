// The device's event sequence (hal-spec §13.2): one counter for every kind,
// starting at 1, a bounded retention window, and resumption by sequence. A resume
// point that is no longer retained, or lies in the future, fails OUT_OF_RANGE
// rather than skipping silently.
import { HalError, type Event, type EventKind, type SubscribeRequest } from '../../hal/index.js';

export type EventBody = Pick<Event, 'flowRecord' | 'conntrackAging' | 'saLifetime'>;

export interface EventListener {
  (e: Event): void;
}

const kindOf = (e: Event): EventKind => (e.flowRecord ? 'FLOW_RECORD' : e.conntrackAging ? 'CONNTRACK_AGING' : 'SA_LIFETIME');

export const DEFAULT_EVENT_RETENTION = 65536;

export class EventLog {
  private readonly ring: Event[] = [];
  private head = 0; // index in ring of the oldest retained event
  private last = 0; // last sequence issued
  private readonly listeners = new Set<{ kinds: Set<EventKind> | null; fn: EventListener }>();

  constructor(private readonly retention = DEFAULT_EVENT_RETENTION) {}

  get lastSequence(): number {
    return this.last;
  }

  get firstRetained(): number {
    return this.last - this.size + 1;
  }

  get size(): number {
    return this.ring.length;
  }

  append(timeNs: number, body: EventBody): Event {
    const e: Event = { sequence: ++this.last, timeNs, ...body };
    if (this.ring.length < this.retention) this.ring.push(e);
    else {
      this.ring[this.head] = e;
      this.head = (this.head + 1) % this.retention;
    }
    for (const l of this.listeners) if (!l.kinds || l.kinds.has(kindOf(e))) l.fn(e);
    return e;
  }

  /**
   * Checks the resume point, delivers the retained events after it (filtered),
   * then keeps delivering live ones until the returned function is called.
   */
  subscribe(req: SubscribeRequest, fn: EventListener): () => void {
    const after = req.afterSequence ?? 0;
    if (after > this.last) {
      throw new HalError('OUT_OF_RANGE', 'REASON_UNSPECIFIED', `afterSequence ${after} is beyond the last event issued (${this.last}): it belongs to another device or an earlier life of this one`, { fieldPath: 'afterSequence' });
    }
    if (after > 0 && after + 1 < this.firstRetained) {
      throw new HalError('OUT_OF_RANGE', 'REASON_UNSPECIFIED', `event ${after + 1} is no longer retained (oldest retained: ${this.firstRetained})`, { fieldPath: 'afterSequence' });
    }
    const wanted = req.kinds?.filter((k) => k !== 'EVENT_KIND_UNSPECIFIED') ?? [];
    const kinds = wanted.length ? new Set<EventKind>(wanted) : null;
    for (let i = 0; i < this.ring.length; i++) {
      const e = this.ring[(this.head + i) % this.ring.length];
      if (e.sequence! > after && (!kinds || kinds.has(kindOf(e)))) fn(e);
    }
    const l = { kinds, fn };
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}
