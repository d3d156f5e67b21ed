// telemetry: drop and table counters, the event stream (sequence numbers,
// resume, filters) and flow records of allowed and denied flows (hal-spec §13).
import type { Event, FlowRecord, SubscribeRequest } from '../../src/hal/index.js';
import { del, mod, type Ctx } from '../framework/context.js';
import { profile } from '../framework/define.js';
import { check, eq, fail, shape, show } from '../framework/expect.js';
import { applied, conntrack, eventStream, feature, fresh, io, noEventStream, noIpfix, perEntryCounters, ports, virtualTime } from '../framework/needs.js';
import { IP, TOPO, topology } from '../topology.js';

export const { tests, test } = profile('telemetry');

const S = 1_000_000_000;

interface Stream {
  readonly events: Event[];
  error?: Error;
  close(): void;
}

function open(c: Ctx, req: SubscribeRequest): Stream {
  const s: Stream = { events: [], close: () => undefined };
  const sub = c.hal.subscribe(req, (e) => s.events.push(e), (err) => {
    s.error = err;
  });
  return Object.assign(s, { close: () => sub.close() });
}

/**
 * Subscribes. On a shared device (an endpoint, reset between tests) events of
 * earlier tests are still retained (§13.2), so the stream starts after the last
 * of them: the replay is read first and its last sequence resumed from.
 */
async function subscribe(c: Ctx, req: SubscribeRequest = {}): Promise<Stream> {
  if (c.env.fresh || req.afterSequence) return open(c, req);
  const probe = open(c, {});
  let seen = -1;
  for (let quiet = 0; quiet < 5; ) {
    await new Promise((r) => setTimeout(r, 20));
    quiet = probe.events.length === seen ? quiet + 1 : 0;
    seen = probe.events.length;
  }
  probe.close();
  const last = probe.events.reduce((m, e) => Math.max(m, Number(e.sequence ?? 0)), 0);
  return open(c, { ...req, ...(last > 0 && { afterSequence: last }) });
}

/** Waits (bounded, real time) until `cond` holds: delivery over a transport is asynchronous. */
async function until(cond: () => boolean, what: string, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  for (let i = 0; !cond(); i++) {
    if (Date.now() > end) fail(`timed out waiting for ${what}`);
    await new Promise((r) => (i < 20 ? setImmediate(r) : setTimeout(r, 10)));
  }
}

const records = (s: Stream): FlowRecord[] => s.events.filter((e) => e.flowRecord).map((e) => e.flowRecord!);

/** Lets every event already due arrive, then checks no more than `n` did. */
async function settle(s: Stream, n: number, what: string): Promise<void> {
  await until(() => s.events.length >= n, `${n} event(s): ${what}`);
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  eq(s.events.length, n, `events: ${what}`);
}

// Events are numbered per device lifetime and retained across resets: on a shared
// device subscribe() starts after the events earlier tests left behind.
const FLOWS = [...TOPO, feature('IPV4_ROUTING'), feature('FLOW_RECORDS'), applied('flow_log'), eventStream];
const DENY = [...FLOWS, feature('ACL'), applied('acl')];

// ------------------------------------------------------------------ counters

test('counters.drop-reason', '§13.1: a drop is counted once under the reason Inject reported', [io, ports(1, 1)], async (c) => {
  const before = await c.hal.getCounters();
  const r = await c.inject(c.H0, new Uint8Array(16));
  check(r.dropReason, 'no drop reason');
  const after = await c.hal.getCounters();
  eq(Number(after.drops?.[r.dropReason] ?? 0) - Number(before.drops?.[r.dropReason] ?? 0), 1, `drops["${r.dropReason}"]`);
});

test('counters.malformed-prefix', '§13.1: malformed input is counted under malformed:<reason>', [io, ports(1, 1)], async (c) => {
  const r = await c.inject(c.H0, Uint8Array.from([1, 2, 3]));
  check(r.dropReason?.startsWith('malformed:'), `drop reason "${r.dropReason}"`);
});

test('counters.emitted', '§13.1: emitted totals count every packet that left a port, in frame bytes', [...TOPO, feature('IPV4_ROUTING')], async (c) => {
  await topology(c);
  const before = await c.hal.getCounters();
  const f = c.frameIn(c.H0, { src: IP.epA, dst: IP.remote });
  await c.inject(c.H0, f);
  await c.inject(c.H0, f);
  const after = await c.hal.getCounters();
  eq([Number(after.emitted?.packets ?? 0) - Number(before.emitted?.packets ?? 0), Number(after.emitted?.bytes ?? 0) - Number(before.emitted?.bytes ?? 0)], [2, 2 * f.length], 'emitted');
});

test('counters.endpoint', '§8: an endpoint\'s per-entry counters count packets delivered to it', [...TOPO, feature('IPV4_ROUTING'), perEntryCounters('endpoint')], async (c) => {
  await topology(c);
  const f = c.frameIn(c.U0, { src: IP.remote, dst: IP.epB });
  await c.inject(c.U0, f);
  const rec = (await c.hal.read({ tables: ['endpoint'], includeCounters: true, filters: [{ field: 'ip', equals: IP.epB }] }))[0];
  eq([Number(rec.counters?.packets ?? 0), Number(rec.counters?.bytes ?? 0)], [1, f.length], 'endpoint counters');
});

// ------------------------------------------------------------------ event stream

test('events.unsupported', '§13.2: without telemetry.eventStream, Subscribe fails UNIMPLEMENTED/FEATURE_UNSUPPORTED', [noEventStream], async (c) => {
  const s = await subscribe(c);
  await until(() => s.error !== undefined, 'the Subscribe error');
  s.close();
  const e = s.error as Error & { code?: string; reason?: string };
  eq(shape(e as never), { code: 'UNIMPLEMENTED', reason: 'FEATURE_UNSUPPORTED' }, 'Subscribe error');
});

test('events.ipfix-unsupported', '§13.3 [D]: ipfixCollectors without telemetry.ipfixExport is FEATURE_UNSUPPORTED', [applied('flow_log'), noIpfix], async (c) => {
  await c.rejected({ type: 'INSERT', entry: { flowLog: { recordAllowed: true, ipfixCollectors: ['192.0.2.9:4739'] } } }, { code: 'UNIMPLEMENTED', reason: 'FEATURE_UNSUPPORTED', fieldPath: 'updates[0].entry.flowLog.ipfixCollectors' });
});

async function denyAll(c: Ctx, flowLog: Record<string, unknown> = { recordDenied: true }): Promise<void> {
  await topology(c);
  await c.insert({ flowLog }, { acl: { stage: 'ACL_INGRESS', endpointId: 'ep-a', priority: 10, action: 'ACL_DENY', policyRef: 'ns/deny-all' } });
}
const denied = (i: number) => ({ src: IP.remote, dst: IP.epA, proto: 'tcp' as const, sport: 40000 + i, dport: 80 });

test('flows.denied', '§13.3: a denied flow is reported once at its first packet: DENIED, POLICY_DENIED, the ACL\'s policyRef', DENY, async (c) => {
  await denyAll(c);
  const s = await subscribe(c);
  for (let k = 0; k < 3; k++) await c.send(c.U0, denied(0));
  await settle(s, 1, 'one record for three packets of one denied flow');
  s.close();
  const r = records(s)[0];
  check(r, 'not a flow record');
  eq([r.verdict, r.endReason, r.policyRef], ['DENIED', 'POLICY_DENIED', 'ns/deny-all'], 'verdict, end reason, policyRef');
  eq(r.original, { srcIp: IP.remote, dstIp: IP.epA, protocol: 6, srcPort: 40000, dstPort: 80 }, 'original tuple');
  eq(r.translated, r.original, 'translated equals original without NAT');
  eq(r.ingressPort, c.U0, 'ingress port');
});

test('flows.sequence', '§13.2: sequence numbers increase by exactly one per event', DENY, async (c) => {
  await denyAll(c);
  const s = await subscribe(c);
  for (let i = 0; i < 4; i++) await c.send(c.U0, denied(i));
  await settle(s, 4, 'four denied flows');
  s.close();
  const seq = s.events.map((e) => Number(e.sequence));
  eq(seq.slice(1).map((x, i) => x - seq[i]), [1, 1, 1], `sequence steps of ${show(seq)}`);
  check(seq[0] >= 1, 'sequences start at 1');
});

test('flows.fresh-sequence', '§13.2: a fresh device\'s first event has sequence 1', [...DENY, fresh], async (c) => {
  await denyAll(c);
  const s = await subscribe(c);
  await c.send(c.U0, denied(0));
  await settle(s, 1, 'one denied flow');
  s.close();
  eq(Number(s.events[0].sequence), 1, 'first sequence');
});

test('flows.resume', '§13.2: afterSequence N replays the retained events after N, then live ones', DENY, async (c) => {
  await denyAll(c);
  const a = await subscribe(c);
  for (let i = 0; i < 3; i++) await c.send(c.U0, denied(i));
  await settle(a, 3, 'three denied flows');
  a.close();
  const first = Number(a.events[0].sequence);
  const b = await subscribe(c, { afterSequence: first });
  await settle(b, 2, 'replay after the first');
  await c.send(c.U0, denied(9));
  await settle(b, 3, 'a live event after the replay');
  b.close();
  eq(b.events.map((e) => Number(e.sequence)), [first + 1, first + 2, first + 3], 'sequences');
});

test('flows.resume-future', '§13.2 [D]: afterSequence beyond the last issued fails OUT_OF_RANGE at afterSequence', DENY, async (c) => {
  await denyAll(c);
  const s = await subscribe(c, { afterSequence: 1_000_000 });
  await until(() => s.error !== undefined, 'the Subscribe error');
  s.close();
  eq(shape(s.error as never), { code: 'OUT_OF_RANGE', fieldPath: 'afterSequence' }, 'Subscribe error');
});

test('flows.kinds-filter', '§13.2: a kinds filter leaves other kinds out without renumbering', DENY, async (c) => {
  await denyAll(c);
  const s = await subscribe(c, { kinds: ['CONNTRACK_AGING'] });
  const all = await subscribe(c);
  await c.send(c.U0, denied(0));
  await settle(all, 1, 'the unfiltered stream');
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  eq(s.events.length, 0, 'flow records on a CONNTRACK_AGING-only stream');
  s.close();
  all.close();
});

test('flows.no-flow-log', '§13.3 [D]: without a flow_log entry no flow records are produced', DENY, async (c) => {
  await denyAll(c);
  await c.write([del({ flowLog: {} })]);
  const s = await subscribe(c);
  await c.send(c.U0, denied(0));
  for (let i = 0; i < 40; i++) await new Promise((r) => setImmediate(r));
  s.close();
  eq(records(s), [], 'flow records');
});

test('flows.denied-not-selected', '§13.3: recordDenied false leaves denied flows unrecorded', DENY, async (c) => {
  await denyAll(c, { recordAllowed: true });
  const s = await subscribe(c);
  await c.send(c.U0, denied(0));
  for (let i = 0; i < 40; i++) await new Promise((r) => setImmediate(r));
  s.close();
  eq(records(s).filter((r) => r.verdict === 'DENIED'), [], 'denied records');
});

test('flows.default-deny-ref', '§3.2 notes: a flow denied by isolation has policyRef "default-deny"', [...DENY, feature('ACL_DEFAULT_DENY')], async (c) => {
  await topology(c);
  await c.insert({ flowLog: { recordDenied: true } });
  await c.write([mod({ endpoint: { ip: IP.epA, portId: c.H0, mac: '02:aa:00:00:00:0a', endpointId: 'ep-a', isolatedIngress: true } })]);
  const s = await subscribe(c);
  await c.send(c.U0, denied(0));
  await settle(s, 1, 'a default-denied flow');
  s.close();
  eq([records(s)[0]?.verdict, records(s)[0]?.policyRef], ['DENIED', 'default-deny'], 'verdict and policyRef');
});

const ALLOWED = [...FLOWS, feature('CONNTRACK'), conntrack, virtualTime];

test('flows.allowed-idle', '§13.3: an allowed flow ends with IDLE_TIMEOUT when its connection expires, with its counters', ALLOWED, async (c) => {
  await topology(c);
  await c.insert({ flowLog: { recordAllowed: true } });
  const s = await subscribe(c, { kinds: ['FLOW_RECORD'] });
  const f = c.frameIn(c.H0, { src: IP.epA, dst: IP.remote, sport: 1000, dport: 53 });
  await c.inject(c.H0, f);
  await c.inject(c.H0, f);
  await c.hal.advance(31 * S);
  await settle(s, 1, 'the expiry of one UDP flow');
  s.close();
  const r = records(s)[0];
  eq([r?.verdict, r?.endReason, r?.policyRef], ['ALLOWED', 'IDLE_TIMEOUT', 'default-allow'], 'verdict, end reason, policyRef');
  eq([Number(r.forward?.packets ?? 0), Number(r.forward?.bytes ?? 0)], [2, 2 * f.length], 'forward counters');
});

test('flows.allowed-not-selected', '§13.3: recordAllowed false leaves allowed flows unrecorded', ALLOWED, async (c) => {
  await topology(c);
  await c.insert({ flowLog: { recordDenied: true } });
  const s = await subscribe(c, { kinds: ['FLOW_RECORD'] });
  await c.send(c.H0, { src: IP.epA, dst: IP.remote, sport: 1000, dport: 53 });
  await c.hal.advance(31 * S);
  for (let i = 0; i < 40; i++) await new Promise((r) => setImmediate(r));
  s.close();
  eq(records(s), [], 'flow records');
});

test('flows.flushed', '§12 [D]: flushed connections produce FLUSHED flow records and no aging events', ALLOWED, async (c) => {
  await topology(c);
  await c.insert({ flowLog: { recordAllowed: true } });
  const s = await subscribe(c);
  await c.send(c.H0, { src: IP.epA, dst: IP.remote, sport: 1000, dport: 53 });
  await c.hal.deleteConntrack({ filter: {} });
  await settle(s, 1, 'one flushed flow');
  s.close();
  eq(records(s).map((r) => r.endReason), ['FLUSHED'], 'end reasons');
  eq(s.events.filter((e) => e.conntrackAging).length, 0, 'aging events');
});

test('flows.active-timeout', '§13.3: activeTimeoutS reports a long-lived flow periodically (ACTIVE_TIMEOUT)', ALLOWED, async (c) => {
  await topology(c);
  await c.insert({ flowLog: { recordAllowed: true, activeTimeoutS: 10 } });
  const s = await subscribe(c, { kinds: ['FLOW_RECORD'] });
  const f = { src: IP.epA, dst: IP.remote, sport: 1000, dport: 53 };
  for (let t = 0; t < 5; t++) {
    await c.send(c.H0, f);
    await c.hal.advance(5 * S);
  }
  await until(() => records(s).length >= 2, 'two periodic records');
  s.close();
  check(records(s).slice(0, 2).every((r) => r.endReason === 'ACTIVE_TIMEOUT'), `end reasons ${show(records(s).map((r) => r.endReason))}`);
});

test('flows.event-times', '§14.3: events carry their due times on the device clock', ALLOWED, async (c) => {
  await topology(c);
  await c.insert({ flowLog: { recordAllowed: true } });
  const s = await subscribe(c, { kinds: ['FLOW_RECORD'] });
  const t0 = Number((await c.hal.now()).nowNs ?? 0);
  await c.send(c.H0, { src: IP.epA, dst: IP.remote, sport: 1000, dport: 53 });
  await c.hal.advance(100 * S);
  await settle(s, 1, 'one expiry');
  s.close();
  const t = Number(s.events[0].timeNs ?? 0) - t0;
  check(t >= 30 * S && t <= 31 * S, `the expiry event is stamped ${t / S} s after the packet; its due time is 30 s (udpUnreplied)`);
});
