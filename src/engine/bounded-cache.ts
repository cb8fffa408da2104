// A least-recently-used cache bounded both in entries and in bytes (an estimate the caller
// gives per entry), so that no input can grow it without limit. Map keeps insertion order, so
// the first key is always the least recently used one.

export interface BoundedCacheOptions {
  readonly maxEntries: number;
  /** The sum of the entries' weights may not exceed this. */
  readonly maxBytes: number;
}

export class BoundedCache<K, V> {
  private readonly entries = new Map<K, { readonly value: V; readonly bytes: number }>();
  private weight = 0;
  readonly maxEntries: number;
  readonly maxBytes: number;

  constructor({ maxEntries, maxBytes }: BoundedCacheOptions) {
    if (!(maxEntries >= 0) || !(maxBytes >= 0)) throw new RangeError('BoundedCache: maxEntries and maxBytes must be >= 0');
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The sum of the weights of the entries held. */
  get bytes(): number {
    return this.weight;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** The value, which becomes the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /**
   * Stores the value as the most recently used, evicting the least recently used entries until
   * both bounds hold. A value heavier than the whole byte budget is not stored at all.
   */
  set(key: K, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.maxBytes || this.maxEntries === 0) return;
    this.entries.set(key, { value, bytes });
    this.weight += bytes;
    while (this.entries.size > this.maxEntries || this.weight > this.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }

  delete(key: K): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.entries.delete(key);
    this.weight -= entry.bytes;
    return true;
  }

  clear(): void {
    this.entries.clear();
    this.weight = 0;
  }
}
