// What kube-proxy's per-service health checks report, computed from cluster state
// for one node (pure; the HTTP side is health-check-server.ts).
//
// A LoadBalancer Service with externalTrafficPolicy: Local gets a
// healthCheckNodePort from the API server. Every node answers HTTP on it: 200 when
// the node has ready endpoints of that service (so the load balancer sends traffic
// only to nodes that can serve it without a second hop), 503 otherwise.
import { SERVICE_NAME_LABEL, SERVICE_PROXY_NAME_LABEL, objectKey, type ClusterState, type Service } from './cluster-state.js';

export interface ServiceHealthCheck {
  readonly namespace: string;
  readonly name: string;
  readonly port: number;
  /** Ready endpoints of the service on this node (the larger of the IPv4 and IPv6 counts). */
  readonly localEndpoints: number;
}

export interface HealthCheckPlan {
  /** One per port, sorted by port. */
  readonly checks: readonly ServiceHealthCheck[];
  /** Services left out, with why (a port claimed twice, a port out of range). */
  readonly problems: readonly string[];
}

function wantsHealthCheck(svc: Service, proxyName: string): number | undefined {
  const spec = svc.spec;
  if (!spec || spec.type !== 'LoadBalancer' || spec.externalTrafficPolicy !== 'Local') return undefined;
  // Services meant for another proxy are not ours to answer for (as for the dataplane).
  const proxy = svc.metadata.labels?.[SERVICE_PROXY_NAME_LABEL];
  if (proxy !== undefined && proxy !== proxyName) return undefined;
  const port = spec.healthCheckNodePort;
  return port === undefined || port === 0 ? undefined : port;
}

/**
 * The health checks this node serves. Endpoints count when their nodeName is this
 * node and they are ready (unset means ready, as in the EndpointSlice API);
 * serving-but-terminating endpoints do not count, so a draining node fails its
 * check. Endpoints are counted once per address family across slices (an address
 * in two slices counts once) and the larger family count is reported, so a
 * dual-stack pod is one endpoint.
 */
export function planHealthChecks(state: ClusterState, nodeName: string, proxyName = ''): HealthCheckPlan {
  const wanted = new Map<string, { svc: Service; port: number }>();
  const problems: string[] = [];
  for (const svc of state.services) {
    const port = wantsHealthCheck(svc, proxyName);
    if (port === undefined) continue;
    const key = objectKey(svc.metadata);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      problems.push(`Service ${key}: healthCheckNodePort ${port} is not a TCP port; no health check served`);
      continue;
    }
    wanted.set(key, { svc, port });
  }

  // service key → family → local ready addresses
  const local = new Map<string, Map<string, Set<string>>>();
  for (const slice of state.endpointSlices) {
    const svcName = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svcName) continue;
    const key = `${slice.metadata.namespace ?? 'default'}/${svcName}`;
    if (!wanted.has(key)) continue;
    let families = local.get(key);
    if (!families) local.set(key, (families = new Map()));
    let addrs = families.get(slice.addressType);
    if (!addrs) families.set(slice.addressType, (addrs = new Set()));
    for (const ep of slice.endpoints ?? []) {
      if (ep.nodeName !== nodeName || (ep.conditions?.ready ?? true) !== true || !ep.addresses.length) continue;
      addrs.add(ep.addresses[0]);
    }
  }

  // Sorted by service key, so a port claimed twice goes to the same service every time.
  const byPort = new Map<number, ServiceHealthCheck>();
  for (const key of [...wanted.keys()].sort()) {
    const { svc, port } = wanted.get(key)!;
    const owner = byPort.get(port);
    if (owner) {
      problems.push(`Service ${key}: healthCheckNodePort ${port} is already served for ${owner.namespace}/${owner.name}; no health check served`);
      continue;
    }
    const counts = [...(local.get(key)?.values() ?? [])].map((s) => s.size);
    byPort.set(port, { namespace: svc.metadata.namespace ?? 'default', name: svc.metadata.name ?? '', port, localEndpoints: Math.max(0, ...counts) });
  }
  return { checks: [...byPort.values()].sort((a, b) => a.port - b.port), problems };
}
