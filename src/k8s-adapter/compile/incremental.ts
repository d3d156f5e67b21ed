// The compiler, kept incrementally. Each pass finds the objects that changed
// (objects.ts), recompiles only the parts of the output that depend on them, and
// updates the keyed desired map (desired.ts) in place. The parts, and what each
// depends on:
//   endpoint entries of a local pod  - the pod, its isolation, who holds its addresses
//   ACLs of a policy                 - the policy, its priority (rank by name), the pods
//                                      its selectors match (policyDependsOnPod), and
//                                      namespace labels when it has a namespaceSelector
//   isolation deny of an endpoint    - the set of policies isolating it
//   a service's entries              - the service, its EndpointSlices, this node's
//                                      addresses, and which VIPs other services hold
//   routing                          - the Node objects
// The result must equal a fresh compile of the same state whatever the history
// (test/k8s/incremental.test.ts checks random change sequences against one).
import { makeEntry } from '../../hal/index.js';
import type { ClusterState, EndpointSlice, Namespace, NetworkPolicy, Node, Pod, Service } from '../cluster-state.js';
import type { NodeConfig } from '../node-config.js';
import { isPodInfo, namespaceLabelsOf, nodeEnvOf, podInfoOf, type PodInfo, type Problem } from './context.js';
import { canonicalEntries, DesiredStore, type CompiledEntry } from './desired.js';
import { compilePodEndpoints, endpointIdOf } from './endpoints.js';
import { compilePolicy, isolationDeny, POLICY_PRIORITY_TOP, policyDependsOnPod, policyReadsNamespaces, validatePolicy, type PeerTarget, type PolicyWorld } from './network-policy.js';
import { compileRouting } from './routing.js';
import { compileService, serviceEnvOf, sliceServiceKey, type CompiledService, type ServiceEnv } from './services.js';
import { ObjectSet, type ObjectChange } from './objects.js';
import { NAMESPACE_NAME_LABEL } from '../cluster-state.js';

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Above this many (changed pods × policies), every policy is recompiled instead of checked one by one. */
const POLICY_CHECK_LIMIT = 200_000;

interface PolicyRecord {
  np: NetworkPolicy;
  valid: boolean;
  priority: number;
  out: CompiledEntry[];
  ingress: readonly string[];
  egress: readonly string[];
}

interface ServiceRecord {
  compiled: CompiledService;
  problems: Problem[];
  claimEntries: Map<string, CompiledEntry[]>;
  groupEntries: Map<string, CompiledEntry[]>;
  out: CompiledEntry[];
}

type Direction = 'ingress' | 'egress';

/** Problems and notes per part of the output; the sort key orders them as a full compile would list them. */
class Reports {
  private readonly problems = new Map<string, readonly Problem[]>();
  private readonly notes = new Map<string, readonly string[]>();
  private problemList: Problem[] | undefined = [];
  private noteList: string[] | undefined = [];

  setProblems(unit: string, list: readonly Problem[]): void {
    const had = this.problems.has(unit);
    if (!list.length && !had) return;
    if (list.length) this.problems.set(unit, list);
    else this.problems.delete(unit);
    this.problemList = undefined;
  }

  setNotes(unit: string, list: readonly string[]): void {
    const had = this.notes.has(unit);
    if (!list.length && !had) return;
    if (list.length) this.notes.set(unit, list);
    else this.notes.delete(unit);
    this.noteList = undefined;
  }

  allProblems(): Problem[] {
    this.problemList ??= [...this.problems.keys()].sort(byText).flatMap((k) => this.problems.get(k)!);
    return this.problemList;
  }

  allNotes(): string[] {
    this.noteList ??= [...this.notes.keys()].sort(byText).flatMap((k) => this.notes.get(k)!);
    return this.noteList;
  }
}

export interface CompilePass {
  readonly version: number;
  readonly problems: readonly Problem[];
  readonly notes: readonly string[];
  /** EndpointSlices added, changed or removed by this pass (for the programming-latency SLI). */
  readonly sliceChanges: readonly ObjectChange<EndpointSlice>[];
}

export class IncrementalCompiler {
  readonly store = new DesiredStore();
  private readonly reports = new Reports();

  private readonly podSet = new ObjectSet<Pod>();
  private readonly serviceSet = new ObjectSet<Service>();
  private readonly sliceSet = new ObjectSet<EndpointSlice>();
  private readonly policySet = new ObjectSet<NetworkPolicy>();
  private readonly namespaceSet = new ObjectSet<Namespace>();
  private readonly nodeSet = new ObjectSet<Node>();

  private readonly podInfos = new Map<string, PodInfo>();
  private readonly podsByNs = new Map<string, Map<string, PodInfo>>();
  private readonly nsLabels = new Map<string, Readonly<Record<string, string>>>();
  private readonly peerCache = new Map<string, PeerTarget[]>();
  private readonly world: PolicyWorld;

  private readonly endpointOut = new Map<string, CompiledEntry[]>();
  /** Addresses of local pods: which pods claim each (the first by name holds it). */
  private readonly ipClaims = new Map<string, Set<string>>();
  private readonly podIps = new Map<string, readonly string[]>();
  private readonly eidPod = new Map<string, string>();

  private readonly policies = new Map<string, PolicyRecord>();
  private readonly isolatedBy: Record<Direction, Map<string, Set<string>>> = { ingress: new Map(), egress: new Map() };
  private readonly denyOut = new Map<string, CompiledEntry[]>();

  private readonly slicesBySvc = new Map<string, Map<string, EndpointSlice>>();
  private readonly services = new Map<string, ServiceRecord>();
  private readonly vipClaims = new Map<string, Set<string>>();

  private flowLog: CompiledEntry[] | undefined;
  private envText = '';
  private serviceEnv: ServiceEnv | undefined;
  private routingOut: CompiledEntry[] | undefined;

  constructor(readonly config: NodeConfig) {
    const podsByNs = this.podsByNs;
    const podInfos = this.podInfos;
    this.world = {
      podsIn: (ns) => podsByNs.get(ns)?.values() ?? [],
      allPods: () => podInfos.values(),
      namespaceLabels: (ns) => this.labelsOf(ns),
      peerCache: this.peerCache,
    };
  }

  private labelsOf(ns: string): Readonly<Record<string, string>> {
    return this.nsLabels.get(ns) ?? { [NAMESPACE_NAME_LABEL]: ns };
  }

  compile(state: ClusterState): CompilePass {
    const dirtyEndpoints = new Set<string>();
    const dirtyPolicies = new Set<string>();
    const dirtyDenies = new Set<string>();
    const dirtyServices = new Set<string>();

    this.updateNodes(state.nodes, dirtyServices);
    const nsChanged = this.updateNamespaces(state.namespaces);
    const changedPods = this.updatePods(state.pods, dirtyEndpoints);
    if (nsChanged || changedPods.length) this.peerCache.clear();
    this.updatePolicies(state.networkPolicies, dirtyPolicies);
    if (nsChanged) for (const [k, r] of this.policies) if (r.valid && policyReadsNamespaces(r.np)) dirtyPolicies.add(k);
    if (changedPods.length) this.policiesDependingOn(changedPods, dirtyPolicies);
    for (const k of dirtyPolicies) this.compilePolicyUnit(k, dirtyDenies, dirtyEndpoints);
    for (const k of dirtyDenies) this.compileDeny(k);
    for (const k of dirtyEndpoints) this.compileEndpoints(k);
    const sliceChanges = this.updateSlices(state.endpointSlices, dirtyServices);
    for (const c of this.serviceSet.update(state.services)) dirtyServices.add(c.key);
    const reassemble = new Set<string>();
    for (const k of dirtyServices) this.compileServiceUnit(k, reassemble);
    for (const k of reassemble) this.assembleService(k);
    if (!this.flowLog) {
      // Flow records for both verdicts, so denied and allowed flows name their policy.
      this.flowLog = canonicalEntries([makeEntry('flowLog', { recordAllowed: true, recordDenied: true })], []);
      this.store.replace(undefined, this.flowLog);
    }
    const version = this.store.commit();
    return { version, problems: this.reports.allProblems(), notes: this.reports.allNotes(), sliceChanges };
  }

  private updateNodes(nodes: readonly Node[], dirtyServices: Set<string>): void {
    const changes = this.nodeSet.update(nodes);
    if (this.routingOut && !changes.length) return;
    const env = nodeEnvOf(this.nodeSet.byKey.values(), this.config);
    const text = JSON.stringify([!!env.node, env.nodeIp, env.nodeAddresses]);
    if (text !== this.envText) {
      this.envText = text;
      this.serviceEnv = serviceEnvOf(this.config, env);
      for (const k of this.services.keys()) dirtyServices.add(k);
    }
    const problems: Problem[] = [];
    const r = compileRouting({ config: this.config, nodes: this.nodeSet.byKey.values(), env, problems });
    const out = canonicalEntries([...r.nexthop, ...r.tunnel, ...r.tunnelTerm, ...r.route, ...r.snat], problems);
    this.store.replace(this.routingOut, out);
    this.routingOut = out;
    this.reports.setProblems('4|routing', problems);
  }

  private updateNamespaces(list: readonly Namespace[]): boolean {
    const changes = this.namespaceSet.update(list);
    for (const c of changes) {
      const before = c.before?.metadata?.name;
      if (before) this.nsLabels.delete(before);
    }
    for (const c of changes) {
      const after = c.after?.metadata?.name;
      if (after) this.nsLabels.set(after, namespaceLabelsOf(c.after!));
    }
    return changes.length > 0;
  }

  /** Applies pod changes; returns the PodInfos (old and new versions) whose change policies may see. */
  private updatePods(list: readonly Pod[], dirtyEndpoints: Set<string>): PodInfo[] {
    const changed: PodInfo[] = [];
    const touchedIps = new Set<string>();
    for (const c of this.podSet.update(list)) {
      const old = this.podInfos.get(c.key);
      const res = c.after ? podInfoOf(c.after, this.config) : null;
      this.reports.setProblems(`0|${c.key}`, res && !isPodInfo(res) ? [res] : []);
      const info = res && isPodInfo(res) ? res : undefined;
      if (old) {
        this.podInfos.delete(c.key);
        this.podsByNs.get(old.namespace)?.delete(c.key);
        if (old.local) this.eidPod.delete(endpointIdOf(old));
        changed.push(old);
      }
      if (info) {
        this.podInfos.set(c.key, info);
        let ns = this.podsByNs.get(info.namespace);
        if (!ns) this.podsByNs.set(info.namespace, (ns = new Map()));
        ns.set(c.key, info);
        if (info.local) this.eidPod.set(endpointIdOf(info), c.key);
        changed.push(info);
      }
      if (old?.local || info?.local) {
        dirtyEndpoints.add(c.key);
        // Address claims: a change of who claims an address can move it to another pod.
        for (const ip of this.podIps.get(c.key) ?? []) {
          this.ipClaims.get(ip)?.delete(c.key);
          touchedIps.add(ip);
        }
        const ips = info?.local ? info.ips : [];
        if (ips.length) this.podIps.set(c.key, ips);
        else this.podIps.delete(c.key);
        for (const ip of ips) {
          let set = this.ipClaims.get(ip);
          if (!set) this.ipClaims.set(ip, (set = new Set()));
          set.add(c.key);
          touchedIps.add(ip);
        }
      }
    }
    for (const ip of touchedIps) {
      const set = this.ipClaims.get(ip);
      if (!set) continue;
      if (!set.size) this.ipClaims.delete(ip);
      else if (set.size > 1 || !dirtyEndpoints.has([...set][0])) for (const k of set) dirtyEndpoints.add(k);
    }
    return changed;
  }

  private updatePolicies(list: readonly NetworkPolicy[], dirty: Set<string>): void {
    const changes = this.policySet.update(list);
    if (!changes.length) return;
    let orderChanged = false;
    for (const c of changes) {
      dirty.add(c.key);
      const rec = this.policies.get(c.key);
      const np = c.after;
      if (!np) {
        if (rec?.valid) orderChanged = true;
        if (rec) rec.valid = false;
        continue;
      }
      let problem: string | null;
      if (!np.metadata?.name || !np.metadata.namespace) problem = 'metadata.name and metadata.namespace are required';
      else {
        const p = validatePolicy(np);
        problem = p ? `${p}; policy skipped` : null;
      }
      const objectName = np.metadata?.name && np.metadata.namespace ? c.key : c.key || '(unnamed)';
      this.reports.setProblems(`1|${c.key}`, problem ? [{ object: `NetworkPolicy ${objectName}`, message: problem }] : []);
      const valid = !problem;
      if (valid !== !!rec?.valid) orderChanged = true;
      if (rec) {
        rec.np = np;
        rec.valid = valid;
      } else this.policies.set(c.key, { np, valid, priority: 0, out: [], ingress: [], egress: [] });
    }
    if (!orderChanged) return;
    // One priority per policy, by name: a policy added or removed shifts those after it.
    const order = [...this.policies.entries()].filter(([, r]) => r.valid).map(([k]) => k).sort(byText);
    order.forEach((k, i) => {
      const r = this.policies.get(k)!;
      const priority = POLICY_PRIORITY_TOP - i;
      if (r.priority !== priority) {
        r.priority = priority;
        dirty.add(k);
      }
    });
  }

  private policiesDependingOn(pods: readonly PodInfo[], dirty: Set<string>): void {
    const labels = (ns: string) => this.labelsOf(ns);
    const all = pods.length * this.policies.size > POLICY_CHECK_LIMIT;
    for (const [k, r] of this.policies) {
      if (!r.valid || dirty.has(k)) continue;
      if (all || pods.some((p) => policyDependsOnPod(r.np, p, labels))) dirty.add(k);
    }
  }

  private compilePolicyUnit(key: string, dirtyDenies: Set<string>, dirtyEndpoints: Set<string>): void {
    const rec = this.policies.get(key);
    if (!rec) return;
    let out: CompiledEntry[] = [];
    let ingress: readonly string[] = [];
    let egress: readonly string[] = [];
    if (rec.valid) {
      const compiled = compilePolicy(this.world, rec.np, rec.priority);
      const problems: Problem[] = [];
      out = canonicalEntries(compiled.acl, problems);
      this.reports.setProblems(`1|${key}`, problems);
      ingress = compiled.ingress;
      egress = compiled.egress;
    }
    this.store.replace(rec.out, out);
    this.isolate('ingress', key, rec.ingress, ingress, dirtyDenies, dirtyEndpoints);
    this.isolate('egress', key, rec.egress, egress, dirtyDenies, dirtyEndpoints);
    rec.out = out;
    rec.ingress = ingress;
    rec.egress = egress;
    if (!this.policySet.byKey.has(key)) {
      this.store.replace(out, []);
      this.policies.delete(key);
      this.reports.setProblems(`1|${key}`, []);
    }
  }

  private isolate(dir: Direction, ref: string, before: readonly string[], after: readonly string[], dirtyDenies: Set<string>, dirtyEndpoints: Set<string>): void {
    if (before === after) return;
    const next = new Set(after);
    const map = this.isolatedBy[dir];
    const touch = (eid: string) => {
      dirtyDenies.add(`${dir}|${eid}`);
      const pod = this.eidPod.get(eid);
      if (pod) dirtyEndpoints.add(pod);
    };
    for (const eid of before) {
      if (next.has(eid)) continue;
      const set = map.get(eid);
      set?.delete(ref);
      if (set && !set.size) map.delete(eid);
      touch(eid);
    }
    const prev = new Set(before);
    for (const eid of after) {
      if (prev.has(eid)) continue;
      let set = map.get(eid);
      if (!set) map.set(eid, (set = new Set()));
      set.add(ref);
      touch(eid);
    }
  }

  private compileDeny(unit: string): void {
    const [dir, eid] = unit.split(/\|(.*)/s) as [Direction, string];
    const refs = [...(this.isolatedBy[dir].get(eid) ?? [])].sort(byText);
    const problems: Problem[] = [];
    const out = refs.length ? canonicalEntries([isolationDeny(dir === 'ingress' ? 'ACL_INGRESS' : 'ACL_EGRESS', eid, refs)], problems) : [];
    this.store.replace(this.denyOut.get(unit), out);
    if (out.length) this.denyOut.set(unit, out);
    else this.denyOut.delete(unit);
    this.reports.setProblems(`5|${unit}`, problems);
  }

  private compileEndpoints(podKey: string): void {
    const info = this.podInfos.get(podKey);
    const problems: Problem[] = [];
    let out: CompiledEntry[] = [];
    if (info?.local) {
      const eid = endpointIdOf(info);
      const isolation = { ingress: !!this.isolatedBy.ingress.get(eid)?.size, egress: !!this.isolatedBy.egress.get(eid)?.size };
      const takenBy = (ip: string) => {
        const holder = [...(this.ipClaims.get(ip) ?? [])].sort(byText)[0];
        return holder && holder !== podKey ? holder : undefined;
      };
      out = canonicalEntries(compilePodEndpoints(this.config, info, isolation, takenBy, problems), problems);
    }
    this.store.replace(this.endpointOut.get(podKey), out);
    if (out.length) this.endpointOut.set(podKey, out);
    else this.endpointOut.delete(podKey);
    this.reports.setProblems(`2|${podKey}`, problems);
  }

  private updateSlices(list: readonly EndpointSlice[], dirtyServices: Set<string>): ObjectChange<EndpointSlice>[] {
    const changes = this.sliceSet.update(list);
    for (const c of changes) {
      const before = c.before && sliceServiceKey(c.before);
      const after = c.after && sliceServiceKey(c.after);
      if (before) {
        this.slicesBySvc.get(before)?.delete(c.key);
        dirtyServices.add(before);
      }
      if (after) {
        let m = this.slicesBySvc.get(after);
        if (!m) this.slicesBySvc.set(after, (m = new Map()));
        m.set(c.key, c.after!);
        dirtyServices.add(after);
      }
    }
    return changes;
  }

  private compileServiceUnit(key: string, reassemble: Set<string>): void {
    const svc = this.serviceSet.byKey.get(key);
    const rec = this.services.get(key);
    if (!svc && !rec) return;
    const oldClaims = rec?.compiled.claims.map((c) => c.vipKey) ?? [];
    if (!svc) {
      this.store.replace(rec!.out, []);
      this.services.delete(key);
      this.reports.setProblems(`3|${key}`, []);
      this.reports.setNotes(`3|${key}`, []);
      this.moveClaims(key, oldClaims, [], reassemble);
      return;
    }
    const slices = [...(this.slicesBySvc.get(key)?.entries() ?? [])].sort(([a], [b]) => byText(a, b)).map(([, s]) => s);
    const compiled = compileService(this.serviceEnv!, svc, slices);
    const problems = [...compiled.problems];
    const claimEntries = new Map<string, CompiledEntry[]>();
    for (const c of compiled.claims) claimEntries.set(c.vipKey, canonicalEntries(c.entries, problems));
    const groupEntries = new Map<string, CompiledEntry[]>();
    for (const [id, g] of compiled.groups) groupEntries.set(id, canonicalEntries([g], problems));
    this.services.set(key, { compiled, problems, claimEntries, groupEntries, out: rec?.out ?? [] });
    this.reports.setNotes(`3|${key}`, compiled.notes);
    this.moveClaims(key, oldClaims, compiled.claims.map((c) => c.vipKey), reassemble);
    reassemble.add(key);
  }

  private moveClaims(key: string, before: readonly string[], after: readonly string[], reassemble: Set<string>): void {
    const next = new Set(after);
    const touched: string[] = [];
    for (const v of before) {
      if (next.has(v)) continue;
      const set = this.vipClaims.get(v);
      set?.delete(key);
      if (set && !set.size) this.vipClaims.delete(v);
      touched.push(v);
    }
    const prev = new Set(before);
    for (const v of after) {
      if (prev.has(v)) continue;
      let set = this.vipClaims.get(v);
      if (!set) this.vipClaims.set(v, (set = new Set()));
      set.add(key);
      touched.push(v);
    }
    for (const v of touched) for (const k of this.vipClaims.get(v) ?? []) reassemble.add(k);
  }

  /** A service's entries given which of its VIPs it holds. */
  private assembleService(key: string): void {
    const rec = this.services.get(key);
    if (!rec) return;
    const problems = [...rec.problems];
    const out: CompiledEntry[] = [];
    const groups = new Set<string>();
    for (const c of rec.compiled.claims) {
      const holder = [...(this.vipClaims.get(c.vipKey) ?? [])].sort(byText)[0];
      if (holder !== key) {
        problems.push({ object: `Service ${key}`, message: `${c.what} is already served for ${holder}; skipped` });
        continue;
      }
      out.push(...rec.claimEntries.get(c.vipKey)!);
      if (!groups.has(c.groupId)) {
        groups.add(c.groupId);
        out.push(...(rec.groupEntries.get(c.groupId) ?? []));
      }
    }
    this.store.replace(rec.out, out);
    rec.out = out;
    this.reports.setProblems(`3|${key}`, problems);
  }
}
