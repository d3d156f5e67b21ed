// client-node's Watch, asking for bookmarks and a server-side timeout, and
// recording what each watch of one resource did. client-node's ListWatch already
// stores a BOOKMARK's resourceVersion as the one to resume from, but its informer
// never requests bookmarks; passing this Watch to a ListWatch does. So a watch
// that ends (timeout, dropped connection) resumes from the newest resourceVersion
// the server vouched for instead of the last object event's — which, for a
// quiet resource, may already be compacted away and cost a relist.
import { Watch, type KubeConfig } from '@kubernetes/client-node';

/** What happened on one resource's list/watch, for logs and tests. */
export interface WatchStats {
  lists: number;
  watches: number;
  bookmarks: number;
  /** 410 Gone, as an HTTP status or as an ERROR event in the stream. */
  gone: number;
  /** The resourceVersion the latest watch request started from. */
  lastWatchFrom: string;
  /** The resourceVersion of the latest BOOKMARK. */
  lastBookmark: string;
}

export function emptyWatchStats(): WatchStats {
  return { lists: 0, watches: 0, bookmarks: 0, gone: 0, lastWatchFrom: '', lastBookmark: '' };
}

/** A watch event's object: a resource, a BOOKMARK (metadata only) or an ERROR's Status. */
interface EventObject {
  metadata?: { resourceVersion?: string };
  code?: number;
  message?: string;
}
type Callback = (phase: string, obj: EventObject, watchObj?: unknown) => void;
type Query = Record<string, string | number | boolean | undefined>;

export class BookmarkWatch extends Watch {
  constructor(
    config: KubeConfig,
    private readonly stats: WatchStats,
    /** Server-side watch timeout; undefined: a random 5–10 min per watch, as client-go picks. */
    private readonly timeoutSeconds: number | undefined,
    private readonly log?: (line: string) => void,
  ) {
    super(config);
  }

  override watch(path: string, queryParams: Query, callback: Callback, done: (err: unknown) => void): Promise<AbortController> {
    const timeout = this.timeoutSeconds ?? Math.floor(300 * (1 + Math.random()));
    this.stats.watches++;
    this.stats.lastWatchFrom = String(queryParams.resourceVersion ?? '');
    const seen: Callback = (phase, obj, watchObj) => {
      if (phase === 'BOOKMARK') {
        this.stats.bookmarks++;
        this.stats.lastBookmark = String(obj?.metadata?.resourceVersion ?? '');
      } else if (phase === 'ERROR' && obj?.code === 410) {
        // ListWatch clears its resourceVersion; when the stream ends it relists.
        this.stats.gone++;
        this.log?.(`live source: ${path}: 410 Gone (${obj?.message ?? 'resourceVersion too old'}); relisting`);
      }
      callback(phase, obj, watchObj);
    };
    const finished = (err: unknown) => {
      const e = err as { statusCode?: number; code?: number } | null;
      if (e && (e.statusCode === 410 || e.code === 410)) {
        this.stats.gone++;
        this.log?.(`live source: ${path}: 410 Gone; relisting`);
      }
      done(err);
    };
    return super.watch(path, { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: timeout }, seen, finished);
  }
}
