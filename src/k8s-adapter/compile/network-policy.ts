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
import { report, type CompileContext, type PodInfo } from './context.js';
import { endpointIdOf, type Isolation } from './endpoints.js';

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
interface PeerTarget {
  readonly prefix?: string;
  readonly pod?: PodInfo;
}

export interface PolicyResult {
  readonly acl: TableEntry[];
  readonly isolation: Isolation;
}

function validatePolicy(np: NetworkPolicy): string | null {
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

function policyTypes(np: NetworkPolicy): { ingress: boolean; egress: boolean } {
  const types = np.spec?.policyTypes;
  if (types && types.length) return { ingress: types.includes('Ingress'), egress: types.includes('Egress') };
  // The API's default: Ingress always, Egress when the policy has egress rules.
  return { ingress: true, egress: (np.spec?.egress ?? []).length > 0 };
}

function selectedPods(ctx: CompileContext, namespace: string, selector: LabelSelector | undefined): PodInfo[] {
  const sel = selector ?? {};
  return ctx.pods.filter((p) => p.namespace === namespace && selectorMatches(sel, p.labels));
}

function peerTargets(ctx: CompileContext, policyNs: string, peer: NetworkPolicyPeer): PeerTarget[] {
  if (peer.ipBlock) {
    const cidr = normalizePrefix(peer.ipBlock.cidr)!;
    const prefixes = subtractPrefixes(cidr, (peer.ipBlock.except ?? []).map((e) => normalizePrefix(e)!));
    return prefixes.map((prefix) => ({ prefix }));
  }
  const nsMatch = (ns: string) => {
    if (!peer.namespaceSelector) return ns === policyNs;
    return selectorMatches(peer.namespaceSelector, ctx.namespaceLabels.get(ns));
  };
  const podSel = peer.podSelector ?? {};
  const out: PeerTarget[] = [];
  for (const p of ctx.pods) {
    if (!nsMatch(p.namespace) || !selectorMatches(podSel, p.labels)) continue;
    for (const ip of p.ips) out.push({ prefix: hostPrefix(ip), pod: p });
  }
  return out;
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

export function compileNetworkPolicies(ctx: CompileContext): PolicyResult {
  const policies = [...ctx.state.networkPolicies]
    .filter((np) => {
      const key = objectKey(np.metadata ?? {});
      if (!np.metadata?.name || !np.metadata.namespace) {
        report(ctx, 'NetworkPolicy', key || '(unnamed)', 'metadata.name and metadata.namespace are required');
        return false;
      }
      const problem = validatePolicy(np);
      if (problem) report(ctx, 'NetworkPolicy', key, `${problem}; policy skipped`);
      return !problem;
    })
    .sort((a, b) => (objectKey(a.metadata) < objectKey(b.metadata) ? -1 : 1));

  const acl: TableEntry[] = [];
  const isolatedBy = { ingress: new Map<string, string[]>(), egress: new Map<string, string[]>() };
  for (const [index, np] of policies.entries()) {
    const ref = objectKey(np.metadata);
    const priority = POLICY_PRIORITY_TOP - index;
    const ns = np.metadata.namespace!;
    const types = policyTypes(np);
    const selected = selectedPods(ctx, ns, np.spec?.podSelector).filter((p) => p.local);
    for (const pod of selected) {
      const eid = endpointIdOf(pod);
      if (types.ingress) {
        isolatedBy.ingress.set(eid, [...(isolatedBy.ingress.get(eid) ?? []), ref]);
        for (const rule of np.spec?.ingress ?? []) {
          const from = ingressPeers(rule);
          const sources: (string | undefined)[] = from?.length ? from.flatMap((peer) => peerTargets(ctx, ns, peer).map((t) => t.prefix)) : [undefined];
          for (const m of portMatches(rule.ports, pod)) {
            for (const src of sources) acl.push(makeEntry('acl', aclBody('ACL_INGRESS', eid, src, m, priority, ref)));
          }
        }
      }
      if (types.egress) {
        isolatedBy.egress.set(eid, [...(isolatedBy.egress.get(eid) ?? []), ref]);
        for (const rule of np.spec?.egress ?? []) {
          const targets: PeerTarget[] = rule.to?.length ? rule.to.flatMap((peer) => peerTargets(ctx, ns, peer)) : [{}];
          const hasNamed = (rule.ports ?? []).some((p) => typeof p.port === 'string');
          for (const t of targets) {
            if (hasNamed && !t.pod) {
              // A named port toward an ipBlock (or toward anywhere): resolve it on the known pods there.
              const numeric = rule.ports!.filter((p) => typeof p.port !== 'string');
              const named = rule.ports!.filter((p) => typeof p.port === 'string');
              if (numeric.length) for (const m of portMatches(numeric, undefined)) acl.push(makeEntry('acl', aclBody('ACL_EGRESS', eid, t.prefix, m, priority, ref)));
              for (const p of ctx.pods) {
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
  }
  for (const [dir, stage] of [['ingress', 'ACL_INGRESS'], ['egress', 'ACL_EGRESS']] as const) {
    for (const [eid, refs] of isolatedBy[dir]) {
      acl.push(makeEntry('acl', { stage, endpointId: eid, priority: ISOLATION_DENY_PRIORITY, action: 'ACL_DENY', policyRef: refs.join(',') }));
    }
  }
  return { acl, isolation: { ingress: new Set(isolatedBy.ingress.keys()), egress: new Set(isolatedBy.egress.keys()) } };
}
