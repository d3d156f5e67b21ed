// The server's request decoder: the same plain objects protobufjs's decode +
// toObject gave, and refusals for what protobufjs skipped (unknown field
// numbers, wrong wire types), with hal-spec §11.4's paths — in units and over
// the wire, where the device's state must stay as it was.
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import protobuf from 'protobufjs';
import { ReferenceDriver } from '../../src/drivers/reference/index.js';
import { HalError, halType } from '../../src/hal/index.js';
import { plainCodec, unrepresentable } from '../../src/wire/convert.js';
import { encodeStrict } from '../../src/wire/encode.js';
import { WireDecodeError, decodeRequest } from '../../src/wire/decode.js';
import { HAL_SERVICES, halService } from '../../src/wire/protos.js';
import { clientCredentials, clientFiles, fromServiceError } from '../../src/wire/index.js';
import { body, rng } from '../hal/random-bodies.js';
import { serve, type Served } from './wire-fixtures.js';

const requestTypes = (): protobuf.Type[] => {
  const out = new Set<protobuf.Type>();
  for (const s of HAL_SERVICES) for (const m of halService(s).methodsArray) out.add(m.resolvedRequestType!);
  return [...out];
};

/** A field appended to a message's bytes: tag (number, wire type) and a payload. */
function withField(bytes: Uint8Array, id: number, wireType: number, payload: number[]): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32(id * 8 + wireType);
  const head = w.finish();
  return Uint8Array.from([...bytes, ...head, ...payload]);
}

/** LEN-delimited field `id` holding `inner`. */
function lenField(id: number, inner: Uint8Array): number[] {
  const w = protobuf.Writer.create();
  w.uint32(id * 8 + 2).bytes(inner);
  return Array.from(w.finish());
}

const routeBody = (extra?: (b: Uint8Array) => Uint8Array) => {
  const rt = halType('RouteEntry');
  const b = rt.encode(rt.fromObject({ prefix: '10.7.0.0/16', drop: {} })).finish();
  return extra ? extra(b) : b;
};
/** WriteRequest{updates: [INSERT route(second)...]} with update i's route body given. */
function writeRequest(routes: Uint8Array[]): Uint8Array {
  const parts: number[] = [];
  for (const r of routes) {
    const entry = Uint8Array.from(lenField(halType('TableEntry').fields.route.id, r));
    const update = Uint8Array.from([0x08, 1, ...lenField(halType('Update').fields.entry.id, entry)]);
    parts.push(...lenField(halType('WriteRequest').fields.updates.id, update));
  }
  return Uint8Array.from(parts);
}

describe('wire: request decoding', () => {
  it('gives what protobufjs decode + toObject gave, for random requests of every method', () => {
    const r = rng(4242);
    let n = 0;
    for (const type of requestTypes()) {
      const codec = plainCodec(type);
      for (let i = 0; i < 150; i++) {
        let bytes: Buffer;
        try {
          bytes = codec.encode(body(type, r, 0, true));
        } catch {
          continue; // protobufjs could not carry the random value: nothing to compare
        }
        expect(decodeRequest(type, bytes), `${type.name} #${i}`).to.deep.equal(codec.decode(bytes));
        n++;
      }
    }
    expect(n).to.be.greaterThan(500);
  });

  it("the client's one-pass encoder: protobufjs's bytes when carriable as given, else null (then the slow path explains)", () => {
    const r = rng(777);
    let carried = 0;
    let refused = 0;
    for (const type of requestTypes()) {
      const codec = plainCodec(type);
      for (let i = 0; i < 200; i++) {
        const b = body(type, r, 0, i % 3 !== 0);
        const fast = encodeStrict(type, b);
        if (unrepresentable(type, b) !== null) {
          expect(fast, `${type.name} #${i} must not be carried`).to.equal(null);
          refused++;
          continue;
        }
        if (fast === null) continue; // a field kind it does not compile: the slow path carries it
        expect(fast.toString('hex'), `${type.name} #${i}`).to.equal(codec.encode(b).toString('hex'));
        carried++;
      }
    }
    expect(carried).to.be.greaterThan(300);
    expect(refused).to.be.greaterThan(50);
    const wr = halType('WriteRequest');
    const route = { prefix: '10.0.0.0/8', drop: {} };
    expect(encodeStrict(wr, { updates: [{ type: 'INSERT', entry: { route } }] })).to.not.equal(null);
    // Each rule on its own, on an otherwise clean request: two oneof members (at two depths), an unknown
    // field, a wrong JS type, an integer outside its wire type, an inherited property.
    const notCarried: unknown[] = [
      { updates: [{ type: 'INSERT', entry: { route, neighbor: { ip: '10.0.0.1', mac: '02:00:00:00:00:01' } } }] },
      { updates: [{ type: 'INSERT', entry: { route: { ...route, nexthopId: 'nh' } } }] },
      { updates: [{ type: 'INSERT', entry: { route: { ...route, colour: 'red' } } }] },
      { updates: [{ type: 'INSERT', entry: { route: { ...route, vrf: '1' } } }] },
      { updates: [{ type: 'INSERT', entry: { route: { ...route, vrf: 2 ** 32 } } }] },
      { updates: [{ type: 'INSERT', entry: Object.create({ route }) }] },
      { updates: { 0: { type: 'INSERT', entry: { route } } } },
    ];
    for (const [i, req] of notCarried.entries()) {
      expect(unrepresentable(wr, req), `case ${i}`).to.not.equal(null);
      expect(encodeStrict(wr, req), `case ${i}`).to.equal(null);
    }
  });

  it('repeated enums decode packed and unpacked; unknown enum numbers stay numbers; empty and 32-bit-plus values', () => {
    const sub = halType('SubscribeRequest');
    const kinds = sub.fields.kinds;
    const e = (kinds.resolvedType as protobuf.Enum).values;
    const [a, b] = Object.keys(e).filter((k) => e[k] !== 0);
    const packed = Uint8Array.from([kinds.id * 8 + 2, 3, e[a], e[b], 100]);
    const unpacked = Uint8Array.from([kinds.id * 8, e[a], kinds.id * 8, e[b], kinds.id * 8, 100]);
    expect(decodeRequest(sub, packed)).to.deep.equal({ kinds: [a, b, 100] });
    expect(decodeRequest(sub, unpacked)).to.deep.equal({ kinds: [a, b, 100] });
    expect(decodeRequest(sub, packed)).to.deep.equal(plainCodec(sub).decode(Buffer.from(packed)));
    const t = halType('CaptureRequest');
    const bytes = plainCodec(t).encode({ portIds: ['host0', 'host1'], maxPackets: 2 ** 31 + 5, peek: true });
    expect(decodeRequest(t, bytes)).to.deep.equal({ portIds: ['host0', 'host1'], maxPackets: 2 ** 31 + 5, peek: true });
    expect(decodeRequest(halType('GetStateRequest'), new Uint8Array(0))).to.deep.equal({});
  });

  it('an unknown field number is refused with the path of its message and the number in the message', () => {
    const wr = halType('WriteRequest');
    const cases: [Uint8Array, string, number][] = [
      [withField(writeRequest([routeBody()]), 99, 0, [1]), '', 99],
      [writeRequest([routeBody(), routeBody((b) => withField(b, 77, 2, [1, 0x41]))]), 'updates[1].entry.route', 77],
      [writeRequest([routeBody((b) => withField(b, 5000, 5, [1, 2, 3, 4]))]), 'updates[0].entry.route', 5000],
    ];
    for (const [bytes, path, id] of cases) {
      expect(plainCodec(wr).decode(Buffer.from(bytes)), 'protobufjs skips it silently').to.be.an('object');
      let err: unknown;
      try {
        decodeRequest(wr, bytes);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(WireDecodeError);
      expect((err as WireDecodeError).fieldPath).to.equal(path);
      expect((err as WireDecodeError).message).to.include(`no field number ${id}`);
      expect((err as WireDecodeError).located).to.equal(true);
    }
  });

  it('a known field with the wrong wire type, and truncated bytes, are refused', () => {
    const wr = halType('WriteRequest');
    // RouteEntry.prefix (field 2) as a varint.
    expect(() => decodeRequest(wr, writeRequest([Uint8Array.from([0x10, 1])]))).to.throw(WireDecodeError, /wire type VARINT, expected LEN/);
    expect(() => decodeRequest(wr, Uint8Array.from([0x12, 0xff, 0xff, 0x01]))).to.throw(WireDecodeError, /truncated/);
    expect(() => decodeRequest(wr, Uint8Array.from([0x08, 0x80]))).to.throw(WireDecodeError, /truncated/);
  });
});

describe('wire: unknown field numbers over the wire (hal-spec §11.4)', function () {
  this.timeout(60_000);
  let hal: ReferenceDriver;
  let s: Served;

  before(async () => {
    hal = new ReferenceDriver();
    s = await serve(hal);
  });
  after(() => s.close());

  /** Sends request bytes as they are; resolves to the refusal, or null when the write succeeded. */
  async function rawWrite(bytes: Uint8Array): Promise<HalError | null> {
    const raw = new grpc.Client(`127.0.0.1:${s.port}`, clientCredentials(clientFiles(s.dir, 'ctl')), { 'grpc.ssl_target_name_override': 'localhost' });
    try {
      const err = await new Promise<grpc.ServiceError | null>((resolve) =>
        raw.makeUnaryRequest('/xpuhal.hal.v1alpha1.Tables/Write', (b: Buffer) => b, (b: Buffer) => b, Buffer.from(bytes), (e) => resolve(e)),
      );
      return err && fromServiceError(err);
    } finally {
      raw.close();
    }
  }

  it('refuses the whole request INVALID_ARGUMENT/FIELD_INVALID at the containing message; nothing is applied', async () => {
    const before = await hal.getState();
    // Update 0 is valid; update 1's route carries field 77: the batch is refused as a whole.
    const e = (await rawWrite(writeRequest([routeBody(), routeBody((b) => withField(b, 77, 0, [3]))])))!;
    expect([e.code, e.reason, e.fieldPath]).to.deep.equal(['INVALID_ARGUMENT', 'FIELD_INVALID', 'updates[1].entry.route']);
    expect(e.message).to.include('RouteEntry has no field number 77');
    const top = (await rawWrite(withField(writeRequest([routeBody()]), 15, 2, [0])))!;
    expect([top.code, top.reason, top.fieldPath]).to.deep.equal(['INVALID_ARGUMENT', 'FIELD_INVALID', '']);
    expect(top.message).to.include('WriteRequest has no field number 15');
    const after = await hal.getState();
    expect([after.generation, after.digest]).to.deep.equal([before.generation, before.digest]);
    // The same request without the stray field is applied.
    expect(await rawWrite(writeRequest([routeBody()]))).to.equal(null);
    expect((await hal.getState()).generation).to.equal((before.generation ?? 0) + 1);
  });
});
