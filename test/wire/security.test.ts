// The wire's security (issue 4 item 6): each refusal has the expected status and
// leaves the device's digest unchanged.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { ReferenceDriver } from '../../src/drivers/reference/index.js';
import { HalError, type Hal, type Update } from '../../src/hal/index.js';
import { HalServer, TLS_FILES, certsAddClient, certsInit, certsRetireCa, certsRevoke, certsRotate, clientCredentials, clientFiles } from '../../src/wire/index.js';
import { freshTlsDir, serve, type Served } from './wire-fixtures.js';

const ROUTE = { type: 'INSERT', entry: { route: { prefix: '10.9.0.0/16', drop: {} } } } as unknown as Update;

async function refusal(p: Promise<unknown>): Promise<HalError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(HalError);
    return e as HalError;
  }
  throw new Error('expected a refusal');
}

describe('wire: security', function () {
  this.timeout(60_000);
  let dir: string;
  let hal: ReferenceDriver;
  let s: Served;
  let digest: string;

  before(async () => {
    dir = freshTlsDir();
    certsAddClient(dir, { name: 'stranger', role: 'observer' });
    certsAddClient(dir, { name: 'expired', role: 'controller' }, { startDate: '20200101000000Z', endDate: '20200102000000Z' });
    certsAddClient(dir, { name: 'revoked', role: 'controller' });
    certsRevoke(dir, join(dir, TLS_FILES.clientCert('revoked')));
    // "stranger" has a valid certificate but no role: drop it from roles.json.
    const roles = JSON.parse(readFileSync(join(dir, TLS_FILES.roles), 'utf8'));
    delete roles.identities['spiffe://xpuhal/client/stranger'];
    writeFileSync(join(dir, TLS_FILES.roles), JSON.stringify(roles));
    hal = new ReferenceDriver();
    s = await serve(hal, dir);
    digest = (await hal.getState()).digest!;
  });
  after(() => s.close());
  afterEach(async () => expect((await hal.getState()).digest, 'digest unchanged').to.equal(digest));

  const call = (c: Hal) => c.write({ updates: [ROUTE] });

  it('an observer may read but not write: PERMISSION_DENIED/ROLE_FORBIDDEN', async () => {
    const obs = s.client('obs');
    expect((await obs.getState()).digest).to.equal(digest);
    const e = await refusal(call(obs));
    expect([e.code, e.reason]).to.deep.equal(['PERMISSION_DENIED', 'ROLE_FORBIDDEN']);
    for (const p of [obs.inject({ portId: 'host0', frame: new Uint8Array(60) }), obs.capture({}), obs.advance(1)]) {
      expect((await refusal(p)).reason).to.equal('ROLE_FORBIDDEN');
    }
  });

  it('a valid certificate whose identity has no role: UNAUTHENTICATED/IDENTITY_UNKNOWN', async () => {
    const e = await refusal(s.client('stranger').getState());
    expect([e.code, e.reason]).to.deep.equal(['UNAUTHENTICATED', 'IDENTITY_UNKNOWN']);
  });

  it('no client certificate: the handshake fails (UNAVAILABLE)', async () => {
    const e = await refusal(call(s.client('x', clientCredentials({ ca: join(dir, TLS_FILES.ca) }))));
    expect(e.code).to.equal('UNAVAILABLE');
  });

  it('a certificate from another CA, an expired one and a revoked one: UNAVAILABLE', async () => {
    const other = freshTlsDir();
    const foreign = clientCredentials({ ca: join(dir, TLS_FILES.ca), cert: join(other, TLS_FILES.clientCert('ctl')), key: join(other, TLS_FILES.clientKey('ctl')) });
    expect((await refusal(call(s.client('x', foreign)))).code).to.equal('UNAVAILABLE');
    expect((await refusal(call(s.client('expired')))).code).to.equal('UNAVAILABLE');
    expect((await refusal(call(s.client('revoked')))).code).to.equal('UNAVAILABLE');
  });

  it('a plaintext client against the TLS server: UNAVAILABLE', async () => {
    expect((await refusal(call(s.client('x', grpc.credentials.createInsecure())))).code).to.equal('UNAVAILABLE');
  });

  it('a TLS 1.2-only client is refused in the handshake', async () => {
    const err = await new Promise<Error | null>((resolve) => {
      const sock = connect({
        host: '127.0.0.1', port: s.port, servername: 'localhost', maxVersion: 'TLSv1.2', ALPNProtocols: ['h2'],
        ca: readFileSync(join(dir, TLS_FILES.ca)), cert: readFileSync(join(dir, TLS_FILES.clientCert('ctl'))), key: readFileSync(join(dir, TLS_FILES.clientKey('ctl'))),
      });
      sock.once('secureConnect', () => { sock.destroy(); resolve(null); });
      sock.once('error', (e) => resolve(e));
    });
    expect(err, 'TLS 1.2 handshake must fail').to.be.instanceOf(Error);
    expect(String((err as NodeJS.ErrnoException).code ?? err!.message)).to.match(/VERSION|PROTOCOL/);
  });

  it('an oversized message: RESOURCE_EXHAUSTED; a malformed one: INVALID_ARGUMENT', async () => {
    const ctl = s.client('ctl');
    // Over the server's 4 MiB receive limit: refused by gRPC before the device sees it.
    expect((await refusal(ctl.inject({ portId: 'host0', frame: new Uint8Array(5 * 1024 * 1024) }))).code).to.equal('RESOURCE_EXHAUSTED');
    // Bytes that are not a WriteRequest, sent on the raw channel.
    const raw = new grpc.Client(`127.0.0.1:${s.port}`, clientCredentials(clientFiles(dir, 'ctl')), { 'grpc.ssl_target_name_override': 'localhost' });
    const e = await new Promise<grpc.ServiceError>((resolve) =>
      raw.makeUnaryRequest('/xpuhal.hal.v1alpha1.Tables/Write', (b: Buffer) => b, (b: Buffer) => b, Buffer.from([0x12, 0xff, 0xff, 0x01]), (err) => resolve(err!)),
    );
    raw.close();
    expect(e.code).to.equal(grpc.status.INVALID_ARGUMENT);
  });

  it('a controller writes; a cancelled write is refused CALL_CANCELLED and not applied', async () => {
    const ctl = s.client('ctl');
    const ac = new AbortController();
    ac.abort();
    expect((await refusal(ctl.write({ updates: [ROUTE] }, { signal: ac.signal }))).reason).to.equal('CALL_CANCELLED');
  });

  it('--insecure is refused off loopback', () => {
    expect(() => new HalServer({ hal, listen: '0.0.0.0:0', insecure: true })).to.throw(/only on loopback/);
  });
});

describe('wire: certificate rotation and revocation', function () {
  this.timeout(60_000);

  function serverCertFingerprint(port: number, dir: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host: '127.0.0.1', port, servername: 'localhost', ALPNProtocols: ['h2'], ca: readFileSync(join(dir, TLS_FILES.ca)), cert: readFileSync(join(dir, TLS_FILES.clientCert('ctl'))), key: readFileSync(join(dir, TLS_FILES.clientKey('ctl'))) });
      sock.once('secureConnect', () => { const f = sock.getPeerCertificate().fingerprint256; sock.destroy(); resolve(f); });
      sock.once('error', reject);
    });
  }

  it('rotating while a client streams: the stream carries on, new handshakes get the new certificate', async () => {
    const dir = freshTlsDir();
    const hal = new ReferenceDriver();
    const s = await serve(hal, dir);
    try {
      const before = await serverCertFingerprint(s.port, dir);
      // An open stream: Health.Watch on a connection made before the rotation.
      const raw = new grpc.Client(`127.0.0.1:${s.port}`, clientCredentials(clientFiles(dir, 'ctl')), { 'grpc.ssl_target_name_override': 'localhost' });
      const watch = raw.makeServerStreamRequest('/grpc.health.v1.Health/Watch', (x: Buffer) => x, (b: Buffer) => b, Buffer.alloc(0));
      const updates: Buffer[] = [];
      watch.on('data', (b: Buffer) => updates.push(b));
      watch.on('error', () => undefined);
      await new Promise((r) => watch.once('data', r));
      const ctl = s.client('ctl');
      await ctl.write({ updates: [ROUTE] });
      certsRotate(dir);
      s.server.reloadCredentials();
      const after = await serverCertFingerprint(s.port, dir);
      expect(after).to.not.equal(before);
      // The old connection still works, and a new client with the new files too.
      expect((await ctl.getState()).generation).to.equal(1);
      expect((await s.client('ctl').getState()).generation).to.equal(1);
      await s.server.shutdown(2000);
      expect(updates.length, 'the watch stream saw NOT_SERVING at shutdown').to.be.greaterThan(1);
      raw.close();
    } finally {
      await s.close();
    }
  });

  it('a rotated-out CA and revoked old certificates are refused after reload', async () => {
    const dir = freshTlsDir();
    const hal = new ReferenceDriver();
    const s = await serve(hal, dir);
    try {
      const oldCtl = join(dir, 'old-ctl');
      cpSync(join(dir, 'clients'), oldCtl, { recursive: true });
      const oldCreds = () => clientCredentials({ ca: join(dir, TLS_FILES.ca), cert: join(oldCtl, 'ctl.pem'), key: join(oldCtl, 'ctl-key.pem') });
      certsRotate(dir, { ca: true });
      s.server.reloadCredentials();
      // Both CAs are trusted during the overlap.
      expect((await s.client('x', oldCreds()).getState()).generation).to.equal(0);
      expect((await s.client('ctl').getState()).generation).to.equal(0);
      certsRetireCa(dir);
      s.server.reloadCredentials();
      expect((await refusal(s.client('x', oldCreds()).getState())).code).to.equal('UNAVAILABLE');
      expect((await s.client('ctl').getState()).generation).to.equal(0);
      // Leaf rotation with immediate revocation of the replaced certificates.
      cpSync(join(dir, 'clients'), oldCtl, { recursive: true });
      certsRotate(dir, { revokeOld: true });
      s.server.reloadCredentials();
      expect((await refusal(s.client('x', oldCreds()).getState())).code).to.equal('UNAVAILABLE');
      expect((await s.client('ctl').getState()).generation).to.equal(0);
    } finally {
      await s.close();
    }
  });
});

void certsInit;
