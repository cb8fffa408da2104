// A reflector: list, then watch from the list's resourceVersion, forever. A 410 Gone or any
// watch error leads to a fresh list (with backoff on errors), so the view heals itself after
// API server restarts and compactions.
import type { Logger } from '../shared/observability.js';

export interface ListResult<T> {
  readonly items: readonly T[];
  readonly metadata?: { readonly resourceVersion?: string | undefined } | undefined;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** Starts a watch; `onEvent` gets each event, `onDone` the error (or null) when the stream ends. */
export type WatchFn = (resourceVersion: string, onEvent: (type: string, object: unknown) => void, onDone: (err: unknown) => void) => Promise<{ abort(): void }>;

export interface ReflectorOptions<T> {
  readonly name: string;
  readonly list: () => Promise<ListResult<T>>;
  readonly watch: WatchFn;
  /** The full state after a (re)list. */
  readonly onReplace: (items: readonly T[]) => void;
  readonly onEvent: (type: WatchEventType, object: T) => void;
  readonly logger: Logger;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

class GoneError extends Error {
  constructor() {
    super('resourceVersion too old (410 Gone)');
  }
}

function statusCode(err: unknown): number | undefined {
  const e = err as { statusCode?: number; code?: number | string; status?: number } | undefined;
  const code = e?.statusCode ?? e?.status ?? (typeof e?.code === 'number' ? e.code : undefined);
  return typeof code === 'number' ? code : undefined;
}

export class Reflector<T extends { metadata?: { resourceVersion?: string } }> {
  private stopped = false;
  private synced = false;
  private current: { abort(): void } | undefined;
  private wake: (() => void) | undefined;
  private readonly firstSync: Promise<void>;
  private markFirstSync!: () => void;
  /** Completed (re)lists, for tests and logs. */
  lists = 0;

  constructor(private readonly options: ReflectorOptions<T>) {
    this.firstSync = new Promise((resolve) => {
      this.markFirstSync = resolve;
    });
  }

  isSynced(): boolean {
    return this.synced;
  }

  /** Starts the loop; resolves once the first list has been applied. */
  start(): Promise<void> {
    void this.run();
    return this.firstSync;
  }

  stop(): void {
    this.stopped = true;
    this.current?.abort();
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    const initial = this.options.initialBackoffMs ?? 250;
    const max = this.options.maxBackoffMs ?? 30_000;
    let backoff = initial;
    const { logger, name } = this.options;
    while (!this.stopped) {
      try {
        const list = await this.options.list();
        if (this.stopped) return;
        this.options.onReplace(list.items);
        this.lists += 1;
        let resourceVersion = list.metadata?.resourceVersion ?? '';
        if (!this.synced) {
          this.synced = true;
          this.markFirstSync();
        }
        logger.debug({ event: 'relist', reflector: name, items: list.items.length, resourceVersion }, 'listed');
        backoff = initial;
        // Watch until the stream fails; a clean end (server timeout) just re-watches.
        for (;;) {
          const result = await this.watchOnce(resourceVersion, (rv) => {
            resourceVersion = rv;
          });
          if (this.stopped) return;
          if (result === null) continue;
          throw result;
        }
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof GoneError) {
          logger.info({ event: 'watch-gone', reflector: name }, 'watch expired (410 Gone); relisting');
          continue;
        }
        logger.warn(
          { event: 'watch-error', reflector: name, error: (err as Error)?.message ?? String(err), retryInMs: backoff },
          'list/watch failed; relisting after backoff',
        );
        await this.sleep(backoff);
        backoff = Math.min(max, backoff * 2);
      }
    }
  }

  /** Resolves with null on a clean end, or the error that ended the watch. */
  private watchOnce(resourceVersion: string, setVersion: (rv: string) => void): Promise<Error | null> {
    return new Promise((resolve) => {
      let gone = false;
      let failed: Error | undefined;
      let settled = false;
      const finish = (value: Error | null) => {
        if (settled) return;
        settled = true;
        this.current = undefined;
        resolve(value);
      };
      this.options
        .watch(
          resourceVersion,
          (type, object) => {
            if (type === 'ERROR') {
              // 410 Gone: relist at once. Any other error status: relist after backoff.
              if (statusCode(object) === 410) gone = true;
              else failed ??= new Error(`watch error event: ${JSON.stringify(object).slice(0, 300)}`);
              return;
            }
            const obj = object as T;
            const rv = obj.metadata?.resourceVersion;
            if (rv) setVersion(rv);
            if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') this.options.onEvent(type, obj);
          },
          (err) => {
            if (gone || statusCode(err) === 410) finish(new GoneError());
            else if (failed) finish(failed);
            else if (err) finish(err instanceof Error ? err : new Error(String((err as { message?: string })?.message ?? err)));
            else finish(null);
          },
        )
        .then(
          (handle) => {
            if (settled || this.stopped) handle.abort();
            else this.current = handle;
          },
          (err: unknown) => finish(statusCode(err) === 410 ? new GoneError() : err instanceof Error ? err : new Error(String(err))),
        );
    });
  }
}
