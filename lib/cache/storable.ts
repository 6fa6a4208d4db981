/**
 * Whether a shared cache may store a response (RFC 9111 section 3, 3.5 and
 * 5.2.2), with a short reason code for `Cache-Status; detail=`.
 *
 * @module
 */

import type { HeaderList } from "../http1/headers.ts";
import { type CacheControl, parseCacheControl } from "./cache_control.ts";
import { HEURISTIC_STATUSES } from "./freshness.ts";
import { varyFields } from "./vary.ts";

/**
 * Status codes whose caching requirements this cache implements, for
 * `must-understand` (RFC 9111 section 5.2.2.3): the final codes of RFC 9110
 * except 206 (ranges are not combined) and 304 (used to freshen, not stored).
 */
export const UNDERSTOOD_STATUSES: ReadonlySet<number> = new Set([
  200,
  201,
  202,
  203,
  204,
  205,
  300,
  301,
  302,
  303,
  307,
  308,
  400,
  401,
  402,
  403,
  404,
  405,
  406,
  407,
  408,
  409,
  410,
  411,
  412,
  413,
  414,
  415,
  416,
  417,
  421,
  422,
  426,
  500,
  501,
  502,
  503,
  504,
  505,
]);

/** Why a response is (not) stored. */
export type StoreReason =
  | "stored"
  | "method"
  | "status"
  | "partial"
  | "request-no-store"
  | "no-store"
  | "must-understand"
  | "private"
  | "authorization"
  | "vary-star";

/** The verdict of {@linkcode storable}. */
export interface StoreDecision {
  /** Whether to store the response. */
  store: boolean;
  /** `"stored"`, or why not. */
  reason: StoreReason;
}

/** The request part {@linkcode storable} reads (a `RequestHead` fits). */
export interface RequestLike {
  /** Method, case-sensitive. */
  method: string;
  /** The absolute URI of the request (absolute-form target). */
  target: string;
  /** Request header fields. */
  headers: HeaderList;
}

/** The response part {@linkcode storable} reads (a `ResponseHead` fits). */
export interface ResponseHeadLike {
  /** Status code. */
  status: number;
  /** Response header fields. */
  headers: HeaderList;
}

function no(reason: StoreReason): StoreDecision {
  return { store: false, reason };
}

/**
 * Whether a POST response may be stored for later GETs: it has explicit
 * freshness and a `Content-Location` naming the request's own URI (RFC 9110
 * section 9.3.3).
 */
function postReusable(req: RequestLike, res: ResponseHeadLike, cc: CacheControl): boolean {
  if (cc.maxAge === undefined && cc.sMaxage === undefined && !res.headers.has("expires")) {
    return false;
  }
  const cl = res.headers.get("content-location");
  if (cl === undefined) return false;
  try {
    return new URL(cl, req.target).href === new URL(req.target).href;
  } catch {
    return false;
  }
}

/**
 * Decides whether a shared cache may store `res`, the response to `req`
 * (RFC 9111 section 3):
 *
 * - the method is GET (or POST whose response has explicit freshness and a
 *   `Content-Location` equal to the request URI);
 * - the status is final, not 206 (partial content is not combined) nor 304;
 * - with `must-understand`, the status is in {@linkcode UNDERSTOOD_STATUSES},
 *   and then `no-store` is ignored; otherwise no `no-store` in the response;
 * - no `no-store` in the request;
 * - no unqualified `private` (qualified: stored without the named fields);
 * - a request with `Authorization` only with `public`, `must-revalidate`
 *   or `s-maxage` (section 3.5);
 * - no `Vary: *`;
 * - explicit freshness (`max-age`, `s-maxage`, `Expires`), `public`, or a
 *   heuristically cacheable status; and something that makes the entry
 *   useful: explicit freshness, `ETag` or `Last-Modified`. (A bare `200`
 *   without any of these would be stale at once with nothing to validate.)
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { storable } from "./storable.ts";
 * const res = new HeaderList();
 * res.append("Cache-Control", "private, max-age=60");
 * const req = { method: "GET", target: "http://a.example/", headers: new HeaderList() };
 * storable(req, { status: 200, headers: res }); // { store: false, reason: "private" }
 * res.set("Cache-Control", "max-age=60");
 * storable(req, { status: 200, headers: res }); // { store: true, reason: "stored" }
 * ```
 */
export function storable(req: RequestLike, res: ResponseHeadLike): StoreDecision {
  const cc = parseCacheControl(res.headers.getAll("cache-control"));
  if (req.method !== "GET" && !(req.method === "POST" && postReusable(req, res, cc))) {
    return no("method");
  }
  const status = res.status;
  if (status < 200 || status > 599 || status === 304) return no("status");
  if (status === 206) return no("partial");
  if (parseCacheControl(req.headers.getAll("cache-control")).noStore) {
    return no("request-no-store");
  }
  if (cc.mustUnderstand) {
    if (!UNDERSTOOD_STATUSES.has(status)) return no("must-understand");
  } else if (cc.noStore) {
    return no("no-store");
  }
  if (cc.private === true) return no("private");
  if (
    req.headers.has("authorization") && !cc.public && !cc.mustRevalidate &&
    cc.sMaxage === undefined
  ) {
    return no("authorization");
  }
  if (varyFields(res.headers) === "*") return no("vary-star");
  const explicit = cc.maxAge !== undefined || cc.sMaxage !== undefined ||
    res.headers.has("expires");
  if (!explicit && !cc.public && !HEURISTIC_STATUSES.has(status)) return no("status");
  // A response with no freshness and no validator is stale at once and never
  // served as fresh, but it is kept: when the origin cannot be reached it is
  // what a disconnected cache serves (RFC 9111 section 4.2.4; the lab case of
  // an origin that sends only Content-Length and Content-Type).
  return { store: true, reason: "stored" };
}
