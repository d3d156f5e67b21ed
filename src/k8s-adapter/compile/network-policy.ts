// NetworkPolicy → `acl` entries and endpoint isolation flags.
//
// A local pod selected by a policy of a direction is isolated in that direction
// (the endpoint flag gives default deny); every rule of every policy selecting it
// becomes ACL_ALLOW entries for its endpoint, so the allowed set is the union of
// the rules. Each policy gets its own priority (by sorted namespace/name) so the
// policy named in flow records is deterministic when rules overlap. A lowest-
// priority ACL_DENY per isolated endpoint names the isolating policies, so denied
// flows are attributed to a policy rather than to "default-deny".
//
// Peers are expanded to addresses: pods by selector (all nodes, both families),
// ipBlock as cidr minus except (spelled out as disjoint prefixes, because a
// higher-priority deny for the except ranges would also cut across other rules).
// Named ports resolve against the pod that receives the traffic: the selected pod
// for ingress, each peer pod for egress (for ipBlock peers, the known pods inside
// the block). Egress is judged after DNAT by the device, so rules name backends.
import { makeEntry, type TableEntry } from '../../hal/index.js';
import type { LabelSelector, NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort } from '../cluster-state.js';
import { objectKey } from '../cluster-state.js';
import { hostPrefix, normalizePrefix, prefixContainsAddress, subtractPrefixes } from '../ip-math.js';
import { selectorMatches, selectorProblem } from '../label-selector.js';
import type { PodInfo } from './context.js';
import { endpointIdOf } from './endpoints.js';

export const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = { TCP: 6, UDP: 17, SCTP: 132 };
/** Policies take priorities downward from here; the isolation deny sits at 1. */
export const POLICY_PRIORITY_TOP = 1_000_000;
export const ISOLATION_DENY_PRIORITY = 1;

interface PortMatch {
  readonly protocol?: number;
  readonly lo?: number;
  readonly hi?: number;
}

/** A resolved peer: a prefix, and the pod behind it when there is one (for named ports). */
export interface PeerTarget {
  readonly prefix?: string;
  readonly pod?: PodInfo;
}

export function validatePolicy(np: NetworkPolicy): string | null {
  const spec = np.spec;
  if (!spec) return 'spec is required';
  const sel = selectorProblem(spec.podSelector, 'spec.podSelector');
  if (sel) return sel;
  for (const t of spec.policyTypes ?? []) if (t !== 'Ingress' && t !== 'Egress') return `spec.policyTypes: unknown type "${t}"`;
  const checkPorts = (ports: readonly NetworkPolicyPort[] | undefined, path: string): string | null => {
    for (const [i, p] of (ports ?? []).entries()) {
      const proto = p.protocol ?? 'TCP';
      if (!(proto in PROTOCOL_NUMBERS)) return `${path}[${i}].protocol: "${proto}" is not TCP, UDP or SCTP`;
      if (typeof p.port === 'number' && (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535)) return `${path}[${i}].port: ${p.port} is not a port (1..65535)`;
      if (typeof p.port === 'string' && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(p.port)) return `${path}[${i}].port: "${p.port}" is not a port name`;
      if (p.endPort !== undefined) {
        if (typeof p.port !== 'number') return `${path}[${i}].endPort: needs a numeric port`;
        if (!Number.isInteger(p.endPort) || p.endPort < p.port || p.endPort > 65535) return `${path}[${i}].endPort: ${p.endPort} must be ${p.port}..65535`;
      }
    }
    return null;
  };
  const checkPeers = (peers: readonly NetworkPolicyPeer[] | undefined, path: string): string | null => {
    for (const [i, peer] of (peers ?? []).entries()) {
      const at = `${path}[${i}]`;
      if (peer.ipBlock && (peer.podSelector || peer.namespaceSelector)) return `${at}: ipBlock cannot be combined with selectors`;
      if (!peer.ipBlock && !peer.podSelector && !peer.namespaceSelector) return `${at}: a peer needs podSelector, namespaceSelector or ipBlock`;
      const s = selectorProblem(peer.podSelector, `${at}.podSelector`) ?? selectorProblem(peer.namespaceSelector, `${at}.namespaceSelector`);
      if (s) return s;
      if (peer.ipBlock) {
        const cidr = normalizePrefix(String(peer.ipBlock.cidr ?? ''));
        if (!cidr) return `${at}.ipBlock.cidr: "${peer.ipBlock.cidr}" is not a CIDR`;
        for (const [j, e] of (peer.ipBlock.except ?? []).entries()) {
          const ex = normalizePrefix(String(e));
          if (!ex) return `${at}.ipBlock.except[${j}]: "${e}" is not a CIDR`;
        }
      }
    }
    return null;
  };
  for (const [i, r] of (spec.ingress ?? []).entries()) {
    const e = checkPorts(r.ports, `spec.ingress[${i}].ports`) ?? checkPeers(ingressPeers(r), `spec.ingress[${i}].from`);
    if (e) return e;
  }
  for (const [i, r] of (spec.egress ?? []).entries()) {
    const e = checkPorts(r.ports, `spec.egress[${i}].ports`) ?? checkPeers(r.to, `spec.egress[${i}].to`);
    if (e) return e;
  }
  return null;
}

/**
 * The peers of an ingress rule. client-node's model classes rename `from` (a
 * reserved word in their generator) to `_from`; objects deserialized by it (its
 * YAML loader, list responses) carry that name, raw watch events carry `from`.
 */
export function ingressPeers(rule: NetworkPolicyIngressRule): readonly NetworkPolicyPeer[] | undefined {
  return rule.from ?? (rule as { _from?: readonly NetworkPolicyPeer[] })._from;
}

export function policyTypes(np: NetworkPolicy): { ingress: boolean; egress: boolean } {
  const types = np.spec?.policyTypes;
  if (types && types.length) return { ingress: types.includes('Ingress'), egress: types.includes('Egress') };
  // The API's default: Ingress always, Egress when the policy has egress rules.
  return { ingress: true, egress: (np.spec?.egress ?? []).length > 0 };
}

/**
 * The pods and namespaces policies are evaluated against. `pods` lists every pod
 * that has addresses (all nodes); peer results are cached per peer until a pod or
 * namespace changes, because many policies name the same peers.
 */
export interface PolicyWorld {
  podsIn(namespace: string): Iterable<PodInfo>;
  allPods(): Iterable<PodInfo>;
  namespaceLabels(namespace: string): Readonly<Record<string, string>>;
  readonly peerCache: Map<string, PeerTarget[]>;
}

function selectedPods(world: PolicyWorld, namespace: string, selector: LabelSelector | undefined): PodInfo[] {
  const sel = selector ?? {};
  const out: PodInfo[] = [];
  for (const p of world.podsIn(namespace)) if (selectorMatches(sel, p.labels)) out.push(p);
  return out;
}

function peerTargets(world: PolicyWorld, policyNs: string, peer: NetworkPolicyPeer): PeerTarget[] {
  // The policy's namespace matters only without a namespaceSelector.
  const cacheKey = `${peer.namespaceSelector || peer.ipBlock ? '' : policyNs}|${JSON.stringify(peer)}`;
  const hit = world.peerCache.get(cacheKey);
  if (hit) return hit;
  const out: PeerTarget[] = [];
  if (peer.ipBlock) {
    const cidr = normalizePrefix(peer.ipBlock.cidr)!;
    for (const prefix of subtractPrefixes(cidr, (peer.ipBlock.except ?? []).map((e) => normalizePrefix(e)!))) out.push({ prefix });
  } else {
    const podSel = peer.podSelector ?? {};
    const nsSel = peer.namespaceSelector;
    const nsOk = new Map<string, boolean>();
    const candidates = nsSel ? world.allPods() : world.podsIn(policyNs);
    for (const p of candidates) {
      if (nsSel) {
        let ok = nsOk.get(p.namespace);
        if (ok === undefined) nsOk.set(p.namespace, (ok = selectorMatches(nsSel, world.namespaceLabels(p.namespace))));
        if (!ok) continue;
      }
      if (!selectorMatches(podSel, p.labels)) continue;
      for (const ip of p.ips) out.push({ prefix: hostPrefix(ip), pod: p });
    }
  }
  world.peerCache.set(cacheKey, out);
  return out;
}

/** The peers of every rule of a policy (for dependency checks). */
function allPeers(np: NetworkPolicy): NetworkPolicyPeer[] {
  return [...(np.spec?.ingress ?? []).flatMap((r) => ingressPeers(r) ?? []), ...(np.spec?.egress ?? []).flatMap((r) => r.to ?? [])];
}

/**
 * Whether a policy's output can depend on this pod: it selects it, a peer selects
 * it, or an egress rule resolves named ports over every pod (toward an ipBlock or
 * anywhere). A superset is fine: it only costs a recompile.
 */
export function policyDependsOnPod(np: NetworkPolicy, pod: PodInfo, namespaceLabels: (ns: string) => Readonly<Record<string, string>>): boolean {
  const ns = np.metadata.namespace;
  if (pod.namespace === ns && selectorMatches(np.spec?.podSelector ?? {}, pod.labels)) return true;
  for (const r of np.spec?.egress ?? []) {
    if (!(r.ports ?? []).some((p) => typeof p.port === 'string')) continue;
    if (!r.to?.length || r.to.some((peer) => peer.ipBlock)) return true;
  }
  for (const peer of allPeers(np)) {
    if (peer.ipBlock) continue;
    const nsOk = peer.namespaceSelector ? selectorMatches(peer.namespaceSelector, namespaceLabels(pod.namespace)) : pod.namespace === ns;
    if (nsOk && selectorMatches(peer.podSelector ?? {}, pod.labels)) return true;
  }
  return false;
}

/** Whether a policy reads namespace labels (a namespaceSelector anywhere). */
export function policyReadsNamespaces(np: NetworkPolicy): boolean {
  return allPeers(np).some((p) => !!p.namespaceSelector);
}

function containerPort(pod: PodInfo, name: string, protocol: string): number | undefined {
  for (const c of pod.pod.spec?.containers ?? []) {
    for (const cp of c.ports ?? []) if (cp.name === name && (cp.protocol ?? 'TCP') === protocol) return cp.containerPort;
  }
  return undefined;
}

/** The port matches of a rule for traffic received by `receiver` (undefined: unknown receiver). */
function portMatches(ports: readonly NetworkPolicyPort[] | undefined, receiver: PodInfo | undefined): PortMatch[] {
  if (!ports || !ports.length) return [{}];
  const out: PortMatch[] = [];
  for (const p of ports) {
    const protoName = p.protocol ?? 'TCP';
    const protocol = PROTOCOL_NUMBERS[protoName];
    if (p.port === undefined) out.push({ protocol });
    else if (typeof p.port === 'number') out.push({ protocol, lo: p.port, hi: p.endPort ?? p.port });
    else {
      const n = receiver ? containerPort(receiver, p.port, protoName) : undefined;
      if (n !== undefined) out.push({ protocol, lo: n, hi: n });
    }
  }
  return out;
}

function aclBody(stage: 'ACL_INGRESS' | 'ACL_EGRESS', endpointId: string, peer: string | undefined, m: PortMatch, priority: number, policyRef: string): Record<string, unknown> {
  return {
    stage,
    endpointId,
    ...(peer ? (stage === 'ACL_INGRESS' ? { srcPrefix: peer } : { dstPrefix: peer }) : {}),
    ...(m.protocol !== undefined ? { protocol: m.protocol } : {}),
    ...(m.lo !== undefined ? { dstPorts: { lo: m.lo, hi: m.hi } } : {}),
    priority,
    action: 'ACL_ALLOW',
    policyRef,
  };
}

export interface CompiledPolicy {
  readonly acl: TableEntry[];
  /** Endpoint ids of the local pods this policy isolates, per direction. */
  readonly ingress: readonly string[];
  readonly egress: readonly string[];
}

/** One valid policy at its priority: ACL_ALLOW entries for the local pods it selects. */
export function compilePolicy(world: PolicyWorld, np: NetworkPolicy, priority: number): CompiledPolicy {
  const ref = objectKey(np.metadata);
  const ns = np.metadata.namespace!;
  const types = policyTypes(np);
  const acl: TableEntry[] = [];
  const ingress: string[] = [];
  const egress: string[] = [];
  const selected = selectedPods(world, ns, np.spec?.podSelector).filter((p) => p.local);
  for (const pod of selected) {
    const eid = endpointIdOf(pod);
    if (types.ingress) {
      ingress.push(eid);
      for (const rule of np.spec?.ingress ?? []) {
        const from = ingressPeers(rule);
        const sources: (string | undefined)[] = from?.length ? from.flatMap((peer) => peerTargets(world, ns, peer).map((t) => t.prefix)) : [undefined];
        for (const m of portMatches(rule.ports, pod)) {
          for (const src of sources) acl.push(makeEntry('acl', aclBody('ACL_INGRESS', eid, src, m, priority, ref)));
        }
      }
    }
    if (types.egress) {
      egress.push(eid);
      for (const rule of np.spec?.egress ?? []) {
        const targets: PeerTarget[] = rule.to?.length ? rule.to.flatMap((peer) => peerTargets(world, ns, peer)) : [{}];
        const hasNamed = (rule.ports ?? []).some((p) => typeof p.port === 'string');
        for (const t of targets) {
          if (hasNamed && !t.pod) {
            // A named port toward an ipBlock (or toward anywhere): resolve it on the known pods there.
            const numeric = rule.ports!.filter((p) => typeof p.port !== 'string');
            const named = rule.ports!.filter((p) => typeof p.port === 'string');
            if (numeric.length) for (const m of portMatches(numeric, undefined)) acl.push(makeEntry('acl', aclBody('ACL_EGRESS', eid, t.prefix, m, priority, ref)));
            for (const p of world.allPods()) {
              for (const a of p.ips) {
                if (t.prefix && !prefixContainsAddress(t.prefix, a)) continue;
                for (const m of portMatches(named, p)) acl.push(makeEntry('acl', aclBody('ACL_EGRESS', eid, hostPrefix(a), m, priority, ref)));
              }
            }
            continue;
          }
          for (const m of portMatches(rule.ports, t.pod)) acl.push(makeEntry('acl', aclBody('ACL_EGRESS', eid, t.prefix, m, priority, ref)));
        }
      }
    }
  }
  return { acl, ingress, egress };
}

/** The lowest-priority deny of an isolated endpoint, naming the policies that isolate it (in priority order). */
export function isolationDeny(stage: 'ACL_INGRESS' | 'ACL_EGRESS', endpointId: string, refs: readonly string[]): TableEntry {
  return makeEntry('acl', { stage, endpointId, priority: ISOLATION_DENY_PRIORITY, action: 'ACL_DENY', policyRef: refs.join(',') });
}
