/**
 * The request heads sluice sends to a parent proxy (a plain request in
 * absolute-form, a CONNECT as the parent's own CONNECT, each with the
 * parent's `Proxy-Authorization`), and what the parent's answers mean.
 * Sans-io; re-exported by parent.ts.
 *
 * @module
 */

import { appendVia, stripHopByHop } from "../http1/headers.ts";
import { encodeLatin1, upstreamRequestHead } from "../http1/forward.ts";
import type { RequestHead, ResponseHead } from "../http1/parse.ts";
import type { Target } from "../http1/target.ts";
import type { Parent } from "./parent.ts";

/**
 * The reason code of a request the parent refused (its 407, 403 or 5xx is
 * relayed to the client): for `X-Sluice-Reason` and the access line.
 */
export const PARENT_REFUSED = "parent-refused" as const;

/** The header block after the request line: `Host`, the client's fields, `Via`. */
function headerLines(req: RequestHead, target: Target, viaName: string, out: string[]): void {
  const h = req.headers;
  h.delete("host");
  appendVia(h, req.minor, viaName);
  out.push("Host: ", target.authority, "\r\n");
  h.serializeInto(out);
}

/**
 * The request head to send to the parent for a plain request: the same
 * inputs and rewriting as `upstreamRequestHead` (lib/http1/forward.ts), but
 * the target in absolute-form (`GET http://host:port/path HTTP/1.1`, the
 * port left out when 80) and the parent's `Proxy-Authorization` added. The
 * client's own `Proxy-Authorization` (for this proxy) is hop-by-hop and
 * never goes on. Modifies `req.headers`.
 *
 * @example
 * ```ts
 * import { parentRequestHead, parseParent } from "./parent.ts";
 * import { RequestParser } from "../http1/parse.ts";
 * import { parseAbsoluteTarget } from "../http1/target.ts";
 * const req = new RequestParser().parse(new TextEncoder().encode("GET http://a/x HTTP/1.1\r\n\r\n"))!.head;
 * parentRequestHead(req, parseAbsoluteTarget(req.target), "sluice", parseParent("http://u:p@proxy:3128"));
 * // "GET http://a/x HTTP/1.1\r\nHost: a\r\nVia: 1.1 sluice\r\nProxy-Authorization: Basic dTpw\r\nConnection: close\r\n\r\n"
 * ```
 */
export function parentRequestHead(
  req: RequestHead,
  target: Target,
  viaName: string,
  parent: Parent,
  keepAlive = false,
  upgrade: string | null = null,
): Uint8Array {
  return upstreamRequestHead(req, target, viaName, keepAlive, upgrade, parent);
}

/**
 * The CONNECT head to send to the parent for a client's CONNECT:
 * `CONNECT host:port HTTP/1.1`, `Host`, the client's end-to-end fields (as
 * Squid passes them on; hop-by-hop ones, `Content-Length` and
 * `Transfer-Encoding` removed), `Via`, and the parent's
 * `Proxy-Authorization`. Modifies `req.headers`.
 *
 * @example
 * ```ts
 * import { parentConnectHead, parseParent } from "./parent.ts";
 * import { RequestParser } from "../http1/parse.ts";
 * import { parseAuthorityTarget } from "../http1/target.ts";
 * const req = new RequestParser().parse(new TextEncoder().encode("CONNECT a:443 HTTP/1.1\r\n\r\n"))!.head;
 * parentConnectHead(req, parseAuthorityTarget(req.target), "sluice", parseParent("http://proxy:3128"));
 * // "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nVia: 1.1 sluice\r\n\r\n"
 * ```
 */
export function parentConnectHead(
  req: RequestHead,
  target: Target,
  viaName: string,
  parent: Parent,
): Uint8Array {
  const h = req.headers;
  stripHopByHop(h);
  h.delete("content-length");
  h.delete("transfer-encoding");
  const out: string[] = ["CONNECT ", target.authority, " HTTP/1.1\r\n"];
  headerLines(req, target, viaName, out);
  if (parent.authorization !== null) {
    out.push("Proxy-Authorization: ", parent.authorization, "\r\n");
  }
  out.push("\r\n");
  return encodeLatin1(out.join(""));
}

/** What the parent's answer to a CONNECT means. */
export type ConnectOutcome =
  /** 1xx: read the next head (its bytes are consumed). */
  | { kind: "interim" }
  /**
   * 2xx: the tunnel is open. Send the client `200 Connection Established`;
   * any bytes after the head are the target's, for the client.
   */
  | { kind: "tunnel" }
  /**
   * Any other status: relay the response to the client (planned as for a
   * CONNECT, its body framed by `responseFraming("CONNECT", res)`), log it
   * with `reason`, then close.
   */
  | { kind: "refused"; status: number; reason: typeof PARENT_REFUSED; message: string }
  /** A `101` to a CONNECT: the parent is broken; answer 502 `upstream-bad-response`. */
  | { kind: "invalid"; message: string };

/**
 * Decides what the parent's response to a CONNECT for `target` means.
 *
 * @example
 * ```ts
 * import { parentConnectOutcome, parseParent } from "./parent.ts";
 * import { ResponseParser } from "../http1/parse.ts";
 * import { parseAuthorityTarget } from "../http1/target.ts";
 * const res = new ResponseParser().parse(new TextEncoder().encode("HTTP/1.1 403 Forbidden\r\n\r\n"))!.head;
 * parentConnectOutcome(res, parseParent("http://proxy:3128"), parseAuthorityTarget("a:443"));
 * // { kind: "refused", status: 403, reason: "parent-refused",
 * //   message: "Parent proxy proxy:3128 refused CONNECT a:443: 403 Forbidden" }
 * ```
 */
export function parentConnectOutcome(
  res: ResponseHead,
  parent: Parent,
  target: Target,
): ConnectOutcome {
  const s = res.status;
  if (s === 101) {
    return {
      kind: "invalid",
      message: `Parent proxy ${parent.authority} answered CONNECT ${target.authority} with 101`,
    };
  }
  if (s < 200) return { kind: "interim" };
  if (s < 300) return { kind: "tunnel" };
  const status = `${s}${res.reason === "" ? "" : " " + res.reason}`;
  return {
    kind: "refused",
    status: s,
    reason: PARENT_REFUSED,
    message: `Parent proxy ${parent.authority} refused CONNECT ${target.authority}: ${status}`,
  };
}

/**
 * Whether the parent's response to a plain request is the parent's own
 * refusal (to mark the access line with {@linkcode PARENT_REFUSED}; the
 * response is relayed as usual): a 407 always (an origin cannot ask for
 * proxy credentials), a 403 or 5xx when a proxy made it: `Proxy-Status`
 * with an `error=` (RFC 9209, sluice's own), `X-Squid-Error` or
 * `X-Sluice-Reason`. An origin's own 403 or 503 is not a refusal.
 *
 * @example
 * ```ts
 * import { isParentRefusal } from "./parent.ts";
 * import { ResponseParser } from "../http1/parse.ts";
 * const head = (s: string) => new ResponseParser().parse(new TextEncoder().encode(s))!.head;
 * isParentRefusal(head("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")); // true
 * isParentRefusal(head("HTTP/1.1 503 x\r\nX-Squid-Error: ERR_CONNECT_FAIL 111\r\n\r\n")); // true
 * isParentRefusal(head("HTTP/1.1 503 Service Unavailable\r\n\r\n")); // false
 * ```
 */
export function isParentRefusal(res: ResponseHead): boolean {
  const s = res.status;
  if (s === 407) return true;
  if (s !== 403 && (s < 500 || s > 599)) return false;
  const h = res.headers;
  if (h.has("x-squid-error") || h.has("x-sluice-reason")) return true;
  return h.getAll("proxy-status").some((v) => /;\s*error\s*=/i.test(v));
}
