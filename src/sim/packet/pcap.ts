// Classic libpcap files (not pcapng). We write little-endian, microsecond
// timestamps, linktype 1; we read either byte order and µs or ns magic.

import { copyBytes } from './wire.js';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const LINKTYPE_ETHERNET = 1;
export const PCAP_SNAPLEN = 65535;

export class PcapFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PcapFormatError';
  }
}

export interface PcapRecord {
  timeNs: bigint;
  frame: Uint8Array;
}

export interface PcapReadRecord extends PcapRecord {
  /** Length of the packet on the wire (may exceed frame.length when the capture was truncated). */
  origLength: number;
}

export interface PcapFile {
  linkType: number;
  /** True when the file carried the nanosecond magic. */
  nanosecond: boolean;
  snapLength: number;
  records: PcapReadRecord[];
}

/** Serialise records as a classic pcap file; frames longer than the snaplen are truncated (orig_len keeps the true size). */
export function writePcap(records: readonly PcapRecord[], linkType = LINKTYPE_ETHERNET): Uint8Array {
  let size = 24;
  for (const r of records) size += 16 + Math.min(r.frame.length, PCAP_SNAPLEN);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, PCAP_MAGIC_US, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setInt32(8, 0, true); // thiszone
  dv.setUint32(12, 0, true); // sigfigs
  dv.setUint32(16, PCAP_SNAPLEN, true);
  dv.setUint32(20, linkType, true);
  let off = 24;
  for (const r of records) {
    if (r.timeNs < 0n) throw new RangeError('pcap timestamps cannot be negative');
    const sec = r.timeNs / 1_000_000_000n;
    if (sec > 0xffffffffn) throw new RangeError('pcap timestamp beyond 2106');
    const incl = Math.min(r.frame.length, PCAP_SNAPLEN);
    dv.setUint32(off, Number(sec), true);
    dv.setUint32(off + 4, Number((r.timeNs % 1_000_000_000n) / 1000n), true);
    dv.setUint32(off + 8, incl, true);
    dv.setUint32(off + 12, r.frame.length, true);
    out.set(r.frame.subarray(0, incl), off + 16);
    off += 16 + incl;
  }
  return out;
}

/** Parse a classic pcap file. Throws PcapFormatError on a bad magic, version or truncation. */
export function readPcap(bytes: Uint8Array): PcapFile {
  if (bytes.length < 24) throw new PcapFormatError(`truncated global header: ${bytes.length} of 24 bytes`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicLe = dv.getUint32(0, true);
  let le: boolean;
  let ns: boolean;
  if (magicLe === PCAP_MAGIC_US || magicLe === PCAP_MAGIC_NS) { le = true; ns = magicLe === PCAP_MAGIC_NS; }
  else {
    const magicBe = dv.getUint32(0, false);
    if (magicBe !== PCAP_MAGIC_US && magicBe !== PCAP_MAGIC_NS) {
      throw new PcapFormatError(`bad magic 0x${magicBe.toString(16).padStart(8, '0')} (not a classic pcap file; pcapng is not supported)`);
    }
    le = false;
    ns = magicBe === PCAP_MAGIC_NS;
  }
  const major = dv.getUint16(4, le);
  const minor = dv.getUint16(6, le);
  if (major !== 2) throw new PcapFormatError(`unsupported version ${major}.${minor}`);
  const snapLength = dv.getUint32(16, le);
  const linkType = dv.getUint32(20, le) & 0x0fffffff; // upper bits carry FCS info
  const records: PcapReadRecord[] = [];
  let off = 24;
  while (off < bytes.length) {
    if (off + 16 > bytes.length) throw new PcapFormatError(`truncated record header at byte ${off}`);
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const incl = dv.getUint32(off + 8, le);
    const orig = dv.getUint32(off + 12, le);
    if (frac >= (ns ? 1_000_000_000 : 1_000_000)) throw new PcapFormatError(`bad sub-second timestamp ${frac} at byte ${off}`);
    if (off + 16 + incl > bytes.length) {
      throw new PcapFormatError(`truncated record at byte ${off}: needs ${incl} bytes, ${bytes.length - off - 16} left`);
    }
    records.push({
      timeNs: BigInt(sec) * 1_000_000_000n + BigInt(frac) * (ns ? 1n : 1000n),
      frame: copyBytes(bytes, off + 16, off + 16 + incl),
      origLength: orig,
    });
    off += 16 + incl;
  }
  return { linkType, nanosecond: ns, snapLength, records };
}
