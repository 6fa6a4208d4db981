/**
 * A request body streaming upstream while the response is awaited: its
 * outcome is read by the forwarder after the response (done, or the error
 * that ended it). Made only for a request that has a body, so a bodiless
 * exchange carries no closures for it.
 *
 * @module
 */

import type { ProxyError } from "../errors.ts";
import type { Endpoint, Exchange } from "../exchange.ts";
import { State } from "../state.ts";
import type { ConnectionTimer } from "../connection_timer.ts";

/**
 * The state of one request body's relay.
 *
 * @example
 * ```ts ignore
 * const pump = new BodyPump(relayLength(client, server, n, ex), ex, timer, server, asProxyError);
 * // ... the response ...
 * await pump.promise;
 * if (pump.error) keep = false;
 * ```
 */
export class BodyPump {
  /** Whether the whole body went upstream. */
  done = false;
  /** What ended the relay early, if anything. */
  error: ProxyError | null = null;
  /** Settles (never rejects) once the relay ended. */
  readonly promise: Promise<void>;

  /**
   * Watches `relay`. When it ends the origin's first-byte deadline starts
   * (if no response byte came yet); a failure other than the origin going
   * away closes `up` (a bad or vanished client body ends the exchange; an
   * origin that stopped reading may still be answering).
   */
  constructor(
    relay: Promise<void>,
    ex: Exchange,
    timer: ConnectionTimer,
    up: Endpoint,
    asError: (err: unknown) => ProxyError,
  ) {
    this.promise = relay.then(
      () => {
        this.done = true;
        if (ex.state === State.READ_RESPONSE && ex.serverRead === 0) timer.arm("first-byte");
      },
      (err) => {
        const e = this.error = asError(err);
        if (e.reason !== "upstream-closed") up.close();
      },
    );
  }
}

/**
 * Whether the request body, if any, went upstream in full and without error
 * (what leaves the upstream connection fit for reuse).
 */
export function bodySent(pump: BodyPump | null): boolean {
  return pump === null || (pump.done && pump.error === null);
}

/**
 * The response went out while the request body was being pumped: whether the
 * client connection may still be kept (`keep`) once the pump is done. An
 * origin that answered before the whole body went out leaves the rest of it
 * indistinguishable from a next request: both connections close.
 */
export async function settlePump(
  pump: BodyPump,
  keep: boolean,
  server: Endpoint,
  client: Endpoint,
): Promise<boolean> {
  // the body normally finished long before the response did; one timer tick
  // lets a pump that is just resolving report so
  if (!pump.done) {
    let tick: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([pump.promise, new Promise((r) => tick = setTimeout(r, 0))]);
    clearTimeout(tick);
  }
  if (!pump.done) {
    keep = false;
    server.close();
    client.close();
  }
  await pump.promise;
  if (pump.error) keep = false;
  return keep;
}
