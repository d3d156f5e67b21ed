// Loads the P4Runtime protos (proto/p4/...) and google.rpc.Status (hal-spec's
// wire-compatible copy) into one protobufjs root, and builds grpc-js service
// definitions from it (no @grpc/proto-loader: it would bring a second protobufjs).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { HAL_SPEC_DIR } from '../../../hal/index.js';

const PROTO_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'proto');
const require = createRequire(import.meta.url);
const PROTOBUF_INCLUDE = dirname(require.resolve('protobufjs/package.json'));

let cached: protobuf.Root | undefined;

/** p4.v1, p4.config.v1 and google.rpc, resolved. */
export function p4rtRoot(): protobuf.Root {
  if (cached) return cached;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of [PROTO_DIR, HAL_SPEC_DIR, PROTOBUF_INCLUDE]) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target;
  };
  root.loadSync(['p4/v1/p4runtime.proto'], { keepCase: false });
  root.resolveAll();
  cached = root;
  return root;
}

export function p4Type(name: string): protobuf.Type {
  return p4rtRoot().lookupType(name);
}

/**
 * How messages look in TypeScript: camelCase fields, 64-bit integers as decimal
 * strings, bytes as Uint8Array, enums as names, unset fields absent, and the
 * oneof's member name under the oneof's own name (e.g. `entity: 'tableEntry'`).
 */
export const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, bytes: Uint8Array as unknown as typeof String, oneofs: true, defaults: false };

export function encodeMessage(type: protobuf.Type, obj: object): Buffer {
  return Buffer.from(type.encode(type.fromObject(obj as Record<string, unknown>)).finish());
}

export function decodeMessage<T>(type: protobuf.Type, buf: Uint8Array): T {
  return type.toObject(type.decode(buf), TO_OBJECT) as T;
}

/** A grpc-js service definition for a P4Runtime service (method names as in the .proto). */
export function serviceDefinition(fullName: string): ServiceDefinition {
  return serviceDefinitionOf(p4rtRoot(), fullName, TO_OBJECT);
}

/** A grpc-js service definition for a service of any protobufjs root. */
export function serviceDefinitionOf(root: protobuf.Root, fullName: string, conv: protobuf.IConversionOptions): ServiceDefinition {
  const svc = root.lookupService(fullName);
  const enc = (t: protobuf.Type) => (o: object) => encodeMessage(t, o);
  const dec = (t: protobuf.Type) => (b: Buffer) => t.toObject(t.decode(b), conv);
  const def: Record<string, unknown> = {};
  for (const m of svc.methodsArray) {
    m.resolve();
    const req = m.resolvedRequestType!;
    const res = m.resolvedResponseType!;
    def[m.name] = {
      path: `/${fullName}/${m.name}`,
      requestStream: !!m.requestStream,
      responseStream: !!m.responseStream,
      requestSerialize: enc(req),
      requestDeserialize: dec(req),
      responseSerialize: enc(res),
      responseDeserialize: dec(res),
      originalName: m.name,
    };
  }
  return def as ServiceDefinition;
}
