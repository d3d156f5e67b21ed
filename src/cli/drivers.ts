// `xpuhal drivers`: the registered drivers, name and one-line summary.
import type { Command } from 'commander';
import { builtinRegistry } from '../drivers/builtin.js';
import { printJson, renderTable } from './text-table.js';

export interface DriverListing {
  readonly name: string;
  readonly summary: string;
}

export function listDrivers(): DriverListing[] {
  return builtinRegistry()
    .factories()
    .map((f) => ({ name: f.name, summary: f.summary }));
}

export function registerDriversCommand(program: Command): void {
  program
    .command('drivers')
    .description('list the registered drivers')
    .addHelpText('after', '\nExamples:\n  xpuhal drivers\n  xpuhal drivers --json')
    .action((_opts, cmd: Command) => {
      const drivers = listDrivers();
      if (cmd.optsWithGlobals().json) return printJson(drivers);
      process.stdout.write(`${renderTable(['DRIVER', 'SUMMARY'], drivers.map((d) => [d.name, d.summary]))}\n`);
    });
}
