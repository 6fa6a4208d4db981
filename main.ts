/**
 * sluice command line: load the configuration, set up logging, start the
 * server (and its workers), reload on SIGHUP, reopen the access log file on
 * SIGUSR1, drain on SIGINT/SIGTERM.
 * `sluice hash-password` makes an --auth-file line. Exit codes: 0 after a
 * clean stop (or `--check`), 1 when a listener or worker cannot start, 2 for
 * bad flags or a bad config or auth file.
 *
 * @module
 */

import { ConfigError, ConfigFileError, helpText, VERSION } from "./lib/config.ts";
import { formatConfig } from "./lib/config_file.ts";
import { loadRuntime } from "./lib/load.ts";
import {
  AccessLogOpenError,
  announce,
  closeAccessLog,
  logger,
  reopenAccessLog,
  setupAccessLog,
  setupLogging,
} from "./lib/log.ts";
import { hashPasswordCommand } from "./lib/policy/hash_password.ts";
import { formatAuthority } from "./lib/http1/target.ts";
import { ListenError, loopSnapshot, ProxyServer } from "./lib/server.ts";
import { AdminServer, adminSource, adminUrl } from "./lib/admin/admin_server.ts";
import { WorkerGroup } from "./lib/workers.ts";
import { dialTarget } from "./lib/connection.ts";

/** Runs the CLI with `args`; resolves to the process exit code. */
export async function main(args: string[]): Promise<number> {
  if (args[0] === "hash-password") return await hashPasswordCommand(args.slice(1));
  let cmd;
  try {
    cmd = await loadRuntime(args);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const hint = err instanceof ConfigFileError ? "" : " (see sluice --help)";
    console.error(`sluice: ${err.message}${hint}`);
    return 2;
  }
  if (cmd.kind === "help") {
    console.log(helpText());
    return 0;
  }
  if (cmd.kind === "version") {
    console.log(`sluice ${VERSION}`);
    return 0;
  }
  if (cmd.kind === "check") {
    console.log(formatConfig(cmd.config).trimEnd());
    return 0;
  }
  const { config, policy, authText } = cmd;
  await setupLogging(config.logLevel);
  try {
    await setupAccessLog(config);
  } catch (err) {
    if (!(err instanceof AccessLogOpenError)) throw err;
    console.error(`sluice: ${err.message}`);
    return 1;
  }
  const log = logger("main");
  globalThis.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    log.error("Unhandled rejection (kept running): {reason}", { reason: String(e.reason) });
  });
  // SIGINT/SIGTERM are handled from before the listening lines: a supervisor that stops
  // sluice as soon as it reads one gets a clean drain, not the default kill
  const stopped = Promise.withResolvers<string>();
  const onSignal = (sig: string) => () => stopped.resolve(sig);
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const handlers = signals.map((s) => [s, onSignal(s)] as const);
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);
  const server = new ProxyServer(config, dialTarget, policy);
  const reusePort = config.workers > 1;
  let workers: WorkerGroup | null = null;
  let admin: AdminServer | null = null;
  try {
    const bound = server.listen({ reusePort });
    if (reusePort) workers = await WorkerGroup.start(config, bound, config.workers - 1, authText);
    if (config.adminListen) {
      const group = workers;
      admin = new AdminServer(
        config.adminListen,
        config.adminAllow,
        adminSource({
          get draining() {
            return server.draining;
          },
          snapshot: () => loopSnapshot(server),
        }, group),
      );
      try {
        const a = admin.listen();
        announce("main", `admin on ${adminUrl(a)} (/metrics, /status, /status.json, /healthz)`);
      } catch (err) {
        admin = null;
        throw new ListenError(
          `cannot open the admin listener on ${
            formatAuthority(config.adminListen.hostname, config.adminListen.port)
          }: ${(err as Error).message}`,
        );
      }
    }
    // printed whatever --log-level says: which port is open is never noise
    for (const a of bound) {
      announce(
        "main",
        `sluice ${VERSION} listening on http://${formatAuthority(a.hostname, a.port)}${
          reusePort ? ` (${config.workers} event loops)` : ""
        }`,
      );
    }
  } catch (err) {
    for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
    await server.drain(0);
    await workers?.drain(0);
    await closeAccessLog();
    if (err instanceof ListenError) {
      console.error(`sluice: ${err.message}`);
      return 1;
    }
    console.error(
      `sluice: cannot start ${config.workers - 1} worker(s): ${(err as Error).message}`,
    );
    return 1;
  }

  // SIGHUP: load everything again; a bad file keeps the old configuration
  let reloading = Promise.resolve();
  const reload = async () => {
    log.info("SIGHUP: reloading the configuration");
    try {
      const next = await loadRuntime(args);
      if (next.kind !== "serve") return;
      if (next.config.workers !== config.workers) {
        log.warning("--workers changes take effect at the next start, not on reload");
      }
      next.config.workers = config.workers;
      await setupAccessLog(next.config);
      await setupLogging(next.config.logLevel);
      server.reload(next.config, next.policy, { reusePort });
      await workers?.reload(next.config, server.addresses, next.authText);
      log.info("reloaded: {rules} access rule(s), auth {auth}", {
        rules: next.config.clientRules.length + next.config.hostRules.length,
        auth: next.policy.authenticates ? "on" : "off",
      });
    } catch (err) {
      log.error("Reload failed; keeping the configuration in force: {error}", {
        error: (err as Error).message,
      });
    }
  };
  const onHup = () => reloading = reloading.then(reload);

  // SIGUSR1: logrotate renamed the access log file; every event loop opens it again
  const reopenLogs = async () => {
    log.info("SIGUSR1: reopening the access log");
    try {
      await reopenAccessLog();
      await workers?.reopenAccessLog();
      log.info("access log reopened");
    } catch (err) {
      log.error("Cannot reopen the access log: {error}", { error: (err as Error).message });
    }
  };
  const onUsr1 = () => reloading = reloading.then(reopenLogs);

  if (Deno.build.os !== "windows") {
    Deno.addSignalListener("SIGHUP", onHup);
    Deno.addSignalListener("SIGUSR1", onUsr1);
  }
  const sig = await stopped.promise;
  log.info("{signal}: draining (up to {ms} ms)", { signal: sig, ms: config.drainTimeoutMs });
  await reloading;
  await Promise.all([
    server.drain(config.drainTimeoutMs, config.drainDelayMs),
    workers?.drain(config.drainTimeoutMs, config.drainDelayMs),
  ]);
  await admin?.close();
  for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
  if (Deno.build.os !== "windows") {
    Deno.removeSignalListener("SIGHUP", onHup);
    Deno.removeSignalListener("SIGUSR1", onUsr1);
  }
  log.info("stopped");
  await closeAccessLog();
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
