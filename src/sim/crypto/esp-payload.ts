// The ESP packet itself (RFC 4303 §2) protected with AES-GCM as RFC 4106 defines:
//
//   SPI (4) | Sequence Number (4) | IV (8) | ciphertext … | ICV (16)
//   plaintext = payload | padding 1,2,3,… | pad length (1) | next header (1)
//
// - nonce = salt (4, from the SA's key material) || IV (8, carried in the packet)
// - AAD   = SPI || sequence number (8 bytes: 32-bit sequence numbers, no ESN)
// - GCM is a stream mode, so padding only aligns the trailer: payload + padding + 2
//   is a multiple of 4 (RFC 4303 §2.4). We add the minimum and, inbound, require
//   the RFC's 1, 2, 3, … pattern.
//
// Mode handling (which IP header goes where) is in esp.ts.

import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';

export const ESP_HEADER_BYTES = 8;
export const ESP_IV_BYTES = 8;
export const ESP_ICV_BYTES = 16;
/** Smallest valid ESP packet: header, IV, the 2-byte trailer (padded to 4) and the ICV. */
export const ESP_MIN_BYTES = ESP_HEADER_BYTES + ESP_IV_BYTES + 4 + ESP_ICV_BYTES;

export type GcmAlgorithm = 'AES_GCM_128' | 'AES_GCM_256';

/** Key material as the SA holds it: an opaque node KeyObject plus the 4-byte salt. */
export interface AeadKey {
  readonly algorithm: GcmAlgorithm;
  readonly key: KeyObject;
  readonly salt: Uint8Array;
}

export type OpenFailure = 'ipsec-malformed' | 'ipsec-auth-failed' | 'ipsec-bad-trailer';

export type OpenResult =
  | { ok: true; spi: number; seq: number; payload: Uint8Array; nextHeader: number; padLength: number }
  | { ok: false; reason: OpenFailure };

function cipherName(alg: GcmAlgorithm): 'aes-128-gcm' | 'aes-256-gcm' {
  return alg === 'AES_GCM_128' ? 'aes-128-gcm' : 'aes-256-gcm';
}

function nonce(k: AeadKey, iv: Uint8Array): Buffer {
  const n = Buffer.alloc(12);
  n.set(k.salt, 0);
  n.set(iv, 4);
  return n;
}

/** Padding bytes RFC 4303 §2.4 needs after `payloadLength` bytes (4-byte alignment of the trailer). */
export function espPadLength(payloadLength: number): number {
  return (4 - ((payloadLength + 2) % 4)) % 4;
}

/** Bytes of the ESP packet (header through ICV) carrying `payloadLength` bytes. */
export function espPacketLength(payloadLength: number): number {
  return ESP_HEADER_BYTES + ESP_IV_BYTES + payloadLength + espPadLength(payloadLength) + 2 + ESP_ICV_BYTES;
}

/** Reads SPI and sequence number without touching the crypto. */
export function peekEsp(esp: Uint8Array): { spi: number; seq: number } | null {
  if (esp.length < ESP_HEADER_BYTES) return null;
  const dv = new DataView(esp.buffer, esp.byteOffset, esp.byteLength);
  return { spi: dv.getUint32(0), seq: dv.getUint32(4) };
}

/** Builds one ESP packet (header through ICV) around `payload`. */
export function sealEsp(k: AeadKey, spi: number, seq: number, iv: Uint8Array, payload: Uint8Array, nextHeader: number): Uint8Array {
  if (iv.length !== ESP_IV_BYTES) throw new RangeError('the ESP IV is 8 bytes (RFC 4106)');
  const pad = espPadLength(payload.length);
  const plain = new Uint8Array(payload.length + pad + 2);
  plain.set(payload, 0);
  for (let i = 0; i < pad; i++) plain[payload.length + i] = i + 1;
  plain[plain.length - 2] = pad;
  plain[plain.length - 1] = nextHeader;

  const out = new Uint8Array(ESP_HEADER_BYTES + ESP_IV_BYTES + plain.length + ESP_ICV_BYTES);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, spi >>> 0);
  dv.setUint32(4, seq >>> 0);
  out.set(iv, ESP_HEADER_BYTES);
  const c = createCipheriv(cipherName(k.algorithm), k.key, nonce(k, iv), { authTagLength: ESP_ICV_BYTES });
  c.setAAD(out.subarray(0, ESP_HEADER_BYTES));
  const body = c.update(plain);
  const tail = c.final(); // empty for GCM, kept for correctness
  let o = ESP_HEADER_BYTES + ESP_IV_BYTES;
  out.set(body, o);
  o += body.length;
  out.set(tail, o);
  out.set(c.getAuthTag(), out.length - ESP_ICV_BYTES);
  return out;
}

/** Verifies and decrypts one ESP packet (header through ICV). Never throws on packet content. */
export function openEsp(k: AeadKey, esp: Uint8Array): OpenResult {
  // The ciphertext (payload, padding, trailer) is a multiple of 4 bytes (RFC 4303 §2.4).
  if (esp.length < ESP_MIN_BYTES || (esp.length - ESP_MIN_BYTES) % 4 !== 0) return { ok: false, reason: 'ipsec-malformed' };
  const { spi, seq } = peekEsp(esp)!;
  const iv = esp.subarray(ESP_HEADER_BYTES, ESP_HEADER_BYTES + ESP_IV_BYTES);
  const ct = esp.subarray(ESP_HEADER_BYTES + ESP_IV_BYTES, esp.length - ESP_ICV_BYTES);
  let plain: Buffer;
  try {
    const d = createDecipheriv(cipherName(k.algorithm), k.key, nonce(k, iv), { authTagLength: ESP_ICV_BYTES });
    d.setAAD(esp.subarray(0, ESP_HEADER_BYTES));
    d.setAuthTag(esp.subarray(esp.length - ESP_ICV_BYTES));
    plain = Buffer.concat([d.update(ct), d.final()]);
  } catch {
    // The only failure left here is the tag check; its message is not passed on.
    return { ok: false, reason: 'ipsec-auth-failed' };
  }
  const padLength = plain[plain.length - 2];
  const nextHeader = plain[plain.length - 1];
  const payloadLength = plain.length - 2 - padLength;
  if (payloadLength < 0) return { ok: false, reason: 'ipsec-bad-trailer' };
  for (let i = 0; i < padLength; i++) if (plain[payloadLength + i] !== i + 1) return { ok: false, reason: 'ipsec-bad-trailer' };
  return { ok: true, spi, seq, payload: new Uint8Array(plain.buffer, plain.byteOffset, payloadLength), nextHeader, padLength };
}
