// grpc.health.v1.Health: "" (the server) and each HAL service report SERVING
// while the server runs and NOT_SERVING once it shuts down.
import * as grpc from '@grpc/grpc-js';
import { HalError } from '../hal/index.js';
import { HAL_SERVICES, grpcProtoRoot, halService, serviceName } from './protos.js';
import { serviceDefinition } from './service-definitions.js';
import type { AuthenticatedCall } from './roles.js';
import { toServiceError } from './status-details.js';

type Status = 'SERVING' | 'NOT_SERVING';

export interface HealthService {
  setAll(status: Status): void;
}

export function addHealthService(server: grpc.Server, check: (call: AuthenticatedCall) => void): HealthService {
  const names = ['', ...HAL_SERVICES.map((n) => serviceName(halService(n)))];
  const status = new Map<string, Status>(names.map((n) => [n, 'NOT_SERVING']));
  const watchers = new Set<{ service: string; call: grpc.ServerWritableStream<unknown, unknown> }>();
  const svc = grpcProtoRoot().lookupService('grpc.health.v1.Health');
  server.addService(serviceDefinition(svc), {
    Check: (call: grpc.ServerUnaryCall<{ service?: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      try {
        check(call);
        const s = status.get(call.request.service ?? '');
        if (!s) throw new HalError('NOT_FOUND', 'REASON_UNSPECIFIED', `unknown service "${call.request.service}"`);
        cb(null, { status: s });
      } catch (e) {
        cb(toServiceError(e));
      }
    },
    Watch: (call: grpc.ServerWritableStream<{ service?: string }, unknown>) => {
      try {
        check(call);
      } catch (e) {
        call.emit('error', toServiceError(e));
        return;
      }
      const service = call.request.service ?? '';
      const w = { service, call: call as grpc.ServerWritableStream<unknown, unknown> };
      watchers.add(w);
      call.on('cancelled', () => watchers.delete(w));
      call.write({ status: status.get(service) ?? 'SERVICE_UNKNOWN' });
    },
  });
  return {
    setAll(s) {
      for (const n of names) status.set(n, s);
      for (const w of watchers) if (status.has(w.service)) w.call.write({ status: s });
      if (s === 'NOT_SERVING') {
        for (const w of watchers) w.call.end();
        watchers.clear();
      }
    },
  };
}
