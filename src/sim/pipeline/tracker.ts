// What the walk needs from connection tracking (src/sim/conntrack implements it):
// classify a packet's tuple, update a hit, commit a new connection with its NAT
// bindings, and allocate masquerade ports so reply tuples stay unique.
export interface ConnectionTuple {
  readonly srcIp: string;
  readonly dstIp: string;
  readonly protocol: number;
  readonly srcPort: number;
  readonly dstPort: number;
}

export interface TrackedConnection {
  readonly original: ConnectionTuple;
  /** The tuple replies arrive with, after NAT. */
  readonly reply: ConnectionTuple;
}

export interface Classification {
  readonly state: 'NEW' | 'ESTABLISHED' | 'REPLY' | 'RELATED' | 'INVALID';
  readonly entry: TrackedConnection | undefined;
  readonly direction: 'original' | 'reply' | undefined;
}

export interface NatPlan {
  readonly dnat?: { ip: string; port?: number };
  readonly snat?: { ip: string; port?: number };
}

/** Facts some protocols need beyond the tuple: TCP sequence data, the ICMP type, an ICMP error's quoted tuple. */
export interface PacketMeta {
  readonly seg?: { seq: number; ack: number; window: number; payloadLength: number; wscale?: number };
  readonly icmpType?: number;
  readonly quoted?: ConnectionTuple;
}

export interface Tracker {
  /** Live connections (the cost model prices lookups by it). */
  readonly size: number;
  /** No side effects; the result may be reused by the next call. */
  classify(zone: number, tuple: ConnectionTuple, tcpFlags: number, nowNs: number, meta?: PacketMeta): Classification;
  update(conn: TrackedConnection, direction: 'original' | 'reply', tcpFlags: number, bytes: number, nowNs: number, seg?: PacketMeta['seg']): void;
  /** 'full': the zone or device is full; 'clash': the reply tuple is taken; 'invalid': this packet cannot open a connection. */
  commit(
    zone: number, original: ConnectionTuple, nat: NatPlan, info: { policyRef: string; ingressPort: string },
    tcpFlags: number, bytes: number, nowNs: number, meta?: PacketMeta,
  ): TrackedConnection | 'full' | 'clash' | 'invalid';
  /** A source port on `ip` within `range` that keeps the reply tuple unique, or null when none is free. */
  allocatePort(zone: number, original: ConnectionTuple, ip: string, range: { lo: number; hi: number }, dnat: { ip: string; port?: number } | undefined, nowNs: number): number | null;
}
