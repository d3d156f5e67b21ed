// The in-process HAL: one method per RPC of hal-spec's services, same messages.
// A driver implements it; the remote client implements it over gRPC.
import type {
  CaptureRequest,
  CaptureResponse,
  ClockResponse,
  ConntrackEntry,
  DeleteConntrackRequest,
  DeleteConntrackResponse,
  DescribeResponse,
  EntryRecord,
  Event,
  GetConntrackRequest,
  GetCountersResponse,
  InjectRequest,
  InjectResponse,
  ListConntrackRequest,
  ListPortsResponse,
  ReadRequest,
  StateResponse,
  SubscribeRequest,
  WriteRequest,
  WriteResponse,
} from './generated/types.js';

/** Cancellation and deadline for one call (the wire maps gRPC's onto it). */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

export interface Subscription {
  close(): void;
}

export interface Hal {
  // Device
  describe(opts?: CallOptions): Promise<DescribeResponse>;
  listPorts(opts?: CallOptions): Promise<ListPortsResponse>;
  getState(opts?: CallOptions): Promise<StateResponse>;
  // Tables. write() resolves when every update succeeded; otherwise it rejects
  // with a HalError (code UNKNOWN, reason unset) whose `updates` holds one status
  // per update in request order (hal-spec/README.md, "Batches").
  write(req: WriteRequest, opts?: CallOptions): Promise<WriteResponse>;
  read(req: ReadRequest, opts?: CallOptions): Promise<EntryRecord[]>;
  // Conntrack
  listConntrack(req: ListConntrackRequest, opts?: CallOptions): Promise<ConntrackEntry[]>;
  getConntrack(req: GetConntrackRequest, opts?: CallOptions): Promise<ConntrackEntry>;
  deleteConntrack(req: DeleteConntrackRequest, opts?: CallOptions): Promise<DeleteConntrackResponse>;
  // Telemetry
  getCounters(opts?: CallOptions): Promise<GetCountersResponse>;
  subscribe(req: SubscribeRequest, onEvent: (e: Event) => void, onError?: (err: Error) => void): Subscription;
  // Packet I/O
  inject(req: InjectRequest, opts?: CallOptions): Promise<InjectResponse>;
  capture(req: CaptureRequest, opts?: CallOptions): Promise<CaptureResponse>;
  // Clock (devices declaring packetIo.virtualTime; others reject UNIMPLEMENTED)
  now(opts?: CallOptions): Promise<ClockResponse>;
  advance(ns: number, opts?: CallOptions): Promise<ClockResponse>;
  /** Releases the device or connection. */
  close(): Promise<void>;
}
