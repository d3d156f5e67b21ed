// Deterministic flow hashing and weighted rendezvous selection: a member's
// removal moves only the flows that member had (consistent hashing).
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export function fnv1a(text: string, seed = FNV_OFFSET): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  // Final avalanche so nearby inputs spread over the whole range.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** Highest-random-weight choice; weight 0 counts as 1. Returns the index or -1. */
export function rendezvous(flowKey: string, members: readonly { id: string; weight?: number }[]): number {
  let best = -1;
  let bestScore = -Infinity;
  members.forEach((m, i) => {
    const h = (fnv1a(`${flowKey}|${m.id}`) + 1) / 4294967297; // in (0, 1)
    const score = (m.weight || 1) / -Math.log(h);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  });
  return best;
}
