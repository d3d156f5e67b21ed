// The live source: client-node ListWatches (its informers) on Pods, Services,
// EndpointSlices (discovery.k8s.io/v1), NetworkPolicies, Namespaces and Nodes.
// Each lists, then watches from the list's resourceVersion, with bookmarks
// requested (BookmarkWatch), so the resourceVersion it resumes from keeps moving
// even when the resource is quiet. A watch that ends resumes from there; on 410
// Gone (the server no longer has that version: compacted, or a restarted
// apiserver's watch cache) ListWatch relists, and objects missing from the new
// list are delivered as deletes. Any other error stops a ListWatch: we restart it
// after a backoff, and it resumes (or, if the version is gone by then, relists).
// onChange fires once every informer has listed, then after every event (callers
// coalesce), and snapshot() is the current cache.
import {
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  ListWatch,
  NetworkingV1Api,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { ClusterState, EndpointSlice, Namespace, NetworkPolicy, Node, Pod, Service } from '../cluster-state.js';
import { BookmarkWatch, emptyWatchStats, type WatchStats } from './bookmark-watch.js';
import { KNOWN_KINDS, shapeProblem } from './object-shape.js';

export interface LiveSourceOptions {
  readonly kubeConfig: KubeConfig;
  readonly onChange: () => void;
  readonly log?: (line: string) => void;
  /** Restart delay after a watch error, doubling to maxRestartMs (default 200 ms .. 10 s). */
  readonly restartMs?: number;
  readonly maxRestartMs?: number;
  /**
   * Server-side timeout of each watch request (default: random 5–10 min, as
   * client-go). The apiserver sends a bookmark about 2 s before it, and about
   * every minute; a watch that times out resumes from the newest version.
   */
  readonly watchTimeoutSeconds?: number;
}

export type Kind = 'Namespace' | 'Pod' | 'Service' | 'EndpointSlice' | 'NetworkPolicy' | 'Node';

interface Watched {
  readonly kind: Kind;
  readonly informer: ListWatch<KubernetesObject>;
  readonly stats: WatchStats;
  failures: number;
  timer?: NodeJS.Timeout;
}

export class LiveSource {
  private readonly watched: Watched[] = [];
  private stopped = false;
  private synced = false;
  /** Counts of events and restarts, for tests and logs. */
  readonly stats = { events: 0, errors: 0, restarts: 0 };

  constructor(private readonly opts: LiveSourceOptions) {
    const kc = opts.kubeConfig;
    const core = kc.makeApiClient(CoreV1Api);
    const discovery = kc.makeApiClient(DiscoveryV1Api);
    const networking = kc.makeApiClient(NetworkingV1Api);
    const add = (kind: Kind, path: string, list: () => Promise<unknown>) => {
      const stats = emptyWatchStats();
      const counted = () => {
        stats.lists++;
        return list() as Promise<KubernetesListObject<KubernetesObject>>;
      };
      const watch = new BookmarkWatch(kc, stats, opts.watchTimeoutSeconds, opts.log);
      const informer = new ListWatch<KubernetesObject>(path, watch, counted, false);
      this.watched.push({ kind, informer, stats, failures: 0 });
    };
    add('Namespace', '/api/v1/namespaces', () => core.listNamespace());
    add('Node', '/api/v1/nodes', () => core.listNode());
    add('Pod', '/api/v1/pods', () => core.listPodForAllNamespaces());
    add('Service', '/api/v1/services', () => core.listServiceForAllNamespaces());
    add('EndpointSlice', '/apis/discovery.k8s.io/v1/endpointslices', () => discovery.listEndpointSliceForAllNamespaces());
    add('NetworkPolicy', '/apis/networking.k8s.io/v1/networkpolicies', () => networking.listNetworkPolicyForAllNamespaces());
    for (const w of this.watched) {
      const changed = () => {
        this.stats.events++;
        w.failures = 0;
        // Like client-go's WaitForCacheSync: no state is handed out until every
        // informer has listed once, or a half-listed cluster (pods but no Node yet) would be programmed.
        if (this.synced) this.opts.onChange();
      };
      w.informer.on('add', changed);
      w.informer.on('update', changed);
      w.informer.on('delete', changed);
      w.informer.on('error', (err: unknown) => this.restart(w, err));
    }
  }

  /** Starts every informer; resolves once each has listed. */
  async start(): Promise<void> {
    this.stopped = false;
    this.synced = false;
    await Promise.all(this.watched.map((w) => w.informer.start()));
    this.synced = true;
    this.opts.onChange();
  }

  private restart(w: Watched, err: unknown): void {
    this.stats.errors++;
    if (this.stopped) return;
    const base = this.opts.restartMs ?? 200;
    const delay = Math.min(this.opts.maxRestartMs ?? 10_000, base * 2 ** w.failures);
    w.failures++;
    this.opts.log?.(`live source: ${w.kind} watch failed (${describe(err)}); resuming in ${delay} ms`);
    clearTimeout(w.timer);
    w.timer = setTimeout(() => {
      if (this.stopped) return;
      this.stats.restarts++;
      w.informer.start().catch((e: unknown) => this.restart(w, e));
    }, delay);
  }

  /** Per resource: lists, watches, bookmarks, 410s, and the versions watches started from. */
  watchStats(): Record<Kind, Readonly<WatchStats>> {
    return Object.fromEntries(this.watched.map((w) => [w.kind, { ...w.stats }])) as Record<Kind, WatchStats>;
  }

  /** The resourceVersion each ListWatch would resume from. */
  resourceVersions(): Record<Kind, string> {
    return Object.fromEntries(this.watched.map((w) => [w.kind, w.informer.latestResourceVersion()])) as Record<Kind, string>;
  }

  /** The cached objects; objects whose shape is wrong are left out (and logged once per call). */
  snapshot(): ClusterState {
    const of = <T>(kind: Kind): T[] => {
      const w = this.watched.find((x) => x.kind === kind)!;
      const out: T[] = [];
      for (const o of w.informer.list()) {
        const obj = { kind, ...(o as object) } as Record<string, unknown>;
        const problem = KNOWN_KINDS.has(kind) ? shapeProblem(kind, obj) : null;
        if (problem) {
          this.opts.log?.(`live source: ${kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}: ${problem}; skipped`);
          continue;
        }
        out.push(obj as T);
      }
      return out;
    };
    return {
      namespaces: of<Namespace>('Namespace'),
      nodes: of<Node>('Node'),
      pods: of<Pod>('Pod'),
      services: of<Service>('Service'),
      endpointSlices: of<EndpointSlice>('EndpointSlice'),
      networkPolicies: of<NetworkPolicy>('NetworkPolicy'),
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.watched) {
      clearTimeout(w.timer);
      await w.informer.stop();
    }
  }
}

function describe(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { message?: string; statusCode?: number; code?: number | string };
    return [e.statusCode ?? e.code, e.message].filter((x) => x !== undefined).join(' ');
  }
  return String(err);
}

export { KubeConfig };
