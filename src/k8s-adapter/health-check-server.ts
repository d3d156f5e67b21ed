// One HTTP listener per healthCheckNodePort, opened and closed as services come,
// go or change port. Any path answers, as kube-proxy's does (load balancers are
// configured with "/healthz" but some probe "/"): 200 when the node has ready
// local endpoints and the adapter itself is healthy, 503 otherwise, and always
// {"service":{"namespace","name"},"localEndpoints":N,"serviceProxyHealthy":bool}.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ServiceHealthCheck } from './health-check.js';

export interface ServiceHealthServersOptions {
  /** Address to listen on ("0.0.0.0", "::", or a node address). */
  readonly host: string;
  /** The adapter's own health (ProxyHealth): when false every service check answers 503. */
  readonly serviceProxyHealthy: () => boolean;
  readonly log?: (line: string) => void;
}

export interface HealthServersUpdate {
  readonly opened: readonly number[];
  readonly closed: readonly number[];
  /** Ports that could not be opened (retried on the next update). */
  readonly failed: readonly { port: number; error: string }[];
}

export class ServiceHealthServers {
  private readonly servers = new Map<number, Server>();
  /** What each port answers for now; endpoint counts change without reopening. */
  private checks = new Map<number, ServiceHealthCheck>();
  /** Updates run one at a time, in call order. */
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: ServiceHealthServersOptions) {}

  /** Ports with an open listener, sorted. */
  listening(): number[] {
    return [...this.servers.keys()].sort((a, b) => a - b);
  }

  /** Makes the listeners match `checks` (from planHealthChecks). */
  update(checks: readonly ServiceHealthCheck[]): Promise<HealthServersUpdate> {
    const next = this.chain.then(() => this.apply(checks));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async apply(checks: readonly ServiceHealthCheck[]): Promise<HealthServersUpdate> {
    if (this.closed) return { opened: [], closed: [], failed: [] };
    this.checks = new Map(checks.map((c) => [c.port, c]));
    const closed: number[] = [];
    for (const port of [...this.servers.keys()]) {
      if (this.checks.has(port)) continue;
      await closeServer(this.servers.get(port)!);
      this.servers.delete(port);
      closed.push(port);
      this.opts.log?.(`health check: closed port ${port}`);
    }
    const opened: number[] = [];
    const failed: { port: number; error: string }[] = [];
    for (const c of checks) {
      if (this.servers.has(c.port)) continue;
      try {
        this.servers.set(c.port, await this.listen(c.port));
        opened.push(c.port);
        this.opts.log?.(`health check: serving ${c.namespace}/${c.name} on port ${c.port}`);
      } catch (e) {
        const error = (e as Error).message;
        failed.push({ port: c.port, error });
        this.opts.log?.(`health check: cannot listen on port ${c.port} for ${c.namespace}/${c.name}: ${error}`);
      }
    }
    return { opened, closed, failed };
  }

  private listen(port: number): Promise<Server> {
    const server = createServer((req, res) => this.answer(port, req, res));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.opts.host, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  }

  private answer(port: number, req: IncomingMessage, res: ServerResponse): void {
    const headers = { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' };
    const c = this.checks.get(port);
    // A request racing the close of its port: the service is gone.
    if (!c) return void res.writeHead(503, headers).end('{"error":"no service on this port"}\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, headers).end(`{"error":"method ${req.method} not allowed; use GET"}\n`);
    const healthy = this.opts.serviceProxyHealthy();
    const body = { service: { namespace: c.namespace, name: c.name }, localEndpoints: c.localEndpoints, serviceProxyHealthy: healthy };
    res.writeHead(c.localEndpoints > 0 && healthy ? 200 : 503, headers).end(`${JSON.stringify(body, null, 2)}\n`);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    for (const s of this.servers.values()) await closeServer(s);
    this.servers.clear();
  }
}

function closeServer(s: Server): Promise<void> {
  return new Promise<void>((r) => {
    s.close(() => r());
    // Keep-alive connections would hold the port open past close.
    s.closeAllConnections();
  });
}
