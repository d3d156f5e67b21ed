// The HAL's single error type. Codes are gRPC's canonical codes, number for
// number, so a HalError crosses the wire and comes back as the same HalError.
import type { Reason, UpdateStatus } from './generated/types.js';

export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type CodeName = keyof typeof Code;
export type CodeNumber = (typeof Code)[CodeName];

const CODE_NAMES = Object.fromEntries(Object.entries(Code).map(([k, v]) => [v, k])) as Record<number, CodeName>;

export function codeName(code: number): CodeName {
  return CODE_NAMES[code] ?? 'UNKNOWN';
}

/** Every reason belongs to exactly one code (hal-spec/README.md, "Errors"). */
export const REASON_CODE: Record<Exclude<Reason, 'REASON_UNSPECIFIED'>, CodeName> = {
  FIELD_MISSING: 'INVALID_ARGUMENT',
  FIELD_INVALID: 'INVALID_ARGUMENT',
  NOT_CANONICAL: 'INVALID_ARGUMENT',
  ONEOF_UNSET: 'INVALID_ARGUMENT',
  EMPTY_BATCH: 'INVALID_ARGUMENT',
  KEY_MISMATCH: 'INVALID_ARGUMENT',
  ENTRY_NOT_FOUND: 'NOT_FOUND',
  REFERENCE_MISSING: 'NOT_FOUND',
  ENTRY_EXISTS: 'ALREADY_EXISTS',
  TABLE_FULL: 'RESOURCE_EXHAUSTED',
  GROUP_TOO_LARGE: 'RESOURCE_EXHAUSTED',
  MESSAGE_TOO_LARGE: 'RESOURCE_EXHAUSTED',
  OBJECT_IN_USE: 'FAILED_PRECONDITION',
  DEVICE_OWNED: 'FAILED_PRECONDITION',
  GENERATION_MISMATCH: 'FAILED_PRECONDITION',
  BATCH_ROLLED_BACK: 'ABORTED',
  TABLE_UNSUPPORTED: 'UNIMPLEMENTED',
  ACTION_UNSUPPORTED: 'UNIMPLEMENTED',
  MATCH_UNSUPPORTED: 'UNIMPLEMENTED',
  ATOMICITY_UNSUPPORTED: 'UNIMPLEMENTED',
  FEATURE_UNSUPPORTED: 'UNIMPLEMENTED',
  ROLE_FORBIDDEN: 'PERMISSION_DENIED',
  IDENTITY_UNKNOWN: 'UNAUTHENTICATED',
  DEVICE_UNAVAILABLE: 'UNAVAILABLE',
  DRIVER_FAULT: 'INTERNAL',
  CALL_CANCELLED: 'CANCELLED',
  DEADLINE_PASSED: 'DEADLINE_EXCEEDED',
};

export type HalReason = keyof typeof REASON_CODE;

export interface HalErrorInit {
  fieldPath?: string;
  /** Per-update statuses of a failed Write, in request order. */
  updates?: UpdateStatus[];
  generation?: number;
  digest?: string;
}

export class HalError extends Error {
  readonly code: CodeName;
  readonly reason: Reason;
  readonly fieldPath: string;
  readonly updates?: UpdateStatus[];
  readonly generation?: number;
  readonly digest?: string;

  constructor(code: CodeName, reason: Reason, message: string, init: HalErrorInit = {}) {
    super(message);
    this.name = 'HalError';
    this.code = code;
    this.reason = reason;
    this.fieldPath = init.fieldPath ?? '';
    this.updates = init.updates;
    this.generation = init.generation;
    this.digest = init.digest;
  }

  /** The error for a reason, with the reason's one code. */
  static of(reason: HalReason, message: string, fieldPath = ''): HalError {
    return new HalError(REASON_CODE[reason], reason, message, { fieldPath });
  }

  get codeNumber(): number {
    return Code[this.code];
  }

  toStatus(): UpdateStatus {
    return statusOf(this.code, this.reason, this.message, this.fieldPath);
  }

  override toString(): string {
    const where = this.fieldPath ? ` at ${this.fieldPath}` : '';
    return `${this.code} (${this.reason})${where}: ${this.message}`;
  }
}

export function statusOf(code: CodeName, reason: Reason, message: string, fieldPath = ''): UpdateStatus {
  const s: UpdateStatus = { code, message };
  if (reason !== 'REASON_UNSPECIFIED') s.reason = reason;
  if (fieldPath) s.fieldPath = fieldPath;
  return s;
}

export const OK_STATUS: UpdateStatus = Object.freeze({ code: 'OK' }) as UpdateStatus;

export function isHalError(e: unknown): e is HalError {
  return e instanceof HalError;
}
