// Deliberately broken reference drivers, one seeded semantic bug each. The
// conformance suite must fail every one of them (test/conformance/mutants.test.ts).
import { ReferenceDriver } from '../../../src/drivers/reference/index.js';
import {
  HalError,
  entryParts,
  keyString,
  parsePrefix,
  prefixContains,
  stateDigest,
  type CallOptions,
  type InjectRequest,
  type InjectResponse,
  type ReadRequest,
  type EntryRecord,
  type WriteRequest,
  type WriteResponse,
} from '../../../src/hal/index.js';
import type { CompiledAcl, RouteHit } from '../../../src/sim/pipeline/forwarding-state.js';
import type { StoredEntry } from '../../../src/sim/state/table-store.js';
import { patched, subclassed, type Mutant } from './seams.js';

type Fn = (...a: never[]) => unknown;
/** Replaces a method on one object, giving the patch the original. */
function hook<T extends object, K extends keyof T>(obj: T, key: K, make: (orig: T[K]) => T[K]): void {
  const orig = (obj[key] as Fn).bind(obj) as T[K];
  obj[key] = make(orig);
}

// ------------------------------------------------------------------ output rewrites (bugs at egress)

/** A driver whose emitted frames pass through `edit` (what a broken egress stage would do). */
class EgressBug extends ReferenceDriver {
  constructor(private readonly edit: (out: Uint8Array, input: Uint8Array) => void) {
    super();
  }
  override async inject(req: InjectRequest): Promise<InjectResponse> {
    const r = await super.inject(req);
    for (const e of r.emitted ?? []) this.edit(e.frame!, req.frame!);
    return r;
  }
  override async capture(req: Parameters<ReferenceDriver['capture']>[0]) {
    // Emitted frames are the captured objects too; edits above already apply.
    return super.capture(req);
  }
}

const isV4 = (f: Uint8Array) => f.length > 34 && f[12] === 0x08 && f[13] === 0x00;
const isV6 = (f: Uint8Array) => f.length > 54 && f[12] === 0x86 && f[13] === 0xdd;

function ipv4Checksum(f: Uint8Array): void {
  f[24] = 0;
  f[25] = 0;
  let s = 0;
  for (let i = 14; i < 34; i += 2) s += (f[i] << 8) | f[i + 1];
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  s = ~s & 0xffff;
  f[24] = s >> 8;
  f[25] = s & 0xff;
}

// ------------------------------------------------------------------ the mutants

export const MUTANTS: readonly Mutant[] = [
  patched('lpm-shortest-wins', 'LPM tie-break inverted: the shortest matching prefix wins', ['forwarding'], ({ fwd, store }) => {
    fwd.route = (vrf: number, addr: Uint8Array): RouteHit | undefined => {
      let best: RouteHit | undefined;
      let bestLen = 999;
      for (const e of store.entries('route')) {
        const b = e.body as { vrf?: number; prefix: string };
        const p = parsePrefix(b.prefix)!;
        if ((b.vrf ?? 0) !== vrf || p.bytes.length !== addr.length || !prefixContains(p, addr)) continue;
        if (p.length < bestLen) [best, bestLen] = [{ stored: e, entry: e.body as RouteHit['entry'] }, p.length];
      }
      return best;
    };
  }),

  patched('rollback-partial', 'batch rollback leaves the first applied update in place', ['core'], ({ store, storePriv }) => {
    hook(store, 'transaction', (orig) => ((fn: (rollback: () => void) => unknown) =>
      orig((rollback) => fn(() => {
        (storePriv.undoLog as unknown[]).shift();
        rollback();
      }))) as typeof orig);
  }),

  patched('digest-skips-neighbor', 'the state digest leaves out the neighbor table', ['core'], ({ store }) => {
    store.digest = () => stateDigest([...store.all()].filter((e) => e.table.name !== 'neighbor').map((e) => ({ table: e.table, body: e.body })));
  }),

  subclassed('statuses-reversed', 'per-update statuses of a failed batch come back in reverse order', ['core'], () =>
    new (class extends ReferenceDriver {
      override async write(req: WriteRequest, opts?: CallOptions): Promise<WriteResponse> {
        try {
          return await super.write(req, opts);
        } catch (e) {
          if (e instanceof HalError && e.updates && e.updates.length > 1) throw new HalError(e.code, e.reason, e.message, { updates: [...e.updates].reverse(), generation: e.generation, digest: e.digest });
          throw e;
        }
      }
    })(),
  ),

  patched('generation-stuck-on-delete', 'a Write made only of DELETEs does not move the generation', ['core'], ({ driver, driverPriv }) => {
    hook(driver, 'write', (orig) => (async (req: WriteRequest, opts?: CallOptions) => {
      const r = await orig(req, opts);
      if ((req.updates ?? []).every((u) => u.type === 'DELETE')) {
        driverPriv.generation = (driverPriv.generation as number) - 1;
        return { ...r, generation: driverPriv.generation as number };
      }
      return r;
    }) as typeof orig);
  }),

  subclassed('read-filter-ignored', 'Read ignores its filters', ['core'], () =>
    new (class extends ReferenceDriver {
      override async read(req: ReadRequest): Promise<EntryRecord[]> {
        const all = await super.read(req);
        return req.filters?.length ? super.read({ ...req, filters: [] }) : all;
      }
    })(),
  ),

  patched('capacity-not-enforced', 'INSERT never reports TABLE_FULL (declared maxEntries are not enforced)', ['core'], ({ storePriv }) => {
    const limits = storePriv.limits as Record<string, { maxEntries: number; maxGroupMembers?: number }>;
    for (const k of Object.keys(limits)) limits[k] = { ...limits[k], maxEntries: Number.MAX_SAFE_INTEGER };
  }),

  patched('capacity-off-by-one', 'a table accepts one entry more than its declared maxEntries', ['core'], ({ storePriv }) => {
    const limits = storePriv.limits as Record<string, { maxEntries: number; maxGroupMembers?: number }>;
    for (const k of Object.keys(limits)) limits[k] = { ...limits[k], maxEntries: limits[k].maxEntries + 1 };
  }),

  patched('group-limit-ignored', 'ECMP groups larger than maxGroupMembers are accepted', ['core'], ({ storePriv }) => {
    const limits = storePriv.limits as Record<string, { maxEntries: number; maxGroupMembers?: number }>;
    limits.ecmp_group = { maxEntries: limits.ecmp_group.maxEntries };
  }),

  subclassed('ttl-not-decremented', 'routed IPv4 packets leave with their TTL unchanged (checksum consistent)', ['forwarding'], () =>
    new EgressBug((out, input) => {
      if (!isV4(out) || !isV4(input)) return;
      out[22] = input[22];
      ipv4Checksum(out);
    }),
  ),

  subclassed('ipv4-checksum-stale', 'TTL is decremented but the IPv4 header checksum is not updated', ['forwarding'], () =>
    new EgressBug((out, input) => {
      if (!isV4(out) || !isV4(input)) return;
      out[24] = input[24];
      out[25] = input[25];
    }),
  ),

  subclassed('hop-limit-not-decremented', 'routed IPv6 packets keep their hop limit', ['forwarding'], () =>
    new EgressBug((out, input) => {
      if (isV6(out) && isV6(input)) out[21] = input[21];
    }),
  ),

  subclassed('source-mac-kept', 'the source MAC is not rewritten to the egress port\'s MAC', ['forwarding'], () =>
    new EgressBug((out, input) => {
      out.set(input.subarray(6, 12), 6);
    }),
  ),

  patched('ecmp-ignores-weights', 'ECMP treats every member as weight 1', ['forwarding'], ({ store }) => {
    hook(store, 'object', (orig) => ((table: string, id: string | number) => {
      const e = orig(table, id);
      if (table !== 'ecmp_group' || !e) return e;
      const body = e.body as { id: string; members?: { nexthopId: string; weight?: number }[] };
      return { ...e, body: { ...body, members: (body.members ?? []).map((m) => ({ nexthopId: m.nexthopId })) } };
    }) as typeof orig);
  }),

  patched('nexthop-dmac-ignored', 'a next hop\'s fixed dmac is ignored: the neighbor table is always consulted', ['forwarding'], ({ store }) => {
    hook(store, 'object', (orig) => ((table: string, id: string | number) => {
      const e = orig(table, id);
      if (table !== 'nexthop' || !e) return e;
      const b = e.body as { port?: { portId: string; ip?: string; dmac?: string } };
      if (!b.port?.dmac) return e;
      const { dmac: _drop, ...port } = b.port;
      return { ...e, body: { ...e.body, port } };
    }) as typeof orig);
  }),

  patched('neighbor-ignores-vrf', 'neighbor lookup ignores the VRF', ['forwarding'], ({ fwd }) => {
    hook(fwd, 'neighbor', (orig) => ((vrf: number, ip: string) => orig(vrf, ip) ?? orig(0, ip)) as typeof orig);
  }),

  patched('isolation-ignored', 'endpoint isolation flags are ignored (no default deny)', ['policy'], ({ fwd }) => {
    hook(fwd, 'endpoint', (orig) => ((vrf: number, ip: string) => {
      const e = orig(vrf, ip);
      if (!e) return e;
      const { isolatedIngress: _i, isolatedEgress: _e, ...entry } = e.entry;
      return { ...e, entry };
    }) as typeof orig);
  }),

  patched('acl-priority-inverted', 'the lowest-priority matching ACL entry decides', ['policy'], ({ fwd }) => {
    hook(fwd, 'acl', (orig) => ((stage: 'ACL_INGRESS' | 'ACL_EGRESS') => [...orig(stage)].reverse()) as typeof orig);
  }),

  patched('acl-egress-skipped', 'the ACL_EGRESS stage is never evaluated', ['policy'], ({ fwd }) => {
    hook(fwd, 'acl', (orig) => ((stage: 'ACL_INGRESS' | 'ACL_EGRESS') => (stage === 'ACL_EGRESS' ? [] : orig(stage))) as typeof orig);
  }),

  patched('acl-zero-prefix-any-family', 'an ACL prefix of length 0 matches both address families', ['policy'], ({ fwd }) => {
    hook(fwd, 'acl', (orig) => ((stage: 'ACL_INGRESS' | 'ACL_EGRESS') =>
      orig(stage).map((r): CompiledAcl => ({ ...r, src: r.src?.length === 0 ? undefined : r.src, dst: r.dst?.length === 0 ? undefined : r.dst }))) as typeof orig);
  }),

  patched('acl-empty-range-wildcard', 'a present empty port range {} is treated as absent (any port)', ['policy'], ({ fwd }) => {
    hook(fwd, 'acl', (orig) => ((stage: 'ACL_INGRESS' | 'ACL_EGRESS') =>
      orig(stage).map((r): CompiledAcl => {
        const { dstPorts, srcPorts, ...rest } = r.entry;
        const keep = (p: typeof dstPorts) => (p && (p.lo || p.hi) ? p : undefined);
        return { ...r, entry: { ...rest, ...(keep(dstPorts) && { dstPorts }), ...(keep(srcPorts) && { srcPorts }) } };
      })) as typeof orig);
  }),

  patched('references-unchecked', 'INSERT and MODIFY accept references to missing objects', ['core'], ({ storePriv }) => {
    storePriv.checkRefs = () => undefined;
  }),

  patched('in-use-ignored', 'DELETE of a referenced object succeeds (OBJECT_IN_USE never reported)', ['core'], ({ storePriv }) => {
    const counts = storePriv.refCounts as Map<string, number>;
    counts.get = () => undefined;
  }),

  patched('underlay-unchecked', 'a tunnel may name a tunnel next hop as its underlay', ['core'], ({ storePriv }) => {
    storePriv.checkUnderlay = () => undefined;
  }),

  patched('device-owned-lost', 'start-up rows are not marked device-owned (ports can be deleted)', ['core'], ({ store }) => {
    for (const e of store.all()) (e as { deviceOwned: boolean }).deviceOwned = false;
  }),

  subclassed('modify-merges', 'MODIFY merges into the stored entry instead of replacing it', ['core'], () => {
    const d: ReferenceDriver = new (class extends ReferenceDriver {
      override async write(req: WriteRequest, opts?: CallOptions): Promise<WriteResponse> {
        const updates = (req.updates ?? []).map((u) => {
          if (u.type !== 'MODIFY' || !u.entry) return u;
          try {
            const { member, table, body } = entryParts(u.entry);
            const old: StoredEntry | undefined = d.sim.store.get(table.name, keyString(table, body));
            return old ? { ...u, entry: { [member]: { ...old.body, ...body } } } : u;
          } catch {
            return u;
          }
        });
        return super.write({ ...req, updates }, opts);
      }
    })();
    return d;
  }),

  subclassed('non-canonical-rewritten', 'non-canonical addresses are lowercased and stored instead of rejected', ['core'], () =>
    new (class extends ReferenceDriver {
      override async write(req: WriteRequest, opts?: CallOptions): Promise<WriteResponse> {
        const lower = (v: unknown): unknown =>
          typeof v === 'string' && /^[0-9A-Fa-f:.]+$/.test(v) && v.includes(':') ? v.toLowerCase() : Array.isArray(v) ? v.map(lower) : v && typeof v === 'object' && !(v instanceof Uint8Array) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, lower(x)])) : v;
        return super.write({ ...req, updates: (req.updates ?? []).map((u) => lower(u) as typeof u) }, opts);
      }
    })(),
  ),

  subclassed('drops-uncounted', 'dropped packets are not counted in GetCounters', ['forwarding'], () =>
    new (class extends ReferenceDriver {
      override async getCounters() {
        return { ...(await super.getCounters()), drops: {} };
      }
    })(),
  ),

  patched('admin-down-ignored', 'a port with adminUp false still forwards', ['forwarding'], ({ sim }) => {
    hook(sim, 'portConfig', (orig) => ((id: string) => ({ ...orig(id), adminUp: true })) as typeof orig);
  }),

  patched('rollback-moves-generation', 'a rolled-back batch still moves the generation', ['core'], ({ driver, driverPriv }) => {
    hook(driver, 'write', (orig) => (async (req: WriteRequest, opts?: CallOptions) => {
      try {
        return await orig(req, opts);
      } catch (e) {
        if (e instanceof HalError && e.updates && (req.atomicity ?? 'CONTINUE_ON_ERROR') !== 'CONTINUE_ON_ERROR') driverPriv.generation = (driverPriv.generation as number) + 1;
        throw e;
      }
    }) as typeof orig);
  }),

  subclassed('capture-peek-removes', 'Capture with peek hands the packets over anyway', ['core'], () =>
    new (class extends ReferenceDriver {
      override async capture(req: Parameters<ReferenceDriver['capture']>[0]) {
        return super.capture({ ...req, peek: false });
      }
    })(),
  ),

  subclassed('capture-keeps-packets', 'Capture never removes the packets it returns', ['core'], () =>
    new (class extends ReferenceDriver {
      override async capture(req: Parameters<ReferenceDriver['capture']>[0]) {
        return super.capture({ ...req, peek: true });
      }
    })(),
  ),

  subclassed('cancel-ignored', 'a Write cancelled before it starts is applied anyway', ['core'], () =>
    new (class extends ReferenceDriver {
      override async write(req: WriteRequest): Promise<WriteResponse> {
        return super.write(req);
      }
    })(),
  ),

  subclassed('undeclared-action-accepted', 'route action nexthopId is left out of Describe but still accepted', ['core'], () =>
    new (class extends ReferenceDriver {
      override async describe() {
        const d = await super.describe();
        for (const t of d.capabilities?.tables ?? []) if (t.name === 'route') t.actions = (t.actions ?? []).filter((a) => a !== 'nexthopId');
        return d;
      }
    })(),
  ),

  subclassed('undeclared-key-accepted', 'neighbor key field vrf is left out of Describe but still matched', ['core'], () =>
    new (class extends ReferenceDriver {
      override async describe() {
        const d = await super.describe();
        for (const t of d.capabilities?.tables ?? []) if (t.name === 'neighbor') t.keyFields = (t.keyFields ?? []).filter((k) => k.name !== 'vrf');
        return d;
      }
    })(),
  ),

  patched('write-returns-stale-digest', 'Write returns the digest from before the write', ['core'], ({ driver }) => {
    hook(driver, 'write', (orig) => (async (req: WriteRequest, opts?: CallOptions) => {
      const before = (await driver.getState()).digest;
      const r = await orig(req, opts);
      return { ...r, digest: before };
    }) as typeof orig);
  }),
];
