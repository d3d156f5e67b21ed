// Source port allocation for masquerade / SNAT: pick a port (for ICMP echo, an
// identifier) such that the connection's reply tuple is not used by any live
// connection in the zone, so replies map back to exactly one connection.
//
// Deterministic: the probe starts at a hash (FNV-1a) of the zone and original
// tuple and walks the range linearly, wrapping once. The same flow on the same table
// state always gets the same port, and different flows spread over the range.
// Nothing is reserved: a port is in use exactly while a connection's reply tuple
// holds it, so it frees when that connection ends (expiry or flush).
import type { PortRange } from '../../hal/index.js';
import type { ConntrackTable } from './table.js';
import { IPPROTO_TCP, IPPROTO_UDP, isIcmp, keyOf, replyTuple, type NatTarget, type Tuple } from './tuple.js';

const IPPROTO_SCTP = 132;

export const DEFAULT_PORT_RANGE = Object.freeze({ lo: 1024, hi: 65535 });
/** ICMP identifiers have no privileged range. */
export const DEFAULT_ICMP_ID_RANGE = Object.freeze({ lo: 0, hi: 65535 });

export interface SnatRequest {
  /** The address replies will be sent to (masquerade / SNAT address). */
  readonly snatIp: string;
  /** The DNAT binding of the same connection, if any (it is part of the reply tuple). */
  readonly dnat?: NatTarget;
  /** The masquerade entry's `ports`; absent or 0 bounds mean the default range. */
  readonly range?: PortRange | { lo?: number; hi?: number };
  readonly nowNs: number;
}

/** Why allocation failed: every port of the range is taken → drop reason `nat-ports-exhausted`. */
export type PortRefusal = 'exhausted';

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The range a request probes, lo <= hi. */
export function portRange(protocol: number, range: SnatRequest['range']): { lo: number; hi: number } {
  const d = isIcmp(protocol) ? DEFAULT_ICMP_ID_RANGE : DEFAULT_PORT_RANGE;
  const lo = range?.lo || d.lo;
  const hi = range?.hi || d.hi;
  return lo <= hi ? { lo, hi } : { lo: hi, hi: lo };
}

/**
 * A source port for `original` translated to `req.snatIp` whose reply tuple is
 * free in `zone`, or 'exhausted'. Protocols without ports keep their (zero) port:
 * the one candidate is free or the request is exhausted.
 */
export function allocateSnatPort(ct: ConntrackTable, zone: number, original: Tuple, req: SnatRequest): number | PortRefusal {
  const p = original.protocol;
  const ported = p === IPPROTO_TCP || p === IPPROTO_UDP || p === IPPROTO_SCTP || isIcmp(p);
  const free = (port: number) => !ct.inUse(zone, replyTuple(original, { dnat: req.dnat, snat: { ip: req.snatIp, port } }), req.nowNs);
  if (!ported) return free(original.srcPort) ? original.srcPort : 'exhausted';
  const { lo, hi } = portRange(p, req.range);
  const size = hi - lo + 1;
  const start = fnv1a(keyOf(zone, original)) % size;
  for (let i = 0; i < size; i++) {
    const port = lo + ((start + i) % size);
    if (free(port)) return port;
  }
  return 'exhausted';
}
