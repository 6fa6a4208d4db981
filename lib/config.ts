/**
 * The configuration: one table of options that drives flag parsing, defaults,
 * validation and `--help`. Pure: no I/O.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** sluice's version. */
export const VERSION = "0.1.0";

/** A listen address. */
export interface ListenAddress {
  /** Host or IP literal (IPv6 without brackets). */
  hostname: string;
  /** Port. */
  port: number;
}

/** Log levels, most verbose first. */
export const LOG_LEVELS = ["debug", "info", "warning", "error"] as const;
/** A log level. */
export type LogLevel = typeof LOG_LEVELS[number];

/** The effective configuration. */
export interface Config {
  /** Addresses to listen on. */
  listen: ListenAddress[];
  /** Ports CONNECT may reach; `null` means any. */
  connectPorts: Set<number> | null;
  /** Log level. */
  logLevel: LogLevel;
  /** How long in-flight exchanges may finish after SIGINT/SIGTERM (ms). */
  drainTimeoutMs: number;
  /** Deadline for resolving and connecting to an origin (ms). */
  connectTimeoutMs: number;
  /** The whole request head must arrive within this (ms), else 408. */
  headerTimeoutMs: number;
  /** An idle keep-alive client connection is closed after this (ms). */
  idleTimeoutMs: number;
  /** A CONNECT tunnel with no traffic either way is closed after this (ms). */
  tunnelIdleTimeoutMs: number;
  /** The origin's first response byte must come within this after the request (ms), else 504. */
  responseTimeoutMs: number;
  /** A body that makes no progress for this long is abandoned (ms). */
  stallTimeoutMs: number;
  /** Most client connections at once; beyond it new clients get 503. */
  maxConnections: number;
  /** Most client connections at once from one address. */
  maxConnectionsPerClient: number;
  /** Most idle upstream connections kept for reuse (0 turns pooling off). */
  poolMax: number;
  /** Most idle upstream connections kept per origin. */
  poolMaxPerOrigin: number;
  /** An idle upstream connection is closed after this (ms). */
  poolIdleTimeoutMs: number;
  /** Name in `Via` and `Proxy-Status`. */
  viaName: string;
}

/** Every default, as one configuration. */
export const DEFAULT_CONFIG: Readonly<Config> = Object.freeze({
  listen: [{ hostname: "127.0.0.1", port: 8080 }, { hostname: "::1", port: 8080 }],
  connectPorts: new Set([443]),
  logLevel: "info",
  drainTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  headerTimeoutMs: 15_000,
  idleTimeoutMs: 60_000,
  tunnelIdleTimeoutMs: 600_000,
  responseTimeoutMs: 60_000,
  stallTimeoutMs: 60_000,
  maxConnections: 4096,
  maxConnectionsPerClient: 256,
  poolMax: 256,
  poolMaxPerOrigin: 64,
  poolIdleTimeoutMs: 30_000,
  viaName: "sluice",
});

/** One row of the option table. */
export interface OptionSpec {
  /** Long flag name. */
  name: string;
  /** One-letter alias. */
  short?: string;
  /** `string` options take a value. */
  type: "string" | "boolean";
  /** May be given more than once. */
  multiple?: boolean;
  /** Value placeholder in help. */
  arg?: string;
  /** Default, as shown in help. */
  default?: string;
  /** One-line description. */
  help: string;
  /** For a seconds or count option: the config key it sets. */
  key?: SecondsKey | CountKey;
  /** For a seconds or count option: how its value is read. */
  unit?: "seconds" | "count";
  /** For a count option: the smallest value (default 1). */
  min?: number;
}

/** Config keys set from a number of seconds. */
export type SecondsKey =
  | "drainTimeoutMs"
  | "connectTimeoutMs"
  | "headerTimeoutMs"
  | "idleTimeoutMs"
  | "tunnelIdleTimeoutMs"
  | "responseTimeoutMs"
  | "stallTimeoutMs"
  | "poolIdleTimeoutMs";

/** Config keys set from a whole number. */
export type CountKey =
  | "maxConnections"
  | "maxConnectionsPerClient"
  | "poolMax"
  | "poolMaxPerOrigin";

function seconds(name: string, key: SecondsKey, help: string): OptionSpec {
  return {
    name,
    type: "string",
    arg: "SECONDS",
    default: String(DEFAULT_CONFIG[key] / 1000),
    help,
    key,
    unit: "seconds",
  };
}

function count(name: string, key: CountKey, help: string, min = 1): OptionSpec {
  return {
    name,
    type: "string",
    arg: "N",
    default: String(DEFAULT_CONFIG[key]),
    help,
    key,
    unit: "count",
    min,
  };
}

/** Every option, in help order. */
export const OPTIONS: readonly OptionSpec[] = [
  {
    name: "port",
    short: "p",
    type: "string",
    arg: "N",
    default: "8080",
    help: "port for the default listen addresses",
  },
  {
    name: "listen",
    short: "l",
    type: "string",
    multiple: true,
    arg: "HOST[:PORT]",
    default: "127.0.0.1 and ::1",
    help: "listen address (repeatable); [::]:PORT takes IPv4 clients too",
  },
  {
    name: "connect-ports",
    type: "string",
    arg: "LIST",
    default: "443",
    help: 'comma-separated ports CONNECT may reach; "*" for any',
  },
  {
    name: "log-level",
    type: "string",
    arg: "LEVEL",
    default: "info",
    help: "debug, info, warning or error",
  },
  seconds(
    "drain-timeout",
    "drainTimeoutMs",
    "on SIGINT/SIGTERM, how long in-flight exchanges may finish",
  ),
  seconds(
    "connect-timeout",
    "connectTimeoutMs",
    "deadline to resolve and connect to an origin (then 504)",
  ),
  seconds(
    "header-timeout",
    "headerTimeoutMs",
    "the whole request head must arrive within this (then 408)",
  ),
  seconds(
    "idle-timeout",
    "idleTimeoutMs",
    "an idle keep-alive client connection is closed after this",
  ),
  seconds(
    "tunnel-idle-timeout",
    "tunnelIdleTimeoutMs",
    "a CONNECT tunnel with no traffic is closed after this",
  ),
  seconds(
    "response-timeout",
    "responseTimeoutMs",
    "the origin must start its response within this (then 504)",
  ),
  seconds("stall-timeout", "stallTimeoutMs", "a body that stops moving for this long is abandoned"),
  count("max-connections", "maxConnections", "most client connections at once (beyond: 503)"),
  count("pool-max", "poolMax", "idle upstream connections kept for reuse (0: no pooling)", 0),
  count("pool-max-per-origin", "poolMaxPerOrigin", "idle upstream connections kept per origin"),
  seconds(
    "pool-idle-timeout",
    "poolIdleTimeoutMs",
    "an idle upstream connection is closed after this",
  ),
  count(
    "max-connections-per-client",
    "maxConnectionsPerClient",
    "most connections at once from one client address",
  ),
  { name: "help", short: "h", type: "boolean", help: "show this help and exit" },
  { name: "version", short: "V", type: "boolean", help: "print the version and exit" },
];

/** A bad flag or value; main prints its message and exits 2. */
export class ConfigError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** What the command line asked for. */
export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "serve"; config: Config };

function parsePort(s: string, what: string): number {
  if (!/^[0-9]{1,5}$/.test(s) || Number(s) > 65535) {
    throw new ConfigError(`Invalid ${what} "${s}": expected a number from 0 to 65535`);
  }
  return Number(s);
}

function parseSeconds(s: string, flag: string): number {
  const n = Number(s);
  if (s.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new ConfigError(`Invalid --${flag} "${s}": expected seconds (a number >= 0)`);
  }
  return Math.round(n * 1000);
}

function parseCount(s: string, flag: string, min = 1): number {
  if (!/^[0-9]{1,9}$/.test(s) || Number(s) < min) {
    throw new ConfigError(`Invalid --${flag} "${s}": expected a whole number >= ${min}`);
  }
  return Number(s);
}

/** Parses `HOST[:PORT]`, `[V6]:PORT` or a bare IPv6 literal. */
export function parseListen(s: string, defaultPort: number): ListenAddress {
  if (s.startsWith("[")) {
    const close = s.indexOf("]");
    if (close < 0) throw new ConfigError(`Invalid --listen "${s}": unclosed [`);
    const rest = s.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) throw new ConfigError(`Invalid --listen "${s}"`);
    return {
      hostname: s.slice(1, close),
      port: rest ? parsePort(rest.slice(1), "port") : defaultPort,
    };
  }
  const colons = s.split(":").length - 1;
  if (colons > 1) return { hostname: s, port: defaultPort };
  if (colons === 1) {
    const [host, port] = s.split(":");
    return { hostname: host || "0.0.0.0", port: parsePort(port, "port") };
  }
  if (/^[0-9]+$/.test(s)) return { hostname: "127.0.0.1", port: parsePort(s, "port") };
  return { hostname: s, port: defaultPort };
}

function parseConnectPorts(s: string): Set<number> | null {
  if (s.trim() === "*") return null;
  const ports = new Set<number>();
  for (const part of s.split(",")) {
    const port = parsePort(part.trim(), "--connect-ports entry");
    if (port === 0) throw new ConfigError('Invalid --connect-ports entry "0": ports start at 1');
    ports.add(port);
  }
  return ports;
}

/**
 * Parses command-line arguments into a command. Throws {@linkcode ConfigError}
 * with a one-line message for anything wrong.
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "./config.ts";
 * const cmd = parseCommandLine(["3128"]);
 * if (cmd.kind === "serve") console.log(cmd.config.listen); // 127.0.0.1:3128 and [::1]:3128
 * ```
 */
export function parseCommandLine(args: string[]): Command {
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {};
  for (const o of OPTIONS) {
    options[o.name] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
    };
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigError((err as Error).message.split("\n")[0]);
  }
  const v = parsed.values as Record<string, string | string[] | boolean | undefined>;
  if (v.help) return { kind: "help" };
  if (v.version) return { kind: "version" };
  if (parsed.positionals.length > 1) {
    throw new ConfigError(
      `Unexpected argument "${parsed.positionals[1]}": only one PORT may be given`,
    );
  }
  const bare = parsed.positionals[0];
  if (bare !== undefined && v.port !== undefined) {
    throw new ConfigError("Give the port once: as PORT or as --port");
  }
  const port = parsePort((v.port as string | undefined) ?? bare ?? "8080", "port");
  const listenArgs = (v.listen as string[] | undefined) ?? [];
  const listen = listenArgs.length > 0
    ? listenArgs.map((s) => parseListen(s, port))
    : [{ hostname: "127.0.0.1", port }, { hostname: "::1", port }];
  const level = (v["log-level"] as string | undefined) ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError(
      `Invalid --log-level "${level}": expected one of ${LOG_LEVELS.join(", ")}`,
    );
  }
  const config: Config = {
    ...DEFAULT_CONFIG,
    listen,
    connectPorts: parseConnectPorts((v["connect-ports"] as string | undefined) ?? "443"),
    logLevel: level as LogLevel,
  };
  for (const o of OPTIONS) {
    const value = v[o.name] as string | undefined;
    if (value === undefined || o.key === undefined) continue;
    if (o.unit === "seconds") config[o.key as SecondsKey] = parseSeconds(value, o.name);
    else config[o.key as CountKey] = parseCount(value, o.name, o.min);
  }
  return { kind: "serve", config };
}

/** The `--help` text, generated from {@linkcode OPTIONS}. */
export function helpText(): string {
  const lines = [
    `sluice ${VERSION}: an HTTP/1.x forward proxy`,
    "",
    "Usage: sluice [PORT] [options]",
    "",
    "Options:",
  ];
  for (const o of OPTIONS) {
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${o.name}${o.arg ? ` ${o.arg}` : ""}`;
    const def = o.default ? ` (default ${o.default})` : "";
    lines.push(`  ${flag.padEnd(30)} ${o.help}${def}`);
  }
  lines.push("", "Example: curl -x http://127.0.0.1:8080 http://example.com/");
  return lines.join("\n");
}
