// One tracked connection. Fields are public for the datapath's speed; only the
// table mutates them, everyone else reads.
import type { Queued } from './expiry-queue.js';
import type { Tuple } from './tuple.js';
import type { TcpWindow } from './window.js';

export type CtDirection = 'original' | 'reply';

export type CtEndReason = 'IDLE_TIMEOUT' | 'TCP_FIN' | 'TCP_RST' | 'FLUSHED';

export class CtEntry implements Queued {
  /** Slot in the expiry queue; -1 once the connection has ended. */
  heapIndex = -1;
  /** Slot in the lookup index's entry array. */
  slot = -1;
  /** When the queue will next look at this entry (<= expiresNs). */
  timerAt: number;
  /** TcpSt value; 0 (NONE) for other protocols. */
  tcpState = 0;
  /** Direction (0 original, 1 reply) of the first FIN, -1 before any. */
  finFrom = -1;
  /** An RST was accepted. */
  rst = false;
  replied = false;
  origPackets = 0;
  origBytes = 0;
  replyPackets = 0;
  replyBytes = 0;
  lastSeenNs: number;
  expiresNs: number;
  /** Present only in zones with window tracking. */
  window: TcpWindow | null = null;

  constructor(
    readonly id: number,
    readonly zone: number,
    readonly original: Tuple,
    readonly reply: Tuple,
    /** hashTuple of each direction in the zone (tuple-index.ts). */
    readonly origHash: number,
    readonly replyHash: number,
    readonly dnat: boolean,
    readonly snat: boolean,
    readonly createdNs: number,
    readonly policyRef: string,
  ) {
    this.lastSeenNs = createdNs;
    this.expiresNs = createdNs;
    this.timerAt = createdNs;
  }

  /** False once the connection has ended (expired, closed and expired, or flushed). */
  get live(): boolean {
    return this.heapIndex >= 0;
  }
}
