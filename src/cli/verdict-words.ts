// Turns an InjectResponse into plain words: where the packet went, or why not.
// Drop-reason strings are the device's counter names (hal-spec: InjectResponse.
// drop_reason), so the words come from the deciding trace step first and fall
// back to the counter name; nothing here knows a particular driver.
import type { AclEntry, InjectResponse, TraceStep } from '../hal/generated/types.js';
import { summarizeFrame, type FrameSummary } from './packet-words.js';

export interface EmittedWords extends FrameSummary {
  readonly port: string;
}

export interface Verdict {
  readonly disposition: string;
  /** The device's drop counter, when dropped or rejected. */
  readonly dropReason?: string;
  /** Why, in plain words (for forwarded packets: what allowed / routed it). */
  readonly why: string;
  readonly emitted: EmittedWords[];
}

/** ACL entries by policy_ref, to name the priority of a deciding rule. */
export type AclIndex = ReadonlyMap<string, AclEntry>;

const has = (s: string | undefined, re: RegExp) => re.test(s ?? '');
/** Device details may use Unicode arrows; the CLI prints ASCII. */
const arrows = (s: string) => s.replace(/\u2192/g, '->');

function aclWords(step: TraceStep, acls: AclIndex, verb: string): string {
  const acl = step.ref ? acls.get(step.ref) : undefined;
  const prio = acl?.priority !== undefined ? ` (priority ${acl.priority})` : '';
  return `${verb} by ACL ${step.ref}${prio}`;
}

function isDefaultDeny(step: TraceStep | undefined, dropReason: string | undefined): boolean {
  return has(dropReason, /default|isolat/i) || has(step?.detail, /isolat|default[- ]deny/i) || step?.ref === 'default-deny';
}

function isAclStep(s: TraceStep): boolean {
  return s.table === 'acl' && !!s.ref && s.ref !== 'default-deny' && s.ref !== 'default-allow';
}

/** Why a packet was dropped or rejected. */
function dropWords(r: InjectResponse, acls: AclIndex): string {
  const trace = r.trace ?? [];
  const reason = r.dropReason;
  const decisive = [...trace].reverse().find((s) => s.table || s.ref) ?? trace[trace.length - 1];
  const verb = r.disposition === 'REJECTED' ? 'rejected' : 'denied';
  if (decisive && isAclStep(decisive) && !isDefaultDeny(decisive, reason)) return aclWords(decisive, acls, verb);
  if (isDefaultDeny(decisive, reason)) {
    const dir = has(reason, /egress/i) || has(decisive?.detail, /egress/i) ? 'egress' : 'ingress';
    return `isolated for ${dir}: default deny`;
  }
  if (has(reason, /no[-_ ]?route/i) || has(decisive?.detail, /no route/i)) {
    return has(decisive?.detail, /^no route/i) ? arrows(decisive!.detail!) : decisive?.detail ? `no route (${arrows(decisive.detail)})` : 'no route';
  }
  if (decisive?.table === 'route') {
    const what = decisive.detail ? arrows(decisive.detail) : `route ${decisive.ref ?? ''} ${reason ?? ''}`.trim();
    // A reject route that came back DROPPED: the device discarded without answering.
    const unanswered = r.disposition === 'DROPPED' && /reject/i.test(`${reason} ${decisive.detail}`) && !(r.emitted ?? []).length;
    return unanswered ? `${what} (no ICMP unreachable sent)` : what;
  }
  const detail = decisive?.detail ? `: ${decisive.detail}` : '';
  return `${reason ?? 'dropped'}${detail}`;
}

/** What let a forwarded packet through: the allowing ACL, else the route or endpoint. */
function forwardWords(r: InjectResponse, acls: AclIndex): string {
  const trace = r.trace ?? [];
  const allow = trace.find((s) => isAclStep(s));
  const parts: string[] = [];
  if (allow) parts.push(aclWords(allow, acls, 'allowed'));
  const route = [...trace].reverse().find((s) => s.table === 'route' || s.table === 'endpoint');
  if (route?.table === 'endpoint') parts.push(`to local endpoint ${route.ref ?? ''}`.trim());
  else if (route) parts.push(`via ${route.detail ? arrows(route.detail) : `route ${route.ref ?? ''}`}`.trim());
  return parts.join('; ');
}

export function verdictOf(r: InjectResponse, acls: AclIndex): Verdict {
  const disposition = r.disposition ?? 'DISPOSITION_UNSPECIFIED';
  const emitted = (r.emitted ?? []).map((e) => ({ port: e.portId ?? '?', ...summarizeFrame(e.frame ?? new Uint8Array()) }));
  const why = disposition === 'FORWARDED' ? forwardWords(r, acls) : dropWords(r, acls);
  return { disposition, ...(r.dropReason ? { dropReason: r.dropReason } : {}), why, emitted };
}
