// The adapter's Prometheus metrics, on a registry of its own (never the global one,
// so several adapters in one process — `k8s simulate` — keep separate numbers).
// network_programming_duration_seconds is kube-proxy's SLI: from the moment the
// EndpointSlice controller saw the change (annotation last-change-trigger-time)
// to the moment the dataplane was programmed.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class AdapterMetrics {
  readonly registry = new Registry();
  readonly programmingDuration: Histogram<string>;
  readonly syncs: Counter<'result'>;
  readonly updates: Counter<'type'>;
  readonly resyncs: Counter<'reason'>;
  readonly conntrackFlushed: Counter<string>;
  readonly flowRecords: Counter<'verdict' | 'policy'>;
  readonly problems: Gauge<string>;

  constructor(labels: Record<string, string> = {}) {
    this.registry.setDefaultLabels(labels);
    const registers = [this.registry];
    this.programmingDuration = new Histogram({
      name: 'network_programming_duration_seconds',
      help: 'From an EndpointSlice change (last-change-trigger-time) to the device holding it',
      // kube-proxy's buckets: 0.25 s .. 240 s, and finer ones below because a device write is fast.
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 45, 60, 120, 180, 240],
      registers,
    });
    this.syncs = new Counter({ name: 'xpuhal_adapter_syncs_total', help: 'Reconcile passes by result', labelNames: ['result'], registers });
    this.updates = new Counter({ name: 'xpuhal_adapter_updates_total', help: 'HAL updates written, by type', labelNames: ['type'], registers });
    this.resyncs = new Counter({ name: 'xpuhal_adapter_full_resyncs_total', help: 'Full reads of the device, by reason', labelNames: ['reason'], registers });
    this.conntrackFlushed = new Counter({ name: 'xpuhal_adapter_conntrack_flushed_total', help: 'Conntrack entries flushed for removed UDP backends', registers });
    this.flowRecords = new Counter({ name: 'xpuhal_adapter_flow_records_total', help: 'Flow records received, by verdict and deciding policy', labelNames: ['verdict', 'policy'], registers });
    this.problems = new Gauge({ name: 'xpuhal_adapter_object_problems', help: 'Cluster objects reported and skipped in the last compile', registers });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
