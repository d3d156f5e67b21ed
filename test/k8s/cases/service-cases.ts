// Service semantics as data, modelled on kube-proxy's packet-flow tests and written
// in our own words: a cluster, a set of Services and EndpointSlices, and flows
// (source, protocol, destination, port) with what must happen to them.
//
// The world: node-1 (InternalIP 192.168.10.1, pods 10.244.1.0/24) holds x/a
// (10.244.1.11) and x/b (10.244.1.12); node-2 (192.168.10.2, 10.244.2.0/24) holds
// y/a (10.244.2.21). Clients outside the cluster (203.0.113.9) arrive on node-1's
// uplink. Every flow is judged on node-1's device.
//
// Outcomes:
//   delivered   DNAT to `backends` (ip:port; with several flows, every one of them
//               is chosen, or with `sticky` exactly one of them for all flows);
//               `source` says whether the backend sees the client ("client") or
//               node-1's address ("node")
//   reject      TCP RST / ICMP port unreachable back to the client
//   drop        silently dropped
//   unserviced  no load balancing happens at that address (left alone)
//   denied      dropped by NetworkPolicy, `policy` names the deciding policy
import type { EndpointSlice, NetworkPolicy, Service } from '../../../src/k8s-adapter/index.js';

export type Source = 'x/a' | 'x/b' | 'external';

export interface ServiceFlow {
  readonly from: Source;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly dst: string;
  readonly port: number;
  /** Send this many flows (distinct source ports); default 1. */
  readonly flows?: number;
  readonly expect:
    | { readonly outcome: 'delivered'; readonly backends: readonly string[]; readonly source?: 'client' | 'node'; readonly sticky?: boolean }
    | { readonly outcome: 'reject' | 'drop' | 'unserviced' }
    | { readonly outcome: 'denied'; readonly policy: string };
}

export interface ServiceCase {
  readonly name: string;
  readonly services: readonly Service[];
  readonly slices: readonly EndpointSlice[];
  readonly policies?: readonly NetworkPolicy[];
  readonly zone?: string;
  readonly flows: readonly ServiceFlow[];
}

const XB = '10.244.1.12';
const YA = '10.244.2.21';
const XA = '10.244.1.11';

type Ep = { ip: string; node?: string; ready?: boolean; serving?: boolean; terminating?: boolean; zone?: string };

function svc(name: string, spec: Service['spec'], opts: { labels?: Record<string, string>; lb?: { ip: string; ipMode?: string }[] } = {}): Service {
  return {
    kind: 'Service',
    metadata: { name, namespace: 'x', ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }], ...spec },
    ...(opts.lb ? { status: { loadBalancer: { ingress: opts.lb } } } : {}),
  };
}

function slice(service: string, eps: Ep[], ports: { name?: string; port: number; protocol?: string }[] = [{ name: 'http', port: 8080 }], suffix = '1', family: 'IPv4' | 'IPv6' = 'IPv4'): EndpointSlice {
  return {
    kind: 'EndpointSlice',
    metadata: { name: `${service}-${suffix}`, namespace: 'x', labels: { 'kubernetes.io/service-name': service } },
    addressType: family,
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      nodeName: e.node ?? (e.ip.startsWith('10.244.2.') || e.ip.startsWith('fd00:10:244:2:') ? 'node-2' : 'node-1'),
      ...(e.zone ? { zone: e.zone, hints: { forZones: [{ name: e.zone }] } } : {}),
      conditions: { ...(e.ready !== undefined ? { ready: e.ready } : {}), ...(e.serving !== undefined ? { serving: e.serving } : {}), ...(e.terminating !== undefined ? { terminating: e.terminating } : {}) },
    })),
    ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
  };
}

const both = [{ ip: XB }, { ip: YA }];

export const SERVICE_CASES: readonly ServiceCase[] = [
  {
    name: 'ClusterIP TCP: both ready endpoints serve',
    services: [svc('web', { clusterIP: '10.96.0.10' })],
    slices: [slice('web', both)],
    flows: [{ from: 'x/a', protocol: 'TCP', dst: '10.96.0.10', port: 80, flows: 32, expect: { outcome: 'delivered', backends: [`${XB}:8080`, `${YA}:8080`], source: 'client' } }],
  },
  {
    name: 'ClusterIP UDP',
    services: [svc('dns', { clusterIP: '10.96.0.53', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] })],
    slices: [slice('dns', both, [{ name: 'dns', port: 5353, protocol: 'UDP' }])],
    flows: [{ from: 'x/a', protocol: 'UDP', dst: '10.96.0.53', port: 53, flows: 32, expect: { outcome: 'delivered', backends: [`${XB}:5353`, `${YA}:5353`], source: 'client' } }],
  },
  {
    name: 'ClusterIP SCTP',
    services: [svc('sig', { clusterIP: '10.96.0.36', ports: [{ name: 'sig', port: 3868, protocol: 'SCTP' }] })],
    slices: [slice('sig', [{ ip: XB }], [{ name: 'sig', port: 3868, protocol: 'SCTP' }])],
    flows: [{ from: 'x/a', protocol: 'SCTP', dst: '10.96.0.36', port: 3868, expect: { outcome: 'delivered', backends: [`${XB}:3868`], source: 'client' } }],
  },
  {
    name: 'multiple ports map to their own target ports',
    services: [svc('web', { clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] })],
    slices: [slice('web', [{ ip: XB }], [{ name: 'http', port: 8080 }, { name: 'https', port: 8443 }])],
    flows: [
      { from: 'x/a', protocol: 'TCP', dst: '10.96.0.10', port: 80, expect: { outcome: 'delivered', backends: [`${XB}:8080`] } },
      { from: 'x/a', protocol: 'TCP', dst: '10.96.0.10', port: 443, expect: { outcome: 'delivered', backends: [`${XB}:8443`] } },
    ],
  },
  {
    name: 'a named target port resolves per endpoint (two slices, two numbers)',
    services: [svc('web', { clusterIP: '10.96.0.10' })],
    slices: [slice('web', [{ ip: XB }], [{ name: 'http', port: 8080 }], 'a'), slice('web', [{ ip: YA }], [{ name: 'http', port: 9090 }], 'b')],
    flows: [{ from: 'x/a', protocol: 'TCP', dst: '10.96.0.10', port: 80, flows: 32, expect: { outcome: 'delivered', backends: [`${XB}:8080`, `${YA}:9090`] } }],
  },
  {
    name: 'no endpoints: TCP is rejected',
    services: [svc('empty', { clusterIP: '10.96.0.20' })],
    slices: [],
    flows: [{ from: 'x/a', protocol: 'TCP', dst: '10.96.0.20', port: 80, expect: { outcome: 'reject' } }],
  },
  {
    name: 'no endpoints: UDP is rejected',
    services: [svc('empty', { clusterIP: '10.96.0.20', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] })],
    slices: [],
    flows: [{ from: 'x/a', protocol: 'UDP', dst: '10.96.0.20', port: 53, expect: { outcome: 'reject' } }],
  },
  {
    name: 'only not-ready endpoints: rejected',
    services: [svc('web', { clusterIP: '10.96.0.10' })],
    slices: [slice('web', [{ ip: XB, ready: false }, { ip: YA, ready: false }])],
    flows: [{ from: 'x/a', protocol: 'TCP', dst: '10.96.0.10', port: 80, expect: { outcome: 'reject' } }],
  },
  {
    name: 'no ready endpoint: serving terminating ones take the traffic',
    services: [svc('web', { clusterIP: '10.96.0.10' })],
    slices: [slice('web', [{ ip: XB, ready: false, serving: true, terminating: true }, { ip: YA, ready: false }])],
    flows: [{ from: 'x/a', protocol: 'TCP', dst: '10.96.0.10', port: 80, flows: 8, expect: { outcome: 'delivered', backends: [`${XB}:8080`] } }],
  },
  {
    name: 'a ready endpoint wins over a serving terminating one',
    services: [svc('web', { clusterIP: '10.96.0.10' })],
    slices: [slice('web', [{ ip: XB, ready: false, serving: true, terminating: true }, { ip: YA }])],
    flows: [{ from: 'x/a', protocol: 'TCP', dst: '10.96.0.10', port: 80, flows: 16, expect: { outcome: 'delivered', backends: [`${YA}:8080`] } }],
  },
  {
    name: 'terminating and not serving: rejected',
    services: [svc('web', { clusterIP: '10.96.0.10' })],
    slices: [slice('web', [{ ip: XB, ready: false, serving: false, terminating: true }])],
    flows: [{ from: 'x/a', protocol: 'TCP', dst: '10.96.0.10', port: 80, expect: { outcome: 'reject' } }],
  },
  {
    name: 'internalTrafficPolicy Local: only the node-local endpoint',
    services: [svc('web', { clusterIP: '10.96.0.10', internalTrafficPolicy: 'Local' })],
    slices: [slice('web', both)],
    flows: [{ from: 'x/a', protocol: 'TCP', dst: '10.96.0.10', port: 80, flows: 16, expect: { outcome: 'delivered', backends: [`${XB}:8080`] } }],
  },
  {
    name: 'internalTrafficPolicy Local without a local endpoint: dropped, not rejected',
    services: [svc('web', { clusterIP: '10.96.0.10', internalTrafficPolicy: 'Local' })],
    slices: [slice('web', [{ ip: YA }])],
    flows: [{ from: 'x/a', protocol: 'TCP', dst: '10.96.0.10', port: 80, expect: { outcome: 'drop' } }],
  },
  {
    name: 'NodePort from outside: every endpoint, client masqueraded to the node',
    services: [svc('web', { type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, nodePort: 30080 }] })],
    slices: [slice('web', both)],
    flows: [{ from: 'external', protocol: 'TCP', dst: '192.168.10.1', port: 30080, flows: 32, expect: { outcome: 'delivered', backends: [`${XB}:8080`, `${YA}:8080`], source: 'node' } }],
  },
  {
    name: 'NodePort with externalTrafficPolicy Local: local endpoint, client address kept',
    services: [svc('web', { type: 'NodePort', clusterIP: '10.96.0.10', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30080 }] })],
    slices: [slice('web', both)],
    flows: [{ from: 'external', protocol: 'TCP', dst: '192.168.10.1', port: 30080, flows: 16, expect: { outcome: 'delivered', backends: [`${XB}:8080`], source: 'client' } }],
  },
  {
    name: 'externalTrafficPolicy Local without a local endpoint: dropped',
    services: [svc('web', { type: 'NodePort', clusterIP: '10.96.0.10', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30080 }] })],
    slices: [slice('web', [{ ip: YA }])],
    flows: [{ from: 'external', protocol: 'TCP', dst: '192.168.10.1', port: 30080, expect: { outcome: 'drop' } }],
  },
  {
    name: 'externalTrafficPolicy Local leaves ClusterIP traffic on every endpoint',
    services: [svc('web', { type: 'NodePort', clusterIP: '10.96.0.10', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30080 }] })],
    slices: [slice('web', [{ ip: YA }])],
    flows: [{ from: 'x/a', protocol: 'TCP', dst: '10.96.0.10', port: 80, expect: { outcome: 'delivered', backends: [`${YA}:8080`] } }],
  },
  {
    name: 'ExternalIPs: load balanced, masqueraded',
    services: [svc('web', { clusterIP: '10.96.0.10', externalIPs: ['203.0.113.50'] })],
    slices: [slice('web', both)],
    flows: [{ from: 'external', protocol: 'TCP', dst: '203.0.113.50', port: 80, flows: 32, expect: { outcome: 'delivered', backends: [`${XB}:8080`, `${YA}:8080`], source: 'node' } }],
  },
  {
    name: 'LoadBalancer ingress IP: load balanced, masqueraded',
    services: [svc('web', { type: 'LoadBalancer', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }, { lb: [{ ip: '198.51.100.10' }] })],
    slices: [slice('web', both)],
    flows: [{ from: 'external', protocol: 'TCP', dst: '198.51.100.10', port: 80, flows: 32, expect: { outcome: 'delivered', backends: [`${XB}:8080`, `${YA}:8080`], source: 'node' } }],
  },
  {
    name: 'loadBalancerSourceRanges admit a client inside a range',
    services: [svc('web', { type: 'LoadBalancer', clusterIP: '10.96.0.10', loadBalancerSourceRanges: ['203.0.113.0/24'], ports: [{ name: 'http', port: 80, nodePort: 30080 }] }, { lb: [{ ip: '198.51.100.10' }] })],
    slices: [slice('web', [{ ip: XB }])],
    flows: [{ from: 'external', protocol: 'TCP', dst: '198.51.100.10', port: 80, expect: { outcome: 'delivered', backends: [`${XB}:8080`], source: 'node' } }],
  },
  {
    name: 'loadBalancerSourceRanges drop a client outside every range',
    services: [svc('web', { type: 'LoadBalancer', clusterIP: '10.96.0.10', loadBalancerSourceRanges: ['10.0.0.0/8'], ports: [{ name: 'http', port: 80, nodePort: 30080 }] }, { lb: [{ ip: '198.51.100.10' }] })],
    slices: [slice('web', [{ ip: XB }])],
    flows: [{ from: 'external', protocol: 'TCP', dst: '198.51.100.10', port: 80, expect: { outcome: 'drop' } }],
  },
  {
    name: 'a LoadBalancer IP with ipMode Proxy is not bound on the node',
    services: [svc('web', { type: 'LoadBalancer', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }, { lb: [{ ip: '198.51.100.11', ipMode: 'Proxy' }] })],
    slices: [slice('web', [{ ip: XB }])],
    flows: [{ from: 'external', protocol: 'TCP', dst: '198.51.100.11', port: 80, expect: { outcome: 'unserviced' } }],
  },
  {
    name: 'ClientIP affinity: one client keeps one backend across connections',
    services: [svc('web', { clusterIP: '10.96.0.10', sessionAffinity: 'ClientIP' })],
    slices: [slice('web', both)],
    flows: [{ from: 'x/a', protocol: 'TCP', dst: '10.96.0.10', port: 80, flows: 16, expect: { outcome: 'delivered', backends: [`${XB}:8080`, `${YA}:8080`], sticky: true } }],
  },
  {
    name: 'ClientIP affinity with a 60 s timeout',
    services: [svc('web', { clusterIP: '10.96.0.10', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } })],
    slices: [slice('web', both)],
    flows: [{ from: 'x/a', protocol: 'TCP', dst: '10.96.0.10', port: 80, flows: 8, expect: { outcome: 'delivered', backends: [`${XB}:8080`, `${YA}:8080`], sticky: true } }],
  },
  {
    name: 'hairpin: a pod reaching itself through its service is SNATed to the node',
    services: [svc('self', { clusterIP: '10.96.0.12' })],
    slices: [slice('self', [{ ip: XB }])],
    flows: [{ from: 'x/b', protocol: 'TCP', dst: '10.96.0.12', port: 80, expect: { outcome: 'delivered', backends: [`${XB}:8080`], source: 'node' } }],
  },
  {
    name: 'a pod reaching another pod through a service keeps its address',
    services: [svc('self', { clusterIP: '10.96.0.12' })],
    slices: [slice('self', [{ ip: XB }])],
    flows: [{ from: 'x/a', protocol: 'TCP', dst: '10.96.0.12', port: 80, expect: { outcome: 'delivered', backends: [`${XB}:8080`], source: 'client' } }],
  },
  {
    name: 'dual stack: the IPv6 ClusterIP balances over IPv6 endpoints',
    services: [svc('web', { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10', 'fd00:10:96::10'], ipFamilies: ['IPv4', 'IPv6'] })],
    slices: [slice('web', [{ ip: XB }], [{ name: 'http', port: 8080 }], '4'), slice('web', [{ ip: 'fd00:10:244:1::12' }], [{ name: 'http', port: 8080 }], '6', 'IPv6')],
    flows: [
      { from: 'x/a', protocol: 'TCP', dst: '10.96.0.10', port: 80, expect: { outcome: 'delivered', backends: [`${XB}:8080`] } },
      { from: 'x/a', protocol: 'TCP', dst: 'fd00:10:96::10', port: 80, expect: { outcome: 'delivered', backends: ['fd00:10:244:1::12:8080'] } },
    ],
  },
  {
    name: 'a headless service is not load balanced',
    services: [svc('headless', { clusterIP: 'None' })],
    slices: [slice('headless', [{ ip: XB }])],
    flows: [],
  },
  {
    name: 'a service of another proxy (service-proxy-name) is left alone',
    services: [svc('other', { clusterIP: '10.96.0.30' }, { labels: { 'service.kubernetes.io/service-proxy-name': 'someone-else' } })],
    slices: [slice('other', [{ ip: XB }])],
    flows: [{ from: 'x/a', protocol: 'TCP', dst: '10.96.0.30', port: 80, expect: { outcome: 'unserviced' } }],
  },
  {
    name: 'topology hints: the endpoint hinted for our zone only',
    zone: 'zone-a',
    services: [svc('web', { clusterIP: '10.96.0.10' })],
    slices: [slice('web', [{ ip: XB, zone: 'zone-a' }, { ip: YA, zone: 'zone-b' }])],
    flows: [{ from: 'x/a', protocol: 'TCP', dst: '10.96.0.10', port: 80, flows: 16, expect: { outcome: 'delivered', backends: [`${XB}:8080`] } }],
  },
  {
    name: 'topology hints ignored when an endpoint has none',
    zone: 'zone-a',
    services: [svc('web', { clusterIP: '10.96.0.10' })],
    slices: [slice('web', [{ ip: XB, zone: 'zone-a' }, { ip: YA }])],
    flows: [{ from: 'x/a', protocol: 'TCP', dst: '10.96.0.10', port: 80, flows: 32, expect: { outcome: 'delivered', backends: [`${XB}:8080`, `${YA}:8080`] } }],
  },
  {
    name: 'egress policy is judged on the backend after DNAT (denied)',
    services: [svc('web', { clusterIP: '10.96.0.10' })],
    slices: [slice('web', [{ ip: XB }])],
    policies: [{ kind: 'NetworkPolicy', metadata: { name: 'a-to-node-2', namespace: 'x' }, spec: { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.244.2.0/24' } }] }] } }],
    flows: [{ from: 'x/a', protocol: 'TCP', dst: '10.96.0.10', port: 80, expect: { outcome: 'denied', policy: 'x/a-to-node-2' } }],
  },
  {
    name: 'egress policy is judged on the backend after DNAT (allowed)',
    services: [svc('web', { clusterIP: '10.96.0.10' })],
    slices: [slice('web', [{ ip: YA }])],
    policies: [{ kind: 'NetworkPolicy', metadata: { name: 'a-to-node-2', namespace: 'x' }, spec: { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.244.2.0/24' } }] }] } }],
    flows: [{ from: 'x/a', protocol: 'TCP', dst: '10.96.0.10', port: 80, expect: { outcome: 'delivered', backends: [`${YA}:8080`], source: 'client' } }],
  },
  {
    name: 'ingress policy on the backend sees the client after DNAT',
    services: [svc('web', { clusterIP: '10.96.0.10' })],
    slices: [slice('web', [{ ip: XB }])],
    policies: [{ kind: 'NetworkPolicy', metadata: { name: 'b-from-nobody', namespace: 'x' }, spec: { podSelector: { matchLabels: { pod: 'b' } }, policyTypes: ['Ingress'] } }],
    flows: [{ from: 'x/a', protocol: 'TCP', dst: '10.96.0.10', port: 80, expect: { outcome: 'denied', policy: 'x/b-from-nobody' } }],
  },
];

export { XA, XB, YA };
