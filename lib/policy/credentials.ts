/**
 * `Proxy-Authorization: Basic` credentials (RFC 7617) and the bcrypt hash
 * and check (npm `bcryptjs`, pure JavaScript) behind `--auth-file` and
 * `sluice hash-password`.
 *
 * @module
 */

import bcrypt from "bcryptjs";
import { trimOws } from "../http1/headers.ts";
import { isBcryptHash, MAX_PASSWORD_BYTES } from "./auth_file.ts";

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
export function basicToken(value: string): string | null {
  const v = trimOws(value);
  let end = 0;
  while (end < v.length && v.charCodeAt(end) !== 32 && v.charCodeAt(end) !== 9) end++;
  if (v.slice(0, end).toLowerCase() !== "basic") return null;
  return trimOws(v.slice(end));
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decodes an RFC 7617 token68, or `null` when it is not canonical padded base64 of UTF-8 `user:password`. */
export function decodeBasic(token: string): BasicCredentials | null {
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
