/**
 * What the connection hands to whoever answers one exchange (the forward
 * proxy, a tunnel, the file server): the exchange record, the client
 * endpoint, the parsed request, and the configuration and policy in force
 * when its head arrived. A handler returns whether the connection may go on
 * and throws `ProxyError` for anything the client should hear about; the
 * connection keeps the loop, the deadlines' phases and the failure path.
 *
 * @module
 */

import type { Config } from "./config.ts";
import type { ConnectionContext } from "./connection_context.ts";
import type { ConnectionTimer } from "./connection_timer.ts";
import type { Endpoint, Exchange } from "./exchange.ts";
import type { RequestHead } from "./http1/parse.ts";
import type { Policy } from "./policy/policy.ts";

/** One exchange, as a handler sees it. */
export interface ExchangeScope {
  /** The exchange record (state, counters, status, reason). */
  readonly ex: Exchange;
  /** The client's endpoint; its buffer may hold the request body and pipelined requests. */
  readonly client: Endpoint;
  /** The request head. */
  readonly req: RequestHead;
  /** The configuration in force when the head arrived. */
  readonly config: Config;
  /** The access policy in force when the head arrived. */
  readonly policy: Policy;
  /** The connection's deadline: arm the phase the handler is in. */
  readonly timer: ConnectionTimer;
  /** What every connection shares (dial, pool, timers, drain flag). */
  readonly ctx: ConnectionContext;
  /** Whether the client asked to keep the connection (and the server is not draining). */
  readonly keepAlive: boolean;
  /** The client's IP address ("" when unknown, in tests). */
  readonly clientIp: string;
}
