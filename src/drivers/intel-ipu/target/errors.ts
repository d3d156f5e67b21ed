// A P4Runtime error: a gRPC canonical code and a message. Thrown inside the
// target while checking one update or one request; the server turns it into a
// per-update p4.v1.Error or the RPC's status.
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
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
} as const;
export type GrpcCodeName = keyof typeof GrpcCode;

export class P4Error extends Error {
  constructor(
    readonly code: GrpcCodeName,
    message: string,
  ) {
    super(message);
  }
  get number(): number {
    return GrpcCode[this.code];
  }
}

export const p4err = (code: GrpcCodeName, message: string) => new P4Error(code, message);
