// Local pods become `endpoint` entries on the node's device: one per address,
// grouped by endpointId (dual stack), attached to a HOST port chosen by a stable
// hash so adding or removing other pods never moves a pod to another port.
import type { TableEntry } from '../../hal/index.js';
import { familyOf, makeEntry, parseIp } from '../../hal/index.js';
import { halId, report, stableHash, type CompileContext, type PodInfo } from './context.js';

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

export function podPort(ctx: CompileContext, pod: PodInfo): string | null {
  const hostPorts = ctx.config.hostPorts;
  const wanted = pod.pod.metadata.annotations?.[PORT_ANNOTATION];
  if (wanted) {
    if (hostPorts.includes(wanted)) return wanted;
    report(ctx, 'Pod', pod.key, `annotation ${PORT_ANNOTATION}="${wanted}" names no host port of this device; using the hashed port`);
  }
  if (!hostPorts.length) return null;
  return hostPorts[stableHash(pod.key) % hostPorts.length];
}

export interface Isolation {
  readonly ingress: ReadonlySet<string>;
  readonly egress: ReadonlySet<string>;
}

export function compileEndpoints(ctx: CompileContext, isolation: Isolation): TableEntry[] {
  const out: TableEntry[] = [];
  const owner = new Map<string, string>();
  for (const pod of ctx.pods) {
    if (!pod.local) continue;
    const portId = podPort(ctx, pod);
    if (!portId) {
      report(ctx, 'Pod', pod.key, 'the device has no HOST port to attach it to');
      continue;
    }
    const endpointId = endpointIdOf(pod);
    const mac = podMac(pod);
    for (const ip of pod.ips) {
      const prev = owner.get(ip);
      if (prev) {
        report(ctx, 'Pod', pod.key, `address ${ip} is already used by pod ${prev}; skipped`);
        continue;
      }
      owner.set(ip, pod.key);
      out.push(
        makeEntry('endpoint', {
          vrf: ctx.config.vrf,
          ip,
          portId,
          mac,
          endpointId,
          ...(isolation.ingress.has(endpointId) ? { isolatedIngress: true } : {}),
          ...(isolation.egress.has(endpointId) ? { isolatedEgress: true } : {}),
        }),
      );
    }
  }
  return out;
}
