// Source NAT rules (hal-spec §2 stage 7): the highest-priority `snat` entry whose
// prefixes match the (post-DNAT) packet decides: masquerade to an address with a
// port from a range, rewrite the address only, or exempt (`none`).
import { prefixContains } from '../../hal/index.js';
import type { PacketFacts } from './facts.js';
import type { CompiledSnat, ForwardingState } from './forwarding-state.js';

export type SnatDecision =
  | { kind: 'none'; rule?: CompiledSnat }
  | { kind: 'masquerade'; ip: string; ports: { lo: number; hi: number }; rule: CompiledSnat }
  | { kind: 'address'; ip: string; rule: CompiledSnat };

export function matchSnat(fwd: ForwardingState, vrf: number, f: PacketFacts): SnatDecision {
  for (const r of fwd.snat(vrf)) {
    if (r.src && !prefixContains(r.src, f.srcBytes)) continue;
    if (r.dst && !prefixContains(r.dst, f.dstBytes)) continue;
    const e = r.entry;
    if (e.masquerade) {
      // An address of the other family cannot translate this packet: skip the rule.
      if (e.masquerade.ip!.includes(':') !== (f.family === 6)) continue;
      const ports = e.masquerade.ports;
      return { kind: 'masquerade', ip: e.masquerade.ip!, ports: ports ? { lo: ports.lo ?? 0, hi: ports.hi ?? 0 } : { lo: 1024, hi: 65535 }, rule: r };
    }
    if (e.snatIp) {
      if (e.snatIp.includes(':') !== (f.family === 6)) continue;
      return { kind: 'address', ip: e.snatIp, rule: r };
    }
    return { kind: 'none', rule: r };
  }
  return { kind: 'none' };
}
