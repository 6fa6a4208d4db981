/**
 * Responses built from stored ones (RFC 9111 section 4): the head of a
 * reused response with its `Age`, the head of a `304` for a client's
 * conditional request, and `Cache-Status` values (RFC 9211).
 *
 * @module
 */

import { HeaderList } from "../http1/headers.ts";
import { MAX_DELTA_SECONDS } from "./cache_control.ts";
import type { StoredResponse } from "./entry.ts";
import { currentAge } from "./freshness.ts";

/** Statuses whose responses have no content. */
function noContent(status: number): boolean {
  return status === 204 || status === 304 || (status >= 100 && status < 200);
}

/**
 * The header fields to send with a stored response at `now`: a copy of the
 * stored fields with `Age` set to the current age in whole seconds (RFC 9111
 * section 5.1; replaced, at most 2^31), and `Content-Length` set to the
 * stored body length (removed for 204). No `Warning` is generated (RFC 9111
 * obsoletes it). `Via`, `Cache-Status` and framing are the caller's.
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { createEntry } from "./entry.ts";
 * import { responseHeadFor } from "./response.ts";
 * const h = new HeaderList();
 * h.append("Age", "30");
 * const e = createEntry({ headers: new HeaderList() }, { status: 200, reason: "OK", headers: h }, {
 *   requestTime: 0,
 *   responseTime: 0,
 *   bodyLength: 5,
 * });
 * const out = responseHeadFor(e, 12_500);
 * out.get("age"); // "42"
 * out.get("content-length"); // "5"
 * ```
 */
export function responseHeadFor(entry: StoredResponse, now: number): HeaderList {
  const out = new HeaderList();
  for (let i = 0; i < entry.headers.size; i++) {
    out.append(entry.headers.names[i], entry.headers.values[i]);
  }
  out.set("Age", String(Math.min(MAX_DELTA_SECONDS, Math.floor(currentAge(entry, now)))));
  if (noContent(entry.status)) out.delete("content-length");
  else out.set("Content-Length", String(entry.bodyLength));
  return out;
}

/** Fields a 304 carries from the stored response (RFC 9110 section 15.4.5, plus validators). */
const NOT_MODIFIED_FIELDS = [
  "cache-control",
  "content-location",
  "date",
  "etag",
  "expires",
  "vary",
  "last-modified",
];

/**
 * The header fields of a `304 Not Modified` answering a client's
 * conditional request from a stored response: `Cache-Control`,
 * `Content-Location`, `Date`, `ETag`, `Expires`, `Vary` and
 * `Last-Modified` as stored, plus `Age`.
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { createEntry } from "./entry.ts";
 * import { notModifiedHeadFor } from "./response.ts";
 * const h = new HeaderList();
 * h.append("ETag", '"a"');
 * h.append("Content-Type", "text/plain");
 * const e = createEntry({ headers: new HeaderList() }, { status: 200, reason: "OK", headers: h }, {
 *   requestTime: 0,
 *   responseTime: 0,
 * });
 * notModifiedHeadFor(e, 0).keys; // ["etag", "date", "age"]
 * ```
 */
export function notModifiedHeadFor(entry: StoredResponse, now: number): HeaderList {
  const out = new HeaderList();
  for (let i = 0; i < entry.headers.size; i++) {
    if (NOT_MODIFIED_FIELDS.includes(entry.headers.keys[i])) {
      out.append(entry.headers.names[i], entry.headers.values[i]);
    }
  }
  out.append("Age", String(Math.min(MAX_DELTA_SECONDS, Math.floor(currentAge(entry, now)))));
  return out;
}

/** The parameters of one `Cache-Status` member (RFC 9211 section 2). */
export interface CacheStatusFields {
  /** `hit`: answered from the cache without going forward. */
  hit?: boolean;
  /** `fwd`: why the request went forward. */
  fwd?: "bypass" | "method" | "uri-miss" | "vary-miss" | "miss" | "request" | "stale" | "partial";
  /** `fwd-status`: the status the next hop answered. */
  fwdStatus?: number;
  /** `ttl`: remaining freshness in seconds (rounded down; negative when stale). */
  ttl?: number;
  /** `stored`: the forwarded response was stored. */
  stored?: boolean;
  /** `collapsed`: the request was collapsed with another. */
  collapsed?: boolean;
  /** `key`: the cache key. */
  key?: string;
  /** `detail`: implementation-specific detail, e.g. a `storable` reason code. */
  detail?: string;
}

/** An sf-token when `s` is one, else an sf-string (RFC 8941 sections 3.3.3-4). */
function sfItem(s: string): string {
  if (/^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*$/.test(s)) return s;
  return `"${s.replace(/[^\x20-\x7e]/g, "?").replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * One `Cache-Status` list member (RFC 9211): the cache's `name` followed by
 * its parameters in a fixed order.
 *
 * @example
 * ```ts
 * import { cacheStatus } from "./response.ts";
 * cacheStatus("sluice", { hit: true, ttl: 12.7 }); // "sluice; hit; ttl=12"
 * cacheStatus("sluice", { fwd: "uri-miss", stored: true }); // "sluice; fwd=uri-miss; stored"
 * cacheStatus("sluice", { fwd: "stale", fwdStatus: 304 }); // "sluice; fwd=stale; fwd-status=304"
 * cacheStatus("sluice", { fwd: "miss", detail: "no-store" }); // "sluice; fwd=miss; detail=no-store"
 * ```
 */
export function cacheStatus(name: string, fields: CacheStatusFields): string {
  const parts = [sfItem(name)];
  if (fields.hit) parts.push("hit");
  if (fields.fwd !== undefined) parts.push(`fwd=${fields.fwd}`);
  if (fields.fwdStatus !== undefined) parts.push(`fwd-status=${Math.trunc(fields.fwdStatus)}`);
  if (fields.ttl !== undefined) parts.push(`ttl=${Math.floor(fields.ttl)}`);
  if (fields.stored) parts.push("stored");
  if (fields.collapsed) parts.push("collapsed");
  if (fields.key !== undefined) parts.push(`key=${sfItem(fields.key)}`);
  if (fields.detail !== undefined) parts.push(`detail=${sfItem(fields.detail)}`);
  return parts.join("; ");
}
