// `xpuhal demo`: programs a small two-subnet pod network through the Hal
// interface only, injects real packets (built with the sim packet codec) and
// says, one line per packet, what the device did and why.
import type { Command } from 'commander';
import { HalError } from '../hal/errors.js';
import type { AclEntry, Atomicity, DeviceIdentity, TraceStep, UpdateStatus } from '../hal/generated/types.js';
import type { Hal } from '../hal/hal.js';
import { demoBatches, demoPackets, TENANT_POD } from './demo-scenario.js';
import { withDriver } from './driver-session.js';
import { summarizeFrame } from './packet-words.js';
import { printJson, renderTable } from './text-table.js';
import { verdictOf, type EmittedWords } from './verdict-words.js';

export interface BatchResult {
  readonly name: string;
  readonly summary: string;
  readonly atomicity: Atomicity;
  readonly updates: number;
  readonly ok: boolean;
  readonly generation: number;
  readonly digest: string;
  /** For a refused batch: the deciding update status, and whether state stayed exactly as it was. */
  readonly refusal?: { readonly status: UpdateStatus; readonly index: number; readonly stateUnchanged: boolean };
}

export interface PacketResult {
  readonly id: string;
  readonly story: string;
  readonly ingressPort: string;
  /** What was sent, read back from the frame's bytes. */
  readonly sent: string;
  readonly disposition: string;
  readonly dropReason?: string;
  readonly why: string;
  readonly emitted: EmittedWords[];
  readonly trace: TraceStep[];
}

export interface DemoReport {
  readonly driver: string;
  readonly device: DeviceIdentity;
  readonly batches: BatchResult[];
  readonly packets: PacketResult[];
  readonly summary: {
    readonly sent: number;
    readonly forwarded: number;
    readonly dropped: number;
    readonly rejected: number;
    /** Dropped and rejected packets by reason, in plain words. */
    readonly byReason: Record<string, number>;
  };
  readonly state: { readonly generation: number; readonly digest: string };
}

const FALLBACK_ROUTER_MAC = '02:00:00:00:00:fe';

/** The failure that decided a refused batch (not the updates merely rolled back with it). */
function decidingStatus(err: HalError): { status: UpdateStatus; index: number } {
  const statuses = err.updates ?? [];
  const index = statuses.findIndex((s) => s.code !== 'OK' && s.reason !== 'BATCH_ROLLED_BACK');
  if (index >= 0) return { status: statuses[index], index };
  return { status: err.toStatus(), index: -1 };
}

export async function runDemo(hal: Hal, driver: string): Promise<DemoReport> {
  const { identity = {}, capabilities = {} } = await hal.describe();
  const policyAtomicity: Atomicity = (capabilities.atomicityModes ?? []).includes('DATAPLANE_ATOMIC') ? 'DATAPLANE_ATOMIC' : 'ROLLBACK_ON_ERROR';
  const portRecords = await hal.read({ tables: ['port'], filters: [{ field: 'id', equals: TENANT_POD.port }] });
  const tenantPort = portRecords[0]?.entry;
  if (!tenantPort?.port) throw HalError.of('ENTRY_NOT_FOUND', `the device has no port "${TENANT_POD.port}" for the demo's tenant pod`, 'port');

  const batches: BatchResult[] = [];
  for (const b of demoBatches({ policyAtomicity, tenantPort })) {
    const before = await hal.getState();
    const base = { name: b.name, summary: b.summary, atomicity: b.request.atomicity ?? 'CONTINUE_ON_ERROR', updates: b.request.updates?.length ?? 0 };
    try {
      const res = await hal.write(b.request);
      if (b.expectRefused) throw new Error(`batch "${b.name}" was expected to be refused but the device accepted it`);
      batches.push({ ...base, ok: true, generation: res.generation ?? 0, digest: res.digest ?? '' });
    } catch (err) {
      if (!(err instanceof HalError) || !b.expectRefused) throw err;
      const after = await hal.getState();
      const { status, index } = decidingStatus(err);
      const stateUnchanged = after.digest === before.digest && after.generation === before.generation;
      batches.push({ ...base, ok: false, generation: after.generation ?? 0, digest: after.digest ?? '', refusal: { status, index, stateUnchanged } });
    }
  }

  const acls = new Map<string, AclEntry>();
  for (const rec of await hal.read({ tables: ['acl'] })) if (rec.entry?.acl?.policyRef) acls.set(rec.entry.acl.policyRef, rec.entry.acl);
  const portMacs = new Map(((await hal.listPorts()).ports ?? []).map((p) => [p.id ?? '', p.mac ?? '']));
  const routerMac = (port: string) => portMacs.get(port) || FALLBACK_ROUTER_MAC;

  const packets: PacketResult[] = [];
  for (const p of demoPackets(routerMac)) {
    const res = await hal.inject({ portId: p.port, frame: p.frame });
    const v = verdictOf(res, acls);
    packets.push({ id: p.id, story: p.story, ingressPort: p.port, sent: summarizeFrame(p.frame).text, ...v, trace: res.trace ?? [] });
  }

  const count = (d: string) => packets.filter((p) => p.disposition === d).length;
  const byReason: Record<string, number> = {};
  for (const p of packets) if (p.disposition !== 'FORWARDED') byReason[p.why] = (byReason[p.why] ?? 0) + 1;
  const state = await hal.getState();
  return {
    driver,
    device: identity,
    batches,
    packets,
    summary: { sent: packets.length, forwarded: count('FORWARDED'), dropped: count('DROPPED'), rejected: count('REJECTED'), byReason },
    state: { generation: state.generation ?? 0, digest: state.digest ?? '' },
  };
}

function statusWords(s: UpdateStatus): string {
  return `${s.code} (${s.reason ?? 'REASON_UNSPECIFIED'})${s.fieldPath ? ` at ${s.fieldPath}` : ''}: ${s.message ?? ''}`;
}

function batchResultWords(b: BatchResult): string {
  if (b.ok) return `ok, generation ${b.generation}`;
  const r = b.refusal!;
  return `refused as expected: ${statusWords(r.status)}; ${r.stateUnchanged ? `state unchanged (generation ${b.generation}, same digest)` : 'STATE CHANGED'}`;
}

function packetLine(p: PacketResult, n: number): string {
  const head = `${String(n).padStart(2)}. [${p.ingressPort}] ${p.sent}`;
  if (p.disposition === 'FORWARDED') {
    const outs = p.emitted.map((e) => `out ${e.port} (${e.srcMac} -> ${e.dstMac}${e.ttl !== undefined ? `, ttl ${e.ttl}` : ''})`).join(' and ');
    return `${head}  =>  FORWARDED ${outs || '(nothing emitted)'}${p.why ? `: ${p.why}` : ''}`;
  }
  const answer = p.emitted.length ? `; answered with ${p.emitted.map((e) => `${e.text} out ${e.port}`).join(', ')}` : '';
  return `${head}  =>  ${p.disposition}: ${p.why}${answer}`;
}

export function formatDemo(r: DemoReport): string {
  const d = r.device;
  const out: string[] = [];
  out.push(`xpuhal demo on driver "${r.driver}" (${[d.vendor, d.model].filter(Boolean).join(' ') || 'device'}, HAL ${d.halVersion ?? '?'})`, '');
  out.push('Programming a two-subnet pod network through the Hal interface, in batches:');
  out.push(
    renderTable(
      ['#', 'BATCH', 'WHAT', 'ATOMICITY', 'UPDATES', 'RESULT'],
      r.batches.map((b, i) => [String(i + 1), b.name, b.summary, b.atomicity, String(b.updates), batchResultWords(b)]),
      { indent: '  ', wrap: { 2: 46, 5: 60 } },
    ),
  );
  out.push('', 'Injecting packets (what was sent -> what the device did, and why):');
  r.packets.forEach((p, i) => out.push(packetLine(p, i + 1)));
  const s = r.summary;
  out.push('', `Summary: ${s.sent} packets: ${s.forwarded} forwarded, ${s.dropped} dropped, ${s.rejected} rejected`);
  for (const [why, n] of Object.entries(s.byReason).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) out.push(`  ${n} x ${why}`);
  out.push(`State: generation ${r.state.generation}, digest ${r.state.digest}`);
  return `${out.join('\n')}\n`;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('program a small pod network on a driver, send packets through it, explain each verdict')
    .option('-d, --driver <name>', 'driver to run the demo on', 'reference')
    .addHelpText(
      'after',
      [
        '',
        'The demo writes endpoints, routes, a gateway and a network policy through the',
        'Hal interface, injects TCP, ICMP, IPv6 and internet-bound packets, and prints',
        'one line per packet: FORWARDED (out which port, with which MACs), DROPPED or',
        'REJECTED, and why. It ends with a summary and the state generation and digest.',
        '',
        'Examples:',
        '  xpuhal demo',
        '  xpuhal demo --driver reference --json',
      ].join('\n'),
    )
    .action(async (opts: { driver: string }, cmd: Command) => {
      const report = await withDriver(opts.driver, (hal) => runDemo(hal, opts.driver));
      if (cmd.optsWithGlobals().json) return printJson(report);
      process.stdout.write(formatDemo(report));
    });
}
