/**
 * `Cache-Control` (RFC 9111 section 5.2): parsing every field line of a
 * request or a response into one typed record.
 *
 * Grammar: `#( token [ "=" ( token / quoted-string ) ] )`. List members are
 * split on commas outside quoted strings, so `extension="max-age=3600"` never
 * hides or supplies a `max-age`. Directive names are case-insensitive.
 * A member that does not fit the grammar (`max-age =3600`, `max-age= 3600`)
 * is ignored as a whole.
 *
 * Duplicates: the first occurrence of a directive wins (RFC 9111 section
 * 4.2.1), across lines too. A delta-seconds directive whose value is not
 * `1*DIGIT` (`max-age=3600a`, `max-age=-1`, `max-age='1'`, `max-age=1.5`) is
 * "invalid freshness information": `max-age` and `s-maxage` then count as 0
 * (stale, the most restrictive reading, section 4.2.1), request `max-age`
 * too; the other valued directives are dropped. Values above 2^31 clamp to
 * 2^31 (section 1.2.2).
 *
 * @module
 */

/** The largest delta-seconds value kept (RFC 9111 section 1.2.2): 2^31. */
export const MAX_DELTA_SECONDS = 2147483648;

/** The directives of one message's `Cache-Control` field, all lines together. */
export interface CacheControl {
  /** `max-age` in seconds (response: lifetime; request: the oldest age accepted). */
  maxAge?: number;
  /** `s-maxage` in seconds (response, shared caches only). */
  sMaxage?: number;
  /** `no-store`. */
  noStore: boolean;
  /** `no-cache`: `true` unqualified, or the lower-case field names it lists. */
  noCache: boolean | string[];
  /** `private`: `true` unqualified, or the lower-case field names it lists. */
  private: boolean | string[];
  /** `public`. */
  public: boolean;
  /** `must-revalidate`. */
  mustRevalidate: boolean;
  /** `proxy-revalidate`. */
  proxyRevalidate: boolean;
  /** `must-understand`. */
  mustUnderstand: boolean;
  /** `no-transform`. */
  noTransform: boolean;
  /** `immutable` (RFC 8246). */
  immutable: boolean;
  /** `stale-while-revalidate` in seconds (RFC 5861). */
  staleWhileRevalidate?: number;
  /** `stale-if-error` in seconds (RFC 5861; request or response). */
  staleIfError?: number;
  /** Request `max-stale`: seconds, or `Infinity` when it has no value. */
  maxStale?: number;
  /** Request `min-fresh` in seconds. */
  minFresh?: number;
  /** Request `only-if-cached`. */
  onlyIfCached: boolean;
}

/** tchar (RFC 9110 section 5.6.2). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses a delta-seconds value (RFC 9111 section 1.2.2): `1*DIGIT`, leading
 * zeros allowed, clamped to 2^31. Anything else gives null.
 *
 * @example
 * ```ts
 * import { parseDeltaSeconds } from "./cache_control.ts";
 * parseDeltaSeconds("003600"); // 3600
 * parseDeltaSeconds("99999999999"); // 2147483648
 * parseDeltaSeconds("3600.0"); // null
 * ```
 */
export function parseDeltaSeconds(value: string): number | null {
  if (!/^[0-9]+$/.test(value)) return null;
  const n = Number(value);
  return n > MAX_DELTA_SECONDS ? MAX_DELTA_SECONDS : n;
}

/**
 * Splits a list value (RFC 9110 section 5.6.1) on the commas outside quoted
 * strings; returns the members trimmed of OWS, empty ones dropped, quotes
 * kept.
 *
 * @example
 * ```ts
 * import { splitList } from "./cache_control.ts";
 * splitList('a, "b,c" ,, d'); // ["a", '"b,c"', "d"]
 * ```
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (quoted) {
      if (c === 0x5c) i++; // quoted-pair
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) {
      quoted = true;
    } else if (c === 0x2c) {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  out.push(value.slice(start));
  return out.map((s) => s.replace(/^[ \t]+|[ \t]+$/g, "")).filter((s) => s !== "");
}

/** Unquotes a quoted-string (RFC 9110 section 5.6.4), or null when it is malformed. */
function unquote(s: string): string | null {
  if (s.length < 2 || s[0] !== '"' || s[s.length - 1] !== '"') return null;
  let out = "";
  for (let i = 1; i < s.length - 1; i++) {
    const c = s[i];
    if (c === "\\") {
      if (i + 1 >= s.length - 1) return null;
      out += s[++i];
    } else if (c === '"') {
      return null;
    } else {
      out += c;
    }
  }
  return out;
}

/** One parsed member: the lower-case name and its value (undefined when absent). */
function parseMember(member: string): [string, string | undefined] | null {
  const eq = member.indexOf("=");
  const name = eq < 0 ? member : member.slice(0, eq);
  if (!TOKEN.test(name)) return null;
  if (eq < 0) return [name.toLowerCase(), undefined];
  const raw = member.slice(eq + 1);
  if (TOKEN.test(raw)) return [name.toLowerCase(), raw];
  const v = unquote(raw);
  return v === null ? null : [name.toLowerCase(), v];
}

/** The lower-case field names of a qualified `no-cache` / `private` value. */
function fieldNames(value: string): string[] {
  return value.split(",").map((s) => s.trim().toLowerCase()).filter((s) => TOKEN.test(s));
}

/**
 * Parses the `Cache-Control` field lines of a message (pass every line, in
 * order; `HeaderList.getAll("cache-control")`). Unknown directives are
 * ignored.
 *
 * @example
 * ```ts
 * import { parseCacheControl } from "./cache_control.ts";
 * const cc = parseCacheControl(['max-age=60, no-cache="Set-Cookie"', "MUST-REVALIDATE"]);
 * cc.maxAge; // 60
 * cc.noCache; // ["set-cookie"]
 * cc.mustRevalidate; // true
 * parseCacheControl(['x="max-age=9", max-age=1']).maxAge; // 1
 * ```
 */
export function parseCacheControl(lines: readonly string[]): CacheControl {
  const cc: CacheControl = {
    noStore: false,
    noCache: false,
    private: false,
    public: false,
    mustRevalidate: false,
    proxyRevalidate: false,
    mustUnderstand: false,
    noTransform: false,
    immutable: false,
    onlyIfCached: false,
  };
  const seen = new Set<string>();
  for (const line of lines) {
    for (const member of splitList(line)) {
      const parsed = parseMember(member);
      if (parsed === null) continue;
      const [name, value] = parsed;
      if (seen.has(name)) continue; // the first occurrence wins
      seen.add(name);
      apply(cc, name, value);
    }
  }
  return cc;
}

function apply(cc: CacheControl, name: string, value: string | undefined): void {
  const delta = value === undefined ? null : parseDeltaSeconds(value);
  switch (name) {
    case "max-age":
      cc.maxAge = delta ?? 0; // invalid or missing: stale
      break;
    case "s-maxage":
      cc.sMaxage = delta ?? 0;
      break;
    case "stale-while-revalidate":
      if (delta !== null) cc.staleWhileRevalidate = delta;
      break;
    case "stale-if-error":
      if (delta !== null) cc.staleIfError = delta;
      break;
    case "min-fresh":
      if (delta !== null) cc.minFresh = delta;
      break;
    case "max-stale":
      if (value === undefined) cc.maxStale = Infinity;
      else if (delta !== null) cc.maxStale = delta;
      break;
    case "no-store":
      cc.noStore = true;
      break;
    case "no-cache":
      cc.noCache = value === undefined ? true : fieldNames(value);
      if (Array.isArray(cc.noCache) && cc.noCache.length === 0) cc.noCache = true;
      break;
    case "private":
      cc.private = value === undefined ? true : fieldNames(value);
      if (Array.isArray(cc.private) && cc.private.length === 0) cc.private = true;
      break;
    case "public":
      cc.public = true;
      break;
    case "must-revalidate":
      cc.mustRevalidate = true;
      break;
    case "proxy-revalidate":
      cc.proxyRevalidate = true;
      break;
    case "must-understand":
      cc.mustUnderstand = true;
      break;
    case "no-transform":
      cc.noTransform = true;
      break;
    case "immutable":
      cc.immutable = true;
      break;
    case "only-if-cached":
      cc.onlyIfCached = true;
      break;
  }
}
