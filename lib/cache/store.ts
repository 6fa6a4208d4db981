/**
 * An in-memory store of cache entries: keys (see `cacheKey`) holding
 * variants newest first, least-recently-used eviction by bytes across all
 * variants. It knows nothing of HTTP semantics beyond `varyId`.
 *
 * @module
 */

import type { StoredResponse } from "./entry.ts";

/** Bytes charged per stored variant on top of its body and header bytes. */
export const ENTRY_OVERHEAD = 512;

/**
 * The bytes a variant counts for: its body length, its header bytes as sent
 * (`name: value\r\n`, in UTF-16 code units, one per byte for latin-1) and
 * {@linkcode ENTRY_OVERHEAD}.
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { createEntry } from "./entry.ts";
 * import { entrySize } from "./store.ts";
 * const h = new HeaderList();
 * h.append("Date", "Thu, 01 Jan 1970 00:00:00 GMT");
 * const e = createEntry({ headers: new HeaderList() }, { status: 200, reason: "OK", headers: h }, {
 *   requestTime: 0,
 *   responseTime: 0,
 *   bodyLength: 100,
 * });
 * entrySize(e); // 100 + 37 + 512 = 649
 * ```
 */
export function entrySize(entry: StoredResponse): number {
  let n = entry.bodyLength + ENTRY_OVERHEAD + entry.reason.length;
  const h = entry.headers;
  for (let i = 0; i < h.size; i++) n += h.names[i].length + h.values[i].length + 4;
  return n;
}

/** One variant in the LRU order. */
interface Slot {
  key: string;
  entry: StoredResponse;
  bytes: number;
}

/**
 * The store. Every operation is O(variants of the key) apart from eviction,
 * which is O(1) per evicted variant (a `Map` keeps the recency order).
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { createEntry } from "./entry.ts";
 * import { CacheStore } from "./store.ts";
 * const store = new CacheStore(1 << 20, 1 << 16);
 * const e = createEntry({ headers: new HeaderList() }, { status: 200, reason: "OK", headers: new HeaderList() }, {
 *   requestTime: 0,
 *   responseTime: 0,
 * });
 * store.put("http://a.example/", e); // true
 * store.get("http://a.example/").length; // 1
 * store.delete("http://a.example/"); // 1
 * ```
 */
export class CacheStore {
  #maxBytes: number;
  #maxObjectBytes: number;
  #bytes = 0;
  #count = 0;
  #released = 0;
  /** Variants of each key, newest first. */
  #keys = new Map<string, Slot[]>();
  /** Every variant, least recently used first. */
  #lru = new Map<Slot, true>();

  /**
   * @param maxBytes the bound on the total of {@linkcode entrySize}; 0 disables the store.
   * @param maxObjectBytes the largest single variant accepted.
   */
  constructor(maxBytes: number, maxObjectBytes: number) {
    this.#maxBytes = Math.max(0, maxBytes);
    this.#maxObjectBytes = Math.max(0, maxObjectBytes);
  }

  /** Number of keys. */
  get size(): number {
    return this.#keys.size;
  }

  /** Number of variants across all keys. */
  get count(): number {
    return this.#count;
  }

  /** Bytes in use (see {@linkcode entrySize}). */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Bytes of entries removed so far (evicted, replaced, deleted): memory that
   * is garbage until the next full collection.
   */
  get released(): number {
    return this.#released;
  }

  /** The bound on {@linkcode CacheStore.bytes}. */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** Whether anything is stored under `key` (without marking it used). */
  has(key: string): boolean {
    return this.#keys.has(key);
  }

  /** The variants of `key`, newest first (empty when none); marks them recently used. */
  get(key: string): StoredResponse[] {
    const slots = this.#keys.get(key);
    if (!slots) return [];
    for (const s of slots) {
      this.#lru.delete(s);
      this.#lru.set(s, true);
    }
    return slots.map((s) => s.entry);
  }

  /**
   * Stores `entry` under `key` as its newest variant, replacing a variant
   * with the same `varyId` (or the very same entry object), then evicts the
   * least recently used variants until the total fits. Returns false (and
   * stores nothing) when the store is disabled or the entry is larger than
   * `maxObjectBytes` or `maxBytes`; a replaced variant is then removed too,
   * as it is outdated.
   */
  put(key: string, entry: StoredResponse): boolean {
    const bytes = entrySize(entry);
    const slots = this.#keys.get(key) ?? [];
    const old = slots.findIndex((s) => s.entry === entry || s.entry.varyId === entry.varyId);
    if (old >= 0) this.#remove(slots, old);
    if (this.#maxBytes === 0 || bytes > this.#maxObjectBytes || bytes > this.#maxBytes) {
      if (slots.length === 0) this.#keys.delete(key);
      return false;
    }
    const slot: Slot = { key, entry, bytes };
    slots.unshift(slot);
    this.#keys.set(key, slots);
    this.#lru.set(slot, true);
    this.#bytes += bytes;
    this.#count++;
    while (this.#bytes > this.#maxBytes) {
      const lru = this.#lru.keys().next().value as Slot;
      const list = this.#keys.get(lru.key)!;
      this.#remove(list, list.indexOf(lru));
      if (list.length === 0) this.#keys.delete(lru.key);
    }
    return true;
  }

  /** Removes every variant of `key` (PURGE, invalidation); returns how many. */
  delete(key: string): number {
    const slots = this.#keys.get(key);
    if (!slots) return 0;
    const n = slots.length;
    while (slots.length > 0) this.#remove(slots, 0);
    this.#keys.delete(key);
    return n;
  }

  /** Removes one variant of `key` (e.g. after a HEAD showed it outdated); whether it was there. */
  deleteVariant(key: string, entry: StoredResponse): boolean {
    const slots = this.#keys.get(key);
    const i = slots ? slots.findIndex((s) => s.entry === entry) : -1;
    if (!slots || i < 0) return false;
    this.#remove(slots, i);
    if (slots.length === 0) this.#keys.delete(key);
    return true;
  }

  /** Removes everything. */
  clear(): void {
    this.#keys.clear();
    this.#lru.clear();
    this.#bytes = 0;
    this.#count = 0;
  }

  #remove(slots: Slot[], i: number): void {
    const [s] = slots.splice(i, 1);
    this.#lru.delete(s);
    this.#bytes -= s.bytes;
    this.#released += s.bytes;
    this.#count--;
  }
}
