// The --endpoint target of `xpuhal conformance`: a HAL served over gRPC with
// mTLS is one device, so the suite resets it between tests. The gRPC client
// lives in src/wire (the CLI may import it; the suite may not).
import type { Target } from '../../conformance/index.js';
import { HalError } from '../hal/errors.js';

export interface EndpointTarget extends Target {
  dispose(): Promise<void>;
}

export async function openEndpoint(endpoint: string, tlsDir: string | undefined): Promise<EndpointTarget> {
  if (!/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(endpoint)) throw HalError.of('FIELD_INVALID', `--endpoint must be host:port, got "${endpoint}"`, 'endpoint');
  if (!tlsDir) throw HalError.of('FIELD_MISSING', '--endpoint needs --tls-dir (ca.pem, client.pem, client-key.pem): the HAL service requires mTLS', 'tlsDir');
  throw HalError.of('FEATURE_UNSUPPORTED', 'the gRPC HAL client (src/wire) is not available in this build yet', 'endpoint');
}
