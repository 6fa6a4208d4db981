/**
 * Response heads of the file server: a file (200, 206), a precondition or
 * range answer (304, 412, 416), and the 301 that adds a directory's
 * trailing slash.
 *
 * @module
 */

import { encodeLatin1 } from "../http1/forward.ts";
import { httpDate } from "./http_date.ts";

/** The statuses of a file answer. */
export type FileStatus = 200 | 206 | 304 | 412 | 416;

/** Reason phrases of the statuses this module writes. */
export const FILE_STATUS_TEXT: Readonly<Record<FileStatus | 301, string>> = {
  200: "OK",
  206: "Partial Content",
  301: "Moved Permanently",
  304: "Not Modified",
  412: "Precondition Failed",
  416: "Range Not Satisfiable",
};

/** What every head needs: the request's version, persistence, the clock, extra fields. */
export interface HeadOptions {
  /** The request's version (`minor` wins when both are given; HTTP/1.1 when neither is). */
  version?: "HTTP/1.0" | "HTTP/1.1";
  /** The request's minor version: 0 or 1. */
  minor?: number;
  /** Whether the connection stays open after this response. */
  keepAlive: boolean;
  /** Now, for the `Date` field. */
  dateMs: number;
  /** Further fields, written after the others and before `Connection`. */
  extra?: readonly (readonly [string, string])[];
}

/** The fields of a file answer. */
export interface FileHeadOptions extends HeadOptions {
  /** The status. */
  status: FileStatus;
  /** `Content-Type` (not sent with 304). */
  contentType?: string;
  /** `Content-Length`: the bytes of body that follow (not sent with 304). */
  contentLength: number;
  /** `ETag`. */
  etag?: string;
  /** `Last-Modified`, sent at one-second resolution. */
  lastModifiedMs?: number;
  /** `Content-Range` (sent with 206 and 416 only). */
  contentRange?: string;
}

const FILE_STATUSES: ReadonlySet<number> = new Set([200, 206, 304, 412, 416]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

function field(name: string, value: string): string {
  if (!TOKEN.test(name)) {
    throw new TypeError(`Cannot build response head: bad field name "${name}"`);
  }
  if (!FIELD_VALUE.test(value)) {
    throw new TypeError(`Cannot build response head: bad value for ${name}`);
  }
  return `${name}: ${value}\r\n`;
}

/** The status line, `Date`, and the fields every head ends with. */
function head(status: FileStatus | 301, o: HeadOptions, middle: string): Uint8Array {
  const http10 = o.minor !== undefined ? o.minor === 0 : o.version === "HTTP/1.0";
  let s = `HTTP/1.1 ${status} ${FILE_STATUS_TEXT[status]}\r\n` + field("Date", httpDate(o.dateMs)) +
    middle;
  for (const [name, value] of o.extra ?? []) s += field(name, value);
  if (!o.keepAlive) s += "Connection: close\r\n";
  else if (http10) s += "Connection: keep-alive\r\n";
  return encodeLatin1(s + "\r\n");
}

/**
 * The head of a file answer, as bytes (Latin-1; a value outside it throws).
 * The status line is always HTTP/1.1, the version this server speaks (RFC
 * 9110 section 6.2); the request's version decides the `Connection` field:
 * `close` when the connection ends, `keep-alive` for an HTTP/1.0 client whose
 * connection stays open, none for HTTP/1.1 keep-alive. Fields, in order:
 *
 * - `Date`; `Last-Modified` and `ETag` when given;
 * - `Accept-Ranges: bytes` with 200, 206 and 416;
 * - `Content-Type` when given, and `Content-Length`, except with 304 (RFC
 *   9110 section 15.4.5: a 304 has no body and repeats only validators);
 * - `Content-Range` when given, with 206 and 416;
 * - the `extra` fields, then `Connection`.
 *
 * No `Server` field is sent.
 *
 * @throws {TypeError} for a field name that is not a token or a value with a
 *   control character or a character beyond Latin-1.
 * @throws {RangeError} for a `contentLength` that is not a whole number >= 0.
 *
 * @example
 * ```ts
 * import { fileResponseHead } from "./file_head.ts";
 * const head = fileResponseHead({
 *   status: 200,
 *   version: "HTTP/1.1",
 *   keepAlive: true,
 *   contentType: "text/plain; charset=utf-8",
 *   contentLength: 12,
 *   etag: '"6553f100-c"',
 *   lastModifiedMs: 1_700_000_000_000,
 *   dateMs: 1_700_000_100_000,
 * });
 * new TextDecoder().decode(head).startsWith("HTTP/1.1 200 OK\r\n"); // true
 * ```
 */
export function fileResponseHead(o: FileHeadOptions): Uint8Array {
  if (!FILE_STATUSES.has(o.status)) {
    throw new RangeError(`Cannot build response head: status ${o.status} is not a file answer`);
  }
  if (!Number.isSafeInteger(o.contentLength) || o.contentLength < 0) {
    throw new RangeError(`Cannot build response head: bad Content-Length ${o.contentLength}`);
  }
  let s = "";
  if (o.lastModifiedMs !== undefined) s += field("Last-Modified", httpDate(o.lastModifiedMs));
  if (o.etag !== undefined) s += field("ETag", o.etag);
  if (o.status !== 304) {
    if (o.status !== 412) s += "Accept-Ranges: bytes\r\n";
    if (o.contentType !== undefined) s += field("Content-Type", o.contentType);
    s += `Content-Length: ${o.contentLength}\r\n`;
    if (o.contentRange !== undefined && (o.status === 206 || o.status === 416)) {
      s += field("Content-Range", o.contentRange);
    }
  }
  return head(o.status, o, s);
}

/**
 * The head of a 301 to `location`, with `Content-Length: 0` (no body
 * follows). `location` must already be percent-encoded: make it with
 * `encodePath(resolved.path)` (encode_path.ts), adding the "/" and the raw
 * `?query`. To keep the redirect on this site, its path must start with a
 * single "/" and hold no backslash (a browser reads `//host` or `/\host` as
 * another host), and it must be visible ASCII.
 *
 * @throws {TypeError} for a location that breaks these rules.
 *
 * @example
 * ```ts
 * import { encodePath } from "./encode_path.ts";
 * import { redirectHead } from "./file_head.ts";
 * const location = encodePath("/my docs") + "/";
 * const head = redirectHead(location, { version: "HTTP/1.1", keepAlive: true, dateMs: 0 });
 * new TextDecoder().decode(head).includes("Location: /my%20docs/\r\n"); // true
 * ```
 */
export function redirectHead(location: string, o: HeadOptions): Uint8Array {
  const path = location.split(/[?#]/, 1)[0];
  if (
    !/^[\x21-\x7e]+$/.test(location) || !path.startsWith("/") || path.startsWith("//") ||
    path.includes("\\")
  ) {
    throw new TypeError(`Cannot build redirect: "${location}" is not an encoded local path`);
  }
  return head(301, o, `Location: ${location}\r\nContent-Length: 0\r\n`);
}
