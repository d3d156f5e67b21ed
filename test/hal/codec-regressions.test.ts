// Regressions for src/hal codec bugs found in review (all fixed); each test names
// the bug it pins.
import { expect } from 'chai';
import { halCodec, problemsOf } from '../../src/hal/codecs.js';
import { checkUpdate, checkWrite } from '../../src/hal/write-validation.js';

const first = (name: string, v: unknown) => {
  const r = halCodec(name).decode(v);
  return r._tag === 'Right' ? { ok: r.right } : problemsOf(r.left)[0];
};

describe('src/hal codec regressions', () => {
  it('BUG-2 enum given as a numeric string ("1") is accepted and kept as "1" (§4.3 rule 3)', () => {
    // protobufjs Enum.values inherits from valuesById, so `"1" in values` is true.
    expect(first('AclEntry', { stage: '1', priority: 1 })).to.deep.include({ reason: 'FIELD_INVALID', fieldPath: 'stage' });
    expect(first('WriteRequest', { atomicity: '2' })).to.deep.include({ reason: 'FIELD_INVALID', fieldPath: 'atomicity' });
  });

  it('BUG-3 a BigInt value makes the codec throw TypeError instead of FIELD_INVALID', () => {
    expect(() => halCodec('PolicerEntry').decode({ id: 'p', mode: 'SRTCM', cir: 10n, cbs: 1 })).to.not.throw();
    expect(first('PolicerEntry', { id: 'p', mode: 'SRTCM', cir: 10n, cbs: 1 })).to.deep.include({ reason: 'FIELD_INVALID', fieldPath: 'cir' });
  });

  it('BUG-4 an empty string set as a oneof member skips the (format) check (§4.1: ID is 1..128 chars)', () => {
    // (format) = ID is 1..128 chars; a set oneof member is present, so "" is not "unset".
    expect(first('RouteEntry', { prefix: '10.0.0.0/8', nexthopId: '' })).to.deep.include({ fieldPath: 'nexthopId' });
    expect(first('SnatEntry', { priority: 1, snatIp: '' })).to.deep.include({ fieldPath: 'snatIp' });
  });

  it('BUG-7 (doubtful) an unknown Update field is reported after a missing type; §5.4 step 1 lists unknown fields first', () => {
    const r = checkUpdate({ entry: { route: { prefix: '10.0.0.0/8', drop: {} } }, note: 'x' }, 0);
    expect(r.ok ? null : [r.status.reason, r.status.fieldPath]).to.deep.equal(['FIELD_INVALID', 'updates[0].note']);
  });
});
