// Internal plumbing shared by the layer parsers: options and the failure value.
// Parsers return a failure instead of throwing, so hostile input costs no exception.

import type { MalformedReason } from './drop-reasons.js';
import type { ParsedPacket } from './types.js';

export interface ParseCtx {
  verify: boolean;
  maxDepth: number;
  parseInner: boolean;
}

export interface Fail {
  ok: false;
  reason: MalformedReason;
  detail: string;
}

export function fail(reason: MalformedReason, detail: string): Fail {
  return { ok: false, reason, detail };
}

export function isFail(x: object): x is Fail {
  return (x as Partial<Fail>).ok === false;
}

/** Layer parsers fill `pkt` and return null on success. */
export type LayerResult = Fail | null;

export type { ParsedPacket };
