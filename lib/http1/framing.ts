/**
 * Which body a message has (RFC 9112 section 6.3), and the framing errors that
 * would let two parsers disagree about where a message ends (request
 * smuggling): those are refused, never repaired.
 *
 * @module
 */

import { ParseError } from "../errors.ts";
import { type HeaderList, trimOws } from "./headers.ts";
import type { RequestHead, ResponseHead } from "./parse.ts";

/** How a message body is delimited. */
export type BodyFraming =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  | { kind: "close" };

/** The framing of a message without a body. */
export const NO_BODY: BodyFraming = Object.freeze({ kind: "none" });

/** Parses the Content-Length values; all must agree. Returns -1 when absent. */
function contentLength(
  headers: HeaderList,
  status: number,
  reason: "bad-framing" | "upstream-bad-response",
): number {
  const at = headers.indexOf("content-length");
  if (at < 0) return -1;
  if (headers.indexOf("content-length", at + 1) < 0) {
    // the usual case, one field of 1 to 15 digits, read from its bytes
    const n = headers.decimal(at);
    if (n >= 0) return n;
  }
  const values = headers.getAll("content-length");
  let length = -1;
  for (const v of values) {
    for (const part of v.split(",")) {
      const s = trimOws(part);
      if (!/^[0-9]{1,15}$/.test(s)) {
        throw new ParseError(status, reason, `Cannot frame message: invalid Content-Length "${v}"`);
      }
      const n = Number(s);
      if (length >= 0 && n !== length) {
        throw new ParseError(
          status,
          reason,
          "Cannot frame message: differing Content-Length values",
        );
      }
      length = n;
    }
  }
  return length;
}

/** A token (RFC 9110 section 5.6.2). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i;

/** Lower-cased transfer codings, in order; empty when absent. */
function transferCodings(headers: HeaderList): string[] {
  const tokens = headers.tokens("transfer-encoding");
  return tokens.length === 0 ? tokens : tokens.map((t) => trimOws(t.split(";")[0]));
}

/**
 * The body framing of a request. Refuses (400) Content-Length with
 * Transfer-Encoding, bad or differing Content-Length, and a Transfer-Encoding
 * whose last coding is not chunked; an unknown coding is 501.
 *
 * @example
 * ```ts
 * import { requestFraming } from "./framing.ts";
 * import { HeaderList } from "./headers.ts";
 * const headers = new HeaderList();
 * headers.append("Content-Length", "5");
 * console.log(requestFraming({ method: "POST", target: "/", minor: 1, headers }));
 * // { kind: "length", length: 5 }
 * ```
 */
export function requestFraming(head: RequestHead): BodyFraming {
  const te = transferCodings(head.headers);
  const hasTe = head.headers.has("transfer-encoding");
  const cl = contentLength(head.headers, 400, "bad-framing");
  if (hasTe) {
    if (cl >= 0) {
      throw new ParseError(
        400,
        "bad-framing",
        "Cannot frame request: both Content-Length and Transfer-Encoding",
      );
    }
    if (head.minor === 0) {
      throw new ParseError(
        400,
        "bad-framing",
        "Cannot frame request: Transfer-Encoding in an HTTP/1.0 request",
      );
    }
    for (const t of te) {
      if (
        t !== "chunked" && t !== "gzip" && t !== "deflate" && t !== "compress" && t !== "x-gzip"
      ) {
        throw new ParseError(
          501,
          "unsupported-transfer-coding",
          `Cannot frame request: unknown transfer coding "${t}"`,
        );
      }
    }
    if (
      te.length === 0 || te[te.length - 1] !== "chunked" || te.indexOf("chunked") !== te.length - 1
    ) {
      throw new ParseError(
        400,
        "bad-framing",
        "Cannot frame request: chunked must be the last transfer coding, once",
      );
    }
    return { kind: "chunked" };
  }
  if (cl > 0) return { kind: "length", length: cl };
  return NO_BODY;
}

/**
 * The body framing of a response to a request with `method`. HEAD, 1xx, 204
 * and 304 have none; a 2xx to CONNECT has none (a tunnel follows).
 */
export function responseFraming(method: string, head: ResponseHead): BodyFraming {
  const s = head.status;
  if (method === "HEAD" || s < 200 || s === 204 || s === 304) return NO_BODY;
  if (method === "CONNECT" && s < 300) return NO_BODY;
  const hasTe = head.headers.has("transfer-encoding");
  if (hasTe) {
    if (head.headers.has("content-length")) {
      throw new ParseError(
        502,
        "upstream-bad-response",
        "Cannot frame response: both Content-Length and Transfer-Encoding",
      );
    }
    const te = transferCodings(head.headers);
    for (const t of te) {
      if (!TOKEN.test(t)) {
        throw new ParseError(
          502,
          "upstream-bad-response",
          `Cannot frame response: invalid transfer coding ${JSON.stringify(t)}`,
        );
      }
    }
    if (
      te.length > 0 && te[te.length - 1] === "chunked" && te.indexOf("chunked") === te.length - 1
    ) {
      return { kind: "chunked" };
    }
    if (te.indexOf("chunked") !== te.lastIndexOf("chunked")) {
      throw new ParseError(
        502,
        "upstream-bad-response",
        "Cannot frame response: chunked applied more than once",
      );
    }
    // chunked not last: the body runs until the origin closes (RFC 9112 section 6.3)
    return { kind: "close" };
  }
  const cl = contentLength(head.headers, 502, "upstream-bad-response");
  if (cl > 0) return { kind: "length", length: cl };
  if (cl === 0) return NO_BODY;
  return { kind: "close" };
}
