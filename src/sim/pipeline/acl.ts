// ACL evaluation: the highest-priority matching entry of a stage decides;
// with no match, an isolated endpoint denies and any other allows.
import { prefixContains } from '../../hal/index.js';
import type { CompiledAcl } from './forwarding-state.js';

export interface FlowFacts {
  readonly family: 4 | 6;
  readonly src: string;
  readonly dst: string;
  readonly srcBytes: Uint8Array;
  readonly dstBytes: Uint8Array;
  readonly protocol: number;
  readonly srcPort?: number;
  readonly dstPort?: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
}

function inRange(r: { lo?: number; hi?: number } | undefined, v: number | undefined): boolean {
  if (!r) return true;
  return v !== undefined && v >= (r.lo ?? 0) && v <= (r.hi ?? 0);
}

export function aclMatches(rule: CompiledAcl, endpointId: string, f: FlowFacts): boolean {
  const e = rule.entry;
  if (e.endpointId && e.endpointId !== endpointId) return false;
  if (rule.src && !prefixContains(rule.src, f.srcBytes)) return false;
  if (rule.dst && !prefixContains(rule.dst, f.dstBytes)) return false;
  if (e.protocol !== undefined && e.protocol !== f.protocol) return false;
  if (!inRange(e.srcPorts, f.srcPort) || !inRange(e.dstPorts, f.dstPort)) return false;
  if (e.icmpType !== undefined && e.icmpType !== f.icmpType) return false;
  if (e.icmpCode !== undefined && e.icmpCode !== f.icmpCode) return false;
  return true;
}

export function firstMatch(rules: readonly CompiledAcl[], endpointId: string, f: FlowFacts): CompiledAcl | undefined {
  for (const r of rules) if (aclMatches(r, endpointId, f)) return r;
  return undefined;
}
