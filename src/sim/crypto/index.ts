// IPsec engines of the simulator's `crypto` stage (hal-spec §2, stage 11): ESP with
// AES-GCM-128/256 (RFC 4303 + RFC 4106), tunnel and transport mode, anti-replay,
// lifetimes, and the SPD lookup. Pure: no clock, no I/O.
//
// SA (one per `ipsec_sa` row):
//   const sa = new EspSa(entry: IpsecSaEntry, { onLifetime?: (e: SaLifetimeEvent) => void });
//       throws SaConfigError(field) for entries hal-spec §5.5 rejects (never echoing key material).
//   sa.counters() → { packets, bytes, drops: { [reason]: n } }; sa.expired; sa.nextSeq; sa.highestSeq
//   sa.destroy()  on DELETE/MODIFY (a MODIFY is a new EspSa: key material must be re-supplied).
//   JSON.stringify(sa), String(sa), util.inspect(sa) never show key or salt.
//
// Frames (whole Ethernet frames; `pkt` = the frame parsed with parseInner false, optional):
//   espProtect(sa, frame, pkt?)   → { ok: true, frame, seq } | { ok: false, reason }   OUTBOUND SA
//   espUnprotect(sa, frame, pkt?) → { ok: true, frame, seq } | { ok: false, reason }   INBOUND SA
//       The caller picks the inbound SA by the packet's SPI (pkt.l4.spi when pkt.l4.kind === 'esp').
//       reason is the drop counter to charge: 'ipsec-auth-failed', 'ipsec-replay', 'ipsec-sa-expired',
//       'ipsec-seq-overflow', 'ipsec-malformed', 'ipsec-bad-trailer', 'ipsec-spi-mismatch', 'ipsec-not-ip',
//       'ipsec-not-esp', 'ipsec-fragment', 'ipsec-too-big', 'ipsec-dummy', 'ipsec-bad-inner'.
//   Lifetime events go to onLifetime synchronously during the call that crossed them;
//   wrap them into telemetry Events (kind SA_LIFETIME) with the current virtual time.
//
// SA table (all SAs of a device): const sas = new SaTable({ onLifetime });
//   sas.upsert(entry) (INSERT/MODIFY: a MODIFY is a fresh SA, the old one destroyed), sas.delete(id),
//   sas.get(id), sas.inbound(spi) → the INBOUND SA for a received SPI (none: drop 'ipsec-no-sa').
//
// SPD (the `ipsec_spd` table):
//   const spd = new Spd(); spd.set(entry); spd.delete(entry);
//   spd.lookup(direction, src, dst, protocol) → { action, saId?, entry } | undefined (no match)
//
// Lower level (tests, other callers): sealEsp/openEsp build and open one ESP packet with
// explicit IV; ReplayWindow is the RFC 4303 §3.4.3 window.
//
// Details: docs/qos-and-crypto.md.

export { espProtect, espUnprotect, TUNNEL_TTL, type EspDropReason, type EspFrameResult } from './esp.js';
export {
  ESP_HEADER_BYTES, ESP_ICV_BYTES, ESP_IV_BYTES, ESP_MIN_BYTES, espPacketLength, espPadLength, openEsp, peekEsp, sealEsp,
  type AeadKey, type GcmAlgorithm, type OpenFailure, type OpenResult,
} from './esp-payload.js';
export { ReplayWindow, type ReplayVerdict } from './replay.js';
export { EspSa, MAX_SEQ, SaConfigError, type EspSaOptions, type SaCounters, type SaDropReason, type SaLifetimes } from './sa.js';
export { SaTable } from './sa-table.js';
export { Spd, SpdConfigError, spdKey, type SpdDecision } from './spd.js';
