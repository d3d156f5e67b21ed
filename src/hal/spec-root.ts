// Loads hal-spec/*.proto with protobufjs: the one source of the wire types and of
// the table schemas (custom options in options.proto).
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

export const HAL_PACKAGE = 'xpuhal.hal.v1alpha1';
export const HAL_VERSION = 'v1alpha1';

/** Folder holding hal-spec/ (the repository root, or the installed package root). */
export const HAL_SPEC_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'hal-spec');
const HAL_PROTO_DIR = join(HAL_SPEC_DIR, 'xpuhal', 'hal', HAL_VERSION);

const require = createRequire(import.meta.url);
// descriptor.proto (for the custom options) ships with protobufjs; protoc users
// get the same file from their own include path.
const PROTOBUF_INCLUDE = dirname(require.resolve('protobufjs/package.json'));

/** The .proto files of the HAL, relative to hal-spec/. */
export function halProtoFiles(): string[] {
  return readdirSync(HAL_PROTO_DIR)
    .filter((f) => f.endsWith('.proto'))
    .sort()
    .map((f) => `xpuhal/hal/${HAL_VERSION}/${f}`);
}

export function loadProtoRoot(files: string[], includeDirs: string[]): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if (target.startsWith('google/protobuf/descriptor')) return join(PROTOBUF_INCLUDE, target);
    for (const dir of includeDirs) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target;
  };
  root.loadSync(files, { alternateCommentMode: true });
  root.resolveAll();
  return root;
}

let cached: protobuf.Root | undefined;

/** The resolved HAL root (cached; protobufjs roots are immutable once resolved). */
export function halRoot(): protobuf.Root {
  cached ??= loadProtoRoot([...halProtoFiles(), 'google/rpc/status.proto'], [HAL_SPEC_DIR]);
  return cached;
}

const typeCache = new Map<string, protobuf.Type>();

/** A HAL message type by name; remembered, as a root lookup walks namespaces on every call. */
export function halType(name: string): protobuf.Type {
  let t = typeCache.get(name);
  if (!t) typeCache.set(name, (t = halRoot().lookupType(`${HAL_PACKAGE}.${name}`)));
  return t;
}

export function halEnum(name: string): protobuf.Enum {
  return halRoot().lookupEnum(`${HAL_PACKAGE}.${name}`);
}
