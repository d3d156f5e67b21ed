// The --endpoint target of `xpuhal conformance`: a HAL served over gRPC with
// mTLS is one device, so the suite resets it between tests. The gRPC client
// lives in src/wire (the CLI may import it; the suite may not).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Target } from '../../conformance/index.js';
import { HalError } from '../hal/errors.js';
import { RemoteHal, TLS_FILES, clientCredentials, type ClientTlsFiles } from '../wire/index.js';

export interface EndpointTarget extends Target {
  dispose(): Promise<void>;
}

/**
 * The client files in DIR: ca.pem with client.pem/client-key.pem, or, in a
 * directory made by `xpuhal certs init`, clients/controller.pem (a controller
 * identity: the suite writes).
 */
function endpointFiles(dir: string): ClientTlsFiles {
  const ca = join(dir, TLS_FILES.ca);
  for (const [cert, key] of [['client.pem', 'client-key.pem'], [TLS_FILES.clientCert('controller'), TLS_FILES.clientKey('controller')]]) {
    if (existsSync(join(dir, cert)) && existsSync(join(dir, key))) return { ca, cert: join(dir, cert), key: join(dir, key) };
  }
  throw HalError.of('FIELD_INVALID', `${dir} has no client.pem/client-key.pem nor clients/controller.pem (xpuhal certs init --client controller:controller)`, 'tlsDir');
}

export async function openEndpoint(endpoint: string, tlsDir: string | undefined): Promise<EndpointTarget> {
  if (!/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(endpoint)) throw HalError.of('FIELD_INVALID', `--endpoint must be host:port, got "${endpoint}"`, 'endpoint');
  if (!tlsDir) throw HalError.of('FIELD_MISSING', '--endpoint needs --tls-dir (ca.pem, client.pem, client-key.pem): the HAL service requires mTLS', 'tlsDir');
  const hal = new RemoteHal({ target: endpoint, credentials: clientCredentials(endpointFiles(tlsDir)) });
  await hal.waitForReady(10_000);
  return {
    name: `grpc://${endpoint}`,
    isolation: 'shared',
    open: async () => hal,
    dispose: () => hal.close(),
  };
}
