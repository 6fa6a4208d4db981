/**
 * Idle keep-alive upstream connections, keyed by `host:port`, for later
 * exchanges to reuse. Each idle connection keeps one read pending into its own
 * buffer: if the origin closes it (or sends anything unasked) while it waits,
 * the read completes and the connection leaves the pool at once. A connection
 * that is taken hands that pending read to its new exchange, which consumes it
 * as its first read.
 *
 * @module
 */

import type { ByteBuffer } from "../buffer.ts";
import type { Duplex } from "../exchange.ts";
import type { Deadline, Timers } from "../timers.ts";
import { readSome } from "../socket_ops.ts";

/** Pool limits. */
export interface PoolOptions {
  /** Most idle connections kept for one origin. */
  maxPerOrigin: number;
  /** Most idle connections kept in all. */
  maxTotal: number;
  /** An idle connection is closed after this (ms). */
  idleTimeoutMs: number;
}

/** An idle upstream connection, or one just taken from the pool. */
export interface Pooled {
  /** The socket. */
  readonly conn: Duplex;
  /** Its read buffer (empty while idle; the pending read fills it). */
  readonly buf: ByteBuffer;
  /** The read started when it went idle (bytes read, 0 at end of stream); the taker awaits it first. */
  pending: Promise<number>;
  /** When it went idle (`Timers.now()` clock). */
  since: number;
  /** Whether it is still in the pool. */
  idle: boolean;
}

/**
 * The pool.
 *
 * @example
 * ```ts ignore
 * const pool = new UpstreamPool({ maxPerOrigin: 32, maxTotal: 512, idleTimeoutMs: 30_000 }, timers);
 * const reused = pool.take("example.com:80");
 * // ... after a clean response:
 * pool.put("example.com:80", conn, buf);
 * ```
 */
export class UpstreamPool {
  readonly #opts: PoolOptions;
  readonly #timers: Timers;
  readonly #idle = new Map<string, Pooled[]>();
  readonly #sweep: Deadline;
  #size = 0;
  #closed = false;

  /** Creates an empty pool whose idle timeout runs on `timers`. */
  constructor(opts: PoolOptions, timers: Timers) {
    this.#opts = opts;
    this.#timers = timers;
    this.#sweep = timers.create(() => this.#expire());
  }

  /** Number of idle connections. */
  get size(): number {
    return this.#size;
  }

  /** Number of origins the pool keeps a list for (an emptied list stays until the next sweep). */
  get origins(): number {
    return this.#idle.size;
  }

  /** Takes the most recently idled live connection for `key`, or `null`. */
  take(key: string): Pooled | null {
    const list = this.#idle.get(key);
    if (list === undefined || list.length === 0) return null;
    const p = list.pop()!;
    // an emptied list stays until the sweep: deleting and re-adding the key on
    // every take and put rebuilt the map's table each time, in the old generation
    this.#size--;
    p.idle = false;
    return p;
  }

  /**
   * Keeps `conn` (with its empty buffer `buf`) for reuse. Returns false, and
   * keeps nothing, when the pool is full or closed: the caller closes it.
   */
  put(key: string, conn: Duplex, buf: ByteBuffer): boolean {
    if (this.#closed || this.#opts.maxTotal === 0) return false;
    let list = this.#idle.get(key);
    if (list !== undefined && list.length >= this.#opts.maxPerOrigin) return false;
    if (this.#size >= this.#opts.maxTotal) this.#evictOldest();
    buf.clear();
    // anything that completes the read while idle (FIN, reset, stray bytes) ends
    // it; the taker awaits the read itself, not a promise chained on it (one
    // reaction less on every reused connection): the watch is a second reaction
    const read = readSome(conn, buf.free());
    const p: Pooled = { conn, buf, pending: read, since: this.#timers.now(), idle: true };
    const settled = () => {
      if (p.idle) this.#drop(key, p);
    };
    read.then(settled, settled);
    if (list === undefined) this.#idle.set(key, list = []);
    list.push(p);
    this.#size++;
    if (this.#sweep.kind === null) this.#sweep.arm("pool-idle", this.#opts.idleTimeoutMs);
    return true;
  }

  #drop(key: string, p: Pooled): void {
    const list = this.#idle.get(key);
    const i = list ? list.indexOf(p) : -1;
    if (i < 0) return;
    list!.splice(i, 1);
    this.#size--;
    p.idle = false;
    close(p.conn);
  }

  #evictOldest(): void {
    let oldest: [string, Pooled] | null = null;
    for (const [key, list] of this.#idle) {
      if (list.length > 0 && (oldest === null || list[0].since < oldest[1].since)) {
        oldest = [key, list[0]];
      }
    }
    if (oldest) this.#drop(oldest[0], oldest[1]);
  }

  /** Closes the connections idle for longer than the timeout (the sweep deadline). */
  #expire(): void {
    const cutoff = this.#timers.now() - this.#opts.idleTimeoutMs;
    for (const [key, list] of [...this.#idle]) {
      for (const p of [...list]) if (p.since <= cutoff) this.#drop(key, p);
      if (list.length === 0) this.#idle.delete(key);
    }
    if (this.#size > 0) this.#sweep.arm("pool-idle", Math.max(1, this.#opts.idleTimeoutMs / 4));
  }

  /** Closes every idle connection and keeps no more (on drain). */
  close(): void {
    this.#closed = true;
    this.flush();
  }

  /**
   * Closes every idle connection but goes on pooling (on reload: connections
   * dialled under the old destination rules are not reused under new ones).
   */
  flush(): void {
    this.#sweep.disarm();
    for (const [key, list] of [...this.#idle]) for (const p of [...list]) this.#drop(key, p);
    this.#idle.clear();
  }
}

function close(conn: Duplex): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
