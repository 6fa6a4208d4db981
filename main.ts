/**
 * sluice command line: parse flags, set up logging, start the server, drain on
 * SIGINT/SIGTERM. Exit codes: 0 after a clean stop, 1 when a listener cannot
 * open, 2 for bad flags.
 *
 * @module
 */

import { ConfigError, helpText, parseCommandLine, VERSION } from "./lib/config.ts";
import { logger, setupLogging } from "./lib/log.ts";
import { formatAddr, ListenError, ProxyServer } from "./lib/server.ts";

/** Runs the CLI with `args`; resolves to the process exit code. */
export async function main(args: string[]): Promise<number> {
  let cmd;
  try {
    cmd = parseCommandLine(args);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`sluice: ${err.message} (see sluice --help)`);
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
  const config = cmd.config;
  await setupLogging(config.logLevel);
  const log = logger("main");
  globalThis.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    log.error("Unhandled rejection (kept running): {reason}", { reason: String(e.reason) });
  });
  const server = new ProxyServer(config);
  try {
    for (const a of server.listen()) {
      log.info("sluice {version} listening on http://{addr}", {
        version: VERSION,
        addr: formatAddr(a.hostname, a.port),
      });
    }
  } catch (err) {
    if (!(err instanceof ListenError)) throw err;
    console.error(`sluice: ${err.message}`);
    return 1;
  }
  const stopped = Promise.withResolvers<string>();
  const onSignal = (sig: string) => () => stopped.resolve(sig);
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const handlers = signals.map((s) => [s, onSignal(s)] as const);
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);
  const sig = await stopped.promise;
  log.info("{signal}: draining (up to {ms} ms)", { signal: sig, ms: config.drainTimeoutMs });
  await server.drain(config.drainTimeoutMs);
  for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
  log.info("stopped");
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
