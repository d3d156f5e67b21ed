// The service cases (test/k8s/cases/service-cases.ts), twice:
// 1. on the HAL state: node-1's compiled entries are read against the HAL's
//    documented semantics (hal-spec §2: member choice, whenEmpty, source ranges,
//    SNAT modes) — an independent reading of what the device must then do;
// 2. as packets through a two-node simulated cluster, on drivers that declare
//    the service features (SERVICE_LB, SNAT, HAIRPIN, ...), once with the devices
//    in process and once with each device behind its own gRPC server (mutual TLS)
//    and the adapters and fabric using RemoteHals — the same cases, unchanged.
import { expect } from 'chai';
import { ReferenceDriver } from '../../src/drivers/reference/index.js';
import { REFERENCE_FEATURES } from '../../src/drivers/reference/capabilities.js';
import { prefixContainsAddress } from '../../src/k8s-adapter/ip-math.js';
import { compile, nodeConfig, type ClusterState, type Pod } from '../../src/k8s-adapter/index.js';
import { ip as canonicalIp, type BackendGroupEntry, type ServiceEntry, type ServiceSourceEntry } from '../../src/hal/index.js';
import { ClusterSim, type HalFactory } from '../../src/cli/k8s-simulate.js';
import { RemoteHal } from '../../src/wire/index.js';
import { serve, type Served } from '../wire/wire-fixtures.js';
import { SERVICE_CASES, XA, XB, YA, type ServiceCase, type ServiceFlow } from './cases/service-cases.js';

const EXTERNAL_CLIENT = '203.0.113.9';
const PROTO: Record<string, number> = { TCP: 6, UDP: 17, SCTP: 132 };

function pod(ns: string, name: string, node: string, ips: string[]): Pod {
  return { kind: 'Pod', metadata: { name, namespace: ns, labels: { pod: name } }, spec: { nodeName: node, containers: [{ name: 'c' }] }, status: { phase: 'Running', podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) } };
}

export function serviceWorld(c: ServiceCase): ClusterState {
  return {
    namespaces: [{ kind: 'Namespace', metadata: { name: 'x' } }, { kind: 'Namespace', metadata: { name: 'y' } }],
    pods: [pod('x', 'a', 'node-1', [XA, 'fd00:10:244:1::11']), pod('x', 'b', 'node-1', [XB, 'fd00:10:244:1::12']), pod('y', 'a', 'node-2', [YA, 'fd00:10:244:2::21'])],
    services: [...c.services],
    endpointSlices: [...c.slices],
    networkPolicies: [...(c.policies ?? [])],
    nodes: [1, 2].map((i) => ({
      kind: 'Node',
      metadata: { name: `node-${i}` },
      spec: { podCIDRs: [`10.244.${i}.0/24`, `fd00:10:244:${i}::/64`] },
      status: { addresses: [{ type: 'InternalIP', address: `192.168.10.${i}` }, { type: 'InternalIP', address: `fd00:192::${i}` }] },
    })),
  };
}

const clientIp = (f: ServiceFlow) => (f.from === 'external' ? EXTERNAL_CLIENT : f.from === 'x/a' ? XA : XB);

/** The members the device may choose (hal-spec §2 "Member choice"). */
function choosable(g: BackendGroupEntry | undefined): string[] {
  const ms = g?.members ?? [];
  const active = ms.filter((m) => (m.state ?? 'MEMBER_ACTIVE') === 'MEMBER_ACTIVE');
  return (active.length ? active : ms).map((m) => `${m.ip}:${m.port}`).sort();
}

/** hal-spec §2 "Source ranges": admitted when no entry exists, else by the longest match's action. */
function sourceAdmitted(entries: ServiceSourceEntry[], client: string): boolean {
  if (!entries.length) return true;
  const matching = entries.filter((e) => prefixContainsAddress(e.source!, client)).sort((a, b) => Number(b.source!.split('/')[1]) - Number(a.source!.split('/')[1]));
  return !!matching[0]?.allow;
}

describe('k8s adapter: service semantics', function () {
  this.timeout(120_000);

  it(`has at least 30 cases (${SERVICE_CASES.length})`, () => {
    expect(SERVICE_CASES.length).to.be.at.least(30);
  });

  describe('1. node-1\'s HAL entries carry each outcome', () => {
    for (const c of SERVICE_CASES) {
      it(c.name, () => {
        const d = compile(serviceWorld(c), nodeConfig({ nodeName: 'node-1', hostPorts: ['host0', 'host1'], zone: c.zone ?? '' }));
        expect(d.problems).to.deep.equal([]);
        const services = d.tables.service.map((e) => e.service as ServiceEntry);
        const groups = new Map(d.tables.backend_group.map((e) => [e.backendGroup!.id!, e.backendGroup as BackendGroupEntry]));
        if (c.name.startsWith('a headless')) expect(services).to.deep.equal([]);
        for (const f of c.flows) {
          const vip = canonicalIp(f.dst);
          const s = services.find((x) => x.vip === vip && x.protocol === PROTO[f.protocol] && (x.port ?? 0) === f.port);
          const label = `${f.from} -> ${f.dst}:${f.port}/${f.protocol}`;
          if (f.expect.outcome === 'unserviced') {
            expect(s, label).to.equal(undefined);
            continue;
          }
          expect(s?.balance, label).to.not.equal(undefined);
          const b = s!.balance!;
          const g = groups.get(b.backendGroupId!);
          const ranges = d.tables.service_source.map((e) => e.serviceSource as ServiceSourceEntry).filter((x) => x.vip === vip && x.protocol === s!.protocol && (x.port ?? 0) === f.port);
          const admitted = sourceAdmitted(ranges, clientIp(f));
          switch (f.expect.outcome) {
            case 'reject':
              expect([admitted, choosable(g), b.whenEmpty ?? 'WHEN_EMPTY_REJECT'], label).to.deep.equal([true, [], 'WHEN_EMPTY_REJECT']);
              break;
            case 'drop':
              expect(!admitted || (choosable(g).length === 0 && b.whenEmpty === 'WHEN_EMPTY_DROP'), label).to.equal(true);
              break;
            case 'delivered':
            case 'denied': {
              expect(admitted, label).to.equal(true);
              if (f.expect.outcome === 'delivered') {
                expect(choosable(g), label).to.deep.equal([...f.expect.backends].sort());
                if (f.expect.sticky) expect(b.affinityTimeoutS ?? 0, label).to.be.greaterThan(0);
                const snat = b.snatMode ?? 'SNAT_NONE';
                const hairpin = snat === 'SNAT_HAIRPIN' && f.expect.backends.every((x) => x.startsWith(`${clientIp(f)}:`));
                const seen = snat === 'SNAT_MASQUERADE' || hairpin ? 'node' : 'client';
                if (f.expect.source) expect(seen, `${label}: source`).to.equal(f.expect.source);
                if (seen === 'node') expect(b.snatIp, label).to.equal('192.168.10.1');
              }
              break;
            }
          }
        }
      });
    }
  });

  describe('2. packets through a two-node cluster', () => {
    const features: readonly string[] = REFERENCE_FEATURES;
    const NEEDED = ['SERVICE_LB', 'SERVICE_REJECT_EMPTY', 'SNAT', 'HAIRPIN', 'SERVICE_AFFINITY', 'SERVICE_SOURCE_RANGES'];

    it('the reference driver declares either all service features the cases need, or none of them', () => {
      const have = NEEDED.filter((f) => features.includes(f));
      expect(have.length === 0 || have.length === NEEDED.length, `declared: ${have.join(', ')}`).to.equal(true);
      if (!have.length) {
        // Honest until the walk applies them: the tables are stored, not applied.
        return new ReferenceDriver({}).describe().then((d) => {
          const svc = d.capabilities!.tables!.find((t) => t.name === 'service');
          expect(svc?.appliedToPackets ?? false).to.equal(false);
        });
      }
    });

    // Defined only when the driver declares the features (the test above holds it to that).
    // Twice, with the same data: every node's device in process, and every node's
    // device served by its own HalServer on loopback with mutual TLS, the adapter and
    // the fabric holding RemoteHals to them.
    for (const transport of ['in process', 'over gRPC (mTLS)'] as const) {
      describe(transport, () => {
        for (const c of NEEDED.every((f) => features.includes(f)) ? SERVICE_CASES : []) {
          it(c.name, async function () {
            const served: Served[] = [];
            const halFactory: HalFactory | undefined =
              transport === 'in process'
                ? undefined
                : async (_node, o) => {
                    const s = await serve(new ReferenceDriver({ hostPorts: o.hostPorts }));
                    served.push(s);
                    return s.client('ctl');
                  };
            const sim = await ClusterSim.create(serviceWorld(c), { driver: 'reference', overlay: 'direct', zone: c.zone, ...(halFactory ? { halFactory } : {}) });
            try {
              if (transport !== 'in process') expect(sim.nodes.map((n) => n.hal instanceof RemoteHal)).to.deep.equal([true, true]);
              const programmed = await sim.program();
              expect(programmed.every((p) => p.converged), JSON.stringify(programmed)).to.equal(true);
              for (const f of c.flows) {
                const n = f.flows ?? 1;
                const seen = new Set<string>();
                const label = `${f.from} -> ${f.dst}:${f.port}/${f.protocol}`;
                for (let i = 0; i < n; i++) {
                  const r = await sim.probe({ from: f.from === 'external' ? `external:${EXTERNAL_CLIENT}` : f.from, to: f.dst, protocol: f.protocol, port: f.port, sport: 40000 + i });
                  switch (f.expect.outcome) {
                    case 'delivered':
                      expect(r.verdict, `${label}: ${r.dropReason}`).to.equal('allowed');
                      seen.add(r.reached!);
                      if (f.expect.source) expect(r.seenSource, label).to.equal(f.expect.source === 'node' ? '192.168.10.1' : clientIp(f));
                      break;
                    case 'reject':
                      expect(r.verdict, label).to.equal('rejected');
                      break;
                    case 'drop':
                      expect(r.verdict, label).to.be.oneOf(['no-route', 'dropped']);
                      break;
                    case 'unserviced':
                      expect(r.reached ?? '', label).to.not.match(/:8080$/);
                      break;
                    case 'denied':
                      expect([r.verdict, r.policy], label).to.deep.equal(['denied', f.expect.policy]);
                      break;
                  }
                }
                if (f.expect.outcome === 'delivered') {
                  if (f.expect.sticky) {
                    expect(seen.size, label).to.equal(1);
                    expect(f.expect.backends).to.include([...seen][0]);
                  } else expect([...seen].sort(), label).to.deep.equal([...f.expect.backends].sort());
                }
              }
            } finally {
              await sim.close();
              for (const s of served) await s.close();
            }
          });
        }
      });
    }
  });
});
