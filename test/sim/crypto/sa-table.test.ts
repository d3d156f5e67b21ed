import { expect } from 'chai';
import type { IpsecSaEntry, SaLifetimeEvent } from '../../../src/hal/generated/types.js';
import { SaConfigError, SaTable, espProtect, espUnprotect } from '../../../src/sim/crypto/index.js';
import { buildFrame } from '../../../src/sim/packet/index.js';

const entry = (id: string, spi: number, direction: 'INBOUND' | 'OUTBOUND', key = 1, extra: Partial<IpsecSaEntry> = {}): IpsecSaEntry => ({
  id, spi, direction, mode: 'TRANSPORT', algorithm: 'AES_GCM_128', key: new Uint8Array(16).fill(key), salt: new Uint8Array(4).fill(2),
  replayWindow: direction === 'INBOUND' ? 32 : 0, ...extra,
} as IpsecSaEntry);

const frame = buildFrame({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, udp: { sport: 1000, dport: 2000 }, payload: 'x' });

describe('crypto/SaTable', () => {
  it('finds inbound SAs by SPI, replaces on MODIFY (fresh state, old key destroyed), forgets on DELETE', () => {
    const events: SaLifetimeEvent[] = [];
    const t = new SaTable({ onLifetime: (e) => events.push(e) });
    const out = t.upsert(entry('o', 0x10, 'OUTBOUND'));
    const inn = t.upsert(entry('i', 0x10, 'INBOUND', 1, { hardLifetimePackets: 1 }));
    expect(t.inbound(0x10)).to.equal(inn);
    expect(t.inbound(0x11)).to.equal(undefined);
    const enc = espProtect(out, frame);
    if (!enc.ok) throw new Error(enc.reason);
    expect(espUnprotect(t.inbound(0x10)!, enc.frame).ok).to.equal(true);
    expect(events).to.deep.equal([{ saId: 'i', kind: 'HARD_PACKETS' }]);
    expect(espUnprotect(t.inbound(0x10)!, enc.frame)).to.deep.equal({ ok: false, reason: 'ipsec-sa-expired' });

    // MODIFY: a new SA object; the old one can no longer be used.
    const inn2 = t.upsert(entry('i', 0x10, 'INBOUND', 1));
    expect(inn2).to.not.equal(inn);
    expect(() => espUnprotect(inn, enc.frame)).to.throw(/destroyed/);
    expect(espUnprotect(t.inbound(0x10)!, enc.frame).ok).to.equal(true);

    // MODIFY to another SPI moves the index.
    t.upsert(entry('i', 0x20, 'INBOUND', 1));
    expect(t.inbound(0x10)).to.equal(undefined);
    expect(t.inbound(0x20)?.id).to.equal('i');

    // A rejected MODIFY leaves the old SA in place.
    expect(() => t.upsert(entry('i', 0x20, 'INBOUND', 1, { salt: new Uint8Array(3) }))).to.throw(SaConfigError);
    expect(t.inbound(0x20)?.id).to.equal('i');

    expect(t.delete('i')).to.equal(true);
    expect(t.inbound(0x20)).to.equal(undefined);
    expect(t.delete('i')).to.equal(false);
    expect(t.size).to.equal(1);
  });

  it('two inbound SAs with one SPI: the first inserted answers; deleting it exposes the other', () => {
    const t = new SaTable();
    const a = t.upsert(entry('a', 5, 'INBOUND'));
    const b = t.upsert(entry('b', 5, 'INBOUND'));
    expect(t.inbound(5)).to.equal(a);
    t.delete('a');
    expect(t.inbound(5)).to.equal(b);
  });
});
