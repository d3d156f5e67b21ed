// TLS material for the wire. Server: mutual TLS, TLS 1.3 only, client
// certificates checked against the CA bundle and the CRLs, reloadable without a
// restart (new handshakes use the new files; open connections carry on).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecureContextOptions } from 'node:tls';
import { createSecureContext } from 'node:tls';
import * as grpc from '@grpc/grpc-js';

/** File names inside a TLS directory (written by `xpuhal certs`). */
export const TLS_FILES = {
  ca: 'ca.pem',
  crl: 'crl.pem',
  serverCert: 'server.pem',
  serverKey: 'server-key.pem',
  roles: 'roles.json',
  clientCert: (name: string) => join('clients', `${name}.pem`),
  clientKey: (name: string) => join('clients', `${name}-key.pem`),
} as const;

const TLS13: Pick<SecureContextOptions, 'minVersion' | 'maxVersion'> = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' };

/** The server's context options from a TLS directory (read now). */
export function serverContextOptions(dir: string): SecureContextOptions {
  const crlPath = join(dir, TLS_FILES.crl);
  return {
    ...TLS13,
    ca: readFileSync(join(dir, TLS_FILES.ca)),
    cert: readFileSync(join(dir, TLS_FILES.serverCert)),
    key: readFileSync(join(dir, TLS_FILES.serverKey)),
    ...(existsSync(crlPath) ? crlOption(readFileSync(crlPath, 'utf8')) : {}),
  };
}

/** Node reads one CRL per array element (only the first of a concatenated file): split them. */
function crlOption(text: string): Pick<SecureContextOptions, 'crl'> {
  const crls = text.match(/-----BEGIN X509 CRL-----[\s\S]*?-----END X509 CRL-----\n?/g) ?? [];
  return crls.length ? { crl: crls } : {};
}

/**
 * grpc-js server credentials whose context can be replaced. grpc-js applies a
 * replacement with `setSecureContext` on its TLS server: established
 * connections keep their session, new handshakes get the new certificates.
 */
export class ReloadableServerCredentials extends grpc.ServerCredentials {
  constructor(private readonly dir: string) {
    // Constructor options apply to the server; context options to each context
    // (so TLS 1.3 is set in both: a reload builds a new context).
    // noDelay: answers are small and come in more than one write (headers, then
    // data and trailers); Nagle would hold the later ones for the client's ACK.
    super({ ...TLS13, requestCert: true, rejectUnauthorized: true, noDelay: true } as ConstructorParameters<typeof grpc.ServerCredentials>[0], serverContextOptions(dir));
  }

  /** Re-reads the directory; throws (and keeps the old context) when the files are unusable. */
  reload(): void {
    const opts = serverContextOptions(this.dir);
    createSecureContext(opts); // validate before handing it to the live server
    this.updateSecureContextOptions(opts);
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

export interface ClientTlsFiles {
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
}

/** The files of client NAME in a TLS directory. */
export function clientFiles(dir: string, name: string): ClientTlsFiles {
  return { ca: join(dir, TLS_FILES.ca), cert: join(dir, TLS_FILES.clientCert(name)), key: join(dir, TLS_FILES.clientKey(name)) };
}

/** Client credentials, TLS 1.3 only; without cert/key the client presents no certificate. */
export function clientCredentials(files: ClientTlsFiles): grpc.ChannelCredentials {
  const ctx = createSecureContext({
    ...TLS13,
    ca: readFileSync(files.ca),
    ...(files.cert && files.key ? { cert: readFileSync(files.cert), key: readFileSync(files.key) } : {}),
  });
  return grpc.credentials.createFromSecureContext(ctx);
}
