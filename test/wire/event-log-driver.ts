// A Hal for transport tests of Telemetry.Subscribe: the reference driver plus a
// sequence-numbered event log kept as hal-spec §13.2 says (sequences from 1,
// retention, afterSequence replay, OUT_OF_RANGE). It emits one SA lifetime event
// per `emit()`; what the events mean does not matter here, their order does.
import { ReferenceDriver } from '../../src/drivers/reference/index.js';
import { HalError, type Event, type SubscribeRequest, type Subscription } from '../../src/hal/index.js';

export class EventLogDriver extends ReferenceDriver {
  private readonly log: Event[] = [];
  private readonly live = new Set<(e: Event) => void>();
  constructor(private readonly retention = 1000) {
    super();
  }

  /** Appends the next event and hands it to live subscribers. */
  emit(): Event {
    const seq = (this.log.at(-1)?.sequence ?? 0) + 1;
    const e: Event = { sequence: seq, timeNs: seq * 1000, saLifetime: { saId: `sa-${seq}`, kind: 'SOFT_BYTES' } } as Event;
    this.log.push(e);
    if (this.log.length > this.retention) this.log.shift();
    for (const f of this.live) f(e);
    return e;
  }

  override subscribe(req: SubscribeRequest, onEvent: (e: Event) => void, onError?: (err: Error) => void): Subscription {
    const after = req.afterSequence ?? 0;
    const last = this.log.at(-1)?.sequence ?? 0;
    const first = this.log[0]?.sequence ?? last + 1;
    if (after > last || (after > 0 && after + 1 < first)) {
      queueMicrotask(() => onError?.(new HalError('OUT_OF_RANGE', 'REASON_UNSPECIFIED', `afterSequence ${after} cannot be served (retained ${first}..${last})`, { fieldPath: 'afterSequence' })));
      return { close: () => undefined };
    }
    const backlog = this.log.filter((e) => e.sequence! > after);
    queueMicrotask(() => backlog.forEach(onEvent));
    const f = (e: Event) => onEvent(e);
    this.live.add(f);
    return { close: () => this.live.delete(f) };
  }
}
