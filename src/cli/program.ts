// The xpuhal program: each command lives in its own module; this file wires them
// into one program and turns errors into one line and a non-zero exit.
import 'reflect-metadata';
import { Command } from 'commander';
import { HalError } from '../hal/errors.js';
import { registerConformanceCommand } from './conformance.js';
import { registerDemoCommand } from './demo.js';
import { registerDescribeCommand } from './describe.js';
import { registerDriversCommand } from './drivers.js';
import { registerCertsCommand } from './certs.js';
import { registerServeCommand } from './serve.js';
import { registerK8sCommand } from './k8s.js';
import { registerSimCommand } from './sim.js';

export function buildProgram(): Command {
  const program = new Command('xpuhal')
    .description('xpuhal: a vendor-neutral HAL for offloading Kubernetes networking to IPUs, DPUs and SmartNICs')
    .option('--json', 'print machine-readable JSON instead of text')
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  xpuhal drivers                       list the registered drivers',
        '  xpuhal describe --driver reference   tables, features and limits of a driver',
        '  xpuhal demo                          program a small pod network and send packets through it',
        '  xpuhal demo --json                   the same, as JSON',
        '  xpuhal k8s simulate --manifests examples/k8s/two-node --probes examples/k8s/two-node-probes.yaml',
        '  xpuhal conformance --driver reference   run the conformance suite, reports in out/conformance',
        '  xpuhal sim run -s scenarios/smoke.json -p all   a workload under every device profile',
      ].join('\n'),
    );
  registerDriversCommand(program);
  registerDescribeCommand(program);
  registerDemoCommand(program);
  registerServeCommand(program);
  registerCertsCommand(program);
  registerK8sCommand(program);
  registerConformanceCommand(program);
  registerSimCommand(program);
  return program;
}

/** One line: `error: CODE (REASON) at PATH: message`, plus the first failed update of a batch. */
export function errorLine(err: unknown): string {
  if (err instanceof HalError) {
    let line = `error: ${err.toString()}`;
    const failed = (err.updates ?? []).map((s, i) => ({ s, i })).find(({ s }) => s.code && s.code !== 'OK');
    if (failed) {
      const s = failed.s;
      line += `; first failed update [${failed.i}]: ${s.code} (${s.reason ?? 'REASON_UNSPECIFIED'})${s.fieldPath ? ` at ${s.fieldPath}` : ''}: ${s.message ?? ''}`;
    }
    return line;
  }
  return `error: ${err instanceof Error ? err.message : String(err)}`;
}

export async function main(argv: readonly string[] = process.argv): Promise<number> {
  try {
    await buildProgram().parseAsync(argv as string[]);
    return 0;
  } catch (err) {
    process.stderr.write(`${errorLine(err)}\n`);
    if (process.env.XPUHAL_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return err instanceof HalError ? 2 : 1;
  }
}
