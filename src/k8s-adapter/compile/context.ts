// Shared facts the compiler's parts derive once from the cluster state: pods with
// their addresses, namespaces with their labels, this node's addresses, and the
// problem list (bad objects are reported and skipped, never half-applied).
import { createHash } from 'node:crypto';
import type { Namespace, Node, Pod } from '../cluster-state.js';
import { NAMESPACE_NAME_LABEL, objectKey } from '../cluster-state.js';
import { canonicalAddress, familyOf, type Family } from '../ip-math.js';
import type { NodeConfig } from '../node-config.js';

export interface Problem {
  /** "Kind namespace/name". */
  readonly object: string;
  readonly message: string;
}

export interface PodInfo {
  readonly pod: Pod;
  readonly key: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Canonical addresses, first of each family only (as the API allows). */
  readonly ips: readonly string[];
  readonly nodeName: string;
  readonly local: boolean;
}

/** What the compiler derives from this node's Node object (changes rarely; every service depends on it). */
export interface NodeEnv {
  readonly node: Node | undefined;
  /** This node's InternalIP per family (the tunnel and SNAT source). */
  readonly nodeIp: Partial<Record<Family, string>>;
  /** Every address of this node (InternalIP and ExternalIP): NodePort VIPs. */
  readonly nodeAddresses: readonly string[];
}

export function report(ctx: { problems: Problem[] }, kind: string, key: string, message: string): void {
  ctx.problems.push({ object: `${kind} ${key}`, message });
}

const ID_RE = /^[A-Za-z0-9._:/-]{1,128}$/;

/** A HAL id from readable parts; hashed when the text would be too long or carry other characters. */
export function halId(prefix: string, key: string): string {
  const text = `${prefix}:${key}`;
  if (ID_RE.test(text)) return text;
  return `${prefix}:h-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

export function stableHash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

function podIps(pod: Pod): string[] {
  const raw = pod.status?.podIPs?.length ? pod.status.podIPs.map((p) => p.ip) : pod.status?.podIP ? [pod.status.podIP] : [];
  const out: string[] = [];
  const seen = new Set<Family>();
  for (const r of raw) {
    const a = typeof r === 'string' ? canonicalAddress(r) : null;
    if (!a) continue;
    const f = familyOf(a);
    if (seen.has(f)) continue;
    seen.add(f);
    out.push(a);
  }
  return out;
}

function nodeAddressesOf(node: Node | undefined): { nodeIp: Partial<Record<Family, string>>; all: string[] } {
  const nodeIp: Partial<Record<Family, string>> = {};
  const all: string[] = [];
  for (const a of node?.status?.addresses ?? []) {
    if (a.type !== 'InternalIP' && a.type !== 'ExternalIP') continue;
    const addr = canonicalAddress(a.address);
    if (!addr) continue;
    if (!all.includes(addr)) all.push(addr);
    const f = familyOf(addr);
    if (a.type === 'InternalIP' && !nodeIp[f]) nodeIp[f] = addr;
  }
  return { nodeIp, all };
}

/**
 * A pod as the compiler sees it, or why it is left out: null for pods that carry
 * no traffic of their own (hostNetwork, finished, no address yet), a problem for
 * malformed ones.
 */
export function podInfoOf(pod: Pod, config: NodeConfig): PodInfo | Problem | null {
  const key = objectKey(pod.metadata ?? {});
  if (!pod.metadata?.name || !pod.metadata.namespace) return { object: `Pod ${key || '(unnamed)'}`, message: 'metadata.name and metadata.namespace are required' };
  if (pod.spec?.hostNetwork) return null;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return null;
  const ips = podIps(pod);
  if (!ips.length) return null;
  const nodeName = pod.spec?.nodeName ?? '';
  return { pod, key, namespace: pod.metadata.namespace, labels: pod.metadata.labels ?? {}, ips, nodeName, local: nodeName === config.nodeName };
}

export function isPodInfo(x: PodInfo | Problem | null): x is PodInfo {
  return !!x && 'pod' in x;
}

/** A namespace's labels; the API server sets kubernetes.io/metadata.name on every namespace, manifests may omit it. */
export function namespaceLabelsOf(ns: Namespace): Readonly<Record<string, string>> {
  return { ...(ns.metadata.labels ?? {}), [NAMESPACE_NAME_LABEL]: ns.metadata.name ?? '' };
}

export function nodeEnvOf(nodes: Iterable<Node>, config: NodeConfig): NodeEnv {
  let node: Node | undefined;
  for (const n of nodes) if (n.metadata?.name === config.nodeName) node = node ?? n;
  const { nodeIp, all } = nodeAddressesOf(node);
  return { node, nodeIp, nodeAddresses: all };
}

export { nodeAddressesOf };
