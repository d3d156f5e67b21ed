// Policy (hal-spec §2 stage 5): the egress stage of the source endpoint, then the
// ingress stage of the destination endpoint, on the packet as it is after DNAT.
// The highest-priority matching ACL decides; with none, isolation denies.
import type { EndpointEntry } from '../../hal/index.js';
import type { CostSink } from '../cost/ops.js';
import type { StoredEntry } from '../state/table-store.js';
import { firstMatch } from './acl.js';
import type { PacketFacts } from './facts.js';
import type { ForwardingState } from './forwarding-state.js';

export interface EndpointHit {
  readonly stored: StoredEntry;
  readonly entry: EndpointEntry;
}

export interface PolicyStep {
  readonly detail: string;
  readonly table?: string;
  readonly ref?: string;
}

export type PolicyVerdict =
  | { allowed: true; policyRef: string; steps: PolicyStep[] }
  | { allowed: false; reject: boolean; reason: string; policyRef: string; detail: string; table: string; ref: string; steps: PolicyStep[] };

export function evaluatePolicy(
  fwd: ForwardingState, cost: CostSink, countLookup: (table: string, hit: boolean) => void,
  f: PacketFacts, srcEp: EndpointHit | undefined, dstEp: EndpointHit | undefined, bytes: number,
): PolicyVerdict {
  const steps: PolicyStep[] = [];
  // The flow record names the last deciding rule; with no rule at all it is default-allow.
  let policyRef = 'default-allow';
  for (const [stage, ep, dir] of [
    ['ACL_EGRESS', srcEp, 'egress'],
    ['ACL_INGRESS', dstEp, 'ingress'],
  ] as const) {
    if (!ep) continue;
    const rules = fwd.acl(stage);
    const rule = firstMatch(rules, ep.entry.endpointId!, f);
    countLookup('acl', !!rule);
    cost.charge('policy', 'lookup', rules.length, 'acl', 'ternary');
    const who = `${dir} of endpoint ${ep.entry.endpointId} (${dir === 'egress' ? f.src : f.dst})`;
    if (rule) {
      rule.stored.counters.packets++;
      rule.stored.counters.bytes += bytes;
      const name = rule.entry.policyRef || `acl priority ${rule.priority}`;
      const action = rule.entry.action ?? 'ACL_ALLOW';
      if (action !== 'ACL_ALLOW') {
        const reject = action === 'ACL_REJECT';
        return {
          allowed: false, reject, reason: reject ? 'acl-reject' : 'acl-deny', policyRef: name, steps, table: 'acl', ref: rule.entry.policyRef ?? '',
          detail: `${reject ? 'rejected' : 'denied'} by ACL ${name} (priority ${rule.priority}) at ${who}`,
        };
      }
      policyRef = name;
      steps.push({ detail: `allowed by ACL ${name} (priority ${rule.priority}) at ${who}`, table: 'acl', ref: rule.entry.policyRef ?? '' });
    } else if (dir === 'ingress' ? ep.entry.isolatedIngress : ep.entry.isolatedEgress) {
      return {
        allowed: false, reject: false, reason: `default-deny-${dir}`, policyRef: 'default-deny', steps, table: 'endpoint', ref: ep.entry.endpointId!,
        detail: `endpoint ${ep.entry.endpointId} is isolated for ${dir} and no ACL allows this flow: default deny`,
      };
    } else {
      steps.push({ detail: `no ACL matched at ${who}; not isolated: allowed` });
    }
  }
  return { allowed: true, policyRef, steps };
}
