// Requirement builders: a test lists what it needs; a device that does not
// declare it gets `unsupported` with the capability named (hal-spec §10).
import { hasFeature, tableCapability, type Atomicity, type Feature } from '../../src/hal/index.js';
import type { Env, Requirement } from './types.js';

const req = (missing: (env: Env) => string | null): Requirement => ({ missing });

export const feature = (f: Feature): Requirement => req((e) => (hasFeature(e.caps, f) ? null : `feature ${f}`));

/** For tests of the refusal path: the device must NOT declare the feature. */
export const lacksFeature = (f: Feature): Requirement => req((e) => (hasFeature(e.caps, f) ? `absence of feature ${f} (it is declared)` : null));

export const table = (name: string): Requirement => req((e) => (tableCapability(e.caps, name) ? null : `table ${name}`));

/** The table is declared and the datapath acts on it. */
export const applied = (name: string): Requirement =>
  req((e) => {
    const t = tableCapability(e.caps, name);
    if (!t) return `table ${name}`;
    return t.appliedToPackets ? null : `table ${name} applied to packets`;
  });

export const perEntryCounters = (name: string): Requirement =>
  req((e) => (tableCapability(e.caps, name)?.perEntryCounters ? null : `perEntryCounters on table ${name}`));

export const atomicity = (mode: Atomicity): Requirement => req((e) => ((e.caps.atomicityModes ?? []).includes(mode) ? null : `atomicity ${mode}`));

export const lacksAtomicity = req((e) => {
  const all: Atomicity[] = ['CONTINUE_ON_ERROR', 'ROLLBACK_ON_ERROR', 'DATAPLANE_ATOMIC'];
  return all.some((m) => !(e.caps.atomicityModes ?? []).includes(m)) ? null : 'an undeclared atomicity mode (every mode is declared)';
});

export const lacksTable = req((e) => {
  const n = (e.caps.tables ?? []).length;
  return n < 21 ? null : 'an undeclared table (every table is declared)';
});

/** Inject and Capture: every packet test needs both. */
export const io = req((e) => {
  const p = e.caps.packetIo ?? {};
  if (!p.inject) return 'packetIo.inject';
  if (!p.capture) return 'packetIo.capture';
  return null;
});

export const virtualTime = req((e) => (e.caps.packetIo?.virtualTime ? null : 'packetIo.virtualTime'));
export const noVirtualTime = req((e) => (e.caps.packetIo?.virtualTime ? 'absence of packetIo.virtualTime (it is declared)' : null));
export const conntrack = req((e) => (e.caps.conntrack?.supported ? null : 'conntrack.supported'));
export const noConntrack = req((e) => (e.caps.conntrack?.supported ? 'absence of conntrack.supported (it is declared)' : null));
export const ctTimeouts = req((e) => (e.caps.conntrack?.configurableTimeouts ? null : 'conntrack.configurableTimeouts'));
export const ctNat = req((e) => (e.caps.conntrack?.nat ? null : 'conntrack.nat'));
export const eventStream = req((e) => (e.caps.telemetry?.eventStream ? null : 'telemetry.eventStream'));
export const noEventStream = req((e) => (e.caps.telemetry?.eventStream ? 'absence of telemetry.eventStream (it is declared)' : null));
export const flowRecords = req((e) => (e.caps.telemetry?.flowRecords ? null : 'telemetry.flowRecords'));
export const noIpfix = req((e) => (e.caps.telemetry?.ipfixExport ? 'absence of telemetry.ipfixExport (it is declared)' : null));
export const policerMode = (m: 'SRTCM' | 'TRTCM'): Requirement => req((e) => ((e.caps.qos?.policerModes ?? []).includes(m) ? null : `qos.policerModes ${m}`));
export const ipsecAlgorithm = (a: 'AES_GCM_128' | 'AES_GCM_256'): Requirement =>
  req((e) => ((e.caps.crypto?.ipsecAlgorithms ?? []).includes(a) ? null : `crypto.ipsecAlgorithms ${a}`));

/** A device built for this test alone (generation 0, counters at zero). */
export const fresh = req((e) => (e.fresh ? null : 'a fresh device per test (the target is shared)'));

/** Port roles the standard topology uses. */
export const ports = (uplinks: number, hosts: number): Requirement =>
  req((e) => {
    const u = e.ports.filter((p) => p.role === 'UPLINK').length;
    const h = e.ports.filter((p) => p.role === 'HOST').length;
    return u >= uplinks && h >= hosts ? null : `${uplinks} UPLINK and ${hosts} HOST ports (device has ${u} and ${h})`;
  });
