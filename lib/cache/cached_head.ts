/**
 * The head of a response answered from the cache: the stored fields with
 * `Age`, the framing for the body actually sent, `Via`, `Cache-Status` and
 * the connection's persistence. Sans-io.
 *
 * @module
 */

import { encodeLatin1 } from "../http1/forward.ts";
import { appendVia, type HeaderList } from "../http1/headers.ts";
import { STATUS_TEXT } from "../responses.ts";
import type { StoredResponse } from "./entry.ts";

/** Reason phrases of the statuses the cache makes itself. */
const REASONS: Readonly<Record<number, string>> = {
  200: "OK",
  206: "Partial Content",
  304: "Not Modified",
  404: "Not Found",
  416: "Range Not Satisfiable",
};

/** How a stored response goes out. */
export interface CachedHeadOptions {
  /** Status to send (200, 206, 304, or the stored one). */
  status: number;
  /** Reason phrase (the stored one, or the standard text for `status`). */
  reason?: string;
  /** The `Cache-Status` value; empty: none. */
  cacheStatus: string;
  /** The `Via` name; empty (`--no-via`): none. */
  via: string;
  /** Whether the client connection stays open. */
  keepAlive: boolean;
  /** The client's HTTP minor version. */
  minor: number;
  /** Body length sent, when it differs from the stored `Content-Length` (ranges). */
  contentLength?: number;
  /** `Content-Range` of a 206 or 416. */
  contentRange?: string;
  /** `Content-Type` replacing the stored one (a multipart range answer). */
  contentType?: string;
}

/**
 * The stored part of a whole (200-like) answer, serialized once per entry:
 * the status line and every stored field but `Age` and `Content-Length`,
 * then `Content-Length` for the stored body. What changes from hit to hit
 * (`Age`, `Via`, `Cache-Status`, persistence) follows from
 * {@linkcode headTail}.
 */
const prefixes = new WeakMap<StoredResponse, Uint8Array>();

/**
 * The stored part of the head of `entry` (memoized; entries are immutable).
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { createEntry } from "./entry.ts";
 * import { headPrefix } from "./cached_head.ts";
 * const e = createEntry({ headers: new HeaderList() }, { status: 200, reason: "OK", headers: new HeaderList() }, { requestTime: 0, responseTime: 0, bodyLength: 2 });
 * new TextDecoder().decode(headPrefix(e)).startsWith("HTTP/1.1 200 OK\r\n"); // true
 * ```
 */
export function headPrefix(entry: StoredResponse): Uint8Array {
  let p = prefixes.get(entry);
  if (p !== undefined) return p;
  const out: string[] = ["HTTP/1.1 ", String(entry.status), " ", entry.reason, "\r\n"];
  const h = entry.headers;
  for (let i = 0; i < h.size; i++) {
    const k = h.keys[i];
    if (k !== "age" && k !== "content-length") out.push(h.names[i], ": ", h.values[i], "\r\n");
  }
  if (!noContent(entry.status)) out.push("Content-Length: ", String(entry.bodyLength), "\r\n");
  p = encodeLatin1(out.join(""));
  prefixes.set(entry, p);
  return p;
}

/**
 * What follows {@linkcode headPrefix} for one answer: `Age`, this hop's
 * `Via` (its own field line: a list split over lines means the same),
 * `Cache-Status`, persistence, and the blank line. ASCII only.
 */
export function headTail(age: number, o: CachedHeadOptions): string {
  let s = `Age: ${age}\r\n`;
  if (o.via !== "") s += `Via: 1.1 ${o.via}\r\n`;
  if (o.cacheStatus !== "") s += `Cache-Status: ${o.cacheStatus}\r\n`;
  if (!o.keepAlive) s += "Connection: close\r\n";
  else if (o.minor === 0) s += "Connection: keep-alive\r\n";
  return s + "\r\n";
}

/** Statuses whose responses have no content. */
function noContent(status: number): boolean {
  return status === 204 || status === 304 || (status >= 100 && status < 200);
}

/**
 * Serializes `fields` (from `responseHeadFor` or `notModifiedHeadFor`, owned
 * by the caller and changed here) as a response head.
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { cachedHead } from "./cached_head.ts";
 * const h = new HeaderList();
 * h.append("Content-Length", "5");
 * const head = cachedHead(h, { status: 200, cacheStatus: "sluice; hit", via: "sluice", keepAlive: true, minor: 1 });
 * new TextDecoder().decode(head).split("\r\n")[0]; // "HTTP/1.1 200 OK"
 * ```
 */
export function cachedHead(fields: HeaderList, o: CachedHeadOptions): Uint8Array {
  if (o.contentLength !== undefined) fields.set("Content-Length", String(o.contentLength));
  if (o.contentRange !== undefined) fields.set("Content-Range", o.contentRange);
  if (o.contentType !== undefined) fields.set("Content-Type", o.contentType);
  appendVia(fields, 1, o.via);
  if (o.cacheStatus !== "") fields.append("Cache-Status", o.cacheStatus);
  if (!o.keepAlive) fields.append("Connection", "close");
  else if (o.minor === 0) fields.append("Connection", "keep-alive");
  const reason = o.reason ?? REASONS[o.status] ?? STATUS_TEXT[o.status] ?? "";
  const out: string[] = ["HTTP/1.1 ", String(o.status), " ", reason, "\r\n"];
  fields.serializeInto(out);
  out.push("\r\n");
  return encodeLatin1(out.join(""));
}
