// Public API of the packet codec.

export * from './addresses.js';
export {
  crc32c, foldSum, incrementalUpdate16, incrementalUpdateBytes, internetChecksum, pseudoHeaderSumV4, pseudoHeaderSumV6,
  sctpChecksum, sum16,
} from './checksum.js';
export { DropCounters, MALFORMED_REASONS, isMalformedReason, type MalformedReason } from './drop-reasons.js';
export type * from './types.js';
export { parsePacket } from './parse.js';
export { MAX_VLAN_TAGS } from './ethernet.js';
export { MAX_IPV6_EXTENSIONS } from './ipv6.js';
export { DEFAULT_MAX_TUNNEL_DEPTH } from './tunnels.js';
export * from './build.js';
export * from './encap.js';
export { decrementTtl, rewriteDst, rewriteSrc, setMacs } from './rewrite.js';
export { expectedIpv4Checksum, expectedL4Checksum, refreshChecksums, verifyChecksums } from './recompute.js';
export * from './pcap.js';
export * from './wire.js';
