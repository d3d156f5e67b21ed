// `xpuhal serve --driver NAME --listen HOST:PORT --tls-dir DIR`: the HAL of a
// driver as a gRPC server (src/wire). Mutual TLS by default; SIGHUP (or a change
// of the TLS files) reloads certificates and CRLs; SIGINT/SIGTERM drain and stop.
import type { Command } from 'commander';
import { unwatchFile, watchFile } from 'node:fs';
import { join } from 'node:path';
import { builtinRegistry } from '../drivers/builtin.js';
import { HalError } from '../hal/errors.js';
import { HalServer, TLS_FILES, loadRoles } from '../wire/index.js';

interface ServeFlags {
  driver: string;
  listen: string;
  tlsDir?: string;
  roles?: string;
  insecure?: boolean;
  driverOptions?: string;
}

function parseDriverOptions(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw HalError.of('FIELD_INVALID', `--driver-options must be a JSON object, got ${text}`, 'driverOptions');
  return v as Record<string, unknown>;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve a driver\'s HAL over gRPC (mutual TLS 1.3, roles from client certificates)')
    .requiredOption('--driver <name>', 'driver to serve (see `xpuhal drivers`)')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:50051')
    .option('--tls-dir <dir>', 'certificates from `xpuhal certs init` (ca.pem, server.pem, server-key.pem, crl.pem, roles.json)')
    .option('--roles <file>', 'identity → role file (default: TLS_DIR/roles.json)')
    .option('--insecure', 'plaintext, every caller a controller: loopback tests only')
    .option('--driver-options <json>', 'options for the driver, as JSON (reference: {"scale": 8, "hostPorts": 4})')
    .addHelpText('after', '\nExamples:\n  xpuhal certs init --dir ./tls --client agent:controller\n  xpuhal serve --driver reference --listen 127.0.0.1:50051 --tls-dir ./tls')
    .action(async (flags: ServeFlags) => {
      const hal = await builtinRegistry().create(flags.driver, parseDriverOptions(flags.driverOptions));
      const roles = flags.insecure ? undefined : loadRoles(flags.roles ?? join(flags.tlsDir ?? '.', TLS_FILES.roles));
      const server = new HalServer({ hal, listen: flags.listen, tlsDir: flags.tlsDir, roles, insecure: flags.insecure, log: (l) => process.stderr.write(`${l}\n`) });
      const port = await server.start();
      process.stdout.write(`listening on ${flags.listen.replace(/:0$/, `:${port}`)}\n`);
      const reload = () => {
        try {
          server.reloadCredentials();
          process.stderr.write('reloaded certificates\n');
        } catch (e) {
          process.stderr.write(`certificate reload failed, keeping the old ones: ${(e as Error).message}\n`);
        }
      };
      const watched = flags.tlsDir && !flags.insecure ? [TLS_FILES.ca, TLS_FILES.crl, TLS_FILES.serverCert, TLS_FILES.serverKey].map((f) => join(flags.tlsDir!, f)) : [];
      for (const f of watched) watchFile(f, { interval: 1000 }, reload);
      process.on('SIGHUP', reload);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      for (const f of watched) unwatchFile(f);
      await server.shutdown(5000);
      await hal.close();
    });
}
