/**
 * The option table: every flag, its argument, default and description, and
 * what is derived from it alone (`--help`, the README's option list, "did you
 * mean" suggestions). Also the vocabulary shared by the flag and file readers:
 * {@linkcode RawUse} and the errors. Pure: no I/O.
 *
 * @module
 */

import { CHAIN_OPTIONS } from "./config_chain.ts";

/** sluice's version. */
export const VERSION = "0.1.0";

/** Access log formats. */
export const ACCESS_LOG_FORMATS = ["text", "json", "combined"] as const;
/** An access log format. */
export type AccessLogFormat = typeof ACCESS_LOG_FORMATS[number];

/** Log levels, most verbose first. */
export const LOG_LEVELS = ["debug", "info", "warning", "error"] as const;
/** A log level. */
export type LogLevel = typeof LOG_LEVELS[number];

/** A bad flag or value; main prints its message and exits 2. */
export class ConfigError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * A bad config file (unreadable, bad syntax, bad key or value). Its message
 * already names the file, so main prints it without the `--help` hint.
 */
export class ConfigFileError extends ConfigError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ConfigFileError";
  }
}

/**
 * One use of an option, from the command line or a config file, before
 * validation. Both sources produce these, so one function
 * (`buildConfig` in config.ts) validates them and the messages differ
 * only in their prefix.
 */
export interface RawUse {
  /** The option's long name (`pool-max`). */
  name: string;
  /** The value as given; `true`/`false` for a boolean option. */
  value: string | boolean;
  /** Where: `--pool-max` (or `port` for the bare PORT), or `sluice.jsonc:3:15: "pool-max"`. */
  where: string;
  /** From a config file: messages read `FILE:LINE:COL: "key": problem`. */
  file?: boolean;
}

/** The two access-rule families: client addresses and destination hosts. */
export type RuleFamily = "client" | "host";

/** Config keys set from a number of seconds. */
export type SecondsKey =
  | "drainTimeoutMs"
  | "connectTimeoutMs"
  | "headerTimeoutMs"
  | "idleTimeoutMs"
  | "tunnelIdleTimeoutMs"
  | "responseTimeoutMs"
  | "stallTimeoutMs"
  | "poolIdleTimeoutMs"
  | "authFailureWindowMs"
  | "cacheMaxStaleMs"
  | "drainDelayMs"
  | "upstreamDownMs";

/** Config keys set from a whole number. */
export type CountKey =
  | "maxConnections"
  | "maxConnectionsPerClient"
  | "poolMax"
  | "poolMaxPerOrigin"
  | "workers"
  | "authMaxFailures";

/** One row of the option table. */
export interface OptionSpec {
  /** Long flag name; also the config-file key. */
  name: string;
  /** One-letter alias. */
  short?: string;
  /** `string` options take a value. */
  type: "string" | "boolean";
  /** May be given more than once (an array in a config file). */
  multiple?: boolean;
  /** Value placeholder in help. */
  arg?: string;
  /** Default, as shown in help; for value options also parsed as the default value. */
  default?: string;
  /** One-line description. */
  help: string;
  /** For a seconds or count option: the config key it sets. */
  key?: SecondsKey | CountKey;
  /** For a seconds or count option: how its value is read. */
  unit?: "seconds" | "count";
  /** For a count option: the smallest value (default 1). */
  min?: number;
  /** A config file may give the value as a JSON number too. */
  number?: boolean;
  /** For an access-rule option: its family and action. */
  rule?: { family: RuleFamily; action: "allow" | "deny" };
  /** `false`: command line only, not allowed in a config file. */
  file?: false;
}

function seconds(name: string, key: SecondsKey, def: number, help: string): OptionSpec {
  return {
    name,
    type: "string",
    arg: "SECONDS",
    default: String(def),
    help,
    key,
    unit: "seconds",
    number: true,
  };
}

function count(name: string, key: CountKey, def: number, help: string, min = 1): OptionSpec {
  return {
    name,
    type: "string",
    arg: "N",
    default: String(def),
    help,
    key,
    unit: "count",
    min,
    number: true,
  };
}

function rule(family: RuleFamily, action: "allow" | "deny", arg: string, help: string): OptionSpec {
  return {
    name: `${action}-${family}`,
    type: "string",
    multiple: true,
    arg,
    help: `${help} (repeatable; allow and deny ${family} rules apply in the order given)`,
    rule: { family, action },
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
    help: "port for the default listen addresses (also as a bare PORT)",
    number: true,
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
  count("workers", "workers", 1, "event loops sharing each listen port (SO_REUSEPORT)"),
  {
    name: "connect-ports",
    type: "string",
    arg: "LIST",
    default: "443",
    help: 'comma-separated ports CONNECT may reach; "*" for any',
    number: true,
  },
  rule("client", "allow", "CIDR", "client addresses allowed"),
  rule("client", "deny", "CIDR", "client addresses refused"),
  rule("host", "allow", "PATTERN", "destination hosts allowed"),
  rule("host", "deny", "PATTERN", "destination hosts refused"),
  {
    name: "root",
    type: "string",
    arg: "DIR",
    help: "serve files from DIR to origin-form requests (GET /path), beside the proxy",
  },
  {
    name: "no-forward",
    type: "boolean",
    help: "a web server or reverse proxy only: refuse absolute-form and CONNECT requests with 403",
  },
  {
    name: "dir-listing",
    type: "boolean",
    help: "list a folder that has no index.html (else 403)",
  },
  {
    name: "fallback",
    type: "string",
    arg: "FILE",
    help: "for a GET/HEAD that matches no file: try PATH.html, then FILE (200)",
  },
  ...CHAIN_OPTIONS,
  {
    name: "deny-private",
    type: "boolean",
    help:
      "refuse loopback, private, link-local, unique-local and multicast destinations (after DNS)",
  },
  {
    name: "auth-file",
    type: "string",
    arg: "FILE",
    help: "require proxy authentication (Basic) against the users in FILE",
  },
  {
    name: "auth-realm",
    type: "string",
    arg: "REALM",
    default: "sluice",
    help: "realm named in Proxy-Authenticate",
  },
  count(
    "auth-max-failures",
    "authMaxFailures",
    5,
    "failed logins per client address within the failure window, then 429 (0: no limit)",
    0,
  ),
  seconds(
    "auth-failure-window",
    "authFailureWindowMs",
    60,
    "the sliding window failed logins are counted in",
  ),
  {
    name: "cache-size",
    type: "string",
    arg: "BYTES",
    default: "64MiB",
    number: true,
    help: "memory for the shared HTTP cache, headers and overheads counted (0: no cache)",
  },
  {
    name: "cache-max-object",
    type: "string",
    arg: "BYTES",
    default: "1MiB",
    number: true,
    help: "largest response body the cache stores; bigger ones stream past",
  },
  seconds(
    "cache-max-stale",
    "cacheMaxStaleMs",
    604800,
    "how stale a stored response may be served when its origin cannot be reached",
  ),
  {
    name: "allow-purge",
    type: "string",
    multiple: true,
    arg: "CIDR",
    help: "clients that may send PURGE URI (repeatable; default none: 405)",
  },
  {
    name: "via-name",
    type: "string",
    arg: "NAME",
    default: "sluice",
    help: "name in Via and Proxy-Status (an HTTP token, up to 64 characters)",
  },
  { name: "no-via", type: "boolean", help: "do not add a Via header" },
  {
    name: "log-level",
    type: "string",
    arg: "LEVEL",
    default: "info",
    help: "debug, info, warning or error",
  },
  {
    name: "access-log-format",
    type: "string",
    arg: "FORMAT",
    default: "text",
    help: "access log lines: text, json (one object per line) or combined (Apache/nginx)",
  },
  {
    name: "access-log",
    type: "string",
    arg: "FILE",
    help: "write the access log to FILE (reopened on SIGUSR1) instead of stderr",
  },
  {
    name: "admin-listen",
    type: "string",
    arg: "HOST:PORT",
    help: "serve /metrics, /status, /status.json and /healthz there (default: off)",
  },
  {
    name: "admin-allow",
    type: "string",
    multiple: true,
    arg: "CIDR",
    help: "clients allowed on the admin listener besides loopback (repeatable)",
  },
  seconds(
    "drain-delay",
    "drainDelayMs",
    0,
    "on SIGINT/SIGTERM, keep accepting this long with /healthz at 503 (a load balancer's check interval x its fall count, and some)",
  ),
  seconds(
    "drain-timeout",
    "drainTimeoutMs",
    10,
    "on SIGINT/SIGTERM, how long in-flight exchanges may finish",
  ),
  seconds(
    "connect-timeout",
    "connectTimeoutMs",
    10,
    "deadline to resolve and connect to an origin (then 504)",
  ),
  seconds(
    "header-timeout",
    "headerTimeoutMs",
    15,
    "the whole request head must arrive within this (then 408)",
  ),
  seconds(
    "idle-timeout",
    "idleTimeoutMs",
    60,
    "an idle keep-alive client connection is closed after this",
  ),
  seconds(
    "tunnel-idle-timeout",
    "tunnelIdleTimeoutMs",
    600,
    "a CONNECT tunnel with no traffic is closed after this",
  ),
  seconds(
    "response-timeout",
    "responseTimeoutMs",
    60,
    "the origin must start its response within this (then 504)",
  ),
  seconds(
    "stall-timeout",
    "stallTimeoutMs",
    60,
    "a body that stops moving for this long is abandoned",
  ),
  count("max-connections", "maxConnections", 4096, "most client connections at once (beyond: 503)"),
  count("pool-max", "poolMax", 256, "idle upstream connections kept for reuse (0: no pooling)", 0),
  count("pool-max-per-origin", "poolMaxPerOrigin", 64, "idle upstream connections kept per origin"),
  seconds(
    "pool-idle-timeout",
    "poolIdleTimeoutMs",
    30,
    "an idle upstream connection is closed after this",
  ),
  count(
    "max-connections-per-client",
    "maxConnectionsPerClient",
    0,
    "most connections at once from one client address (0: no cap)",
    0,
  ),
  {
    name: "config",
    type: "string",
    arg: "FILE",
    help: "read options from a JSONC file; flags given too override it",
    file: false,
  },
  {
    name: "check",
    type: "boolean",
    help: "validate, print the effective configuration as a config file, exit",
    file: false,
  },
  { name: "help", short: "h", type: "boolean", help: "show this help and exit", file: false },
  {
    name: "version",
    short: "V",
    type: "boolean",
    help: "print the version and exit",
    file: false,
  },
];

/** The row of the option called `name`, if any. */
export function optionSpec(name: string): OptionSpec | undefined {
  return OPTIONS.find((o) => o.name === name);
}
