/**
 * The `--auth-file` format: one `user:bcrypt-hash` line per user, `#`
 * comments, and errors that name the file and line and never echo a hash.
 * Pure: the caller reads the file.
 *
 * @module
 */

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
