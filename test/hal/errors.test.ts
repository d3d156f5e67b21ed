import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Code, HalError, OK_STATUS, REASON_CODE, codeName, isHalError, statusOf, type CodeName } from '../../src/hal/errors.js';
import { CodeValues, ReasonValues } from '../../src/hal/generated/types.js';
import { HAL_SPEC_DIR, halEnum } from '../../src/hal/spec-root.js';

describe('hal/errors', () => {
  it('every Reason except REASON_UNSPECIFIED has exactly one code in REASON_CODE', () => {
    const reasons = ReasonValues.filter((r) => r !== 'REASON_UNSPECIFIED');
    expect(reasons).to.have.length(27);
    for (const r of reasons) {
      const code = (REASON_CODE as Record<string, CodeName>)[r];
      expect(code, r).to.be.a('string');
      expect(Code, r).to.have.property(code);
      expect(code, r).to.not.equal('OK');
    }
    expect(Object.keys(REASON_CODE).sort()).to.deep.equal([...reasons].sort());
    expect(REASON_CODE).to.not.have.property('REASON_UNSPECIFIED');
  });

  it('REASON_CODE agrees with the code named above each reason group in status.proto', () => {
    const text = readFileSync(join(HAL_SPEC_DIR, 'xpuhal/hal/v1alpha1/status.proto'), 'utf8');
    const body = text.slice(text.indexOf('enum Reason {'), text.indexOf('}', text.indexOf('enum Reason {')));
    let group: string[] = [];
    let checked = 0;
    for (const line of body.split('\n').map((l) => l.trim())) {
      const comment = /^\/\/\s*([A-Z_ ,/]+)$/.exec(line);
      if (comment) group = comment[1].split(/[ ,/]+/).filter(Boolean);
      const member = /^([A-Z_]+)\s*=\s*\d+;/.exec(line);
      if (member && member[1] !== 'REASON_UNSPECIFIED') {
        expect(group, `${member[1]} group`).to.include((REASON_CODE as Record<string, string>)[member[1]]);
        checked++;
      }
    }
    expect(checked).to.equal(27);
  });

  it('Code numbers equal the gRPC canonical status codes, for every name', () => {
    const grpc = status as unknown as Record<string, number | string>;
    const grpcNames = Object.keys(grpc).filter((k) => !/^[0-9]+$/.test(k));
    expect(Object.keys(Code).sort()).to.deep.equal(grpcNames.sort());
    for (const [name, n] of Object.entries(Code)) expect(n, name).to.equal(grpc[name]);
  });

  it('Code equals the proto Code enum and the generated CodeValues', () => {
    const e = halEnum('Code');
    expect(e.values).to.deep.include(Code);
    expect(Object.keys(e.values)).to.deep.equal(Object.keys(Code));
    expect([...CodeValues]).to.deep.equal(Object.keys(Code));
  });

  it('codeName maps numbers back to names, unknown numbers to UNKNOWN', () => {
    expect(codeName(0)).to.equal('OK');
    expect(codeName(5)).to.equal('NOT_FOUND');
    expect(codeName(16)).to.equal('UNAUTHENTICATED');
    expect(codeName(17)).to.equal('UNKNOWN');
    expect(codeName(-1)).to.equal('UNKNOWN');
  });

  it('HalError.of takes the reason\'s code', () => {
    const e = HalError.of('REFERENCE_MISSING', 'nexthop "nh1" does not exist', 'updates[0].entry.route.nexthopId');
    expect(e).to.be.instanceOf(Error);
    expect(e).to.be.instanceOf(HalError);
    expect(e.name).to.equal('HalError');
    expect(e.code).to.equal('NOT_FOUND');
    expect(e.codeNumber).to.equal(5);
    expect(e.reason).to.equal('REFERENCE_MISSING');
    expect(e.message).to.equal('nexthop "nh1" does not exist');
    expect(e.fieldPath).to.equal('updates[0].entry.route.nexthopId');
    expect(e.updates).to.equal(undefined);
    expect(HalError.of('TABLE_FULL', 'm').code).to.equal('RESOURCE_EXHAUSTED');
    expect(HalError.of('ATOMICITY_UNSUPPORTED', 'm').codeNumber).to.equal(12);
    expect(HalError.of('IDENTITY_UNKNOWN', 'm').codeNumber).to.equal(status.UNAUTHENTICATED);
    expect(HalError.of('FIELD_MISSING', 'm').fieldPath).to.equal('');
  });

  it('toStatus carries code, reason, message and field path; omits empty ones', () => {
    expect(HalError.of('FIELD_INVALID', 'bad', 'updates[1].entry.acl.priority').toStatus()).to.deep.equal({
      code: 'INVALID_ARGUMENT',
      reason: 'FIELD_INVALID',
      message: 'bad',
      fieldPath: 'updates[1].entry.acl.priority',
    });
    expect(HalError.of('DRIVER_FAULT', 'boom').toStatus()).to.deep.equal({ code: 'INTERNAL', reason: 'DRIVER_FAULT', message: 'boom' });
    expect(new HalError('UNKNOWN', 'REASON_UNSPECIFIED', 'batch failed').toStatus()).to.deep.equal({ code: 'UNKNOWN', message: 'batch failed' });
  });

  it('toString: CODE (REASON) at path: message', () => {
    expect(HalError.of('ENTRY_EXISTS', 'already there', 'updates[0]').toString()).to.equal('ALREADY_EXISTS (ENTRY_EXISTS) at updates[0]: already there');
    expect(HalError.of('EMPTY_BATCH', 'no updates').toString()).to.equal('INVALID_ARGUMENT (EMPTY_BATCH): no updates');
  });

  it('the constructor keeps batch details', () => {
    const updates = [OK_STATUS, statusOf('NOT_FOUND', 'ENTRY_NOT_FOUND', 'gone', 'updates[1].entry.route')];
    const e = new HalError('UNKNOWN', 'REASON_UNSPECIFIED', 'write failed', { updates, generation: 7, digest: 'sha256:00' });
    expect(e.updates).to.equal(updates);
    expect(e.generation).to.equal(7);
    expect(e.digest).to.equal('sha256:00');
    expect(e.fieldPath).to.equal('');
    expect(isHalError(e)).to.equal(true);
    expect(isHalError(new Error('x'))).to.equal(false);
    expect(isHalError({ code: 'NOT_FOUND', reason: 'ENTRY_NOT_FOUND' })).to.equal(false);
  });

  it('statusOf and OK_STATUS', () => {
    expect(statusOf('NOT_FOUND', 'ENTRY_NOT_FOUND', 'gone', 'p')).to.deep.equal({ code: 'NOT_FOUND', reason: 'ENTRY_NOT_FOUND', message: 'gone', fieldPath: 'p' });
    expect(statusOf('OK', 'REASON_UNSPECIFIED', '')).to.deep.equal({ code: 'OK', message: '' });
    expect(OK_STATUS).to.deep.equal({ code: 'OK' });
    expect(Object.isFrozen(OK_STATUS)).to.equal(true);
  });
});
