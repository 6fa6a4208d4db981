/**
 * The configuration: its type, its defaults, and one function from option
 * uses (command-line flags and config-file keys alike) to a validated
 * {@linkcode Config}. The option table itself is in config_options.ts, the
 * JSONC reader in config_file.ts. Pure: no I/O (the caller passes the file
 * reader).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Cidr } from "./policy/address.ts";
import { RuleError, type RuleSpec } from "./policy/rule.ts";
import {
  type AccessLogFormat,
  ConfigError,
  type CountKey,
  type LogLevel,
  OPTIONS,
  optionSpec,
  type RawUse,
  type RuleFamily,
  type SecondsKey,
} from "./config_options.ts";
import { suggest } from "./config_help.ts";
import { parseConfigText, readError } from "./config_file.ts";
import {
  type ListenAddress,
  listenAddress,
  parseAccessLogFormat,
  parseAdminListen,
  parseBytes,
  parseConnectPorts,
  parseCount,
  parseFileName,
  parseLogLevel,
  parsePort,
  parseRealm,
  parseSeconds,
  parseToken,
  Problem,
  read,
} from "./config_values.ts";

export type { ListenAddress } from "./config_values.ts";
export { helpText, optionsMarkdown } from "./config_help.ts";

export {
  ConfigError,
  ConfigFileError,
  type CountKey,
  LOG_LEVELS,
  type LogLevel,
  OPTIONS,
  type OptionSpec,
  type RawUse,
  type RuleFamily,
  type SecondsKey,
  VERSION,
} from "./config_options.ts";

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

/**
 * Parses `HOST[:PORT]`, `[V6]:PORT`, a bare IPv6 literal or a bare PORT.
 * Throws {@linkcode ConfigError} (`Invalid --listen "[::1": unclosed [`).
 *
 * @example
 * ```ts
 * import { parseListen } from "./config.ts";
 * parseListen("[::]:3128", 8080); // { hostname: "::", port: 3128 }
 * ```
 */
export function parseListen(s: string, defaultPort: number): ListenAddress {
  return read(
    { name: "listen", value: s, where: "--listen" },
    (v) => listenAddress(v, defaultPort),
  );
}

/**
 * Builds the configuration from option uses in order (a later use of a
 * single-valued option wins; repeatable ones collect every use, access rules
 * across the allow and deny options of a family). Options not used take the
 * default from the table. The same function serves flags and config files,
 * so their messages differ only in the prefix.
 *
 * @example
 * ```ts
 * import { buildConfig } from "./config.ts";
 * const c = buildConfig([{ name: "pool-max", value: "0", where: "--pool-max" }]);
 * c.poolMax; // 0
 * ```
 */
export function buildConfig(uses: readonly RawUse[], validators: Validators = {}): Config {
  const last = new Map<string, RawUse>();
  for (const u of uses) last.set(u.name, u);
  const one = <T>(name: string, parse: (s: string) => T): T => {
    const use = last.get(name);
    return use ? read(use, parse) : parse(optionSpec(name)!.default!);
  };
  const flag = (name: string) => last.get(name)?.value === true;
  const rules = (family: RuleFamily): RuleSpec[] =>
    uses.flatMap((use) => {
      const r = optionSpec(use.name)?.rule;
      if (r?.family !== family) return [];
      const spec: RuleSpec = { action: r.action, value: String(use.value) };
      if (validators.rule) read(use, () => validators.rule!(family, spec));
      return [spec];
    });
  const numbers = {} as Record<SecondsKey | CountKey, number>;
  for (const o of OPTIONS) {
    if (o.key === undefined) continue;
    numbers[o.key] = one(o.name, o.unit === "seconds" ? parseSeconds : parseCount(o.min ?? 1));
  }
  const port = one("port", (s) => parsePort(s));
  const listenUses = uses.filter((u) => u.name === "listen");
  const authFile = last.get("auth-file");
  const root = last.get("root");
  const fallback = last.get("fallback");
  for (const needsRoot of ["no-forward", "dir-listing", "fallback"]) {
    const use = last.get(needsRoot);
    if (use && use.value !== false && !root) {
      read(use, () => {
        throw new Problem(`needs --root DIR (there are no files to serve without it)`);
      });
    }
  }
  const configFile = last.get("config");
  const accessLog = last.get("access-log");
  const adminListen = last.get("admin-listen");
  // CIDR lists are refused here, with the rule's message, not at first use
  const cidrs = (name: string) =>
    uses.filter((u) => u.name === name).map((u) =>
      read(u, (s) => {
        Cidr.parse(s);
        return s;
      })
    );
  const config: Config = {
    ...numbers,
    listen: listenUses.length > 0
      ? listenUses.map((u) => read(u, (s) => listenAddress(s, port)))
      : [{ hostname: "127.0.0.1", port }, { hostname: "::1", port }],
    connectPorts: one("connect-ports", parseConnectPorts),
    clientRules: rules("client"),
    hostRules: rules("host"),
    root: root ? read(root, parseFileName) : null,
    rootReal: null,
    forward: !flag("no-forward"),
    dirListing: flag("dir-listing"),
    fallback: fallback ? read(fallback, parseFileName) : null,
    denyPrivate: flag("deny-private"),
    authFile: authFile ? read(authFile, parseFileName) : null,
    authRealm: one("auth-realm", parseRealm),
    logLevel: one("log-level", parseLogLevel),
    accessLogFormat: one("access-log-format", parseAccessLogFormat),
    accessLog: accessLog ? read(accessLog, parseFileName) : null,
    adminListen: adminListen ? read(adminListen, parseAdminListen) : null,
    adminAllow: cidrs("admin-allow"),
    cacheSize: one("cache-size", parseBytes),
    cacheMaxObject: one("cache-max-object", parseBytes),
    allowPurge: cidrs("allow-purge"),
    viaName: one("via-name", parseToken),
    via: !flag("no-via"),
    configFile: configFile ? read(configFile, parseFileName) : null,
  };
  try {
    validators.config?.(config);
  } catch (err) {
    if (err instanceof RuleError) throw new ConfigError(err.message);
    throw err;
  }
  return config;
}

/** Every default, as one configuration. */
export const DEFAULT_CONFIG: Readonly<Config> = Object.freeze(buildConfig([]));

/**
 * Which family a use belongs to for overriding: the access rules of a family
 * (`client`, `host`) go together, any other option stands alone.
 */
function familyOf(name: string): string {
  const r = optionSpec(name)?.rule;
  return r ? `${r.family} rules` : name;
}

/**
 * Merges a config file's uses with the command line's: flags override the
 * file option by option, and for a repeatable option (or an access-rule
 * family) any use on the command line replaces the file's whole list.
 */
export function mergeUses(file: readonly RawUse[], flags: readonly RawUse[]): RawUse[] {
  const given = new Set(flags.map((u) => familyOf(u.name)));
  return [...file.filter((u) => !given.has(familyOf(u.name))), ...flags];
}

type Flags = { kind: "help" } | { kind: "version" } | {
  kind: "uses";
  uses: RawUse[];
  check: boolean;
  configFile: string | null;
};

const NOT_USES = new Set(["help", "version", "check"]);

function readFlags(args: string[]): Flags {
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
  let tokens;
  try {
    tokens =
      parseArgs({ args, options, allowPositionals: true, strict: true, tokens: true }).tokens;
  } catch (err) {
    let message = (err as Error).message.split("\n")[0];
    const unknown = message.match(/^Unknown option '(-[^']*)'/)?.[1];
    if (unknown) message = `Unknown option '${unknown}'`; // without node's advice on "--"
    const near = unknown?.startsWith("--") && suggest(unknown.slice(2), OPTIONS.map((o) => o.name));
    throw new ConfigError(near ? `${message} (did you mean --${near}?)` : message);
  }
  const uses: RawUse[] = [];
  const positionals: string[] = [];
  const seen = new Set<string>();
  for (const t of tokens) {
    if (t.kind === "positional") positionals.push(t.value);
    if (t.kind !== "option") continue;
    seen.add(t.name);
    if (!NOT_USES.has(t.name)) {
      uses.push({ name: t.name, value: t.value ?? true, where: `--${t.name}` });
    }
  }
  if (seen.has("help")) return { kind: "help" };
  if (seen.has("version")) return { kind: "version" };
  if (positionals.length > 1) {
    throw new ConfigError(`Unexpected argument "${positionals[1]}": only one PORT may be given`);
  }
  if (positionals.length === 1) {
    if (seen.has("port")) throw new ConfigError("Give the port once: as PORT or as --port");
    uses.unshift({ name: "port", value: positionals[0], where: "port" });
  }
  const config = uses.findLast((u) => u.name === "config");
  const configFile = config ? read(config, parseFileName) : null;
  return { kind: "uses", uses, check: seen.has("check"), configFile };
}

function finish(flags: Flags & { kind: "uses" }, text: string | null, v?: Validators): Command {
  const file = text === null ? [] : parseConfigText(text, flags.configFile!);
  const config = buildConfig(mergeUses(file, flags.uses), v);
  return { kind: flags.check ? "check" : "serve", config };
}

/**
 * Parses command-line arguments into a command, reading a `--config` file
 * with the synchronous `readFile` (without one, `--config` is an error). Throws
 * {@linkcode ConfigError} with a one-line message for anything wrong.
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "./config.ts";
 * const cmd = parseCommandLine(["3128"]);
 * if (cmd.kind === "serve") console.log(cmd.config.listen); // 127.0.0.1:3128 and [::1]:3128
 * ```
 */
export function parseCommandLine(
  args: string[],
  readFile?: (path: string) => string,
  validators?: Validators,
): Command {
  const flags = readFlags(args);
  if (flags.kind !== "uses") return flags;
  const path = flags.configFile;
  if (path === null) return finish(flags, null, validators);
  if (!readFile) throw new ConfigError("--config needs a file reader (use loadCommand)");
  let text;
  try {
    text = readFile(path);
  } catch (err) {
    throw readError(path, err);
  }
  return finish(flags, text, validators);
}

/**
 * Loads the command: flags, then the `--config` file through `readFile`
 * (flags override it), then `validators`. main.ts calls this at start; a
 * reload calls it again with the same arguments and gets exactly the same
 * checks. Throws {@linkcode ConfigError} ({@linkcode ConfigFileError} for the
 * file).
 *
 * @example
 * ```ts
 * import { loadCommand } from "./config.ts";
 * const cmd = await loadCommand(["--config", "sluice.jsonc"], (p) => Deno.readTextFile(p));
 * ```
 */
export async function loadCommand(
  args: string[],
  readFile: (path: string) => string | Promise<string>,
  validators?: Validators,
): Promise<Command> {
  const flags = readFlags(args);
  if (flags.kind !== "uses") return flags;
  const path = flags.configFile;
  if (path === null) return finish(flags, null, validators);
  let text;
  try {
    text = await readFile(path);
  } catch (err) {
    throw readError(path, err);
  }
  return finish(flags, text, validators);
}
