// The wire's protobuf types: the HAL root (hal-spec) for the HAL services, and a
// second root for gRPC's own health and reflection services (src/wire/proto).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { HAL_PACKAGE, halRoot, loadProtoRoot } from '../hal/index.js';

const WIRE_PROTO_DIR = join(dirname(fileURLToPath(import.meta.url)), 'proto');

export const HEALTH_FILE = 'grpc/health/v1/health.proto';
export const REFLECTION_FILES = ['grpc/reflection/v1/reflection.proto', 'grpc/reflection/v1alpha/reflection.proto'];

let grpcRoot: protobuf.Root | undefined;

/** grpc.health.v1 and grpc.reflection.{v1,v1alpha}. */
export function grpcProtoRoot(): protobuf.Root {
  grpcRoot ??= loadProtoRoot([HEALTH_FILE, ...REFLECTION_FILES], [WIRE_PROTO_DIR]);
  return grpcRoot;
}

/** The six HAL services, in hal-spec's order. */
export const HAL_SERVICES = ['Device', 'Tables', 'Clock', 'Conntrack', 'Telemetry', 'PacketIo'] as const;
export type HalServiceName = (typeof HAL_SERVICES)[number];

export function halService(name: HalServiceName): protobuf.Service {
  return halRoot().lookupService(`${HAL_PACKAGE}.${name}`);
}

/** "xpuhal.hal.v1alpha1.Tables" for a service. */
export function serviceName(svc: protobuf.Service): string {
  return svc.fullName.slice(1);
}
