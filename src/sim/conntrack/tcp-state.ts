// The TCP connection-tracking state machine, modelled on Linux nf_conntrack
// (net/netfilter/nf_conntrack_proto_tcp.c) but written from its documented
// behaviour: one state per connection, moved by the flags of each segment and the
// direction it travels. Differences from Linux, on purpose:
//  - a connection starts with a SYN or, outside zones with window tracking, is
//    picked up mid-stream from a plain ACK as ESTABLISHED (tcpPicksUp); any other
//    first segment (SYN+ACK, FIN, RST, odd flags) is INVALID;
//  - FIN handling remembers which side closed first, so a retransmitted FIN from
//    the same side does not count as the second FIN;
//  - simultaneous open (SYN answered by SYN) goes to SYN_RECV (the HAL enum has no
//    SYN_SENT2);
//  - an orig-direction SYN on a TIME_WAIT or CLOSE connection reopens it: the old
//    entry ends and a new one is committed (Linux does the same by killing it).

/** Numeric TCP states; the index into TcpStateValues of src/hal. */
export const TcpSt = {
  NONE: 0,
  SYN_SENT: 1,
  SYN_RECV: 2,
  ESTABLISHED: 3,
  FIN_WAIT: 4,
  CLOSE_WAIT: 5,
  LAST_ACK: 6,
  TIME_WAIT: 7,
  CLOSE: 8,
} as const;
export type TcpSt = (typeof TcpSt)[keyof typeof TcpSt];

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

/** The transition says the segment is not acceptable in this state. */
export const TCP_INVALID = -1;

// Segment kinds after masking PSH/URG/ECE/CWR. Flag combinations outside this
// set (SYN+FIN, FIN without ACK, no flags at all...) are always INVALID, as in
// Linux's tcp_valid_flags.
const EV_SYN = 0;
const EV_SYNACK = 1;
const EV_FIN = 2;
const EV_ACK = 3;
const EV_RST = 4;

function eventOf(flags: number): number {
  switch (flags & (TCP_FIN | TCP_SYN | TCP_RST | TCP_ACK)) {
    case TCP_SYN: return EV_SYN;
    case TCP_SYN | TCP_ACK: return EV_SYNACK;
    case TCP_FIN | TCP_ACK: return EV_FIN;
    case TCP_ACK: return EV_ACK;
    case TCP_RST:
    case TCP_RST | TCP_ACK: return EV_RST;
    default: return -1;
  }
}

/** Direction bits: which side sent the first FIN (`finFrom`). */
export const DIR_ORIGINAL = 0;
export const DIR_REPLY = 1;

/** Does this segment open a connection from the start? Only a plain SYN (see tcpPicksUp for mid-stream). */
export function tcpOpens(flags: number): boolean {
  return eventOf(flags) === EV_SYN;
}

/**
 * May a connection be picked up mid-stream from this segment? A plain ACK (with
 * or without PSH/URG) opens an ESTABLISHED connection, as Linux does with its
 * default nf_conntrack_tcp_loose=1, so a device restart or a route change does not
 * cut live connections. Zones with window tracking stay strict (SYN only).
 */
export function tcpPicksUp(flags: number): boolean {
  return eventOf(flags) === EV_ACK;
}

/** Does an orig-direction segment with these flags reopen a finished connection? */
export function tcpReopens(state: number, dir: number, flags: number): boolean {
  return dir === DIR_ORIGINAL && eventOf(flags) === EV_SYN && (state === TcpSt.TIME_WAIT || state === TcpSt.CLOSE);
}

/**
 * The state after a segment with `flags` travelling in `dir`, or TCP_INVALID.
 * `finFrom` is the direction of the first FIN (-1 when none yet).
 */
export function tcpNext(state: number, dir: number, flags: number, finFrom: number): number {
  const ev = eventOf(flags);
  if (ev < 0) return TCP_INVALID;
  if (ev === EV_RST) return state === TcpSt.NONE ? TCP_INVALID : state === TcpSt.SYN_SENT && dir === DIR_REPLY && !(flags & TCP_ACK) ? TCP_INVALID : TcpSt.CLOSE;
  const orig = dir === DIR_ORIGINAL;
  switch (state) {
    case TcpSt.NONE:
      return orig && ev === EV_SYN ? TcpSt.SYN_SENT : TCP_INVALID;
    case TcpSt.SYN_SENT:
      if (orig) return ev === EV_SYN ? TcpSt.SYN_SENT : TCP_INVALID;
      return ev === EV_SYNACK || ev === EV_SYN ? TcpSt.SYN_RECV : TCP_INVALID;
    case TcpSt.SYN_RECV:
      if (ev === EV_FIN) return TcpSt.FIN_WAIT;
      if (orig) return ev === EV_ACK ? TcpSt.ESTABLISHED : ev === EV_SYN || ev === EV_SYNACK ? TcpSt.SYN_RECV : TCP_INVALID;
      return ev === EV_SYNACK || ev === EV_ACK ? TcpSt.SYN_RECV : TCP_INVALID;
    case TcpSt.ESTABLISHED:
      if (ev === EV_ACK) return TcpSt.ESTABLISHED;
      if (ev === EV_FIN) return TcpSt.FIN_WAIT;
      // A retransmitted SYN+ACK from the responder is harmless.
      return ev === EV_SYNACK && !orig ? TcpSt.ESTABLISHED : TCP_INVALID;
    case TcpSt.FIN_WAIT:
      if (ev === EV_FIN) return dir === finFrom ? TcpSt.FIN_WAIT : TcpSt.LAST_ACK;
      if (ev === EV_ACK) return dir === finFrom ? TcpSt.FIN_WAIT : TcpSt.CLOSE_WAIT;
      return TCP_INVALID;
    case TcpSt.CLOSE_WAIT:
      if (ev === EV_FIN) return dir === finFrom ? TcpSt.CLOSE_WAIT : TcpSt.LAST_ACK;
      return ev === EV_ACK ? TcpSt.CLOSE_WAIT : TCP_INVALID;
    case TcpSt.LAST_ACK:
      if (ev === EV_ACK) return TcpSt.TIME_WAIT;
      return ev === EV_FIN ? TcpSt.LAST_ACK : TCP_INVALID;
    case TcpSt.TIME_WAIT:
    case TcpSt.CLOSE:
      return ev === EV_ACK || ev === EV_FIN ? state : TCP_INVALID;
    default:
      return TCP_INVALID;
  }
}
