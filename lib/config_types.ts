/**
 * The configuration's types: {@linkcode Config} (what every part of the proxy
 * reads), the {@linkcode Command} the command line asks for, and the
 * {@linkcode Validators} the loader calls. Built by `buildConfig` in
 * config.ts, which re-exports them.
 *
 * @module
 */

import type { AccessLogFormat, LogLevel, RuleFamily } from "./config_options.ts";
import type { ListenAddress } from "./config_values.ts";
import type { RuleSpec } from "./policy/rule.ts";

/** The effective configuration. */
export interface Config {
  /** Addresses to listen on. */
  listen: ListenAddress[];
  /** Event loops sharing each listen port (SO_REUSEPORT); at least 1. */
  workers: number;
  /** Ports CONNECT may reach; `null` means any. */
  connectPorts: Set<number> | null;
  /** Client access rules, raw, in the order given across `--allow-client` and `--deny-client`. */
  clientRules: RuleSpec[];
  /** Destination host rules, raw, in the order given across `--allow-host` and `--deny-host`. */
  hostRules: RuleSpec[];
  /** `--root`: the folder files are served from (as given); `null`: no file serving. */
  root: string | null;
  /**
   * `--upstream`: the servers origin-form requests go to when no `--root`
   * file answers (a reverse proxy), round-robin, as `host:port` authorities
   * (host lower case, IPv6 in brackets, port 80 unless given:
   * `http://App:8000/` is `app:8000`), in the order given, each once. Empty:
   * no reverse proxy.
   */
  upstreams: string[];
  /** `--upstream-host`: the `Host` sent to the upstreams, as given; `null` keeps the client's. */
  upstreamHost: string | null;
  /**
   * `--trusted-proxy`: client ranges (CIDR, as given) whose `X-Forwarded-*`
   * and `Forwarded` are kept and appended to; from any other client they are
   * replaced.
   */
  trustedProxies: string[];
  /** `--upstream-down-time`: how long an upstream that refused or timed out is skipped (ms; 0: never). */
  upstreamDownMs: number;
  /**
   * `--parent`: the proxy requests go on through, `http://[USERINFO@]host:port`
   * (host lower case, IPv6 in brackets, USERINFO as written, still
   * percent-encoded: `parseParentUrl` from config_urls.ts reads it into host,
   * port, user and password). `null`: requests go direct. Holds the password:
   * print it through `redactParent`.
   */
  parent: string | null;
  /** `--no-parent`: destination host patterns (as `--allow-host`, as given) reached directly. */
  noParent: string[];
  /** Proxy requests are served (`--no-forward` turns it off). */
  forward: boolean;
  /**
   * The root's real path (symlinks resolved), set by the loader once it has
   * checked that the folder exists and may be read; `null` before that or
   * without `--root`.
   */
  rootReal: string | null;
  /** `--dir-listing`: list a directory that has no index.html. */
  dirListing: boolean;
  /** `--fallback`: the file (relative to the root) answered for paths that match nothing. */
  fallback: string | null;
  /** Refuse loopback/private/link-local/unique-local/multicast destinations (after DNS). */
  denyPrivate: boolean;
  /** File of users for proxy authentication; `null`: no authentication. */
  authFile: string | null;
  /** Realm in `Proxy-Authenticate`. */
  authRealm: string;
  /** Failed logins allowed per client address and window (then 429); 0: no limit. */
  authMaxFailures: number;
  /** The sliding window failed logins are counted in (ms). */
  authFailureWindowMs: number;
  /** Log level. */
  logLevel: LogLevel;
  /** On a drain, how long to keep accepting with /healthz at 503 first (ms). */
  drainDelayMs: number;
  /** Access log format. */
  accessLogFormat: AccessLogFormat;
  /** Access log file, or `null` for stderr. */
  accessLog: string | null;
  /** The admin listener (`/metrics`, `/status`, `/healthz`), or `null` (off). */
  adminListen: ListenAddress | null;
  /** Client ranges (CIDR) allowed on the admin listener besides loopback. */
  adminAllow: string[];
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
  /** Bound of the shared cache in bytes, overheads counted (0: no cache). */
  cacheSize: number;
  /** Largest response body the cache stores, bytes. */
  cacheMaxObject: number;
  /** How stale a stored response may be served when its origin cannot be reached (ms). */
  cacheMaxStaleMs: number;
  /** Client ranges (CIDR) that may send PURGE. */
  allowPurge: string[];
  /** Name in `Via` and `Proxy-Status`. */
  viaName: string;
  /** Add a `Via` header (`--no-via` turns it off). */
  via: boolean;
  /** The `--config` file this was loaded from, or `null`. */
  configFile: string | null;
}

/** What the command line asked for. */
export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "serve"; config: Config }
  | { kind: "check"; config: Config };

/**
 * Checks the loader leaves to others (the access-rule compilers). Whatever
 * they throw as a `RuleError` becomes a {@linkcode ConfigError} that names
 * where the value was given: `Invalid --allow-client "x": <message>` or
 * `sluice.jsonc:4:20: "allow-client": <message>`.
 */
export interface Validators {
  /** Called for every access rule, in order; throw a `RuleError` to refuse it. */
  rule?: (family: RuleFamily, spec: RuleSpec) => void;
  /** Called once with the built configuration; throw a `ConfigError` or `RuleError` to refuse it. */
  config?: (config: Config) => void;
}
