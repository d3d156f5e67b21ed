// The adapter's own health, as kube-proxy reports it on its healthz port (10256):
// unhealthy when a cluster change has waited longer than the timeout to reach the
// device. /healthz also fails while the node is being removed (deleted, or tainted
// by the cluster autoscaler), so load balancers drain it; /livez ignores that.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Node } from './cluster-state.js';

export interface ProxyHealthOptions {
  /** How long a change may wait for programming before we are unhealthy (kube-proxy: 2 × sync period). */
  readonly timeoutMs: number;
  /** Clock (ms since the epoch); tests pass a virtual one. */
  readonly now?: () => number;
}

export interface ProxyHealthStatus {
  readonly healthy: boolean;
  readonly lastUpdated?: number;
  readonly currentTime: number;
  readonly nodeEligible: boolean;
}

const AUTOSCALER_TAINT = 'ToBeDeletedByClusterAutoscaler';

/** False when the node is going away: deleted, or marked for deletion by the cluster autoscaler. */
export function nodeEligible(node: Node | undefined): boolean {
  if (!node) return true;
  if (node.metadata.deletionTimestamp) return false;
  const taints = (node.spec as { taints?: readonly { key?: string }[] } | undefined)?.taints ?? [];
  return !taints.some((t) => t.key === AUTOSCALER_TAINT);
}

export class ProxyHealth {
  private readonly now: () => number;
  private lastUpdated?: number;
  private oldestPending?: number;
  private eligible = true;

  constructor(private readonly opts: ProxyHealthOptions) {
    this.now = opts.now ?? Date.now;
    // The first full programming is pending from the start.
    this.oldestPending = this.now();
  }

  /** A change was seen that the device does not have yet. */
  queued(): void {
    this.oldestPending ??= this.now();
  }

  /** The device converged on the state current when the sync began. */
  updated(): void {
    this.lastUpdated = this.now();
    this.oldestPending = undefined;
  }

  setNodeEligible(eligible: boolean): void {
    this.eligible = eligible;
  }

  /** Healthy unless a change has been pending longer than the timeout (node eligibility is reported apart). */
  status(): ProxyHealthStatus {
    const currentTime = this.now();
    const healthy = this.oldestPending === undefined || currentTime - this.oldestPending <= this.opts.timeoutMs;
    return { healthy, lastUpdated: this.lastUpdated, currentTime, nodeEligible: this.eligible };
  }
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

function respond(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' }).end(`${JSON.stringify(body, null, 2)}\n`);
}

function handle(health: ProxyHealth, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return respond(res, 405, { error: `method ${req.method} not allowed; use GET` });
  const path = (req.url ?? '/').split('?')[0];
  const s = health.status();
  if (path === '/healthz') {
    const ok = s.healthy && s.nodeEligible;
    return respond(res, ok ? 200 : 503, { lastUpdated: iso(s.lastUpdated), currentTime: iso(s.currentTime), nodeEligible: s.nodeEligible });
  }
  if (path === '/livez') return respond(res, s.healthy ? 200 : 503, { lastUpdated: iso(s.lastUpdated), currentTime: iso(s.currentTime) });
  respond(res, 404, { error: `no such path ${path}; try /healthz or /livez` });
}

export interface ProxyHealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Serves /healthz and /livez on host:port (port 0: an ephemeral port, for tests). */
export async function startProxyHealthServer(health: ProxyHealth, host: string, port: number): Promise<ProxyHealthServer> {
  const server: Server = createServer((req, res) => handle(health, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r()).closeAllConnections()),
  };
}
