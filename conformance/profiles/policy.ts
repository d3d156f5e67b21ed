// policy: ACL semantics (stages, priorities, every match kind), default deny by
// isolation, reject answers, stateful return traffic (hal-spec §2 stage 5, §3.1, §3.2 acl).
import { del, mod, type Ctx, type Entry } from '../framework/context.js';
import { profile } from '../framework/define.js';
import { check, eq } from '../framework/expect.js';
import { applied, feature, lacksFeature, perEntryCounters } from '../framework/needs.js';
import type { Flow } from '../packet/frame.js';
import { TCP_ACK, TCP_RST, parseFrame } from '../packet/parse.js';
import { IP, MAC, TOPO, topology } from '../topology.js';

export const { tests, test } = profile('policy');

const ACL = [...TOPO, feature('ACL'), applied('acl'), feature('IPV4_ROUTING')];
const acl = (body: Record<string, unknown>): Entry => ({ acl: { stage: 'ACL_INGRESS', priority: 100, ...body } });
const deny = (body: Record<string, unknown> = {}): Entry => acl({ action: 'ACL_DENY', ...body });
const allow = (body: Record<string, unknown> = {}): Entry => acl({ action: 'ACL_ALLOW', ...body });

/** Inbound to ep-a from the uplink. */
const toA = (extra: Partial<Flow> = {}): Flow => ({ src: IP.remote, dst: IP.epA, proto: 'tcp', sport: 40000, dport: 80, ...extra });

async function delivered(c: Ctx, f: Flow, what?: string): Promise<void> {
  await c.expectForwarded(c.U0, f, c.H0, MAC.epA, what);
}
async function blocked(c: Ctx, f: Flow, what?: string): Promise<void> {
  await c.expectDropped(c.U0, f, what);
}

test('acl.deny', '§3.2 acl: an ACL_DENY entry at ACL_INGRESS drops traffic to the endpoint (counted)', ACL, async (c) => {
  await topology(c);
  await c.insert(deny({ endpointId: 'ep-a' }));
  await blocked(c, toA());
});

test('acl.allow-explicit', '§3.2 acl: an ACL_ALLOW entry lets traffic through with exact bytes', ACL, async (c) => {
  await topology(c);
  await c.insert(allow({ endpointId: 'ep-a' }));
  await delivered(c, toA());
});

test('acl.priority-allow-wins', '§3.1: the highest-priority matching entry decides: allow 200 over deny 100', ACL, async (c) => {
  await topology(c);
  await c.insert(deny({ priority: 100 }), allow({ priority: 200, dstPorts: { lo: 80, hi: 80 }, protocol: 6 }));
  await delivered(c, toA(), 'port 80 allowed by the higher priority');
  await blocked(c, toA({ dport: 81 }), 'port 81 denied');
});

test('acl.priority-deny-wins', '§3.1: deny 300 over allow 200 for the overlap', ACL, async (c) => {
  await topology(c);
  await c.insert(allow({ priority: 200 }), deny({ priority: 300, srcPrefix: '198.51.100.0/24' }));
  await blocked(c, toA(), 'denied source');
  await delivered(c, toA({ src: '203.0.113.5' }), 'other source');
});

test('acl.priority-large', '§3.1: priorities compare as numbers up to 2^31-1', ACL, async (c) => {
  await topology(c);
  await c.insert(deny({ priority: 2147483647 }), allow({ priority: 2147483646 }), allow({ priority: 9 }));
  await blocked(c, toA());
});

test('acl.egress-stage', '§2 stage 5: ACL_EGRESS applies to the source endpoint', ACL, async (c) => {
  await topology(c);
  await c.insert(deny({ stage: 'ACL_EGRESS', endpointId: 'ep-a' }));
  await c.expectDropped(c.H0, { src: IP.epA, dst: IP.remote }, 'egress of ep-a');
  await c.expectForwarded(c.U0, toA(), c.H0, MAC.epA, 'ingress to ep-a unaffected');
});

test('acl.stage-only-with-endpoint', '§2: ACL_INGRESS applies only when the destination is an endpoint', ACL, async (c) => {
  await topology(c);
  await c.insert(deny({ stage: 'ACL_INGRESS' }));
  await c.expectForwarded(c.H0, { src: IP.epA, dst: IP.remote }, c.U0, MAC.r0, 'to a remote host');
  await c.expectDropped(c.U0, toA(), 'to ep-a');
});

test('acl.both-stages', '§2 stage 5: egress of the source, then ingress of the destination: host-to-host needs both', ACL, async (c) => {
  await topology(c);
  await c.insert(deny({ stage: 'ACL_INGRESS', endpointId: 'ep-b' }));
  await c.expectDropped(c.H0, { src: IP.epA, dst: IP.epB }, 'ep-a → ep-b denied at ep-b ingress');
  await c.write([del(deny({ stage: 'ACL_INGRESS', endpointId: 'ep-b' }))]);
  await c.insert(deny({ stage: 'ACL_EGRESS', endpointId: 'ep-a' }));
  await c.expectDropped(c.H0, { src: IP.epA, dst: IP.epB }, 'ep-a → ep-b denied at ep-a egress');
});

test('acl.endpoint-scope', '§3.2 acl: endpointId scopes an entry to one endpoint', ACL, async (c) => {
  await topology(c);
  await c.insert(deny({ endpointId: 'ep-b' }));
  await delivered(c, toA(), 'ep-a unaffected');
  await c.expectDropped(c.U0, { ...toA(), dst: IP.epB }, 'ep-b denied');
});

test('acl.endpoint-dual-stack', '§3.2 endpoint: endpointId groups both families: a rule for ep-a applies to its IPv6 address', [...ACL, feature('IPV6_ROUTING')], async (c) => {
  await topology(c);
  await c.insert(deny({ endpointId: 'ep-a', protocol: 17 }));
  await c.expectDropped(c.U0, { src: IP.remote6, dst: IP.epA6 }, 'IPv6 UDP to ep-a');
});

test('acl.src-prefix', '§3.1 PREFIX: srcPrefix matches addresses inside the prefix only', ACL, async (c) => {
  await topology(c);
  await c.insert(deny({ srcPrefix: '198.51.100.0/25' }));
  await blocked(c, toA({ src: '198.51.100.127' }), 'inside');
  await delivered(c, toA({ src: '198.51.100.128' }), 'just outside');
});

test('acl.dst-prefix', '§3.1 PREFIX: dstPrefix matches the destination', ACL, async (c) => {
  await topology(c);
  await c.insert(deny({ dstPrefix: '10.0.0.10/32' }));
  await blocked(c, toA(), 'ep-a');
  await c.expectForwarded(c.U0, { ...toA(), dst: IP.epB }, c.H1, MAC.epB, 'ep-b');
});

test('acl.prefix-family', '§3.1 PREFIX: 0.0.0.0/0 matches only IPv4; an absent prefix matches both', [...ACL, feature('IPV6_ROUTING')], async (c) => {
  await topology(c);
  await c.insert(deny({ srcPrefix: '0.0.0.0/0' }));
  await blocked(c, toA(), 'IPv4');
  await c.expectForwarded(c.U0, { src: IP.remote6, dst: IP.epA6 }, c.H0, MAC.epA, 'IPv6 not matched by 0.0.0.0/0');
});

test('acl.protocol', '§3.1 OPTIONAL: protocol matches exactly; absent matches every protocol', ACL, async (c) => {
  await topology(c);
  await c.insert(deny({ protocol: 17 }));
  await blocked(c, toA({ proto: 'udp' }), 'UDP');
  await delivered(c, toA(), 'TCP');
  await delivered(c, toA({ proto: 'icmp' }), 'ICMP');
});

test('acl.protocol-zero', '§4.3 rule 2: protocol 0 present matches protocol 0 only, not every protocol', ACL, async (c) => {
  await topology(c);
  await c.insert(deny({ protocol: 0 }));
  await delivered(c, toA(), 'TCP');
  await delivered(c, toA({ proto: 'udp' }), 'UDP');
});

test('acl.dst-ports', '§3.1 RANGE: dstPorts lo..hi inclusive', ACL, async (c) => {
  await topology(c);
  await c.insert(deny({ protocol: 6, dstPorts: { lo: 8000, hi: 8080 } }));
  await delivered(c, toA({ dport: 7999 }), '7999');
  await blocked(c, toA({ dport: 8000 }), '8000 (lo)');
  await blocked(c, toA({ dport: 8080 }), '8080 (hi)');
  await delivered(c, toA({ dport: 8081 }), '8081');
});

test('acl.src-ports', '§3.1 RANGE: srcPorts matches the source port', ACL, async (c) => {
  await topology(c);
  await c.insert(deny({ protocol: 17, srcPorts: { lo: 53, hi: 53 } }));
  await blocked(c, toA({ proto: 'udp', sport: 53 }), 'sport 53');
  await delivered(c, toA({ proto: 'udp', sport: 54 }), 'sport 54');
});

test('acl.port-range-empty', '§3.1 RANGE: a present range {} means port 0 only', ACL, async (c) => {
  await topology(c);
  await c.insert(deny({ protocol: 6, dstPorts: {} }));
  await delivered(c, toA({ dport: 80 }), 'port 80');
  await blocked(c, toA({ dport: 0 }), 'port 0');
});

test('acl.icmp-type', '§3.2 acl: icmpType and icmpCode match ICMP messages', ACL, async (c) => {
  await topology(c);
  await c.insert(deny({ protocol: 1, icmpType: 8, icmpCode: 0 }));
  await blocked(c, toA({ proto: 'icmp', icmpType: 8 }), 'echo request');
  // An echo request with another code: the code is part of the match. (An unsolicited
  // echo reply would be ct-invalid on a device with conntrack, §2.)
  await delivered(c, toA({ proto: 'icmp', icmpType: 8, icmpCode: 1 }), 'echo request, code 1');
});

test('acl.modify', '§5.1: MODIFY of an ACL entry changes the verdict at once', ACL, async (c) => {
  await topology(c);
  await c.insert(deny({ endpointId: 'ep-a' }));
  await blocked(c, toA());
  await c.write([mod(allow({ endpointId: 'ep-a' }))]);
  await delivered(c, toA());
});

test('acl.delete', '§2: deleting the only matching entry restores the default', ACL, async (c) => {
  await topology(c);
  await c.insert(deny({ endpointId: 'ep-a' }));
  await c.write([del(deny({ endpointId: 'ep-a' }))]);
  await delivered(c, toA());
});

test('acl.counters', '§8: an ACL entry counts the packets it decided', [...ACL, perEntryCounters('acl')], async (c) => {
  await topology(c);
  await c.insert(deny({ endpointId: 'ep-a', protocol: 6 }), allow({ endpointId: 'ep-a', priority: 50 }));
  const f = c.frameIn(c.U0, toA());
  await c.inject(c.U0, f);
  await c.inject(c.U0, f);
  await c.send(c.U0, toA({ proto: 'udp' }));
  const recs = await c.hal.read({ tables: ['acl'], includeCounters: true });
  const byPrio = (p: number) => recs.find((r) => r.entry?.acl?.priority === p)!.counters ?? {};
  eq([Number(byPrio(100).packets ?? 0), Number(byPrio(100).bytes ?? 0)], [2, 2 * f.length], 'deny entry counters');
  eq(Number(byPrio(50).packets ?? 0), 1, 'allow entry packets');
});

// ------------------------------------------------------------------ default deny

const DENY = [...ACL, feature('ACL_DEFAULT_DENY')];

test('default.isolated-ingress', '§2 default policy: isolatedIngress with no matching entry denies', DENY, async (c) => {
  await topology(c);
  await c.write([mod({ endpoint: { ip: IP.epA, portId: c.H0, mac: MAC.epA, endpointId: 'ep-a', isolatedIngress: true } })]);
  await blocked(c, toA());
  await c.expectForwarded(c.H0, { src: IP.epA, dst: IP.remote }, c.U0, MAC.r0, 'egress not isolated');
});

test('default.isolated-egress', '§2 default policy: isolatedEgress with no matching entry denies traffic the endpoint sends', DENY, async (c) => {
  await topology(c);
  await c.write([mod({ endpoint: { ip: IP.epA, portId: c.H0, mac: MAC.epA, endpointId: 'ep-a', isolatedEgress: true } })]);
  await c.expectDropped(c.H0, { src: IP.epA, dst: IP.remote }, 'egress from an isolated endpoint');
  await delivered(c, toA(), 'ingress not isolated');
});

test('default.isolated-allowed', '§2: an isolated endpoint receives what an ACL allows, and nothing else', DENY, async (c) => {
  await topology(c);
  await c.write([mod({ endpoint: { ip: IP.epA, portId: c.H0, mac: MAC.epA, endpointId: 'ep-a', isolatedIngress: true } })]);
  await c.insert(allow({ endpointId: 'ep-a', protocol: 6, dstPorts: { lo: 80, hi: 80 } }));
  await delivered(c, toA(), 'allowed port');
  await blocked(c, toA({ dport: 22 }), 'other port');
});

test('default.not-isolated', '§2: without isolation and without a matching entry, traffic is allowed', DENY, async (c) => {
  await topology(c);
  await c.insert(deny({ endpointId: 'ep-b' }));
  await delivered(c, toA());
});

test('default.per-address', '§2: isolation is per endpoint entry: ep-b stays open while ep-a is isolated', DENY, async (c) => {
  await topology(c);
  await c.write([mod({ endpoint: { ip: IP.epA, portId: c.H0, mac: MAC.epA, endpointId: 'ep-a', isolatedIngress: true } })]);
  await c.expectForwarded(c.U0, { ...toA(), dst: IP.epB }, c.H1, MAC.epB, 'ep-b');
});

// ------------------------------------------------------------------ reject

test('reject.unsupported', '§5.4 step 4 [D]: ACL_REJECT without feature ACL_REJECT is UNIMPLEMENTED/ACTION_UNSUPPORTED at acl.action', [applied('acl'), lacksFeature('ACL_REJECT')], async (c) => {
  await c.rejected({ type: 'INSERT', entry: acl({ action: 'ACL_REJECT' }) as never }, { code: 'UNIMPLEMENTED', reason: 'ACTION_UNSUPPORTED', fieldPath: 'updates[0].entry.acl.action' });
});

test('reject.tcp-rst', '§3.2 acl: ACL_REJECT answers a TCP SYN with a RST to the sender', [...ACL, feature('ACL_REJECT')], async (c) => {
  await topology(c);
  await c.insert(acl({ action: 'ACL_REJECT', endpointId: 'ep-a' }));
  const f = toA({ seq: 5000 });
  const r = await c.send(c.U0, f);
  eq(r.disposition, 'REJECTED', 'disposition');
  check(r.dropReason, 'rejected packets name a drop reason');
  const em = r.emitted ?? [];
  eq(em.map((e) => e.portId), [c.U0], 'the RST leaves by the ingress port');
  const p = parseFrame(em[0].frame!);
  check(p?.ip && p.l4, 'RST is not a TCP packet');
  eq([p.ip.src, p.ip.dst, p.l4.srcPort, p.l4.dstPort], [IP.epA, IP.remote, 80, 40000], 'RST addresses and ports');
  check(((p.l4.tcpFlags ?? 0) & TCP_RST) !== 0, 'RST flag');
  // RFC 9293 §3.10.7.1: a RST answering a segment without ACK acknowledges
  // SEG.SEQ + SEG.LEN, where the SYN counts one and the payload its length.
  const sentLen = parseFrame(c.frameIn(c.U0, f))!.l4!.payload.length;
  check(((p.l4.tcpFlags ?? 0) & TCP_ACK) === 0 || p.l4.ack === 5001 + sentLen, `RST ack ${p.l4.ack}, expected ${5001 + sentLen}`);
  check(p.ip.headerChecksumOk && p.l4.checksumOk, 'RST checksums');
  eq(p.dstMac, '02:ee:00:00:00:01', 'RST destination MAC (the sender)');
  await c.hal.capture({});
});

test('reject.udp-icmp', '§2 Rejections: ACL_REJECT answers UDP with ICMP administratively prohibited', [...ACL, feature('ACL_REJECT')], async (c) => {
  await topology(c);
  await c.insert(acl({ action: 'ACL_REJECT', endpointId: 'ep-a' }));
  const r = await c.send(c.U0, toA({ proto: 'udp', dport: 53 }));
  eq(r.disposition, 'REJECTED', 'disposition');
  const p = parseFrame(r.emitted?.[0]?.frame ?? new Uint8Array());
  check(p?.l4, 'no ICMP answer');
  eq([p.ip!.dst, p.l4.proto, p.l4.icmpType, p.l4.icmpCode], [IP.remote, 1, 3, 13], 'ICMP administratively prohibited to the sender');
  check(p.l4.checksumOk && p.ip!.headerChecksumOk, 'answer checksums');
  await c.hal.capture({});
});

test('reject.udp-icmpv6', '§2 Rejections: ACL_REJECT answers IPv6 UDP with ICMPv6 administratively prohibited', [...ACL, feature('ACL_REJECT'), feature('IPV6_ROUTING')], async (c) => {
  await topology(c);
  await c.insert(acl({ action: 'ACL_REJECT', endpointId: 'ep-a' }));
  const r = await c.send(c.U0, { src: IP.remote6, dst: IP.epA6, proto: 'udp', dport: 53 });
  eq(r.disposition, 'REJECTED', 'disposition');
  const p = parseFrame(r.emitted?.[0]?.frame ?? new Uint8Array());
  check(p?.l4, 'no ICMPv6 answer');
  eq([p.ip!.dst, p.l4.proto, p.l4.icmpType, p.l4.icmpCode], [IP.remote6, 58, 1, 1], 'ICMPv6 administratively prohibited to the sender');
  check(p.l4.checksumOk, 'answer checksum');
  await c.hal.capture({});
});

// ------------------------------------------------------------------ stateful return traffic

const STATEFUL = [...DENY, feature('CONNTRACK'), feature('STATEFUL_ACL')];

test('stateful.return-allowed', '§2 stage 3: replies of a connection an isolated endpoint opened are allowed (established skips policy)', STATEFUL, async (c) => {
  await topology(c);
  await c.write([mod({ endpoint: { ip: IP.epA, portId: c.H0, mac: MAC.epA, endpointId: 'ep-a', isolatedIngress: true } })]);
  await c.expectForwarded(c.H0, { src: IP.epA, dst: IP.remote, proto: 'tcp', sport: 33000, dport: 443, flags: 'S' }, c.U0, MAC.r0, 'SYN out');
  await delivered(c, { src: IP.remote, dst: IP.epA, proto: 'tcp', sport: 443, dport: 33000, flags: 'SA' }, 'SYN-ACK back');
  await blocked(c, { src: IP.remote, dst: IP.epA, proto: 'tcp', sport: 443, dport: 33001, flags: 'S' }, 'a new connection in is still denied');
});

test('stateful.udp-return', '§2 stage 3: a UDP reply to an isolated endpoint\'s request is allowed', STATEFUL, async (c) => {
  await topology(c);
  await c.write([mod({ endpoint: { ip: IP.epA, portId: c.H0, mac: MAC.epA, endpointId: 'ep-a', isolatedIngress: true } })]);
  await c.expectForwarded(c.H0, { src: IP.epA, dst: IP.remote, sport: 5353, dport: 53 }, c.U0, MAC.r0, 'query out');
  await delivered(c, { src: IP.remote, dst: IP.epA, proto: 'udp', sport: 53, dport: 5353 }, 'answer back');
  await blocked(c, { src: IP.remote, dst: IP.epA, proto: 'udp', sport: 53, dport: 5354 }, 'other port');
});

test('stateful.established-skips-deny', '§2 stage 3: an established connection keeps flowing after a deny entry is added', STATEFUL, async (c) => {
  await topology(c);
  await c.expectForwarded(c.U0, toA({ flags: 'S' }), c.H0, MAC.epA, 'SYN in');
  await c.expectForwarded(c.H0, { src: IP.epA, dst: IP.remote, proto: 'tcp', sport: 80, dport: 40000, flags: 'SA' }, c.U0, MAC.r0, 'SYN-ACK out');
  await c.insert(deny({ endpointId: 'ep-a' }));
  await delivered(c, toA({ flags: 'A' }), 'ACK of the established connection');
  await blocked(c, toA({ sport: 40001, flags: 'S' }), 'a new connection');
});
