import { expect } from 'chai';
import { CtEntry, TcpSt } from '../../../src/sim/conntrack/index.js';
import { F, S, icmp, makeTable, rev, tcp, udp } from './helpers.js';

const C = tcp('10.0.0.1', 40000, '10.0.0.2', 80);

function committed(t: ReturnType<typeof makeTable>, tuple = C, flags = F.SYN, now = t.clock.now, zone = 0): CtEntry {
  const e = t.ct.commit(zone, tuple, undefined, { policyRef: 'allow-web' }, flags, 60, now);
  if (!(e instanceof CtEntry)) throw new Error(`commit refused: ${e}`);
  return e;
}

describe('sim/conntrack table', () => {
  describe('TCP state machine', () => {
    type Step = [dir: 'o' | 'r', flags: number, verdict: string, after: keyof typeof TcpSt];
    const cases: { name: string; steps: Step[]; end?: { reason: string; afterS: number } }[] = [
      {
        name: 'three-way handshake, data, active close by the client',
        steps: [
          ['r', F.SYNACK, 'REPLY', 'SYN_RECV'],
          ['o', F.ACK, 'ESTABLISHED', 'ESTABLISHED'],
          ['o', F.PSHACK, 'ESTABLISHED', 'ESTABLISHED'],
          ['r', F.PSHACK, 'REPLY', 'ESTABLISHED'],
          ['o', F.FINACK, 'ESTABLISHED', 'FIN_WAIT'],
          ['o', F.FINACK, 'ESTABLISHED', 'FIN_WAIT'], // retransmitted FIN: still one side
          ['r', F.ACK, 'REPLY', 'CLOSE_WAIT'],
          ['r', F.PSHACK, 'REPLY', 'CLOSE_WAIT'],
          ['r', F.FINACK, 'REPLY', 'LAST_ACK'],
          ['o', F.ACK, 'ESTABLISHED', 'TIME_WAIT'],
        ],
        end: { reason: 'TCP_FIN', afterS: 120 },
      },
      {
        name: 'simultaneous close',
        steps: [
          ['r', F.SYNACK, 'REPLY', 'SYN_RECV'],
          ['o', F.ACK, 'ESTABLISHED', 'ESTABLISHED'],
          ['o', F.FINACK, 'ESTABLISHED', 'FIN_WAIT'],
          ['r', F.FINACK, 'REPLY', 'LAST_ACK'],
          ['r', F.ACK, 'REPLY', 'TIME_WAIT'],
          ['o', F.ACK, 'ESTABLISHED', 'TIME_WAIT'],
        ],
        end: { reason: 'TCP_FIN', afterS: 120 },
      },
      {
        name: 'server closes first',
        steps: [
          ['r', F.SYNACK, 'REPLY', 'SYN_RECV'],
          ['o', F.ACK, 'ESTABLISHED', 'ESTABLISHED'],
          ['r', F.FINACK, 'REPLY', 'FIN_WAIT'],
          ['o', F.ACK, 'ESTABLISHED', 'CLOSE_WAIT'],
          ['o', F.FINACK, 'ESTABLISHED', 'LAST_ACK'],
          ['r', F.ACK, 'REPLY', 'TIME_WAIT'],
        ],
        end: { reason: 'TCP_FIN', afterS: 120 },
      },
      {
        name: 'reset by the server while established',
        steps: [
          ['r', F.SYNACK, 'REPLY', 'SYN_RECV'],
          ['o', F.ACK, 'ESTABLISHED', 'ESTABLISHED'],
          ['r', F.RST, 'REPLY', 'CLOSE'],
          ['o', F.ACK, 'ESTABLISHED', 'CLOSE'],
        ],
        end: { reason: 'TCP_RST', afterS: 10 },
      },
      {
        name: 'connection refused (RST+ACK answers the SYN)',
        steps: [['r', F.RSTACK, 'REPLY', 'CLOSE']],
        end: { reason: 'TCP_RST', afterS: 10 },
      },
      {
        name: 'out-of-state segments are INVALID and change nothing',
        steps: [
          ['o', F.ACK, 'INVALID', 'SYN_SENT'], // ACK before any SYN+ACK
          ['r', F.ACK, 'INVALID', 'SYN_SENT'],
          ['r', F.FINACK, 'INVALID', 'SYN_SENT'],
          ['r', F.RST, 'INVALID', 'SYN_SENT'], // a bare RST does not answer a SYN
          ['o', F.SYN, 'ESTABLISHED', 'SYN_SENT'], // retransmitted SYN
          ['r', F.SYNACK, 'REPLY', 'SYN_RECV'],
          ['o', F.SYNFIN, 'INVALID', 'SYN_RECV'],
          ['o', F.FIN, 'INVALID', 'SYN_RECV'], // FIN without ACK
          ['o', F.NONE, 'INVALID', 'SYN_RECV'],
          ['o', F.ACK, 'ESTABLISHED', 'ESTABLISHED'],
          ['o', F.SYN, 'INVALID', 'ESTABLISHED'],
          ['o', F.SYNACK, 'INVALID', 'ESTABLISHED'],
          ['r', F.SYNACK, 'REPLY', 'ESTABLISHED'], // retransmitted SYN+ACK is harmless
        ],
      },
      {
        name: 'simultaneous open',
        steps: [
          ['r', F.SYN, 'REPLY', 'SYN_RECV'],
          ['o', F.SYNACK, 'ESTABLISHED', 'SYN_RECV'],
          ['r', F.SYNACK, 'REPLY', 'SYN_RECV'],
          ['o', F.ACK, 'ESTABLISHED', 'ESTABLISHED'],
        ],
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const t = makeTable();
        const e = committed(t);
        expect(e.tcpState).to.equal(TcpSt.SYN_SENT);
        let now = 0;
        for (const [i, [d, flags, verdict, after]] of c.steps.entries()) {
          now += 1000;
          t.clock.advanceTo(now);
          const tuple = d === 'o' ? C : rev(C);
          const v = t.ct.classify(0, tuple, flags, now);
          expect(v.state, `step ${i} verdict`).to.equal(verdict);
          expect(v.entry, `step ${i} entry`).to.equal(e);
          expect(v.direction).to.equal(d === 'o' ? 'original' : 'reply');
          const ok = t.ct.update(e, v.direction!, flags, 100, now);
          expect(ok, `step ${i} update accepted`).to.equal(verdict !== 'INVALID');
          expect(e.tcpState, `step ${i} state`).to.equal(TcpSt[after]);
        }
        if (c.end) {
          t.clock.advanceTo(now + c.end.afterS * S - 1);
          expect(t.ended).to.have.length(0);
          t.clock.advance(1);
          expect(t.ended.map((x) => [x.reason, x.at])).to.deep.equal([[c.end.reason, now + c.end.afterS * S]]);
        }
      });
    }

    it('a first SYN+ACK, FIN, RST or odd flags is INVALID and cannot be committed', () => {
      const t = makeTable();
      for (const flags of [F.SYNACK, F.FINACK, F.RST, F.RSTACK, F.NONE, F.SYNFIN, F.FIN]) {
        const v = t.ct.classify(0, C, flags, 0);
        expect(v.state).to.equal('INVALID');
        expect(v.entry).to.equal(undefined);
        expect(t.ct.commit(0, C, undefined, {}, flags, 60, 0)).to.equal('invalid');
      }
      expect(t.ct.classify(0, C, F.SYN, 0).state).to.equal('NEW');
      expect(t.ct.size).to.equal(0);
    });

    it('a plain ACK picks a connection up as ESTABLISHED, except in zones with window tracking', () => {
      const t = makeTable();
      t.zones.set(3, { zone: 3, tcpWindowTracking: true });
      for (const flags of [F.ACK, F.PSHACK]) {
        expect(t.ct.classify(3, C, flags, 0).state).to.equal('INVALID');
        expect(t.ct.commit(3, C, undefined, {}, flags, 60, 0)).to.equal('invalid');
      }
      expect(t.ct.classify(0, C, F.PSHACK, 0).state).to.equal('NEW');
      const e = t.ct.commit(0, C, undefined, {}, F.PSHACK, 60, 0) as CtEntry;
      expect([e.tcpState, e.expiresNs]).to.deep.equal([TcpSt.ESTABLISHED, 432000 * S]);
      expect(t.ct.classify(0, rev(C), F.ACK, 1)).to.deep.include({ state: 'REPLY', entry: e });
      expect(t.ct.update(e, 'original', F.FINACK, 60, 1)).to.equal(true);
      expect(e.tcpState).to.equal(TcpSt.FIN_WAIT);
    });

    it('a SYN on a TIME_WAIT connection reopens it: the old one ends TCP_FIN, a new one starts', () => {
      const t = makeTable();
      const e = committed(t);
      for (const [d, f] of [['r', F.SYNACK], ['o', F.ACK], ['o', F.FINACK], ['r', F.FINACK], ['o', F.ACK]] as const) {
        t.ct.update(e, d === 'o' ? 'original' : 'reply', f, 60, 0);
      }
      expect(e.tcpState).to.equal(TcpSt.TIME_WAIT);
      t.clock.advanceTo(5 * S);
      const v = t.ct.classify(0, C, F.SYN, 5 * S);
      expect(v.state).to.equal('NEW');
      expect(v.entry).to.equal(e);
      expect(t.ct.classify(0, rev(C), F.SYN, 5 * S).state).to.equal('INVALID');
      const e2 = committed(t);
      expect(e2).to.not.equal(e);
      expect(e.live).to.equal(false);
      expect(t.ended.map((x) => [x.id, x.reason, x.at])).to.deep.equal([[e.id, 'TCP_FIN', 5 * S]]);
      expect(t.ct.get(0, C)).to.equal(e2);
      expect(e2.tcpState).to.equal(TcpSt.SYN_SENT);
    });

    it('a SYN on a live established tuple is a clash at commit', () => {
      const t = makeTable();
      const e = committed(t);
      t.ct.update(e, 'reply', F.SYNACK, 60, 0);
      t.ct.update(e, 'original', F.ACK, 60, 0);
      expect(t.ct.commit(0, C, undefined, {}, F.SYN, 60, 0)).to.equal('clash');
      expect(t.ct.size).to.equal(1);
    });
  });

  describe('timeouts and expiry', () => {
    it('expires exactly at last-seen + timeout: alive one ns before, ended at the boundary', () => {
      const t = makeTable();
      const e = committed(t, C, F.SYN, 0);
      expect(e.expiresNs).to.equal(120 * S); // SYN_SENT
      t.clock.advanceTo(120 * S - 1);
      expect(t.ct.get(0, C)).to.equal(e);
      expect(t.ct.classify(0, rev(C), F.SYNACK, 120 * S - 1).state).to.equal('REPLY');
      t.clock.advanceTo(120 * S);
      expect(t.ct.get(0, C)).to.equal(undefined);
      expect(t.ended.map((x) => [x.reason, x.at])).to.deep.equal([['IDLE_TIMEOUT', 120 * S]]);
      expect(t.ct.size).to.equal(0);
      expect(t.ct.zoneSize(0)).to.equal(0);
    });

    it('each packet re-arms: the state timeout counts from the last packet', () => {
      const t = makeTable();
      const e = committed(t, C, F.SYN, 0);
      t.clock.advanceTo(50 * S);
      t.ct.update(e, 'reply', F.SYNACK, 60, 50 * S);
      expect(e.expiresNs).to.equal(50 * S + 60 * S); // SYN_RECV
      t.clock.advanceTo(100 * S);
      t.ct.update(e, 'original', F.ACK, 60, 100 * S);
      expect(e.expiresNs).to.equal(100 * S + 432000 * S);
      // The original SYN_SENT timer (120 s) passes without ending it.
      t.clock.advanceTo(200 * S);
      expect(t.ended).to.have.length(0);
      t.ct.update(e, 'original', F.FINACK, 60, 200 * S);
      t.ct.update(e, 'reply', F.FINACK, 60, 200 * S);
      t.ct.update(e, 'original', F.ACK, 60, 200 * S);
      expect(e.tcpState).to.equal(TcpSt.TIME_WAIT);
      // A shorter timeout takes effect although a later one was armed.
      t.clock.advanceTo(320 * S - 1);
      expect(t.ended).to.have.length(0);
      t.clock.advanceTo(320 * S);
      expect(t.ended.map((x) => [x.reason, x.at])).to.deep.equal([['TCP_FIN', 320 * S]]);
    });

    it('UDP: 30 s unreplied, 120 s once replied', () => {
      const t = makeTable();
      const q = udp('10.0.0.1', 5353, '10.0.0.53', 53);
      const a = t.ct.commit(0, q, undefined, {}, 0, 80, 0) as CtEntry;
      expect(a.expiresNs).to.equal(30 * S);
      expect(a.replied).to.equal(false);
      t.clock.advanceTo(10 * S);
      const v = t.ct.classify(0, rev(q), 0, 10 * S);
      expect(v.state).to.equal('REPLY');
      t.ct.update(a, 'reply', 0, 120, 10 * S);
      expect(a.replied).to.equal(true);
      expect(a.expiresNs).to.equal(130 * S);
      const b = t.ct.commit(0, udp('10.0.0.1', 5354, '10.0.0.53', 53), undefined, {}, 0, 80, 10 * S) as CtEntry;
      t.clock.advanceTo(40 * S);
      expect(t.ended.map((x) => [x.id, x.reason, x.at])).to.deep.equal([[b.id, 'IDLE_TIMEOUT', 40 * S]]);
      t.clock.advanceTo(130 * S);
      expect(t.ended.map((x) => x.id)).to.deep.equal([b.id, a.id]);
      expect([a.replyPackets, a.replyBytes, a.origPackets, a.origBytes]).to.deep.equal([1, 120, 1, 80]);
    });

    it('zone profile override through the callback; a later write applies at the next packet; 0 means default', () => {
      const t = makeTable();
      t.zones.set(7, { zone: 7, timeouts: { udpUnreplied: 5, udpReplied: 0 } });
      const u = t.ct.commit(7, udp('10.0.0.1', 1, '10.0.0.2', 2), undefined, {}, 0, 60, 0) as CtEntry;
      expect(u.expiresNs).to.equal(5 * S);
      t.ct.update(u, 'reply', 0, 60, 1 * S);
      expect(u.expiresNs).to.equal(1 * S + 120 * S); // udpReplied 0 → default
      t.zones.set(7, { zone: 7, timeouts: { udpReplied: 3 } });
      t.ct.update(u, 'original', 0, 60, 2 * S);
      expect(u.expiresNs).to.equal(5 * S);
      t.clock.advanceTo(5 * S);
      expect(t.ended.map((x) => x.reason)).to.deep.equal(['IDLE_TIMEOUT']);
      // Zone 0 is untouched by zone 7's profile.
      expect((t.ct.commit(0, udp('10.0.0.1', 1, '10.0.0.2', 2), undefined, {}, 0, 60, 5 * S) as CtEntry).expiresNs).to.equal(35 * S);
    });

    it('other protocols use `other` (600 s)', () => {
      const t = makeTable();
      const e = t.ct.commit(0, { srcIp: '10.0.0.1', dstIp: '10.0.0.2', protocol: 132, srcPort: 1, dstPort: 2 }, undefined, {}, 0, 60, 0) as CtEntry;
      expect(e.expiresNs).to.equal(600 * S);
    });
  });

  describe('ICMP echo', () => {
    it('keys the echo id in srcPort both ways; a reply is REPLY; a first echo reply is INVALID', () => {
      const t = makeTable();
      const req = icmp('10.0.0.1', '10.0.0.2', 777);
      expect(t.ct.classify(0, req, 0, 0, { icmpType: 8 }).state).to.equal('NEW');
      const e = t.ct.commit(0, req, undefined, {}, 0, 98, 0, { icmpType: 8 }) as CtEntry;
      expect(e.reply).to.deep.equal(icmp('10.0.0.2', '10.0.0.1', 777));
      expect(e.expiresNs).to.equal(30 * S);
      const v = t.ct.classify(0, icmp('10.0.0.2', '10.0.0.1', 777), 0, 1, { icmpType: 0 });
      expect([v.state, v.entry, v.direction]).to.deep.equal(['REPLY', e, 'reply']);
      expect(t.ct.classify(0, icmp('10.0.0.2', '10.0.0.1', 778), 0, 1, { icmpType: 0 }).state).to.equal('INVALID');
      expect(t.ct.commit(0, icmp('10.0.0.2', '10.0.0.1', 778), undefined, {}, 0, 98, 0, { icmpType: 0 })).to.equal('invalid');
      const v6 = icmp('2001:db8::1', '2001:db8::2', 9, 58);
      expect(t.ct.classify(0, v6, 0, 0, { icmpType: 128 }).state).to.equal('NEW');
      expect(t.ct.classify(0, v6, 0, 0, { icmpType: 129 }).state).to.equal('INVALID');
    });

    it('SNAT rewrites the echo id in the reply tuple', () => {
      const t = makeTable();
      const e = t.ct.commit(0, icmp('10.0.0.1', '8.8.8.8', 777), { snat: { ip: '192.0.2.1', port: 31000 } }, {}, 0, 98, 0) as CtEntry;
      expect(e.reply).to.deep.equal(icmp('8.8.8.8', '192.0.2.1', 31000));
      expect(t.ct.classify(0, icmp('8.8.8.8', '192.0.2.1', 31000), 0, 1).entry).to.equal(e);
    });
  });

  describe('NAT bindings', () => {
    it('DNAT + SNAT form the reply tuple; both directions find the entry', () => {
      const t = makeTable();
      const orig = tcp('10.1.0.5', 40000, '10.96.0.10', 80);
      const e = t.ct.commit(0, orig, { dnat: { ip: '10.2.0.7', port: 8080 }, snat: { ip: '10.2.0.1', port: 50001 } }, { policyRef: 'p' }, F.SYN, 60, 0) as CtEntry;
      expect(e.reply).to.deep.equal(tcp('10.2.0.7', 8080, '10.2.0.1', 50001));
      expect([e.dnat, e.snat]).to.deep.equal([true, true]);
      const back = t.ct.classify(0, tcp('10.2.0.7', 8080, '10.2.0.1', 50001), F.SYNACK, 1);
      expect([back.state, back.entry, back.direction]).to.deep.equal(['REPLY', e, 'reply']);
      const fwd = t.ct.classify(0, orig, F.SYN, 1);
      expect([fwd.state, fwd.entry, fwd.direction]).to.deep.equal(['ESTABLISHED', e, 'original']);
      // The un-NATed reverse of the original is not the reply.
      expect(t.ct.classify(0, rev(orig), F.SYNACK, 1).state).to.equal('INVALID');
      expect(t.ct.get(0, tcp('10.2.0.7', 8080, '10.2.0.1', 50001))).to.equal(e);
      expect(t.ct.get(0, orig)).to.equal(e);
    });

    it('DNAT only keeps the client address; a reply tuple already taken is a clash', () => {
      const t = makeTable();
      const e = t.ct.commit(0, tcp('10.1.0.5', 40000, '10.96.0.10', 80), { dnat: { ip: '10.2.0.7', port: 8080 } }, {}, F.SYN, 60, 0) as CtEntry;
      expect(e.reply).to.deep.equal(tcp('10.2.0.7', 8080, '10.1.0.5', 40000));
      expect([e.dnat, e.snat]).to.deep.equal([true, false]);
      // The client connecting to the backend directly from the same port would reuse the reply tuple.
      expect(t.ct.commit(0, tcp('10.1.0.5', 40000, '10.2.0.7', 8080), undefined, {}, F.SYN, 60, 0)).to.equal('clash');
    });

    it('IPv6 tuples with canonical text; get() canonicalises HAL input', () => {
      const t = makeTable();
      const e = t.ct.commit(0, tcp('2001:db8::1', 1000, '2001:db8::2', 443), undefined, {}, F.SYN, 80, 0) as CtEntry;
      expect(t.ct.get(0, { srcIp: '2001:DB8:0:0::2' as never, dstIp: '2001:db8::1' as never, protocol: 6, srcPort: 443 as never, dstPort: 1000 as never })).to.equal(e);
    });
  });

  describe('zones and capacity', () => {
    it('isolates zones: the same tuple is a different connection per zone', () => {
      const t = makeTable();
      const a = committed(t, C, F.SYN, 0, 1);
      expect(t.ct.classify(2, C, F.SYN, 0).state).to.equal('NEW');
      expect(t.ct.classify(2, rev(C), F.SYNACK, 0).state).to.equal('INVALID');
      const b = committed(t, C, F.SYN, 0, 2);
      expect(a).to.not.equal(b);
      expect([t.ct.zoneSize(1), t.ct.zoneSize(2), t.ct.size]).to.deep.equal([1, 1, 2]);
      expect(t.ct.get(1, C)).to.equal(a);
      expect(t.ct.get(2, C)).to.equal(b);
      expect(t.ct.get(3, C)).to.equal(undefined);
    });

    it('refuses new connections when a zone reaches maxEntries, and when the device is full', () => {
      const t = makeTable({ maxEntries: 5 });
      t.zones.set(1, { zone: 1, maxEntries: 2 });
      let refused = 0;
      for (let p = 1; p <= 4; p++) {
        const r = t.ct.commit(1, udp('10.0.0.1', p, '10.0.0.2', 53), undefined, {}, 0, 60, 0);
        if (r === 'full') refused++;
      }
      expect([refused, t.ct.zoneSize(1)]).to.deep.equal([2, 2]);
      // Zone 2 has maxEntries 0: the device maximum (5 total) applies.
      for (let p = 1; p <= 4; p++) {
        const r = t.ct.commit(2, udp('10.0.0.1', p, '10.0.0.2', 53), undefined, {}, 0, 60, 0);
        if (r === 'full') refused++;
      }
      expect([refused, t.ct.zoneSize(2), t.ct.size]).to.deep.equal([3, 3, 5]);
      // Established traffic still flows; a slot freed by expiry is usable again.
      const e = t.ct.get(1, udp('10.0.0.1', 1, '10.0.0.2', 53))!;
      expect(t.ct.update(e, 'reply', 0, 60, 1)).to.equal(true);
      t.clock.advanceTo(30 * S);
      expect(t.ct.size).to.equal(1);
      expect(t.ct.commit(1, udp('10.0.0.1', 9, '10.0.0.2', 53), undefined, {}, 0, 60, 30 * S)).to.be.instanceOf(CtEntry);
    });
  });

  describe('list / get / delete', () => {
    function populate() {
      const t = makeTable();
      const mk = (zone: number, o: ReturnType<typeof tcp>, dnat?: { ip: string; port: number }) =>
        t.ct.commit(zone, o, dnat ? { dnat } : undefined, {}, o.protocol === 6 ? F.SYN : 0, 60, 0) as CtEntry;
      const e = [
        mk(0, udp('10.1.0.1', 1000, '10.96.0.53', 53), { ip: '10.2.0.9', port: 53 }),
        mk(0, udp('10.1.0.2', 1000, '10.96.0.53', 53), { ip: '10.2.0.8', port: 53 }),
        mk(0, tcp('10.1.0.1', 1001, '10.96.0.53', 53), { ip: '10.2.0.9', port: 53 }),
        mk(1, udp('10.1.0.1', 1000, '10.96.0.53', 53), { ip: '10.2.0.9', port: 5353 }),
        mk(0, udp('10.1.0.3', 1000, '10.2.0.9', 53)),
        mk(0, tcp('2001:db8::1', 1, '2001:db8::9', 80)),
      ];
      return { t, e };
    }

    it('filters: empty, zone, protocol, address (any of four), replySrcIp, replySrcPort, limit', () => {
      const { t, e } = populate();
      const ids = (f: object, limit = 0) => t.ct.list(f, limit).map((x) => e.indexOf(x));
      expect(ids({})).to.deep.equal([0, 1, 2, 3, 4, 5]);
      expect(ids({ zone: 1 })).to.deep.equal([3]);
      expect(ids({ zone: 0 })).to.deep.equal([0, 1, 2, 4, 5]);
      expect(ids({ protocol: 6 })).to.deep.equal([2, 5]);
      expect(ids({ address: '10.2.0.9' })).to.deep.equal([0, 2, 3, 4]); // reply src of DNAT, or original dst
      expect(ids({ address: '10.1.0.2' })).to.deep.equal([1]);
      expect(ids({ address: '2001:DB8::9' })).to.deep.equal([5]); // canonicalised
      expect(ids({ replySrcIp: '10.2.0.9' })).to.deep.equal([0, 2, 3, 4]);
      expect(ids({ replySrcIp: '10.2.0.9', protocol: 17 })).to.deep.equal([0, 3, 4]);
      expect(ids({ replySrcIp: '10.2.0.9', replySrcPort: 5353 })).to.deep.equal([3]);
      expect(ids({ zone: 0, protocol: 17, replySrcIp: '10.2.0.9', replySrcPort: 53 })).to.deep.equal([0, 4]);
      expect(ids({ zone: 0, protocol: 0 })).to.deep.equal([]); // protocol 0 set means protocol 0
      expect(ids({ address: '' })).to.deep.equal([0, 1, 2, 3, 4, 5]); // empty string = unset
      expect(ids({}, 2)).to.deep.equal([0, 1]);
    });

    it('toHal gives the HAL message', () => {
      const { t, e } = populate();
      t.clock.advanceTo(5 * S);
      t.ct.update(e[0], 'reply', 0, 90, 5 * S);
      expect(t.ct.toHal(e[0])).to.deep.equal({
        zone: 0,
        original: { srcIp: '10.1.0.1', dstIp: '10.96.0.53', protocol: 17, srcPort: 1000, dstPort: 53 },
        reply: { srcIp: '10.2.0.9', dstIp: '10.1.0.1', protocol: 17, srcPort: 53, dstPort: 1000 },
        tcpState: 'TCP_NONE',
        replied: true,
        dnat: true,
        snat: false,
        createdNs: 0,
        lastSeenNs: 5 * S,
        expiresNs: 125 * S,
        originalCounters: { packets: 1, bytes: 60 },
        replyCounters: { packets: 1, bytes: 90 },
        policyRef: '',
      });
      expect(t.ct.toHal(e[2]).tcpState).to.equal('TCP_SYN_SENT');
    });

    it('the adapter\'s backend flush {protocol: 17, replySrcIp} removes exactly those, FLUSHED, at clock time', () => {
      const { t, e } = populate();
      t.clock.advanceTo(3 * S);
      expect(t.ct.delete({ protocol: 17, replySrcIp: '10.2.0.9' })).to.equal(3);
      expect(t.ended.map((x) => [e.indexOf(x.entry), x.reason, x.at])).to.deep.equal([
        [0, 'FLUSHED', 3 * S], [3, 'FLUSHED', 3 * S], [4, 'FLUSHED', 3 * S],
      ]);
      expect(t.ct.list({}).map((x) => e.indexOf(x))).to.deep.equal([1, 2, 5]);
      expect(t.ct.get(0, udp('10.2.0.9', 53, '10.1.0.1', 1000))).to.equal(undefined);
      expect(t.ct.classify(0, udp('10.1.0.1', 1000, '10.96.0.53', 53), 0, 3 * S).state).to.equal('NEW');
      // Flushed entries never expire later.
      t.clock.advanceTo(1000 * S);
      expect(t.ended.filter((x) => x.reason === 'FLUSHED')).to.have.length(3);
      expect(t.ended).to.have.length(6);
    });

    it('{zone} flushes one zone; {} flushes everything; a filter matching nothing deletes 0', () => {
      const { t } = populate();
      expect(t.ct.delete({ zone: 9 })).to.equal(0);
      expect(t.ct.delete({ zone: 1 })).to.equal(1);
      expect(t.ct.zoneSize(1)).to.equal(0);
      expect(t.ct.delete({})).to.equal(5);
      expect(t.ct.size).to.equal(0);
      expect(t.clock.pending).to.be.at.most(1);
    });
  });
});
