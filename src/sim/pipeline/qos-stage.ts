// The QoS stage's face toward the walk: policers bound to ports and endpoints
// (per direction), then the egress port's shaper, which may delay the packet.
export interface QosInput {
  readonly ingressPort: string;
  readonly egressPort: string;
  readonly srcEndpoint?: string;
  readonly dstEndpoint?: string;
  readonly bytes: number;
  readonly nowNs: number;
}

export interface QosOutcome {
  /** True when any policer or shaper looked at the packet. */
  readonly charged: boolean;
  readonly steps: { detail: string; table: string; ref: string }[];
  readonly drop?: { reason: string; detail: string; table: string; ref: string };
  /** When the packet leaves the port (after shaper queueing); equals nowNs without a shaper. */
  readonly departNs: number;
}

export interface QosStage {
  apply(input: QosInput): QosOutcome;
}
