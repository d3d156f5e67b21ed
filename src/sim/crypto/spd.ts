// Security policy database lookup: which traffic is protected, bypassed or
// discarded (RFC 4301 §4.4.1, reduced to the `ipsec_spd` table's selectors:
// direction, source and destination prefix, protocol).
//
// Matching follows hal-spec §3.1: a PREFIX field that is absent matches every
// address of either family, a present one only addresses of its family inside it;
// an absent protocol is a wildcard. Of all matching entries the highest priority
// decides. Equal priorities that overlap are the controller's mistake (the spec
// lets a device pick either); we pick the one inserted first, deterministically.
//
// What happens when nothing matches is the caller's decision (lookup returns
// undefined); RFC 4301 would discard, a DPU offload typically bypasses.

import { parseIp, parsePrefix, prefixContains, type ParsedPrefix } from '../../hal/addresses.js';
import type { IpsecDirection, IpsecSpdEntry, SpdAction } from '../../hal/generated/types.js';

export class SpdConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'SpdConfigError';
  }
}

export interface SpdDecision {
  action: SpdAction;
  /** Set for SPD_PROTECT. */
  saId?: string;
  /** The deciding entry. */
  entry: IpsecSpdEntry;
}

interface Compiled {
  entry: IpsecSpdEntry;
  direction: IpsecDirection;
  src?: ParsedPrefix;
  dst?: ParsedPrefix;
  protocol?: number;
  priority: number;
  order: number;
}

function prefix(text: string | undefined, field: string): ParsedPrefix | undefined {
  if (text === undefined || text === '') return undefined;
  const p = parsePrefix(text);
  if (!p) throw new SpdConfigError(field, `${field} is not an IP prefix`);
  return p;
}

/** The key of an entry (hal-spec §3.1: priority is part of the key in a prioritized table). */
export function spdKey(e: IpsecSpdEntry): string {
  return JSON.stringify([e.direction, e.srcPrefix ?? '', e.dstPrefix ?? '', e.protocol ?? null, e.priority]);
}

export class Spd {
  private readonly rows = new Map<string, Compiled>();
  private sorted: Compiled[] | null = [];
  private order = 0;

  get size(): number {
    return this.rows.size;
  }

  /** Inserts or replaces the entry with the same key. */
  set(entry: IpsecSpdEntry): void {
    if (entry.direction !== 'INBOUND' && entry.direction !== 'OUTBOUND') throw new SpdConfigError('direction', 'direction must be INBOUND or OUTBOUND');
    const priority = entry.priority ?? 0;
    if (!Number.isInteger(priority) || priority < 1 || priority > 0x7fffffff) throw new SpdConfigError('priority', 'priority must be 1..2^31-1');
    const action = entry.action ?? 'SPD_BYPASS';
    if (action === 'SPD_PROTECT' && !entry.saId) throw new SpdConfigError('saId', 'SPD_PROTECT needs saId');
    const src = prefix(entry.srcPrefix, 'srcPrefix');
    const dst = prefix(entry.dstPrefix, 'dstPrefix');
    if (src && dst && src.family !== dst.family) throw new SpdConfigError('dstPrefix', 'srcPrefix and dstPrefix must be of one family');
    const key = spdKey(entry);
    const prev = this.rows.get(key);
    this.rows.set(key, {
      entry: { ...entry }, direction: entry.direction, src, dst, protocol: entry.protocol, priority,
      order: prev ? prev.order : this.order++,
    });
    this.sorted = null;
  }

  delete(entry: IpsecSpdEntry): boolean {
    const gone = this.rows.delete(spdKey(entry));
    if (gone) this.sorted = null;
    return gone;
  }

  /**
   * The deciding entry for a packet, or undefined when none matches. Addresses are
   * raw bytes (4 or 16) or text.
   */
  lookup(direction: IpsecDirection, src: Uint8Array | string, dst: Uint8Array | string, protocol: number): SpdDecision | undefined {
    const s = typeof src === 'string' ? parseIp(src) : src;
    const d = typeof dst === 'string' ? parseIp(dst) : dst;
    if (!s || !d) return undefined;
    if (!this.sorted) this.sorted = [...this.rows.values()].sort((a, b) => b.priority - a.priority || a.order - b.order);
    for (const r of this.sorted) {
      if (r.direction !== direction) continue;
      if (r.protocol !== undefined && r.protocol !== protocol) continue;
      if (r.src && !prefixContains(r.src, s)) continue;
      if (r.dst && !prefixContains(r.dst, d)) continue;
      const action = r.entry.action ?? 'SPD_BYPASS';
      return action === 'SPD_PROTECT' ? { action, saId: r.entry.saId, entry: r.entry } : { action, entry: r.entry };
    }
    return undefined;
  }
}
