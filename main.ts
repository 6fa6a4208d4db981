/**
 * sluice command line: parse flags, set up logging, start the server, drain on
 * SIGINT/SIGTERM. Exit codes: 0 after a clean stop (or `--check`), 1 when a
 * listener cannot open, 2 for bad flags or a bad config file.
 *
 * @module
 */

import { ConfigError, ConfigFileError, helpText, loadCommand, VERSION } from "./lib/config.ts";
import { formatConfig } from "./lib/config_file.ts";
import { logger, setupLogging } from "./lib/log.ts";
import { formatAddr, ListenError, ProxyServer } from "./lib/server.ts";
import { WorkerGroup } from "./lib/workers.ts";

/** Runs the CLI with `args`; resolves to the process exit code. */
export async function main(args: string[]): Promise<number> {
  let cmd;
  try {
    cmd = await loadCommand(args, (path) => Deno.readTextFile(path));
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
  const config = cmd.config;
  await setupLogging(config.logLevel);
  const log = logger("main");
  globalThis.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    log.error("Unhandled rejection (kept running): {reason}", { reason: String(e.reason) });
  });
  const server = new ProxyServer(config);
  let workers: WorkerGroup | null = null;
  try {
    const bound = server.listen({ reusePort: config.workers > 1 });
    if (config.workers > 1) {
      workers = await WorkerGroup.start(config, bound, config.workers - 1);
    }
    for (const a of bound) {
      log.info("sluice {version} listening on http://{addr}{loops}", {
        version: VERSION,
        addr: formatAddr(a.hostname, a.port),
        loops: config.workers > 1 ? ` (${config.workers} event loops)` : "",
      });
    }
  } catch (err) {
    await server.drain(0);
    if (err instanceof ListenError) {
      console.error(`sluice: ${err.message}`);
      return 1;
    }
    console.error(
      `sluice: cannot start ${config.workers - 1} worker(s): ${(err as Error).message}`,
    );
    return 1;
  }
  const stopped = Promise.withResolvers<string>();
  const onSignal = (sig: string) => () => stopped.resolve(sig);
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const handlers = signals.map((s) => [s, onSignal(s)] as const);
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);
  const sig = await stopped.promise;
  log.info("{signal}: draining (up to {ms} ms)", { signal: sig, ms: config.drainTimeoutMs });
  await Promise.all([server.drain(config.drainTimeoutMs), workers?.drain(config.drainTimeoutMs)]);
  for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
  log.info("stopped");
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
