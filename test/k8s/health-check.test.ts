// kube-proxy's health checks: healthCheckNodePort listeners per
// externalTrafficPolicy: Local LoadBalancer service (real HTTP on loopback,
// ephemeral ports) and the adapter's own /healthz + /livez on a virtual clock.
import { expect } from 'chai';
import { request } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import {
  ProxyHealth,
  ServiceHealthServers,
  emptyClusterState,
  nodeEligible,
  planHealthChecks,
  startProxyHealthServer,
  type ClusterState,
  type Endpoint,
  type EndpointSlice,
  type Node,
  type Service,
} from '../../src/k8s-adapter/index.js';

const NODE = 'node-1';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** One request on a fresh connection (no agent: nothing keeps the port busy). */
function get(port: number, path = '/healthz', method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function refused(port: number): Promise<string> {
  try {
    await get(port);
    return 'answered';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}

/** Ports free right now on loopback (the kernel picks them). */
async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  for (let i = 0; i < n; i++) {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    servers.push(s);
  }
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

function lbService(name: string, port: number | undefined, extra: Partial<NonNullable<Service['spec']>> = {}, labels?: Record<string, string>): Service {
  return {
    kind: 'Service',
    metadata: { name, namespace: 'web', ...(labels && { labels }) },
    spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: port, selector: { app: name }, ports: [{ port: 80, nodePort: 30080 }], ...extra },
  };
}

function slice(svc: string, name: string, addressType: 'IPv4' | 'IPv6', endpoints: Endpoint[]): EndpointSlice {
  return { kind: 'EndpointSlice', metadata: { name, namespace: 'web', labels: { 'kubernetes.io/service-name': svc } }, addressType, endpoints, ports: [{ port: 8080 }] };
}

const ep = (ip: string, nodeName: string, conditions?: Endpoint['conditions']): Endpoint => ({ addresses: [ip], nodeName, ...(conditions && { conditions }) });

function state(services: Service[], endpointSlices: EndpointSlice[]): ClusterState {
  return { ...emptyClusterState(), services, endpointSlices };
}

describe('k8s adapter: health checks', () => {
  describe('planHealthChecks (which ports, how many local endpoints)', () => {
    it('counts ready endpoints on this node only, once per address across slices, dual-stack pods once', () => {
      const s = state(
        [lbService('shop', 32001)],
        [
          slice('shop', 'shop-a', 'IPv4', [
            ep('10.244.1.5', NODE),
            ep('10.244.1.6', NODE, { ready: true, serving: true, terminating: false }),
            ep('10.244.1.7', NODE, { ready: false, serving: true, terminating: true }), // draining: not counted
            ep('10.244.1.8', NODE, { ready: false }),
            ep('10.244.2.5', 'node-2'),
          ]),
          slice('shop', 'shop-b', 'IPv4', [ep('10.244.1.5', NODE)]), // same address in a second slice
          slice('shop', 'shop-v6', 'IPv6', [ep('fd00:10:244:1::5', NODE), ep('fd00:10:244:1::6', NODE)]),
        ],
      );
      expect(planHealthChecks(s, NODE)).to.deep.equal({ checks: [{ namespace: 'web', name: 'shop', port: 32001, localEndpoints: 2 }], problems: [] });
      expect(planHealthChecks(s, 'node-2').checks[0].localEndpoints).to.equal(1);
      expect(planHealthChecks(s, 'node-9').checks[0].localEndpoints, 'every node serves the check, with 0').to.equal(0);
    });

    it('only LoadBalancer + externalTrafficPolicy Local services with a port, and only ours by proxy name', () => {
      const s = state(
        [
          lbService('cluster', 32002, { externalTrafficPolicy: 'Cluster' }),
          lbService('nodeport', 32003, { type: 'NodePort' }),
          lbService('noport', undefined),
          lbService('other-proxy', 32004, {}, { 'service.kubernetes.io/service-proxy-name': 'someone-else' }),
          lbService('mine', 32005, {}, { 'service.kubernetes.io/service-proxy-name': 'xpuhal' }),
          lbService('plain', 32006),
        ],
        [],
      );
      expect(planHealthChecks(s, NODE).checks.map((c) => c.name)).to.deep.equal(['plain']);
      expect(planHealthChecks(s, NODE, 'xpuhal').checks.map((c) => c.name)).to.deep.equal(['mine', 'plain']);
    });

    it('reports a port claimed twice (the first service by name keeps it) and a port out of range', () => {
      const s = state([lbService('b', 32010), lbService('a', 32010), lbService('c', 70000)], []);
      const plan = planHealthChecks(s, NODE);
      expect(plan.checks.map((c) => `${c.name}:${c.port}`)).to.deep.equal(['a:32010']);
      expect(plan.problems).to.deep.equal([
        'Service web/c: healthCheckNodePort 70000 is not a TCP port; no health check served',
        'Service web/b: healthCheckNodePort 32010 is already served for web/a; no health check served',
      ]);
    });
  });

  describe('ServiceHealthServers (real HTTP on loopback)', () => {
    let servers: ServiceHealthServers;
    let proxyHealthy = true;
    const logs: string[] = [];
    beforeEach(() => {
      proxyHealthy = true;
      servers = new ServiceHealthServers({ host: '127.0.0.1', serviceProxyHealthy: () => proxyHealthy, log: (l) => logs.push(l) });
    });
    afterEach(() => servers.close());

    it('answers 200 with the kube-proxy body when there are local endpoints, 503 when none or when the proxy is unhealthy', async () => {
      const [p1, p2] = await freePorts(2);
      const plan = planHealthChecks(
        state([lbService('shop', p1), lbService('empty', p2)], [slice('shop', 'shop-a', 'IPv4', [ep('10.244.1.5', NODE), ep('10.244.1.6', NODE)])]),
        NODE,
      );
      expect(await servers.update(plan.checks)).to.deep.equal({ opened: [p1, p2].sort((a, b) => a - b), closed: [], failed: [] });

      const ok = await get(p1, '/healthz');
      expect(ok.status).to.equal(200);
      expect(ok.headers['content-type']).to.equal('application/json');
      expect(ok.headers['x-content-type-options']).to.equal('nosniff');
      expect(ok.body).to.deep.equal({ service: { namespace: 'web', name: 'shop' }, localEndpoints: 2, serviceProxyHealthy: true });
      expect((await get(p1, '/')).status, 'any path answers, as kube-proxy').to.equal(200);

      const none = await get(p2, '/healthz');
      expect([none.status, none.body]).to.deep.equal([503, { service: { namespace: 'web', name: 'empty' }, localEndpoints: 0, serviceProxyHealthy: true }]);

      proxyHealthy = false;
      const sick = await get(p1, '/healthz');
      expect([sick.status, sick.body]).to.deep.equal([503, { service: { namespace: 'web', name: 'shop' }, localEndpoints: 2, serviceProxyHealthy: false }]);

      expect((await get(p1, '/healthz', 'POST')).status).to.equal(405);
    });

    it('follows endpoint changes without reopening, moves with a port change, closes when the service goes', async () => {
      const [p1, p2] = await freePorts(2);
      const withEndpoints = (port: number, eps: Endpoint[]) => planHealthChecks(state([lbService('shop', port)], [slice('shop', 'shop-a', 'IPv4', eps)]), NODE).checks;

      await servers.update(withEndpoints(p1, []));
      expect((await get(p1)).status).to.equal(503);
      expect(await servers.update(withEndpoints(p1, [ep('10.244.1.5', NODE)])), 'same port: nothing reopened').to.deep.equal({ opened: [], closed: [], failed: [] });
      expect((await get(p1)).body).to.deep.include({ localEndpoints: 1 });
      expect((await get(p1)).status).to.equal(200);

      expect(await servers.update(withEndpoints(p2, [ep('10.244.1.5', NODE)]))).to.deep.equal({ opened: [p2], closed: [p1], failed: [] });
      expect(await refused(p1)).to.equal('ECONNREFUSED');
      expect((await get(p2)).status).to.equal(200);
      expect(servers.listening()).to.deep.equal([p2]);

      expect(await servers.update(planHealthChecks(emptyClusterState(), NODE).checks)).to.deep.equal({ opened: [], closed: [p2], failed: [] });
      expect(await refused(p2)).to.equal('ECONNREFUSED');
      expect(servers.listening()).to.deep.equal([]);
    });

    it('reports a port it cannot open and opens it on a later update once it is free', async () => {
      const blocker = createServer();
      await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
      const port = (blocker.address() as AddressInfo).port;
      const checks = planHealthChecks(state([lbService('shop', port)], []), NODE).checks;

      const first = await servers.update(checks);
      expect(first.opened).to.deep.equal([]);
      expect(first.failed.map((f) => f.port)).to.deep.equal([port]);
      expect(first.failed[0].error).to.match(/EADDRINUSE/);
      expect(logs.some((l) => l.includes(`cannot listen on port ${port} for web/shop`))).to.equal(true);
      expect(servers.listening()).to.deep.equal([]);

      await new Promise<void>((r) => blocker.close(() => r()));
      expect((await servers.update(checks)).opened).to.deep.equal([port]);
      expect((await get(port)).status).to.equal(503);
    });
  });

  describe('ProxyHealth + /healthz, /livez (virtual clock)', () => {
    it('is healthy while a change waits less than the timeout, unhealthy after, healthy again once programmed', async () => {
      let now = Date.parse('2026-01-01T00:00:00Z');
      const health = new ProxyHealth({ timeoutMs: 60_000, now: () => now });
      const server = await startProxyHealthServer(health, '127.0.0.1', 0);
      try {
        // The first programming is pending from the start.
        now += 59_000;
        expect((await get(server.port, '/healthz')).status).to.equal(200);
        now += 2_000;
        const late = await get(server.port, '/healthz');
        expect([late.status, late.body]).to.deep.equal([503, { lastUpdated: null, currentTime: '2026-01-01T00:01:01.000Z', nodeEligible: true }]);
        expect((await get(server.port, '/livez')).status).to.equal(503);

        health.updated();
        const ok = await get(server.port, '/healthz');
        expect([ok.status, ok.body]).to.deep.equal([200, { lastUpdated: '2026-01-01T00:01:01.000Z', currentTime: '2026-01-01T00:01:01.000Z', nodeEligible: true }]);

        // Quiet cluster: no pending change, healthy however long ago the last update was.
        now += 3_600_000;
        expect((await get(server.port, '/healthz')).status).to.equal(200);
        health.queued();
        now += 30_000;
        health.queued(); // a second change does not reset the age of the first
        now += 30_001;
        expect((await get(server.port, '/healthz')).status).to.equal(503);
        health.updated();
        expect((await get(server.port, '/livez')).status).to.equal(200);

        expect((await get(server.port, '/metrics')).status).to.equal(404);
        expect((await get(server.port, '/healthz', 'DELETE')).status).to.equal(405);
      } finally {
        await server.close();
      }
    });

    it('a node being removed fails /healthz (load balancers drain it) but not /livez', async () => {
      const health = new ProxyHealth({ timeoutMs: 60_000, now: () => 0 });
      health.updated();
      const server = await startProxyHealthServer(health, '127.0.0.1', 0);
      try {
        expect(nodeEligible({ metadata: { name: NODE } })).to.equal(true);
        expect(nodeEligible(undefined)).to.equal(true);
        expect(nodeEligible({ metadata: { name: NODE, deletionTimestamp: '2026-01-01T00:00:00Z' } })).to.equal(false);
        const tainted = { metadata: { name: NODE }, spec: { taints: [{ key: 'ToBeDeletedByClusterAutoscaler', effect: 'NoSchedule' }] } } as Node;
        expect(nodeEligible(tainted)).to.equal(false);

        health.setNodeEligible(false);
        const h = await get(server.port, '/healthz');
        expect([h.status, (h.body as { nodeEligible: boolean }).nodeEligible]).to.deep.equal([503, false]);
        expect((await get(server.port, '/livez')).status).to.equal(200);
        health.setNodeEligible(true);
        expect((await get(server.port, '/healthz')).status).to.equal(200);
      } finally {
        await server.close();
      }
    });
  });
});
