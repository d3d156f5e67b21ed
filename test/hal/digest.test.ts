import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { halCodec } from '../../src/hal/codecs.js';
import { DigestAccumulator, recordHash, stateDigest, type DigestInput } from '../../src/hal/digest.js';
import { encodeBody, redact } from '../../src/hal/entries.js';
import { tableCatalog } from '../../src/hal/schema.js';
import { halType } from '../../src/hal/spec-root.js';
import { canonicalOrUndefined } from '../../src/hal/codecs.js';
import { body as randomBody, rng } from './random-bodies.js';

type Obj = Record<string, unknown>;

/** A digest input from a TableEntry member and a (decoded, hence canonical) body. */
function entry(member: string, body: Obj): DigestInput {
  const table = tableCatalog().get(member)!;
  const r = halCodec(table.type.name).decode(body);
  if (r._tag === 'Left') throw new Error(`bad fixture ${member}`);
  return { table, body: r.right };
}

const ascii = (s: string) => Array.from(Buffer.from(s, 'ascii'));
/** record(e) = table name || 0x00 || canonical encoding (hal-spec/README.md §9.2) */
const record = (table: string, bytes: number[]) => Uint8Array.from([...ascii(table), 0, ...bytes]);
const h = (rec: Uint8Array) => BigInt(`0x${createHash('sha256').update(rec).digest('hex')}`);
/** digest = SHA-256("xpuhal-state-v1" || (sum of h(record)) mod 2^256 as 32 big-endian bytes) */
function expected(...records: Uint8Array[]): string {
  const S = records.reduce((acc, r) => (acc + h(r)) % (1n << 256n), 0n);
  const sBytes = Buffer.from(S.toString(16).padStart(64, '0'), 'hex');
  return `sha256:${createHash('sha256').update(Buffer.from('xpuhal-state-v1', 'ascii')).update(sBytes).digest('hex')}`;
}

const NEIGHBOR = { ip: '10.0.0.1', mac: '02:00:00:00:00:01' };
const ROUTE_A = { prefix: '10.0.0.0/8', drop: {} };
const ROUTE_B = { vrf: 1, prefix: '10.0.0.0/8', drop: {} };
const SA = { id: 'sa1', spi: 4096, direction: 'INBOUND', mode: 'TRANSPORT', algorithm: 'AES_GCM_128', salt: new Uint8Array([1, 2, 3, 4]) };

describe('hal/digest', () => {
  describe('known answer (pins the algorithm)', () => {
    // Hand-written proto3 encodings: tag = field << 3 | wire type.
    const neighborBytes = [0x12, 8, ...ascii('10.0.0.1'), 0x1a, 17, ...ascii('02:00:00:00:00:01')];
    const routeABytes = [0x12, 10, ...ascii('10.0.0.0/8'), 0x2a, 0];
    const routeBBytes = [0x08, 1, 0x12, 10, ...ascii('10.0.0.0/8'), 0x2a, 0];

    it('the canonical encoding is the proto3 binary encoding in field order', () => {
      const n = entry('neighbor', NEIGHBOR);
      expect(Array.from(encodeBody(n.table, n.body))).to.deep.equal(neighborBytes);
      const nt = halType('NeighborEntry');
      expect(Array.from(nt.encode(nt.fromObject({ mac: NEIGHBOR.mac, ip: NEIGHBOR.ip })).finish())).to.deep.equal(neighborBytes);
      const rt = halType('RouteEntry');
      expect(Array.from(rt.encode(rt.fromObject(ROUTE_A)).finish())).to.deep.equal(routeABytes);
      expect(Array.from(rt.encode(rt.fromObject(ROUTE_B)).finish())).to.deep.equal(routeBBytes);
    });

    it('the empty state hashes the domain and S = 0', () => {
      const zero = createHash('sha256').update('xpuhal-state-v1').update(Buffer.alloc(32)).digest('hex');
      expect(stateDigest([])).to.equal(`sha256:${zero}`);
      expect(stateDigest([])).to.equal(expected());
    });

    it('one entry: SHA-256(domain || h(name || 0x00 || encoding))', () => {
      expect(stateDigest([entry('neighbor', NEIGHBOR)])).to.equal(expected(record('neighbor', neighborBytes)));
    });

    it('the test vectors of hal-spec/README.md §9.2', () => {
      expect(stateDigest([entry('ctZone', {})])).to.equal('sha256:050113fec20a44c62a5a264f73423af792dc85b53352bc47dbdab4e891292b02');
      expect(stateDigest([entry('ctZone', {}), entry('route', ROUTE_A)])).to.equal('sha256:6c207192ea63d090734ddee0f220345015daf70fa4c5d756916c396e4b9f5bb2');
      expect(stateDigest([entry('ctZone', {}), entry('route', ROUTE_A)])).to.equal(expected(record('ct_zone', []), record('route', routeABytes)));
    });

    it('several entries: the sum of record hashes, whatever the order', () => {
      const want = expected(record('neighbor', neighborBytes), record('route', routeBBytes), record('route', routeABytes));
      expect(stateDigest([entry('route', ROUTE_A), entry('neighbor', NEIGHBOR), entry('route', ROUTE_B)])).to.equal(want);
      expect(stateDigest([entry('route', ROUTE_B), entry('route', ROUTE_A), entry('neighbor', NEIGHBOR)])).to.equal(want);
    });

    it('uses the snake_case table name', () => {
      const g = entry('ecmpGroup', { id: 'g' });
      expect(stateDigest([g])).to.equal(expected(record('ecmp_group', [0x0a, 1, ...ascii('g')])));
    });

    it('write-only fields are not encoded', () => {
      const sa = entry('ipsecSa', { ...SA, key: new Uint8Array(16).fill(9) });
      const t = halType('IpsecSaEntry');
      const withoutKeys = Array.from(t.encode(t.fromObject({ id: 'sa1', spi: 4096, direction: 'INBOUND', mode: 'TRANSPORT', algorithm: 'AES_GCM_128' })).finish());
      expect(stateDigest([sa])).to.equal(expected(record('ipsec_sa', withoutKeys)));
    });
  });

  describe('properties', () => {
    const state = (): DigestInput[] => [
      entry('neighbor', NEIGHBOR),
      entry('route', ROUTE_A),
      entry('route', ROUTE_B),
      entry('acl', { stage: 'ACL_INGRESS', priority: 10, protocol: 6, dstPorts: { lo: 80, hi: 80 } }),
      entry('backendGroup', { id: 'g', members: [{ ip: '10.0.0.1', port: 80 }, { ip: '10.0.0.2', port: 80 }] }),
      entry('flowLog', { recordDenied: true }),
    ];

    it('is independent of insertion order', () => {
      const s = state();
      const d = stateDigest(s);
      expect(stateDigest([...s].reverse())).to.equal(d);
      for (let i = 0; i < 10; i++) {
        const shuffled = [...s].sort(() => Math.random() - 0.5);
        expect(stateDigest(shuffled)).to.equal(d);
      }
      // A generator works as well as an array.
      expect(stateDigest((function* () { yield* s; })())).to.equal(d);
    });

    it('is independent of the property order inside a body', () => {
      expect(stateDigest([entry('route', { drop: {}, prefix: '10.0.0.0/8', vrf: 1 })])).to.equal(stateDigest([entry('route', ROUTE_B)]));
    });

    it('changes when any entry changes, is added or is removed', () => {
      const base = stateDigest(state());
      const variants: DigestInput[][] = [
        state().slice(1),
        [...state(), entry('neighbor', { ip: '10.0.0.2', mac: '02:00:00:00:00:01' })],
        [entry('neighbor', { ...NEIGHBOR, mac: '02:00:00:00:00:02' }), ...state().slice(1)],
        [entry('neighbor', { ...NEIGHBOR, vrf: 1 }), ...state().slice(1)],
        [...state().slice(0, 3), entry('acl', { stage: 'ACL_INGRESS', priority: 10, protocol: 6, dstPorts: { lo: 80, hi: 81 } }), ...state().slice(4)],
        [...state().slice(0, 3), entry('acl', { stage: 'ACL_INGRESS', priority: 10, protocol: 6, dstPorts: { lo: 80, hi: 80 }, log: true }), ...state().slice(4)],
        [...state().slice(0, 4), entry('backendGroup', { id: 'g', members: [{ ip: '10.0.0.2', port: 80 }, { ip: '10.0.0.1', port: 80 }] }), ...state().slice(5)],
        [...state().slice(0, 5), entry('flowLog', { recordDenied: true, sampleOneIn: 2 })],
        [...state().slice(0, 5), entry('flowLog', {})],
        [entry('route', { ...ROUTE_A, prefix: '10.0.0.0/9' }), ...state().filter((e, i) => i !== 1)],
      ];
      const seen = new Set([base]);
      for (const [i, v] of variants.entries()) {
        const d = stateDigest(v);
        expect(seen.has(d), `variant ${i}`).to.equal(false);
        seen.add(d);
      }
    });

    it('an empty entry still counts (a flow_log singleton with all defaults)', () => {
      expect(stateDigest([entry('flowLog', {})])).to.equal(expected(record('flow_log', [])));
      expect(stateDigest([entry('flowLog', {})])).to.not.equal(stateDigest([]));
    });

    it('proto3 optional presence counts: protocol 0 differs from no protocol', () => {
      const acl = { stage: 'ACL_INGRESS', priority: 10 };
      expect(stateDigest([entry('acl', { ...acl, protocol: 0 })])).to.not.equal(stateDigest([entry('acl', acl)]));
    });

    it('ignores write-only fields: IPsec SAs differing only in key/salt give one digest', () => {
      const a = entry('ipsecSa', { ...SA, key: new Uint8Array(16).fill(1) });
      const b = entry('ipsecSa', { ...SA, key: new Uint8Array(16).fill(2), salt: new Uint8Array([9, 9, 9, 9]) });
      const c = entry('ipsecSa', { ...SA, spi: 4097, key: new Uint8Array(16).fill(1) });
      expect(stateDigest([a])).to.equal(stateDigest([b]));
      expect(stateDigest([a])).to.not.equal(stateDigest([c]));
      expect(redact(a.table, a.body)).to.not.have.any.keys('key', 'salt');
      expect(a.body).to.have.property('key'); // redact does not mutate
    });

    it('ignores nested write-only fields (TLS keys and IVs) but not the record sequence', () => {
      const tls = (key: number, seq: number) =>
        entry('tlsSession', {
          localIp: '10.0.0.1', localPort: 443, remoteIp: '10.0.0.2', remotePort: 5000, cipher: 'TLS_AES_128_GCM_SHA256',
          tx: { key: new Uint8Array(16).fill(key), iv: new Uint8Array(12).fill(key), recordSeq: seq },
          rx: { key: new Uint8Array(16).fill(key + 1), iv: new Uint8Array(12).fill(key + 1) },
        });
      expect(stateDigest([tls(1, 5)])).to.equal(stateDigest([tls(7, 5)]));
      expect(stateDigest([tls(1, 5)])).to.not.equal(stateDigest([tls(1, 6)]));
      expect(redact(tls(1, 5).table, tls(1, 5).body)).to.deep.include({ tx: { recordSeq: 5 }, rx: {} });
    });

    it('DigestAccumulator: add and remove keep the digest of the current multiset', () => {
      const s = state();
      const acc = new DigestAccumulator();
      expect(acc.value()).to.equal(stateDigest([]));
      for (const e of s) acc.add(e.table, e.body);
      expect(acc.value()).to.equal(stateDigest(s));
      acc.remove(s[1].table, s[1].body);
      expect(acc.value()).to.equal(stateDigest(s.filter((_, i) => i !== 1)));
      // A modify is a remove plus an add.
      const changed = entry('neighbor', { ...NEIGHBOR, mac: '02:00:00:00:00:09' });
      acc.remove(s[0].table, s[0].body);
      acc.add(changed.table, changed.body);
      expect(acc.value()).to.equal(stateDigest([changed, ...s.slice(2)]));
      for (const e of [changed, ...s.slice(2)]) acc.remove(e.table, e.body);
      expect(acc.value()).to.equal(stateDigest([]));
    });

    it('recordHash is SHA-256 of the record as an integer, write-only fields removed', () => {
      const n = entry('neighbor', NEIGHBOR);
      expect(recordHash(n.table, n.body)).to.equal(h(record('neighbor', [0x12, 8, ...ascii('10.0.0.1'), 0x1a, 17, ...ascii('02:00:00:00:00:01')])));
      const a = entry('ipsecSa', { ...SA, key: new Uint8Array(16).fill(1) });
      const b = entry('ipsecSa', { ...SA, key: new Uint8Array(16).fill(2) });
      expect(recordHash(a.table, a.body)).to.equal(recordHash(b.table, b.body));
    });

    it('random states of every table equal the BigInt reference, adds and removes included (carries and borrows)', () => {
      const r = rng(2026);
      const pool: DigestInput[] = [];
      for (const table of tableCatalog().values()) {
        for (let i = 0; pool.length < 40 * (1 + [...tableCatalog().values()].indexOf(table)) && i < 2000; i++) {
          const b = canonicalOrUndefined(table.type, randomBody(table.type, r, 0, true));
          if (b) pool.push({ table, body: b });
        }
      }
      const rec = (e: DigestInput) => Uint8Array.from([...Buffer.from(`${e.table.name}\0`), ...encodeBody(e.table, redact(e.table, e.body))]);
      const acc = new DigestAccumulator();
      const held: DigestInput[] = [];
      for (let step = 0; step < 400; step++) {
        if (held.length && r() < 0.4) {
          const [e] = held.splice(Math.floor(r() * held.length), 1);
          acc.remove(e.table, e.body);
        } else {
          const e = pool[Math.floor(r() * pool.length)];
          held.push(e);
          acc.add(e.table, e.body);
        }
        if (step % 40 === 0) expect(acc.value()).to.equal(expected(...held.map(rec)));
      }
      expect(acc.value()).to.equal(expected(...held.map(rec)));
    });

    it('has the form sha256:<64 hex>', () => {
      expect(stateDigest(state())).to.match(/^sha256:[0-9a-f]{64}$/);
    });
  });
});
