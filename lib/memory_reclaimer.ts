/**
 * Giving memory back after a spike. The serve task runs V8 with
 * `--no-memory-reducer` (the reducer's GCs under load cost p99), so after a
 * burst of connections the heap stays at its high-water mark, and the
 * buffers that died with it are only freed at the next full GC, which an idle
 * process never reaches. This module notices when the event loop has had no
 * new exchange for a few seconds after the heap grew, and runs a few full
 * collections of the "last-resort" flavor (exposed_gc.ts `reclaimingGc`):
 * a plain full collection frees the objects but V8 keeps the emptied pages
 * mapped for reuse, so RSS did not move; this one also unmaps them
 * (`deno task scale`: 10,000 connections, 60 s after closing, 257 -> 141 MiB).
 * Nothing happens while traffic flows, and nothing after a growth of less
 * than 64 MiB (see {@linkcode DEFAULT_RECLAIM}: a collection while idle costs
 * the next load its optimized code).
 *
 * {@linkcode ReclaimPlanner} is the sans-io decision; {@linkcode MemoryReclaimer}
 * samples `Deno.memoryUsage()` once a second and calls the `gc()` that
 * `--expose-gc` (in the serve and compile tasks) provides; without it, it
 * does nothing.
 *
 * @module
 */

import { reclaimingGc } from "./exposed_gc.ts";
import type { Deadline, Timers } from "./timers.ts";

/** When to reclaim. */
export interface ReclaimOptions {
  /** Quiet time (no new exchange or connection) before reclaiming, ms (default 3000). */
  quietMs: number;
  /** Full collections per reclaim, one a tick (default 4: V8 shrinks the heap, then unmaps the freed pages, over several). */
  passes: number;
  /** Growth of the resident set over the smallest figure seen that is worth a reclaim, bytes (default 64 MiB). */
  minGrowth: number;
}

/**
 * The defaults: 3 s quiet, 4 passes, 64 MiB growth. A full collection while
 * no connection is open lets V8 drop the hidden classes of the proxy's
 * per-connection objects, and with them the optimized code built on them
 * ("embedded weak objects cleared"): the next load runs 1-2 s of
 * recompilation (1 KiB keep-alive after a reclaim: 27k req/s and a 6 ms p99
 * in its first second, against 43k and 2 ms). So only a spike worth that is
 * reclaimed: 64 MiB, above what the bench's workloads leave (under 50), far
 * below a burst of 10,000 connections (about 250).
 */
export const DEFAULT_RECLAIM: Readonly<ReclaimOptions> = Object.freeze({
  quietMs: 3000,
  passes: 4,
  minGrowth: 64 * 1024 * 1024,
});

/**
 * Decides, at each sample, whether to run a full collection now.
 *
 * @example
 * ```ts
 * import { ReclaimPlanner } from "./memory_reclaimer.ts";
 * const p = new ReclaimPlanner({ quietMs: 3000, passes: 1, minGrowth: 10 });
 * p.sample(0, 0, 100); // false: the first figure is the floor
 * p.sample(1000, 5, 500); // false: traffic
 * p.sample(4000, 5, 500); // true: quiet for 3 s, 400 bytes above the floor
 * p.sample(5000, 5, 500); // false: one reclaim per quiet spell
 * ```
 */
export class ReclaimPlanner {
  readonly #opts: ReclaimOptions;
  #activity = -1;
  #lastActive = 0;
  /** The activity count when the last reclaim was considered (one per quiet spell). */
  #consideredAt = -1;
  /** The smallest footprint seen at the start or after a collection. */
  #floor = -1;
  #passesLeft = 0;

  /** Creates a planner with `opts` (defaults: {@linkcode DEFAULT_RECLAIM}). */
  constructor(opts: ReclaimOptions = DEFAULT_RECLAIM) {
    this.#opts = opts;
  }

  /** The smallest footprint seen at the start or after a collection (bytes; -1 before the first sample). */
  get floor(): number {
    return this.#floor;
  }

  /**
   * One sample: `now` (ms), `activity` (a counter that grows with every new
   * connection, exchange and close) and `footprint` (the resident set size,
   * bytes). Returns true when a full
   * collection should run now: once per quiet spell that follows activity,
   * if the footprint is `minGrowth` above the floor, then `passes - 1` more.
   */
  sample(now: number, activity: number, footprint: number): boolean {
    if (this.#floor < 0) {
      this.#floor = footprint;
      this.#consideredAt = activity;
    }
    if (activity !== this.#activity) {
      this.#activity = activity;
      this.#lastActive = now;
      this.#passesLeft = 0; // traffic is back: a reclaim under way stops
      return false;
    }
    if (now - this.#lastActive < this.#opts.quietMs) return false;
    if (this.#passesLeft > 0) {
      this.#passesLeft--;
      return true;
    }
    if (this.#consideredAt === activity) return false; // this quiet spell was handled
    this.#consideredAt = activity;
    if (footprint - this.#floor < this.#opts.minGrowth) return false;
    this.#passesLeft = this.#opts.passes - 1;
    return true;
  }

  /** Records the footprint after a collection (the floor is the smallest seen). */
  collected(footprint: number): void {
    if (footprint < this.#floor) this.#floor = footprint;
  }
}

/** The process's resident set size (what a shared machine feels). */
function footprint(): number {
  return Deno.memoryUsage().rss;
}

/**
 * Samples once a second on the server's timer walker and collects when the
 * planner says so.
 *
 * @example
 * ```ts ignore
 * const reclaimer = new MemoryReclaimer(timers, () => accepted + exchanges);
 * reclaimer.start();
 * // ... on shutdown:
 * reclaimer.stop();
 * ```
 */
export class MemoryReclaimer {
  readonly #planner: ReclaimPlanner;
  readonly #activity: () => number;
  readonly #tick: Deadline;
  readonly #gc: (() => void) | null;
  readonly #now: () => number;
  readonly #measure: () => number;
  #collections = 0;

  /**
   * A reclaimer on `timers`, watching the `activity` counter; `gc` defaults to
   * the one `--expose-gc` installs (none: the reclaimer never collects),
   * `measure` to the resident set size.
   */
  constructor(
    timers: Timers,
    activity: () => number,
    opts: ReclaimOptions = DEFAULT_RECLAIM,
    gc: (() => void) | null = reclaimingGc(),
    measure: () => number = footprint,
  ) {
    this.#measure = measure;
    this.#planner = new ReclaimPlanner(opts);
    this.#activity = activity;
    this.#gc = gc;
    this.#now = timers.now;
    this.#tick = timers.create(() => this.#sample(this.#now()));
  }

  /** Full collections run so far. */
  get collections(): number {
    return this.#collections;
  }

  /** Whether collecting is possible (`--expose-gc` was given). */
  get enabled(): boolean {
    return this.#gc !== null;
  }

  /**
   * Starts sampling (a no-op without `gc`). The first sample is taken now, so
   * the floor is the footprint before any traffic (sampled a second later, it
   * was already 165 MiB when 10,000 clients connected at once).
   */
  start(): void {
    if (this.#gc === null) return;
    this.#planner.sample(this.#now(), this.#activity(), this.#measure());
    this.#tick.arm("reclaim", 1000);
  }

  /** Stops sampling. */
  stop(): void {
    this.#tick.disarm();
  }

  #sample(now: number): void {
    this.#tick.arm("reclaim", 1000);
    if (!this.#planner.sample(now, this.#activity(), this.#measure())) return;
    this.#gc!();
    this.#collections++;
    this.#planner.collected(this.#measure());
  }
}
