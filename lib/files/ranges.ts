/**
 * Range requests (RFC 9110 section 14): parsing `Range` against a file's
 * size, `If-Range`, `Content-Range`, and the exact bytes of a
 * `multipart/byteranges` body.
 *
 * @module
 */

import { encodeLatin1 } from "../http1/forward.ts";
import { parseEntityTag, strongMatch } from "./etag.ts";
import { parseHttpDate } from "./http_date.ts";

/** A satisfiable byte range: `start` and `end` are inclusive offsets into the file. */
export interface ByteRange {
  /** First byte. */
  start: number;
  /** Last byte (inclusive), at most size - 1. */
  end: number;
}

/**
 * What to answer a `Range` with: `none` serves the whole file (200),
 * `ranges` the listed parts (206), `unsatisfiable` a 416 whose
 * `Content-Range` is {@linkcode unsatisfiedRange}.
 */
export type RangeResult =
  | { kind: "none" }
  | { kind: "ranges"; ranges: ByteRange[] }
  | { kind: "unsatisfiable" };

/** Most range-specs a `Range` may list; with more it is ignored (200). */
export const MAX_RANGES = 100;

const NONE: RangeResult = { kind: "none" };
const INT_RANGE = /^(\d+)-(\d*)$/;
const SUFFIX_RANGE = /^-(\d+)$/;

function trimOws(s: string): string {
  return s.replace(/^[ \t]+|[ \t]+$/g, "");
}

/**
 * Merges overlapping and adjacent ranges. A merged range keeps the place of
 * the earliest-listed range in it, so the parts stay in the order the client
 * asked for them (RFC 9110 section 14.6).
 */
function coalesce(ranges: ByteRange[]): ByteRange[] {
  const order = ranges.map((r, i) => ({ ...r, i })).sort((a, b) => a.start - b.start || a.i - b.i);
  const merged: { start: number; end: number; i: number }[] = [];
  for (const r of order) {
    const last = merged.at(-1);
    if (last && r.start <= last.end + 1) {
      last.end = Math.max(last.end, r.end);
      last.i = Math.min(last.i, r.i);
    } else {
      merged.push({ ...r });
    }
  }
  return merged.sort((a, b) => a.i - b.i).map(({ start, end }) => ({ start, end }));
}

/**
 * Parses a `Range` field value for a file of `size` bytes (RFC 9110 section
 * 14.1.2). Call it for GET only: RFC 9110 defines no range handling for
 * other methods, HEAD included, so their `Range` is ignored.
 *
 * - absent, another unit than `bytes` (the unit is case-insensitive:
 *   `Bytes=` is fine), or any range-spec that is not one of `first-last`,
 *   `first-` and `-suffix` (digits only, `last` not below `first`): `none`,
 *   the field is ignored and the whole file is served;
 * - spaces and tabs are allowed around each range-spec and empty list
 *   members are skipped (`bytes= 0-1 ,, 5-6`), but not inside a range-spec
 *   or before the "=";
 * - a range starting at or after `size`, and `-0`, cannot be satisfied and
 *   are dropped; when none is left: `unsatisfiable` (416). An empty file
 *   satisfies no range (`bytes=0-` gives 416) except a suffix `-N`, which
 *   there asks for the whole (empty) file: `none`;
 * - a last position past the end is clamped to size - 1, and `-N` longer
 *   than the file is the whole file;
 * - overlapping and adjacent ranges are merged (`500-600,601-999` is one
 *   range), the parts keeping the order they were asked in.
 *
 * Against abuse (RFC 9110 section 14.2 lets a server ignore such requests),
 * the field is ignored and the whole file served when it lists more than
 * {@linkcode MAX_RANGES} range-specs, or when its satisfiable ranges add up
 * to more bytes than the file has (so they overlap: `0-,0-` or many copies
 * of one range); merging then bounds what is sent to the file's size plus
 * the per-part heads.
 *
 * @example
 * ```ts
 * import { parseRange } from "./ranges.ts";
 * parseRange("bytes=0-499", 10000); // { kind: "ranges", ranges: [{ start: 0, end: 499 }] }
 * parseRange("bytes=-500", 10000); // { kind: "ranges", ranges: [{ start: 9500, end: 9999 }] }
 * parseRange("bytes=10000-", 10000); // { kind: "unsatisfiable" }
 * parseRange("items=0-1", 10000); // { kind: "none" }
 * ```
 */
export function parseRange(value: string | undefined, size: number): RangeResult {
  if (value === undefined) return NONE;
  const s = trimOws(value);
  const eq = s.indexOf("=");
  if (eq < 0 || s.slice(0, eq).toLowerCase() !== "bytes") return NONE;
  const specs = s.slice(eq + 1).split(",").map(trimOws).filter((x) => x !== "");
  if (specs.length === 0 || specs.length > MAX_RANGES) return NONE;
  const ranges: ByteRange[] = [];
  let emptyWhole = false;
  for (const spec of specs) {
    const int = INT_RANGE.exec(spec);
    if (int) {
      const first = Number(int[1]);
      const last = int[2] === "" ? Infinity : Number(int[2]);
      if (last < first) return NONE;
      if (first < size) ranges.push({ start: first, end: Math.min(last, size - 1) });
      continue;
    }
    const suffix = SUFFIX_RANGE.exec(spec);
    if (!suffix) return NONE;
    const n = Number(suffix[1]);
    if (n === 0) continue;
    if (size === 0) emptyWhole = true;
    else ranges.push({ start: Math.max(0, size - n), end: size - 1 });
  }
  if (ranges.length === 0) return emptyWhole ? NONE : { kind: "unsatisfiable" };
  let total = 0;
  for (const r of ranges) total += r.end - r.start + 1;
  if (total > size) return NONE;
  return { kind: "ranges", ranges: coalesce(ranges) };
}

/**
 * Evaluates `If-Range` (RFC 9110 section 13.1.5): whether the `Range` may be
 * honoured. True when the field is absent; otherwise true only when it is an
 * entity tag that strongly matches `etag` (a weak tag never matches), or an
 * HTTP-date exactly equal to the file's `Last-Modified` (whole seconds).
 * Anything else, a list of tags or a malformed value included, gives false:
 * serve the whole file.
 *
 * When `dateMs` (the response's `Date`) is given, a date only counts if the
 * `Last-Modified` is strong: at least one second before `dateMs` (RFC 9110
 * section 8.8.2.2); a file modified within the current second could still
 * change unseen.
 *
 * @example
 * ```ts
 * import { ifRangeAllows } from "./ranges.ts";
 * ifRangeAllows('"6553f100-4d2"', '"6553f100-4d2"', 1_700_000_000_000); // true
 * ifRangeAllows('W/"6553f100-4d2"', '"6553f100-4d2"', 1_700_000_000_000); // false
 * ifRangeAllows("Tue, 14 Nov 2023 22:13:20 GMT", '"x"', 1_700_000_000_500); // true
 * ```
 */
export function ifRangeAllows(
  ifRange: string | undefined,
  etag: string,
  lastModifiedMs: number,
  dateMs?: number,
): boolean {
  if (ifRange === undefined) return true;
  const s = trimOws(ifRange);
  if (s.startsWith('"') || s.startsWith("W/")) {
    const tag = parseEntityTag(s);
    const current = parseEntityTag(etag);
    return tag !== null && current !== null && strongMatch(tag, current);
  }
  const date = parseHttpDate(s);
  const lastModified = Math.floor(lastModifiedMs / 1000) * 1000;
  if (dateMs !== undefined && lastModified > Math.floor(dateMs / 1000) * 1000 - 1000) return false;
  return date !== null && date === lastModified;
}

/**
 * The `Content-Range` field value of one part of a 206.
 *
 * @example
 * ```ts
 * import { contentRange } from "./ranges.ts";
 * contentRange(0, 499, 10000); // "bytes 0-499/10000"
 * ```
 */
export function contentRange(start: number, end: number, size: number): string {
  return `bytes ${start}-${end}/${size}`;
}

/**
 * The `Content-Range` field value of a 416: "bytes", a space, an asterisk,
 * a slash and the size.
 *
 * @example
 * ```ts
 * import { unsatisfiedRange } from "./ranges.ts";
 * unsatisfiedRange(10000).endsWith("*" + "/10000"); // true
 * ```
 */
export function unsatisfiedRange(size: number): string {
  return `bytes */${size}`;
}

/** One part of a `multipart/byteranges` body: its head bytes, then the file's bytes start..end. */
export interface MultipartPart {
  /** The delimiter and part header fields, ending with the empty line. */
  head: Uint8Array;
  /** First byte of the file in this part. */
  start: number;
  /** Last byte (inclusive). */
  end: number;
}

/** A `multipart/byteranges` body: send each part's head then its bytes, then `tail`. */
export interface MultipartPlan {
  /** The response's `Content-Type`: `multipart/byteranges; boundary=...`. */
  contentType: string;
  /** The exact `Content-Length` of the whole body. */
  length: number;
  /** The parts in order. */
  parts: MultipartPart[];
  /** The closing delimiter. */
  tail: Uint8Array;
}

/** Boundary characters that need no quoting in `Content-Type` (bchars that are tchars). */
const BOUNDARY = /^[0-9A-Za-z'+_.-]{1,70}$/;

/**
 * Plans a `multipart/byteranges` body (RFC 9110 section 14.6, RFC 2046)
 * for `ranges` of a file of `size` bytes whose type is `contentType` (`""`
 * leaves the parts without `Content-Type`):
 *
 * ```
 * --BOUNDARY CRLF
 * Content-Type: TYPE CRLF
 * Content-Range: bytes START-END/SIZE CRLF
 * CRLF
 * ...bytes START..END...
 * CRLF --BOUNDARY CRLF
 * ...
 * CRLF --BOUNDARY-- CRLF
 * ```
 *
 * `boundary` must be 1-70 of `0-9 A-Z a-z ' + _ . -` and should be random
 * (a UUID's hex digits, say) so that it does not occur in the file.
 *
 * @throws {RangeError} for a bad boundary or content type, no ranges, or a
 *   range that is not within the file.
 *
 * @example
 * ```ts
 * import { multipartPlan } from "./ranges.ts";
 * const plan = multipartPlan([{ start: 0, end: 0 }, { start: 9, end: 9 }], 10, "text/plain", "B");
 * plan.contentType; // "multipart/byteranges; boundary=B"
 * plan.parts.length; // 2
 * ```
 */
export function multipartPlan(
  ranges: readonly ByteRange[],
  size: number,
  contentType: string,
  boundary: string,
): MultipartPlan {
  if (!BOUNDARY.test(boundary)) {
    throw new RangeError(`Cannot plan multipart/byteranges: bad boundary "${boundary}"`);
  }
  if (!/^[\x20-\x7e]*$/.test(contentType)) {
    throw new RangeError("Cannot plan multipart/byteranges: content type is not printable ASCII");
  }
  if (ranges.length === 0) throw new RangeError("Cannot plan multipart/byteranges: no ranges");
  const type = contentType === "" ? "" : `Content-Type: ${contentType}\r\n`;
  const parts: MultipartPart[] = [];
  let length = 0;
  for (const [i, { start, end }] of ranges.entries()) {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
      throw new RangeError(`Cannot plan multipart/byteranges: bad range ${start}-${end}`);
    }
    if (end >= size) {
      throw new RangeError(`Cannot plan multipart/byteranges: ${start}-${end} is past ${size}`);
    }
    const head = encodeLatin1(
      `${i === 0 ? "" : "\r\n"}--${boundary}\r\n${type}` +
        `Content-Range: ${contentRange(start, end, size)}\r\n\r\n`,
    );
    parts.push({ head, start, end });
    length += head.length + (end - start + 1);
  }
  const tail = encodeLatin1(`\r\n--${boundary}--\r\n`);
  length += tail.length;
  return { contentType: `multipart/byteranges; boundary=${boundary}`, length, parts, tail };
}
