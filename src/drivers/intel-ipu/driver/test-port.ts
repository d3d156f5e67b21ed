// The client side of the target's test-port API: the HAL's PacketIo, Clock,
// Telemetry.GetCounters and Device.ListPorts services served next to
// P4Runtime by the simulated target (a lab would use a traffic generator and
// gNMI instead). Same TLS channel credentials as the P4Runtime client.
import * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { HalError, halRoot, type CaptureResponse, type ClockResponse, type GetCountersResponse, type InjectResponse, type ListPortsResponse } from '../../../hal/index.js';
import { serviceDefinitionOf } from '../p4rt/root.js';
import type { ClientTls } from '../p4rt/client.js';

const CONV: protobuf.IConversionOptions = { longs: Number, enums: String, bytes: Uint8Array as unknown as typeof String, defaults: false };

type Unary = (req: object, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;

export class TestPortClient {
  private readonly clients: Record<string, grpc.Client> = {};

  constructor(address: string, tls: ClientTls) {
    const creds = grpc.credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null);
    const opts: grpc.ChannelOptions = tls.serverName ? { 'grpc.ssl_target_name_override': tls.serverName } : {};
    for (const name of ['PacketIo', 'Clock', 'Device', 'Telemetry']) {
      const Ctor = grpc.makeGenericClientConstructor(serviceDefinitionOf(halRoot(), `xpuhal.hal.v1alpha1.${name}`, CONV), name);
      this.clients[name] = new Ctor(address, creds, opts);
    }
  }

  private call<T>(service: string, method: string, req: object): Promise<T> {
    const c = this.clients[service];
    const fn = (c as unknown as Record<string, Unary>)[method].bind(c);
    return new Promise((resolve, reject) =>
      fn(req, new grpc.Metadata(), { deadline: Date.now() + 30_000 }, (err, res) => {
        if (!err) return resolve(res as T);
        const reason = err.code === grpc.status.NOT_FOUND ? 'ENTRY_NOT_FOUND' : err.code === grpc.status.INVALID_ARGUMENT ? 'FIELD_INVALID' : err.code === grpc.status.UNIMPLEMENTED ? 'FEATURE_UNSUPPORTED' : 'DEVICE_UNAVAILABLE';
        reject(HalError.of(reason, `target test port: ${err.details}`));
      }),
    );
  }

  inject(portId: string, frame: Uint8Array, timeNs: number): Promise<InjectResponse> {
    return this.call('PacketIo', 'Inject', { portId, frame, timeNs });
  }
  capture(portIds: readonly string[], maxPackets: number, peek: boolean): Promise<CaptureResponse> {
    return this.call('PacketIo', 'Capture', { portIds, maxPackets, peek });
  }
  now(): Promise<ClockResponse> {
    return this.call('Clock', 'Now', {});
  }
  advance(advanceNs: number): Promise<ClockResponse> {
    return this.call('Clock', 'Advance', { advanceNs });
  }
  listPorts(): Promise<ListPortsResponse> {
    return this.call('Device', 'ListPorts', {});
  }
  counters(): Promise<GetCountersResponse> {
    return this.call('Telemetry', 'GetCounters', {});
  }

  close(): void {
    for (const c of Object.values(this.clients)) c.close();
  }
}
