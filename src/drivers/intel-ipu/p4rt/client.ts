// A P4Runtime client over gRPC with TLS: one StreamChannel for arbitration and
// packet I/O, unary Write / pipeline config / Capabilities, streamed Read.
// Failed writes come back as a P4WriteError carrying the per-update p4.v1.Error
// list decoded from the google.rpc.Status in grpc-status-details-bin.
import * as grpc from '@grpc/grpc-js';
import { decodeMessage, p4Type, serviceDefinition } from './root.js';
import {
  electionOf,
  uint128,
  type Atomicity,
  type Entity,
  type MasterArbitrationUpdate,
  type P4Error as P4ErrorMsg,
  type PacketMetadata,
  type ReadResponse,
  type RpcStatus,
  type StreamMessageRequest,
  type StreamMessageResponse,
  type Update,
} from './messages.js';

export interface ClientTls {
  readonly ca: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** TLS server name to verify (default: the address's host). */
  readonly serverName?: string;
}

export interface ClientOptions {
  readonly address: string;
  readonly tls: ClientTls;
  readonly deviceId: bigint;
  /** Unset: a backup that can only read. */
  readonly electionId?: bigint;
  readonly role?: string;
}

/** A gRPC failure of a P4Runtime call; `errors` is set for failed Write batches. */
export class P4RuntimeCallError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly errors?: P4ErrorMsg[],
  ) {
    super(message);
  }
}

const P4RuntimeClientCtor = grpc.makeGenericClientConstructor(serviceDefinition('p4.v1.P4Runtime'), 'P4Runtime');

type Unary = (req: object, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;

export function callError(err: grpc.ServiceError): P4RuntimeCallError {
  const bin = err.metadata?.get('grpc-status-details-bin')?.[0];
  let errors: P4ErrorMsg[] | undefined;
  if (bin instanceof Buffer) {
    const st = decodeMessage<RpcStatus>(p4Type('google.rpc.Status'), bin);
    // Only details that say they are p4.v1.Error are read as such (as any P4Runtime client does).
    const details = st.details ?? [];
    if (details.every((d) => d.type_url === 'type.googleapis.com/p4.v1.Error')) errors = details.map((d) => decodeMessage<P4ErrorMsg>(p4Type('p4.v1.Error'), d.value ?? new Uint8Array()));
  }
  return new P4RuntimeCallError(err.code, err.details, errors);
}

export class P4RuntimeClient {
  readonly grpc: grpc.Client;
  private stream?: grpc.ClientDuplexStream<StreamMessageRequest, StreamMessageResponse>;
  /** The last arbitration update the server sent on our stream. */
  arbitration?: MasterArbitrationUpdate;
  private readonly packetListeners = new Set<(payload: Uint8Array, md: PacketMetadata[]) => void>();
  private readonly arbitrationListeners = new Set<(u: MasterArbitrationUpdate) => void>();
  readonly streamErrors: StreamMessageResponse['error'][] = [];
  streamClosed?: { code: number; details: string };

  constructor(readonly options: ClientOptions) {
    const { ca, cert, key, serverName } = options.tls;
    const creds = grpc.credentials.createSsl(ca, key ?? null, cert ?? null);
    const channelOpts: grpc.ChannelOptions = serverName ? { 'grpc.ssl_target_name_override': serverName } : {};
    this.grpc = new P4RuntimeClientCtor(options.address, creds, channelOpts);
  }

  get isPrimary(): boolean {
    return this.arbitration !== undefined && (this.arbitration.status?.code ?? 0) === 0;
  }

  private unary<T>(method: string, req: object, timeoutMs = 30_000): Promise<T> {
    const fn = (this.grpc as unknown as Record<string, Unary>)[method].bind(this.grpc);
    return new Promise((resolve, reject) =>
      fn(req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(callError(err)) : resolve(res as T))),
    );
  }

  /** Opens the StreamChannel and sends our arbitration; resolves with the first answer. */
  async openStream(timeoutMs = 10_000): Promise<MasterArbitrationUpdate> {
    const s = (this.grpc as unknown as { StreamChannel(): grpc.ClientDuplexStream<StreamMessageRequest, StreamMessageResponse> }).StreamChannel();
    this.stream = s;
    s.on('data', (m: StreamMessageResponse) => {
      if (m.arbitration) {
        this.arbitration = m.arbitration;
        for (const l of this.arbitrationListeners) l(m.arbitration);
      } else if (m.packet) for (const l of this.packetListeners) l(m.packet.payload ?? new Uint8Array(), m.packet.metadata ?? []);
      else if (m.error) this.streamErrors.push(m.error);
    });
    s.on('error', (e: grpc.ServiceError) => {
      this.streamClosed = { code: e.code, details: e.details };
    });
    s.on('end', () => {
      this.streamClosed ??= { code: 0, details: 'ended' };
    });
    return this.arbitrate(this.options.electionId, timeoutMs);
  }

  /** Sends an arbitration update (a new election id) and waits for the server's answer. */
  arbitrate(electionId: bigint | undefined, timeoutMs = 10_000): Promise<MasterArbitrationUpdate> {
    const s = this.stream;
    if (!s) throw new Error('openStream() first');
    (this.options as { electionId?: bigint }).electionId = electionId;
    const req: MasterArbitrationUpdate = { deviceId: String(this.options.deviceId) };
    if (this.options.role) req.role = { name: this.options.role };
    if (electionId !== undefined) req.electionId = uint128(electionId);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.arbitrationListeners.delete(on);
        reject(new P4RuntimeCallError(grpc.status.DEADLINE_EXCEEDED, this.streamClosed ? `stream closed: ${this.streamClosed.details}` : 'no arbitration answer'));
      }, timeoutMs);
      const onClose = (e: grpc.ServiceError) => {
        clearTimeout(timer);
        this.arbitrationListeners.delete(on);
        reject(new P4RuntimeCallError(e.code, e.details));
      };
      const on = (u: MasterArbitrationUpdate) => {
        clearTimeout(timer);
        this.arbitrationListeners.delete(on);
        s.off('error', onClose);
        resolve(u);
      };
      this.arbitrationListeners.add(on);
      s.once('error', onClose);
      s.write({ arbitration: req });
    });
  }

  onArbitration(l: (u: MasterArbitrationUpdate) => void): () => void {
    this.arbitrationListeners.add(l);
    return () => this.arbitrationListeners.delete(l);
  }

  onPacketIn(l: (payload: Uint8Array, md: PacketMetadata[]) => void): () => void {
    this.packetListeners.add(l);
    return () => this.packetListeners.delete(l);
  }

  packetOut(payload: Uint8Array, metadata: PacketMetadata[]): void {
    if (!this.stream) throw new Error('openStream() first');
    this.stream.write({ packet: { payload, metadata } });
  }

  private base(): { deviceId: string; role?: string; electionId?: { high?: string; low?: string } } {
    const b: { deviceId: string; role?: string; electionId?: { high?: string; low?: string } } = { deviceId: String(this.options.deviceId) };
    if (this.options.role) b.role = this.options.role;
    if (this.options.electionId !== undefined) b.electionId = uint128(this.options.electionId);
    return b;
  }

  write(updates: Update[], atomicity: Atomicity = 'CONTINUE_ON_ERROR', electionId?: bigint): Promise<void> {
    const req = { ...this.base(), updates, atomicity };
    if (electionId !== undefined) req.electionId = uint128(electionId);
    return this.unary<object>('Write', req).then(() => undefined);
  }

  read(entities: Entity[]): Promise<Entity[]> {
    const call = (this.grpc as unknown as { Read(req: object, md: grpc.Metadata, o: grpc.CallOptions): grpc.ClientReadableStream<ReadResponse> }).Read(
      { deviceId: String(this.options.deviceId), ...(this.options.role && { role: this.options.role }), entities },
      new grpc.Metadata(),
      { deadline: Date.now() + 60_000 },
    );
    return new Promise((resolve, reject) => {
      const out: Entity[] = [];
      call.on('data', (r: ReadResponse) => out.push(...(r.entities ?? [])));
      call.on('error', (e: grpc.ServiceError) => reject(callError(e)));
      call.on('end', () => resolve(out));
    });
  }

  setPipeline(action: string, config: object): Promise<void> {
    return this.unary<object>('SetForwardingPipelineConfig', { ...this.base(), action, config }).then(() => undefined);
  }

  getPipeline(responseType = 'ALL'): Promise<{ config?: { p4info?: Record<string, unknown>; cookie?: { cookie?: string }; p4DeviceConfig?: Uint8Array } }> {
    return this.unary('GetForwardingPipelineConfig', { deviceId: String(this.options.deviceId), responseType });
  }

  capabilities(): Promise<{ p4runtimeApiVersion?: string }> {
    return this.unary('Capabilities', {});
  }

  close(): void {
    if (this.stream && !this.stream.writableEnded) this.stream.end();
    this.stream?.cancel();
    this.grpc.close();
  }
}

export { electionOf };
