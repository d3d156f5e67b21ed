// Device profiles: the price list the cost meter charges from. Profiles are data
// files (src/sim/cost/profiles/*.json); every number carries its source or
// calibration note, so the file itself says where each figure comes from. They
// are validated on load: a bad file names the field.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as t from 'io-ts';
import { DataFileError, NonEmptyString, NonNegative, Positive, decodeFile, noted, strictObject } from './decode.js';

/** One number and where it comes from ("source" for published figures, "calibration" for measured ones). */
const P = noted(NonNegative);
const PPos = noted(Positive);

const fixed = strictObject('fixed cost', { cycles: P });
const perByte = strictObject('per-byte cost', { cycles: P, perByte: P });
const hashLookup = strictObject('hash lookup cost', { cycles: P, memAccesses: P });

/** Cycle prices of one software engine (host cores, or a DPU's Arm slow path). */
export const SoftwareCosts = strictObject('software costs', {
  parse: perByte,
  exact: hashLookup,
  lpm: strictObject('lpm cost', { cycles: P, perLevel: P, strideBits: PPos }),
  /** Linear scan in priority order (iptables-style chains); `perEntry` per rule examined. */
  ternary: strictObject('ternary cost', { cycles: P, perEntry: P }),
  range: strictObject('range cost', { cycles: P, perEntry: P }),
  ctLookup: hashLookup,
  ctInsert: fixed,
  ctUpdate: fixed,
  nat: fixed,
  encap: perByte,
  decap: fixed,
  crypto: perByte,
  qos: fixed,
  rewrite: fixed,
  punt: fixed,
  recirculate: fixed,
  emit: perByte,
});

const EntryBytes = strictObject('entry bytes', { exact: PPos, lpm: PPos, ternary: PPos, range: PPos, connection: PPos });

const Cache = strictObject('cache', {
  l2Bytes: PPos,
  llcBytes: PPos,
  llcLatencyCycles: P,
  dramLatencyCycles: P,
  /** Independent misses in flight per core (prefetch / batching hides part of each miss). */
  memoryParallelism: PPos,
});

const SoftwareEngineProps = {
  cores: PPos,
  clockHz: PPos,
  costs: SoftwareCosts,
  cache: Cache,
  entryBytes: EntryBytes,
  /** Packets a core's receive queue holds before the NIC drops (descriptor ring). */
  queuePackets: PPos,
  /** Fixed latency outside the cores (NIC, DMA, PCIe) added to every packet. */
  fixedLatencyNs: P,
};
export const SoftwareEngine = strictObject('software engine', SoftwareEngineProps);

const PipelineLatency = strictObject('pipeline latency', {
  parse: P,
  exact: P,
  lpm: P,
  ternary: P,
  range: P,
  ctLookup: P,
  ctInsert: P,
  ctUpdate: P,
  nat: P,
  encap: P,
  decap: P,
  crypto: P,
  qos: P,
  rewrite: P,
  emit: P,
});

const PUNT_OPS = t.keyof({ 'ct-insert': null, punt: null, crypto: null });

export const Pipeline = strictObject('pipeline', {
  clockHz: PPos,
  pipelines: PPos,
  packetsPerClock: PPos,
  /** Stages one pass offers; a packet needing more match-action stages recirculates. */
  stagesPerPass: PPos,
  /** Pipeline clocks each operation adds to a packet's latency. */
  latencyCycles: PipelineLatency,
  /** Pipeline clocks a recirculation adds (loopback to the parser). */
  recirculateCycles: P,
  /** State that fits on chip (SRAM/TCAM/cache); beyond it lookups go to DRAM. */
  onChipStateBytes: PPos,
  entryBytes: EntryBytes,
  dramLatencyNs: P,
  /** Random DRAM accesses per second the state memory sustains (bounds throughput when state spills). */
  dramAccessesPerSecond: PPos,
  /** Packets the input buffer holds before tail drop. */
  queuePackets: PPos,
  fixedLatencyNs: P,
  /** Operations that send the packet to the slow path (in addition to an explicit `punt`). */
  puntOn: noted(t.array(PUNT_OPS)),
});

const SlowPath = strictObject('slow path', {
  ...SoftwareEngineProps,
  /** Latency of handing a packet to the slow path and reinjecting it, beyond the cycles. */
  puntLatencyNs: P,
  /** True when the slow path runs on the host CPU (its cycles are host cycles). */
  onHost: noted(t.boolean),
});

const Common = { name: NonEmptyString, description: NonEmptyString };

export const RunToCompletionProfile = strictObject('run-to-completion profile', { ...Common, style: t.literal('run-to-completion'), engine: SoftwareEngine });
export const PipelinedProfile = strictObject('pipelined profile', { ...Common, style: t.literal('pipelined'), pipeline: Pipeline, slowPath: SlowPath });
export const ProfileCodec = t.union([RunToCompletionProfile, PipelinedProfile]);

type Raw<T> = t.TypeOf<T extends t.Mixed ? T : never>;
export type RawProfile = Raw<typeof ProfileCodec>;

/** A parameter reduced to its number (sources stay in the file and the docs). */
export type Plain<T> = T extends { value: infer V } ? V : T extends object ? { [K in keyof T]: Plain<T[K]> } : T;
export type Profile = Plain<RawProfile>;
export type SoftwareEngineSpec = Plain<Raw<typeof SoftwareEngine>>;
export type PipelineSpec = Plain<Raw<typeof Pipeline>>;
export type SlowPathSpec = Plain<Raw<typeof SlowPath>>;

function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('value' in o && ('source' in o || 'calibration' in o)) return o.value;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

/** Validates a parsed profile document; `file` names it in errors. */
export function parseProfile(doc: unknown, file: string): Profile {
  // Decode by style first so errors name fields of the right shape, not a union's.
  const style = (doc as { style?: unknown } | null)?.style;
  const codec = style === 'pipelined' ? PipelinedProfile : style === 'run-to-completion' ? RunToCompletionProfile : null;
  if (!codec) throw new DataFileError(file, 'style', `expected "run-to-completion" or "pipelined", got ${JSON.stringify(style)}`);
  return plain(decodeFile(codec as t.Decoder<unknown, RawProfile>, doc, file)) as Profile;
}

export function readProfileFile(file: string): Profile {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DataFileError(file, '', `not readable JSON: ${(err as Error).message}`);
  }
  return parseProfile(doc, file);
}

export const PROFILE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'profiles');

/** Names of the shipped profiles (file names without .json), sorted. */
export function profileNames(): string[] {
  return readdirSync(PROFILE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** A shipped profile by name, or a profile file by path. */
export function loadProfile(nameOrPath: string): Profile {
  if (nameOrPath.endsWith('.json')) return readProfileFile(nameOrPath);
  const names = profileNames();
  if (!names.includes(nameOrPath)) throw new DataFileError('--profile', '', `no profile "${nameOrPath}" (shipped: ${names.join(', ')}; or give a path to a .json profile)`);
  const p = readProfileFile(path.join(PROFILE_DIR, `${nameOrPath}.json`));
  if (p.name !== nameOrPath) throw new DataFileError(`${nameOrPath}.json`, 'name', `must equal the file name "${nameOrPath}", got "${p.name}"`);
  return p;
}
