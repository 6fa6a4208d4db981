/**
 * What the proxy sends on each hop, decided from the parsed heads alone: the
 * upstream request head, and the client response head with the way its body
 * is framed and whether the client connection stays open.
 *
 * @module
 */

import { appendVia, HeaderList, stripHopByHop } from "./headers.ts";
import { HeadWriter } from "./head_writer.ts";
import type { BodyFraming } from "./framing.ts";
import type { RequestHead, ResponseHead } from "./parse.ts";
import type { Target } from "./target.ts";

const NON_ASCII = /[\u0080-\uffff]/;
const utf8 = new TextEncoder();

/** Encodes a head string as ISO-8859-1 bytes (the inverse of `latin1`). */
export function encodeLatin1(s: string): Uint8Array {
  // ASCII, the usual head, is the same in UTF-8: let the native encoder do it
  if (!NON_ASCII.test(s)) return utf8.encode(s);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Whether the origin lets its connection carry another request (RFC 9112 section 9.3). */
export function originKeepsAlive(res: ResponseHead): boolean {
  const tokens = res.headers.tokens("connection");
  if (tokens.includes("close")) return false;
  return res.minor === 1 || tokens.includes("keep-alive");
}

/** Whether the client asked for a persistent connection (RFC 9112 section 9.3). */
export function clientWantsKeepAlive(req: RequestHead): boolean {
  const tokens = req.headers.tokens("connection");
  const proxy = req.headers.tokens("proxy-connection");
  if (tokens.includes("close") || proxy.includes("close")) return false;
  return req.minor === 1 || tokens.includes("keep-alive") || proxy.includes("keep-alive");
}

/**
 * The request head to send upstream: origin-form target, `Host` from the URL
 * first, hop-by-hop fields removed, `Via` added, other fields in order. With
 * `keepAlive` the upstream connection may be reused (HTTP/1.1's default);
 * otherwise `Connection: close` asks the origin to close after its response.
 *
 * @example
 * ```ts
 * import { upstreamRequestHead } from "./forward.ts";
 * import { RequestParser } from "./parse.ts";
 * import { parseAbsoluteTarget } from "./target.ts";
 * const req = new RequestParser().parse(new TextEncoder().encode("GET http://a:81/x HTTP/1.1\r\n\r\n"))!.head;
 * upstreamRequestHead(req, parseAbsoluteTarget(req.target), "sluice");
 * // "GET /x HTTP/1.1\r\nHost: a:81\r\nVia: 1.1 sluice\r\nConnection: close\r\n\r\n"
 * ```
 */
export function upstreamRequestHead(
  req: RequestHead,
  target: Target,
  viaName: string,
  keepAlive = false,
  upgrade: string | null = null,
  parent: { readonly authorization: string | null } | null = null,
  writer: HeadWriter = new HeadWriter(),
): Uint8Array {
  const h = req.headers;
  stripHopByHop(h);
  // an upgrade the proxy carries (requestedUpgrade in upgrade.ts) is the one hop-by-hop field kept
  if (upgrade !== null) h.append("Upgrade", upgrade);
  h.delete("host");
  appendVia(h, req.minor, viaName);
  // to a --parent: the target in absolute-form, and the parent's credentials
  const w = writer.start().text(req.method);
  if (parent) w.text(" http://").text(target.authority);
  else w.text(" ");
  w.text(target.path).text(" HTTP/1.1\r\nHost: ").text(target.authority).text("\r\n").fields(h);
  if (parent?.authorization) {
    w.text("Proxy-Authorization: ").text(parent.authorization).text("\r\n");
  }
  w.text(
    upgrade !== null
      ? "Connection: upgrade\r\n\r\n"
      : keepAlive
      ? "\r\n"
      : "Connection: close\r\n\r\n",
  );
  return w.bytes();
}

/** How the response body travels to the client. */
export type BodyMode =
  | "none" // no body
  | "length" // Content-Length bytes, copied
  | "chunked" // chunked, copied as is (framing checked on the way)
  | "dechunk" // chunked from the origin, plain to an HTTP/1.0 client, then close
  | "raw" // read until the origin closes, copied, then close
  | "rechunk"; // read until the origin closes, sent chunked to an HTTP/1.1 client

/** The client side of a response. */
export interface ResponsePlan {
  /** Serialized response head. */
  head: Uint8Array;
  /** How the body is relayed. */
  mode: BodyMode;
  /** Whether the client connection may carry another request afterwards. */
  keepAlive: boolean;
}

/**
 * Plans the response to the client. `keepAlive` is what the client and the
 * proxy want; the plan turns it off when the body can only end with a close.
 *
 * @example
 * ```ts
 * import { planResponse } from "./forward.ts";
 * import { RequestParser, ResponseParser } from "./parse.ts";
 * const enc = new TextEncoder();
 * const req = new RequestParser().parse(enc.encode("GET http://a/ HTTP/1.0\r\n\r\n"))!.head;
 * const res = new ResponseParser().parse(enc.encode("HTTP/1.1 200 OK\r\n\r\n"))!.head;
 * console.log(planResponse(req, res, { kind: "close" }, false, "sluice").mode); // "raw"
 * ```
 */
export function planResponse(
  req: RequestHead,
  res: ResponseHead,
  framing: BodyFraming,
  keepAlive: boolean,
  viaName: string,
  writer: HeadWriter = new HeadWriter(),
): ResponsePlan {
  const h = res.headers;
  stripHopByHop(h);
  let mode: BodyMode;
  switch (framing.kind) {
    case "none":
      mode = "none";
      break;
    case "length":
      mode = "length";
      break;
    case "chunked":
      if (req.minor === 1) mode = "chunked";
      else {
        mode = "dechunk";
        h.delete("transfer-encoding");
        keepAlive = false;
      }
      break;
    case "close":
      if (keepAlive && req.minor === 1) {
        mode = "rechunk";
        const codings = h.getAll("transfer-encoding");
        h.set("Transfer-Encoding", [...codings, "chunked"].join(", "));
      } else {
        mode = "raw";
        keepAlive = false;
      }
      break;
  }
  appendVia(h, res.minor, viaName);
  if (!keepAlive) h.append("Connection", "close");
  else if (req.minor === 0) h.append("Connection", "keep-alive");
  return { head: statusHead(writer, res.status, res.reason, h), mode, keepAlive };
}

/** An interim (1xx) response head as relayed to an HTTP/1.1 client, with `Via`. */
export function interimHead(
  res: ResponseHead,
  viaName: string,
  writer: HeadWriter = new HeadWriter(),
): Uint8Array {
  const h: HeaderList = res.headers;
  stripHopByHop(h);
  appendVia(h, res.minor, viaName);
  return statusHead(writer, res.status, res.reason, h);
}

/** `HTTP/1.1 <status> <reason>`, the fields and the blank line, in `writer`. */
function statusHead(writer: HeadWriter, status: number, reason: string, h: HeaderList): Uint8Array {
  return writer.start().text("HTTP/1.1 ").decimal(status).text(" ").text(reason).text("\r\n")
    .fields(h).text("\r\n").bytes();
}
