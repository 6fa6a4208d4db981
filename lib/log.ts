/**
 * Logging through LogTape: one access line per exchange at info (category
 * `sluice.access`), diagnostics at debug (`sluice.*`). Lines go to stderr.
 *
 * @module
 */

import { configure, getLogger, type Logger, type LogRecord, reset } from "@logtape/logtape";
import type { LogLevel } from "./config.ts";
import type { Exchange } from "./exchange.ts";

const encoder = new TextEncoder();

/** Tag put after the level on every line (`w2` in a worker), or "". */
let tag = "";

/** Writes one log line to stderr: time, level, worker tag, category, message. */
function writeLine(timeMs: number, level: string, category: string, msg: string): void {
  const line = `${new Date(timeMs).toISOString()} ${
    level.toUpperCase().padEnd(7)
  } ${tag}${category} ${msg}\n`;
  try {
    Deno.stderr.writeSync(encoder.encode(line));
  } catch {
    // stderr closed: logging must never take the proxy down
  }
}

/** A sink writing one line per record to stderr. */
function stderrSink(record: LogRecord): void {
  let msg = "";
  for (let i = 0; i < record.message.length; i++) {
    const part = record.message[i];
    msg += i % 2 === 0 ? part : typeof part === "string" ? part : JSON.stringify(part);
  }
  writeLine(record.timestamp, record.level, record.category.join("."), msg);
}

/**
 * Writes one line to stderr whatever the log level, formatted like the
 * others at level NOTICE: for what an operator must always see (the
 * addresses sluice listens on), which `--log-level warning` would hide.
 *
 * @example
 * ```ts ignore
 * announce("main", "sluice 0.1.0 listening on http://127.0.0.1:8080");
 * ```
 */
export function announce(category: string, message: string): void {
  writeLine(Date.now(), "notice", `sluice.${category}`, message);
}

/**
 * Sets up the loggers at `level`. A `worker` tag (`w2`) is put on every line
 * of a `--workers` event loop other than the main one.
 */
export async function setupLogging(level: LogLevel, worker = ""): Promise<void> {
  tag = worker ? `[${worker}] ` : "";
  await configure({
    reset: true,
    sinks: { stderr: stderrSink },
    loggers: [
      { category: ["sluice"], lowestLevel: level, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}

/** Removes the logging configuration (for tests). */
export async function teardownLogging(): Promise<void> {
  await reset();
}

/** The logger of a part of the proxy (`sluice.<name>`). */
export function logger(name: string): Logger {
  return getLogger(["sluice", name]);
}

const access = getLogger(["sluice", "access"]);

/** Logs the access line of a finished exchange. */
export function logAccess(client: string, ex: Exchange): void {
  if (!access.isEnabledFor("info")) return;
  access.info(
    "{client} {method} {target} {status} in={clientRead} out={clientWritten} up={serverWritten}/{serverToWrite} down={serverRead} {ms}ms{cache} {reason}{user}",
    {
      client,
      method: ex.method,
      target: ex.target,
      status: ex.status,
      clientRead: ex.clientRead,
      clientWritten: ex.clientWritten,
      serverWritten: ex.serverWritten,
      serverToWrite: ex.serverToWrite,
      serverRead: ex.serverRead,
      ms: Math.round(ex.elapsed()),
      reason: ex.reason ?? "-",
      user: ex.user === null ? "" : ` user=${ex.user}`,
      // "sluice; hit; ttl=5" -> " cache=hit;ttl=5"
      cache: ex.cache === ""
        ? ""
        : ` cache=${ex.cache.slice(ex.cache.indexOf(";") + 1).replaceAll(" ", "")}`,
    },
  );
}
