// grpc-js service definitions built from our protobufjs root (no proto-loader):
// each method's path, streaming flags and plain-object (de)serializers.
import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { plainCodec } from './convert.js';

/** What a server deserializer yields for bytes that are not the message. */
export class Malformed {
  constructor(
    readonly typeName: string,
    readonly problem: string,
  ) {}
}

export function serviceDefinition(svc: protobuf.Service): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const m of svc.methodsArray) {
    const req = plainCodec(m.resolvedRequestType!);
    const res = plainCodec(m.resolvedResponseType!);
    const reqName = m.resolvedRequestType!.name;
    def[m.name] = {
      path: `/${svc.fullName.slice(1)}/${m.name}`,
      requestStream: m.requestStream === true,
      responseStream: m.responseStream === true,
      requestSerialize: req.encode,
      requestDeserialize: (bytes: Buffer) => {
        // grpc-js answers INTERNAL when a deserializer throws; bad input is the caller's fault.
        try {
          return req.decode(bytes);
        } catch (e) {
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
