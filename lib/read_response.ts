/**
 * Reading an origin's response head: interim (1xx) responses are relayed to
 * HTTP/1.1 clients as they come, the final head is returned.
 *
 * @module
 */

import { ProxyError } from "./errors.ts";
import type { Endpoint, Exchange } from "./exchange.ts";
import { interimHead } from "./http1/forward.ts";
import type { RequestHead, ResponseHead, ResponseParser } from "./http1/parse.ts";
import { filled, readFailure, readInto, send } from "./endpoint_io.ts";

/**
 * The response head the bytes buffered from `server` complete, consumed from
 * the buffer, or null (the parser keeps its place; reset it before a head).
 */
function bufferedResponseHead(
  server: Endpoint,
  parser: ResponseParser,
): ResponseHead | null {
  if (server.buf.length === 0) return null;
  const parsed = parser.parse(server.buf.data());
  if (parsed === null) return null;
  server.buf.consume(parsed.consumed);
  return parsed.head;
}

/** The error for an origin that closed before a response head was complete. */
function closedBeforeHead(server: Endpoint, ex: Exchange): ProxyError {
  return new ProxyError(
    502,
    "upstream-closed",
    server.buf.length === 0 && ex.serverRead === 0
      ? "Upstream closed the connection without sending a response"
      : "Upstream closed the connection in the middle of the response head",
  );
}

/**
 * Reads from `server` until a final response head is complete; each 1xx is
 * relayed to `client` (HTTP/1.1 clients only) and recorded as an "interim"
 * transition. A 101 is the final head when `upgrading` (the request asked for
 * an upgrade sluice carries); otherwise it is refused (502).
 */
export async function readResponseHead(
  server: Endpoint,
  client: Endpoint,
  parser: ResponseParser,
  req: RequestHead,
  ex: Exchange,
  viaName: string,
  upgrading = false,
): Promise<ResponseHead> {
  for (;;) {
    parser.reset();
    let head: ResponseHead | null;
    while ((head = bufferedResponseHead(server, parser)) === null) {
      let n: number;
      try {
        // the read op's own promise, booked here: no promise chained in between
        n = await readInto(server);
      } catch (err) {
        throw readFailure(server, err);
      }
      if (filled(server, ex, n) === 0) throw closedBeforeHead(server, ex);
    }
    if (head.status >= 200 || (head.status === 101 && upgrading)) return head;
    if (head.status === 101) {
      throw new ProxyError(
        502,
        "upstream-bad-response",
        "Upstream switched protocols, which sluice does not relay",
      );
    }
    if (req.minor === 1) await send(client, interimHead(head, viaName), ex);
    ex.transition("interim");
  }
}
