// Ethernet wire arithmetic. A frame on the wire also carries the preamble and
// start-of-frame delimiter (8 bytes) and is followed by the inter-frame gap
// (12 bytes); frames shorter than 64 bytes (with FCS) are padded to 64.
export const PREAMBLE_SFD_BYTES = 8;
export const IFG_BYTES = 12;
export const MIN_FRAME_BYTES = 64;
export const FCS_BYTES = 4;

/** Bytes a frame occupies on the wire; `frameBytes` includes the FCS. */
export function wireBytes(frameBytes: number): number {
  return Math.max(frameBytes, MIN_FRAME_BYTES) + PREAMBLE_SFD_BYTES + IFG_BYTES;
}

/** Wire bytes of a frame as the simulator holds it (no FCS: pcap and our buffers carry none). */
export function wireBytesOfBuffer(bufferBytes: number): number {
  return wireBytes(bufferBytes + FCS_BYTES);
}

/** Frames per second a link of `speedBps` carries at `frameBytes` (with FCS). 25 GbE at 64 B: 37,202,381. */
export function lineRatePps(speedBps: number, frameBytes: number): number {
  return speedBps / (wireBytes(frameBytes) * 8);
}
