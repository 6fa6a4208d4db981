/**
 * What a shared cache keeps of a response (RFC 9111 section 3.1): the status,
 * the header fields minus the hop-by-hop ones and those a qualified
 * `no-cache` / `private` names, the request and response times for the age
 * calculation, the selecting request values of `Vary`, and the body.
 *
 * @module
 */

import { HeaderList, HOP_BY_HOP } from "../http1/headers.ts";
import { httpDate } from "../files/http_date.ts";
import { type CacheControl, parseCacheControl } from "./cache_control.ts";
import { captureVary, varyFields, varyId, type VaryKey } from "./vary.ts";

/** A stored response. Treat it as immutable: updates make a new one. */
export interface StoredResponse {
  /** Status code (final, never 206 or 304). */
  readonly status: number;
  /** Reason phrase as received. */
  readonly reason: string;
  /** Header fields to reuse, see {@linkcode storedHeaders}. */
  readonly headers: HeaderList;
  /** The parsed `Cache-Control` of {@linkcode StoredResponse.headers}. */
  readonly cc: CacheControl;
  /** When the request that produced it was sent upstream (ms since epoch). */
  readonly requestTime: number;
  /** When its head was received (ms since epoch). */
  readonly responseTime: number;
  /** The selecting request fields and their values. */
  readonly vary: VaryKey;
  /** {@linkcode varyId} of {@linkcode StoredResponse.vary}: variants with the same id replace each other. */
  readonly varyId: string;
  /** The body, or null when the caller keeps it elsewhere. */
  readonly body: Uint8Array | null;
  /** The body length in bytes. */
  readonly bodyLength: number;
}

/** Fields never stored (RFC 9111 section 3.1): hop-by-hop ones and framing. */
export const NOT_STORED: readonly string[] = [
  ...HOP_BY_HOP,
  "transfer-encoding",
  "proxy-authentication-info",
];

/**
 * The fields of `headers` worth storing, as a new list: without the fields
 * of {@linkcode NOT_STORED}, those named in `Connection`, and those a
 * qualified `no-cache="..."` or `private="..."` in `cc` lists (a shared cache
 * must not reuse them without revalidation; dropping them is the simple
 * conforming choice). `Content-Length` stays.
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { parseCacheControl } from "./cache_control.ts";
 * import { storedHeaders } from "./entry.ts";
 * const h = new HeaderList();
 * h.append("Connection", "a");
 * h.append("A", "1");
 * h.append("Set-Cookie", "x=y");
 * h.append("Cache-Control", 'max-age=9, private="set-cookie"');
 * storedHeaders(h, parseCacheControl(h.getAll("cache-control"))).names; // ["Cache-Control"]
 * ```
 */
export function storedHeaders(headers: HeaderList, cc: CacheControl): HeaderList {
  const drop = new Set<string>(NOT_STORED);
  for (const t of [...headers.tokens("connection"), ...headers.tokens("proxy-connection")]) {
    if (t !== "content-length") drop.add(t);
  }
  if (Array.isArray(cc.noCache)) { for (const f of cc.noCache) drop.add(f); }
  if (Array.isArray(cc.private)) { for (const f of cc.private) drop.add(f); }
  const out = new HeaderList();
  for (let i = 0; i < headers.size; i++) {
    if (!drop.has(headers.keys[i])) out.append(headers.names[i], headers.values[i]);
  }
  return out;
}

/** The response part {@linkcode createEntry} needs (a `ResponseHead` fits). */
export interface ResponseLike {
  /** Status code. */
  status: number;
  /** Reason phrase. */
  reason: string;
  /** Header fields as received. */
  headers: HeaderList;
}

/** Times and body of a response being stored. */
export interface EntryInit {
  /** When the request was sent upstream (ms since epoch). */
  requestTime: number;
  /** When the response head arrived (ms since epoch). */
  responseTime: number;
  /** The complete body, if the entry carries it. */
  body?: Uint8Array | null;
  /** The body length; defaults to `body.length` or 0. */
  bodyLength?: number;
}

/**
 * Makes the entry to store for a response that `storable` accepted: stored
 * fields only, a `Date` added when the response had none (RFC 9110 section
 * 6.6.1), and the request's values of the `Vary` fields.
 *
 * @throws {RangeError} when the response has `Vary: *` (never stored).
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { createEntry } from "./entry.ts";
 * const res = new HeaderList();
 * res.append("Cache-Control", "max-age=60");
 * const e = createEntry({ headers: new HeaderList() }, { status: 200, reason: "OK", headers: res }, {
 *   requestTime: 0,
 *   responseTime: 1000,
 *   body: new Uint8Array(3),
 * });
 * e.headers.get("date"); // "Thu, 01 Jan 1970 00:00:01 GMT"
 * e.bodyLength; // 3
 * ```
 */
export function createEntry(
  request: { headers: HeaderList },
  response: ResponseLike,
  init: EntryInit,
): StoredResponse {
  const fields = varyFields(response.headers);
  if (fields === "*") throw new RangeError("A response with Vary: * is never stored");
  const cc = parseCacheControl(response.headers.getAll("cache-control"));
  const headers = storedHeaders(response.headers, cc);
  if (!headers.has("date")) headers.append("Date", httpDate(init.responseTime));
  const vary = captureVary(fields, request.headers);
  const body = init.body ?? null;
  return {
    status: response.status,
    reason: response.reason,
    headers,
    cc,
    requestTime: init.requestTime,
    responseTime: init.responseTime,
    vary,
    varyId: varyId(vary),
    body,
    bodyLength: init.bodyLength ?? body?.length ?? 0,
  };
}

/**
 * A copy of `entry` with new headers (re-parsing `Cache-Control` and
 * re-applying {@linkcode storedHeaders}) and times.
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { createEntry, withHeaders } from "./entry.ts";
 * const e = createEntry({ headers: new HeaderList() }, { status: 200, reason: "OK", headers: new HeaderList() }, {
 *   requestTime: 0,
 *   responseTime: 0,
 * });
 * const h = new HeaderList();
 * h.append("Cache-Control", "max-age=5");
 * withHeaders(e, h, 10, 20).cc.maxAge; // 5
 * ```
 */
export function withHeaders(
  entry: StoredResponse,
  headers: HeaderList,
  requestTime: number,
  responseTime: number,
): StoredResponse {
  const cc = parseCacheControl(headers.getAll("cache-control"));
  return { ...entry, headers: storedHeaders(headers, cc), cc, requestTime, responseTime };
}
