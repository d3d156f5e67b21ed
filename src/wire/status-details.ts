// HalError <-> gRPC status. grpc-js neither writes nor parses
// grpc-status-details-bin, so this module does both (hal-spec §16.3): the
// trailer holds a google.rpc.Status whose one detail is a WriteFailure (a Write
// with failed updates) or an ErrorDetail (every other HAL failure).
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { Code, HalError, HAL_PACKAGE, codeName, halRoot, halType, type Reason, type UpdateStatus } from '../hal/index.js';
import { plainCodec } from './convert.js';

export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
const TYPE_URL_PREFIX = 'type.googleapis.com/';
const WRITE_FAILURE_URL = `${TYPE_URL_PREFIX}${HAL_PACKAGE}.WriteFailure`;
const ERROR_DETAIL_URL = `${TYPE_URL_PREFIX}${HAL_PACKAGE}.ErrorDetail`;

const statusType = (): protobuf.Type => halRoot().lookupType('google.rpc.Status');

interface RpcStatus {
  code?: number;
  message?: string;
  // protobufjs's built-in google.protobuf.Any keeps proto field names (type_url).
  details?: { type_url?: string; value?: Uint8Array }[];
}

/** The google.rpc.Status bytes for a HalError. */
export function encodeStatusDetails(err: HalError): Buffer {
  const detail = err.updates
    ? { type_url: WRITE_FAILURE_URL, value: plainCodec(halType('WriteFailure')).encode({ statuses: err.updates, generation: err.generation ?? 0, digest: err.digest ?? '' }) }
    : { type_url: ERROR_DETAIL_URL, value: plainCodec(halType('ErrorDetail')).encode({ reason: err.reason, fieldPath: err.fieldPath }) };
  // Encoded as is (no enums to convert): protobufjs's fromObject/toObject wrap
  // google.protobuf.Any in its JSON form, which would drop typeUrl here.
  return Buffer.from(statusType().encode({ code: err.codeNumber, message: err.message, details: [detail] }).finish());
}

/** What a handler passes to grpc-js's callback (or emits on a stream) for a failure. */
export function toServiceError(err: unknown): Partial<grpc.StatusObject> & { code: grpc.status } {
  const hal = err instanceof HalError ? err : HalError.of('DRIVER_FAULT', 'the driver failed unexpectedly');
  const metadata = new grpc.Metadata();
  metadata.set(STATUS_DETAILS_KEY, encodeStatusDetails(hal));
  return { code: hal.codeNumber as grpc.status, details: hal.message, metadata };
}

/** Decodes the trailer; null when absent or not ours. */
export function decodeStatusDetails(bytes: Buffer): HalError | null {
  let st: RpcStatus;
  try {
    st = statusType().decode(bytes) as unknown as RpcStatus;
  } catch {
    return null;
  }
  const code = codeName(st.code ?? 0);
  const message = st.message ?? '';
  const d = st.details?.[0];
  if (!d?.value) return null;
  if (d.type_url === WRITE_FAILURE_URL) {
    const wf = plainCodec(halType('WriteFailure')).decode(Buffer.from(d.value)) as { statuses?: UpdateStatus[]; generation?: number; digest?: string };
    // proto3 omits code 0: an applied update's status is {code: OK} in process.
    const updates = (wf.statuses ?? []).map((s) => ({ code: s.code ?? 'OK', ...s }));
    return new HalError(code, 'REASON_UNSPECIFIED', message, { updates, generation: wf.generation ?? 0, digest: wf.digest ?? '' });
  }
  if (d.type_url === ERROR_DETAIL_URL) {
    const ed = plainCodec(halType('ErrorDetail')).decode(Buffer.from(d.value)) as { reason?: Reason; fieldPath?: string };
    return new HalError(code, ed.reason ?? 'REASON_UNSPECIFIED', message, { fieldPath: ed.fieldPath ?? '' });
  }
  return null;
}

/** The HalError a client raises for a failed call: the detail when present, else the bare status. */
export function fromServiceError(e: unknown): HalError {
  if (e instanceof HalError) return e;
  const se = e as Partial<grpc.ServiceError>;
  const raw = se.metadata?.get(STATUS_DETAILS_KEY)?.[0];
  if (raw instanceof Buffer) {
    const hal = decodeStatusDetails(raw);
    if (hal) return hal;
  }
  const code = typeof se.code === 'number' ? se.code : Code.UNKNOWN;
  const message = se.details ?? (e instanceof Error ? e.message : String(e));
  // The client's own cancellation and deadline map to the reasons the in-process face uses.
  if (code === Code.CANCELLED) return HalError.of('CALL_CANCELLED', message);
  if (code === Code.DEADLINE_EXCEEDED) return HalError.of('DEADLINE_PASSED', message);
  return new HalError(codeName(code), 'REASON_UNSPECIFIED', message);
}
