// The --endpoint target of `xpuhal conformance`: a HAL served over gRPC with
// mutual TLS is one device, so the suite resets it between tests. The gRPC
// client lives in src/wire (the CLI may import it; the suite may not).
import { existsSync } from 'node:fs';
import type { Target } from '../../conformance/index.js';
import { HalError } from '../hal/errors.js';
import { RemoteHal, TLS_FILES, clientCredentials, clientFiles, splitHostPort } from '../wire/index.js';

export interface EndpointTarget extends Target {
  dispose(): Promise<void>;
}

export interface EndpointOptions {
  /** TLS directory made by `xpuhal certs init` (ca.pem, clients/NAME.pem, clients/NAME-key.pem). */
  readonly tlsDir?: string;
  /** Client certificate name in the directory; it must map to the controller role. */
  readonly client: string;
  /** Name checked against the server certificate instead of the endpoint's host. */
  readonly serverName?: string;
}

export async function openEndpoint(endpoint: string, o: EndpointOptions): Promise<EndpointTarget> {
  const { host } = splitHostPort(endpoint);
  if (!o.tlsDir) throw HalError.of('FIELD_MISSING', '--endpoint needs --tls-dir (made by `xpuhal certs init`): the HAL service requires mutual TLS', 'tlsDir');
  const files = clientFiles(o.tlsDir, o.client);
  for (const f of [files.ca, files.cert!, files.key!]) {
    if (!existsSync(f)) throw HalError.of('FIELD_INVALID', `${f} does not exist (--tls-dir ${o.tlsDir}, --client ${o.client}; expected ${TLS_FILES.ca} and ${TLS_FILES.clientCert(o.client)})`, 'tlsDir');
  }
  // Node refuses an IP as TLS server name; loopback certificates from `certs init` name localhost.
  const loopbackIp = /^(127\.|\[::1\]$)/.test(host);
  const serverName = o.serverName ?? (loopbackIp ? 'localhost' : undefined);
  const hal = new RemoteHal({ target: endpoint, credentials: clientCredentials(files), ...(serverName && { serverName }) });
  await hal.waitForReady(10_000);
  return { name: endpoint, isolation: 'shared', open: async () => hal, dispose: () => hal.close() };
}
