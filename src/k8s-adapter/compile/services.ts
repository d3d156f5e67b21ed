// Services → `service`, `backend_group` and `service_source` entries, with
// kube-proxy's semantics:
// - ClusterIPs (both families), NodePorts on this node's addresses, ExternalIPs
//   and LoadBalancer ingress IPs (not those with ipMode Proxy) for every port;
// - members from EndpointSlices: ready endpoints are MEMBER_ACTIVE, serving and
//   terminating ones MEMBER_TERMINATING (the device uses them only when no member
//   is active); unset conditions mean ready, serving, not terminating; the target
//   port comes from the slice's port of the same name, so named target ports
//   resolve per endpoint;
// - internalTrafficPolicy/externalTrafficPolicy Local use node-local endpoints;
//   external traffic with policy Cluster is masqueraded to the node address,
//   with Local it keeps the client address; ClusterIP traffic is SNATed only on
//   hairpin (a pod reaching itself through its service);
// - no endpoints at all: reject; endpoints but none local under a Local policy:
//   drop (as kube-proxy does);
// - ClientIP affinity with timeoutSeconds (default 10800);
// - topology hints only when every ready endpoint has one and one names our zone;
// - headless, ExternalName and other proxies' services (service-proxy-name) get nothing.
import { familyOf, makeEntry, type TableEntry } from '../../hal/index.js';
import type { Endpoint, EndpointSlice, Service, ServicePort } from '../cluster-state.js';
import { HEADLESS_LABEL, SERVICE_NAME_LABEL, SERVICE_PROXY_NAME_LABEL, objectKey } from '../cluster-state.js';
import type { NodeConfig } from '../node-config.js';
import { canonicalAddress, normalizePrefix, prefixContainsAddress, type Family } from '../ip-math.js';
import { halId, report, type NodeEnv, type Problem } from './context.js';
import { PROTOCOL_NUMBERS } from './network-policy.js';

export const DEFAULT_AFFINITY_TIMEOUT_S = 10800;
export const MAX_AFFINITY_TIMEOUT_S = 86400;

interface Candidate {
  readonly ip: string;
  readonly port: number;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly nodeName: string;
  readonly zones: readonly string[] | undefined;
}

interface Member {
  ip: string;
  port: number;
  state?: 'MEMBER_TERMINATING';
}

function skipReason(config: NodeConfig, svc: Service): string | null {
  const labels = svc.metadata.labels ?? {};
  const proxy = labels[SERVICE_PROXY_NAME_LABEL];
  if (proxy !== undefined && proxy !== config.proxyName) return `labelled ${SERVICE_PROXY_NAME_LABEL}=${proxy}`;
  if (labels[HEADLESS_LABEL] !== undefined) return 'headless';
  if (svc.spec?.type === 'ExternalName') return 'ExternalName';
  if (svc.spec?.clusterIP === 'None') return 'headless';
  return null;
}

/** The "namespace/service-name" an EndpointSlice belongs to, or null. */
export function sliceServiceKey(s: EndpointSlice): string | null {
  const name = s.metadata?.labels?.[SERVICE_NAME_LABEL];
  return name ? `${s.metadata.namespace}/${name}` : null;
}

function candidatesFor(slices: readonly EndpointSlice[], sp: ServicePort, family: Family): Candidate[] {
  const proto = sp.protocol ?? 'TCP';
  const out: Candidate[] = [];
  const seen = new Set<string>();
  for (const slice of slices) {
    if (slice.addressType !== (family === 4 ? 'IPv4' : 'IPv6')) continue;
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === (sp.name ?? '') && (p.protocol ?? 'TCP') === proto);
    if (!port || typeof port.port !== 'number') continue;
    for (const ep of slice.endpoints ?? []) {
      const ip = canonicalAddress(String(ep.addresses?.[0] ?? ''));
      if (!ip || familyOf(ip) !== family) continue;
      const key = `${ip}|${port.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(candidate(ep, ip, port.port));
    }
  }
  return out.sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1));
}

function candidate(ep: Endpoint, ip: string, port: number): Candidate {
  const c = ep.conditions ?? {};
  const ready = c.ready ?? true;
  return {
    ip,
    port,
    ready,
    serving: c.serving ?? ready,
    terminating: c.terminating ?? false,
    nodeName: ep.nodeName ?? '',
    zones: ep.hints?.forZones?.map((z) => z.name),
  };
}

/** kube-proxy's endpoint choice for one traffic scope. */
function members(cands: readonly Candidate[], opts: { localNode?: string; zone?: string }): Member[] {
  let pool = opts.localNode !== undefined ? cands.filter((c) => c.nodeName === opts.localNode) : [...cands];
  if (opts.zone) {
    const ready = pool.filter((c) => c.ready);
    // Hints only when every ready endpoint has one and some endpoint is for our zone.
    if (ready.length && ready.every((c) => c.zones && c.zones.length) && ready.some((c) => c.zones!.includes(opts.zone!))) {
      pool = pool.filter((c) => !c.ready || c.zones!.includes(opts.zone!));
    }
  }
  const out: Member[] = [];
  for (const c of pool) {
    if (c.ready && !c.terminating) out.push({ ip: c.ip, port: c.port });
    else if (c.serving && c.terminating) out.push({ ip: c.ip, port: c.port, state: 'MEMBER_TERMINATING' });
  }
  return out;
}

/** What every service's output depends on besides itself and its slices. */
export interface ServiceEnv {
  readonly config: NodeConfig;
  readonly nodeIp: Partial<Record<Family, string>>;
  /** This node's addresses that serve NodePorts (after the nodePortAddresses filter). */
  readonly nodePortVips: readonly string[];
}

export function serviceEnvOf(config: NodeConfig, env: NodeEnv): ServiceEnv {
  const nodePortVips = env.nodeAddresses.filter(
    (a) => !config.nodePortAddresses.length || config.nodePortAddresses.some((p) => prefixContainsAddress(normalizePrefix(p) ?? '', a)),
  );
  return { config, nodeIp: env.nodeIp, nodePortVips };
}

/** One (VIP, protocol, port) a service wants; two services wanting the same one: the first by namespace/name gets it. */
export interface VipClaim {
  /** "vip|protocol|port". */
  readonly vipKey: string;
  /** Problem text when another service holds the VIP: "<origin> <vip> <proto>/<port>". */
  readonly what: string;
  readonly groupId: string;
  /** The `service` entry, then its `service_source` entries. */
  readonly entries: readonly TableEntry[];
}

export interface CompiledService {
  readonly claims: readonly VipClaim[];
  /** Backend groups by id (emitted when a claim that uses them is held). */
  readonly groups: ReadonlyMap<string, TableEntry>;
  readonly problems: Problem[];
  readonly notes: string[];
}

/** One service with its EndpointSlices (sorted by name, so duplicates resolve the same way every time). */
export function compileService(env: ServiceEnv, svc: Service, slices: readonly EndpointSlice[]): CompiledService {
  const problems: Problem[] = [];
  const notes: string[] = [];
  const claims: VipClaim[] = [];
  const groupMembers = new Map<string, Member[]>();
  const ctx = { problems };
  const out = { claims, groups: new Map<string, TableEntry>(), problems, notes };
  const key = objectKey(svc.metadata ?? {});
  if (!svc.metadata?.name || !svc.metadata.namespace) {
    report(ctx, 'Service', key || '(unnamed)', 'metadata.name and metadata.namespace are required');
    return out;
  }
  const skip = skipReason(env.config, svc);
  if (skip) {
    notes.push(`Service ${key} skipped: ${skip}`);
    return out;
  }
  const spec = svc.spec ?? {};
  const clusterIps = (spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [])
    .map((a) => canonicalAddress(String(a)))
    .filter((a): a is string => !!a);
  if (!clusterIps.length) {
    report(ctx, 'Service', key, 'no valid clusterIP; skipped');
    return out;
  }
  const affinity = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_S) : 0;
  if (affinity < 0 || affinity > MAX_AFFINITY_TIMEOUT_S || !Number.isInteger(affinity)) {
    report(ctx, 'Service', key, `sessionAffinityConfig.clientIP.timeoutSeconds ${affinity} is outside 1..${MAX_AFFINITY_TIMEOUT_S}; skipped`);
    return out;
  }
  const vrf = env.config.vrf;
  const internalLocal = spec.internalTrafficPolicy === 'Local';
  const externalLocal = spec.externalTrafficPolicy === 'Local';
  const externalIps = (spec.externalIPs ?? []).map((a) => canonicalAddress(String(a))).filter((a): a is string => !!a);
  const lbIps = (svc.status?.loadBalancer?.ingress ?? [])
    .filter((i) => i.ipMode !== 'Proxy')
    .map((i) => (i.ip ? canonicalAddress(i.ip) : null))
    .filter((a): a is string => !!a);
  const isNodePort = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  const sourceRanges: string[] = [];
  for (const r of spec.loadBalancerSourceRanges ?? []) {
    const n = normalizePrefix(String(r));
    if (n) sourceRanges.push(n);
    else report(ctx, 'Service', key, `loadBalancerSourceRanges: "${r}" is not a CIDR; ignored`);
  }
  // A service claiming one VIP twice (a clusterIP also listed as externalIP, ...) keeps the first.
  const own = new Set<string>();
  // Each missing device feature is reported once per Service, not per VIP, port and family.
  const lacked = new Set<string>();

  for (const sp of spec.ports ?? []) {
    const protoName = sp.protocol ?? 'TCP';
    const protocol = PROTOCOL_NUMBERS[protoName];
    const portLabel = sp.name || String(sp.port);
    if (protocol === undefined || !Number.isInteger(sp.port) || sp.port < 1 || sp.port > 65535) {
      report(ctx, 'Service', key, `port ${portLabel}: protocol ${protoName} / port ${sp.port} unusable; port skipped`);
      continue;
    }
    for (const family of [4, 6] as const) {
      const cands = candidatesFor(slices, sp, family);
      const zone = env.config.zone || undefined;
      const cluster = members(cands, { zone });
      const local = members(cands, { localNode: env.config.nodeName });
      const anyEndpoint = cluster.length > 0;
      const groupId = (scope: 'cluster' | 'local') => {
        const id = halId('svc', `${key}/${portLabel}/v${family}${scope === 'local' ? '/local' : ''}`);
        if (!groupMembers.has(id)) groupMembers.set(id, scope === 'local' ? local : cluster);
        return id;
      };
      const nodeIp = env.nodeIp[family];
      const features = env.config.deviceFeatures;
      const offloads = (f: string) => !features || features.includes(f);
      const lacking = (message: string) => {
        if (lacked.has(message)) return;
        lacked.add(message);
        report(ctx, 'Service', key, message);
      };
      const add = (vip: string, port: number, scope: 'cluster' | 'local', snat: 'SNAT_HAIRPIN' | 'SNAT_MASQUERADE' | 'SNAT_NONE', origin: string, sources: TableEntry[] = []) => {
        const vipKey = `${vip}|${protocol}|${port}`;
        const what = `${origin} ${vip} ${protoName}/${port}`;
        if (own.has(vipKey)) {
          report(ctx, 'Service', key, `${what} is already served for ${key}; skipped`);
          return;
        }
        own.add(vipKey);
        const chosen = scope === 'local' ? local : cluster;
        const id = groupId(scope);
        const balance: Record<string, unknown> = { backendGroupId: id };
        if (affinity) {
          if (offloads('SERVICE_AFFINITY')) balance.affinityTimeoutS = affinity;
          else lacking('sessionAffinity ClientIP is not offloaded by this device (no SERVICE_AFFINITY): programmed without affinity');
        }
        if (snat !== 'SNAT_NONE') {
          const need = snat === 'SNAT_HAIRPIN' ? 'HAIRPIN' : 'SNAT';
          if (offloads(need)) {
            balance.snatMode = snat;
            if (nodeIp) balance.snatIp = nodeIp;
          } else {
            lacking(snat === 'SNAT_HAIRPIN'
              ? 'hairpin SNAT is not offloaded by this device (no HAIRPIN): a pod reaching itself through the service is not translated'
              : 'masquerade is not offloaded by this device (no SNAT): external traffic to a backend on another node is not source-translated');
          }
        }
        // Nothing anywhere: reject. Endpoints elsewhere but none local: drop.
        if (!chosen.length && anyEndpoint) balance.whenEmpty = 'WHEN_EMPTY_DROP';
        claims.push({ vipKey, what, groupId: id, entries: [makeEntry('service', { vrf, vip, protocol, port, balance }), ...sources] });
      };
      for (const vip of clusterIps.filter((a) => familyOf(a) === family)) add(vip, sp.port, internalLocal ? 'local' : 'cluster', 'SNAT_HAIRPIN', 'clusterIP');
      const extScope = externalLocal ? 'local' : 'cluster';
      const extSnat = externalLocal ? 'SNAT_NONE' : 'SNAT_MASQUERADE';
      for (const vip of externalIps.filter((a) => familyOf(a) === family)) add(vip, sp.port, extScope, extSnat, 'externalIP');
      if (isNodePort && sp.nodePort) for (const vip of env.nodePortVips.filter((a) => familyOf(a) === family)) add(vip, sp.nodePort, extScope, extSnat, 'nodePort');
      for (const vip of lbIps.filter((a) => familyOf(a) === family)) {
        const sources: TableEntry[] = [];
        if (sourceRanges.length) {
          const ranges = sourceRanges.filter((r) => (r.includes(':') ? 6 : 4) === family);
          // A family without any allowed range admits nobody of that family.
          if (!ranges.length) sources.push(makeEntry('serviceSource', { vrf, vip, protocol, port: sp.port, source: family === 4 ? '0.0.0.0/0' : '::/0', drop: {} }));
          for (const source of ranges) sources.push(makeEntry('serviceSource', { vrf, vip, protocol, port: sp.port, source, allow: {} }));
        }
        add(vip, sp.port, extScope, extSnat, 'loadBalancer', sources);
      }
    }
  }
  for (const [id, ms] of groupMembers) {
    out.groups.set(id, makeEntry('backendGroup', { id, members: ms.map((m) => ({ ip: m.ip, port: m.port, ...(m.state ? { state: m.state } : {}) })) }));
  }
  return out;
}
