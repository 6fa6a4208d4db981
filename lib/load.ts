/**
 * Everything the proxy runs with, loaded from the command line and the files
 * it names: the configuration (flags over `--config`), the access rules
 * compiled into a {@linkcode Policy}, and the users of `--auth-file`. Used at
 * start, by `--check`, and again on SIGHUP, so a reload validates exactly as
 * a start does. The only I/O is reading the two files.
 *
 * @module
 */

import {
  type Command,
  type Config,
  ConfigFileError,
  loadCommand,
  type Validators,
} from "./config.ts";
import { readError } from "./config_file.ts";
import { AuthFileError, ProxyAuth } from "./policy/auth.ts";
import { BcryptWorker } from "./policy/bcrypt_worker.ts";
import { LoginLimiter } from "./policy/login_limiter.ts";
import { ClientRules } from "./policy/client_rules.ts";
import { HostRules } from "./policy/host_rules.ts";
import { Policy } from "./policy/policy.ts";

/** Compiles each access rule as the loader meets it, so a bad one names its flag or file key. */
export const RULE_VALIDATORS: Validators = {
  rule(family, spec) {
    if (family === "client") new ClientRules([spec]);
    else new HostRules([spec]);
  },
};

/** A loaded command; for serve and check, with its policy and the auth file's text. */
export type Loaded =
  | Exclude<Command, { kind: "serve" | "check" }>
  | { kind: "serve" | "check"; config: Config; policy: Policy; authText: string | null };

/**
 * What proxy authentication keeps across reloads: the failed-login table and
 * the password checker (a worker thread).
 */
export interface AuthRuntime {
  /** The failed-login table; each policy gets a limiter over it with its own limits. */
  limiter: LoginLimiter;
  /** The bcrypt check. */
  verify: (password: string, hash: string) => Promise<boolean>;
}

const verifier = new BcryptWorker();

/**
 * This event loop's {@linkcode AuthRuntime}: one bcrypt worker (started on
 * the first check) and one failed-login table, shared by every policy built
 * here, so a reload neither restarts the worker nor forgets who failed.
 */
export const SHARED_AUTH: AuthRuntime = {
  limiter: new LoginLimiter(),
  verify: (password, hash) => verifier.verify(password, hash),
};

/**
 * Builds the policy of `config`; `authText` is the content of its
 * `--auth-file` (null when there is none). A bad auth file is a
 * `ConfigError`. Policies built with the same `runtime` (by default
 * {@linkcode SHARED_AUTH}) share its failed-login table and bcrypt worker.
 */
export async function buildPolicy(
  config: Config,
  authText: string | null,
  runtime: AuthRuntime = SHARED_AUTH,
): Promise<Policy> {
  let auth: ProxyAuth | null = null;
  if (config.authFile !== null && authText !== null) {
    try {
      auth = await ProxyAuth.fromFileText(authText, config.authFile, config.authRealm, {
        verify: runtime.verify,
        limiter: runtime.limiter.withLimits(config.authMaxFailures, config.authFailureWindowMs),
      });
    } catch (err) {
      if (err instanceof AuthFileError) throw new ConfigFileError(err.message);
      throw err;
    }
  }
  return new Policy(config, auth);
}

/**
 * Loads `args` as `sluice` would run them: reads `--config` and `--auth-file`
 * with `readFile`, validates everything, builds the policy. Throws
 * `ConfigError` with a one-line message.
 */
export async function loadRuntime(
  args: string[],
  readFile: (path: string) => Promise<string> = (p) => Deno.readTextFile(p),
): Promise<Loaded> {
  const cmd = await loadCommand(args, readFile, RULE_VALIDATORS);
  if (cmd.kind !== "serve" && cmd.kind !== "check") return cmd;
  const { config } = cmd;
  let authText: string | null = null;
  if (config.authFile !== null) {
    try {
      authText = await readFile(config.authFile);
    } catch (err) {
      throw readError(config.authFile, err);
    }
  }
  if (config.root !== null) config.rootReal = await checkRoot(config.root);
  return { kind: cmd.kind, config, policy: await buildPolicy(config, authText), authText };
}

/**
 * The real path of `--root DIR`, after checking that it is a folder the
 * sandbox lets sluice read; a `ConfigFileError` naming the exact
 * `--allow-read=DIR` otherwise.
 */
async function checkRoot(root: string): Promise<string> {
  try {
    const real = await Deno.realPath(root);
    // files are read through the real path (what the inside-the-root check saw), and Deno
    // checks the resolved path: a root reached through a symlink needs both allowed
    if (Deno.permissions.querySync({ name: "read", path: real }).state !== "granted") {
      throw new ConfigFileError(
        `cannot serve ${root}: it leads to ${real}, which the Deno sandbox does not allow reading; add --allow-read=${root},${real}`,
      );
    }
    const info = await Deno.stat(real);
    if (!info.isDirectory) throw new ConfigFileError(`cannot serve ${root}: not a folder`);
    // realPath may be allowed where listing is not: read the folder itself once
    for await (const _ of Deno.readDir(real)) break;
    return real;
  } catch (err) {
    if (err instanceof ConfigFileError) throw err;
    if (err instanceof Deno.errors.NotCapable) {
      throw new ConfigFileError(
        `cannot serve ${root}: the Deno sandbox does not allow reading it; add --allow-read=${root}`,
      );
    }
    if (err instanceof Deno.errors.NotFound) {
      throw new ConfigFileError(`cannot serve ${root}: no such folder`);
    }
    throw readError(root, err);
  }
}
