/**
 * What every connection shares with its server: the configuration and
 * access policy in force (both replaced on reload), the proxy's own listen
 * addresses (loop refusal), the drain flag, how origins are dialled, the
 * deadline walker and the upstream pool.
 *
 * @module
 */

import type { ParentRoute } from "./upstream/parent.ts";
import type { UpstreamSet } from "./reverse/upstreams.ts";
import type { HttpCache } from "./cache/http_cache.ts";
import type { Config } from "./config.ts";
import type { Duplex, Exchange } from "./exchange.ts";
import type { Target } from "./http1/target.ts";
import type { AddressGate, Policy } from "./policy/policy.ts";
import type { Timers } from "./timers.ts";
import { dial } from "./upstream/dial.ts";
import type { UpstreamPool } from "./upstream/pool.ts";
import type { SelfAddresses } from "./upstream/self_addresses.ts";

/** What a connection shares with its server. */
export interface ConnectionContext {
  /** The configuration in force (replaced on reload; an exchange keeps the one it began with). */
  config: Config;
  /** The access policy in force (replaced on reload, like `config`). */
  policy: Policy;
  /**
   * This proxy's own listen addresses: a request that would connect to one
   * of them is refused (508 loop-detected). Set by the server after it
   * binds, and on reload; absent where a context is built by hand (tests).
   */
  self?: SelfAddresses;
  /** Set when the server drains: finish the exchange in flight, then close. */
  draining: boolean;
  /**
   * Opens an upstream connection; `signal` aborts at the connect deadline;
   * `gate` vets each address (replaceable in tests).
   */
  dial(
    target: Target,
    signal: AbortSignal,
    timeoutMs: number,
    gate: AddressGate | null,
  ): Promise<Duplex>;
  /** The deadline walker every connection arms its one deadline with. */
  readonly timers: Timers;
  /** Idle upstream connections for reuse; `null` when pooling is off. */
  readonly pool: UpstreamPool | null;
  /** Which requests go through `--parent` (null: none). */
  parents?: ParentRoute | null;
  /** The `--upstream` servers (reverse proxy), or `null` when none. */
  upstreams?: UpstreamSet | null;
  /** The shared HTTP cache, or `null` (`--cache-size 0`). */
  readonly cache?: HttpCache | null;
  /** Called with each exchange record when it ends (tests, metrics). */
  observe?: (ex: Exchange) => void;
}

/** The default way to reach an origin. */
export function dialTarget(
  target: Target,
  signal: AbortSignal,
  timeoutMs: number,
  gate: AddressGate | null = null,
): Promise<Duplex> {
  return dial(target.host, target.port, { signal, timeoutMs, ...(gate ? { gate } : {}) });
}

/** Room before an upstream buffer's data for the rewritten response head (one write). */
