// The live QoS objects of one device, keyed as their tables are: policers by id,
// shapers by (port, queue). INSERT and MODIFY are one `upsert` so a MODIFY keeps
// counters (Policer/Shaper.reconfigure); DELETE forgets the object and its counters.

import type { PolicerEntry, ShaperEntry } from '../../hal/generated/types.js';
import { Policer } from './policer.js';
import { Shaper } from './shaper.js';

export class PolicerBank {
  private readonly byId = new Map<string, Policer>();

  /** Creates the policer (buckets full) or reconfigures the existing one at `nowNs`. */
  upsert(entry: PolicerEntry, nowNs: number): Policer {
    const id = entry.id ?? '';
    const existing = this.byId.get(id);
    if (existing) {
      existing.reconfigure(entry, nowNs);
      return existing;
    }
    const p = new Policer(entry, nowNs);
    this.byId.set(id, p);
    return p;
  }

  get(id: string): Policer | undefined {
    return this.byId.get(id);
  }

  delete(id: string): boolean {
    return this.byId.delete(id);
  }

  get size(): number {
    return this.byId.size;
  }
}

const shaperKey = (portId: string, queue: number): string => `${portId}\u0000${queue}`;

export class ShaperBank {
  private readonly byKey = new Map<string, Shaper>();

  /** Creates the shaper (bucket full, queue empty) or reconfigures the existing one. */
  upsert(entry: ShaperEntry, nowNs: number): Shaper {
    const key = shaperKey(entry.portId ?? '', entry.queue ?? 0);
    const existing = this.byKey.get(key);
    if (existing) {
      existing.reconfigure(entry);
      return existing;
    }
    const s = new Shaper(entry, nowNs);
    this.byKey.set(key, s);
    return s;
  }

  get(portId: string, queue = 0): Shaper | undefined {
    return this.byKey.get(shaperKey(portId, queue));
  }

  delete(portId: string, queue = 0): boolean {
    return this.byKey.delete(shaperKey(portId, queue));
  }

  get size(): number {
    return this.byKey.size;
  }
}
