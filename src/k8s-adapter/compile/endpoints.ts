// Local pods become `endpoint` entries on the node's device: one per address,
// grouped by endpointId (dual stack), attached to a HOST port chosen by a stable
// hash so adding or removing other pods never moves a pod to another port.
import type { TableEntry } from '../../hal/index.js';
import { familyOf, makeEntry, parseIp } from '../../hal/index.js';
import type { NodeConfig } from '../node-config.js';
import { halId, report, stableHash, type PodInfo, type Problem } from './context.js';

export const PORT_ANNOTATION = 'xpuhal.dev/port';

export function endpointIdOf(pod: PodInfo): string {
  return halId('pod', pod.key);
}

/** Locally administered MAC: 0a:58 + the IPv4 address (kubenet's convention), else a hash. */
export function podMac(pod: PodInfo): string {
  const v4 = pod.ips.find((a) => familyOf(a) === 4);
  const tail = v4 ? Array.from(parseIp(v4)!) : Array.from(Buffer.alloc(4).fill(0).map((_, i) => (stableHash(pod.key) >>> (24 - 8 * i)) & 0xff));
  return ['0a', '58', ...tail.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

export function podPort(config: NodeConfig, pod: PodInfo, problems: Problem[]): string | null {
  const hostPorts = config.hostPorts;
  const wanted = pod.pod.metadata.annotations?.[PORT_ANNOTATION];
  if (wanted) {
    if (hostPorts.includes(wanted)) return wanted;
    report({ problems }, 'Pod', pod.key, `annotation ${PORT_ANNOTATION}="${wanted}" names no host port of this device; using the hashed port`);
  }
  if (!hostPorts.length) return null;
  return hostPorts[stableHash(pod.key) % hostPorts.length];
}

export interface Isolation {
  readonly ingress: boolean;
  readonly egress: boolean;
}

/**
 * One local pod's endpoint entries. `takenBy` names, for an address another pod
 * holds (the first by namespace/name keeps it), that pod; such addresses are
 * reported and skipped.
 */
export function compilePodEndpoints(config: NodeConfig, pod: PodInfo, isolation: Isolation, takenBy: (ip: string) => string | undefined, problems: Problem[]): TableEntry[] {
  const out: TableEntry[] = [];
  const portId = podPort(config, pod, problems);
  if (!portId) {
    report({ problems }, 'Pod', pod.key, 'the device has no HOST port to attach it to');
    return out;
  }
  const endpointId = endpointIdOf(pod);
  const mac = podMac(pod);
  for (const ip of pod.ips) {
    const prev = takenBy(ip);
    if (prev) {
      report({ problems }, 'Pod', pod.key, `address ${ip} is already used by pod ${prev}; skipped`);
      continue;
    }
    out.push(
      makeEntry('endpoint', {
        vrf: config.vrf,
        ip,
        portId,
        mac,
        endpointId,
        ...(isolation.ingress ? { isolatedIngress: true } : {}),
        ...(isolation.egress ? { isolatedEgress: true } : {}),
      }),
    );
  }
  return out;
}
