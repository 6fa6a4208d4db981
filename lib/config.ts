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
  ConfigError,
  type CountKey,
  OPTIONS,
  optionSpec,
  type RawUse,
  type RuleFamily,
  type SecondsKey,
} from "./config_options.ts";
import { suggest } from "./config_help.ts";
import { readChainOptions } from "./config_urls.ts";
import type { Command, Config, Validators } from "./config_types.ts";
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

export type { Command, Config, Validators } from "./config_types.ts";

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
  const upstreamUses = uses.filter((u) => u.name === "upstream");
  for (const needsRoot of ["no-forward", "dir-listing", "fallback"]) {
    const use = last.get(needsRoot);
    if (needsRoot === "no-forward" && upstreamUses.length > 0) continue;
    if (use && use.value !== false && !root) {
      read(use, () => {
        throw new Problem(
          needsRoot === "no-forward"
            ? "needs --root DIR or --upstream URL (there would be nothing to serve)"
            : "needs --root DIR (there are no files to serve without it)",
        );
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
  const chain = readChainOptions(uses, last);
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
    ...chain,
    trustedProxies: cidrs("trusted-proxy"),
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
