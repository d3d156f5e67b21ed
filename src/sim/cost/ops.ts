// What a packet costs is described by the operations the walk performs; a device
// profile (src/sim/cost/) prices them. The walk only reports; it never prices, so
// one walk serves every profile. Positional arguments keep the per-packet path
// free of allocations.
export type CostOp =
  /** Header parsing; `size` = bytes parsed. */
  | 'parse'
  /** A logical-table lookup; `size` = entries in the table, `table` names it, `kind` its match kind. */
  | 'lookup'
  /** Conntrack lookup; `size` = live connections. */
  | 'ct-lookup'
  /** Conntrack insert (commit of a new connection). */
  | 'ct-insert'
  /** Conntrack state/counter update of a hit. */
  | 'ct-update'
  /** One address/port rewrite with checksum update. */
  | 'nat'
  /** Tunnel encapsulation; `size` = outer header bytes added. */
  | 'encap'
  /** Tunnel decapsulation; `size` = outer header bytes removed. */
  | 'decap'
  /** Cryptographic protection; `size` = bytes processed. */
  | 'crypto'
  /** A policer or shaper decision. */
  | 'qos'
  /** MAC/TTL rewrite at egress. */
  | 'rewrite'
  /** A packet handed to the slow path (software) for a decision. */
  | 'punt'
  /** An extra pass through a pipelined device. */
  | 'recirculate'
  /** A packet leaving a port; `size` = bytes. */
  | 'emit';

export type MatchKind = 'exact' | 'lpm' | 'ternary' | 'range';

export interface CostSink {
  charge(stage: string, op: CostOp, size?: number, table?: string, kind?: MatchKind): void;
}

/** The sink used when nobody is measuring. */
export const NO_COST: CostSink = { charge() {} };
