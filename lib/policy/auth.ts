/**
 * Proxy authentication (`--auth-file`): the check that decides between
 * letting a request through and answering 407 with
 * {@linkcode ProxyAuth.challenge} in `Proxy-Authenticate`, with its cache of
 * successful checks. The file format (auth_file.ts) and the Basic
 * credentials and bcrypt calls (credentials.ts) are re-exported here.
 *
 * Sans-io: no sockets, no file reads. The only outside call is the bcrypt
 * check, injected (`buildPolicy` passes the worker of bcrypt_worker.ts; the
 * default, `verifyPassword`, runs `bcryptjs` in the event loop). The limit on
 * failed logins per client is login_limiter.ts.
 *
 * @module
 */

import { createHash, timingSafeEqual } from "node:crypto";
import { isBcryptHash, parseAuthFile } from "./auth_file.ts";
import { type BasicCredentials, basicToken, decodeBasic, verifyPassword } from "./credentials.ts";
import type { LoginLimiter } from "./login_limiter.ts";

export * from "./auth_file.ts";
export * from "./credentials.ts";

/** The outcome of {@linkcode ProxyAuth.check}. */
export type AuthResult =
  | { ok: true; user: string }
  | {
    ok: false;
    /**
     * `auth-required`: no `Proxy-Authorization`, or not the `Basic` scheme.
     * `auth-failed`: malformed Basic credentials, an unknown user or a wrong
     * password (or too many verifications already running, see
     * {@linkcode ProxyAuthOptions.maxPending}).
     */
    reason: "auth-required" | "auth-failed";
    /** The user the client named, when its credentials could be decoded (for the log). */
    user?: string;
  }
  | {
    ok: false;
    /**
     * The client has used up its failed logins ({@linkcode ProxyAuthOptions.limiter}):
     * its credentials were not checked.
     */
    reason: "auth-rate-limited";
    /** Seconds until it may try again (`Retry-After`). */
    retryAfter: number;
    /** The user the client named. */
    user: string;
  };

/** Tuning for {@linkcode ProxyAuth}. */
export interface ProxyAuthOptions {
  /** Most users with a remembered successful login; 0 turns the cache off. Default 1024. */
  cacheSize?: number;
  /** How long a successful login is remembered, in ms, from its verification. Default 5 minutes. */
  cacheTtlMs?: number;
  /**
   * Most distinct password verifications running at once. Beyond it, a check
   * that neither hits the cache nor joins a running verification fails at once
   * as `auth-failed`, so a flood of guesses cannot queue unbounded bcrypt work.
   * Default 32.
   */
  maxPending?: number;
  /** The clock, in ms. Default `Date.now`. */
  now?: () => number;
  /** The password check. Default {@linkcode verifyPassword}; tests wrap it to count calls. */
  verify?: (password: string, hash: string) => Promise<boolean>;
  /**
   * The limit on failed verifications per client address. Default none. A
   * limited client's credentials are not verified (`auth-rate-limited`), but
   * a remembered successful login still lets it in: that costs no bcrypt.
   */
  limiter?: LoginLimiter | null;
}

interface CacheEntry {
  /** SHA-256 of the credentials token that verified. */
  digest: Buffer;
  /** When the entry stops counting, on the `now` clock. */
  expires: number;
}

const REQUIRED: AuthResult = Object.freeze({ ok: false, reason: "auth-required" });

/** A syntactically valid bcrypt hash of nothing anyone knows; its cost is put in front. */
const DUMMY_TAIL = "N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";

/**
 * Checks `Proxy-Authorization` values against a set of users with bcrypt
 * hashes.
 *
 * bcrypt is slow on purpose (cost 10 takes tens of milliseconds in
 * JavaScript, and blocks the event loop meanwhile), far too slow to run for
 * every request on a keep-alive connection. So successful logins are
 * remembered for {@linkcode ProxyAuthOptions.cacheTtlMs}:
 *
 * - Only successes are cached, so a client cannot fill the cache with guesses.
 * - The cache is keyed by user name (at most one entry per user, bounded by
 *   {@linkcode ProxyAuthOptions.cacheSize}, least recently used dropped first)
 *   and holds the SHA-256 digest of the credentials token, never the password
 *   or the header itself.
 * - A lookup digests the presented token and compares it with the stored
 *   digest using `timingSafeEqual`: the stored digest is secret-derived, and a
 *   byte-by-byte early-exit comparison would let a client learn it a byte at a
 *   time from response timing. The user name is not secret, so looking it up
 *   in a `Map` first is fine.
 * - Entries expire `cacheTtlMs` after their verification, used or not.
 *
 * Timing: an unknown user still costs one bcrypt comparison (against a dummy
 * hash with the users' most common cost), so response time does not tell
 * which users exist. Identical credentials arriving while they are being
 * verified share one verification, and at most
 * {@linkcode ProxyAuthOptions.maxPending} distinct verifications run at once.
 * With a {@linkcode ProxyAuthOptions.limiter}, a client address with too many
 * failures lately gets no new verification until its window lets one through.
 *
 * @example
 * ```ts
 * import { ProxyAuth } from "./auth.ts";
 * const auth = await ProxyAuth.fromFileText(
 *   "alice:$2y$04$bpu4oPcA9yZSIowGd8NhMu.lJwpuamnzi.UALgTewmbBf/04/HQ.q\n",
 *   "users.txt",
 *   "sluice",
 * );
 * const r = await auth.check("Basic " + btoa("alice:correct horse"));
 * if (!r.ok) console.log(407, auth.challenge); // Basic realm="sluice", charset="UTF-8"
 * ```
 */
export class ProxyAuth {
  readonly #users: Map<string, string>;
  readonly #challenge: string;
  readonly #dummy: string;
  readonly #cacheSize: number;
  readonly #cacheTtlMs: number;
  readonly #maxPending: number;
  readonly #now: () => number;
  readonly #verify: (password: string, hash: string) => Promise<boolean>;
  readonly #limiter: LoginLimiter | null;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #pending = new Map<string, Promise<AuthResult>>();

  /**
   * Creates a checker.
   *
   * @param users user name to bcrypt hash, as {@linkcode parseAuthFile} returns
   * @param realm the protection space named in the challenge; printable text
   * @throws {TypeError} when a hash is not bcrypt or the realm has control characters
   */
  constructor(users: Map<string, string>, realm: string, options: ProxyAuthOptions = {}) {
    for (const hash of users.values()) {
      if (!isBcryptHash(hash)) throw new TypeError("Cannot use auth users: a hash is not bcrypt");
    }
    for (let i = 0; i < realm.length; i++) {
      const c = realm.charCodeAt(i);
      if ((c < 0x20 && c !== 9) || c === 0x7f || c > 0xff) {
        throw new TypeError("Cannot use auth realm: control or non-Latin-1 character");
      }
    }
    this.#users = new Map(users);
    this.#challenge = `Basic realm="${realm.replace(/["\\]/g, "\\$&")}", charset="UTF-8"`;
    this.#dummy = `$2b$${commonCost(users)}$${DUMMY_TAIL}`;
    this.#cacheSize = options.cacheSize ?? 1024;
    this.#cacheTtlMs = options.cacheTtlMs ?? 5 * 60_000;
    this.#maxPending = options.maxPending ?? 32;
    this.#now = options.now ?? Date.now;
    this.#verify = options.verify ?? verifyPassword;
    this.#limiter = options.limiter ?? null;
  }

  /**
   * Parses an auth file ({@linkcode parseAuthFile}) and makes a checker.
   *
   * @throws {AuthFileError} when the file cannot be used
   */
  // deno-lint-ignore require-await
  static async fromFileText(
    text: string,
    source: string,
    realm: string,
    options?: ProxyAuthOptions,
  ): Promise<ProxyAuth> {
    return new ProxyAuth(parseAuthFile(text, source), realm, options);
  }

  /** The `Proxy-Authenticate` value for a 407: `Basic realm="...", charset="UTF-8"`. */
  get challenge(): string {
    return this.#challenge;
  }

  /** How many users have a remembered login (for tests and metrics). */
  get cached(): number {
    return this.#cache.size;
  }

  /**
   * Decides whether a request with this `Proxy-Authorization` value (or none)
   * from the client at `clientIp` may go on. Never throws for anything a
   * client sends.
   */
  check(headerValue: string | undefined, clientIp = ""): Promise<AuthResult> {
    if (headerValue === undefined) return Promise.resolve(REQUIRED);
    const token = basicToken(headerValue);
    if (token === null) return Promise.resolve(REQUIRED);
    const creds = decodeBasic(token);
    if (creds === null) return Promise.resolve({ ok: false, reason: "auth-failed" });
    const digest = createHash("sha256").update(token).digest();
    if (this.#cacheHit(creds.user, digest)) return Promise.resolve({ ok: true, user: creds.user });
    const retryAfter = this.#limiter?.refusal(clientIp) ?? 0;
    if (retryAfter > 0) {
      return Promise.resolve({
        ok: false,
        reason: "auth-rate-limited",
        retryAfter,
        user: creds.user,
      });
    }
    const key = digest.toString("hex");
    const running = this.#pending.get(key);
    if (running) return running;
    if (this.#pending.size >= this.#maxPending) {
      return Promise.resolve({ ok: false, reason: "auth-failed", user: creds.user });
    }
    const work = this.#limited(clientIp, () => this.#run(creds, digest))
      .finally(() => this.#pending.delete(key));
    this.#pending.set(key, work);
    return work;
  }

  /**
   * Runs a verification framed for the limiter: it counts while it runs, then
   * by its outcome (a verifier error is no outcome of the client's).
   */
  #limited(clientIp: string, run: () => Promise<AuthResult>): Promise<AuthResult> {
    const limiter = this.#limiter;
    if (limiter === null) return run();
    limiter.begin(clientIp);
    return run().then(
      (result) => {
        limiter.settle(clientIp, result.ok);
        return result;
      },
      (err) => {
        limiter.settle(clientIp, null);
        throw err;
      },
    );
  }

  async #run(creds: BasicCredentials, digest: Buffer): Promise<AuthResult> {
    const hash = this.#users.get(creds.user);
    // An unknown user costs the same bcrypt work as a known one.
    const ok = await this.#verify(creds.password, hash ?? this.#dummy);
    if (!ok || hash === undefined) return { ok: false, reason: "auth-failed", user: creds.user };
    this.#remember(creds.user, digest);
    return { ok: true, user: creds.user };
  }

  #cacheHit(user: string, digest: Buffer): boolean {
    const entry = this.#cache.get(user);
    if (entry === undefined) return false;
    if (entry.expires <= this.#now()) {
      this.#cache.delete(user);
      return false;
    }
    if (!timingSafeEqual(entry.digest, digest)) return false;
    // Most recently used goes last; eviction takes the first.
    this.#cache.delete(user);
    this.#cache.set(user, entry);
    return true;
  }

  #remember(user: string, digest: Buffer): void {
    if (this.#cacheSize <= 0) return;
    this.#cache.delete(user);
    while (this.#cache.size >= this.#cacheSize) {
      this.#cache.delete(this.#cache.keys().next().value as string);
    }
    this.#cache.set(user, { digest, expires: this.#now() + this.#cacheTtlMs });
  }
}

/** The bcrypt cost most users have (the higher on a tie), as two digits; "10" with no users. */
function commonCost(users: Map<string, string>): string {
  const counts = new Map<string, number>();
  for (const hash of users.values()) {
    const cost = hash.slice(4, 6);
    counts.set(cost, (counts.get(cost) ?? 0) + 1);
  }
  let best = "10";
  let bestCount = 0;
  for (const [cost, count] of counts) {
    if (count > bestCount || (count === bestCount && cost > best)) {
      [best, bestCount] = [cost, count];
    }
  }
  return best;
}
