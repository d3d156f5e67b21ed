// Small hand-made profiles whose prices make the arithmetic easy to check.
import { parseProfile, type Profile } from '../../../src/sim/cost/profile.js';

const v = (value: unknown) => ({ value, source: 'test' });

export function softwareEngineDoc(over: Record<string, unknown> = {}) {
  const fixed = (c: number) => ({ cycles: v(c) });
  return {
    cores: v(2),
    clockHz: v(1e9),
    costs: {
      parse: { cycles: v(10), perByte: v(1) },
      exact: { cycles: v(5), memAccesses: v(2) },
      lpm: { cycles: v(4), perLevel: v(3), strideBits: v(4) },
      ternary: { cycles: v(7), perEntry: v(2) },
      range: { cycles: v(7), perEntry: v(3) },
      ctLookup: { cycles: v(20), memAccesses: v(2) },
      ctInsert: fixed(100),
      ctUpdate: fixed(8),
      nat: fixed(9),
      encap: { cycles: v(30), perByte: v(0.5) },
      decap: fixed(15),
      crypto: { cycles: v(50), perByte: v(2) },
      qos: fixed(6),
      rewrite: fixed(4),
      punt: fixed(1000),
      recirculate: fixed(25),
      emit: { cycles: v(12), perByte: v(0) },
    },
    cache: { l2Bytes: v(1000), llcBytes: v(4000), llcLatencyCycles: v(40), dramLatencyCycles: v(200), memoryParallelism: v(2) },
    entryBytes: { exact: v(20), lpm: v(10), ternary: v(40), range: v(40), connection: v(30) },
    queuePackets: v(64),
    fixedLatencyNs: v(100),
    ...over,
  };
}

export function tinyRtc(over: Record<string, unknown> = {}): Profile {
  return parseProfile({ name: 'tiny-rtc', description: 'test', style: 'run-to-completion', engine: softwareEngineDoc(over) }, 'tiny-rtc');
}

export function pipelineDoc(over: Record<string, unknown> = {}) {
  const lat = Object.fromEntries(['parse', 'exact', 'lpm', 'ternary', 'range', 'ctLookup', 'ctInsert', 'ctUpdate', 'nat', 'encap', 'decap', 'crypto', 'qos', 'rewrite', 'emit'].map((k) => [k, v(10)]));
  return {
    clockHz: v(1e9),
    pipelines: v(1),
    packetsPerClock: v(1),
    stagesPerPass: v(4),
    latencyCycles: lat,
    recirculateCycles: v(50),
    onChipStateBytes: v(1e6),
    entryBytes: { exact: v(10), lpm: v(10), ternary: v(10), range: v(10), connection: v(100) },
    dramLatencyNs: v(100),
    dramAccessesPerSecond: v(1e8),
    queuePackets: v(128),
    fixedLatencyNs: v(500),
    puntOn: { value: ['ct-insert'], source: 'test' },
    ...over,
  };
}

export function tinyPipeline(over: Record<string, unknown> = {}, slowOver: Record<string, unknown> = {}): Profile {
  return parseProfile(
    {
      name: 'tiny-pipe',
      description: 'test',
      style: 'pipelined',
      pipeline: pipelineDoc(over),
      slowPath: { ...softwareEngineDoc(), puntLatencyNs: v(2000), onHost: v(false), ...slowOver },
    },
    'tiny-pipe',
  );
}
