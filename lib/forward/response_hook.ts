/**
 * How the cache takes part in a forwarded exchange: it sees the origin's
 * final response head before any of it goes to the client, and decides.
 *
 * @module
 */

import type { BodyFraming } from "../http1/framing.ts";
import type { ResponseHead } from "../http1/parse.ts";
import type { BodySink } from "../relay.ts";

/**
 * What the cache does with an origin's final response head, before any of it
 * goes to the client: relay it (with a sink that keeps a copy of the body, and
 * fields to add such as `Cache-Status`), or answer the client itself (a 304
 * that freshened a stored response, a 5xx replaced by a stale one): the
 * forwarder then discards the origin's response and calls `answer`.
 */
export type HookAction =
  | { kind: "relay"; sink: BodySink | null; fields: readonly (readonly [string, string])[] }
  | { kind: "answer"; answer: () => Promise<boolean> };

/** A cache's view of one forwarded exchange. */
export interface ResponseHook {
  /** The final response head has arrived (its fields as received). */
  head(res: ResponseHead, framing: BodyFraming): HookAction;
  /** The relay ended: `ok` when the whole body went through. */
  end(ok: boolean): void;
}
