// The HAL digest from its multiset sum (hal-spec §9.2 step 5), so the reconciler
// can keep S by adding and subtracting record hashes (recordHash from src/hal)
// instead of hashing the whole desired state every pass. A test pins this to
// stateDigest so the two cannot drift apart.
import { createHash } from 'node:crypto';

const MASK = (1n << 256n) - 1n;
const DOMAIN = Buffer.from('xpuhal-state-v1');

export function digestFromSum(sum: bigint): string {
  const s = Buffer.from((sum & MASK).toString(16).padStart(64, '0'), 'hex');
  return `sha256:${createHash('sha256').update(DOMAIN).update(s).digest('hex')}`;
}
