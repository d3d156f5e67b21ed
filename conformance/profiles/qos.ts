// qos: RFC 2697 srTCM and RFC 2698 trTCM policers bound to ports and endpoints,
// color actions, refill on virtual time, shapers, and the value checks of
// §5.4 step 4 (hal-spec §2 stage 10, §3.2 policer, policer_binding, shaper).
import { type Ctx, type Entry } from '../framework/context.js';
import { profile } from '../framework/define.js';
import { check, eq } from '../framework/expect.js';
import { applied, feature, policerMode, virtualTime } from '../framework/needs.js';
import { Unsupported } from '../framework/types.js';
import type { Flow } from '../packet/frame.js';
import { IP, TOPO, topology } from '../topology.js';

export const { tests, test } = profile('qos');

const S = 1_000_000_000;
const POLICE = [...TOPO, feature('IPV4_ROUTING'), feature('POLICER'), applied('policer'), applied('policer_binding'), virtualTime];

/** A UDP flow whose frames are exactly 500 bytes (IP packet 486). */
const flow500 = (i = 0): Flow => ({ src: IP.epA, dst: IP.remote, sport: 7000 + i, dport: 9, payload: new Uint8Array(500 - 14 - 20 - 8).fill(0x42) });

/** Sends n frames at the current time; returns which were forwarded. */
async function burst(c: Ctx, n: number, port?: string, f: (i: number) => Flow = flow500): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const r = await c.send(port ?? c.H0, f(i));
    out.push(r.disposition === 'FORWARDED');
  }
  await c.hal.capture({});
  return out;
}

async function police(c: Ctx, policer: Record<string, unknown>, binding: Record<string, unknown> = {}): Promise<void> {
  await topology(c);
  const p: Entry = { policer: { id: 'p', ...policer } };
  await c.insert(p, { policerBinding: { portId: c.H0, direction: 'INGRESS', policerId: 'p', ...binding } });
}

test('srtcm.red-drop', '§2 stage 10, RFC 2697: within CBS packets pass; beyond CBS and EBS they are red and dropped', [...POLICE, policerMode('SRTCM')], async (c) => {
  await police(c, { mode: 'SRTCM', cir: 1000, cbs: 1500, red: 'COLOR_DROP' });
  eq(await burst(c, 5), [true, true, true, false, false], 'five 500-byte frames against CBS 1500');
});

test('srtcm.refill', '§14.3, RFC 2697: tokens refill at CIR as virtual time advances', [...POLICE, policerMode('SRTCM')], async (c) => {
  await police(c, { mode: 'SRTCM', cir: 1000, cbs: 1500, red: 'COLOR_DROP' });
  await burst(c, 4);
  await c.hal.advance(1 * S);
  eq(await burst(c, 3), [true, true, false], 'after 1 s at CIR 1000 B/s');
});

test('srtcm.ebs-yellow', '§3.2 policer, RFC 2697: EBS makes excess packets yellow; yellow forwarded, red dropped', [...POLICE, policerMode('SRTCM')], async (c) => {
  await police(c, { mode: 'SRTCM', cir: 1000, cbs: 1000, ebs: 1000, red: 'COLOR_DROP' });
  eq(await burst(c, 5), [true, true, true, true, false], 'CBS 1000 + EBS 1000');
});

test('srtcm.yellow-drop', '§3.2 policer: yellow COLOR_DROP drops the yellow packets', [...POLICE, policerMode('SRTCM')], async (c) => {
  await police(c, { mode: 'SRTCM', cir: 1000, cbs: 1000, ebs: 1000, yellow: 'COLOR_DROP', red: 'COLOR_DROP' });
  eq(await burst(c, 5), [true, true, false, false, false], 'yellow and red dropped');
});

test('srtcm.red-forward', '§3.2 policer: red COLOR_FORWARD (the default) forwards everything', [...POLICE, policerMode('SRTCM')], async (c) => {
  await police(c, { mode: 'SRTCM', cir: 1000, cbs: 1000 });
  eq(await burst(c, 4), [true, true, true, true], 'all colors forwarded');
});

test('trtcm.colors', '§2 stage 10, RFC 2698: above PIR red, above CIR yellow', [...POLICE, policerMode('TRTCM')], async (c) => {
  await police(c, { mode: 'TRTCM', cir: 1000, cbs: 1000, pir: 2000, pbs: 2000, yellow: 'COLOR_DROP', red: 'COLOR_DROP' });
  eq(await burst(c, 5), [true, true, false, false, false], 'green, green, yellow, yellow, red');
});

test('trtcm.red-only', '§2 stage 10, RFC 2698: with yellow forwarded, PBS bounds the burst', [...POLICE, policerMode('TRTCM')], async (c) => {
  await police(c, { mode: 'TRTCM', cir: 1000, cbs: 1000, pir: 2000, pbs: 2000, red: 'COLOR_DROP' });
  eq(await burst(c, 5), [true, true, true, true, false], 'four within PBS');
});

test('policer.dropped-counted', '§13.1: a policed drop is counted and emits nothing', [...POLICE, policerMode('SRTCM')], async (c) => {
  await police(c, { mode: 'SRTCM', cir: 1000, cbs: 500, red: 'COLOR_DROP' });
  await burst(c, 1);
  await c.expectDropped(c.H0, flow500(9), 'over the rate');
});

test('policer.other-port', '§3.2 policer_binding: a port binding polices only that port', [...POLICE, policerMode('SRTCM')], async (c) => {
  await police(c, { mode: 'SRTCM', cir: 1000, cbs: 500, red: 'COLOR_DROP' });
  eq(await burst(c, 3, c.H1, (i) => ({ ...flow500(i), src: IP.epB })), [true, true, true], 'from H1');
});

test('policer.endpoint', '§3.2 policer_binding: an endpoint binding polices that endpoint\'s traffic', [...POLICE, policerMode('SRTCM')], async (c) => {
  await topology(c);
  await c.insert({ policer: { id: 'p', mode: 'SRTCM', cir: 1000, cbs: 1000, red: 'COLOR_DROP' } }, { policerBinding: { endpointId: 'ep-b', direction: 'INGRESS', policerId: 'p' } });
  eq(await burst(c, 3, c.U0, (i) => ({ ...flow500(i), src: IP.remote, dst: IP.epB })), [true, true, false], 'to ep-b');
  eq(await burst(c, 3, c.U0, (i) => ({ ...flow500(i), src: IP.remote, dst: IP.epA })), [true, true, true], 'to ep-a');
});

test('policer.shared', '§3.2 policer: two bindings naming one policer share its buckets', [...POLICE, policerMode('SRTCM')], async (c) => {
  await police(c, { mode: 'SRTCM', cir: 1000, cbs: 1000, red: 'COLOR_DROP' });
  await c.insert({ policerBinding: { portId: c.H1, direction: 'INGRESS', policerId: 'p' } });
  eq([...(await burst(c, 1)), ...(await burst(c, 2, c.H1, (i) => ({ ...flow500(i), src: IP.epB })))], [true, true, false], 'H0 then H1');
});

test('policer.unbind', '§3.2: deleting the binding stops policing', [...POLICE, policerMode('SRTCM')], async (c) => {
  await police(c, { mode: 'SRTCM', cir: 1000, cbs: 500, red: 'COLOR_DROP' });
  await c.write([{ type: 'DELETE', entry: { policerBinding: { portId: c.H0, direction: 'INGRESS' } } as never }]);
  eq(await burst(c, 3), [true, true, true], 'after unbinding');
});

// ------------------------------------------------------------------ value checks

test('values.color-aware', '§5.4 step 4 [D]: colorAware without qos.colorAware is UNIMPLEMENTED/FEATURE_UNSUPPORTED', [applied('policer')], async (c) => {
  if (c.caps.qos?.colorAware) throw new Unsupported('absence of qos.colorAware (it is declared)');
  const mode = (c.caps.qos?.policerModes ?? [])[0] ?? 'SRTCM';
  await c.rejected({ type: 'INSERT', entry: { policer: { id: 'p', mode, cir: 1000, cbs: 1000, ...(mode === 'TRTCM' && { pir: 1000, pbs: 1000 }), colorAware: true } } as never }, { code: 'UNIMPLEMENTED', reason: 'FEATURE_UNSUPPORTED', fieldPath: 'updates[0].entry.policer.colorAware' });
});

test('values.policer-mode', '§5.4 step 4 [D]: a policer mode not in qos.policerModes is FEATURE_UNSUPPORTED', [applied('policer')], async (c) => {
  const modes = c.caps.qos?.policerModes ?? [];
  const missing = (['SRTCM', 'TRTCM'] as const).find((m) => !modes.includes(m));
  if (!missing) throw new Unsupported('an undeclared policer mode (both are declared)');
  const body = missing === 'TRTCM' ? { pir: 2000, pbs: 1000 } : {};
  await c.rejected({ type: 'INSERT', entry: { policer: { id: 'p', mode: missing, cir: 1000, cbs: 1000, ...body } } as never }, { code: 'UNIMPLEMENTED', reason: 'FEATURE_UNSUPPORTED', fieldPath: 'updates[0].entry.policer.mode' });
});

test('values.stored-only', '§5.4 step 4 [D]: a policer table not applied to packets stores any schema-valid entry', [], async (c) => {
  const t = (c.caps.tables ?? []).find((x) => x.name === 'policer');
  if (!t || t.appliedToPackets) throw new Unsupported('table policer declared with appliedToPackets false');
  await c.insert({ policer: { id: 'p', mode: 'TRTCM', cir: 1000, cbs: 1000, pir: 2000, pbs: 1000, colorAware: true } });
  eq((await c.rows('policer')).length, 1, 'stored');
});

test('shaper.rate', '§2 stage 10: a port shaper never lets more than burst + rate × t bytes leave by time t', [...TOPO, feature('IPV4_ROUTING'), feature('SHAPER'), applied('shaper'), virtualTime], async (c) => {
  await topology(c);
  await c.insert({ shaper: { portId: c.U0, rateBps: 8000, burstBytes: 1000, queueLimitBytes: 100_000 } });
  const t0 = Number((await c.hal.now()).nowNs ?? 0);
  for (let i = 0; i < 6; i++) await c.send(c.H0, flow500(i));
  await c.hal.advance(10 * S);
  const pk = (await c.hal.capture({ portIds: [c.U0] })).packets ?? [];
  eq(pk.length, 6, 'packets eventually sent (queue limit not reached)');
  let bytes = 0;
  for (const [i, p] of pk.entries()) {
    bytes += p.frame!.length;
    const t = (Number(p.timeNs ?? 0) - t0) / S;
    check(bytes <= 1000 + 1000 * t + 1, `by ${t.toFixed(3)} s, ${bytes} bytes left (limit ${1000 + 1000 * t}) at packet ${i}`);
  }
  check(pk.every((p, i) => i === 0 || Number(p.timeNs) >= Number(pk[i - 1].timeNs)), 'emission times in order');
});

test('binding.missing-policer', '§6.1: a binding naming a missing policer fails REFERENCE_MISSING at policerId', [applied('policer_binding')], async (c) => {
  await c.rejected({ type: 'INSERT', entry: { policerBinding: { portId: c.ports[0].id!, direction: 'INGRESS', policerId: 'ghost' } } as never }, { code: 'NOT_FOUND', reason: 'REFERENCE_MISSING', fieldPath: 'updates[0].entry.policerBinding.policerId' });
});
