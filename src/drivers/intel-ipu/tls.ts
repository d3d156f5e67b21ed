// Development certificates for the simulated target: a CA, a server
// certificate for localhost / 127.0.0.1 and a client certificate, made with the
// openssl command line (Node has no X.509 issuing API). Real deployments bring
// their own (infrap4d's are made by its setup scripts); see docs/intel-ipu.md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DevPki {
  readonly dir: string;
  readonly ca: Buffer;
  readonly serverCert: Buffer;
  readonly serverKey: Buffer;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
  /** File paths, for clients that take paths (p4runtime-shell). */
  readonly files: { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };
}

let cached: DevPki | undefined;

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    if (err.code === 'ENOENT') throw new Error('the openssl command is needed to make development TLS certificates for the simulated IPU target; install openssl or pass tls files');
    throw new Error(`openssl ${args[0]} failed: ${err.stderr?.toString().trim() ?? String(e)}`);
  }
}

/** Makes (once per process) a CA, server and client certificates in a temporary folder. */
export function devPki(dir?: string): DevPki {
  if (cached && !dir) return cached;
  const d = dir ?? mkdtempSync(join(tmpdir(), 'xpuhal-ipu-tls-'));
  mkdirSync(d, { recursive: true });
  const days = '3650';
  if (!existsSync(join(d, 'client.crt'))) {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', days, '-subj', '/CN=xpuhal-ipu-dev-ca'], d);
    writeFileSync(join(d, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    writeFileSync(join(d, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
    for (const who of ['server', 'client']) {
      openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=xpuhal-ipu-${who}`], d);
      openssl(['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.crt`, '-days', days, '-extfile', `${who}.ext`], d);
    }
  }
  const files = { ca: join(d, 'ca.crt'), serverCert: join(d, 'server.crt'), serverKey: join(d, 'server.key'), clientCert: join(d, 'client.crt'), clientKey: join(d, 'client.key') };
  const pki: DevPki = {
    dir: d,
    ca: readFileSync(files.ca),
    serverCert: readFileSync(files.serverCert),
    serverKey: readFileSync(files.serverKey),
    clientCert: readFileSync(files.clientCert),
    clientKey: readFileSync(files.clientKey),
    files,
  };
  if (!dir) cached = pki;
  return pki;
}
