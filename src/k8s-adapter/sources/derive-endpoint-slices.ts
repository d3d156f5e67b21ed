// What the endpointslice controller would write, for the offline source (which
// has no controllers): for each Service with a selector and no EndpointSlice of
// its own, slices of the selected pods, one per address family and per distinct
// port mapping (named target ports can resolve differently per pod).
import type { ClusterState, EndpointSlice, Pod, Service } from '../cluster-state.js';
import { SERVICE_NAME_LABEL, objectKey } from '../cluster-state.js';
import { canonicalAddress, familyOf } from '../ip-math.js';
import { selectorMatches } from '../label-selector.js';

function targetPortOf(pod: Pod, target: number | string | undefined, fallback: number, protocol: string): number | undefined {
  if (target === undefined) return fallback;
  if (typeof target === 'number') return target;
  if (/^[0-9]+$/.test(target)) return Number(target);
  for (const c of pod.spec?.containers ?? []) for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  return undefined;
}

function isReady(pod: Pod): boolean {
  const cond = pod.status?.conditions?.find((c) => c.type === 'Ready');
  // Manifests rarely carry status conditions: a pod with an address and no Ready condition counts as ready.
  return cond ? cond.status === 'True' : true;
}

export function deriveEndpointSlices(state: ClusterState): { slices: EndpointSlice[]; notes: string[] } {
  const slices: EndpointSlice[] = [];
  const notes: string[] = [];
  const owned = new Set(state.endpointSlices.map((s) => `${s.metadata.namespace}/${s.metadata.labels?.[SERVICE_NAME_LABEL] ?? ''}`));
  for (const svc of state.services as Service[]) {
    const selector = svc.spec?.selector;
    const key = objectKey(svc.metadata);
    if (!selector || !Object.keys(selector).length || owned.has(key)) continue;
    const ns = svc.metadata.namespace!;
    const pods = state.pods.filter(
      (p) => p.metadata.namespace === ns && selectorMatches({ matchLabels: selector }, p.metadata.labels) && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
    );
    const groups = new Map<string, EndpointSlice & { endpoints: unknown[] }>();
    for (const pod of pods) {
      const ports = (svc.spec?.ports ?? []).map((sp) => ({
        name: sp.name ?? '',
        protocol: sp.protocol ?? 'TCP',
        port: targetPortOf(pod, sp.targetPort, sp.port, sp.protocol ?? 'TCP'),
      }));
      const ips = (pod.status?.podIPs?.length ? pod.status.podIPs.map((x) => x.ip) : pod.status?.podIP ? [pod.status.podIP] : []).map((a) => canonicalAddress(String(a)));
      for (const ip of ips) {
        if (!ip) continue;
        const family = familyOf(ip) === 4 ? 'IPv4' : 'IPv6';
        const sig = `${family}|${JSON.stringify(ports)}`;
        let g = groups.get(sig);
        if (!g) {
          g = {
            kind: 'EndpointSlice',
            metadata: { name: `${svc.metadata.name}-derived-${groups.size}`, namespace: ns, labels: { [SERVICE_NAME_LABEL]: svc.metadata.name! } },
            addressType: family,
            endpoints: [],
            ports: ports.filter((p) => p.port !== undefined),
          };
          groups.set(sig, g);
        }
        const terminating = pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
        const ready = isReady(pod) && !terminating;
        g.endpoints.push({
          addresses: [ip],
          conditions: { ready, serving: isReady(pod), terminating },
          nodeName: pod.spec?.nodeName,
          targetRef: { kind: 'Pod', name: pod.metadata.name, namespace: ns },
        });
      }
    }
    for (const g of groups.values()) slices.push(g);
    notes.push(`EndpointSlices for Service ${key} derived from its selector and ${pods.length} pod(s) (offline: no endpointslice controller)`);
  }
  return { slices, notes };
}
