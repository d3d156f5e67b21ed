// crypto: IPsec SA / SPD and TLS session programming rules, key material that
// never comes back (Read, digest, errors), value checks, and ESP protection of
// packets (RFC 4303 with AES-GCM per RFC 4106) (hal-spec §3.2, §5.5, §15).
import { createDecipheriv } from 'node:crypto';
import { mod, type Ctx, type Entry } from '../framework/context.js';
import { profile } from '../framework/define.js';
import { check, eq, show } from '../framework/expect.js';
import { applied, feature, ipsecAlgorithm, table } from '../framework/needs.js';
import { Unsupported } from '../framework/types.js';
import { hex, r32 } from '../packet/frame.js';
import { parseFrame } from '../packet/parse.js';
import { KEY16, KEY32, SALT, TLS_IV, TLS_KEY } from '../samples.js';
import { IP, MAC, TOPO, topology } from '../topology.js';

export const { tests, test } = profile('crypto');

const SA = 'updates[0].entry.ipsecSa';
const TLS = 'updates[0].entry.tlsSession';

const sa = (extra: Record<string, unknown> = {}): Entry => ({ ipsecSa: { id: 'sa', spi: 0x1000, direction: 'INBOUND', mode: 'TRANSPORT', algorithm: 'AES_GCM_128', key: KEY16, salt: SALT, ...extra } });
const tls = (extra: Record<string, unknown> = {}): Entry => ({
  tlsSession: { localIp: '10.0.0.10', localPort: 443, remoteIp: '10.0.0.20', remotePort: 50000, cipher: 'TLS_AES_128_GCM_SHA256', tx: { key: TLS_KEY, iv: TLS_IV }, rx: { key: TLS_KEY, iv: TLS_IV }, ...extra },
});

/** When the SA table is applied to packets, the sample's algorithm and mode must be declared (§5.4 step 4). */
function saValues(c: Ctx, mode: 'TRANSPORT' | 'TUNNEL' = 'TRANSPORT'): void {
  const t = (c.caps.tables ?? []).find((x) => x.name === 'ipsec_sa');
  if (!t?.appliedToPackets) return;
  if (!(c.caps.crypto?.ipsecAlgorithms ?? []).includes('AES_GCM_128')) throw new Unsupported('crypto.ipsecAlgorithms AES_GCM_128');
  if (!(c.caps.crypto?.ipsecModes ?? []).includes(mode)) throw new Unsupported(`crypto.ipsecModes ${mode}`);
}
function tlsValues(c: Ctx): void {
  const t = (c.caps.tables ?? []).find((x) => x.name === 'tls_session');
  if (t?.appliedToPackets && !(c.caps.crypto?.tlsCiphers ?? []).includes('TLS_AES_128_GCM_SHA256')) throw new Unsupported('crypto.tlsCiphers TLS_AES_128_GCM_SHA256');
}

/** No rendering of the key bytes may appear in a message (§15). */
function noKeyIn(text: string, key: Uint8Array, what: string): void {
  const forms = [hex(key), Buffer.from(key).toString('base64'), [...key].join(','), [...key].join(', ')];
  for (const f of forms) check(!text.includes(f), `${what} contains key material (${f.slice(0, 16)}…)`);
}

test('sa.key-length', '§5.5, §15: an SA key of the wrong length is FIELD_INVALID at key; the message never shows the key', [table('ipsec_sa')], async (c) => {
  saValues(c);
  const bad = new Uint8Array(15).fill(0xa5);
  const s = await c.rejected({ type: 'INSERT', entry: sa({ key: bad }) as never }, { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${SA}.key` });
  noKeyIn(show(s), bad, 'the status');
});

test('sa.key-256', '§5.5: AES_GCM_256 needs a 32-byte key: 16 bytes is FIELD_INVALID', [table('ipsec_sa')], async (c) => {
  const t = (c.caps.tables ?? []).find((x) => x.name === 'ipsec_sa');
  if (t?.appliedToPackets && !(c.caps.crypto?.ipsecAlgorithms ?? []).includes('AES_GCM_256')) throw new Unsupported('crypto.ipsecAlgorithms AES_GCM_256');
  await c.rejected({ type: 'INSERT', entry: sa({ algorithm: 'AES_GCM_256', key: KEY16 }) as never }, { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${SA}.key` });
  await c.insert(sa({ algorithm: 'AES_GCM_256', key: KEY32 }));
});

test('sa.salt-missing', '§5.5: an SA without salt is FIELD_MISSING at salt', [table('ipsec_sa')], async (c) => {
  saValues(c);
  const { salt: _s, ...body } = sa().ipsecSa;
  await c.rejected({ type: 'INSERT', entry: { ipsecSa: body } as never }, { code: 'INVALID_ARGUMENT', reason: 'FIELD_MISSING', fieldPath: `${SA}.salt` });
});

test('sa.outbound-replay', '§5.5 [D]: replayWindow on an OUTBOUND SA is FIELD_INVALID', [table('ipsec_sa')], async (c) => {
  saValues(c);
  await c.rejected({ type: 'INSERT', entry: sa({ direction: 'OUTBOUND', replayWindow: 64 }) as never }, { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${SA}.replayWindow` });
});

test('sa.tunnel-addresses', '§5.5: a TUNNEL mode SA needs tunnelSrc and tunnelDst (FIELD_MISSING)', [table('ipsec_sa')], async (c) => {
  saValues(c, 'TUNNEL');
  await c.rejected({ type: 'INSERT', entry: sa({ mode: 'TUNNEL', tunnelSrc: '192.0.2.1' }) as never }, { code: 'INVALID_ARGUMENT', reason: 'FIELD_MISSING', fieldPath: `${SA}.tunnelDst` });
});

test('sa.transport-addresses', '§5.5: a TRANSPORT mode SA must not carry tunnel addresses', [table('ipsec_sa')], async (c) => {
  saValues(c);
  await c.rejected({ type: 'INSERT', entry: sa({ tunnelSrc: '192.0.2.1' }) as never }, { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${SA}.tunnelSrc` });
});

test('sa.spi-range', '§4.1: an SPI below 256 is FIELD_INVALID (RFC 4303 reserves 1..255)', [table('ipsec_sa')], async (c) => {
  await c.rejected({ type: 'INSERT', entry: sa({ spi: 255 }) as never }, { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${SA}.spi` });
});

test('sa.modify-needs-key', '§5.1, §15: MODIFY replaces key material: without the key it is FIELD_MISSING', [table('ipsec_sa')], async (c) => {
  saValues(c);
  await c.insert(sa());
  const { key: _k, ...body } = sa({ spi: 0x2000 }).ipsecSa;
  await c.rejected({ type: 'MODIFY', entry: { ipsecSa: body } as never }, { code: 'INVALID_ARGUMENT', reason: 'FIELD_MISSING', fieldPath: `${SA}.key` });
});

test('sa.digest-excludes-key', '§9.2, §15: the digest ignores key material: changing only the key leaves it unchanged', [table('ipsec_sa')], async (c) => {
  saValues(c);
  const d1 = (await c.insert(sa())).digest;
  const d2 = (await c.write([mod(sa({ key: new Uint8Array(16).fill(0x11), salt: new Uint8Array(4).fill(0x22) }))])).digest;
  eq(d2, d1, 'digest after a key-only MODIFY');
});

test('sa.never-read', '§15: Read never returns key or salt, with or without counters', [table('ipsec_sa')], async (c) => {
  saValues(c);
  await c.insert(sa());
  const recs = [...(await c.hal.read({ tables: ['ipsec_sa'] })), ...(await c.hal.read({ includeCounters: true }))];
  for (const r of recs.filter((x) => x.entry?.ipsecSa)) {
    check(!('key' in r.entry!.ipsecSa!) && !('salt' in r.entry!.ipsecSa!), `Read returned key material: ${show(r)}`);
    noKeyIn(show(r), KEY16, 'Read');
  }
});

test('spd.protect-needs-sa', '§5.5: SPD_PROTECT needs saId (FIELD_MISSING); SPD_BYPASS must not set it', [table('ipsec_spd'), table('ipsec_sa')], async (c) => {
  saValues(c);
  await c.insert(sa());
  const spd = (extra: Record<string, unknown>) => ({ type: 'INSERT' as const, entry: { ipsecSpd: { direction: 'OUTBOUND', priority: 10, ...extra } } as never });
  await c.rejected(spd({ action: 'SPD_PROTECT' }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_MISSING', fieldPath: 'updates[0].entry.ipsecSpd.saId' });
  await c.rejected(spd({ action: 'SPD_BYPASS', saId: 'sa' }), { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: 'updates[0].entry.ipsecSpd.saId' });
});

test('spd.sa-in-use', '§6.4: an SA an SPD entry protects with cannot be deleted (OBJECT_IN_USE)', [table('ipsec_spd'), table('ipsec_sa')], async (c) => {
  saValues(c);
  await c.insert(sa({ direction: 'OUTBOUND' }), { ipsecSpd: { direction: 'OUTBOUND', priority: 10, action: 'SPD_PROTECT', saId: 'sa' } });
  await c.rejected({ type: 'DELETE', entry: { ipsecSa: { id: 'sa' } } as never }, { code: 'FAILED_PRECONDITION', reason: 'OBJECT_IN_USE', fieldPath: SA });
});

test('tls.key-length', '§5.5, §15: a TLS key of the wrong length is FIELD_INVALID at tx.key; the message never shows the key', [table('tls_session')], async (c) => {
  tlsValues(c);
  const bad = new Uint8Array(20).fill(0xc3);
  const s = await c.rejected({ type: 'INSERT', entry: tls({ tx: { key: bad, iv: TLS_IV } }) as never }, { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${TLS}.tx.key` });
  noKeyIn(show(s), bad, 'the status');
});

test('tls.iv-length', '§5.5: a TLS 1.3 IV must be 12 bytes', [table('tls_session')], async (c) => {
  tlsValues(c);
  await c.rejected({ type: 'INSERT', entry: tls({ rx: { key: TLS_KEY, iv: new Uint8Array(11) } }) as never }, { code: 'INVALID_ARGUMENT', reason: 'FIELD_INVALID', fieldPath: `${TLS}.rx.iv` });
});

test('tls.directions', '§5.5: tx and rx must both be present (FIELD_MISSING)', [table('tls_session')], async (c) => {
  tlsValues(c);
  const { tx: _t, ...body } = tls().tlsSession;
  await c.rejected({ type: 'INSERT', entry: { tlsSession: body } as never }, { code: 'INVALID_ARGUMENT', reason: 'FIELD_MISSING', fieldPath: `${TLS}.tx` });
});

test('tls.never-read', '§15: Read returns a TLS session without keys or IVs, keeping recordSeq', [table('tls_session')], async (c) => {
  tlsValues(c);
  await c.insert(tls({ tx: { key: TLS_KEY, iv: TLS_IV, recordSeq: 7 } }));
  eq(await c.rows('tls_session'), [{ tlsSession: { localIp: '10.0.0.10', localPort: 443, remoteIp: '10.0.0.20', remotePort: 50000, cipher: 'TLS_AES_128_GCM_SHA256', tx: { recordSeq: 7 }, rx: {} } }], 'Read');
});

test('values.algorithm', '§5.4 step 4 [D]: an algorithm not in crypto.ipsecAlgorithms is FEATURE_UNSUPPORTED', [applied('ipsec_sa')], async (c) => {
  const algs = c.caps.crypto?.ipsecAlgorithms ?? [];
  const missing = (['AES_GCM_128', 'AES_GCM_256'] as const).find((a) => !algs.includes(a));
  if (!missing) throw new Unsupported('an undeclared IPsec algorithm (both are declared)');
  await c.rejected({ type: 'INSERT', entry: sa({ algorithm: missing, key: missing === 'AES_GCM_256' ? KEY32 : KEY16 }) as never }, { code: 'UNIMPLEMENTED', reason: 'FEATURE_UNSUPPORTED', fieldPath: `${SA}.algorithm` });
});

// ------------------------------------------------------------------ ESP on packets

test('esp.protect', '§2 stage 11, RFC 4303/4106: SPD_PROTECT encrypts with the SA: ESP with its SPI, sequence 1, and a payload that decrypts to the original', [...TOPO, feature('IPV4_ROUTING'), feature('IPSEC_ESP'), applied('ipsec_sa'), applied('ipsec_spd'), ipsecAlgorithm('AES_GCM_128')], async (c) => {
  if (!(c.caps.crypto?.ipsecModes ?? []).includes('TRANSPORT')) throw new Unsupported('crypto.ipsecModes TRANSPORT');
  await topology(c);
  await c.insert(sa({ id: 'out', spi: 0x4242, direction: 'OUTBOUND' }), { ipsecSpd: { direction: 'OUTBOUND', dstPrefix: '198.51.100.0/24', priority: 10, action: 'SPD_PROTECT', saId: 'out' } });
  const f = { src: IP.epA, dst: IP.remote, sport: 4000, dport: 5000, payload: 'secret payload' };
  const { port, frame } = await c.emitsOne(c.H0, f, 'protected packet');
  eq(port, c.U0, 'egress');
  const p = parseFrame(frame);
  check(p?.ip, 'not IP');
  eq([p.dstMac, p.ip.src, p.ip.dst, p.ip.proto], [MAC.r0, IP.epA, IP.remote, 50], 'ESP packet addresses');
  const esp = frame.subarray(p.ip.offset + 20, p.ip.offset + p.ip.length);
  eq([r32(esp, 0), r32(esp, 4)], [0x4242, 1], 'SPI and sequence number');
  const iv = esp.subarray(8, 16);
  const ct = esp.subarray(16, esp.length - 16);
  const tag = esp.subarray(esp.length - 16);
  const d = createDecipheriv('aes-128-gcm', KEY16, Buffer.concat([SALT, iv]));
  d.setAAD(esp.subarray(0, 8));
  d.setAuthTag(tag);
  const plain = Buffer.concat([d.update(ct), d.final()]);
  const next = plain[plain.length - 1];
  const padLen = plain[plain.length - 2];
  eq(next, 17, 'ESP next header (UDP)');
  const udp = plain.subarray(0, plain.length - 2 - padLen);
  eq(Buffer.from(udp.subarray(8)).toString(), 'secret payload', 'decrypted UDP payload');
});
