/**
 * Logging through LogTape: diagnostics at debug (`sluice.*`) on stderr, and
 * one access line per exchange. The access line goes, by
 * `--access-log-format` and `--access-log`:
 *
 * - `text` without a file: through LogTape at info (category
 *   `sluice.access`), hidden when `--log-level` is above info;
 * - `json`/`combined` without a file: bare lines on stderr, hidden likewise;
 * - any format with a file: to the file, always, through an
 *   {@linkcode AccessLogWriter} (a `text` line there is the whole stderr line).
 *
 * @module
 */

import { configure, getLogger, type Logger, type LogRecord, reset } from "@logtape/logtape";
import { formatAccess, formatText } from "./access_log.ts";
import { AccessLogOpenError, AccessLogWriter } from "./access_log_writer.ts";
import type { Config, LogLevel } from "./config.ts";
import type { AccessLogFormat } from "./config_options.ts";
import type { Exchange } from "./exchange.ts";

export { AccessLogOpenError };

const encoder = new TextEncoder();

/** Tag put after the level on every line (`w2` in a worker), or "". */
let tag = "";

/** One log line (no newline): time, level, worker tag, category, message. */
function formatLine(timeMs: number, level: string, category: string, msg: string): string {
  return `${new Date(timeMs).toISOString()} ${
    level.toUpperCase().padEnd(7)
  } ${tag}${category} ${msg}`;
}

/** Writes text to stderr. */
function writeStderr(text: string): void {
  try {
    Deno.stderr.writeSync(encoder.encode(text));
  } catch {
    // stderr closed: logging must never take the proxy down
  }
}

/** Writes one log line to stderr: time, level, worker tag, category, message. */
function writeLine(timeMs: number, level: string, category: string, msg: string): void {
  writeStderr(formatLine(timeMs, level, category, msg) + "\n");
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

/** Where access lines go now (see the module doc). */
let accessFormat: AccessLogFormat = "text";
let accessPath: string | null = null;
let accessWriter: AccessLogWriter | null = null;

/** Reports a failed write or close of the access log file `path`. */
function accessError(path: string, err: Error): void {
  logger("log").error("Access log {path}: {error}", { path, error: err.message });
}

/**
 * Directs access lines as `config` says (`accessLogFormat`, `accessLog`):
 * opens the file when it changed (closing the previous one once its lines are
 * written) and keeps it open otherwise. Rejects with
 * {@linkcode AccessLogOpenError} when the file cannot be opened, leaving the
 * previous setup in force.
 *
 * @example
 * ```ts ignore
 * await setupAccessLog({ accessLogFormat: "json", accessLog: "/var/log/sluice/access.log" });
 * ```
 */
export async function setupAccessLog(
  config: Pick<Config, "accessLogFormat" | "accessLog">,
): Promise<void> {
  if (config.accessLog === accessPath) {
    accessFormat = config.accessLogFormat;
    return;
  }
  const path = config.accessLog;
  const next = path === null
    ? null
    : await AccessLogWriter.open(path, { onError: (err) => accessError(path, err) });
  const old = accessWriter;
  accessFormat = config.accessLogFormat;
  accessPath = path;
  accessWriter = next;
  await retire(old);
}

/**
 * Opens the access log file again (SIGUSR1, after logrotate renamed it);
 * nothing to do without one. Rejects with {@linkcode AccessLogOpenError},
 * keeping the old file, when it cannot be opened.
 *
 * @example
 * ```ts ignore
 * Deno.addSignalListener("SIGUSR1", () => reopenAccessLog().catch(console.error));
 * ```
 */
export async function reopenAccessLog(): Promise<void> {
  await accessWriter?.reopen();
}

/**
 * Writes the buffered access lines and closes the file; later lines go to
 * stderr again (at exit, after the drain).
 *
 * @example
 * ```ts ignore
 * await closeAccessLog();
 * ```
 */
export async function closeAccessLog(): Promise<void> {
  const old = accessWriter;
  accessWriter = null;
  accessPath = null;
  await retire(old);
}

/** Closes a writer no longer in use, saying how many lines it could not write. */
async function retire(writer: AccessLogWriter | null): Promise<void> {
  if (writer === null) return;
  await writer.close();
  if (writer.dropped > 0) {
    logger("log").error("{n} access log line(s) could not be written", { n: writer.dropped });
  }
}

/**
 * Logs the access line of a finished exchange (see the module doc for where
 * it goes).
 *
 * @example
 * ```ts ignore
 * logAccess("127.0.0.1:50312", ex);
 * ```
 */
export function logAccess(client: string, ex: Exchange): void {
  if (accessWriter !== null) {
    const end = Date.now();
    accessWriter.write(
      accessFormat === "text"
        ? formatLine(end, "info", "sluice.access", formatText(client, ex))
        : formatAccess(accessFormat, client, ex, end),
    );
    return;
  }
  if (!access.isEnabledFor("info")) return;
  if (accessFormat === "text") access.info("{line}", { line: formatText(client, ex) });
  else writeStderr(formatAccess(accessFormat, client, ex, Date.now()) + "\n");
}
