/**
 * The entry point of one extra event loop in `--workers N` mode: a Web Worker
 * that runs its own {@linkcode ProxyServer} (the same four-state machine, its
 * own timers and upstream pool) on the same listen addresses, sharing them
 * with SO_REUSEPORT. It is started and stopped by {@linkcode WorkerGroup}
 * (lib/workers.ts) through the messages below.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import type { Config } from "./config.ts";
import { dialTarget } from "./connection.ts";
import { buildPolicy } from "./load.ts";
import { closeAccessLog, logger, reopenAccessLog, setupAccessLog, setupLogging } from "./log.ts";
import { type LoopSnapshot, loopSnapshot, ProxyServer } from "./server.ts";

/** What the main thread tells a worker. */
export type ToWorker =
  | { kind: "start"; id: number; config: Config; authText: string | null }
  | { kind: "reload"; config: Config; authText: string | null }
  | { kind: "drain"; timeoutMs: number; delayMs: number }
  | { kind: "snapshot" }
  | { kind: "reopen-log" };

/** What a worker tells the main thread. */
export type FromWorker =
  | { kind: "ready"; id: number }
  | { kind: "failed"; id: number; message: string }
  | { kind: "reloaded"; id: number }
  | { kind: "stopped"; id: number }
  | { kind: "reopened"; id: number }
  | { kind: "snapshot"; id: number; snapshot: LoopSnapshot };

let server: ProxyServer | null = null;
let id = 0;

function reply(msg: FromWorker): void {
  self.postMessage(msg);
}

self.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  logger("worker").error("Unhandled rejection (kept running): {reason}", {
    reason: String(e.reason),
  });
});

self.onmessage = async (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.kind === "start") {
    id = msg.id;
    try {
      await setupLogging(msg.config.logLevel, `w${id}`);
      await setupAccessLog(msg.config);
      server = new ProxyServer(msg.config, dialTarget, await buildPolicy(msg.config, msg.authText));
      server.listen({ reusePort: true });
      reply({ kind: "ready", id });
    } catch (err) {
      reply({ kind: "failed", id, message: (err as Error).message });
    }
  } else if (msg.kind === "reload") {
    try {
      await setupAccessLog(msg.config);
      await setupLogging(msg.config.logLevel, `w${id}`);
      server?.reload(msg.config, await buildPolicy(msg.config, msg.authText), { reusePort: true });
      reply({ kind: "reloaded", id });
    } catch (err) {
      reply({ kind: "failed", id, message: (err as Error).message });
    }
  } else if (msg.kind === "reopen-log") {
    try {
      await reopenAccessLog();
      reply({ kind: "reopened", id });
    } catch (err) {
      reply({ kind: "failed", id, message: (err as Error).message });
    }
  } else if (msg.kind === "snapshot") {
    if (server) reply({ kind: "snapshot", id, snapshot: loopSnapshot(server) });
  } else if (msg.kind === "drain") {
    await server?.drain(msg.timeoutMs, msg.delayMs);
    await closeAccessLog();
    reply({ kind: "stopped", id });
    self.close();
  }
};
