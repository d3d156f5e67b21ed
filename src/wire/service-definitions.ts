// grpc-js service definitions built from our protobufjs root (no proto-loader):
// each method's path, streaming flags and plain-object (de)serializers.
import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { plainCodec } from './convert.js';
import { WireDecodeError, decodeRequest } from './decode.js';

/** What a server deserializer yields for bytes that are not the message. */
export class Malformed {
  constructor(
    readonly typeName: string,
    readonly problem: string,
    /** Where, for an unknown field number or a wrong wire type (hal-spec §11.4); else empty. */
    readonly fieldPath = '',
    readonly located = false,
  ) {}
}

export function serviceDefinition(svc: protobuf.Service): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const m of svc.methodsArray) {
    const reqType = m.resolvedRequestType!;
    const req = plainCodec(reqType);
    const res = plainCodec(m.resolvedResponseType!);
    const reqName = reqType.name;
    def[m.name] = {
      path: `/${svc.fullName.slice(1)}/${m.name}`,
      requestStream: m.requestStream === true,
      responseStream: m.responseStream === true,
      requestSerialize: req.encode,
      requestDeserialize: (bytes: Buffer) => {
        // grpc-js answers INTERNAL when a deserializer throws; bad input is the caller's fault.
        // Straight to the plain form; unknown field numbers are refused, not skipped.
        try {
          return decodeRequest(reqType, bytes);
        } catch (e) {
          if (e instanceof WireDecodeError) return new Malformed(reqName, e.message, e.fieldPath, e.located);
          return new Malformed(reqName, (e as Error).message);
        }
      },
      responseSerialize: res.encode,
      responseDeserialize: res.decode,
      originalName: m.name,
    };
  }
  return def as grpc.ServiceDefinition;
}
