// `xpuhal describe --driver NAME`: what a device says it is and can do, and, as
// plainly, what it cannot (tables and features it does not declare).
import type { Command } from 'commander';
import type { DescribeResponse, Feature, TableCapability } from '../hal/generated/types.js';
import { FeatureValues } from '../hal/generated/types.js';
import { tableNames } from '../hal/schema.js';
import { withDriver } from './driver-session.js';
import { printJson, renderTable } from './text-table.js';

export interface Unsupported {
  /** Tables the device does not declare at all. */
  readonly tables: string[];
  /** Declared tables whose entries are stored but not applied to packets. */
  readonly storedOnly: string[];
  readonly features: Feature[];
}

export function unsupportedOf(d: DescribeResponse): Unsupported {
  const caps = d.capabilities ?? {};
  const tables = new Set((caps.tables ?? []).map((t) => t.name));
  const features = new Set(caps.features ?? []);
  return {
    tables: tableNames().filter((t) => !tables.has(t)),
    storedOnly: (caps.tables ?? []).filter((t) => !t.appliedToPackets).map((t) => t.name ?? '?'),
    features: FeatureValues.filter((f) => f !== 'FEATURE_UNSPECIFIED' && !features.has(f)),
  };
}

const lower = (s: string | undefined) => (s ?? '').toLowerCase();
const yesNo = (b: boolean | undefined) => (b ? 'yes' : 'no');

function tableRow(t: TableCapability): string[] {
  const keys = (t.keyFields ?? []).map((k) => `${k.name} (${lower(k.match)})`).join(', ');
  const group = t.maxGroupMembers ? `\n<= ${t.maxGroupMembers} members` : '';
  return [
    t.name ?? '?',
    lower(t.kind),
    keys || '-',
    (t.actions ?? []).join(', ') || '-',
    `${t.usedEntries ?? 0} / ${t.maxEntries ?? 0}${group}`,
    yesNo(t.appliedToPackets),
    yesNo(t.perEntryCounters),
  ];
}

function section(title: string, body: string): string {
  return `${title}\n${body}\n`;
}

function record(obj: object | undefined): string {
  const entries = Object.entries(obj ?? {});
  if (!entries.length) return '  (not declared)';
  return entries.map(([k, v]) => `  ${k}: ${Array.isArray(v) ? v.join(', ') || '-' : String(v)}`).join('\n');
}

export function formatDescribe(d: DescribeResponse): string {
  const id = d.identity ?? {};
  const caps = d.capabilities ?? {};
  const missing = unsupportedOf(d);
  const out: string[] = [];
  out.push(
    section(
      'Device',
      [
        `  driver:    ${id.driver ?? '-'}`,
        `  vendor:    ${id.vendor ?? '-'}  model: ${id.model ?? '-'}  serial: ${id.serial ?? '-'}`,
        `  HAL:       ${id.halVersion ?? '-'}  pipeline: ${id.pipelineVersion ?? '-'}`,
      ].join('\n'),
    ),
  );
  out.push(
    section(
      `Tables (${(caps.tables ?? []).length} declared)`,
      renderTable(['TABLE', 'KIND', 'KEY FIELDS (MATCH)', 'ACTIONS', 'USED / MAX', 'PACKETS', 'COUNTERS'], (caps.tables ?? []).map(tableRow), {
        indent: '  ',
        wrap: { 2: 44, 3: 30 },
      }),
    ),
  );
  out.push(section('Writes', `  atomicity modes: ${(caps.atomicityModes ?? []).join(', ') || '-'}\n  max batch size:  ${caps.maxBatchSize ?? '-'}`));
  out.push(section('Features', `  ${(caps.features ?? []).join(', ') || '(none)'}`));
  out.push(section('Conntrack', record(caps.conntrack)));
  out.push(section('Crypto', record(caps.crypto)));
  out.push(section('QoS', record(caps.qos)));
  out.push(section('Telemetry', record(caps.telemetry)));
  out.push(section('Packet I/O', record(caps.packetIo)));
  out.push(
    section(
      'Not supported',
      [
        `  tables absent:          ${missing.tables.join(', ') || '(none: every table is declared)'}`,
        `  stored, not on packets: ${missing.storedOnly.join(', ') || '(none)'}`,
        `  features absent:        ${missing.features.join(', ') || '(none)'}`,
      ].join('\n'),
    ),
  );
  out.push(section('Notes', (caps.notes ?? []).map((n) => `  - ${n}`).join('\n') || '  (none)'));
  return out.join('\n');
}

export function registerDescribeCommand(program: Command): void {
  program
    .command('describe')
    .description("show a driver's identity and capabilities, and what it does not support")
    .requiredOption('-d, --driver <name>', 'driver to describe (see `xpuhal drivers`)')
    .addHelpText('after', '\nExamples:\n  xpuhal describe --driver reference\n  xpuhal describe --driver reference --json')
    .action(async (opts: { driver: string }, cmd: Command) => {
      const d = await withDriver(opts.driver, (hal) => hal.describe());
      if (cmd.optsWithGlobals().json) return printJson({ ...d, unsupported: unsupportedOf(d) });
      process.stdout.write(formatDescribe(d));
    });
}
