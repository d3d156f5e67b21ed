import { expect } from 'chai';
import { canonicalOrUndefined, decodeWithoutFastPath, halCodec, problemsOf, type CodecOptions } from '../../src/hal/codecs.js';
import { encodeBody } from '../../src/hal/entries.js';
import { RecordWriter, encoderOf, recordBytes } from '../../src/hal/record-encoder.js';
import { tableCatalog } from '../../src/hal/schema.js';
import { redact } from '../../src/hal/entries.js';
import { body, rng } from './random-bodies.js';
import { unrepresentable } from '../../src/wire/convert.js';

// The write path's compiled shortcuts against the definitions they shortcut:
// the fast validator against the io-ts walk, the compiled record encoder
// against protobufjs. Thousands of random bodies per table, valid and not.
const OPTIONS: CodecOptions[] = [{}, { keyOnly: true }, { forbidWriteOnly: true }];

describe('hal: compiled write path agrees with its definitions', () => {
  for (const [member, table] of tableCatalog()) {
    it(`${member}: fast validation accepts exactly what io-ts accepts, with the same canonical form`, () => {
      const r = rng(member.length * 7919 + 17);
      let valid = 0;
      let invalid = 0;
      for (let i = 0; i < 600; i++) {
        const b = body(table.type, r, 0, i % 2 === 0);
        for (const opts of OPTIONS) {
          const fast = canonicalOrUndefined(table.type, b, opts);
          const slow = decodeWithoutFastPath(table.type, b, opts);
          if (fast === undefined) {
            expect(slow._tag, `${member} #${i} ${JSON.stringify(opts)}: fast refused, io-ts accepted`).to.equal('Left');
            if (slow._tag === 'Left') expect(problemsOf(slow.left).length).to.be.greaterThan(0);
            invalid++;
          } else {
            expect(slow._tag).to.equal('Right');
            if (slow._tag === 'Right') expect(slow.right).to.deep.equal(fast);
            valid++;
          }
        }
      }
      expect(valid, 'some bodies are valid').to.be.greaterThan(20);
      expect(invalid, 'some bodies are invalid').to.be.greaterThan(20);
    });

    it(`${member}: the compiled encoder writes protobufjs's bytes`, () => {
      const r = rng(member.length * 104729 + 3);
      let n = 0;
      for (let i = 0; i < 3000 && n < 150; i++) {
        const canon = canonicalOrUndefined(table.type, body(table.type, r, 0, true));
        if (!canon) continue;
        n++;
        const w = new RecordWriter();
        encoderOf(table.type)(w, canon);
        expect(Buffer.from(w.view()).toString('hex')).to.equal(Buffer.from(encodeBody(table, canon)).toString('hex'));
        const rec = recordBytes(table, canon);
        const want = Buffer.concat([Buffer.from(`${table.name}\0`), encodeBody(table, redact(table, canon))]);
        expect(rec.toString('hex')).to.equal(want.toString('hex'));
      }
      expect(n).to.be.greaterThan(5);
      // Raw (not canonical) bodies protobuf can carry: implicit defaults present, as a driver's own rows may hold.
      let raw = 0;
      for (let i = 0; i < 600; i++) {
        const b = body(table.type, r, 0, true);
        if (unrepresentable(table.type, b) !== null) continue;
        raw++;
        const w = new RecordWriter();
        encoderOf(table.type)(w, b);
        expect(Buffer.from(w.view()).toString('hex'), JSON.stringify(b)).to.equal(Buffer.from(encodeBody(table, b)).toString('hex'));
      }
      expect(raw).to.be.greaterThan(5);
    });
  }

  it('the io-ts decode of an invalid body still names the reason and path', () => {
    const r = halCodec('RouteEntry').decode({ prefix: '10.0.0.1/8', drop: {} });
    expect(r._tag).to.equal('Left');
    if (r._tag === 'Left') expect(problemsOf(r.left, 'updates[0].entry.route')[0]).to.deep.include({ reason: 'NOT_CANONICAL', fieldPath: 'updates[0].entry.route.prefix' });
  });
});
