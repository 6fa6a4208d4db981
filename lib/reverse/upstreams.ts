/**
 * The `--upstream` servers of a reverse proxy and their passive health:
 * round-robin over the servers not marked down; a server that refused or
 * timed out is skipped for `--upstream-down-time`. The clock is the
 * caller's (`now` in milliseconds). Sans-io.
 *
 * @module
 */

/** One server's state, for status pages and logs. */
export interface UpstreamState {
  /** The server, as configured (`host:port`). */
  upstream: string;
  /** How much longer it is skipped (ms); 0 when it is up. */
  downForMs: number;
}

/**
 * Round-robin over `--upstream` servers with passive health checks, as
 * nginx's `upstream` block with `max_fails=1 fail_timeout=--upstream-down-time`:
 *
 * - {@linkcode pick} returns the next server in turn that is not marked down
 *   and not already tried for this request;
 * - {@linkcode markDown} after a refusal or connect timeout skips the server
 *   for `downMs` (0: never skipped); {@linkcode markUp} after a response
 *   clears the mark;
 * - a lone server is never marked down (nginx ignores `max_fails` for one
 *   server too): skipping it would only turn a retry into a certain 502;
 * - when every server left is down, {@linkcode pick} returns `null` and the
 *   caller answers 502 `upstream-unreachable` at once rather than wait on a
 *   server that just failed; marks expire on their own after `downMs`.
 *
 * @example
 * ```ts
 * import { UpstreamSet } from "./upstreams.ts";
 * const set = new UpstreamSet(["10.0.0.1:8000", "10.0.0.2:8000"], 10_000);
 * set.pick(0); // "10.0.0.1:8000"
 * set.markDown("10.0.0.2:8000", 0);
 * set.pick(1); // "10.0.0.1:8000": .2 is skipped
 * set.pick(10_000); // "10.0.0.2:8000": its 10 s are over
 * ```
 */
export class UpstreamSet {
  #list: readonly string[];
  #downUntil: number[];
  #downMs: number;
  #next = 0;

  /** The servers (`Config.upstreams`) and how long a failed one is skipped (`Config.upstreamDownMs`). */
  constructor(upstreams: readonly string[], downMs: number) {
    this.#list = [...upstreams];
    this.#downUntil = upstreams.map(() => -Infinity);
    this.#downMs = downMs;
  }

  /** The number of servers. */
  get size(): number {
    return this.#list.length;
  }

  /** The servers, in configured order. */
  get upstreams(): readonly string[] {
    return this.#list;
  }

  /**
   * The next server in turn that is up at `now` and not in `tried` (the
   * servers this request already failed on), or `null` when there is none.
   *
   * @example
   * ```ts
   * import { UpstreamSet } from "./upstreams.ts";
   * const set = new UpstreamSet(["a:80", "b:80"], 10_000);
   * const tried = new Set<string>();
   * for (let u = set.pick(0, tried); u !== null; u = set.pick(0, tried)) {
   *   tried.add(u); // connect to u; on success, stop; on refusal, set.markDown(u, 0)
   * }
   * ```
   */
  pick(now: number, tried?: ReadonlySet<string>): string | null {
    const n = this.#list.length;
    for (let k = 0; k < n; k++) {
      const i = (this.#next + k) % n;
      const u = this.#list[i];
      if (this.#downUntil[i] > now || tried?.has(u)) continue;
      this.#next = (i + 1) % n;
      return u;
    }
    return null;
  }

  /** Skips `upstream` until `now + downMs` (no effect on a lone server, or with `downMs` 0). */
  markDown(upstream: string, now: number): void {
    const i = this.#list.indexOf(upstream);
    if (i < 0 || this.#list.length === 1) return;
    this.#downUntil[i] = Math.max(this.#downUntil[i], now + this.#downMs);
  }

  /** Clears the down mark of `upstream` (it answered). */
  markUp(upstream: string): void {
    const i = this.#list.indexOf(upstream);
    if (i >= 0) this.#downUntil[i] = -Infinity;
  }

  /** Whether `upstream` is skipped at `now`. */
  isDown(upstream: string, now: number): boolean {
    const i = this.#list.indexOf(upstream);
    return i >= 0 && this.#downUntil[i] > now;
  }

  /** Every server with how much longer it is skipped at `now`. */
  states(now: number): UpstreamState[] {
    return this.#list.map((upstream, i) => ({
      upstream,
      downForMs: Math.max(0, this.#downUntil[i] - now),
    }));
  }

  /**
   * A set for a reloaded configuration that keeps the down marks of the
   * servers still configured (and the turn), so a SIGHUP does not send
   * traffic back to a server that just failed.
   */
  reconfigure(upstreams: readonly string[], downMs: number): UpstreamSet {
    const next = new UpstreamSet(upstreams, downMs);
    if (next.#list.length === 1) return next; // a lone server is never down
    next.#list.forEach((u, i) => {
      const j = this.#list.indexOf(u);
      if (j >= 0) next.#downUntil[i] = this.#downUntil[j];
    });
    next.#next = this.#next % Math.max(1, next.#list.length);
    return next;
  }
}
