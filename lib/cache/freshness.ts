/**
 * Freshness (RFC 9111 section 4.2): the lifetime of a stored response as a
 * shared cache sees it, its current age, and the parsing of `Age`, `Date`
 * and `Expires` that goes with them. All times are milliseconds since the
 * epoch, passed in; lifetimes and ages are seconds.
 *
 * @module
 */

import type { HeaderList } from "../http1/headers.ts";
import { parseHttpDate } from "../files/http_date.ts";
import { MAX_DELTA_SECONDS, splitList } from "./cache_control.ts";
import type { StoredResponse } from "./entry.ts";
import { type PolicyOptions, policyOptions } from "./options.ts";

/**
 * Status codes that are heuristically cacheable (RFC 9110 section 15.1),
 * less 206 (partial responses are not stored).
 */
export const HEURISTIC_STATUSES: ReadonlySet<number> = new Set([
  200,
  203,
  204,
  300,
  301,
  308,
  404,
  405,
  410,
  414,
  501,
]);

/**
 * The `Age` value of a response in seconds (RFC 9111 section 5.1): the
 * first member of the first `Age` line, when it is `1*DIGIT` (clamped to
 * 2^31); 0 when absent or invalid (`abc`, `-1`, `1.0`, `1;x=y` are ignored).
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { parseAge } from "./freshness.ts";
 * const h = new HeaderList();
 * h.append("Age", "7200, 0");
 * h.append("Age", "5");
 * parseAge(h); // 7200
 * ```
 */
export function parseAge(headers: HeaderList): number {
  const line = headers.get("age");
  if (line === undefined) return 0;
  const first = splitList(line)[0] ?? "";
  if (!/^[0-9]+$/.test(first)) return 0;
  return Math.min(Number(first), MAX_DELTA_SECONDS);
}

/**
 * Parses an HTTP-date like `parseHttpDate`, also accepting the wrong case
 * in the day name, month and `GMT` (`THU, 18 AUG 2050 02:01:18 gmt`); any
 * other deviation still gives null.
 *
 * @example
 * ```ts
 * import { parseDateLenient } from "./freshness.ts";
 * parseDateLenient("SUN, 06 NOV 1994 08:49:37 gmt"); // 784111777000
 * parseDateLenient("Sun, 06 Nov 1994 08:49:37 UTC"); // null
 * ```
 */
export function parseDateLenient(value: string, nowMs: number = Date.now()): number | null {
  const exact = parseHttpDate(value, nowMs);
  if (exact !== null) return exact;
  const recased = value.replace(/[A-Za-z]+/g, (w) => {
    const lower = w.toLowerCase();
    return lower === "gmt" ? "GMT" : lower[0].toUpperCase() + lower.slice(1);
  });
  return recased === value ? null : parseHttpDate(recased, nowMs);
}

/** The `Date` of a stored response in ms: its first `Date` line, or the response time. */
export function dateValue(entry: StoredResponse): number {
  const d = entry.headers.get("date");
  return (d === undefined ? null : parseDateLenient(d, entry.responseTime)) ?? entry.responseTime;
}

/**
 * Whether the response carries explicit expiration information for a shared
 * cache: `s-maxage`, `max-age` or `Expires` (valid or not).
 */
export function hasExplicitExpiration(entry: Pick<StoredResponse, "cc" | "headers">): boolean {
  return entry.cc.sMaxage !== undefined || entry.cc.maxAge !== undefined ||
    entry.headers.has("expires");
}

/**
 * The freshness lifetime in seconds for a shared cache (RFC 9111 section
 * 4.2.1): `s-maxage`, else `max-age`, else `Expires - Date` (`Date` missing
 * or invalid: the response time; an invalid `Expires`, or several `Expires`
 * lines, give 0), else a heuristic for heuristically cacheable statuses and
 * `public` responses: `heuristicFraction` of `Date - Last-Modified`, at most
 * `maxHeuristicSeconds`. Never negative.
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { createEntry } from "./entry.ts";
 * import { freshnessLifetime } from "./freshness.ts";
 * const h = new HeaderList();
 * h.append("Date", "Thu, 01 Jan 1970 01:00:00 GMT");
 * h.append("Last-Modified", "Thu, 01 Jan 1970 00:00:00 GMT");
 * const e = createEntry({ headers: new HeaderList() }, { status: 200, reason: "OK", headers: h }, {
 *   requestTime: 0,
 *   responseTime: 3_600_000,
 * });
 * freshnessLifetime(e); // 360
 * ```
 */
export function freshnessLifetime(
  entry: StoredResponse,
  opts: Partial<PolicyOptions> = {},
): number {
  // a stored response is immutable: its lifetime is worked out once per policy
  const m = lifetimes.get(entry);
  if (m !== undefined && m.opts === opts) return m.lifetime;
  const lifetime = computeLifetime(entry, opts);
  lifetimes.set(entry, { opts, lifetime });
  return lifetime;
}

/** Freshness lifetimes already worked out, with the policy they were for. */
const lifetimes = new WeakMap<StoredResponse, { opts: Partial<PolicyOptions>; lifetime: number }>();
/** The part of each entry's age that does not grow with time (s). */
const initialAges = new WeakMap<StoredResponse, number>();

function computeLifetime(entry: StoredResponse, opts: Partial<PolicyOptions>): number {
  const { cc, headers } = entry;
  if (cc.sMaxage !== undefined) return cc.sMaxage;
  if (cc.maxAge !== undefined) return cc.maxAge;
  const expires = headers.getAll("expires");
  if (expires.length > 0) {
    if (expires.length > 1) return 0;
    const ms = parseDateLenient(expires[0], entry.responseTime);
    return ms === null ? 0 : Math.max(0, (ms - dateValue(entry)) / 1000);
  }
  return heuristicLifetime(entry, opts);
}

/** The heuristic part of {@linkcode freshnessLifetime}, 0 when none applies. */
export function heuristicLifetime(
  entry: StoredResponse,
  opts: Partial<PolicyOptions> = {},
): number {
  if (!HEURISTIC_STATUSES.has(entry.status) && !entry.cc.public) return 0;
  const lm = entry.headers.get("last-modified");
  const lmMs = lm === undefined ? null : parseDateLenient(lm, entry.responseTime);
  if (lmMs === null) return 0;
  const o = policyOptions(opts);
  const delta = (dateValue(entry) - lmMs) / 1000;
  return delta <= 0 ? 0 : Math.min(o.maxHeuristicSeconds, delta * o.heuristicFraction);
}

/**
 * The current age in seconds (RFC 9111 section 4.2.3):
 * `max(apparent_age, age_value + response_delay) + resident_time`, where
 * `apparent_age = max(0, response_time - date_value)`.
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { createEntry } from "./entry.ts";
 * import { currentAge } from "./freshness.ts";
 * const h = new HeaderList();
 * h.append("Age", "30");
 * const e = createEntry({ headers: new HeaderList() }, { status: 200, reason: "OK", headers: h }, {
 *   requestTime: 1_000,
 *   responseTime: 3_000,
 * });
 * currentAge(e, 13_000); // 42: 30 + 2 s delay + 10 s resident
 * ```
 */
export function currentAge(entry: StoredResponse, now: number): number {
  let initial = initialAges.get(entry);
  if (initial === undefined) {
    const apparent = Math.max(0, (entry.responseTime - dateValue(entry)) / 1000);
    const delay = Math.max(0, (entry.responseTime - entry.requestTime) / 1000);
    const corrected = parseAge(entry.headers) + delay;
    initial = Math.max(apparent, corrected);
    initialAges.set(entry, initial);
  }
  const resident = Math.max(0, (now - entry.responseTime) / 1000);
  return initial + resident;
}

/**
 * Whether a stored response is fresh at `now` for a shared cache:
 * its freshness lifetime exceeds its current age.
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { createEntry } from "./entry.ts";
 * import { isFresh } from "./freshness.ts";
 * const h = new HeaderList();
 * h.append("Cache-Control", "max-age=10");
 * const e = createEntry({ headers: new HeaderList() }, { status: 200, reason: "OK", headers: h }, {
 *   requestTime: 0,
 *   responseTime: 0,
 * });
 * isFresh(e, 9_000); // true
 * isFresh(e, 10_000); // false
 * ```
 */
export function isFresh(
  entry: StoredResponse,
  now: number,
  opts: Partial<PolicyOptions> = {},
): boolean {
  return freshnessLifetime(entry, opts) > currentAge(entry, now);
}
