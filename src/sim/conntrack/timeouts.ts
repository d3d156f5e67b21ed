// Idle timeouts per protocol and state (hal-spec §12). A zone's TimeoutProfile
// field of 0 (or absent) means the HAL default, which is Linux nf_conntrack's.
import type { TimeoutProfile } from '../../hal/index.js';
import { TcpSt } from './tcp-state.js';

/** hal-spec §12 defaults, in seconds. */
export const DEFAULT_TIMEOUTS_S: Readonly<Required<TimeoutProfile>> = Object.freeze({
  tcpSynSent: 120,
  tcpSynRecv: 60,
  tcpEstablished: 432000,
  tcpFinWait: 120,
  tcpCloseWait: 60,
  tcpLastAck: 30,
  tcpTimeWait: 120,
  tcpClose: 10,
  udpUnreplied: 30,
  udpReplied: 120,
  icmp: 30,
  other: 600,
});

const NS = 1e9;

/** A profile resolved to nanoseconds; `tcp` is indexed by TcpSt. */
export interface ResolvedTimeouts {
  readonly tcp: Float64Array;
  readonly udpUnreplied: number;
  readonly udpReplied: number;
  readonly icmp: number;
  readonly other: number;
}

export function resolveTimeouts(p: TimeoutProfile | undefined): ResolvedTimeouts {
  const s = (k: keyof TimeoutProfile): number => ((p?.[k] ?? 0) > 0 ? p![k]! : DEFAULT_TIMEOUTS_S[k]) * NS;
  const tcp = new Float64Array(9);
  tcp[TcpSt.NONE] = s('tcpSynSent');
  tcp[TcpSt.SYN_SENT] = s('tcpSynSent');
  tcp[TcpSt.SYN_RECV] = s('tcpSynRecv');
  tcp[TcpSt.ESTABLISHED] = s('tcpEstablished');
  tcp[TcpSt.FIN_WAIT] = s('tcpFinWait');
  tcp[TcpSt.CLOSE_WAIT] = s('tcpCloseWait');
  tcp[TcpSt.LAST_ACK] = s('tcpLastAck');
  tcp[TcpSt.TIME_WAIT] = s('tcpTimeWait');
  tcp[TcpSt.CLOSE] = s('tcpClose');
  return { tcp, udpUnreplied: s('udpUnreplied'), udpReplied: s('udpReplied'), icmp: s('icmp'), other: s('other') };
}

export const DEFAULT_RESOLVED: ResolvedTimeouts = resolveTimeouts(undefined);
