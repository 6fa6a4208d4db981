/**
 * One response being stored while it is relayed: the body is copied as it
 * passes (a {@linkcode BodySink}), and requests for the same key that arrive
 * meanwhile wait on it instead of going to the origin (request collapsing,
 * after Squid's `collapsed_forwarding` and nginx's `proxy_cache_lock`).
 *
 * The fill decides once, at the response head, whether waiters may use it:
 * a response that will not be stored, or that is stale on arrival, releases
 * them all at once to go to the origin in parallel, so collapsing never
 * serializes. The entry becomes visible (in the store) only once complete and
 * its length checked; a failed fill stores nothing. No sockets here.
 *
 * @module
 */

import type { BodySink } from "../relay.ts";
import type { StoredResponse } from "./entry.ts";

/** What a waiter learns at the response head. */
export type FillVerdict =
  | {
    /** The response will be stored: stream it from the fill. */
    kind: "use";
    /** The entry being filled (its `body` is `null` until complete). */
    entry: StoredResponse;
    /** The body length when known in advance (`Content-Length`), else `null`. */
    length: number | null;
  }
  | {
    /** Go to the origin yourself. */
    kind: "origin";
  };

/**
 * A fill in progress.
 *
 * @example
 * ```ts ignore
 * const fill = new Fill(1024 * 1024);
 * fill.begin(entry, 5); // at the response head
 * fill.write(new TextEncoder().encode("hello"));
 * fill.finish(); // true: five bytes as announced
 * ```
 */
export class Fill implements BodySink {
  readonly #max: number;
  #verdict: FillVerdict | null = null;
  #body: Uint8Array;
  #received = 0;
  #state: "open" | "done" | "failed" = "open";
  #storing = false;
  #wakers: (() => void)[] = [];
  /** Requests that waited on this fill (for Cache-Status `collapsed`). */
  waiters = 0;

  /** A fill that stores at most `maxBytes` of body. */
  constructor(maxBytes: number) {
    this.#max = maxBytes;
    this.#body = new Uint8Array(0);
  }

  /** The verdict, once the head is known; `null` before. */
  get verdict(): FillVerdict | null {
    return this.#verdict;
  }

  /** Body bytes received so far. */
  get received(): number {
    return this.#received;
  }

  /** The body received so far (a view; do not keep it past the fill). */
  get body(): Uint8Array {
    return this.#body.subarray(0, this.#received);
  }

  /**
   * The complete body, to keep: the fill's own copy when it is exactly the
   * right size (a `Content-Length` body), else a trimmed copy.
   */
  take(): Uint8Array {
    const all = this.#body;
    return this.#received === all.length ? all : all.slice(0, this.#received);
  }

  /** "open" while the body arrives, then "done" or "failed". */
  get state(): "open" | "done" | "failed" {
    return this.#state;
  }

  /**
   * The head says the response is stored: the body is kept from now on.
   * With `share`, waiters stream from here; without (a response stale on
   * arrival, which cannot serve them), they go to the origin at once. `length`
   * is the announced body length (`null`: unknown until the end).
   */
  begin(entry: StoredResponse, length: number | null, share = true): void {
    if (this.#verdict) return;
    this.#verdict = share ? { kind: "use", entry, length } : { kind: "origin" };
    this.#storing = true;
    this.#body = new Uint8Array(Math.min(length ?? 16 * 1024, this.#max));
    this.#wake();
  }

  /** The head says the response is not stored (or not reusable): waiters go to the origin. */
  release(): void {
    if (!this.#verdict) this.#verdict = { kind: "origin" };
    if (this.#state === "open") this.#state = "failed";
    this.#wake();
  }

  /** Copies a window of body bytes (a body over the object limit fails the fill). */
  write(bytes: Uint8Array): void {
    if (this.#state !== "open" || !this.#storing) return;
    const need = this.#received + bytes.length;
    if (need > this.#max) {
      this.fail();
      return;
    }
    if (need > this.#body.length) {
      const next = new Uint8Array(Math.min(this.#max, Math.max(need, this.#body.length * 2)));
      next.set(this.body);
      this.#body = next;
    }
    this.#body.set(bytes, this.#received);
    this.#received = need;
    this.#wake();
  }

  /**
   * The body ended: true (and "done") when its length is the announced one,
   * else the fill fails. The complete body is then {@linkcode Fill.body}.
   */
  finish(): boolean {
    if (this.#state !== "open" || !this.#storing) return false;
    const v = this.#verdict;
    const length = v?.kind === "use" ? v.length : null;
    if (length !== null && length !== this.#received) {
      this.fail();
      return false;
    }
    this.#state = "done";
    this.#wake();
    return true;
  }

  /** The fill cannot complete (origin failure, a body too large): nothing is stored. */
  fail(): void {
    if (this.#state !== "open") return;
    this.#state = "failed";
    if (!this.#verdict) this.#verdict = { kind: "origin" };
    this.#wake();
  }

  /**
   * Resolves at the next change (verdict, bytes, end), or after `ms`
   * milliseconds at most; resolves at once when the fill has ended.
   */
  changed(ms: number): Promise<void> {
    if (this.#state !== "open") return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.#wakers.push(done);
    });
  }

  #wake(): void {
    const w = this.#wakers;
    if (w.length === 0) return;
    this.#wakers = [];
    for (const f of w) f();
  }
}
