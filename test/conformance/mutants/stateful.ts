// Mutants of the reference's stateful pipeline (conntrack, service LB, NAT,
// tunnels, telemetry, rejections): one seeded bug each, patched on one device
// instance through the collaborators the walk is given (src/sim/device.ts).
import type { CtZoneEntry, ServiceEntry, TunnelTermEntry } from '../../../src/hal/index.js';
import type { Classification, ConnectionTuple, Tracker } from '../../../src/sim/pipeline/tracker.js';
import { patched, type Mutant } from './seams.js';

type Fn = (...a: never[]) => unknown;
function hook<T extends object, K extends keyof T>(obj: T, key: K, make: (orig: T[K]) => T[K]): void {
  const orig = (obj[key] as Fn).bind(obj) as T[K];
  obj[key] = make(orig);
}

const reversed = (t: ConnectionTuple): ConnectionTuple => ({ srcIp: t.dstIp, dstIp: t.srcIp, protocol: t.protocol, srcPort: t.dstPort, dstPort: t.srcPort });

export const STATEFUL_MUTANTS: readonly Mutant[] = [
  patched('ct-forgets-nat-on-reply', 'replies of a NATed connection are not reverse-translated', ['stateful'], ({ simPriv }) => {
    const tracker = simPriv.tracker as Tracker;
    hook(tracker, 'classify', (orig) => ((...a: Parameters<Tracker['classify']>): Classification => {
      const c = orig(...a);
      if (c.direction !== 'reply' || !c.entry) return c;
      // The walk translates replies back to the original tuple: make that the reply as seen.
      const entry = new Proxy(c.entry, { get: (t, p, r) => (p === 'original' ? reversed(t.reply) : Reflect.get(t, p, r)) });
      return { ...c, entry };
    }) as typeof orig);
  }),

  patched('policy-before-dnat', 'policy judges the packet before DNAT (the VIP has no endpoint, so no ingress policy applies)', ['stateful'], ({ fwd }) => {
    let dnatPending = false;
    hook(fwd, 'service', (orig) => ((vrf: number, vip: string, protocol: number, port: number) => {
      const s = orig(vrf, vip, protocol, port);
      dnatPending = !!s?.entry.balance;
      return s;
    }) as typeof orig);
    hook(fwd, 'endpoint', (orig) => ((vrf: number, ip: string) => {
      if (dnatPending) {
        dnatPending = false;
        return undefined;
      }
      return orig(vrf, ip);
    }) as typeof orig);
  }),

  patched('affinity-ignores-timeout', 'client-IP affinity never expires', ['stateful'], ({ simPriv }) => {
    const aff = simPriv.affinity as { entries: Map<string, { member: unknown }>; lookup: (s: string, c: string, n: number) => unknown };
    aff.lookup = (service, client) => aff.entries.get(`${service}|${client}`)?.member;
  }),

  patched('terminating-chosen-with-active', 'terminating backends are chosen while active ones exist', ['stateful'], ({ store }) => {
    hook(store, 'object', (orig) => ((table: string, id: string | number) => {
      const e = orig(table, id);
      if (table !== 'backend_group' || !e) return e;
      const body = e.body as { members?: Record<string, unknown>[] };
      return { ...e, body: { ...e.body, members: (body.members ?? []).map(({ state: _s, ...m }) => m) } };
    }) as typeof orig);
  }),

  patched('empty-service-blackholes', 'a service with no backends drops silently instead of rejecting', ['stateful'], ({ fwd }) => {
    hook(fwd, 'service', (orig) => ((vrf: number, vip: string, protocol: number, port: number) => {
      const s = orig(vrf, vip, protocol, port);
      if (!s?.entry.balance) return s;
      const entry: ServiceEntry = { ...s.entry, balance: { ...s.entry.balance, whenEmpty: 'WHEN_EMPTY_DROP' } };
      return { ...s, entry };
    }) as typeof orig);
  }),

  patched('masquerade-range-ignored', 'masquerade allocates source ports outside the configured range', ['stateful'], ({ simPriv }) => {
    const tracker = simPriv.tracker as Tracker;
    hook(tracker, 'allocatePort', (orig) => ((zone: number, t: ConnectionTuple, ip: string, range: { lo: number; hi: number }, dnat: { ip: string; port?: number } | undefined, now: number) =>
      orig(zone, t, ip, range.lo > 1024 ? { lo: 1024, hi: range.lo - 1 } : range, dnat, now)) as typeof orig);
  }),

  patched('ct-timeouts-ignored', 'zone timeouts are ignored: connections live eleven days', ['stateful'], ({ sim }) => {
    const ct = sim.conntrack as unknown as { zoneOf: (z: number) => CtZoneEntry | undefined };
    const orig = ct.zoneOf;
    const long = 950_400;
    const timeouts = { tcpSynSent: long, tcpSynRecv: long, tcpEstablished: long, tcpFinWait: long, tcpCloseWait: long, tcpLastAck: long, tcpTimeWait: long, tcpClose: long, udpUnreplied: long, udpReplied: long, icmp: long, other: long };
    ct.zoneOf = (z) => ({ ...(orig(z) ?? {}), timeouts });
  }),

  patched('tunnel-term-ignores-vni', 'tunnel termination matches any VNI of the local VTEP', ['tunnel'], ({ fwd, store }) => {
    hook(fwd, 'tunnelTerm', (orig) => ((localIp: string, vni: number, type: 'VXLAN' | 'GENEVE') => {
      const exact = orig(localIp, vni, type);
      if (exact) return exact;
      for (const e of store.entries('tunnel_term')) {
        const b = e.body as TunnelTermEntry;
        if (b.localIp === localIp && b.type === type) return { stored: e, entry: b } as ReturnType<typeof orig>;
      }
      return undefined;
    }) as typeof orig);
  }),

  patched('vxlan-default-port-wrong', 'VXLAN encapsulation uses UDP 4790 when the tunnel gives no port', ['tunnel'], ({ store }) => {
    hook(store, 'object', (orig) => ((table: string, id: string | number) => {
      const e = orig(table, id);
      if (table !== 'tunnel' || !e || e.body.udpDstPort) return e;
      return { ...e, body: { ...e.body, udpDstPort: 4790 } };
    }) as typeof orig);
  }),

  patched('denied-flow-every-packet', 'a denied flow is reported at every packet, not once', ['telemetry'], ({ simPriv }) => {
    const flows = simPriv.flows as { deniedSeen: Map<string, number> };
    flows.deniedSeen.get = () => undefined;
  }),

  patched('reject-without-answer', 'rejections send no TCP RST or ICMP answer', ['policy', 'stateful'], ({ simPriv }) => {
    const ctx = simPriv.ctx as { reject: unknown };
    ctx.reject = () => null;
  }),
];
