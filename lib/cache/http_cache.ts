/**
 * The shared cache of one event loop: the store (LRU by bytes), the fills in
 * progress (for collapsing) and the options. Policy lives in the sans-io
 * modules beside it; the exchange that uses them is cache_exchange.ts.
 *
 * @module
 */

import { exposedGc } from "../exposed_gc.ts";
import type { HeaderList } from "../http1/headers.ts";
import type { StoredResponse } from "./entry.ts";
import { Fill } from "./fill.ts";
import type { PolicyOptions } from "./options.ts";
import { CacheStore } from "./store.ts";
import { varyMatches } from "./vary.ts";

/** How the cache is set up (from the command line). */
export interface CacheOptions {
  /** Bound of the store in bytes, overheads counted (0: no cache). */
  maxBytes: number;
  /** Largest body stored; larger ones stream past. */
  maxObjectBytes: number;
  /** How stale a stored response may be served when the origin cannot be reached (s). */
  maxStaleSeconds: number;
  /** Longest a request waits on another's fill for the same key before going itself (ms). */
  lockTimeoutMs: number;
}

/**
 * The cache.
 *
 * @example
 * ```ts
 * import { HttpCache } from "./http_cache.ts";
 * const cache = new HttpCache({
 *   maxBytes: 64 << 20,
 *   maxObjectBytes: 1 << 20,
 *   maxStaleSeconds: 604800,
 *   lockTimeoutMs: 5000,
 * });
 * cache.store.count; // 0
 * ```
 */
export class HttpCache {
  /** The stored responses. */
  readonly store: CacheStore;
  /** The options. */
  readonly options: CacheOptions;
  /** The policy options derived from them. */
  readonly policy: Partial<PolicyOptions>;
  readonly #fills = new Map<string, Fill>();
  readonly #gc: (() => void) | null;
  /** {@linkcode CacheStore.released} at the last collection. */
  #collectedAt = 0;

  /**
   * Creates an empty cache. `gc` (default: the one `--expose-gc` installs)
   * is called when a quarter of the cache's size has been evicted since the
   * last call: evicted bodies are garbage V8 would otherwise keep until its
   * heap, not the cache's bound, asks for a collection.
   */
  constructor(options: CacheOptions, gc: (() => void) | null = exposedGc()) {
    this.#gc = gc;
    this.options = options;
    this.store = new CacheStore(options.maxBytes, options.maxObjectBytes);
    this.policy = { maxStaleOnDisconnect: options.maxStaleSeconds };
  }

  /** The newest stored variant of `key` that the request's fields select, or null. */
  lookup(key: string, request: HeaderList): StoredResponse | null {
    for (const e of this.store.get(key)) if (varyMatches(e.vary, request)) return e;
    return null;
  }

  /** Whether anything is stored under `key` (some variant, selected or not). */
  has(key: string): boolean {
    return this.store.has(key);
  }

  /** The fill in progress for `key`, if any. */
  fillFor(key: string): Fill | undefined {
    return this.#fills.get(key);
  }

  /** Starts a fill for `key` (collapsing waits on it until {@linkcode HttpCache.endFill}). */
  startFill(key: string): Fill {
    const f = new Fill(this.options.maxObjectBytes);
    this.#fills.set(key, f);
    return f;
  }

  /** Ends `fill`: stores `entry` when given, and stops new requests from waiting on it. */
  endFill(key: string, fill: Fill, entry: StoredResponse | null): void {
    if (this.#fills.get(key) === fill) this.#fills.delete(key);
    if (entry) this.put(key, entry);
  }

  /** Stores `entry` (replacing its variant), collecting garbage when evictions call for it. */
  put(key: string, entry: StoredResponse): boolean {
    const ok = this.store.put(key, entry);
    this.#collectIfDue();
    return ok;
  }

  #collectIfDue(): void {
    const released = this.store.released;
    if (this.#gc === null || released - this.#collectedAt < this.options.maxBytes / 4) return;
    this.#collectedAt = released;
    this.#gc();
  }

  /** Removes every variant of each key (invalidation); returns how many were removed. */
  invalidate(keys: readonly string[]): number {
    let n = 0;
    for (const k of keys) n += this.store.delete(k);
    this.#collectIfDue();
    return n;
  }
}
