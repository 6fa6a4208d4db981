/**
 * The upstream connection of a forwarded exchange: one taken from the pool,
 * or a fresh one dialled within the connect deadline with its addresses
 * checked; and the pool's key for an address.
 *
 * @module
 */

import { ByteBuffer, UPSTREAM_BUFFER_SIZE } from "../buffer.ts";
import { ProxyError } from "../errors.ts";
import { type Duplex, Endpoint, type Exchange } from "../exchange.ts";
import type { ExchangeScope } from "../exchange_scope.ts";
import type { Target } from "../http1/target.ts";
import type { AddressGate } from "../policy/policy.ts";
import type { Pooled } from "../upstream/pool.ts";

/** Room before an upstream buffer's data for the rewritten response head (one write). */
export const HEAD_ROOM = 512;

/** `host:port` keys of the pool by host and port, made once (hosts come from a memo: one string each). */
const poolKeys = new Map<string, Map<number, string>>();

/**
 * The pool key of `host:port`: the same string each time (remembered for up
 * to 1,024 hosts), so the pool's lookups need no string building.
 *
 * @example
 * ```ts
 * import { poolKey } from "./upstream_conn.ts";
 * poolKey("example.com", 80); // "example.com:80"
 * ```
 */
export function poolKey(host: string, port: number): string {
  let ports = poolKeys.get(host);
  if (ports === undefined) {
    if (poolKeys.size >= 1024) poolKeys.clear();
    poolKeys.set(host, ports = new Map());
  }
  let key = ports.get(port);
  if (key === undefined) ports.set(port, key = `${host}:${port}`);
  return key;
}

/**
 * The checks on the addresses a fresh connection dials: the policy's rules
 * for a client's target (not for an operator's --upstream or --parent), after
 * the loop check that refuses this proxy's own addresses.
 */
function dialGate(
  { policy, ctx }: ExchangeScope,
  target: Target,
  dialTo: Target,
  operatorChosen: boolean,
): AddressGate | null {
  const policyGate = operatorChosen ? null : policy.gate(target.host, target.port);
  return ctx.self ? ctx.self.gate(dialTo.host, dialTo.port, policyGate) : policyGate;
}

/** Makes `server` the exchange's upstream connection (reused: it came from the pool). */
function attach(ex: Exchange, server: Endpoint, reused: boolean): Endpoint {
  ex.server = server;
  ex.upstreamVia(server.conn, reused);
  ex.mark("connect");
  return server;
}

/** A pooled connection becomes the exchange's upstream (its watch read pending, if any). */
export function adoptPooled(ex: Exchange, pooled: Pooled): Endpoint {
  const server = new Endpoint(pooled.conn, pooled.buf, "upstream");
  server.pending = pooled.pending;
  return attach(ex, server, true);
}

/**
 * A fresh connection to `dialTo` within the connect deadline, its addresses
 * checked by the policy (for the client's `target`, unless the operator chose
 * the address) and against this proxy's own.
 */
export async function dialUpstream(
  scope: ExchangeScope,
  target: Target,
  dialTo: Target,
  operatorChosen: boolean,
): Promise<Endpoint> {
  const { ex, ctx, timer, config } = scope;
  const gate = dialGate(scope, target, dialTo, operatorChosen);
  let conn: Duplex;
  try {
    conn = await ctx.dial(dialTo, timer.armConnect(), config.connectTimeoutMs, gate);
  } finally {
    timer.disarm();
  }
  // backstop: an address of this machine not known to be one (no --allow-sys)
  const loop = ctx.self?.checkConnection(conn, dialTo.host, dialTo.port) ?? null;
  if (loop) {
    conn.close();
    throw loop;
  }
  const buf = new ByteBuffer(UPSTREAM_BUFFER_SIZE + HEAD_ROOM, HEAD_ROOM);
  return attach(ex, new Endpoint(conn, buf, "upstream"), false);
}

/** Methods a proxy may send again (RFC 9110 section 9.2.2). */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** Whether a request with `method` may be sent again (idempotent: RFC 9110 section 9.2.2). */
export function mayRepeat(method: string): boolean {
  return IDEMPOTENT.has(method);
}

/**
 * Whether `err` means the upstream connection went away (EOF, reset, write
 * failure): on a pooled connection, before any response byte, the origin
 * closed it while it idled.
 */
export function isUpstreamLoss(err: unknown): boolean {
  return err instanceof ProxyError && err.reason === "upstream-closed";
}
