// One IPsec security association (an `ipsec_sa` row) with its running state:
// the outbound sequence counter, the inbound anti-replay window, lifetime counters
// and the key material.
//
// Key hygiene (hal-spec §15): the key lives only in a node KeyObject and the salt
// in a private copy, both in #private fields; the entry passed in is not retained.
// JSON, toString and util.inspect show the SA without them, and no error or drop
// result carries anything derived from them.

import { createSecretKey, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { parseIp } from '../../hal/addresses.js';
import type { IpsecSaEntry, SaLifetimeEvent, SaLifetimeKind } from '../../hal/generated/types.js';
import { ESP_IV_BYTES, openEsp, peekEsp, sealEsp, type AeadKey, type GcmAlgorithm, type OpenFailure } from './esp-payload.js';
import { ReplayWindow } from './replay.js';

export class SaConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'SaConfigError';
  }
}

export type SaDropReason =
  | OpenFailure
  | 'ipsec-replay'
  | 'ipsec-sa-expired'
  /** Outbound: the 32-bit sequence number space is used up (RFC 4303 §3.3.3: never wrap). */
  | 'ipsec-seq-overflow'
  /** Inbound: the packet's SPI is not this SA's (the caller chose the wrong SA). */
  | 'ipsec-spi-mismatch';

export interface SaLifetimes {
  softBytes: number;
  hardBytes: number;
  softPackets: number;
  hardPackets: number;
}

export interface SaCounters {
  /** Packets and payload bytes protected (outbound) or accepted (inbound). */
  packets: number;
  bytes: number;
  /** Drops by reason. */
  drops: Partial<Record<SaDropReason, number>>;
}

export interface EspSaOptions {
  /** Called once per lifetime crossing, in the order SOFT_BYTES, SOFT_PACKETS, HARD_BYTES, HARD_PACKETS. */
  onLifetime?: (event: SaLifetimeEvent) => void;
  /**
   * Outbound only: the first sequence number to send (default 1). Only for tests of
   * the end of the sequence space; a real SA always starts at 1 (RFC 4303 §3.3.3).
   */
  firstSeq?: number;
}

export const MAX_SEQ = 0xffffffff;
const KEY_BYTES: Record<GcmAlgorithm, number> = { AES_GCM_128: 16, AES_GCM_256: 32 };

function lifetime(entry: IpsecSaEntry, field: keyof IpsecSaEntry & `${'soft' | 'hard'}Lifetime${string}`): number {
  const v = (entry[field] as number | undefined) ?? 0;
  if (!Number.isSafeInteger(v) || v < 0) throw new SaConfigError(field, `${field} must be a non-negative integer`);
  return v;
}

export class EspSa {
  readonly id: string;
  readonly spi: number;
  readonly direction: 'INBOUND' | 'OUTBOUND';
  readonly mode: 'TRANSPORT' | 'TUNNEL';
  readonly algorithm: GcmAlgorithm;
  readonly replayWindow: number;
  readonly lifetimes: SaLifetimes;
  /** Tunnel mode: outer addresses (text and bytes, one family). */
  readonly tunnelSrc?: string;
  readonly tunnelDst?: string;
  readonly tunnelSrcBytes?: Uint8Array;
  readonly tunnelDstBytes?: Uint8Array;

  #aead: AeadKey | undefined;
  #nextSeq = 1;
  #replay: ReplayWindow;
  #packets = 0;
  #bytes = 0;
  #expired = false;
  #drops: Partial<Record<SaDropReason, number>> = {};
  #onLifetime?: (event: SaLifetimeEvent) => void;

  /** Validates as hal-spec §5.5 does; throws SaConfigError(field) naming only the field and expected sizes. */
  constructor(entry: IpsecSaEntry, options: EspSaOptions = {}) {
    if (!entry.id) throw new SaConfigError('id', 'id is required');
    if (!Number.isInteger(entry.spi) || (entry.spi as number) < 0 || (entry.spi as number) > MAX_SEQ) {
      throw new SaConfigError('spi', 'spi must be a 32-bit unsigned integer');
    }
    if (entry.direction !== 'INBOUND' && entry.direction !== 'OUTBOUND') throw new SaConfigError('direction', 'direction must be INBOUND or OUTBOUND');
    if (entry.mode !== 'TRANSPORT' && entry.mode !== 'TUNNEL') throw new SaConfigError('mode', 'mode must be TRANSPORT or TUNNEL');
    if (entry.algorithm !== 'AES_GCM_128' && entry.algorithm !== 'AES_GCM_256') {
      throw new SaConfigError('algorithm', 'algorithm must be AES_GCM_128 or AES_GCM_256');
    }
    const want = KEY_BYTES[entry.algorithm];
    if (!entry.key) throw new SaConfigError('key', 'key is required');
    if (entry.key.length !== want) throw new SaConfigError('key', `key must be ${want} bytes for ${entry.algorithm}`);
    if (!entry.salt) throw new SaConfigError('salt', 'salt is required');
    if (entry.salt.length !== 4) throw new SaConfigError('salt', 'salt must be 4 bytes (RFC 4106)');
    const window = entry.replayWindow ?? 0;
    if (!Number.isInteger(window) || window < 0 || window > 4096) throw new SaConfigError('replayWindow', 'replayWindow must be 0..4096');
    if (entry.direction === 'OUTBOUND' && window !== 0) throw new SaConfigError('replayWindow', 'replayWindow must be 0 on OUTBOUND SAs');
    if (entry.mode === 'TUNNEL') {
      if (!entry.tunnelSrc) throw new SaConfigError('tunnelSrc', 'tunnel mode needs tunnelSrc');
      if (!entry.tunnelDst) throw new SaConfigError('tunnelDst', 'tunnel mode needs tunnelDst');
      const s = parseIp(entry.tunnelSrc);
      const d = parseIp(entry.tunnelDst);
      if (!s) throw new SaConfigError('tunnelSrc', 'tunnelSrc is not an IP address');
      if (!d) throw new SaConfigError('tunnelDst', 'tunnelDst is not an IP address');
      if (s.length !== d.length) throw new SaConfigError('tunnelDst', 'tunnelSrc and tunnelDst must be of one family');
      this.tunnelSrc = entry.tunnelSrc;
      this.tunnelDst = entry.tunnelDst;
      this.tunnelSrcBytes = s;
      this.tunnelDstBytes = d;
    } else if (entry.tunnelSrc || entry.tunnelDst) {
      throw new SaConfigError(entry.tunnelSrc ? 'tunnelSrc' : 'tunnelDst', 'transport mode takes no tunnel addresses');
    }
    this.lifetimes = {
      softBytes: lifetime(entry, 'softLifetimeBytes'),
      hardBytes: lifetime(entry, 'hardLifetimeBytes'),
      softPackets: lifetime(entry, 'softLifetimePackets'),
      hardPackets: lifetime(entry, 'hardLifetimePackets'),
    };
    this.id = entry.id;
    this.spi = entry.spi as number;
    this.direction = entry.direction;
    this.mode = entry.mode;
    this.algorithm = entry.algorithm;
    this.replayWindow = window;
    this.#replay = new ReplayWindow(window);
    this.#onLifetime = options.onLifetime;
    if (options.firstSeq !== undefined) {
      if (!Number.isInteger(options.firstSeq) || options.firstSeq < 1 || options.firstSeq > MAX_SEQ) throw new RangeError('firstSeq must be 1..2^32-1');
      this.#nextSeq = options.firstSeq;
    }
    // Copy the key into the KeyObject and wipe our temporary copy.
    const tmp = Buffer.from(entry.key);
    this.#aead = { algorithm: entry.algorithm, key: createSecretKey(tmp), salt: Uint8Array.from(entry.salt) };
    tmp.fill(0);
  }

  /** True once a hard lifetime was reached: the SA refuses all traffic (`ipsec-sa-expired`). */
  get expired(): boolean {
    return this.#expired;
  }

  /** Outbound: the sequence number the next packet will carry. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Inbound: the highest authenticated sequence number (the replay window's right edge). */
  get highestSeq(): number {
    return this.#replay.highest;
  }

  private key(): AeadKey {
    if (!this.#aead) throw new Error(`SA ${this.id} was destroyed`);
    return this.#aead;
  }

  private drop(reason: SaDropReason): { ok: false; reason: SaDropReason } {
    this.#drops[reason] = (this.#drops[reason] ?? 0) + 1;
    return { ok: false, reason };
  }

  /**
   * Outbound: wraps `payload` (tunnel: the inner IP packet; transport: the upper-layer
   * bytes) in ESP with the next sequence number. The IV is the sequence number as
   * 64 bits, unique for the SA's lifetime because sequence numbers never repeat.
   */
  seal(payload: Uint8Array, nextHeader: number): { ok: true; esp: Uint8Array; seq: number } | { ok: false; reason: SaDropReason } {
    if (this.direction !== 'OUTBOUND') throw new Error(`SA ${this.id} is INBOUND; it cannot protect`);
    const k = this.key();
    if (this.#expired) return this.drop('ipsec-sa-expired');
    if (this.#nextSeq > MAX_SEQ) return this.drop('ipsec-seq-overflow');
    const seq = this.#nextSeq++;
    const iv = new Uint8Array(ESP_IV_BYTES);
    new DataView(iv.buffer).setUint32(4, seq);
    const esp = sealEsp(k, this.spi, seq, iv, payload, nextHeader);
    this.account(payload.length);
    return { ok: true, esp, seq };
  }

  /**
   * Inbound, in RFC 4303 §3.4 order: lifetime, replay pre-check, ICV and
   * decryption, then the window moves. Only authenticated packets count
   * toward lifetimes. `esp` starts at the SPI and ends with the ICV.
   */
  open(esp: Uint8Array): { ok: true; payload: Uint8Array; nextHeader: number; seq: number } | { ok: false; reason: SaDropReason } {
    if (this.direction !== 'INBOUND') throw new Error(`SA ${this.id} is OUTBOUND; it cannot verify`);
    const k = this.key();
    if (this.#expired) return this.drop('ipsec-sa-expired');
    const head = peekEsp(esp);
    if (!head) return this.drop('ipsec-malformed');
    if (head.spi !== this.spi) return this.drop('ipsec-spi-mismatch');
    if (this.#replay.check(head.seq) === 'replay') return this.drop('ipsec-replay');
    const r = openEsp(k, esp);
    if (!r.ok) return this.drop(r.reason);
    this.#replay.accept(r.seq);
    this.account(r.payload.length);
    return { ok: true, payload: r.payload, nextHeader: r.nextHeader, seq: r.seq };
  }

  /** Lifetimes count payload bytes: what the cipher protected, minus padding and trailer. */
  private account(bytes: number): void {
    const b0 = this.#bytes;
    const p0 = this.#packets;
    this.#bytes += bytes;
    this.#packets += 1;
    const lt = this.lifetimes;
    const crossed = (limit: number, before: number, after: number): boolean => limit > 0 && before < limit && after >= limit;
    const fire: SaLifetimeKind[] = [];
    if (crossed(lt.softBytes, b0, this.#bytes)) fire.push('SOFT_BYTES');
    if (crossed(lt.softPackets, p0, this.#packets)) fire.push('SOFT_PACKETS');
    if (crossed(lt.hardBytes, b0, this.#bytes)) fire.push('HARD_BYTES');
    if (crossed(lt.hardPackets, p0, this.#packets)) fire.push('HARD_PACKETS');
    if (fire.includes('HARD_BYTES') || fire.includes('HARD_PACKETS')) this.#expired = true;
    for (const kind of fire) this.#onLifetime?.({ saId: this.id, kind });
  }

  counters(): SaCounters {
    return { packets: this.#packets, bytes: this.#bytes, drops: { ...this.#drops } };
  }

  /** Forgets the key material (DELETE/MODIFY). Any later use throws. */
  destroy(): void {
    if (this.#aead) (this.#aead.salt as Uint8Array).fill(0);
    this.#aead = undefined;
  }

  /** What may be shown about an SA: everything but the key material. */
  describe(): Record<string, unknown> {
    const d: Record<string, unknown> = {
      id: this.id, spi: this.spi, direction: this.direction, mode: this.mode, algorithm: this.algorithm,
      replayWindow: this.replayWindow, lifetimes: { ...this.lifetimes },
    };
    if (this.tunnelSrc) Object.assign(d, { tunnelSrc: this.tunnelSrc, tunnelDst: this.tunnelDst });
    return d;
  }

  toJSON(): Record<string, unknown> {
    return this.describe();
  }

  toString(): string {
    return `EspSa(${this.id}, spi 0x${this.spi.toString(16).padStart(8, '0')}, ${this.direction} ${this.mode} ${this.algorithm})`;
  }

  [inspect.custom](): string {
    return `EspSa ${inspect(this.describe())}`;
  }
}
