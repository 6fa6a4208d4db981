/**
 * Start-line tokens read from bytes: the method (the usual ones without a new
 * string) and the `HTTP/1.x` version.
 *
 * @module
 */

import { latin1 } from "./headers.ts";

/** The usual methods, made once: a request's method is then no new string. */
const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "CONNECT", "PATCH", "TRACE"];

/** The method token `bytes[start..end)` as a string (case-sensitive). */
export function methodName(bytes: Uint8Array, start: number, end: number): string {
  outer: for (const m of METHODS) {
    if (m.length !== end - start) continue;
    for (let k = 0; k < m.length; k++) if (bytes[start + k] !== m.charCodeAt(k)) continue outer;
    return m;
  }
  return latin1(bytes, start, end);
}

/** Parses `HTTP/1.x` at `i`; returns the minor version or -1 when it is not HTTP/1.0 or 1.1. */
export function httpVersion(bytes: Uint8Array, i: number, end: number): number {
  if (end - i !== 8) return -2;
  if (
    bytes[i] !== 72 || bytes[i + 1] !== 84 || bytes[i + 2] !== 84 || bytes[i + 3] !== 80 ||
    bytes[i + 4] !== 47 || bytes[i + 6] !== 46
  ) return -2;
  const major = bytes[i + 5] - 48;
  const minor = bytes[i + 7] - 48;
  if (major < 0 || major > 9 || minor < 0 || minor > 9) return -2;
  if (major !== 1 || minor > 1) return -1;
  return minor;
}
