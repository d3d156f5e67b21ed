// Which backend addresses left every UDP service between two states: their
// conntrack entries must go, or clients keep sending to a backend that is gone
// (a long-standing kube-proxy failure mode; it flushes the same way).
import { entryParts, type TableEntry } from '../../hal/index.js';

function udpBackendIps(entries: readonly TableEntry[]): Set<string> {
  const udpGroups = new Set<string>();
  for (const e of entries) {
    const { member, body } = entryParts(e);
    const balance = body.balance as { backendGroupId?: string } | undefined;
    if (member === 'service' && body.protocol === 17 && balance?.backendGroupId) udpGroups.add(balance.backendGroupId);
  }
  const ips = new Set<string>();
  for (const e of entries) {
    const { member, body } = entryParts(e);
    if (member !== 'backendGroup' || !udpGroups.has(String(body.id))) continue;
    for (const m of (body.members as { ip: string }[] | undefined) ?? []) ips.add(m.ip);
  }
  return ips;
}

export function removedUdpBackends(before: readonly TableEntry[], after: readonly TableEntry[]): string[] {
  const now = udpBackendIps(after);
  return [...udpBackendIps(before)].filter((ip) => !now.has(ip)).sort();
}
