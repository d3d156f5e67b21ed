// Glue between a source and a node's adapter: a pass after every change the
// source reports, and a resync pass at least every resyncMs even when nothing
// changed. The reconciler compares the device's digest with what its last pass
// left, so a resync pass over an untouched device costs one GetState, and one over
// a device someone else wrote to reads it back and repairs it.
// No pass runs before the source's first change (its first complete list): an
// empty cache would otherwise be programmed as an empty cluster.
import type { ClusterState } from '../cluster-state.js';
import type { SyncResult } from '../node-adapter.js';

export interface Syncer {
  sync(state: ClusterState): Promise<SyncResult>;
}

/** Periodic timers, injectable for virtual time. */
export interface Timers {
  every(ms: number, fn: () => void): () => void;
}

export const REAL_TIMERS: Timers = {
  every(ms, fn) {
    const t = setInterval(fn, ms);
    return () => clearInterval(t);
  },
};

export type SyncReason = 'change' | 'resync';

export interface LiveSyncOptions {
  readonly adapter: Syncer;
  readonly snapshot: () => ClusterState;
  /** Resync period in ms; 0 turns resync off. */
  readonly resyncMs: number;
  readonly timers?: Timers;
  readonly onResult?: (r: SyncResult, reason: SyncReason) => void;
  readonly log?: (line: string) => void;
}

export class LiveSync {
  readonly stats = { changes: 0, resyncs: 0, failures: 0 };
  private ready = false;
  private cancel: (() => void) | undefined;

  constructor(private readonly opts: LiveSyncOptions) {}

  /** The source's onChange. */
  changed(): void {
    this.ready = true;
    this.stats.changes++;
    this.run('change');
  }

  /** Starts the resync timer. */
  start(): void {
    if (this.cancel || this.opts.resyncMs <= 0) return;
    this.cancel = (this.opts.timers ?? REAL_TIMERS).every(this.opts.resyncMs, () => {
      if (!this.ready) return;
      this.stats.resyncs++;
      this.run('resync');
    });
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  private run(reason: SyncReason): void {
    this.opts.adapter.sync(this.opts.snapshot()).then(
      (r) => this.opts.onResult?.(r, reason),
      (e: unknown) => {
        this.stats.failures++;
        this.opts.log?.(`sync (${reason}) failed: ${String(e)}`);
      },
    );
  }
}
