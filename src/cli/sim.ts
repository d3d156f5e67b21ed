// `xpuhal sim run`: a scenario through the reference simulator under a device
// profile (or all of them), with modelled throughput, line rate, latency,
// cycles by stage and host CPU; `xpuhal sim profiles` lists the profiles.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { runScenario, type RunReport } from '../scenario/run.js';
import { formatComparison, formatReport } from '../scenario/report.js';
import { readScenarioFile } from '../scenario/schema.js';
import { DataFileError } from '../sim/cost/decode.js';
import { loadProfile, profileNames } from '../sim/cost/profile.js';
import { LINKTYPE_ETHERNET, readPcap, writePcap, type PcapRecord } from '../sim/packet/index.js';
import { printJson, renderTable } from './text-table.js';

interface RunOpts {
  scenario: string;
  profile: string;
  pcapIn?: string;
  pcapPort?: string;
  pcapOut?: string;
  progress: boolean;
}

function readPcapIn(file: string): PcapRecord[] {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new DataFileError(file, '', `cannot read: ${(e as Error).message}`);
  }
  try {
    const p = readPcap(bytes);
    if (p.linkType !== LINKTYPE_ETHERNET) throw new DataFileError(file, 'linktype', `only Ethernet (1) captures can be replayed, this one is ${p.linkType}`);
    return p.records;
  } catch (e) {
    if (e instanceof DataFileError) throw e;
    throw new DataFileError(file, '', (e as Error).message);
  }
}

/** One line per second on stderr while a long run goes on (stdout stays the report). */
function progressLine(profile: string) {
  return (p: { phase: string; done: number; total: number; pps: number }) => {
    const pct = p.total ? ((100 * p.done) / p.total).toFixed(0) : '?';
    process.stderr.write(`sim run [${profile}] phase ${p.phase}: ${p.done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')} packets (${pct}%), ${Math.round(p.pps).toLocaleString('en-US')} packets/s\n`);
  };
}

export function registerSimCommand(program: Command): void {
  const sim = program.command('sim').description('run workloads through the reference simulator with a device cost model');
  sim
    .command('run')
    .description('run a scenario (tables + traffic) and report packets, modelled throughput, line rate, latency, cycles and host CPU')
    .requiredOption('-s, --scenario <file>', 'scenario file (JSON; see docs/simulator.md)')
    .option('-p, --profile <name>', `device profile: ${profileNames().join(', ')}, "all" for every one side by side, or a path to a profile .json`, 'host-x86')
    .option('--pcap-in <file>', 'replay this classic pcap as the traffic (timestamps are arrival times) instead of the scenario\'s')
    .option('--pcap-port <id>', 'the port --pcap-in frames arrive on (default: the first topology port)')
    .option('--pcap-out <file>', 'write every emitted packet to this classic pcap (timestamps are modelled departure times)')
    .option('--no-progress', 'no progress lines on stderr')
    .addHelpText(
      'after',
      [
        '',
        'The scenario\'s tables are written through the Hal API of the reference driver,',
        'then its traffic (real frames, virtual arrival times, seeded) goes through the',
        'packet walk while a cost meter prices every operation with the device profile.',
        'Packet counts and drop reasons are the walk\'s; throughput, line rate, latency',
        '(a queue model per core / pipeline) and host CPU are modelled. Long runs print',
        'a progress line per second on stderr.',
        '',
        'Examples:',
        '  xpuhal sim run --scenario scenarios/smoke.json',
        '  xpuhal sim run --scenario scenarios/smoke.json --profile all',
        '  xpuhal sim run -s scenarios/seed-geneve-ct.json -p pensando --json',
        '  xpuhal sim run -s scenarios/smoke.json --pcap-out out/smoke.pcap',
      ].join('\n'),
    )
    .action(async (opts: RunOpts, cmd: Command) => {
      const scenario = readScenarioFile(opts.scenario);
      const names = opts.profile === 'all' ? profileNames() : [opts.profile];
      const profiles = names.map((n) => loadProfile(n));
      let pcapIn: { records: PcapRecord[]; port: string } | undefined;
      if (opts.pcapIn) {
        const port = opts.pcapPort ?? scenario.topology.ports[0]?.id;
        if (!port) throw new DataFileError(opts.scenario, 'topology.ports', 'name at least one port, or give --pcap-port');
        pcapIn = { records: readPcapIn(opts.pcapIn), port };
      }
      if (opts.pcapOut && profiles.length > 1) throw new DataFileError('--pcap-out', '', 'write a pcap from one profile at a time (the packets are the same under every profile; only times differ)');
      const reports: RunReport[] = [];
      for (const profile of profiles) {
        const { report, emitted } = await runScenario(scenario, profile, opts.scenario, {
          pcapIn,
          keepEmitted: !!opts.pcapOut,
          progress: opts.progress ? progressLine(profile.name) : undefined,
        });
        reports.push(report);
        if (opts.pcapOut) {
          const ordered = emitted.map((e, i) => ({ e, i })).sort((a, b) => (a.e.timeNs < b.e.timeNs ? -1 : a.e.timeNs > b.e.timeNs ? 1 : a.i - b.i));
          writeFileSync(opts.pcapOut, writePcap(ordered.map((x) => x.e)));
        }
      }
      if (cmd.optsWithGlobals().json) return printJson(reports.length === 1 ? reports[0] : { scenario: scenario.name, reports });
      process.stdout.write(reports.length === 1 ? formatReport(reports[0]) : formatComparison(reports, renderTable));
    });

  sim
    .command('profiles')
    .description('list the device profiles')
    .action((_o, cmd: Command) => {
      const list = profileNames().map((n) => {
        const p = loadProfile(n);
        return { name: p.name, style: p.style, description: p.description };
      });
      if (cmd.optsWithGlobals().json) return printJson(list);
      process.stdout.write(`${renderTable(['PROFILE', 'STYLE', 'DESCRIPTION'], list.map((p) => [p.name, p.style, p.description]), { wrap: { 2: 90 } })}\n`);
    });
}
