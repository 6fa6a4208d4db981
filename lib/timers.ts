/**
 * Every deadline of the proxy in one place (after nginx's timer tree): each
 * connection owns one {@linkcode Deadline} that it re-arms as its exchange
 * moves on; one interval timer walks the armed deadlines and fires the due
 * ones. No timer per read, no timer per connection.
 *
 * @module
 */

import { now as clockNow } from "./clock.ts";

/** What a deadline guards. */
export type DeadlineKind =
  | "idle" // a keep-alive client connection waiting for its next request
  | "header" // a request head that is still arriving
  | "connect" // resolving and connecting to the origin
  | "first-byte" // the origin's response, after the request was sent
  | "stall" // a body that stopped moving in both directions
  | "tunnel-idle" // a CONNECT tunnel with no traffic
  | "pool-idle" // the upstream pool's sweep of idle connections
  | "reclaim"; // the memory reclaimer's once-a-second sample

/**
 * One armed-or-not deadline. `onExpire` runs from the timer tick; for the
 * progress-based kinds it may re-arm instead of acting.
 */
export class Deadline {
  /** When it expires (`now()` clock, ms); `Infinity` when disarmed. */
  at = Infinity;
  /** What it guards, while armed. */
  kind: DeadlineKind | null = null;
  /** Length of the current arming (ms), for re-arming on progress. */
  ms = 0;
  /** @internal Whether the walker's set holds it (it stays there, disarmed, until the next tick). */
  tracked = false;
  readonly #timers: Timers;
  readonly #onExpire: (kind: DeadlineKind) => void;

  /** Use {@linkcode Timers.create}. */
  constructor(timers: Timers, onExpire: (kind: DeadlineKind) => void) {
    this.#timers = timers;
    this.#onExpire = onExpire;
  }

  /** Arms (or re-arms) the deadline `ms` from now. */
  arm(kind: DeadlineKind, ms: number): void {
    this.kind = kind;
    this.ms = ms;
    this.at = this.#timers.now() + ms;
    this.#timers.track(this);
  }

  /** Pushes the expiry `ms` (the current arming length) further from now. */
  extend(): void {
    if (this.kind !== null) this.at = this.#timers.now() + this.ms;
  }

  /** Disarms it. */
  disarm(): void {
    this.at = Infinity;
    this.kind = null;
    // it stays in the walker's set until the next tick (Timers.track)
  }

  /**
   * Disarms it and takes it out of the walker's set at once: for a deadline
   * whose owner is done (a closed connection), so that nothing it references
   * waits for the next tick to be freed.
   */
  dispose(): void {
    this.disarm();
    this.#timers.forget(this);
  }

  /** Called by the tick; disarms, then runs the handler. */
  fire(): void {
    const kind = this.kind;
    if (kind === null) return;
    this.disarm();
    this.#onExpire(kind);
  }
}

/**
 * The deadline walker.
 *
 * @example
 * ```ts
 * import { Timers } from "./timers.ts";
 * let t = 0;
 * const timers = new Timers(250, () => t);
 * const d = timers.create((kind) => console.log("expired:", kind));
 * d.arm("header", 1000);
 * t = 1500;
 * timers.tick(); // expired: header
 * ```
 */
export class Timers {
  /** Tick interval (ms): the resolution of every deadline. */
  readonly resolutionMs: number;
  /** The clock (ms). */
  readonly now: () => number;
  readonly #armed = new Set<Deadline>();
  #interval: ReturnType<typeof setInterval> | null = null;

  /** Creates a walker ticking every `resolutionMs` on the clock `now`. */
  constructor(resolutionMs = 250, now: () => number = clockNow) {
    this.resolutionMs = resolutionMs;
    this.now = now;
  }

  /** A new, disarmed deadline. */
  create(onExpire: (kind: DeadlineKind) => void): Deadline {
    return new Deadline(this, onExpire);
  }

  /** Number of armed deadlines. */
  get size(): number {
    let n = 0;
    for (const d of this.#armed) if (d.kind !== null) n++;
    return n;
  }

  /**
   * @internal Called by {@linkcode Deadline.arm}. A deadline enters the set
   * once; disarming leaves it there and the next tick takes it out, so the
   * arm/disarm pairs of every exchange cost no set operations.
   */
  track(d: Deadline): void {
    if (d.tracked) return;
    d.tracked = true;
    this.#armed.add(d);
  }

  /** @internal Called by {@linkcode Deadline.dispose}: out of the set now. */
  forget(d: Deadline): void {
    if (!d.tracked) return;
    d.tracked = false;
    this.#armed.delete(d);
  }

  /** Fires every deadline due at `now`; returns how many fired. A throwing handler does not stop the others. */
  tick(now: number = this.now()): number {
    let fired = 0;
    for (const d of this.#armed) {
      if (d.kind === null) {
        this.#armed.delete(d);
        d.tracked = false;
        continue;
      }
      if (d.at > now) continue;
      fired++;
      try {
        d.fire();
      } catch {
        // one connection's failure never touches another's
      }
    }
    return fired;
  }

  /** Starts the interval (idempotent); {@linkcode Timers.stop} ends it. */
  start(): void {
    if (this.#interval !== null) return;
    this.#interval = setInterval(() => this.tick(), this.resolutionMs);
  }

  /** Stops the interval. */
  stop(): void {
    if (this.#interval === null) return;
    clearInterval(this.#interval);
    this.#interval = null;
  }
}
