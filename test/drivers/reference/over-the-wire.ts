// XPUHAL_WIRE=1 (the "wire" test tier): each device the reference suites create
// is served by `HalServer` on loopback over mutual TLS and used through
// `RemoteHal`, so the same assertions hold for the HAL over gRPC.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hal } from '../../../src/hal/hal.js';
import { HalServer, RemoteHal, TLS_FILES, certsInit, clientCredentials, clientFiles, loadRoles } from '../../../src/wire/index.js';

export const WIRE = process.env.XPUHAL_WIRE === '1';

let dir: string | undefined;
const open: { server: HalServer; client: RemoteHal }[] = [];

export async function overTheWire(driver: Hal): Promise<Hal> {
  dir ??= (() => {
    const d = mkdtempSync(join(tmpdir(), 'xpuhal-wire-tier-'));
    certsInit(d, { clients: [{ name: 'controller', role: 'controller' }] });
    return d;
  })();
  const server = new HalServer({ hal: driver, listen: '127.0.0.1:0', tlsDir: dir, roles: loadRoles(join(dir, TLS_FILES.roles)) });
  const port = await server.start();
  const client = new RemoteHal({ target: `127.0.0.1:${port}`, serverName: 'localhost', credentials: clientCredentials(clientFiles(dir, 'controller')) });
  open.push({ server, client });
  return client;
}

if (WIRE) {
  // Root-level hook: every served device is closed after its test.
  afterEach(async () => {
    for (const { server, client } of open.splice(0)) {
      await client.close();
      server.forceShutdown();
    }
  });
}
