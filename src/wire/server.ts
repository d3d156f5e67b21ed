// The HAL gRPC server: every HAL service over one Hal, plus health and
// reflection. Mutual TLS (TLS 1.3) with roles by default; plaintext only on
// loopback and only when asked. Failures carry google.rpc.Status details.
import * as grpc from '@grpc/grpc-js';
import { isIP } from 'node:net';
import { HalError, type Event, type Hal, type Subscription } from '../hal/index.js';
import { ReloadableServerCredentials } from './credentials.js';
import { addHealthService, type HealthService } from './health.js';
import { HAL_SERVICES, halService, type HalServiceName } from './protos.js';
import { addReflectionService } from './reflection.js';
import { authorize, identityOf, type AuthenticatedCall, type RolesConfig } from './roles.js';
import { Malformed, serviceDefinition } from './service-definitions.js';
import { toServiceError } from './status-details.js';

export interface ServeOptions {
  readonly hal: Hal;
  /** HOST:PORT; port 0 picks a free one. */
  readonly listen: string;
  /** TLS directory (ca.pem, server.pem, server-key.pem, crl.pem); required unless insecure. */
  readonly tlsDir?: string;
  readonly roles?: RolesConfig;
  /** Plaintext, every caller a controller: tests only, loopback only (hal-spec §16.2). */
  readonly insecure?: boolean;
  /** Largest request accepted, bytes (default 4 MiB, gRPC's default). */
  readonly maxMessageBytes?: number;
  /** Records per streamed Read / Conntrack.List message. */
  readonly streamChunk?: number;
  readonly log?: (line: string) => void;
}

type Handler = (req: unknown, signal: AbortSignal) => Promise<unknown>;
type StreamHandler = (req: unknown, signal: AbortSignal, write: (msg: unknown) => void) => Promise<void>;

const DEFAULT_CHUNK = 1000;

/** True for 127.0.0.0/8, ::1 and "localhost". */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
}

export function splitHostPort(listen: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):([0-9]{1,5})$/.exec(listen);
  if (!m || Number(m[2]) > 65535) throw HalError.of('FIELD_INVALID', `"${listen}" is not HOST:PORT`, 'listen');
  return { host: m[1], port: Number(m[2]) };
}

/** grpc-js's HTTP/2 session under a server call (not public API; undefined if it moves). */
interface Inner {
  stream?: { session?: unknown };
  nextCall?: Inner;
}
function sessionOf(call: unknown): object | undefined {
  // Through any interceptor layers down to the call that holds the HTTP/2 stream.
  let c = (call as { call?: Inner }).call;
  for (let depth = 0; c && !c.stream && depth < 8; depth++) c = c.nextCall;
  const s = c?.stream?.session;
  return typeof s === 'object' && s !== null ? s : undefined;
}

export class HalServer {
  readonly server: grpc.Server;
  private readonly creds: grpc.ServerCredentials;
  private readonly streams = new Set<{ end: () => void }>();
  private health!: HealthService;
  private boundPort = 0;
  private readonly chunk: number;
  private readonly identities = new WeakMap<object, string | undefined>();
  private readonly releases = new WeakMap<AbortController, () => void>();

  constructor(private readonly opts: ServeOptions) {
    const { host } = splitHostPort(opts.listen);
    if (opts.insecure) {
      if (!isLoopbackHost(host)) throw HalError.of('FIELD_INVALID', `--insecure serves plaintext and is allowed only on loopback (127.0.0.1, ::1, localhost), not on ${host}`, 'listen');
      this.creds = grpc.ServerCredentials.createInsecure();
    } else {
      if (!opts.tlsDir) throw HalError.of('FIELD_MISSING', 'a TLS directory is required (mutual TLS is the default; --insecure is for loopback tests)', 'tlsDir');
      if (!opts.roles) throw HalError.of('FIELD_MISSING', 'a roles file is required with mutual TLS', 'roles');
      this.creds = new ReloadableServerCredentials(opts.tlsDir);
    }
    this.chunk = opts.streamChunk ?? DEFAULT_CHUNK;
    const max = opts.maxMessageBytes ?? 4 * 1024 * 1024;
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': max,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      // Allow client keepalive pings (the remote client sends them every 10 s).
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
    });
    this.addHalServices();
    this.health = addHealthService(this.server, (call) => this.check(call, 'Health/Check', true));
    addReflectionService(this.server, (call) => this.check(call, 'ServerReflection/Info', true));
  }

  /** Binds and starts; resolves to the bound port. */
  async start(): Promise<number> {
    const { host, port } = splitHostPort(this.opts.listen);
    this.boundPort = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`${host}:${port}`, this.creds, (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.health.setAll('SERVING');
    this.opts.log?.(`serving ${HAL_SERVICES.join(', ')} on ${host}:${this.boundPort} (${this.opts.insecure ? 'PLAINTEXT, loopback test mode' : 'mutual TLS 1.3'})`);
    return this.boundPort;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Re-reads certificates, key and CRL: new handshakes use them, open connections continue. */
  reloadCredentials(): void {
    if (this.creds instanceof ReloadableServerCredentials) this.creds.reload();
  }

  /**
   * Graceful: stop accepting calls, end event streams (UNAVAILABLE, so clients
   * resume elsewhere), let in-flight calls finish; force after `graceMs`.
   */
  async shutdown(graceMs = 5000): Promise<void> {
    this.health.setAll('NOT_SERVING');
    for (const s of [...this.streams]) s.end();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Kills every connection at once (tests of reconnection). */
  forceShutdown(): void {
    this.server.forceShutdown();
  }

  private release(ac: AbortController): void {
    this.releases.get(ac)?.();
    this.releases.delete(ac);
  }

  /** Role check; throws HalError. `anyRole`: any known identity may call (health, reflection). */
  private check(call: AuthenticatedCall, method: string, anyRole = false): void {
    if (this.opts.insecure) return;
    authorize(this.opts.roles!, this.identity(call), anyRole ? 'Device/Describe' : method);
  }

  /**
   * The caller's identity, remembered per HTTP/2 session (one TLS connection,
   * whose peer certificate cannot change): getPeerCertificate() builds the
   * whole certificate object and was the largest cost of a small call. The
   * role is still looked up per call. Calls whose session grpc-js does not
   * expose take the uncached path.
   */
  private identity(call: AuthenticatedCall): string | undefined {
    const session = sessionOf(call);
    if (session && this.identities.has(session)) return this.identities.get(session);
    const cert = call.getAuthContext().sslPeerCertificate;
    if (!cert) throw HalError.of('IDENTITY_UNKNOWN', 'no verified client certificate');
    const id = identityOf(cert);
    if (session) this.identities.set(session, id);
    return id;
  }

  private addHalServices(): void {
    const hal = this.opts.hal;
    const chunked = <T>(items: T[], key: string, write: (m: unknown) => void, signal: AbortSignal) => {
      for (let i = 0; i < items.length && !signal.aborted; i += this.chunk) write({ [key]: items.slice(i, i + this.chunk) });
    };
    const unary: Record<string, Handler> = {
      'Device/Describe': (_r, signal) => hal.describe({ signal }),
      'Device/ListPorts': (_r, signal) => hal.listPorts({ signal }),
      'Device/GetState': (_r, signal) => hal.getState({ signal }),
      'Tables/Write': (r, signal) => hal.write(r as never, { signal }),
      'Clock/Now': (_r, signal) => hal.now({ signal }),
      'Clock/Advance': (r, signal) => hal.advance((r as { advanceNs?: number }).advanceNs ?? 0, { signal }),
      'Conntrack/Get': (r, signal) => hal.getConntrack(r as never, { signal }),
      'Conntrack/Delete': (r, signal) => hal.deleteConntrack(r as never, { signal }),
      'Telemetry/GetCounters': (_r, signal) => hal.getCounters({ signal }),
      'PacketIo/Inject': (r, signal) => hal.inject(r as never, { signal }),
      'PacketIo/Capture': (r, signal) => hal.capture(r as never, { signal }),
    };
    const streaming: Record<string, StreamHandler> = {
      'Tables/Read': async (r, signal, write) => chunked(await hal.read(r as never, { signal }), 'records', write, signal),
      'Conntrack/List': async (r, signal, write) => chunked(await hal.listConntrack(r as never, { signal }), 'entries', write, signal),
    };
    for (const name of HAL_SERVICES) {
      const svc = halService(name);
      const impl: grpc.UntypedServiceImplementation = {};
      for (const m of svc.methodsArray) {
        const key = `${name}/${m.name}`;
        if (key === 'Telemetry/Subscribe') impl[m.name] = (call: grpc.ServerWritableStream<unknown, unknown>) => this.subscribe(call);
        else if (m.responseStream) impl[m.name] = (call: grpc.ServerWritableStream<unknown, unknown>) => this.serveStream(call, key, streaming[key]);
        else impl[m.name] = (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => this.serveUnary(call, cb, key, unary[key]);
      }
      this.server.addService(serviceDefinition(svc as never) as never, impl);
      void (name satisfies HalServiceName);
    }
  }

  /**
   * The call's abort signal: client cancellation or its deadline. The listener
   * goes when the call is answered: grpc-js may report "cancelled" for a call
   * already done, and aborting then only costs a DOMException with a stack.
   */
  private signalOf(call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>): AbortController {
    const ac = new AbortController();
    const onCancel = () => ac.abort();
    call.on('cancelled', onCancel);
    this.releases.set(ac, () => call.removeListener('cancelled', onCancel));
    const deadline = call.getDeadline();
    const ms = deadline instanceof Date ? deadline.getTime() : Number(deadline);
    if (Number.isFinite(ms) && ms <= Date.now()) ac.abort();
    return ac;
  }

  private admit(call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>, method: string): AbortController {
    this.check(call, method);
    const bad = call.request;
    if (bad instanceof Malformed) {
      throw bad.located
        ? HalError.of('FIELD_INVALID', `the request is refused: ${bad.problem}`, bad.fieldPath)
        : HalError.of('FIELD_INVALID', `the request is not a valid ${bad.typeName} message (${bad.problem})`);
    }
    const ac = this.signalOf(call);
    if (ac.signal.aborted) {
      const deadline = call.getDeadline();
      throw Number.isFinite(Number(deadline)) && Number(deadline) <= Date.now()
        ? HalError.of('DEADLINE_PASSED', 'the deadline passed before the call started')
        : HalError.of('CALL_CANCELLED', 'the call was cancelled before it started');
    }
    return ac;
  }

  private serveUnary(call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>, method: string, handler: Handler | undefined): void {
    let ac: AbortController;
    try {
      if (!handler) throw HalError.of('FEATURE_UNSUPPORTED', `${method} is not served`);
      ac = this.admit(call, method);
    } catch (e) {
      cb(toServiceError(e));
      return;
    }
    handler(call.request, ac.signal).then(
      (res) => {
        this.release(ac);
        cb(null, res);
      },
      (e) => {
        this.release(ac);
        cb(toServiceError(e));
      },
    );
  }

  private serveStream(call: grpc.ServerWritableStream<unknown, unknown>, method: string, handler: StreamHandler | undefined): void {
    let ac: AbortController;
    try {
      if (!handler) throw HalError.of('FEATURE_UNSUPPORTED', `${method} is not served`);
      ac = this.admit(call, method);
    } catch (e) {
      call.emit('error', toServiceError(e));
      return;
    }
    handler(call.request, ac.signal, (m) => call.write(m)).then(
      () => call.end(),
      (e) => call.emit('error', toServiceError(e)),
    );
  }

  private subscribe(call: grpc.ServerWritableStream<unknown, unknown>): void {
    let sub: Subscription | undefined;
    let done = false;
    const entry = {
      end: () => finish(HalError.of('DEVICE_UNAVAILABLE', 'the server is shutting down; resume with afterSequence elsewhere')),
    };
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      this.streams.delete(entry);
      sub?.close();
      if (err) call.emit('error', toServiceError(err));
      else call.end();
    };
    try {
      this.admit(call, 'Telemetry/Subscribe');
    } catch (e) {
      finish(e);
      return;
    }
    this.streams.add(entry);
    call.on('cancelled', () => finish());
    sub = this.opts.hal.subscribe(
      call.request as never,
      (e: Event) => {
        if (!done) call.write(e);
      },
      (err) => finish(err),
    );
    if (done) sub.close();
  }
}
