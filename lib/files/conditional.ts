/**
 * Conditional requests (RFC 9110 section 13): evaluating `If-Match`,
 * `If-Unmodified-Since`, `If-None-Match` and `If-Modified-Since` against a
 * file's validators, in the order of section 13.2.2. `If-Range` is
 * evaluated with the range (see `ifRangeAllows` in ranges.ts).
 *
 * @module
 */

import {
  type EntityTag,
  parseEntityTag,
  parseEntityTagList,
  strongMatch,
  weakMatch,
} from "./etag.ts";
import { parseHttpDate } from "./http_date.ts";

// The validators' makers live in etag.ts and http_date.ts; re-exported so
// that one import serves a conditional request.
export { makeEtag } from "./etag.ts";
export { httpDate, parseHttpDate } from "./http_date.ts";

/**
 * The precondition fields of a request, as received. A field that appeared
 * on several lines is passed with its lines joined by ", " (RFC 9110 section
 * 5.3). A field that is present but empty is still present.
 */
export interface Preconditions {
  /** `If-Match`. */
  ifMatch?: string;
  /** `If-None-Match`. */
  ifNoneMatch?: string;
  /** `If-Modified-Since`. */
  ifModifiedSince?: string;
  /** `If-Unmodified-Since`. */
  ifUnmodifiedSince?: string;
}

/** The validators of the selected representation. */
export interface Validators {
  /** Its `ETag` field value, e.g. from `makeEtag`. */
  etag: string;
  /** Its modification time in milliseconds (compared at one-second resolution). */
  lastModifiedMs: number;
}

/** What to do with the request: go on, or answer 304 or 412 now. */
export type PreconditionResult = "proceed" | 304 | 412;

/** Whether any tag of a list matches `current` by `match`; `*` matches anything. */
function listMatches(
  value: string,
  current: EntityTag | null,
  match: (a: EntityTag, b: EntityTag) => boolean,
): boolean {
  const list = parseEntityTagList(value);
  if (list === "*") return true;
  return current !== null && list.some((tag) => match(tag, current));
}

/**
 * Evaluates the preconditions of a request for an existing file, exactly in
 * the order of RFC 9110 section 13.2.2:
 *
 * 1. `If-Match` present: unless it is `*` or one of its tags matches the
 *    current tag by strong comparison, 412.
 * 2. Otherwise, `If-Unmodified-Since` present and a valid HTTP-date: if the
 *    file was modified after it, 412.
 * 3. `If-None-Match` present: if it is `*` or one of its tags matches by
 *    weak comparison, 304 for GET and HEAD, 412 for other methods.
 * 4. Otherwise, for GET and HEAD, `If-Modified-Since` present and a valid
 *    HTTP-date: if the file was not modified after it, 304.
 * 5. Otherwise proceed (to `If-Range` and `Range` for a GET).
 *
 * Dates are compared at one-second resolution (the file's time is truncated
 * to whole seconds, as `Last-Modified` is sent). A date that is not a valid
 * HTTP-date (including a list of dates) is ignored. Members of a tag list
 * that are not entity tags never match, so an `If-Match` of only junk gives
 * 412. The method is case-sensitive (`get` is not GET).
 *
 * Call it only when the answer without preconditions would be 2xx (RFC 9110
 * section 13.2.1): not for a 404, a 405 or a redirect.
 *
 * @example
 * ```ts
 * import { evaluatePreconditions } from "./conditional.ts";
 * const v = { etag: '"6553f100-4d2"', lastModifiedMs: 1_700_000_000_000 };
 * evaluatePreconditions("GET", { ifNoneMatch: 'W/"6553f100-4d2"' }, v); // 304
 * evaluatePreconditions("PUT", { ifMatch: '"other"' }, v); // 412
 * evaluatePreconditions("GET", {}, v); // "proceed"
 * ```
 */
export function evaluatePreconditions(
  method: string,
  h: Preconditions,
  v: Validators,
): PreconditionResult {
  const current = parseEntityTag(v.etag);
  const lastModified = Math.floor(v.lastModifiedMs / 1000) * 1000;
  const getOrHead = method === "GET" || method === "HEAD";

  if (h.ifMatch !== undefined) {
    if (!listMatches(h.ifMatch, current, strongMatch)) return 412;
  } else if (h.ifUnmodifiedSince !== undefined) {
    const date = parseHttpDate(h.ifUnmodifiedSince);
    if (date !== null && lastModified > date) return 412;
  }

  if (h.ifNoneMatch !== undefined) {
    if (listMatches(h.ifNoneMatch, current, weakMatch)) return getOrHead ? 304 : 412;
  } else if (getOrHead && h.ifModifiedSince !== undefined) {
    const date = parseHttpDate(h.ifModifiedSince);
    if (date !== null && lastModified <= date) return 304;
  }

  return "proceed";
}
