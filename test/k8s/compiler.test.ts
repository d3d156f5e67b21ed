// The compiler as a pure function: valid canonical HAL entries, deterministic,
// and the K8S.md mapping checked entry by entry on small clusters.
import { expect } from 'chai';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkUpdate, type TableEntry } from '../../src/hal/index.js';
import { compile, desiredEntries, loadManifests, nodeConfig, parseManifests, type ClusterState, type EndpointSlice, type Service } from '../../src/k8s-adapter/index.js';
import { subtractPrefixes, normalizePrefix } from '../../src/k8s-adapter/ip-math.js';
import { selectorMatches } from '../../src/k8s-adapter/label-selector.js';

const EXAMPLE = join(fileURLToPath(import.meta.url), '..', '..', '..', 'examples', 'k8s', 'two-node');
const cfg = (nodeName: string) => nodeConfig({ nodeName, hostPorts: ['host0', 'host1', 'host2', 'host3'] });

describe('k8s adapter: compiler', () => {
  describe('address arithmetic', () => {
    it('subtracts except prefixes into disjoint prefixes', () => {
      expect(subtractPrefixes('10.0.0.0/24', ['10.0.0.0/25'])).to.deep.equal(['10.0.0.128/25']);
      expect(subtractPrefixes('10.0.0.0/30', ['10.0.0.1/32'])).to.deep.equal(['10.0.0.0/32', '10.0.0.2/31']);
      expect(subtractPrefixes('10.0.0.0/24', ['10.0.0.0/16'])).to.deep.equal([]);
      expect(subtractPrefixes('10.0.0.0/24', ['192.168.0.0/16', 'fd00::/8'])).to.deep.equal(['10.0.0.0/24']);
      expect(subtractPrefixes('fd00::/126', ['fd00::3/128'])).to.deep.equal(['fd00::/127', 'fd00::2/128']);
      expect(() => subtractPrefixes('10.0.0.0/33', [])).to.throw(/not a CIDR/);
    });
    it('normalizes prefixes (host bits cleared, RFC 5952)', () => {
      expect(normalizePrefix('10.1.2.3/16')).to.equal('10.1.0.0/16');
      expect(normalizePrefix('FD00:0:0::1/64')).to.equal('fd00::/64');
      expect(normalizePrefix('nope')).to.equal(null);
    });
    it('label selectors: matchLabels and every operator', () => {
      const l = { a: '1', b: '2' };
      expect(selectorMatches({}, l)).to.equal(true);
      expect(selectorMatches({ matchLabels: { a: '1' } }, l)).to.equal(true);
      expect(selectorMatches({ matchLabels: { a: '2' } }, l)).to.equal(false);
      expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '3'] }] }, l)).to.equal(true);
      expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, l)).to.equal(false);
      expect(selectorMatches({ matchExpressions: [{ key: 'c', operator: 'NotIn', values: ['1'] }] }, l)).to.equal(true);
      expect(selectorMatches({ matchExpressions: [{ key: 'c', operator: 'Exists' }] }, l)).to.equal(false);
      expect(selectorMatches({ matchExpressions: [{ key: 'c', operator: 'DoesNotExist' }] }, l)).to.equal(true);
      expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }, l)).to.equal(false);
    });
  });

  describe('on the two-node example', () => {
    const loaded = loadManifests(EXAMPLE);

    it('every compiled entry passes the HAL write validation unchanged (canonical)', () => {
      for (const node of ['node-1', 'node-2']) {
        const d = compile(loaded.state, cfg(node));
        expect(d.problems).to.deep.equal([]);
        const all = desiredEntries(d);
        expect(all.length).to.be.greaterThan(20);
        all.forEach((entry, i) => {
          const r = checkUpdate({ type: 'INSERT', entry }, i);
          expect(r.ok, JSON.stringify(entry)).to.equal(true);
          if (r.ok) expect({ [r.update.member]: r.update.body }).to.deep.equal(entry);
        });
      }
    });

    it('is deterministic: input order does not matter', () => {
      const a = compile(loaded.state, cfg('node-1'));
      const s = loaded.state;
      const shuffled: ClusterState = {
        namespaces: [...s.namespaces].reverse(),
        pods: [...s.pods].reverse(),
        services: [...s.services].reverse(),
        endpointSlices: [...s.endpointSlices].reverse(),
        networkPolicies: [...s.networkPolicies].reverse(),
        nodes: [...s.nodes].reverse(),
      };
      expect(JSON.stringify(compile(shuffled, cfg('node-1')))).to.equal(JSON.stringify(a));
    });

    it('local pods become endpoints; remote pod CIDRs go through a VXLAN tunnel to their node', () => {
      const d = compile(loaded.state, cfg('node-1'));
      expect(d.tables.endpoint.map((e) => e.endpoint!.ip).sort()).to.deep.equal(['10.244.1.11', '10.244.1.12', '10.244.1.13', '10.244.1.21']);
      expect(d.tables.tunnel).to.deep.equal([
        { tunnel: { id: 'tun:node-2', type: 'VXLAN', localIp: '192.168.10.1', remoteIp: '192.168.10.2', vni: 4096, underlayNexthopId: 'fabric' } },
      ]);
      expect(d.tables.tunnel_term).to.deep.equal([{ tunnelTerm: { localIp: '192.168.10.1', vni: 4096, type: 'VXLAN' } }]);
      expect(d.tables.route).to.deep.include({ route: { prefix: '10.244.2.0/24', nexthopId: 'node:node-2' } });
      expect(d.tables.nexthop).to.deep.include({ nexthop: { id: 'node:node-2', tunnelId: 'tun:node-2' } });
    });

    it('direct routing: remote pod CIDRs to the fabric, no tunnels', () => {
      const d = compile(loaded.state, nodeConfig({ nodeName: 'node-1', hostPorts: ['host0'], overlay: 'direct' }));
      expect(d.tables.tunnel).to.deep.equal([]);
      expect(d.tables.tunnel_term).to.deep.equal([]);
      expect(d.tables.route).to.deep.include({ route: { prefix: '10.244.2.0/24', nexthopId: 'fabric' } });
    });

    it('masquerades pod traffic leaving the pod network to the node address', () => {
      const d = compile(loaded.state, cfg('node-1'));
      expect(d.tables.snat).to.deep.include({ snat: { srcPrefix: '10.244.0.0/16', priority: 100, masquerade: { ip: '192.168.10.1' } } });
      expect(d.tables.snat).to.deep.include({ snat: { srcPrefix: '10.244.0.0/16', dstPrefix: '10.244.0.0/16', priority: 200, none: {} } });
    });

    it('services: ClusterIP with hairpin SNAT, NodePort on the node address with masquerade, derived slices said so', () => {
      const d = compile(loaded.state, cfg('node-1'));
      expect(loaded.notes.some((n) => /EndpointSlices for Service x\/web derived/.test(n))).to.equal(true);
      const svc = d.tables.service.map((e) => e.service!);
      expect(svc).to.deep.include({ vip: '10.96.0.10', protocol: 6, port: 80, balance: { backendGroupId: 'svc:x/web/http/v4', snatMode: 'SNAT_HAIRPIN', snatIp: '192.168.10.1' } });
      expect(svc).to.deep.include({ vip: '192.168.10.1', protocol: 6, port: 30080, balance: { backendGroupId: 'svc:x/web/http/v4', snatMode: 'SNAT_MASQUERADE', snatIp: '192.168.10.1' } });
      const web = d.tables.backend_group.find((e) => e.backendGroup!.id === 'svc:x/web/http/v4')!.backendGroup!;
      expect(web.members!.map((m) => `${m.ip}:${m.port}`)).to.deep.equal(['10.244.1.11:80', '10.244.1.12:80', '10.244.1.13:80']);
    });

    it('network policies: isolation flags and ACLs name namespace/name', () => {
      const d = compile(loaded.state, cfg('node-1'));
      const xa = d.tables.endpoint.find((e) => e.endpoint!.ip === '10.244.1.11')!.endpoint!;
      expect(xa.isolatedIngress).to.equal(true);
      expect(xa.isolatedEgress).to.equal(undefined);
      const refs = new Set(d.tables.acl.map((e) => e.acl!.policyRef));
      expect([...refs].sort()).to.deep.equal(['x/a-from-y']);
      // z's pods all live on node-2: its egress policy compiles there only.
      const d2 = compile(loaded.state, cfg('node-2'));
      expect(new Set(d2.tables.acl.map((e) => e.acl!.policyRef))).to.deep.equal(new Set(['z/z-to-x']));
    });
  });

  describe('services, entry by entry', () => {
    const node = { kind: 'Node', metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.0.1' }, { type: 'InternalIP', address: 'fd00:192::1' }] } };
    const slice = (name: string, family: 'IPv4' | 'IPv6', endpoints: EndpointSlice['endpoints'], ports: EndpointSlice['ports'] = [{ name: 'http', port: 8080 }], svc = 'web'): EndpointSlice => ({
      kind: 'EndpointSlice',
      metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
      addressType: family,
      endpoints,
      ports,
    });
    const service = (spec: Service['spec'], extra: Partial<Service> = {}): Service => ({
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default', ...(extra.metadata ?? {}) },
      spec: { clusterIP: '10.96.0.1', ports: [{ name: 'http', port: 80 }], ...spec },
      status: extra.status,
    });
    const state = (svcs: Service[], slices: EndpointSlice[]): ClusterState => ({ namespaces: [], pods: [], services: svcs, endpointSlices: slices, networkPolicies: [], nodes: [node] });
    const c = nodeConfig({ nodeName: 'n1', hostPorts: ['host0'] });
    const services = (st: ClusterState) => compile(st, c).tables.service.map((e) => e.service!);
    const groups = (st: ClusterState) => Object.fromEntries(compile(st, c).tables.backend_group.map((e) => [e.backendGroup!.id, e.backendGroup!.members ?? []]));

    it('ready endpoints are active; serving+terminating ones are the fallback; not-ready ones are left out', () => {
      const st = state([service({})], [
        slice('s1', 'IPv4', [
          { addresses: ['10.0.0.1'] },
          { addresses: ['10.0.0.2'], conditions: { ready: false, serving: true, terminating: true } },
          { addresses: ['10.0.0.3'], conditions: { ready: false, serving: false, terminating: true } },
          { addresses: ['10.0.0.4'], conditions: { ready: false } },
        ]),
      ]);
      expect(groups(st)['svc:default/web/http/v4']).to.deep.equal([{ ip: '10.0.0.1', port: 8080 }, { ip: '10.0.0.2', port: 8080, state: 'MEMBER_TERMINATING' }]);
    });

    it('named target ports resolve per endpoint through each slice', () => {
      const st = state([service({})], [slice('s1', 'IPv4', [{ addresses: ['10.0.0.1'] }], [{ name: 'http', port: 8080 }]), slice('s2', 'IPv4', [{ addresses: ['10.0.0.2'] }], [{ name: 'http', port: 9090 }])]);
      expect(groups(st)['svc:default/web/http/v4']).to.deep.equal([{ ip: '10.0.0.1', port: 8080 }, { ip: '10.0.0.2', port: 9090 }]);
    });

    it('no endpoints: the service rejects (whenEmpty default); internalTrafficPolicy Local without local ones: drop', () => {
      expect(services(state([service({})], []))[0].balance).to.deep.equal({ backendGroupId: 'svc:default/web/http/v4', snatMode: 'SNAT_HAIRPIN', snatIp: '192.168.0.1' });
      const st = state([service({ internalTrafficPolicy: 'Local' })], [slice('s1', 'IPv4', [{ addresses: ['10.0.0.1'], nodeName: 'n2' }])]);
      expect(services(st)[0].balance).to.deep.include({ backendGroupId: 'svc:default/web/http/v4/local', whenEmpty: 'WHEN_EMPTY_DROP' });
    });

    it('externalTrafficPolicy Local: external VIPs use local endpoints without SNAT; ClusterIP keeps every endpoint', () => {
      const st = state(
        [service({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', externalIPs: ['203.0.113.5'], ports: [{ name: 'http', port: 80, nodePort: 30001 }] }, { status: { loadBalancer: { ingress: [{ ip: '198.51.100.7' }, { ip: '198.51.100.8', ipMode: 'Proxy' }] } } })],
        [slice('s1', 'IPv4', [{ addresses: ['10.0.0.1'], nodeName: 'n1' }, { addresses: ['10.0.0.2'], nodeName: 'n2' }])],
      );
      const svc = services(st);
      const by = (vip: string, port: number) => svc.find((s) => s.vip === vip && s.port === port)!;
      expect(by('10.96.0.1', 80).balance).to.deep.equal({ backendGroupId: 'svc:default/web/http/v4', snatMode: 'SNAT_HAIRPIN', snatIp: '192.168.0.1' });
      for (const [vip, port] of [['203.0.113.5', 80], ['192.168.0.1', 30001], ['198.51.100.7', 80]] as const) {
        expect(by(vip, port).balance, vip).to.deep.equal({ backendGroupId: 'svc:default/web/http/v4/local' });
      }
      expect(svc.find((s) => s.vip === '198.51.100.8'), 'ipMode Proxy is not bound locally').to.equal(undefined);
      expect(groups(st)['svc:default/web/http/v4/local']).to.deep.equal([{ ip: '10.0.0.1', port: 8080 }]);
    });

    it('ClientIP affinity: default 10800 s, explicit timeouts kept', () => {
      expect(services(state([service({ sessionAffinity: 'ClientIP' })], []))[0].balance!.affinityTimeoutS).to.equal(10800);
      expect(services(state([service({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } })], []))[0].balance!.affinityTimeoutS).to.equal(60);
    });

    it('loadBalancerSourceRanges: allow entries per range; a family with no range admits nobody', () => {
      const st = state(
        [service({ type: 'LoadBalancer', ipFamilies: ['IPv4', 'IPv6'], clusterIPs: ['10.96.0.1', 'fd00:10:96::1'], loadBalancerSourceRanges: ['203.0.113.0/24', '198.51.100.0/25'], ports: [{ name: 'http', port: 80, nodePort: 30002 }] }, { status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }, { ip: '2001:db8::10' }] } } })],
        [],
      );
      const src = compile(st, c).tables.service_source.map((e) => e.serviceSource!);
      expect(src).to.deep.equal([
        { vip: '192.0.2.10', protocol: 6, port: 80, source: '198.51.100.0/25', allow: {} },
        { vip: '192.0.2.10', protocol: 6, port: 80, source: '203.0.113.0/24', allow: {} },
        { vip: '2001:db8::10', protocol: 6, port: 80, source: '::/0', drop: {} },
      ]);
    });

    it('dual stack: one entry and group per family', () => {
      const st = state([service({ clusterIPs: ['10.96.0.1', 'fd00:10:96::1'] })], [slice('s4', 'IPv4', [{ addresses: ['10.0.0.1'] }]), slice('s6', 'IPv6', [{ addresses: ['fd00::1'] }])]);
      expect(services(st).map((s) => s.vip)).to.deep.equal(['10.96.0.1', 'fd00:10:96::1']);
      expect(groups(st)['svc:default/web/http/v6']).to.deep.equal([{ ip: 'fd00::1', port: 8080 }]);
    });

    it('headless, ExternalName and other proxies\' services get nothing, and the notes say why', () => {
      const st = state(
        [
          service({ clusterIP: 'None' }, { metadata: { name: 'headless', namespace: 'default' } }),
          service({ type: 'ExternalName' }, { metadata: { name: 'ext', namespace: 'default' } }),
          service({}, { metadata: { name: 'other', namespace: 'default', labels: { 'service.kubernetes.io/service-proxy-name': 'someone-else' } } }),
        ],
        [],
      );
      const d = compile(st, c);
      expect(d.tables.service).to.deep.equal([]);
      expect(d.notes).to.have.length(3);
    });

    it('topology hints apply only when every ready endpoint has one and one names our zone', () => {
      const zc = nodeConfig({ nodeName: 'n1', hostPorts: ['host0'], zone: 'z1' });
      const eps = (hint2: string | undefined) => [
        { addresses: ['10.0.0.1'], hints: { forZones: [{ name: 'z1' }] } },
        { addresses: ['10.0.0.2'], ...(hint2 ? { hints: { forZones: [{ name: hint2 }] } } : {}) },
      ];
      const g = (st: ClusterState) => compile(st, zc).tables.backend_group[0].backendGroup!.members!.map((m) => m.ip);
      expect(g(state([service({})], [slice('s', 'IPv4', eps('z2'))]))).to.deep.equal(['10.0.0.1']);
      expect(g(state([service({})], [slice('s', 'IPv4', eps(undefined))]))).to.deep.equal(['10.0.0.1', '10.0.0.2']);
    });

    it('a VIP claimed twice is reported, the first service (by name) keeps it', () => {
      const a = service({ externalIPs: ['203.0.113.5'] }, { metadata: { name: 'a', namespace: 'default' } });
      const b = service({ clusterIP: '10.96.0.2', externalIPs: ['203.0.113.5'] }, { metadata: { name: 'b', namespace: 'default' } });
      const d = compile(state([b, a], []), c);
      expect(d.problems.map((p) => p.object)).to.deep.equal(['Service default/b']);
      expect(d.tables.service.filter((e: TableEntry) => e.service!.vip === '203.0.113.5').map((e) => e.service!.balance!.backendGroupId)).to.deep.equal(['svc:default/a/http/v4']);
    });
  });

  describe('bad objects are reported and skipped', () => {
    it('offline: malformed objects, unknown selector operators and bad ports name the object and field', () => {
      const r = parseManifests([
        {
          name: 'bad.yaml',
          text: [
            'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\nspec: {containers: [{name: c, ports: [{containerPort: "eighty"}]}]}',
            'apiVersion: v1\nkind: Service\nmetadata: {namespace: x}\nspec: {ports: [{port: 80}]}',
            'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: x}\nspec: {podSelector: {matchExpressions: [{key: a, operator: Near}]}}',
            'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np2, namespace: x}\nspec: {podSelector: {}, ingress: [{ports: [{protocol: ICMP, port: 1}]}]}',
            'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np3, namespace: x}\nspec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/40}}]}]}',
            'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ignored}',
          ].join('\n---\n'),
        },
        { name: 'broken.yaml', text: 'kind: [unclosed' },
      ]);
      expect(r.problems.map((p) => p.object)).to.deep.equal(['Pod x/p', 'Service x/(unnamed)', 'broken.yaml']);
      expect(r.problems[0].message).to.match(/spec\.containers\[0\]\.ports\[0\]\.containerPort/);
      const d = compile({ ...r.state, nodes: [{ kind: 'Node', metadata: { name: 'n1' } }] }, nodeConfig({ nodeName: 'n1', hostPorts: ['host0'] }));
      expect(d.problems.map((p) => `${p.object}: ${p.message}`)).to.deep.equal([
        'NetworkPolicy x/np: spec.podSelector.matchExpressions[0].operator: unknown operator "Near"; policy skipped',
        'NetworkPolicy x/np2: spec.ingress[0].ports[0].protocol: "ICMP" is not TCP, UDP or SCTP; policy skipped',
        'NetworkPolicy x/np3: spec.ingress[0].from[0].ipBlock.cidr: "10.0.0.0/40" is not a CIDR; policy skipped',
      ]);
    });
  });
});
