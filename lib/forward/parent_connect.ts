/**
 * CONNECT through a parent proxy (`--parent`): the parent is asked with its
 * own CONNECT; a 2xx makes the exchange a tunnel (READ_RESPONSE -upgrade->
 * TUNNEL: bytes flow both ways), anything else is the parent's refusal,
 * relayed to the client as it came and marked `parent-refused`.
 *
 * @module
 */

import type { ChunkedDecoder } from "../http1/chunked.ts";
import { ProxyError } from "../errors.ts";
import type { Endpoint } from "../exchange.ts";
import type { ExchangeScope } from "../exchange_scope.ts";
import { responseFraming } from "../http1/framing.ts";
import { planResponse } from "../http1/forward.ts";
import type { ResponseParser } from "../http1/parse.ts";
import type { Target } from "../http1/target.ts";
import { readResponseHead } from "../read_response.ts";
import { send } from "../endpoint_io.ts";
import { relayResponseBody } from "../relay.ts";
import { openTunnel } from "./open_tunnel.ts";
import { CONNECT_ESTABLISHED } from "../responses.ts";
import type { Parent } from "../upstream/parent.ts";
import { PARENT_REFUSED, parentConnectHead, parentConnectOutcome } from "../upstream/parent.ts";

/** Runs a CONNECT through `parent` on `server` (already connected); returns false (the connection ends). */
export async function connectViaParent(
  scope: ExchangeScope,
  server: Endpoint,
  target: Target,
  parent: Parent,
  parser: ResponseParser,
  decoder: ChunkedDecoder,
  via: string,
): Promise<boolean> {
  const { ex, client, req, timer } = scope;
  timer.arm("first-byte");
  await send(server, parentConnectHead(req, target, via, parent), ex);
  ex.mark("sent");
  ex.transition("sent");
  const res = await readResponseHead(server, client, parser, req, ex, via);
  const outcome = parentConnectOutcome(res, parent, target);
  if (outcome.kind === "tunnel") {
    // bytes after the parent's head are in server.buf: they go first
    return await openTunnel(scope, server, "upgrade", 200, CONNECT_ESTABLISHED);
  }
  if (outcome.kind !== "refused") {
    throw new ProxyError(
      502,
      "upstream-bad-response",
      outcome.kind === "invalid"
        ? outcome.message
        : "Parent answered CONNECT with an interim response only",
    );
  }
  ex.transition("head");
  ex.reason = PARENT_REFUSED;
  ex.status = res.status;
  const framing = responseFraming("GET", res); // a refusal's body is framed like any response's
  const plan = planResponse(req, res, framing, false, via);
  await relayResponseBody(
    plan.mode,
    framing.kind === "length" ? framing.length : 0,
    plan.head,
    server,
    client,
    decoder,
    ex,
  );
  ex.responseStarted = true;
  ex.transition("close");
  return false;
}
