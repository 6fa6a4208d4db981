/**
 * The limit on failed proxy logins per client address
 * (`--auth-max-failures` per `--auth-failure-window`): a client that has used
 * up its failures is refused at once (429 with `Retry-After`) instead of
 * costing another bcrypt verification.
 *
 * Sans-io: the clock and the warning sink are injected.
 *
 * @module
 */

import { logger } from "../log.ts";

/** Tuning for {@linkcode LoginLimiter}. */
export interface LoginLimiterOptions {
  /** Failed verifications allowed per client and window; 0 turns the limit off. Default 5. */
  maxFailures?: number;
  /** The sliding window failures are counted over, in ms; 0 turns the limit off. Default 60 s. */
  windowMs?: number;
  /** Most client addresses remembered; the least recently seen go first. Default 10,000. */
  maxClients?: number;
  /** The clock, in ms. Default `Date.now`. */
  now?: () => number;
  /** Where the once-per-client-and-window warning goes. Default: the `sluice.auth` logger. */
  warn?: (message: string) => void;
}

/** What one client has done lately. */
interface ClientEntry {
  /** When its failed verifications happened, oldest first, within the window. */
  failures: number[];
  /** Its verifications running now (they may still fail, so they count). */
  running: number;
  /** No new warning about this client before this time. */
  quietUntil: number;
}

const log = logger("auth");

/** An IPv4-mapped IPv6 address (`::ffff:10.1.2.3`) as IPv4, so both listeners count alike. */
function clientKey(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1] : ip;
}

/**
 * Counts failed password verifications per client address in a sliding
 * window and refuses new ones beyond the limit.
 *
 * - {@linkcode LoginLimiter.refusal} is asked before a verification; when the
 *   client's failures in the window plus its running verifications reach
 *   `maxFailures`, it answers how many seconds to wait (`Retry-After`). Running
 *   verifications count, so a client sending guesses in parallel still gets
 *   at most `maxFailures` of them verified.
 * - {@linkcode LoginLimiter.begin} and {@linkcode LoginLimiter.settle} frame
 *   a verification; a success forgets the client's failures.
 * - The table holds at most `maxClients` addresses: entries with nothing left
 *   in the window are dropped as new clients come, and beyond the bound the
 *   least recently seen client goes, so a spray of addresses cannot grow
 *   memory without bound.
 * - The first refusal of a client logs one warning; more refusals of that
 *   client within the window log nothing.
 *
 * {@linkcode LoginLimiter.withLimits} makes a limiter with other limits over
 * the same table: a reload changes the limits without forgetting who failed.
 *
 * @example
 * ```ts
 * import { LoginLimiter } from "./login_limiter.ts";
 * const limiter = new LoginLimiter({ maxFailures: 1, warn: () => {} });
 * limiter.begin("10.1.2.3");
 * limiter.settle("10.1.2.3", false);
 * console.log(limiter.refusal("10.1.2.3")); // 60 (seconds to wait)
 * ```
 */
export class LoginLimiter {
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #maxClients: number;
  readonly #now: () => number;
  readonly #warn: (message: string) => void;
  #clients = new Map<string, ClientEntry>();

  /** Creates a limiter with an empty table. */
  constructor(options: LoginLimiterOptions = {}) {
    this.#maxFailures = options.maxFailures ?? 5;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxClients = Math.max(1, options.maxClients ?? 10_000);
    this.#now = options.now ?? Date.now;
    this.#warn = options.warn ?? ((message) => log.warning(message));
  }

  /** Whether it limits anything (neither `maxFailures` nor `windowMs` is 0). */
  get enabled(): boolean {
    return this.#maxFailures > 0 && this.#windowMs > 0;
  }

  /** How many client addresses are remembered (for tests and metrics). */
  get size(): number {
    return this.#clients.size;
  }

  /**
   * A limiter with these limits sharing this one's table (and clock, bound and
   * warning sink).
   */
  withLimits(maxFailures: number, windowMs: number): LoginLimiter {
    const next = new LoginLimiter({
      maxFailures,
      windowMs,
      maxClients: this.#maxClients,
      now: this.#now,
      warn: this.#warn,
    });
    next.#clients = this.#clients;
    return next;
  }

  /**
   * Whether the client at `ip` may have a new verification: 0 when it may,
   * else the seconds until one more would be let through (for `Retry-After`;
   * at least 1). The first refusal in a window logs a warning.
   */
  refusal(ip: string): number {
    if (!this.enabled) return 0;
    const key = clientKey(ip);
    const entry = this.#clients.get(key);
    if (entry === undefined) return 0;
    const now = this.#now();
    this.#expire(entry, now);
    const failures = entry.failures.length;
    if (failures + entry.running < this.#maxFailures) return 0;
    if (failures < this.#maxFailures) return 1; // its running verifications decide soon
    const frees = entry.failures[failures - this.#maxFailures] + this.#windowMs;
    const retryAfter = Math.max(1, Math.ceil((frees - now) / 1000));
    if (now >= entry.quietUntil) {
      entry.quietUntil = now + this.#windowMs;
      this.#warn(
        `Too many failed proxy logins from ${key}: ${failures} in ${
          seconds(this.#windowMs)
        } s; refusing further attempts for ${retryAfter} s`,
      );
    }
    return retryAfter;
  }

  /** Notes that a verification for the client at `ip` starts; pair with {@linkcode settle}. */
  begin(ip: string): void {
    if (!this.enabled) return;
    const key = clientKey(ip);
    const entry = this.#take(key) ?? { failures: [], running: 0, quietUntil: 0 };
    entry.running++;
    this.#put(key, entry);
  }

  /**
   * Notes how a verification begun for the client at `ip` ended: a failure
   * (`false`) counts against it, a success (`true`) forgets its failures,
   * `null` (the check itself broke) only ends it.
   */
  settle(ip: string, ok: boolean | null): void {
    if (!this.enabled) return;
    const key = clientKey(ip);
    const now = this.#now();
    const entry = this.#take(key) ?? { failures: [], running: 1, quietUntil: 0 };
    entry.running = Math.max(0, entry.running - 1);
    if (ok === true) {
      entry.failures = [];
      entry.quietUntil = 0;
    } else if (ok === false) {
      entry.failures.push(now);
    }
    this.#expire(entry, now);
    if (entry.failures.length > 0 || entry.running > 0) this.#put(key, entry);
  }

  /** Drops the failures of `entry` that have left the window. */
  #expire(entry: ClientEntry, now: number): void {
    let drop = 0;
    while (drop < entry.failures.length && entry.failures[drop] + this.#windowMs <= now) drop++;
    if (drop > 0) entry.failures.splice(0, drop);
  }

  /** Removes and returns the entry of `key` (to put it back as the most recent). */
  #take(key: string): ClientEntry | undefined {
    const entry = this.#clients.get(key);
    if (entry !== undefined) this.#clients.delete(key);
    return entry;
  }

  /** Stores `entry` as the most recently seen, making room first. */
  #put(key: string, entry: ClientEntry): void {
    if (this.#clients.size >= this.#maxClients) {
      const now = this.#now();
      // least recently seen first: drop those with nothing left to count
      for (const [k, e] of this.#clients) {
        this.#expire(e, now);
        if (e.failures.length > 0 || e.running > 0) break;
        this.#clients.delete(k);
      }
      while (this.#clients.size >= this.#maxClients) {
        this.#clients.delete(this.#clients.keys().next().value as string);
      }
    }
    this.#clients.set(key, entry);
  }
}

/** Milliseconds as seconds, without a needless fraction. */
function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
