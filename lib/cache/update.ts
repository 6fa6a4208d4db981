/**
 * Freshening stored responses (RFC 9111 sections 3.2, 4.3.4 and 4.3.5):
 * with a `304 Not Modified` after revalidation, or with a `200` answer to a
 * `HEAD`. Header fields of the new response replace those of the stored
 * one, except framing, hop-by-hop ones and `Content-Length` (a 304 carrying
 * `Content-Length: 0` must not change the stored length: Squid bug 5538).
 *
 * @module
 */

import { HeaderList } from "../http1/headers.ts";
import { httpDate } from "../files/http_date.ts";
import { parseEntityTag, strongMatch, weakMatch } from "../files/etag.ts";
import { NOT_STORED, type StoredResponse, withHeaders } from "./entry.ts";
import { parseDateLenient } from "./freshness.ts";

/** Fields a 304 or HEAD response never changes in a stored response. */
export const NOT_UPDATED: readonly string[] = [...NOT_STORED, "content-length"];

/**
 * `stored` with every field of `update` replacing the stored lines of the
 * same name (at the place of the first one, else appended), except
 * {@linkcode NOT_UPDATED} and the fields `update`'s `Connection` names.
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { mergeHeaders } from "./update.ts";
 * const a = new HeaderList();
 * a.append("A", "1");
 * a.append("Content-Length", "36");
 * a.append("B", "1");
 * const b = new HeaderList();
 * b.append("Content-Length", "0");
 * b.append("B", "2");
 * b.append("C", "3");
 * mergeHeaders(a, b).values; // ["1", "36", "2", "3"]
 * ```
 */
export function mergeHeaders(stored: HeaderList, update: HeaderList): HeaderList {
  const skip = new Set<string>(NOT_UPDATED);
  for (const t of [...update.tokens("connection"), ...update.tokens("proxy-connection")]) {
    skip.add(t);
  }
  const replaced = new Set<string>();
  for (const k of update.keys) if (!skip.has(k)) replaced.add(k);
  const out = new HeaderList();
  const done = new Set<string>();
  const appendNew = (key: string) => {
    for (let j = 0; j < update.size; j++) {
      if (update.keys[j] === key) out.append(update.names[j], update.values[j]);
    }
    done.add(key);
  };
  for (let i = 0; i < stored.size; i++) {
    const key = stored.keys[i];
    if (!replaced.has(key)) out.append(stored.names[i], stored.values[i]);
    else if (!done.has(key)) appendNew(key);
  }
  for (const key of replaced) if (!done.has(key)) appendNew(key);
  return out;
}

/**
 * The stored response freshened with a 304 received at `now` for a request
 * sent at `requestTime` (RFC 9111 section 4.3.4): fields merged with
 * {@linkcode mergeHeaders}; the times become those of the validation; a
 * stored `Age` goes unless the 304 brought one, and `Date` becomes the 304's
 * (or `now` when it had none) so the age starts over.
 *
 * Call it for the entry whose validators the conditional request carried;
 * with several variants, {@linkcode freshenTargets} says which.
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { createEntry } from "./entry.ts";
 * import { updateFrom304 } from "./update.ts";
 * const h = new HeaderList();
 * h.append("Cache-Control", "max-age=1");
 * h.append("Content-Length", "36");
 * const e = createEntry({ headers: new HeaderList() }, { status: 200, reason: "OK", headers: h }, {
 *   requestTime: 0,
 *   responseTime: 0,
 * });
 * const r = new HeaderList();
 * r.append("Cache-Control", "max-age=3600");
 * r.append("Content-Length", "0");
 * const u = updateFrom304(e, r, 5_000);
 * u.cc.maxAge; // 3600
 * u.headers.get("content-length"); // "36"
 * ```
 */
export function updateFrom304(
  entry: StoredResponse,
  headers: HeaderList,
  now: number,
  requestTime: number = now,
): StoredResponse {
  const merged = mergeHeaders(entry.headers, headers);
  if (!headers.has("age")) merged.delete("age");
  if (!headers.has("date")) merged.set("Date", httpDate(now));
  return withHeaders(entry, merged, requestTime, now);
}

/**
 * The stored response updated with the `200` response to a `HEAD` request
 * (RFC 9111 section 4.3.5), or null when that response shows the stored
 * one is outdated (a different `ETag`, `Last-Modified` or `Content-Length`)
 * and it should be invalidated instead. Other statuses change nothing:
 * the entry comes back as is.
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { createEntry } from "./entry.ts";
 * import { updateFromHead } from "./update.ts";
 * const h = new HeaderList();
 * h.append("ETag", '"1"');
 * const e = createEntry({ headers: new HeaderList() }, { status: 200, reason: "OK", headers: h }, {
 *   requestTime: 0,
 *   responseTime: 0,
 * });
 * const r = new HeaderList();
 * r.append("ETag", '"2"');
 * updateFromHead(e, 200, r, 1_000); // null
 * ```
 */
export function updateFromHead(
  entry: StoredResponse,
  status: number,
  headers: HeaderList,
  now: number,
  requestTime: number = now,
): StoredResponse | null {
  if (status !== 200) return entry;
  for (const key of ["etag", "last-modified", "content-length"]) {
    const theirs = headers.get(key);
    const ours = entry.headers.get(key);
    if (theirs !== undefined && ours !== undefined && theirs.trim() !== ours.trim()) return null;
  }
  return updateFrom304(entry, headers, now, requestTime);
}

/**
 * Which of the stored variants of a URI a 304 freshens (RFC 9111 section
 * 4.3.4), variants newest first:
 *
 * - a strong `ETag` in the 304: every variant with a strongly matching one;
 * - a weak `ETag`: the newest variant whose tag matches weakly;
 * - else a `Last-Modified`: the newest variant with the same date;
 * - no validator: the only variant, if there is one and it has no validator
 *   either; otherwise none.
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { freshenTargets } from "./update.ts";
 * import { createEntry } from "./entry.ts";
 * const mk = (etag: string) => {
 *   const h = new HeaderList();
 *   h.append("ETag", etag);
 *   return createEntry({ headers: new HeaderList() }, { status: 200, reason: "OK", headers: h }, {
 *     requestTime: 0,
 *     responseTime: 0,
 *   });
 * };
 * const v = [mk('"a"'), mk('"b"')];
 * const r = new HeaderList();
 * r.append("ETag", '"b"');
 * freshenTargets(v, r).length; // 1
 * ```
 */
export function freshenTargets(
  variants: readonly StoredResponse[],
  headers: HeaderList,
): StoredResponse[] {
  const etagValue = headers.get("etag");
  const tag = etagValue === undefined ? null : parseEntityTag(etagValue);
  const tagOf = (e: StoredResponse) => {
    const v = e.headers.get("etag");
    return v === undefined ? null : parseEntityTag(v);
  };
  if (tag !== null && !tag.weak) {
    return variants.filter((e) => {
      const t = tagOf(e);
      return t !== null && strongMatch(t, tag);
    });
  }
  if (tag !== null) {
    const hit = variants.find((e) => {
      const t = tagOf(e);
      return t !== null && weakMatch(t, tag);
    });
    return hit ? [hit] : [];
  }
  const lm = headers.get("last-modified");
  const lmMs = lm === undefined ? null : parseDateLenient(lm);
  if (lmMs !== null) {
    const hit = variants.find((e) => {
      const v = e.headers.get("last-modified");
      return v !== undefined && parseDateLenient(v) === lmMs;
    });
    return hit ? [hit] : [];
  }
  if (
    etagValue === undefined && variants.length === 1 && !variants[0].headers.has("etag") &&
    !variants[0].headers.has("last-modified")
  ) {
    return [variants[0]];
  }
  return [];
}
