// hal-spec §5.4 step 4, the value checks: a value whose behaviour needs a capability
// the device did not declare is refused, never stored and silently ignored. Shared
// so every driver refuses the same values with the same reason and field path.
import { statusOf } from './errors.js';
import type { Capabilities, UpdateStatus } from './generated/types.js';
import type { ValidUpdate } from './write-validation.js';

const nonZero = (o: unknown): boolean => !!o && Object.values(o as Record<string, unknown>).some((v) => typeof v === 'number' && v !== 0);

/** Members with values that depend on a capability; every other update passes untouched. */
const CHECKED = new Set(['acl', 'service', 'policer', 'ctZone', 'ipsecSa', 'tlsSession', 'flowLog']);

export type ValueSupport = (u: ValidUpdate) => UpdateStatus | undefined;

/**
 * For a device's capabilities, the check that gives the refusal for an INSERT or
 * MODIFY whose values the device cannot honour, or undefined. Only tables the device
 * applies to packets are checked: a stored-only table (appliedToPackets false) keeps
 * every schema-valid entry (§5.4). Build it once per capabilities: writes call it per
 * update.
 */
export function valueSupport(caps: Capabilities): ValueSupport {
  const applied = new Set((caps.tables ?? []).filter((t) => t.appliedToPackets).map((t) => t.name));
  const features = new Set(caps.features ?? []);
  return (u) => (u.type === 'DELETE' || !CHECKED.has(u.member) || !applied.has(u.table.name) ? undefined : check(u, caps, features));
}

function check(u: ValidUpdate, caps: Capabilities, features: ReadonlySet<string>): UpdateStatus | undefined {
  // The path is built only for a refusal: this runs for every update of every write.
  const at = () => `updates[${u.index}].entry.${u.member}`;
  const b = u.body as Record<string, unknown>;
  const refuse = (field: string, message: string) => statusOf('UNIMPLEMENTED', 'FEATURE_UNSUPPORTED', message, `${at()}.${field}`);
  switch (u.member) {
    case 'acl':
      if (b.action === 'ACL_REJECT' && !features.has('ACL_REJECT')) {
        return statusOf('UNIMPLEMENTED', 'ACTION_UNSUPPORTED', 'ACL_REJECT needs feature ACL_REJECT, which this device does not declare', `${at()}.action`);
      }
      return undefined;
    case 'service': {
      const bal = b.balance as { affinityTimeoutS?: number; snatMode?: string } | undefined;
      if (!bal) return undefined;
      if ((bal.affinityTimeoutS ?? 0) > 0 && !features.has('SERVICE_AFFINITY')) {
        return refuse('balance.affinityTimeoutS', 'client-IP affinity needs feature SERVICE_AFFINITY, which this device does not declare');
      }
      if (bal.snatMode === 'SNAT_MASQUERADE' && !features.has('SNAT')) {
        return refuse('balance.snatMode', 'SNAT_MASQUERADE needs feature SNAT, which this device does not declare');
      }
      if (bal.snatMode === 'SNAT_HAIRPIN' && !features.has('HAIRPIN')) {
        return refuse('balance.snatMode', 'SNAT_HAIRPIN needs feature HAIRPIN, which this device does not declare');
      }
      return undefined;
    }
    case 'policer': {
      const modes = caps.qos?.policerModes ?? [];
      if (b.mode !== undefined && !modes.includes(b.mode as never)) return refuse('mode', `policer mode ${String(b.mode)} is not in qos.policerModes (${modes.join(', ') || 'none'})`);
      if (b.colorAware && !caps.qos?.colorAware) return refuse('colorAware', 'color-aware policers are not supported: this device declares qos.colorAware false');
      return undefined;
    }
    case 'ctZone':
      if (nonZero(b.timeouts) && !caps.conntrack?.configurableTimeouts) return refuse('timeouts', 'conntrack timeouts are not configurable on this device (conntrack.configurableTimeouts false)');
      if (b.tcpWindowTracking && !caps.conntrack?.tcpWindowTracking) return refuse('tcpWindowTracking', 'TCP window tracking is not supported: this device declares conntrack.tcpWindowTracking false');
      return undefined;
    case 'ipsecSa': {
      const algs = caps.crypto?.ipsecAlgorithms ?? [];
      const modes = caps.crypto?.ipsecModes ?? [];
      if (b.algorithm !== undefined && !algs.includes(b.algorithm as never)) return refuse('algorithm', `IPsec algorithm ${String(b.algorithm)} is not in crypto.ipsecAlgorithms (${algs.join(', ') || 'none'})`);
      if (b.mode !== undefined && !modes.includes(b.mode as never)) return refuse('mode', `IPsec mode ${String(b.mode)} is not in crypto.ipsecModes (${modes.join(', ') || 'none'})`);
      return undefined;
    }
    case 'tlsSession': {
      const ciphers = caps.crypto?.tlsCiphers ?? [];
      if (b.cipher !== undefined && !ciphers.includes(b.cipher as never)) return refuse('cipher', `TLS cipher ${String(b.cipher)} is not in crypto.tlsCiphers (${ciphers.join(', ') || 'none'})`);
      return undefined;
    }
    case 'flowLog':
      if (((b.ipfixCollectors as unknown[] | undefined)?.length ?? 0) > 0 && !caps.telemetry?.ipfixExport) {
        return refuse('ipfixCollectors', 'IPFIX export is not supported: this device declares telemetry.ipfixExport false');
      }
      return undefined;
    default:
      return undefined;
  }
}
