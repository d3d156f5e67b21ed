// Rules that span fields of one entry and so cannot be said by a field option.
// Each returns the first problem, with a path relative to the entry body.
import { familyOf } from './addresses.js';
import type { HalReason } from './errors.js';

export interface RuleProblem {
  readonly reason: HalReason;
  readonly message: string;
  readonly path: string;
}

type Body = Record<string, any>;
type Rule = (b: Body) => RuleProblem | null;

const bad = (path: string, message: string, reason: HalReason = 'FIELD_INVALID'): RuleProblem => ({ reason, message, path });

const PORTED = new Set([6, 17, 132]);
const ICMP = new Set([1, 58]);

function rangeOk(r: Body | undefined, path: string): RuleProblem | null {
  if (r && (r.lo ?? 0) > (r.hi ?? 0)) return bad(path, `range ${r.lo ?? 0}-${r.hi ?? 0} is empty (lo > hi)`);
  return null;
}

function sameFamily(a: string | undefined, b: string | undefined, pa: string, pb: string): RuleProblem | null {
  if (a && b && familyOf(a) !== familyOf(b)) return bad(pb, `${pb} and ${pa} must be of one address family`);
  return null;
}

function unique<T>(items: T[] | undefined, key: (x: T) => string, path: string, what: string): RuleProblem | null {
  const seen = new Set<string>();
  for (const [i, x] of (items ?? []).entries()) {
    const k = key(x);
    if (seen.has(k)) return bad(`${path}[${i}]`, `duplicate ${what} ${k}`);
    seen.add(k);
  }
  return null;
}

const AEAD_KEY: Record<string, number> = { AES_GCM_128: 16, AES_GCM_256: 32 };
const TLS_KEY: Record<string, number> = { TLS_AES_128_GCM_SHA256: 16, TLS_AES_256_GCM_SHA384: 32, TLS_CHACHA20_POLY1305_SHA256: 32 };

export const TABLE_RULES: Record<string, Rule> = {
  acl: (b) => {
    const ports = b.srcPorts || b.dstPorts;
    return (
      rangeOk(b.srcPorts, 'srcPorts') ??
      rangeOk(b.dstPorts, 'dstPorts') ??
      sameFamily(b.srcPrefix, b.dstPrefix, 'srcPrefix', 'dstPrefix') ??
      (ports && !PORTED.has(b.protocol) ? bad(b.srcPorts ? 'srcPorts' : 'dstPorts', 'port ranges need protocol 6 (TCP), 17 (UDP) or 132 (SCTP)') : null) ??
      ((b.icmpType !== undefined || b.icmpCode !== undefined) && !ICMP.has(b.protocol)
        ? bad(b.icmpType !== undefined ? 'icmpType' : 'icmpCode', 'ICMP type/code need protocol 1 (ICMP) or 58 (ICMPv6)')
        : null)
    );
  },
  snat: (b) => sameFamily(b.srcPrefix, b.dstPrefix, 'srcPrefix', 'dstPrefix') ?? rangeOk(b.masquerade?.ports, 'masquerade.ports'),
  ecmpGroup: (b) => unique<Body>(b.members, (m) => m.nexthopId, 'members', 'next hop'),
  backendGroup: (b) => unique<Body>(b.members, (m) => `${m.ip}:${m.port}`, 'members', 'member'),
  tunnel: (b) => {
    const fam = sameFamily(b.localIp, b.remoteIp, 'localIp', 'remoteIp');
    if (fam) return fam;
    if (b.geneveOptions?.length && b.type !== 'GENEVE') return bad('geneveOptions', 'Geneve options need type GENEVE');
    let total = 0;
    for (const [i, o] of (b.geneveOptions ?? []).entries()) {
      const n = o.data?.length ?? 0;
      if (n % 4 !== 0 || n > 124) return bad(`geneveOptions[${i}].data`, 'option data must be a multiple of 4 bytes, at most 124');
      total += 4 + n;
    }
    return total > 252 ? bad('geneveOptions', 'Geneve options exceed 252 bytes') : null;
  },
  service: (b) => (PORTED.has(b.protocol) ? null : bad('protocol', 'a service protocol is 6 (TCP), 17 (UDP) or 132 (SCTP)')),
  serviceSource: (b) =>
    (PORTED.has(b.protocol) ? null : bad('protocol', 'a service protocol is 6 (TCP), 17 (UDP) or 132 (SCTP)')) ??
    sameFamily(b.vip, b.source?.split('/')[0], 'vip', 'source'),
  policer: (b) => {
    if (b.mode === 'TRTCM') {
      if (!b.pir || b.pir < b.cir) return bad('pir', 'a two-rate policer needs pir >= cir');
      if (!b.pbs) return bad('pbs', 'a two-rate policer needs pbs', 'FIELD_MISSING');
      if (b.ebs) return bad('ebs', 'ebs belongs to single-rate policers');
    } else if (b.pir || b.pbs) return bad(b.pir ? 'pir' : 'pbs', 'pir/pbs belong to two-rate policers');
    return null;
  },
  ipsecSa: (b) => {
    const want = AEAD_KEY[b.algorithm];
    if ((b.key?.length ?? 0) !== want) return bad('key', `${b.algorithm} needs a ${want}-byte key`, b.key ? 'FIELD_INVALID' : 'FIELD_MISSING');
    if ((b.salt?.length ?? 0) !== 4) return bad('salt', 'AES-GCM (RFC 4106) needs a 4-byte salt', b.salt ? 'FIELD_INVALID' : 'FIELD_MISSING');
    if (b.replayWindow && b.direction === 'OUTBOUND') return bad('replayWindow', 'anti-replay applies to inbound SAs');
    if (b.mode === 'TUNNEL') {
      if (!b.tunnelSrc || !b.tunnelDst) return bad(b.tunnelSrc ? 'tunnelDst' : 'tunnelSrc', 'tunnel mode needs tunnelSrc and tunnelDst', 'FIELD_MISSING');
      return sameFamily(b.tunnelSrc, b.tunnelDst, 'tunnelSrc', 'tunnelDst');
    }
    if (b.tunnelSrc || b.tunnelDst) return bad(b.tunnelSrc ? 'tunnelSrc' : 'tunnelDst', 'transport mode has no tunnel addresses');
    return null;
  },
  ipsecSpd: (b) => {
    if (b.action === 'SPD_PROTECT' && !b.saId) return bad('saId', 'SPD_PROTECT needs saId', 'FIELD_MISSING');
    if (b.action !== 'SPD_PROTECT' && b.saId) return bad('saId', 'only SPD_PROTECT takes an saId');
    return sameFamily(b.srcPrefix, b.dstPrefix, 'srcPrefix', 'dstPrefix');
  },
  tlsSession: (b) => {
    const want = TLS_KEY[b.cipher];
    for (const dir of ['tx', 'rx'] as const) {
      const d = b[dir];
      if (!d) return bad(dir, `${dir} keys are required`, 'FIELD_MISSING');
      if ((d.key?.length ?? 0) !== want) return bad(`${dir}.key`, `${b.cipher} needs a ${want}-byte key`);
      if ((d.iv?.length ?? 0) !== 12) return bad(`${dir}.iv`, 'TLS 1.3 needs a 12-byte IV');
    }
    return sameFamily(b.localIp, b.remoteIp, 'localIp', 'remoteIp');
  },
  flowLog: (b) => {
    for (const [i, c] of (b.ipfixCollectors ?? []).entries()) {
      if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/.test(c) || Number(c.slice(c.lastIndexOf(':') + 1)) > 65535) {
        return bad(`ipfixCollectors[${i}]`, `"${c}" is not host:port`);
      }
    }
    return null;
  },
};

export function checkTableRules(member: string, body: Body): RuleProblem | null {
  return TABLE_RULES[member]?.(body) ?? null;
}
