// The Kubernetes adapter: cluster state in, HAL state out. Imports only src/hal.
export * from './cluster-state.js';
export * from './node-config.js';
export { compile, Compiler, DesiredState, desiredEntries, entryKey, MANAGED_TABLES, type ManagedTable } from './compile/compiler.js';
export type { Problem } from './compile/context.js';
export { endpointIdOf, podMac, PORT_ANNOTATION } from './compile/endpoints.js';
export { loadManifests, parseManifests, type LoadedManifests, type OfflineOptions } from './sources/offline-source.js';
export { deriveEndpointSlices } from './sources/derive-endpoint-slices.js';
export { Reconciler, digestOf, type ReconcileResult, type ReconcilerOptions } from './reconcile/reconciler.js';
export { diffStates, type Diff } from './reconcile/diff.js';
export { removedUdpBackends } from './reconcile/udp-backends.js';
export { AdapterMetrics } from './metrics.js';
export { NodeAdapter, type NodeAdapterOptions, type SyncResult } from './node-adapter.js';
export { LiveSource, KubeConfig, type Kind, type LiveSourceOptions } from './sources/live-source.js';
export { LiveSync, REAL_TIMERS, type LiveSyncOptions, type SyncReason, type Syncer, type Timers } from './sources/live-sync.js';
export type { WatchStats } from './sources/bookmark-watch.js';
export { planHealthChecks, type HealthCheckPlan, type ServiceHealthCheck } from './health-check.js';
export { ServiceHealthServers, type HealthServersUpdate, type ServiceHealthServersOptions } from './health-check-server.js';
export { ProxyHealth, nodeEligible, startProxyHealthServer, type ProxyHealthOptions, type ProxyHealthServer, type ProxyHealthStatus } from './health-check-proxy.js';
