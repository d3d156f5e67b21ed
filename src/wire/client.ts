// The remote HAL: the Hal interface over gRPC. Deadlines per call, keepalive,
// reconnection with exponential backoff (grpc-js's channel, calls wait for it),
// and a Subscribe stream that resumes after a reconnect from the last sequence
// it delivered, so no event is lost or repeated (hal-spec §13.2).
import * as grpc from '@grpc/grpc-js';
import {
  HalError,
  checkUpdate,
  decodeOrThrow,
  halCodec,
  halType,
  problemsOf,
  statusOf,
  type CallOptions,
  type CaptureRequest,
  type CaptureResponse,
  type ClockResponse,
  type ConntrackEntry,
  type DeleteConntrackRequest,
  type DeleteConntrackResponse,
  type DescribeResponse,
  type EntryRecord,
  type Event,
  type GetConntrackRequest,
  type GetCountersResponse,
  type Hal,
  type InjectRequest,
  type InjectResponse,
  type ListConntrackRequest,
  type ListPortsResponse,
  type ReadRequest,
  type StateResponse,
  type SubscribeRequest,
  type Subscription,
  type UpdateStatus,
  type WriteRequest,
  type WriteResponse,
} from '../hal/index.js';
import { unrepresentable } from './convert.js';
import { encodeStrict } from './encode.js';
import { halMethod } from './methods.js';
import { fromServiceError } from './status-details.js';

export interface RemoteHalOptions {
  /** host:port */
  readonly target: string;
  readonly credentials: grpc.ChannelCredentials;
  /** Deadline of each unary call (default 30 s). */
  readonly callTimeoutMs?: number;
  /** Overrides the TLS server name checked against the server certificate. */
  readonly serverName?: string;
  /** Subscribe resume backoff: first delay and cap (defaults 50 ms, 2 s). */
  readonly resumeBackoffMs?: readonly [number, number];
  readonly channelOptions?: grpc.ChannelOptions;
}

const asBytes = (b: unknown): Buffer => b as Buffer;
let writeRequestType: ReturnType<typeof halType> | undefined;

/** gRPC codes after which a Subscribe stream is resumed rather than failed. */
const RESUMABLE = new Set<number>([grpc.status.UNAVAILABLE]);

export class RemoteHal implements Hal {
  private readonly client: grpc.Client;
  private readonly timeout: number;
  private readonly subs = new Set<Subscription>();

  constructor(private readonly opts: RemoteHalOptions) {
    this.timeout = opts.callTimeoutMs ?? 30_000;
    this.client = new grpc.Client(opts.target, opts.credentials, {
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.initial_reconnect_backoff_ms': 50,
      'grpc.max_reconnect_backoff_ms': 2_000,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      ...(opts.serverName ? { 'grpc.ssl_target_name_override': opts.serverName, 'grpc.default_authority': opts.serverName } : {}),
      ...opts.channelOptions,
    });
  }

  /** Resolves when the channel is connected (or rejects at the deadline). */
  waitForReady(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => this.client.waitForReady(Date.now() + timeoutMs, (e) => (e ? reject(fromServiceError(e)) : resolve())));
  }

  /** `encoded`: `req` is already the request's bytes. */
  private unary<T>(method: string, req: unknown, opts?: CallOptions, encoded = false): Promise<T> {
    const m = halMethod(method);
    return new Promise<T>((resolve, reject) => {
      if (opts?.signal?.aborted) return reject(HalError.of('CALL_CANCELLED', 'the call was cancelled before it started'));
      const call = this.client.makeUnaryRequest(m.path, encoded ? asBytes : m.encode, m.decode, req, new grpc.Metadata(), { deadline: Date.now() + this.timeout }, (err, res) => {
        opts?.signal?.removeEventListener('abort', cancel);
        if (err) reject(fromServiceError(err));
        else resolve(res as T);
      });
      const cancel = () => call.cancel();
      opts?.signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  private collect<T>(method: string, req: unknown, key: string, opts?: CallOptions): Promise<T[]> {
    const m = halMethod(method);
    return new Promise<T[]>((resolve, reject) => {
      if (opts?.signal?.aborted) return reject(HalError.of('CALL_CANCELLED', 'the call was cancelled before it started'));
      const out: T[] = [];
      const call = this.client.makeServerStreamRequest(m.path, m.encode, m.decode, req, new grpc.Metadata(), { deadline: Date.now() + this.timeout });
      const cancel = () => call.cancel();
      opts?.signal?.addEventListener('abort', cancel, { once: true });
      call.on('data', (msg: Record<string, T[] | undefined>) => {
        const items = msg[key];
        if (items) for (const x of items) out.push(x);
      });
      call.on('error', (e) => {
        opts?.signal?.removeEventListener('abort', cancel);
        reject(fromServiceError(e));
      });
      call.on('end', () => {
        opts?.signal?.removeEventListener('abort', cancel);
        resolve(out);
      });
    });
  }

  /**
   * Refuses what protobuf cannot carry, with the error the device gives in
   * process for it (same codec): the request-level form of that refusal.
   */
  private checkCarriable(typeName: string, req: unknown): void {
    const bad = unrepresentable(halType(typeName), req);
    if (bad === null) return;
    const r = halCodec(typeName).decode(req);
    if (r._tag === 'Left') {
      const p = problemsOf(r.left)[0];
      throw HalError.of(p.reason, p.message, p.fieldPath);
    }
    throw HalError.of('FIELD_INVALID', 'this value cannot be sent as protobuf', bad);
  }

  describe(opts?: CallOptions): Promise<DescribeResponse> {
    return this.unary('Device/Describe', {}, opts);
  }
  listPorts(opts?: CallOptions): Promise<ListPortsResponse> {
    return this.unary('Device/ListPorts', {}, opts);
  }
  getState(opts?: CallOptions): Promise<StateResponse> {
    return this.unary('Device/GetState', {}, opts);
  }

  async write(req: WriteRequest, opts?: CallOptions): Promise<WriteResponse> {
    if (typeof req !== 'object' || req === null) throw HalError.of('FIELD_INVALID', 'a WriteRequest must be an object');
    // The common case in one pass: every value carried as given, so the bytes
    // are what the checks below would send.
    const bytes = encodeStrict((writeRequestType ??= halType('WriteRequest')), req);
    if (bytes) return this.unary<WriteResponse>('Tables/Write', bytes, opts, true);
    const { updates, ...top } = req as WriteRequest & Record<string, unknown>;
    if (unrepresentable(halType('WriteRequest'), top) !== null) {
      decodeOrThrow(halCodec('WriteRequest', { keyOnly: false }), { ...top, updates: undefined });
      throw HalError.of('FIELD_INVALID', 'this WriteRequest cannot be sent as protobuf');
    }
    if (updates !== undefined && !Array.isArray(updates)) throw HalError.of('FIELD_INVALID', 'updates must be a non-empty list', 'updates');
    // An update protobuf cannot carry gets its in-process status here, and its
    // place in the batch is held by an empty update, which the device refuses
    // without effect: batch order, atomicity and results stay exactly as in process.
    const local = new Map<number, UpdateStatus>();
    let sent = updates;
    if (updates) {
      const updateType = halType('Update');
      for (let i = 0; i < updates.length; i++) {
        const bad = unrepresentable(updateType, updates[i]);
        if (bad === null) continue;
        const c = checkUpdate(updates[i], i);
        local.set(i, c.ok ? statusOf('INVALID_ARGUMENT', 'FIELD_INVALID', 'this value cannot be sent as protobuf', `updates[${i}]${bad ? `.${bad}` : ''}`) : c.status);
      }
      if (local.size) sent = updates.map((u, i) => (local.has(i) ? {} : u)) as WriteRequest['updates'];
    }
    try {
      return await this.unary<WriteResponse>('Tables/Write', { ...top, updates: sent }, opts);
    } catch (e) {
      if (!(e instanceof HalError) || !e.updates || !local.size) throw e;
      const statuses = e.updates.map((s, i) => (local.has(i) && s.reason !== 'BATCH_ROLLED_BACK' ? local.get(i)! : s));
      throw new HalError(e.code, e.reason, e.message, { updates: statuses, generation: e.generation, digest: e.digest });
    }
  }

  read(req: ReadRequest, opts?: CallOptions): Promise<EntryRecord[]> {
    this.checkCarriable('ReadRequest', req);
    return this.collect('Tables/Read', req, 'records', opts);
  }
  listConntrack(req: ListConntrackRequest, opts?: CallOptions): Promise<ConntrackEntry[]> {
    this.checkCarriable('ListConntrackRequest', req);
    return this.collect('Conntrack/List', req, 'entries', opts);
  }
  getConntrack(req: GetConntrackRequest, opts?: CallOptions): Promise<ConntrackEntry> {
    this.checkCarriable('GetConntrackRequest', req);
    return this.unary('Conntrack/Get', req, opts);
  }
  deleteConntrack(req: DeleteConntrackRequest, opts?: CallOptions): Promise<DeleteConntrackResponse> {
    this.checkCarriable('DeleteConntrackRequest', req);
    return this.unary('Conntrack/Delete', req, opts);
  }
  getCounters(opts?: CallOptions): Promise<GetCountersResponse> {
    return this.unary('Telemetry/GetCounters', {}, opts);
  }
  async inject(req: InjectRequest, opts?: CallOptions): Promise<InjectResponse> {
    this.checkCarriable('InjectRequest', req);
    return this.unary('PacketIo/Inject', req, opts);
  }
  capture(req: CaptureRequest, opts?: CallOptions): Promise<CaptureResponse> {
    this.checkCarriable('CaptureRequest', req);
    return this.unary('PacketIo/Capture', req, opts);
  }
  now(opts?: CallOptions): Promise<ClockResponse> {
    return this.unary('Clock/Now', {}, opts);
  }
  async advance(ns: number, opts?: CallOptions): Promise<ClockResponse> {
    if (!Number.isSafeInteger(ns) || ns < 0) throw HalError.of('FIELD_INVALID', 'advanceNs must be a non-negative integer', 'advanceNs');
    return this.unary('Clock/Advance', { advanceNs: ns }, opts);
  }

  subscribe(req: SubscribeRequest, onEvent: (e: Event) => void, onError?: (err: Error) => void): Subscription {
    const m = halMethod('Telemetry/Subscribe');
    const [first, cap] = this.opts.resumeBackoffMs ?? [50, 2_000];
    let last = req.afterSequence ?? 0;
    let closed = false;
    let delay = first;
    let call: grpc.ClientReadableStream<unknown> | undefined;
    let timer: NodeJS.Timeout | undefined;
    const sub: Subscription = {
      close: () => {
        closed = true;
        clearTimeout(timer);
        call?.cancel();
        this.subs.delete(sub);
      },
    };
    const fail = (e: Error) => {
      if (closed) return;
      sub.close();
      onError?.(e);
    };
    const start = () => {
      if (closed) return;
      try {
        this.checkCarriable('SubscribeRequest', req);
      } catch (e) {
        queueMicrotask(() => fail(e as Error));
        return;
      }
      const c = this.client.makeServerStreamRequest(m.path, m.encode, m.decode, { ...req, afterSequence: last }, new grpc.Metadata(), {});
      call = c;
      c.on('data', (e: Event) => {
        delay = first;
        const seq = e.sequence ?? 0;
        if (seq <= last) return; // already delivered before a reconnect
        last = seq;
        onEvent(e);
      });
      c.on('error', (err: grpc.ServiceError) => {
        if (closed || call !== c) return;
        if (RESUMABLE.has(err.code)) return resume();
        fail(fromServiceError(err));
      });
      c.on('end', () => {
        // A stream the server ended without error (it is going away): resume.
        if (!closed && call === c) resume();
      });
    };
    const resume = () => {
      call = undefined;
      timer = setTimeout(start, delay * (0.5 + Math.random() / 2));
      delay = Math.min(cap, delay * 2);
    };
    this.subs.add(sub);
    start();
    return sub;
  }

  async close(): Promise<void> {
    for (const s of [...this.subs]) s.close();
    this.client.close();
  }
}

