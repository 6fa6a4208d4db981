/**
 * Reusing a stored response (RFC 9111 section 4): whether a request may be
 * answered from a stored response as is, after revalidation, or while
 * revalidating in the background; the conditional request to send; when a
 * stale response may stand in for an error; and whether a client's own
 * conditional request is answered with 304.
 *
 * @module
 */

import { HeaderList } from "../http1/headers.ts";
import { evaluatePreconditions } from "../files/conditional.ts";
import { parseEntityTag } from "../files/etag.ts";
import { type CacheControl, parseCacheControl } from "./cache_control.ts";
import type { StoredResponse } from "./entry.ts";
import { currentAge, dateValue, freshnessLifetime, parseDateLenient } from "./freshness.ts";
import { type PolicyOptions, policyOptions } from "./options.ts";
import { varyMatches } from "./vary.ts";

/** What to do with a request for which a stored response exists. */
export type Decision =
  | {
    /** Serve the stored response (fresh, or stale within the request's `max-stale`). */
    kind: "fresh";
    /** Current age in seconds. */
    age: number;
    /** Freshness lifetime minus age, in seconds (negative: served stale). */
    ttl: number;
  }
  | {
    /** Serve the stale response now and revalidate it in the background (RFC 5861). */
    kind: "stale-while-revalidate";
    /** Current age in seconds. */
    age: number;
    /** Freshness lifetime minus age (negative). */
    ttl: number;
    /** The validator fields for the background request. */
    conditional: HeaderList;
  }
  | {
    /**
     * Forward the request with `conditional` added (it replaces the client's
     * own `If-None-Match` / `If-Modified-Since`). When the entry has no
     * validator `conditional` is empty: the request is unconditional, but
     * the entry still serves for `stale-if-error` and disconnection.
     */
    kind: "revalidate";
    /** The validator fields to add. */
    conditional: HeaderList;
    /** Why it is not served as is. */
    reason: RevalidateReason;
  }
  | {
    /** The entry cannot serve this request (forward as a plain miss). */
    kind: "miss";
    /** Why. */
    reason: "vary-miss";
  }
  | {
    /** `only-if-cached` and nothing usable: answer 504 (RFC 9111 section 5.2.1.7). */
    kind: "only-if-cached";
  };

/** Why a stored response needs revalidation. */
export type RevalidateReason =
  | "stale"
  | "no-cache"
  | "request-no-cache"
  | "request-max-age"
  | "request-min-fresh";

/**
 * The request's `Cache-Control`; when it has none and `honorPragma` is set,
 * `Pragma: no-cache` counts as `no-cache` (RFC 7234 section 5.4 behaviour;
 * RFC 9111 deprecates Pragma).
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { requestCacheControl } from "./decide.ts";
 * const h = new HeaderList();
 * h.append("Pragma", "no-cache");
 * requestCacheControl(h).noCache; // true
 * h.append("Cache-Control", "max-stale");
 * requestCacheControl(h).noCache; // false
 * ```
 */
export function requestCacheControl(
  headers: HeaderList,
  opts: Partial<PolicyOptions> = {},
): CacheControl {
  const lines = headers.getAll("cache-control");
  const cc = parseCacheControl(lines);
  if (lines.length === 0 && policyOptions(opts).honorPragma) {
    if (headers.tokens("pragma").includes("no-cache")) cc.noCache = true;
  }
  return cc;
}

/** An entity tag in quotes: unquoted tags from sloppy origins get quotes. */
function quotedEtag(etag: string): string {
  if (parseEntityTag(etag) !== null) return etag.trim();
  return /^[\x21\x23-\x7e\x80-\xff]+$/.test(etag) ? `"${etag}"` : etag;
}

/**
 * The validator fields for revalidating `entry` (RFC 9111 section 4.3.1):
 * `If-None-Match` from its `ETag` (quoted if it was not) and
 * `If-Modified-Since` from its `Last-Modified`; empty when it has neither.
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { createEntry } from "./entry.ts";
 * import { conditionalHeaders } from "./decide.ts";
 * const h = new HeaderList();
 * h.append("ETag", "abc");
 * const e = createEntry({ headers: new HeaderList() }, { status: 200, reason: "OK", headers: h }, {
 *   requestTime: 0,
 *   responseTime: 0,
 * });
 * conditionalHeaders(e).get("if-none-match"); // '"abc"'
 * ```
 */
export function conditionalHeaders(entry: StoredResponse): HeaderList {
  const out = new HeaderList();
  const etag = entry.headers.get("etag");
  if (etag !== undefined && etag !== "") out.append("If-None-Match", quotedEtag(etag));
  const lm = entry.headers.get("last-modified");
  if (lm !== undefined && parseDateLenient(lm, entry.responseTime) !== null) {
    out.append("If-Modified-Since", lm);
  }
  return out;
}

/**
 * Whether the stored response forbids serving it stale in a shared cache:
 * `must-revalidate`, `proxy-revalidate`, `s-maxage` (which implies
 * `proxy-revalidate`) or unqualified `no-cache`.
 */
export function mustRevalidate(cc: CacheControl): boolean {
  return cc.mustRevalidate || cc.proxyRevalidate || cc.sMaxage !== undefined ||
    cc.noCache === true;
}

/**
 * Decides how to answer request `req` (its method and header fields) from
 * the stored response `entry` at `now` (RFC 9111 section 4):
 *
 * 1. `Vary` mismatch: `miss` (`vary-miss`).
 * 2. Unqualified response `no-cache`, request `no-cache` (or
 *    `Pragma: no-cache` without `Cache-Control`), request `max-age` below
 *    the age, or request `min-fresh` above the remaining lifetime:
 *    `revalidate`.
 * 3. Fresh: `fresh`.
 * 4. Stale, request `max-stale` covers the staleness and the response
 *    allows serving stale (no `must-revalidate`, `proxy-revalidate`,
 *    `s-maxage`): `fresh` with a negative ttl.
 * 5. Stale within `stale-while-revalidate` (and no `must-revalidate` /
 *    `proxy-revalidate`; `s-maxage` does not forbid it):
 *    `stale-while-revalidate`.
 * 6. `only-if-cached`: `only-if-cached` (answer 504); otherwise `revalidate`.
 *
 * Request `no-store` does not stop reuse (RFC 9111 section 5.2.1.5); the
 * caller must not store the new response. The method is the caller's: call
 * it for GET and HEAD only.
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { createEntry } from "./entry.ts";
 * import { decide } from "./decide.ts";
 * const h = new HeaderList();
 * h.append("Cache-Control", "max-age=60");
 * h.append("ETag", '"v1"');
 * const e = createEntry({ headers: new HeaderList() }, { status: 200, reason: "OK", headers: h }, {
 *   requestTime: 0,
 *   responseTime: 0,
 * });
 * const req = { headers: new HeaderList() };
 * decide(req, e, 10_000).kind; // "fresh"
 * decide(req, e, 61_000).kind; // "revalidate"
 * ```
 */
export function decide(
  req: { headers: HeaderList },
  entry: StoredResponse,
  now: number,
  opts: Partial<PolicyOptions> = {},
): Decision {
  if (!varyMatches(entry.vary, req.headers)) return { kind: "miss", reason: "vary-miss" };
  const rcc = requestCacheControl(req.headers, opts);
  const cc = entry.cc;
  const age = currentAge(entry, now);
  const lifetime = freshnessLifetime(entry, opts);
  const ttl = lifetime - age;
  const revalidate = (reason: RevalidateReason): Decision =>
    rcc.onlyIfCached
      ? { kind: "only-if-cached" }
      : { kind: "revalidate", conditional: conditionalHeaders(entry), reason };

  if (cc.noCache === true) return revalidate("no-cache");
  if (rcc.noCache === true || Array.isArray(rcc.noCache)) return revalidate("request-no-cache");
  if (rcc.maxAge !== undefined && age > rcc.maxAge) return revalidate("request-max-age");
  if (ttl > 0) {
    if (rcc.minFresh !== undefined && ttl < rcc.minFresh) return revalidate("request-min-fresh");
    return { kind: "fresh", age, ttl };
  }
  const forbidStale = mustRevalidate(cc);
  if (rcc.maxStale !== undefined && !forbidStale && -ttl <= rcc.maxStale) {
    return { kind: "fresh", age, ttl };
  }
  const swr = cc.staleWhileRevalidate;
  if (
    swr !== undefined && !cc.mustRevalidate && !cc.proxyRevalidate && -ttl <= swr &&
    !rcc.onlyIfCached
  ) {
    return { kind: "stale-while-revalidate", age, ttl, conditional: conditionalHeaders(entry) };
  }
  return revalidate("stale");
}

/**
 * Whether a stale `entry` may be served instead of a failed revalidation
 * (RFC 9111 section 4.2.4, RFC 5861 section 4). `failure` is the origin's
 * status, or `"unreachable"` when no response came (connect error, reset,
 * timeout).
 *
 * - `stale-if-error` (of the response, or of the request, which wins) allows
 *   it for 500, 502, 503, 504 and unreachable, within that many seconds of
 *   staleness, unless the response has `must-revalidate` /
 *   `proxy-revalidate` / `s-maxage` / unqualified `no-cache`.
 * - Otherwise only `"unreachable"` allows it, within `maxStaleOnDisconnect`,
 *   under the same prohibitions.
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { createEntry } from "./entry.ts";
 * import { serveStaleOnError } from "./decide.ts";
 * const h = new HeaderList();
 * h.append("Cache-Control", "max-age=1, stale-if-error=60");
 * const e = createEntry({ headers: new HeaderList() }, { status: 200, reason: "OK", headers: h }, {
 *   requestTime: 0,
 *   responseTime: 0,
 * });
 * serveStaleOnError(e, { headers: new HeaderList() }, 30_000, 503); // true
 * serveStaleOnError(e, { headers: new HeaderList() }, 90_000, 503); // false
 * ```
 */
export function serveStaleOnError(
  entry: StoredResponse,
  req: { headers: HeaderList },
  now: number,
  failure: number | "unreachable",
  opts: Partial<PolicyOptions> = {},
): boolean {
  if (mustRevalidate(entry.cc)) return false;
  const staleness = currentAge(entry, now) - freshnessLifetime(entry, opts);
  const sie = requestCacheControl(req.headers, opts).staleIfError ?? entry.cc.staleIfError;
  const errorStatus = failure === "unreachable" ||
    failure === 500 || failure === 502 || failure === 503 || failure === 504;
  if (sie !== undefined && errorStatus && staleness <= sie) return true;
  return failure === "unreachable" && staleness <= policyOptions(opts).maxStaleOnDisconnect;
}

/**
 * Evaluates a client's `If-None-Match` / `If-Modified-Since` against a
 * stored response that is about to be served (RFC 9111 section 4.3.2):
 * 304 when the request's conditions say the client's copy is current,
 * otherwise `"proceed"` (send the stored response). `If-None-Match` wins
 * over `If-Modified-Since`; the latter compares with `Last-Modified`, else
 * `Date`, else the response time. Only for GET and HEAD and 2xx entries;
 * other preconditions (`If-Match`, `If-Range`...) are the origin's: forward
 * such requests.
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { createEntry } from "./entry.ts";
 * import { clientConditional } from "./decide.ts";
 * const h = new HeaderList();
 * h.append("ETag", 'W/"x"');
 * const e = createEntry({ headers: new HeaderList() }, { status: 200, reason: "OK", headers: h }, {
 *   requestTime: 0,
 *   responseTime: 0,
 * });
 * const req = new HeaderList();
 * req.append("If-None-Match", 'W/"x"');
 * clientConditional("GET", req, e); // 304
 * ```
 */
export function clientConditional(
  method: string,
  headers: HeaderList,
  entry: StoredResponse,
): 304 | "proceed" {
  if ((method !== "GET" && method !== "HEAD") || entry.status < 200 || entry.status > 299) {
    return "proceed";
  }
  const inm = headers.getAll("if-none-match");
  const ims = headers.get("if-modified-since");
  if (inm.length === 0 && ims === undefined) return "proceed";
  const lm = entry.headers.get("last-modified");
  const lmMs = (lm === undefined ? null : parseDateLenient(lm, entry.responseTime)) ??
    dateValue(entry);
  const r = evaluatePreconditions(
    method,
    {
      ifNoneMatch: inm.length > 0 ? inm.join(", ") : undefined,
      ifModifiedSince: ims,
    },
    { etag: entry.headers.get("etag") ?? "", lastModifiedMs: lmMs },
  );
  return r === 304 ? 304 : "proceed";
}
