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
import { canonicalAddress, normalizePrefix, prefixContainsAddress, type Family } from '../ip-math.js';
import { halId, report, type CompileContext } from './context.js';
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

export interface ServiceResult {
  readonly service: TableEntry[];
  readonly backendGroup: TableEntry[];
  readonly serviceSource: TableEntry[];
}

function skipReason(ctx: CompileContext, svc: Service): string | null {
  const labels = svc.metadata.labels ?? {};
  const proxy = labels[SERVICE_PROXY_NAME_LABEL];
  if (proxy !== undefined && proxy !== ctx.config.proxyName) return `labelled ${SERVICE_PROXY_NAME_LABEL}=${proxy}`;
  if (labels[HEADLESS_LABEL] !== undefined) return 'headless';
  if (svc.spec?.type === 'ExternalName') return 'ExternalName';
  if (svc.spec?.clusterIP === 'None') return 'headless';
  return null;
}

/** EndpointSlices by "namespace/service-name" (one pass, not one scan per service). */
function slicesByService(ctx: CompileContext): Map<string, EndpointSlice[]> {
  const out = new Map<string, EndpointSlice[]>();
  for (const s of ctx.state.endpointSlices) {
    const name = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!name) continue;
    const k = `${s.metadata.namespace}/${name}`;
    const list = out.get(k);
    if (list) list.push(s);
    else out.set(k, [s]);
  }
  return out;
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

export function compileServices(ctx: CompileContext): ServiceResult {
  const service: TableEntry[] = [];
  const groups = new Map<string, Member[]>();
  const serviceSource: TableEntry[] = [];
  const taken = new Map<string, string>();
  const vrf = ctx.config.vrf;
  const nodePortVips = ctx.nodeAddresses.filter(
    (a) => !ctx.config.nodePortAddresses.length || ctx.config.nodePortAddresses.some((p) => prefixContainsAddress(normalizePrefix(p) ?? '', a)),
  );

  const slicesIndex = slicesByService(ctx);
  const services = [...ctx.state.services].sort((a, b) => (objectKey(a.metadata ?? {}) < objectKey(b.metadata ?? {}) ? -1 : 1));
  for (const svc of services) {
    const key = objectKey(svc.metadata ?? {});
    if (!svc.metadata?.name || !svc.metadata.namespace) {
      report(ctx, 'Service', key || '(unnamed)', 'metadata.name and metadata.namespace are required');
      continue;
    }
    const skip = skipReason(ctx, svc);
    if (skip) {
      ctx.notes.push(`Service ${key} skipped: ${skip}`);
      continue;
    }
    const spec = svc.spec ?? {};
    const clusterIps = (spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [])
      .map((a) => canonicalAddress(String(a)))
      .filter((a): a is string => !!a);
    if (!clusterIps.length) {
      report(ctx, 'Service', key, 'no valid clusterIP; skipped');
      continue;
    }
    const affinity = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_S) : 0;
    if (affinity < 0 || affinity > MAX_AFFINITY_TIMEOUT_S || !Number.isInteger(affinity)) {
      report(ctx, 'Service', key, `sessionAffinityConfig.clientIP.timeoutSeconds ${affinity} is outside 1..${MAX_AFFINITY_TIMEOUT_S}; skipped`);
      continue;
    }
    const slices = slicesIndex.get(key) ?? [];
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
        const zone = ctx.config.zone || undefined;
        const cluster = members(cands, { zone });
        const local = members(cands, { localNode: ctx.config.nodeName });
        const anyEndpoint = cluster.length > 0;
        const groupId = (scope: string) => halId('svc', `${key}/${portLabel}/v${family}${scope}`);
        const useGroup = (scope: 'cluster' | 'local') => {
          const id = groupId(scope === 'local' ? '/local' : '');
          if (!groups.has(id)) groups.set(id, scope === 'local' ? local : cluster);
          return id;
        };
        const nodeIp = ctx.nodeIp[family];
        const add = (vip: string, port: number, scope: 'cluster' | 'local', snat: 'SNAT_HAIRPIN' | 'SNAT_MASQUERADE' | 'SNAT_NONE', origin: string) => {
          const k = `${vip}|${protocol}|${port}`;
          const owner = taken.get(k);
          if (owner) {
            report(ctx, 'Service', key, `${origin} ${vip} ${protoName}/${port} is already served for ${owner}; skipped`);
            return false;
          }
          taken.set(k, key);
          const chosen = scope === 'local' ? local : cluster;
          const balance: Record<string, unknown> = { backendGroupId: useGroup(scope) };
          if (affinity) balance.affinityTimeoutS = affinity;
          if (snat !== 'SNAT_NONE') {
            balance.snatMode = snat;
            if (nodeIp) balance.snatIp = nodeIp;
          }
          // Nothing anywhere: reject. Endpoints elsewhere but none local: drop.
          if (!chosen.length && anyEndpoint) balance.whenEmpty = 'WHEN_EMPTY_DROP';
          service.push(makeEntry('service', { vrf, vip, protocol, port, balance }));
          return true;
        };
        for (const vip of clusterIps.filter((a) => familyOf(a) === family)) add(vip, sp.port, internalLocal ? 'local' : 'cluster', 'SNAT_HAIRPIN', 'clusterIP');
        const extScope = externalLocal ? 'local' : 'cluster';
        const extSnat = externalLocal ? 'SNAT_NONE' : 'SNAT_MASQUERADE';
        for (const vip of externalIps.filter((a) => familyOf(a) === family)) add(vip, sp.port, extScope, extSnat, 'externalIP');
        if (isNodePort && sp.nodePort) for (const vip of nodePortVips.filter((a) => familyOf(a) === family)) add(vip, sp.nodePort, extScope, extSnat, 'nodePort');
        for (const vip of lbIps.filter((a) => familyOf(a) === family)) {
          if (!add(vip, sp.port, extScope, extSnat, 'loadBalancer') || !sourceRanges.length) continue;
          const own = sourceRanges.filter((r) => (r.includes(':') ? 6 : 4) === family);
          // A family without any allowed range admits nobody of that family.
          if (!own.length) serviceSource.push(makeEntry('serviceSource', { vrf, vip, protocol, port: sp.port, source: family === 4 ? '0.0.0.0/0' : '::/0', drop: {} }));
          for (const source of own) serviceSource.push(makeEntry('serviceSource', { vrf, vip, protocol, port: sp.port, source, allow: {} }));
        }
      }
    }
  }
  const backendGroup = [...groups.entries()].map(([id, ms]) =>
    makeEntry('backendGroup', { id, members: ms.map((m) => ({ ip: m.ip, port: m.port, ...(m.state ? { state: m.state } : {}) })) }),
  );
  return { service, backendGroup, serviceSource };
}
