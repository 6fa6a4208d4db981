/**
 * Cache keys and invalidation (RFC 9111 sections 2 and 4.4).
 *
 * @module
 */

import type { HeaderList } from "../http1/headers.ts";

/**
 * The cache key of an absolute `http:` / `https:` URI: scheme and host
 * lower-cased, the default port dropped, an empty path made `/`, the
 * fragment removed (WHATWG URL serialisation). Null for anything else.
 *
 * @example
 * ```ts
 * import { cacheKey } from "./invalidation.ts";
 * cacheKey("HTTP://Example.COM:80/a?b=1#f"); // "http://example.com/a?b=1"
 * cacheKey("https://example.com:8443"); // "https://example.com:8443/"
 * cacheKey("/relative"); // null
 * ```
 */
export function cacheKey(absoluteUri: string): string | null {
  const known = keys.get(absoluteUri);
  if (known !== undefined) return known;
  const key = normalize(absoluteUri);
  if (keys.size >= MAX_KEYS) keys.clear();
  keys.set(absoluteUri, key);
  return key;
}

/** Keys of recent URIs (a hit then costs a Map lookup, not a URL parse); cleared when full. */
const keys = new Map<string, string | null>();
const MAX_KEYS = 4096;

function normalize(absoluteUri: string): string | null {
  let url: URL;
  try {
    url = new URL(absoluteUri);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  url.hash = "";
  return url.href;
}

/** Methods that never invalidate (RFC 9110 section 9.2.1: safe methods). */
const SAFE = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/**
 * The cache keys to invalidate after the response to a request (RFC 9111
 * section 4.4): when the method is unsafe (anything but GET, HEAD, OPTIONS,
 * TRACE; case-sensitive, so unknown methods count) and the status is 2xx or
 * 3xx, the request URI plus the `Location` and `Content-Location` URIs
 * (resolved against it) that have the same origin. Other origins are
 * ignored (they could be used to wipe someone else's entries).
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { invalidations } from "./invalidation.ts";
 * const h = new HeaderList();
 * h.append("Location", "/new");
 * h.append("Content-Location", "http://other.example/x");
 * invalidations("POST", 201, "http://a.example/list", h);
 * // ["http://a.example/list", "http://a.example/new"]
 * invalidations("POST", 500, "http://a.example/list", h); // []
 * ```
 */
export function invalidations(
  method: string,
  status: number,
  requestUri: string,
  resHeaders: HeaderList,
): string[] {
  if (SAFE.has(method) || status < 200 || status > 399) return [];
  const self = cacheKey(requestUri);
  if (self === null) return [];
  const origin = new URL(self).origin;
  const out = [self];
  for (const key of ["location", "content-location"]) {
    const v = resHeaders.get(key);
    if (v === undefined || v === "") continue;
    let url: URL;
    try {
      url = new URL(v, self);
    } catch {
      continue;
    }
    const k = cacheKey(url.href);
    if (k !== null && url.origin === origin && !out.includes(k)) out.push(k);
  }
  return out;
}
