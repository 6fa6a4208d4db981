/**
 * Proxy authentication (`--auth-file`): the `user:bcrypt-hash` file format,
 * the `Proxy-Authorization: Basic` credentials (RFC 7617), and the check that
 * decides between letting a request through and answering 407 with
 * {@linkcode ProxyAuth.challenge} in `Proxy-Authenticate`.
 *
 * Sans-io: no sockets, no file reads. The only outside call is the bcrypt
 * library (`bcryptjs`, pure JavaScript).
 *
 * @module
 */

import bcrypt from "bcryptjs";
import { createHash, timingSafeEqual } from "node:crypto";
import { trimOws } from "../http1/headers.ts";

/**
 * A bcrypt hash as `htpasswd -B` (`$2y$`), OpenBSD (`$2b$`) or older tools
 * (`$2a$`) write it: a two-digit cost from 04 to 31, then 22 salt and 31 hash
 * characters of bcrypt's base64 alphabet.
 */
const BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$/;

/** bcrypt reads only this many bytes of a password; the rest is ignored. */
export const MAX_PASSWORD_BYTES = 72;

/**
 * Whether `hash` is a bcrypt hash this module can verify (`$2a$`, `$2b$` or
 * `$2y$`, cost 04 to 31).
 *
 * @example
 * ```ts
 * import { isBcryptHash } from "./auth.ts";
 * isBcryptHash("$2y$05$" + "a".repeat(53)); // true
 * isBcryptHash("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="); // false
 * ```
 */
export function isBcryptHash(hash: string): boolean {
  return BCRYPT_HASH.test(hash);
}

/**
 * An auth file that cannot be used. The message names the file and line
 * (`users.txt:3: ...`) and never contains a password or a hash.
 *
 * @example
 * ```ts
 * import { AuthFileError, parseAuthFile } from "./auth.ts";
 * try {
 *   parseAuthFile("alice:secret\n", "users.txt");
 * } catch (e) {
 *   if (e instanceof AuthFileError) console.error(e.message);
 *   // users.txt:1: Cannot parse auth line: expected user:bcrypt-hash (make one with: sluice hash-password alice)
 * }
 * ```
 */
export class AuthFileError extends Error {
  /** The file name as given to {@linkcode parseAuthFile}. */
  readonly source: string;
  /** The 1-based line the error is about, or `undefined` for the whole file. */
  readonly line: number | undefined;

  /** Creates the error; `message` is the full text, prefix included. */
  constructor(source: string, line: number | undefined, message: string) {
    super(message);
    this.name = "AuthFileError";
    this.source = source;
    this.line = line;
  }
}

/**
 * Parses an auth file: one `user:hash` per line, where the hash is bcrypt
 * (`htpasswd -nB user` or `sluice hash-password user` make one). Blank lines
 * and lines starting with `#` are skipped; CRLF line ends, a leading BOM and
 * spaces around a line are allowed. A user name is non-empty, has no `:` and no
 * control characters.
 *
 * @param text the file's content
 * @param source the file name, for messages
 * @returns user name to bcrypt hash, in file order
 * @throws {AuthFileError} on a line that is not `user:bcrypt-hash` (a plain
 * password, an htpasswd MD5 `$apr1$` or SHA `{SHA}` hash, ...), a user given
 * twice, or a file without any user
 *
 * @example
 * ```ts
 * import { parseAuthFile } from "./auth.ts";
 * const users = parseAuthFile(
 *   "# proxy users\nalice:$2y$04$bpu4oPcA9yZSIowGd8NhMu.lJwpuamnzi.UALgTewmbBf/04/HQ.q\n",
 *   "users.txt",
 * );
 * console.log([...users.keys()]); // ["alice"]
 * ```
 */
export function parseAuthFile(text: string, source: string): Map<string, string> {
  const users = new Map<string, string>();
  const lineOf = new Map<string, number>();
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split("\n");
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    let line = lines[i];
    if (line.endsWith("\r")) line = line.slice(0, -1);
    line = trimOws(line);
    if (line === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    const user = colon < 0 ? "" : line.slice(0, colon);
    const hash = colon < 0 ? "" : line.slice(colon + 1);
    if (!isUserName(user)) {
      // Without a usable user part the line may be a bare password: quote none of it.
      throw new AuthFileError(source, n, `${source}:${n}: ${expected("USER")}`);
    }
    if (!isBcryptHash(hash)) {
      const message = expected(shellWord(user), hashKind(hash));
      throw new AuthFileError(source, n, `${source}:${n}: ${message}`);
    }
    const first = lineOf.get(user);
    if (first !== undefined) {
      const name = shellWord(user);
      const message = `Cannot parse auth line: duplicate user ${name} (first on line ${first})`;
      throw new AuthFileError(source, n, `${source}:${n}: ${message}`);
    }
    users.set(user, hash);
    lineOf.set(user, n);
  }
  if (users.size === 0) {
    throw new AuthFileError(
      source,
      undefined,
      `${source}: Cannot parse auth file: no user:bcrypt-hash lines (make one with: sluice hash-password USER)`,
    );
  }
  return users;
}

function expected(user: string, detail = ""): string {
  return `Cannot parse auth line: expected user:bcrypt-hash${detail} (make one with: sluice hash-password ${user})`;
}

/** Names a recognisable but unsupported hash by its prefix only, never by its value. */
function hashKind(hash: string): string {
  if (/^\$2[aby]\$/.test(hash)) return ", found a malformed bcrypt hash";
  if (hash.startsWith("$apr1$")) return ", found an htpasswd MD5 ($apr1$) hash";
  if (hash.startsWith("{SHA}")) return ", found an htpasswd SHA-1 ({SHA}) hash";
  if (/^\$[156]\$/.test(hash)) return ", found a crypt(3) MD5/SHA hash";
  return "";
}

/**
 * Whether `user` can name an auth-file user: non-empty, no `:` and no control
 * characters (RFC 7617's user-id).
 *
 * @example
 * ```ts
 * import { isUserName } from "./auth.ts";
 * isUserName("alice"); // true
 * isUserName("a:b"); // false
 * ```
 */
export function isUserName(user: string): boolean {
  if (user === "") return false;
  for (let i = 0; i < user.length; i++) {
    const c = user.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x3a) return false;
  }
  return true;
}

/** `user` as a shell would need it typed: bare when safe, else single-quoted. */
function shellWord(user: string): string {
  return /^[A-Za-z0-9._@+%=,\/-]+$/.test(user) ? user : `'${user.replaceAll("'", `'\\''`)}'`;
}

/** A user name and password as a client sent them. */
export interface BasicCredentials {
  /** The user-id: everything before the first `:`; may be empty. */
  user: string;
  /** Everything after the first `:`; may be empty or contain `:`. */
  password: string;
}

/**
 * Splits a credentials header value into its scheme and the rest, or returns
 * `null` when the scheme is not `Basic` (case-insensitive).
 */
function basicToken(value: string): string | null {
  const v = trimOws(value);
  let end = 0;
  while (end < v.length && v.charCodeAt(end) !== 32 && v.charCodeAt(end) !== 9) end++;
  if (v.slice(0, end).toLowerCase() !== "basic") return null;
  return trimOws(v.slice(end));
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decodes an RFC 7617 token68, or `null` when it is not canonical padded base64 of UTF-8 `user:password`. */
function decodeBasic(token: string): BasicCredentials | null {
  let binary: string;
  try {
    binary = atob(token);
  } catch {
    return null; // a character outside the alphabet, or a bad length
  }
  // atob forgives missing padding, whitespace and stray bits in the last
  // character; only the one canonical, padded encoding round-trips.
  if (btoa(binary) !== token) return null;
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return null;
  }
  const colon = text.indexOf(":");
  if (colon < 0) return null;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * Parses a `Proxy-Authorization` value of the `Basic` scheme (RFC 7617): the
 * scheme in any case, whitespace, then padded base64 of UTF-8 `user:password`,
 * split at the first `:`.
 *
 * @returns the credentials, or `null` for another scheme, bad base64
 * (unpadded, stray characters, non-canonical), bytes that are not UTF-8, or no `:`
 *
 * @example
 * ```ts
 * import { parseBasicCredentials } from "./auth.ts";
 * parseBasicCredentials("Basic YWxpY2U6czNjcmV0"); // { user: "alice", password: "s3cret" }
 * parseBasicCredentials("Bearer abc"); // null
 * ```
 */
export function parseBasicCredentials(value: string): BasicCredentials | null {
  const token = basicToken(value);
  return token === null ? null : decodeBasic(token);
}

/**
 * Hashes `password` with bcrypt (a `$2b$` hash, which `htpasswd`-style files
 * and {@linkcode parseAuthFile} accept).
 *
 * @param cost bcrypt's log2 rounds, 4 to 31; each step doubles the time
 * @throws {RangeError} when the cost is out of range or the password is longer
 * than {@linkcode MAX_PASSWORD_BYTES} UTF-8 bytes (bcrypt would ignore the rest)
 *
 * @example
 * ```ts
 * import { hashPassword, verifyPassword } from "./auth.ts";
 * const hash = await hashPassword("s3cret", 4);
 * console.log(await verifyPassword("s3cret", hash)); // true
 * ```
 */
export async function hashPassword(password: string, cost = 10): Promise<string> {
  if (!Number.isInteger(cost) || cost < 4 || cost > 31) {
    throw new RangeError(`Cannot hash password: cost must be 4 to 31, got ${cost}`);
  }
  if (new TextEncoder().encode(password).length > MAX_PASSWORD_BYTES) {
    throw new RangeError(
      `Cannot hash password: longer than ${MAX_PASSWORD_BYTES} bytes, and bcrypt ignores the rest`,
    );
  }
  return await bcrypt.hash(password, cost);
}

/**
 * Whether `password` matches the bcrypt `hash` (`$2a$`, `$2b$` or `$2y$`). The
 * library compares the computed and the stored hash in constant time. An
 * unsupported hash is `false`, not an error.
 *
 * @example
 * ```ts
 * import { verifyPassword } from "./auth.ts";
 * // made by: htpasswd -nbB -C 4 alice 'correct horse'
 * const hash = "$2y$04$bpu4oPcA9yZSIowGd8NhMu.lJwpuamnzi.UALgTewmbBf/04/HQ.q";
 * console.log(await verifyPassword("correct horse", hash)); // true
 * ```
 */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (!isBcryptHash(hash)) return false;
  return await bcrypt.compare(password, hash);
}

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
   * may go on. Never throws for anything a client sends.
   */
  check(headerValue: string | undefined): Promise<AuthResult> {
    if (headerValue === undefined) return Promise.resolve(REQUIRED);
    const token = basicToken(headerValue);
    if (token === null) return Promise.resolve(REQUIRED);
    const creds = decodeBasic(token);
    if (creds === null) return Promise.resolve({ ok: false, reason: "auth-failed" });
    const digest = createHash("sha256").update(token).digest();
    if (this.#cacheHit(creds.user, digest)) return Promise.resolve({ ok: true, user: creds.user });
    const key = digest.toString("hex");
    const running = this.#pending.get(key);
    if (running) return running;
    if (this.#pending.size >= this.#maxPending) {
      return Promise.resolve({ ok: false, reason: "auth-failed", user: creds.user });
    }
    const work = this.#run(creds, digest).finally(() => this.#pending.delete(key));
    this.#pending.set(key, work);
    return work;
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
