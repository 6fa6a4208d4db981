/**
 * Revalidation in the background (`stale-while-revalidate`, RFC 5861): the
 * client has its stale answer already; the same exchange machinery then
 * goes to the origin with the stored validators, on behalf of no client (a
 * sink that discards what would have been written back), so a 304 freshens
 * the entry and a 200 replaces it exactly as an in-line revalidation would.
 * One at a time per key.
 *
 * @module
 */

import { ByteBuffer } from "../buffer.ts";
import { ConnectionTimer } from "../connection_timer.ts";
import { type Duplex, Endpoint, Exchange } from "../exchange.ts";
import type { ExchangeScope } from "../exchange_scope.ts";
import { Forwarder } from "../forward/forwarder.ts";
import type { ResponseHook } from "../forward/response_hook.ts";
import { NO_BODY } from "../http1/framing.ts";
import { HeaderList } from "../http1/headers.ts";
import type { Target } from "../http1/target.ts";
import { logAccess, logger } from "../log.ts";

const log = logger("cache");

/** A client that is not there: reads end at once, writes vanish. */
const NOBODY: Duplex = {
  read: () => Promise.resolve(null),
  write: (p) => Promise.resolve(p.length),
  closeWrite: () => Promise.resolve(),
  close: () => {},
};

/** Keys being revalidated in the background now. */
const running = new Set<string>();

/**
 * Runs `revalidate` (the cache's in-line revalidation, given a scope and a
 * forward function) for `key` in the background, unless one already runs.
 * Never rejects; failures are logged at debug level.
 */
export function inBackground(
  scope: ExchangeScope,
  target: Target,
  key: string,
  revalidate: (
    scope: ExchangeScope,
    forward: (hook: ResponseHook | null) => Promise<boolean>,
  ) => Promise<boolean>,
): void {
  if (running.has(key)) return;
  running.add(key);
  const client = new Endpoint(NOBODY, new ByteBuffer(16), "client");
  const ex = new Exchange(0);
  ex.client = client;
  const headers = new HeaderList();
  const from = scope.req.headers;
  for (let i = 0; i < from.size; i++) headers.append(from.names[i], from.values[i]);
  const req = { method: "GET", target: scope.req.target, minor: 1, headers };
  ex.method = "GET";
  ex.target = req.target;
  const timer = new ConnectionTimer(scope.ctx.timers, scope.config, client, () => ex);
  const bg: ExchangeScope = { ...scope, ex, client, req, timer, keepAlive: false };
  const forwarder = new Forwarder();
  const forward = (hook: ResponseHook | null) => {
    ex.transition("head");
    return forwarder.forward(bg, target, NO_BODY, hook);
  };
  revalidate(bg, forward).catch((err) => {
    log.debug("Background revalidation of {key} failed: {error}", {
      key,
      error: (err as Error)?.message ?? String(err),
    });
  }).finally(() => {
    running.delete(key);
    timer.disarm();
    ex.server?.close();
    logAccess("background", ex);
  });
}
