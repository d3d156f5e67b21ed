// Shared by the wire tests: one certificate directory per test run (openssl),
// and a served reference device with a remote client over mutual TLS.
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hal } from '../../src/hal/index.js';
import { HalServer, RemoteHal, certsInit, clientCredentials, clientFiles, loadRoles, TLS_FILES } from '../../src/wire/index.js';

let dir: string | undefined;

/** A TLS directory with clients ctl (controller), obs (observer), nobody (no role). */
export function tlsDir(): string {
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'xpuhal-wire-'));
    certsInit(dir, { clients: [{ name: 'ctl', role: 'controller' }, { name: 'obs', role: 'observer' }] });
  }
  return dir;
}

export function freshTlsDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'xpuhal-wire-'));
  certsInit(d, { clients: [{ name: 'ctl', role: 'controller' }, { name: 'obs', role: 'observer' }] });
  return d;
}

export interface Served {
  readonly server: HalServer;
  readonly port: number;
  readonly dir: string;
  client(name?: string, creds?: grpc.ChannelCredentials): RemoteHal;
  close(): Promise<void>;
}

export async function serve(hal: Hal, d = tlsDir(), port = 0): Promise<Served> {
  const server = new HalServer({ hal, listen: `127.0.0.1:${port}`, tlsDir: d, roles: loadRoles(join(d, TLS_FILES.roles)) });
  const bound = await server.start();
  const clients: RemoteHal[] = [];
  return {
    server,
    port: bound,
    dir: d,
    client(name = 'ctl', creds = clientCredentials(clientFiles(d, name))) {
      const c = new RemoteHal({ target: `127.0.0.1:${bound}`, serverName: "localhost", credentials: creds, callTimeoutMs: 10_000 });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) await c.close();
      await server.shutdown(1000);
    },
  };
}
