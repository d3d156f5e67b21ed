// `xpuhal certs init|rotate|revoke|retire-ca`: certificates for `xpuhal serve`
// (openssl CLI, src/wire/certs.ts). Layout and rotation: docs/security.md.
import type { Command } from 'commander';
import { certsInit, certsRetireCa, certsRevoke, certsRotate, parseClientSpec } from '../wire/index.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerCertsCommand(program: Command): void {
  const certs = program.command('certs').description('create, rotate and revoke the certificates of the HAL gRPC service');
  certs
    .command('init')
    .description('a CA, a server certificate and client certificates with roles')
    .requiredOption('--dir <dir>', 'directory to create')
    .option('--server-san <name>', 'server DNS name or IP (repeatable; default localhost, 127.0.0.1, ::1)', collect)
    .option('--client <name:role>', 'client certificate and its role, controller or observer (repeatable)', collect)
    .addHelpText('after', '\nExample:\n  xpuhal certs init --dir ./tls --server-san dpu-0.local --client agent:controller --client monitor:observer')
    .action((o: { dir: string; serverSan?: string[]; client?: string[] }) => {
      certsInit(o.dir, { serverSans: o.serverSan, clients: (o.client ?? []).map(parseClientSpec) });
      process.stdout.write(`certificates in ${o.dir}\n`);
    });
  certs
    .command('rotate')
    .description('new server and client certificates (new keys); the server reloads them without dropping connections')
    .requiredOption('--dir <dir>', 'directory made by `certs init`')
    .option('--ca', 'also replace the CA (the old CA stays trusted until `certs retire-ca`)')
    .option('--revoke-old', 'revoke the replaced certificates at once (CRL)')
    .action((o: { dir: string; ca?: boolean; revokeOld?: boolean }) => {
      certsRotate(o.dir, { ca: o.ca, revokeOld: o.revokeOld });
      process.stdout.write(`rotated certificates in ${o.dir}\n`);
    });
  certs
    .command('revoke')
    .description('revoke one certificate (adds it to its CA\'s CRL)')
    .requiredOption('--dir <dir>', 'directory made by `certs init`')
    .requiredOption('--cert <file>', 'PEM certificate to revoke')
    .action((o: { dir: string; cert: string }) => {
      certsRevoke(o.dir, o.cert);
      process.stdout.write(`revoked ${o.cert}\n`);
    });
  certs
    .command('retire-ca')
    .description('stop trusting every CA but the current one')
    .requiredOption('--dir <dir>', 'directory made by `certs init`')
    .action((o: { dir: string }) => {
      certsRetireCa(o.dir);
      process.stdout.write(`only the current CA is trusted in ${o.dir}\n`);
    });
}
