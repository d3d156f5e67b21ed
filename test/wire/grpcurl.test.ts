// A real reflection client against the server: grpcurl (Go, built by the
// "grpcurl" tier of scripts/run-tests.mjs into ~/.cache/xpuhal/bin) lists the
// services and describes a method over mutual TLS, then makes a call.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ReferenceDriver } from '../../src/drivers/reference/index.js';
import { TLS_FILES } from '../../src/wire/index.js';
import { serve, tlsDir, type Served } from './wire-fixtures.js';

const GRPCURL = process.env.XPUHAL_GRPCURL ?? join(homedir(), '.cache', 'xpuhal', 'bin', 'grpcurl');
const run = promisify(execFile);

describe('wire: reflection and health with grpcurl', function () {
  this.timeout(60_000);
  let s: Served;
  before(async function () {
    // The grpcurl tier builds it; run alone, say why nothing ran.
    if (!existsSync(GRPCURL)) this.skip();
    s = await serve(new ReferenceDriver());
  });
  after(() => s?.close());

  const grpcurl = async (...args: string[]) => {
    const d = tlsDir();
    const { stdout } = await run(GRPCURL, ['-cacert', join(d, TLS_FILES.ca), '-cert', join(d, TLS_FILES.clientCert('ctl')), '-key', join(d, TLS_FILES.clientKey('ctl')), '-authority', 'localhost', `127.0.0.1:${s.port}`, ...args]);
    return stdout;
  };

  it('lists every HAL service, health and reflection', async () => {
    const names = (await grpcurl('list')).trim().split('\n');
    expect(names).to.include.members(['xpuhal.hal.v1alpha1.Device', 'xpuhal.hal.v1alpha1.Tables', 'xpuhal.hal.v1alpha1.Clock', 'xpuhal.hal.v1alpha1.Conntrack', 'xpuhal.hal.v1alpha1.Telemetry', 'xpuhal.hal.v1alpha1.PacketIo', 'grpc.health.v1.Health']);
  });

  it('describes a method and a message from the served FileDescriptorProtos', async () => {
    expect(await grpcurl('describe', 'xpuhal.hal.v1alpha1.Tables.Write')).to.include('rpc Write ( .xpuhal.hal.v1alpha1.WriteRequest ) returns ( .xpuhal.hal.v1alpha1.WriteResponse )');
    const msg = await grpcurl('describe', 'xpuhal.hal.v1alpha1.RouteEntry');
    expect(msg).to.include('string prefix = 2;').and.include('oneof action');
  });

  it('calls GetState and the health check through reflection', async () => {
    const state = JSON.parse(await grpcurl('xpuhal.hal.v1alpha1.Device/GetState'));
    expect(state.digest).to.match(/^sha256:[0-9a-f]{64}$/);
    expect(JSON.parse(await grpcurl('grpc.health.v1.Health/Check')).status).to.equal('SERVING');
  });
});
