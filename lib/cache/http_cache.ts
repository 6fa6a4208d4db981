/**
 * The shared cache of one event loop: the store (LRU by bytes), the fills in
 * progress (for collapsing) and the options. Policy lives in the sans-io
 * modules beside it; the exchange that uses them is cache_exchange.ts.
 *
 * @module
 */

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

  /** Creates an empty cache. */
  constructor(options: CacheOptions) {
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
    return this.store.get(key).length > 0;
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
    if (entry) this.store.put(key, entry);
  }

  /** Removes every variant of each key (invalidation); returns how many were removed. */
  invalidate(keys: readonly string[]): number {
    let n = 0;
    for (const k of keys) n += this.store.delete(k);
    return n;
  }
}
