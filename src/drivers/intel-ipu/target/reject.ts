// A rejected packet is answered, not forwarded: a TCP RST for TCP, otherwise
// ICMP port unreachable, from the ingress port's MAC back to the sender, out of
// the ingress port (hal-spec §2 "Rejections"). An RST or an ICMP error is never
// answered: the packet is then only dropped.
import type { ParsedPacket } from '../../../sim/packet/index.js';
import { buildIcmpUnreachable, buildTcpReset } from '../../../sim/packet/icmp-errors.js';
import type { CostSink } from '../../../sim/cost/ops.js';
import type { TraceStep } from '../../../hal/index.js';
import type { PipelineResult } from './pipeline.js';
import type { TargetPort } from './ports.js';

export function rejectOut(port: TargetPort, frame: Uint8Array, pkt: ParsedPacket, reason: string, detail: string, table: string, trace: TraceStep[], cost: CostSink): PipelineResult {
  trace.push({ stage: 'service-lb', detail, table });
  const opts = { srcMac: port.mac };
  const answer = pkt.l4?.kind === 'tcp' ? buildTcpReset(frame, pkt, opts) : buildIcmpUnreachable(frame, pkt, 'port', opts);
  if (!answer) {
    trace.push({ stage: 'service-lb', detail: 'no answer is due for this packet (an ICMP error or a RST is never answered)' });
    return { disposition: 'DROPPED', dropReason: reason, trace };
  }
  cost.charge('service-lb', 'emit', answer.length);
  trace.push({ stage: 'service-lb', detail: `answered with ${pkt.l4?.kind === 'tcp' ? 'a TCP RST' : 'ICMP port unreachable'} out of ${port.name}` });
  return { disposition: 'REJECTED', dropReason: reason, trace, out: { port, frame: answer } };
}
