// Shape checks for objects from either source. The API server validates what it
// stores, but manifests are files anyone can write: an object whose shape is wrong
// is reported (kind, name, field) and skipped, never half-used.

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrMap = (v: unknown) => v === undefined || (isObj(v) && Object.values(v).every((x) => typeof x === 'string'));
const isArr = (v: unknown) => v === undefined || Array.isArray(v);
const isPortNum = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535;

export const NAMESPACED_KINDS = new Set(['Pod', 'Service', 'EndpointSlice', 'NetworkPolicy']);
export const KNOWN_KINDS = new Set([...NAMESPACED_KINDS, 'Namespace', 'Node']);

/** The first problem of an object's shape, as "field: what is wrong", or null. */
export function shapeProblem(kind: string, o: Obj): string | null {
  const meta = o.metadata;
  if (!isObj(meta)) return 'metadata: required';
  if (typeof meta.name !== 'string' || !meta.name) return 'metadata.name: required';
  if (NAMESPACED_KINDS.has(kind) && typeof meta.namespace !== 'string') return 'metadata.namespace: required';
  if (!isStrMap(meta.labels)) return 'metadata.labels: must map strings to strings';
  if (!isStrMap(meta.annotations)) return 'metadata.annotations: must map strings to strings';
  const spec = o.spec;
  if (spec !== undefined && !isObj(spec)) return 'spec: must be an object';
  const s = (spec ?? {}) as Obj;
  switch (kind) {
    case 'Pod': {
      if (!isArr(s.containers)) return 'spec.containers: must be a list';
      for (const [i, c] of ((s.containers as unknown[]) ?? []).entries()) {
        if (!isObj(c) || !isArr(c.ports)) return `spec.containers[${i}].ports: must be a list`;
        for (const [j, p] of ((c.ports as unknown[]) ?? []).entries()) {
          if (!isObj(p) || !isPortNum(p.containerPort)) return `spec.containers[${i}].ports[${j}].containerPort: must be a port number`;
        }
      }
      const st = o.status;
      if (st !== undefined && !isObj(st)) return 'status: must be an object';
      const podIPs = (st as Obj | undefined)?.podIPs;
      if (!isArr(podIPs) || ((podIPs as unknown[]) ?? []).some((p) => !isObj(p) || typeof p.ip !== 'string')) return 'status.podIPs: must be a list of {ip}';
      return null;
    }
    case 'Service': {
      if (!isArr(s.ports)) return 'spec.ports: must be a list';
      for (const [i, p] of ((s.ports as unknown[]) ?? []).entries()) {
        if (!isObj(p) || !isPortNum(p.port) || p.port === 0) return `spec.ports[${i}].port: must be a port number 1..65535`;
        if (p.nodePort !== undefined && !isPortNum(p.nodePort)) return `spec.ports[${i}].nodePort: must be a port number`;
        if (p.targetPort !== undefined && typeof p.targetPort !== 'string' && !isPortNum(p.targetPort)) return `spec.ports[${i}].targetPort: must be a port number or name`;
      }
      if (!isStrMap(s.selector)) return 'spec.selector: must map strings to strings';
      for (const f of ['clusterIPs', 'externalIPs', 'loadBalancerSourceRanges'] as const) {
        if (!isArr(s[f]) || ((s[f] as unknown[]) ?? []).some((x) => typeof x !== 'string')) return `spec.${f}: must be a list of strings`;
      }
      return null;
    }
    case 'EndpointSlice': {
      if (typeof o.addressType !== 'string') return 'addressType: required';
      if (!isArr(o.endpoints)) return 'endpoints: must be a list';
      for (const [i, e] of ((o.endpoints as unknown[]) ?? []).entries()) {
        if (!isObj(e) || !Array.isArray(e.addresses) || !e.addresses.length || e.addresses.some((a) => typeof a !== 'string')) return `endpoints[${i}].addresses: at least one address`;
        if (e.conditions !== undefined && !isObj(e.conditions)) return `endpoints[${i}].conditions: must be an object`;
      }
      if (!isArr(o.ports)) return 'ports: must be a list';
      for (const [i, p] of ((o.ports as unknown[]) ?? []).entries()) {
        if (!isObj(p) || (p.port !== undefined && !isPortNum(p.port))) return `ports[${i}].port: must be a port number`;
      }
      return null;
    }
    case 'NetworkPolicy': {
      if (!isObj(spec)) return 'spec: required';
      for (const f of ['ingress', 'egress', 'policyTypes'] as const) if (!isArr(s[f])) return `spec.${f}: must be a list`;
      return null;
    }
    case 'Node': {
      const st = o.status;
      const addrs = isObj(st) ? st.addresses : undefined;
      if (!isArr(addrs) || ((addrs as unknown[]) ?? []).some((a) => !isObj(a) || typeof a.type !== 'string' || typeof a.address !== 'string')) {
        return 'status.addresses: must be a list of {type, address}';
      }
      return null;
    }
    default:
      return null;
  }
}
