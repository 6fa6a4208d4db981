/**
 * The plain-data report of one event loop for the admin listener (workers
 * post it to the main loop).
 *
 * @module
 */

import type { StatsSnapshot } from "./admin/stats.ts";
import type { ConnectionInfo } from "./connection.ts";
import type { ProxyServer } from "./server.ts";

/** What one event loop reports to the admin listener (plain data: workers post it). */
export interface LoopSnapshot {
  /** Its counters. */
  stats: StatsSnapshot;
  /** Its open client connections. */
  connections: ConnectionInfo[];
  /** Its idle pooled upstream connections. */
  poolIdle: number;
  /** Its listening sockets. */
  listeners: number;
  /** Its cache's size and bound, or null when off. */
  cache: { bytes: number; entries: number; maxBytes: number } | null;
}

/** The {@linkcode LoopSnapshot} of `server`. */
export function loopSnapshot(server: ProxyServer): LoopSnapshot {
  return {
    stats: server.stats.snapshot(),
    connections: server.connectionInfos(),
    poolIdle: server.poolIdle,
    listeners: server.addresses.length,
    cache: server.cacheUsage,
  };
}
