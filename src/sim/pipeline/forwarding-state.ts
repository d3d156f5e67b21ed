// Lookup structures built from the table store: exact maps for endpoints and
// neighbors, an LPM trie per VRF and family for routes, priority-ordered ACL lists.
// Each is rebuilt only when its table's version moved.
import {
  parsePrefix,
  type AclEntry,
  type EndpointEntry,
  type NeighborEntry,
  type ParsedPrefix,
  type RouteEntry,
  type ServiceEntry,
  type ServiceSourceEntry,
  type SnatEntry,
  type TunnelTermEntry,
} from '../../hal/index.js';
import { LpmTrie } from '../lookup/lpm-trie.js';
import type { StoredEntry, TableStore } from '../state/table-store.js';

export interface CompiledAcl {
  readonly stored: StoredEntry;
  readonly entry: AclEntry;
  readonly src?: ParsedPrefix;
  readonly dst?: ParsedPrefix;
  readonly priority: number;
}

export interface CompiledSnat {
  readonly stored: StoredEntry;
  readonly entry: SnatEntry;
  readonly src?: ParsedPrefix;
  readonly dst?: ParsedPrefix;
  readonly priority: number;
}

export interface Hit<T> {
  readonly stored: StoredEntry;
  readonly entry: T;
}

export interface RouteHit {
  readonly stored: StoredEntry;
  readonly entry: RouteEntry;
}

const addrKey = (vrf: number, ip: string) => `${vrf}|${ip}`;
const termKey = (ip: string, vni: number, type: string) => `${ip}|${vni}|${type}`;
const serviceKey = (vrf: number, vip: string, protocol: number, port: number) => `${vrf}|${vip}|${protocol}|${port}`;

class Cached<T> {
  private version = -1;
  private value!: T;
  constructor(private readonly tables: string[], private readonly build: () => T) {}
  get(store: TableStore): T {
    const v = this.tables.reduce((sum, t) => sum + store.version(t), 0);
    if (v !== this.version) {
      this.value = this.build();
      this.version = v;
    }
    return this.value;
  }
}

export class ForwardingState {
  private readonly endpoints = new Cached(['endpoint'], () => this.index<EndpointEntry>('endpoint'));
  private readonly neighbors = new Cached(['neighbor'], () => this.index<NeighborEntry>('neighbor'));
  private readonly routes = new Cached(['route'], () => this.buildRoutes());
  private readonly acls = new Cached(['acl'], () => this.buildAcls());
  private readonly terms = new Cached(['tunnel_term'], () => this.keyed<TunnelTermEntry>('tunnel_term', (b) => termKey(b.localIp!, b.vni ?? 0, b.type!)));
  private readonly services = new Cached(['service'], () => this.keyed<ServiceEntry>('service', (b) => serviceKey(b.vrf ?? 0, b.vip!, b.protocol!, b.port ?? 0)));
  private readonly sources = new Cached(['service_source'], () => this.buildSources());
  private readonly snats = new Cached(['snat'], () => this.buildSnat());

  constructor(private readonly store: TableStore) {}

  endpoint(vrf: number, ip: string): { stored: StoredEntry; entry: EndpointEntry } | undefined {
    return this.endpoints.get(this.store).get(addrKey(vrf, ip));
  }

  neighbor(vrf: number, ip: string): { stored: StoredEntry; entry: NeighborEntry } | undefined {
    return this.neighbors.get(this.store).get(addrKey(vrf, ip));
  }

  route(vrf: number, addr: Uint8Array): RouteHit | undefined {
    return this.routes.get(this.store).get(`${vrf}|${addr.length}`)?.lookup(addr)?.value;
  }

  /** ACL entries of a stage, highest priority first. */
  acl(stage: 'ACL_INGRESS' | 'ACL_EGRESS'): readonly CompiledAcl[] {
    return this.acls.get(this.store)[stage];
  }

  tunnelTerm(localIp: string, vni: number, type: 'VXLAN' | 'GENEVE'): Hit<TunnelTermEntry> | undefined {
    return this.terms.get(this.store).get(termKey(localIp, vni, type));
  }

  service(vrf: number, vip: string, protocol: number, port: number): Hit<ServiceEntry> | undefined {
    return this.services.get(this.store).get(serviceKey(vrf, vip, protocol, port));
  }

  /** The source-range trie of a service key, or undefined when no entry exists for it (everyone admitted). */
  serviceSources(vrf: number, vip: string, protocol: number, port: number): LpmTrie<Hit<ServiceSourceEntry>> | undefined {
    return this.sources.get(this.store).get(serviceKey(vrf, vip, protocol, port));
  }

  /** SNAT entries of a VRF, highest priority first. */
  snat(vrf: number): readonly CompiledSnat[] {
    return this.snats.get(this.store).get(vrf) ?? [];
  }

  private keyed<T>(table: string, key: (b: T) => string): Map<string, Hit<T>> {
    const m = new Map<string, Hit<T>>();
    for (const e of this.store.entries(table)) m.set(key(e.body as T), { stored: e, entry: e.body as T });
    return m;
  }

  private buildSources(): Map<string, LpmTrie<Hit<ServiceSourceEntry>>> {
    const m = new Map<string, LpmTrie<Hit<ServiceSourceEntry>>>();
    for (const e of this.store.entries('service_source')) {
      const b = e.body as ServiceSourceEntry;
      const k = serviceKey(b.vrf ?? 0, b.vip!, b.protocol!, b.port ?? 0);
      let trie = m.get(k);
      if (!trie) m.set(k, (trie = new LpmTrie()));
      const p = parsePrefix(b.source!)!;
      trie.set(p.bytes, p.length, { stored: e, entry: b });
    }
    return m;
  }

  private buildSnat(): Map<number, CompiledSnat[]> {
    const m = new Map<number, CompiledSnat[]>();
    for (const e of this.store.entries('snat')) {
      const b = e.body as SnatEntry;
      const vrf = b.vrf ?? 0;
      if (!m.has(vrf)) m.set(vrf, []);
      m.get(vrf)!.push({ stored: e, entry: b, src: b.srcPrefix ? parsePrefix(b.srcPrefix)! : undefined, dst: b.dstPrefix ? parsePrefix(b.dstPrefix)! : undefined, priority: b.priority ?? 0 });
    }
    for (const list of m.values()) list.sort((x, y) => y.priority - x.priority || (x.stored.key < y.stored.key ? -1 : 1));
    return m;
  }

  private index<T>(table: string): Map<string, { stored: StoredEntry; entry: T }> {
    const m = new Map<string, { stored: StoredEntry; entry: T }>();
    for (const e of this.store.entries(table)) {
      const b = e.body as { vrf?: number; ip: string };
      m.set(addrKey(b.vrf ?? 0, b.ip), { stored: e, entry: e.body as T });
    }
    return m;
  }

  private buildRoutes(): Map<string, LpmTrie<RouteHit>> {
    const tries = new Map<string, LpmTrie<RouteHit>>();
    for (const e of this.store.entries('route')) {
      const r = e.body as RouteEntry;
      const p = parsePrefix(r.prefix!)!;
      const k = `${r.vrf ?? 0}|${p.bytes.length}`;
      let trie = tries.get(k);
      if (!trie) tries.set(k, (trie = new LpmTrie()));
      trie.set(p.bytes, p.length, { stored: e, entry: r });
    }
    return tries;
  }

  private buildAcls(): Record<'ACL_INGRESS' | 'ACL_EGRESS', CompiledAcl[]> {
    const out: Record<'ACL_INGRESS' | 'ACL_EGRESS', CompiledAcl[]> = { ACL_INGRESS: [], ACL_EGRESS: [] };
    for (const e of this.store.entries('acl')) {
      const a = e.body as AclEntry;
      out[a.stage as 'ACL_INGRESS' | 'ACL_EGRESS'].push({
        stored: e,
        entry: a,
        src: a.srcPrefix ? parsePrefix(a.srcPrefix)! : undefined,
        dst: a.dstPrefix ? parsePrefix(a.dstPrefix)! : undefined,
        priority: a.priority ?? 0,
      });
    }
    // Higher priority first; equal priorities in key order so the choice is stable.
    for (const list of Object.values(out)) list.sort((x, y) => y.priority - x.priority || (x.stored.key < y.stored.key ? -1 : 1));
    return out;
  }
}

