// Entry point of the parser. parsePacket never throws: every layer bounds-checks
// before reading and reports the first problem as a MalformedReason.

import { isFail, type ParseCtx } from './context.js';
import { parseEthernet } from './ethernet.js';
import { DEFAULT_MAX_TUNNEL_DEPTH } from './tunnels.js';
import type { ParseOptions, ParseOutcome } from './types.js';

const DEFAULT_CTX: ParseCtx = { verify: true, maxDepth: DEFAULT_MAX_TUNNEL_DEPTH, parseInner: true };

/** Each tunnel level recurses, and more than a few levels is never legitimate; NaN or negative means 0. */
function clampDepth(d: number | undefined): number {
  if (d === undefined) return DEFAULT_MAX_TUNNEL_DEPTH;
  return d >= 0 ? Math.min(Math.floor(d), 8) : 0;
}

export function parsePacket(frame: Uint8Array, options?: ParseOptions): ParseOutcome {
  const ctx: ParseCtx = options === undefined ? DEFAULT_CTX : {
    verify: options.verifyChecksums ?? true,
    maxDepth: clampDepth(options.maxTunnelDepth),
    parseInner: options.parseInner ?? true,
  };
  const r = parseEthernet(frame, 0, frame.length, 0, ctx);
  if (isFail(r)) return r;
  return { ok: true, pkt: r };
}
