// The view provider contract: where the webhook's view comes from, manifests (static) or the
// cluster (informers). The engine defines it, so that the cluster layer can provide a view without
// importing the server that consumes it.
import type { StagewallConfig } from '../config/model.js';
import type { IndexedView } from './view.js';

export interface ViewSource {
  readonly view: IndexedView;
  /** True once the view reflects its source (informers listed, manifests loaded). */
  synced(): boolean;
  /** Starts filling the view; `config` always returns the config in force (it may be reloaded). */
  start(config: () => StagewallConfig): Promise<void>;
  stop(): Promise<void>;
  /**
   * Makes sure the view knows a namespace that a request names, when the source can look it up
   * (the informer may lag a namespace created a moment ago). Resolves either way.
   */
  ensureNamespace?(name: string): Promise<void>;
  /** Called after a config reload (e.g. to backfill policies for new pipelines). */
  configChanged?(): void;
  /** What this source is, for logs: "manifests under X" or "cluster at Y". */
  readonly description: string;
}

/** A view that never changes: built once from manifests. */
export function staticViewSource(view: IndexedView, description: string): ViewSource {
  return {
    view,
    description,
    synced: () => true,
    start: async () => undefined,
    stop: async () => undefined,
  };
}
