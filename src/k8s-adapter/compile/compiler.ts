// The compiler: a pure, deterministic function from cluster state and one node's
// configuration to the HAL state that node's device should hold. Every entry is
// passed through the HAL's own validation (checkUpdate) and returned in canonical
// form, so the reconciler can compare it byte for byte with what Read returns.
import { checkUpdate, entryParts, keyString, type TableEntry } from '../../hal/index.js';
import type { ClusterState } from '../cluster-state.js';
import type { NodeConfig } from '../node-config.js';
import { buildContext, type Problem } from './context.js';
import { compileEndpoints } from './endpoints.js';
import { compileNetworkPolicies } from './network-policy.js';
import { compileRouting } from './routing.js';
import { compileServices } from './services.js';

/** The tables the adapter owns; it never touches any other (ports, zones, QoS, crypto). */
export const MANAGED_TABLES = ['endpoint', 'nexthop', 'tunnel', 'tunnel_term', 'route', 'backend_group', 'service', 'service_source', 'acl', 'snat', 'flow_log'] as const;
export type ManagedTable = (typeof MANAGED_TABLES)[number];

export interface DesiredState {
  /** Canonical entries per managed table, sorted by key. */
  readonly tables: Readonly<Record<ManagedTable, readonly TableEntry[]>>;
  /** Objects that were reported and skipped (or partly skipped). */
  readonly problems: readonly Problem[];
  /** Things done on purpose that an operator may want to know (skipped services, ...). */
  readonly notes: readonly string[];
}

export function compile(state: ClusterState, config: NodeConfig): DesiredState {
  const ctx = buildContext(state, config);
  const policy = compileNetworkPolicies(ctx);
  const endpoints = compileEndpoints(ctx, policy.isolation);
  const services = compileServices(ctx);
  const routing = compileRouting(ctx);
  const raw: Record<ManagedTable, TableEntry[]> = {
    endpoint: endpoints,
    nexthop: routing.nexthop,
    tunnel: routing.tunnel,
    tunnel_term: routing.tunnelTerm,
    route: routing.route,
    backend_group: services.backendGroup,
    service: services.service,
    service_source: services.serviceSource,
    acl: policy.acl,
    snat: routing.snat,
    // Flow records for both verdicts, so denied and allowed flows name their policy.
    flow_log: [{ flowLog: { recordAllowed: true, recordDenied: true } } as TableEntry],
  };
  const tables = {} as Record<ManagedTable, TableEntry[]>;
  for (const t of MANAGED_TABLES) tables[t] = canonicalize(t, raw[t], ctx.problems);
  return { tables, problems: ctx.problems, notes: ctx.notes };
}

/** Validates, canonicalizes, removes duplicate keys (first wins) and sorts by key. */
function canonicalize(table: string, entries: readonly TableEntry[], problems: Problem[]): TableEntry[] {
  const byKey = new Map<string, TableEntry>();
  for (const e of entries) {
    const checked = checkUpdate({ type: 'INSERT', entry: e }, 0);
    if (!checked.ok) {
      // A compiler bug or an input the checks above missed: report, never write it.
      problems.push({ object: `${table} entry`, message: `${checked.status.reason}: ${checked.status.message} (${JSON.stringify(e)})` });
      continue;
    }
    const { update } = checked;
    if (!byKey.has(update.key)) byKey.set(update.key, { [update.member]: update.body } as TableEntry);
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
}

/** The key of a canonical entry ("table" + key fields), for diffing. */
export function entryKey(entry: TableEntry): string {
  const { member, table, body } = entryParts(entry);
  return `${member}${keyString(table, body)}`;
}

export function desiredEntries(d: DesiredState): TableEntry[] {
  return MANAGED_TABLES.flatMap((t) => d.tables[t]);
}
