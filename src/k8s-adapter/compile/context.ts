// Shared facts the compiler's parts derive once from the cluster state: pods with
// their addresses, namespaces with their labels, this node's addresses, and the
// problem list (bad objects are reported and skipped, never half-applied).
import { createHash } from 'node:crypto';
import type { ClusterState, Node, Pod } from '../cluster-state.js';
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

export interface CompileContext {
  readonly state: ClusterState;
  readonly config: NodeConfig;
  readonly problems: Problem[];
  readonly notes: string[];
  /** Pods that have addresses and are not finished, sorted by key; hostNetwork pods excluded. */
  readonly pods: readonly PodInfo[];
  readonly namespaceLabels: ReadonlyMap<string, Readonly<Record<string, string>>>;
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

export function buildContext(state: ClusterState, config: NodeConfig): CompileContext {
  const problems: Problem[] = [];
  const pods: PodInfo[] = [];
  for (const pod of state.pods) {
    const key = objectKey(pod.metadata ?? {});
    if (!pod.metadata?.name || !pod.metadata.namespace) {
      report({ problems }, 'Pod', key || '(unnamed)', 'metadata.name and metadata.namespace are required');
      continue;
    }
    if (pod.spec?.hostNetwork) continue;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    const ips = podIps(pod);
    if (!ips.length) continue;
    const nodeName = pod.spec?.nodeName ?? '';
    pods.push({ pod, key, namespace: pod.metadata.namespace, labels: pod.metadata.labels ?? {}, ips, nodeName, local: nodeName === config.nodeName });
  }
  pods.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  const namespaceLabels = new Map<string, Readonly<Record<string, string>>>();
  for (const ns of state.namespaces) {
    const name = ns.metadata?.name;
    if (!name) continue;
    // The API server sets this label on every namespace; manifests may omit it.
    namespaceLabels.set(name, { ...(ns.metadata.labels ?? {}), [NAMESPACE_NAME_LABEL]: name });
  }
  for (const p of pods) if (!namespaceLabels.has(p.namespace)) namespaceLabels.set(p.namespace, { [NAMESPACE_NAME_LABEL]: p.namespace });

  const node = state.nodes.find((n) => n.metadata?.name === config.nodeName);
  const { nodeIp, all } = nodeAddressesOf(node);
  return { state, config, problems, notes: [], pods, namespaceLabels, node, nodeIp, nodeAddresses: all };
}

export { nodeAddressesOf };
