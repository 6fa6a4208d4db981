/**
 * The header field names sluice acts on, each with a small number (its id),
 * so that a parsed field is recognised once, from its bytes, without making a
 * string of its name; lookups by name then compare numbers. Any other name
 * has id 0 and is compared byte by byte, case-insensitively, when asked for.
 *
 * @module
 */

/** Header fields that apply to one connection only and never cross the proxy (RFC 9110 section 7.6.1). */
export const HOP_BY_HOP_NAMES: readonly string[] = Object.freeze([
  "connection",
  "proxy-connection",
  "keep-alive",
  "te",
  "trailer",
  "upgrade",
  "proxy-authorization",
  "proxy-authenticate",
]);

/**
 * The known names, lower-case; a name's id is its index + 1. Hop-by-hop
 * names come first ({@linkcode isHopByHopId}).
 */
const NAMES: readonly string[] = [
  ...HOP_BY_HOP_NAMES,
  // framing, routing and the proxy's own fields
  "host",
  "transfer-encoding",
  "content-length",
  "via",
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "max-forwards",
  "expect",
  "authorization",
  "cookie",
  "set-cookie",
  // caching
  "cache-control",
  "pragma",
  "age",
  "date",
  "expires",
  "last-modified",
  "etag",
  "vary",
  "if-none-match",
  "if-modified-since",
  "if-match",
  "if-unmodified-since",
  "if-range",
  "range",
  "content-range",
  "cache-status",
  // common, read by logs and the file server
  "content-type",
  "content-location",
  "location",
  "referer",
  "user-agent",
  "server",
  "accept-ranges",
  "accept",
  "accept-encoding",
  "content-encoding",
];

/** Id of the last hop-by-hop name (they come first). */
const LAST_HOP_BY_HOP = HOP_BY_HOP_NAMES.length;

/** Id of `name` (lower-case), 0 when it is not a known name. */
const ID_OF = new Map<string, number>(NAMES.map((n, i) => [n, i + 1]));

/**
 * Known names by length and first letter (see {@linkcode bucketOf}): the
 * `[name, id]` pairs a field's name is compared against, most often one.
 */
const BUCKETS: ([string, number][] | undefined)[] = [];

/** The bucket of a name of `length` bytes whose first byte is `first`, in any case. */
function bucketOf(length: number, first: number): number {
  return length * 32 + (first & 31);
}

for (let i = 0; i < NAMES.length; i++) {
  (BUCKETS[bucketOf(NAMES[i].length, NAMES[i].charCodeAt(0))] ??= []).push([NAMES[i], i + 1]);
}

/** Known-name ids of fields that are hop-by-hop (RFC 9110 section 7.6.1). */
export function isHopByHopId(id: number): boolean {
  return id > 0 && id <= LAST_HOP_BY_HOP;
}

/**
 * The id of a lower-case field name: its number when sluice knows it, else 0.
 *
 * @example
 * ```ts
 * import { idOfKey } from "./field_names.ts";
 * console.log(idOfKey("host") > 0, idOfKey("x-custom")); // true 0
 * ```
 */
export function idOfKey(key: string): number {
  return ID_OF.get(key) ?? 0;
}

/**
 * The id of the field name `bytes[start..end)`, compared case-insensitively
 * (ASCII letters only, as field names are tokens), or 0.
 *
 * @example
 * ```ts
 * import { idOfKey, idOfName } from "./field_names.ts";
 * const b = new TextEncoder().encode("Content-Length");
 * console.log(idOfName(b, 0, b.length) === idOfKey("content-length")); // true
 * ```
 */
export function idOfName(bytes: Uint8Array, start: number, end: number): number {
  if (end <= start) return 0;
  const candidates = BUCKETS[bucketOf(end - start, bytes[start])];
  if (candidates === undefined) return 0;
  for (let c = 0; c < candidates.length; c++) {
    const [name, id] = candidates[c];
    if (nameEquals(bytes, start, end, name)) return id;
  }
  return 0;
}

/**
 * Whether the bytes `bytes[start..end)` spell `key` (lower-case) when their
 * ASCII letters are lower-cased.
 */
export function nameEquals(bytes: Uint8Array, start: number, end: number, key: string): boolean {
  if (end - start !== key.length) return false;
  for (let k = 0; k < key.length; k++) {
    const b = bytes[start + k];
    // field names are tokens: only A-Z fold
    if ((b >= 65 && b <= 90 ? b | 0x20 : b) !== key.charCodeAt(k)) return false;
  }
  return true;
}
