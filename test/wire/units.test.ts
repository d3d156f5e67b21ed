// Pieces of the wire without a network: status details, identities, roles,
// what protobuf cannot carry, listen addresses.
import { expect } from 'chai';
import type { PeerCertificate } from 'node:tls';
import { HalError, halType } from '../../src/hal/index.js';
import { unrepresentable } from '../../src/wire/convert.js';
import { authorize, decodeStatusDetails, encodeStatusDetails, identityOf, isLoopbackHost, parseRoles } from '../../src/wire/index.js';

describe('wire: units', () => {
  it('a WriteFailure survives the grpc-status-details-bin round trip', () => {
    const err = new HalError('UNKNOWN', 'REASON_UNSPECIFIED', '1 of 2 updates failed', {
      updates: [{ code: 'OK' }, { code: 'NOT_FOUND', reason: 'REFERENCE_MISSING', message: 'nexthop nh1 does not exist', fieldPath: 'updates[1].entry.route.nexthopId' }],
      generation: 7,
      digest: 'sha256:ab',
    });
    const back = decodeStatusDetails(encodeStatusDetails(err))!;
    expect([back.code, back.reason, back.message, back.generation, back.digest]).to.deep.equal(['UNKNOWN', 'REASON_UNSPECIFIED', '1 of 2 updates failed', 7, 'sha256:ab']);
    expect(back.updates).to.deep.equal(err.updates);
  });

  it('an ErrorDetail carries reason and field path; bytes that are not a Status decode to null', () => {
    const back = decodeStatusDetails(encodeStatusDetails(HalError.of('GENERATION_MISMATCH', 'expected 3', 'expectedGeneration')))!;
    expect([back.code, back.reason, back.fieldPath, back.message]).to.deep.equal(['FAILED_PRECONDITION', 'GENERATION_MISMATCH', 'expectedGeneration', 'expected 3']);
    expect(decodeStatusDetails(Buffer.from([0xff, 0xff]))).to.equal(null);
  });

  it('identity: URI SAN, else DNS SAN, else CN', () => {
    const cert = (subjectaltname: string | undefined, CN: string) => ({ subjectaltname, subject: { CN } }) as unknown as PeerCertificate;
    expect(identityOf(cert('DNS:a.example, URI:spiffe://xpuhal/client/x', 'cn'))).to.equal('spiffe://xpuhal/client/x');
    expect(identityOf(cert('DNS:a.example', 'cn'))).to.equal('a.example');
    expect(identityOf(cert(undefined, 'cn'))).to.equal('cn');
  });

  it('roles: observer reads only; unknown identities and bad files are refused', () => {
    const roles = parseRoles('{"identities":{"c":"controller","o":"observer"}}');
    expect(authorize(roles, 'c', 'Tables/Write')).to.equal('controller');
    expect(authorize(roles, 'o', 'Tables/Read')).to.equal('observer');
    expect(() => authorize(roles, 'o', 'Tables/Write')).to.throw(HalError).with.property('reason', 'ROLE_FORBIDDEN');
    expect(() => authorize(roles, 'o', 'Clock/Advance')).to.throw(HalError).with.property('reason', 'ROLE_FORBIDDEN');
    expect(() => authorize(roles, 'x', 'Device/Describe')).to.throw(HalError).with.property('code', 'UNAUTHENTICATED');
    expect(() => authorize(roles, 'toString', 'Device/Describe')).to.throw(HalError).with.property('reason', 'IDENTITY_UNKNOWN');
    expect(() => parseRoles('{"identities":{"c":"admin"}}')).to.throw(HalError).with.property('fieldPath', 'identities.c');
    expect(() => parseRoles('nope')).to.throw(HalError);
  });

  it('unrepresentable finds what protobuf would drop or coerce', () => {
    const u = halType('Update');
    expect(unrepresentable(u, { type: 'INSERT', entry: { route: { prefix: '10.0.0.0/8', drop: {} } } })).to.equal(null);
    expect(unrepresentable(u, { type: 'INSERT', entry: { route: { prefix: '10.0.0.0/8', colour: 1 } } })).to.equal('entry.route.colour');
    expect(unrepresentable(u, { type: 'INSERT', entry: { route: { vrf: -1 } } })).to.equal('entry.route.vrf');
    expect(unrepresentable(u, { type: 'INSERT', entry: { route: { prefix: 10 } } })).to.equal('entry.route.prefix');
    expect(unrepresentable(u, { type: 'BOGUS' })).to.equal('type');
    expect(unrepresentable(u, { type: 'INSERT', entry: { route: { drop: {}, reject: {} } } })).to.equal('entry.route');
  });

  it('loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) expect(isLoopbackHost(h), h).to.equal(true);
    for (const h of ['0.0.0.0', '10.0.0.1', '::', 'example.com']) expect(isLoopbackHost(h), h).to.equal(false);
  });
});
