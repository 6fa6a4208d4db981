/**
 * The one way an exchange becomes a tunnel, whoever decided it (a CONNECT
 * dialled directly, a CONNECT the parent accepted, an origin's 101): the
 * transition, the answer's head to the client, then bytes both ways until
 * both sides end, under the tunnel's idle deadline.
 *
 * @module
 */

import type { Endpoint } from "../exchange.ts";
import type { ExchangeScope } from "../exchange_scope.ts";
import { send } from "../endpoint_io.ts";
import { tunnel } from "../relay.ts";

/**
 * Takes the exchange to TUNNEL by `event` (`tunnel` from SEND_REQUEST,
 * `upgrade` from READ_RESPONSE), sends `head` (recorded as `status`) and
 * relays until both directions end. Bytes already buffered on either side
 * go first. Returns false: the client connection ends with the tunnel.
 */
export async function openTunnel(
  { ex, client, timer }: ExchangeScope,
  server: Endpoint,
  event: "tunnel" | "upgrade",
  status: number,
  head: Uint8Array,
): Promise<false> {
  ex.transition(event);
  ex.status = status;
  ex.responseStarted = true;
  timer.arm("tunnel-idle");
  await send(client, head, ex);
  await tunnel(client, server, ex);
  ex.transition("close");
  return false;
}
