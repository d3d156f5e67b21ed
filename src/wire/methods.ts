// Paths and (de)serializers of HAL methods by "Service/Method", for the client.
import { HAL_PACKAGE } from '../hal/index.js';
import { plainCodec, responseDecoder } from './convert.js';
import { HAL_SERVICES, halService } from './protos.js';

export const HAL_PACKAGE_PREFIX = `${HAL_PACKAGE}.`;

export interface HalMethod {
  readonly path: string;
  readonly encode: (v: unknown) => Buffer;
  readonly decode: (b: Buffer) => unknown;
}

let table: Map<string, HalMethod> | undefined;

export function halMethod(key: string): HalMethod {
  if (!table) {
    table = new Map();
    for (const name of HAL_SERVICES) {
      const svc = halService(name);
      for (const m of svc.methodsArray) {
        table.set(`${name}/${m.name}`, {
          path: `/${svc.fullName.slice(1)}/${m.name}`,
          encode: plainCodec(m.resolvedRequestType!).encode,
          decode: responseDecoder(m.resolvedResponseType!),
        });
      }
    }
  }
  const m = table.get(key);
  if (!m) throw new Error(`no HAL method ${key}`);
  return m;
}
