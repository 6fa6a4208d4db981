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
  /** Name in `Via` and `Proxy-Status`. */
  viaName: string;
}

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
  {
    name: "drain-timeout",
    type: "string",
    arg: "SECONDS",
    default: "10",
    help: "on SIGINT/SIGTERM, how long in-flight exchanges may finish",
  },
  {
    name: "connect-timeout",
    type: "string",
    arg: "SECONDS",
    default: "10",
    help: "deadline to resolve and connect to an origin (then 504)",
  },
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
  return {
    kind: "serve",
    config: {
      listen,
      connectPorts: parseConnectPorts((v["connect-ports"] as string | undefined) ?? "443"),
      logLevel: level as LogLevel,
      drainTimeoutMs: parseSeconds(
        (v["drain-timeout"] as string | undefined) ?? "10",
        "drain-timeout",
      ),
      connectTimeoutMs: parseSeconds(
        (v["connect-timeout"] as string | undefined) ?? "10",
        "connect-timeout",
      ),
      viaName: "sluice",
    },
  };
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
