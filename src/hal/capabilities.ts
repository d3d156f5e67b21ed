// Helpers over the capability model (capabilities.proto): drivers build their
// table list from the schema; consumers ask what a device declares.
import type { Capabilities, Feature, TableCapability } from './generated/types.js';
import { tableCatalog } from './schema.js';

export interface TableSupport {
  readonly maxEntries: number;
  readonly appliedToPackets: boolean;
  readonly maxGroupMembers?: number;
  readonly perEntryCounters?: boolean;
  /** Subset of the table's actions the device supports (default: all). */
  readonly actions?: readonly string[];
}

/** TableCapability entries for the given tables, key fields and actions from the schema. */
export function tableCapabilities(support: Record<string, TableSupport>, usage: (table: string) => number): TableCapability[] {
  const out: TableCapability[] = [];
  for (const t of tableCatalog().values()) {
    const s = support[t.name];
    if (!s) continue;
    out.push({
      name: t.name,
      kind: t.kind,
      keyFields: t.keyFields.filter((f) => f.match).map((f) => ({ name: f.name, match: f.match })),
      actions: [...(s.actions ?? t.actions)],
      maxEntries: s.maxEntries,
      usedEntries: usage(t.name),
      maxGroupMembers: s.maxGroupMembers ?? 0,
      perEntryCounters: s.perEntryCounters ?? false,
      appliedToPackets: s.appliedToPackets,
    });
  }
  return out;
}

export function hasFeature(caps: Capabilities, feature: Feature): boolean {
  return (caps.features ?? []).includes(feature);
}

export function tableCapability(caps: Capabilities, table: string): TableCapability | undefined {
  return (caps.tables ?? []).find((t) => t.name === table);
}
