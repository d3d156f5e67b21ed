// gRPC server reflection (grpc.reflection.v1 and v1alpha): real
// FileDescriptorProtos of the served .proto files, built with
// protobufjs/ext/descriptor. Names are made fully qualified and map entries get
// protoc's "<Field>Entry" names so standard tools (grpcurl) accept them. Custom
// options (hal-spec's table annotations) are not carried.
import * as grpc from '@grpc/grpc-js';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import * as descriptorExt from 'protobufjs/ext/descriptor/index.js';
import { HAL_SPEC_DIR, halRoot } from '../hal/index.js';
import { HAL_SERVICES, grpcProtoRoot, halService, serviceName } from './protos.js';
import { serviceDefinition } from './service-definitions.js';
import type { AuthenticatedCall } from './roles.js';
import { toServiceError } from './status-details.js';

const WIRE_PROTO_DIR = join(dirname(fileURLToPath(import.meta.url)), 'proto');
// A CommonJS module: its exports sit on `default` under ESM.
const descriptorTypes = ((descriptorExt as { default?: unknown }).default ?? descriptorExt) as { FileDescriptorProto: protobuf.Type };
const FileDescriptorProto = descriptorTypes.FileDescriptorProto;

type Desc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** "xpuhal/hal/v1alpha1/device.proto" for a loaded file's absolute path. */
function protoName(file: string): string {
  for (const base of [HAL_SPEC_DIR, WIRE_PROTO_DIR]) {
    const rel = relative(base, file);
    if (!rel.startsWith('..')) return rel.split('\\').join('/');
  }
  const i = file.indexOf('google/protobuf/');
  return i >= 0 ? file.slice(i) : file;
}

const ucFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Fully qualified type names and protoc's map-entry names; collects referenced files. */
function fixMessage(type: protobuf.Type, d: Desc, deps: Set<string>): void {
  const byId = new Map(type.fieldsArray.map((f) => [f.id, f]));
  for (const fd of d.field ?? []) {
    const f = byId.get(fd.number);
    if (!f) continue;
    if (f.map) {
      const entryName = `${ucFirst(camel(fd.name))}Entry`;
      const nested = (d.nestedType ?? []).find((n: Desc) => n.name === fd.typeName);
      if (nested) nested.name = entryName;
      fd.typeName = `${type.fullName}.${entryName}`;
      const vt = f.resolvedType;
      if (nested && vt) {
        const vf = nested.field.find((x: Desc) => x.number === 2);
        if (vf) vf.typeName = vt.fullName;
      }
      if (vt && (vt as { filename?: string }).filename) deps.add(protoName((vt as { filename: string }).filename));
      continue;
    }
    const rt = f.resolvedType;
    if (rt) {
      fd.typeName = rt.fullName;
      const fn = (rt as { filename?: string }).filename;
      if (fn) deps.add(protoName(fn));
    }
    if (fd.options && Object.keys(fd.options).length === 0) delete fd.options;
  }
  if (d.options && Object.keys(d.options).length === 0) delete d.options;
  for (const nd of d.nestedType ?? []) {
    const nt = type.nestedArray.find((n) => n instanceof protobuf.Type && n.name === nd.name);
    if (nt) fixMessage(nt as protobuf.Type, nd, deps);
  }
}

/** One FileDescriptorProto per loaded file, with its dependencies. */
export function buildFileDescriptors(roots: protobuf.Root[]): Map<string, { bytes: Buffer; deps: string[]; symbols: string[] }> {
  const files = new Map<string, { pkg: string; messageType: Desc[]; enumType: Desc[]; service: Desc[]; extension: Desc[]; deps: Set<string>; symbols: string[] }>();
  const fileOf = (obj: protobuf.ReflectionObject, pkg: string) => {
    const name = protoName((obj as { filename?: string }).filename ?? '');
    let f = files.get(name);
    if (!f) files.set(name, (f = { pkg, messageType: [], enumType: [], service: [], extension: [], deps: new Set(), symbols: [] }));
    return { name, f };
  };
  const walk = (ns: protobuf.Namespace) => {
    for (const obj of ns.nestedArray) {
      const pkg = ns.fullName.slice(1);
      if (obj instanceof protobuf.Type) {
        const { name, f } = fileOf(obj, pkg);
        if (name.startsWith('google/protobuf/descriptor')) continue;
        const d = (obj as unknown as { toDescriptor(e: string): protobuf.Message }).toDescriptor('proto3').toJSON() as Desc;
        fixMessage(obj, d, f.deps);
        f.messageType.push(d);
        f.symbols.push(obj.fullName.slice(1));
      } else if (obj instanceof protobuf.Enum) {
        const { f } = fileOf(obj, pkg);
        f.enumType.push((obj as unknown as { toDescriptor(): protobuf.Message }).toDescriptor().toJSON());
        f.symbols.push(obj.fullName.slice(1));
      } else if (obj instanceof protobuf.Service) {
        const { f } = fileOf(obj, pkg);
        const d = (obj as unknown as { toDescriptor(): protobuf.Message }).toDescriptor().toJSON() as Desc;
        for (const m of obj.methodsArray) {
          for (const t of [m.resolvedRequestType, m.resolvedResponseType]) if (t && (t as { filename?: string }).filename) f.deps.add(protoName((t as { filename: string }).filename));
        }
        f.service.push(d);
        f.symbols.push(obj.fullName.slice(1));
      } else if (obj instanceof protobuf.Namespace) walk(obj);
      // Extension fields (hal-spec's options.proto) are left out with the custom options they declare.
    }
  };
  for (const r of roots) walk(r);
  const out = new Map<string, { bytes: Buffer; deps: string[]; symbols: string[] }>();
  for (const [name, f] of files) {
    if (!f.messageType.length && !f.enumType.length && !f.service.length) continue;
    f.deps.delete(name);
    const deps = [...f.deps].filter((d) => !d.startsWith('google/protobuf/descriptor')).sort();
    const msg = FileDescriptorProto.fromObject({ name, package: f.pkg, dependency: deps, messageType: f.messageType, enumType: f.enumType, service: f.service, syntax: 'proto3' });
    out.set(name, { bytes: Buffer.from(FileDescriptorProto.encode(msg).finish()), deps, symbols: f.symbols });
  }
  return out;
}

interface ReflectionRequest {
  host?: string;
  fileByFilename?: string;
  fileContainingSymbol?: string;
  fileContainingExtension?: { containingType?: string; extensionNumber?: number };
  allExtensionNumbersOfType?: string;
  listServices?: string;
}

export function addReflectionService(server: grpc.Server, check: (call: AuthenticatedCall) => void): void {
  let files: ReturnType<typeof buildFileDescriptors> | undefined;
  const served = [...HAL_SERVICES.map((n) => serviceName(halService(n))), 'grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'];
  /** The file and everything it depends on, the file first (as grpc-go does). */
  const withDeps = (name: string): Buffer[] => {
    const seen = new Set<string>();
    const order: Buffer[] = [];
    const visit = (n: string) => {
      if (seen.has(n)) return;
      seen.add(n);
      const f = files!.get(n);
      if (!f) return;
      order.push(f.bytes);
      f.deps.forEach(visit);
    };
    visit(name);
    return order;
  };
  const answer = (req: ReflectionRequest): Record<string, unknown> => {
    files ??= buildFileDescriptors([halRoot(), grpcProtoRoot()]);
    const base = { validHost: req.host ?? '', originalRequest: req };
    const notFound = (what: string) => ({ ...base, errorResponse: { errorCode: grpc.status.NOT_FOUND, errorMessage: `${what} not found` } });
    if (req.listServices !== undefined) return { ...base, listServicesResponse: { service: served.map((name) => ({ name })) } };
    if (req.fileByFilename !== undefined) {
      return files.has(req.fileByFilename) ? { ...base, fileDescriptorResponse: { fileDescriptorProto: withDeps(req.fileByFilename) } } : notFound(`file ${req.fileByFilename}`);
    }
    if (req.fileContainingSymbol !== undefined) {
      const sym = req.fileContainingSymbol.replace(/^\./, '');
      for (const [name, f] of files) {
        if (f.symbols.some((s) => sym === s || sym.startsWith(`${s}.`))) return { ...base, fileDescriptorResponse: { fileDescriptorProto: withDeps(name) } };
      }
      return notFound(`symbol ${sym}`);
    }
    if (req.allExtensionNumbersOfType !== undefined) return { ...base, allExtensionNumbersResponse: { baseTypeName: req.allExtensionNumbersOfType, extensionNumber: [] } };
    if (req.fileContainingExtension !== undefined) return notFound('extension');
    return { ...base, errorResponse: { errorCode: grpc.status.INVALID_ARGUMENT, errorMessage: 'empty reflection request' } };
  };
  for (const version of ['v1', 'v1alpha']) {
    const svc = grpcProtoRoot().lookupService(`grpc.reflection.${version}.ServerReflection`);
    server.addService(serviceDefinition(svc), {
      ServerReflectionInfo: (call: grpc.ServerDuplexStream<ReflectionRequest, unknown>) => {
        try {
          check(call);
        } catch (e) {
          call.emit('error', toServiceError(e));
          return;
        }
        call.on('data', (req: ReflectionRequest) => {
          try {
            call.write(answer(req));
          } catch (e) {
            call.emit('error', toServiceError(e));
          }
        });
        call.on('end', () => call.end());
      },
    });
  }
}
