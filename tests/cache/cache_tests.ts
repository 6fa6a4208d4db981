/**
 * Runs the vendored http-tests cache-tests suite (tests/cache/suite, see its
 * VENDORED.md) through sluice and prints the score table.
 *
 *   deno task cache-tests [--out FILE] [--test ID] [--timeout S] [SLUICE ARGS...]
 *
 * Sluice is started the way `deno task serve` starts it (this Deno binary, the
 * serve task's runtime flags, `main.ts --listen 127.0.0.1:PORT --log-level
 * warning`) on a free loopback port, followed by every argument this script
 * does not know (e.g. `--cache-size 64MiB`; after a `--`, everything goes to
 * sluice). Then `bash tests/cache/suite/run.sh PORT OUT [ID]` runs with
 * CT_PORT set to another free port for the suite's own origin; it needs node
 * >= 20.18 and npm (it installs undici 7 into a temporary directory).
 *
 * `--out FILE` keeps the results JSON (default: a temporary file, removed at
 * the end); `--test ID` runs that one test and prints the requests and
 * responses it saw, then sluice's log; `--timeout S` is the hard limit
 * (default 900 s) after which everything started is killed and the exit code
 * is 124. The exit code is 1 when sluice died during the run, run.sh's own
 * code when it failed (2: npm could not install undici), else 0: failing
 * tests are the suite's result, not an error of this script.
 *
 * Sluice, and run.sh with everything it starts (npm, the suite's node server,
 * `timeout` with its own process group, the node client), each run in a
 * session of their own under a small bash guard: when this script closes the
 * guard's stdin (or exits in any way, even killed), the guard ends every
 * process of that session, TERM first and KILL 3 s later.
 *
 * @module
 */

import { resolve } from "node:path";
import { SERVE_FLAGS } from "../serve_flags.ts";

const HOST = "127.0.0.1";
const ROOT = new URL("../../", import.meta.url).pathname;
const RUN_SH = `${ROOT}tests/cache/suite/run.sh`;

/**
 * The guard (`setsid -w bash -c GUARD guard CMD ARGS...`): runs `CMD ARGS` in
 * the session that setsid gave it, with its stdin from /dev/null, and watches
 * its own stdin; at EOF (this script closed it, or died) it sweeps the session.
 * When CMD exits it sweeps too (leftovers), then exits with CMD's status.
 */
const GUARD = `
sid=$$ keep=$$
others() { # the session's processes but this shell, $keep and the $(...) running this
  local f rest p; local -a a
  for f in /proc/[0-9]*/stat; do
    read -r rest 2>/dev/null < "$f" || continue
    rest=\${rest##*) }; read -ra a <<< "$rest"
    p=\${f#/proc/}; p=\${p%/stat}
    [[ \${a[3]} == "$sid" && $p != "$sid" && $p != "$keep" && $p != "$BASHPID" ]] && echo "$p"
  done
  return 0
}
sweep() { # TERM, up to 3 s, then KILL
  local p
  for p in $(others); do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 30); do [[ -z $(others) ]] && return 0; sleep 0.1; done
  for p in $(others); do kill -KILL "$p" 2>/dev/null; done
  return 0
}
"$@" </dev/null & run=$!
exec 3<&0
{ keep=$BASHPID; while read -r _; do :; done <&3; sweep; } & watch=$!
exec 3<&-
wait "$run"; rc=$?
kill "$watch" 2>/dev/null
sweep
exit "$rc"
`;

/** The guards started and not yet stopped. */
const running = new Set<Guarded>();

/** A command running under {@linkcode GUARD}. */
interface Guarded {
  child: Deno.ChildProcess;
  /** Set once the guard (so the command) has exited. */
  exited: boolean;
  /** Ends the session (EOF to the guard) and waits; SIGKILL to the guard after 10 s. */
  stop(): Promise<Deno.CommandStatus>;
}

function guarded(
  argv: string[],
  opts: { piped: boolean; env?: Record<string, string> },
): Guarded {
  const io = opts.piped ? "piped" : "inherit";
  const child = new Deno.Command("setsid", {
    args: ["-w", "bash", "-c", GUARD, "guard", ...argv],
    cwd: ROOT,
    stdin: "piped",
    stdout: io,
    stderr: io,
    env: opts.env,
  }).spawn();
  const stdin = child.stdin.getWriter();
  const g: Guarded = {
    child,
    exited: false,
    async stop() {
      running.delete(g);
      await stdin.close().catch(() => {});
      const timer = setTimeout(() => {
        try {
          if (!g.exited) child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 10_000);
      const status = await child.status;
      clearTimeout(timer);
      return status;
    },
  };
  child.status.then(() => g.exited = true);
  running.add(g);
  return g;
}

interface Options {
  out: string | null;
  test: string | null;
  timeout: number;
  sluiceArgs: string[];
}

function parse(argv: string[]): Options {
  const o: Options = { out: null, test: null, timeout: 900, sluiceArgs: [] };
  const args = argv[0] === "--" ? argv.slice(1) : [...argv];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      o.sluiceArgs.push(...args.slice(i + 1));
      break;
    }
    const m = /^--(out|test|timeout)(?:=(.*))?$/.exec(a);
    if (!m) {
      o.sluiceArgs.push(a);
      continue;
    }
    const value = m[2] ?? args[++i];
    if (value === undefined || value === "") throw new Error(`--${m[1]} wants a value`);
    if (m[1] === "out") o.out = resolve(value);
    else if (m[1] === "test") o.test = value;
    else {
      o.timeout = Number(value);
      if (!(o.timeout > 0)) throw new Error(`--timeout wants seconds, not ${value}`);
    }
  }
  return o;
}

/** A loopback port that was free a moment ago (none of `not`). */
function freePort(not: number[] = []): number {
  for (;;) {
    const l = Deno.listen({ hostname: HOST, port: 0 });
    const port = l.addr.port;
    l.close();
    if (!not.includes(port)) return port;
  }
}

/** A started sluice: its guard and the tail of its output. */
interface Sluice {
  guard: Guarded;
  tail(): string;
  drained: Promise<unknown>;
}

/** Starts sluice on `port` and waits (up to 20 s) for its listening line. */
async function startSluice(port: number, extra: string[]): Promise<Sluice> {
  const guard = guarded([
    Deno.execPath(),
    ...SERVE_FLAGS,
    ...["main.ts", "--listen", `${HOST}:${port}`, "--log-level", "warning", ...extra],
  ], { piped: true, env: { NO_COLOR: "1" } });
  let log = "";
  const listening = Promise.withResolvers<void>();
  const drain = async (stream: ReadableStream<Uint8Array> | null) => {
    for await (const chunk of stream!.pipeThrough(new TextDecoderStream())) {
      log = (log + chunk).slice(-32 * 1024);
      if (/listening on http:\/\//.test(log)) listening.resolve();
    }
  };
  const s: Sluice = {
    guard,
    tail: () => log,
    drained: Promise.all([drain(guard.child.stdout), drain(guard.child.stderr)]),
  };
  guard.child.status.then((st) => {
    listening.reject(new Error(`sluice exited (${st.code}) before listening:\n${log}`));
  });
  const timer = setTimeout(
    () => listening.reject(new Error(`sluice did not start:\n${log}`)),
    20_000,
  );
  try {
    await listening.promise;
  } catch (err) {
    await guard.stop();
    await s.drained;
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return s;
}

async function main(): Promise<number> {
  const o = parse(Deno.args);
  const port = freePort();
  const ctPort = freePort([port]);
  const tmp = o.out === null ? await Deno.makeTempDir({ prefix: "sluice-cache-tests-" }) : null;
  const out = o.out ?? `${tmp}/results.json`;
  const cleanup = async () => {
    await Promise.all([...running].map((g) => g.stop()));
    if (tmp) await Deno.remove(tmp, { recursive: true }).catch(() => {});
  };
  let aborting = false;
  const abort = (why: string, code: number) => async () => {
    if (aborting) return;
    aborting = true;
    console.error(`cache-tests: ${why}; stopping everything`);
    await cleanup();
    Deno.exit(code);
  };
  const hard = setTimeout(abort(`hard timeout after ${o.timeout} s`, 124), o.timeout * 1000);
  const onInt = abort("interrupted", 130);
  const onTerm = abort("terminated", 143);
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  try {
    const sluice = await startSluice(port, o.sluiceArgs);
    const extra = o.sluiceArgs.length ? ` ${o.sluiceArgs.join(" ")}` : "";
    console.log(`sluice on ${HOST}:${port}${extra}; the suite's origin on ${HOST}:${ctPort}`);
    const suite = guarded(
      ["bash", RUN_SH, String(port), out, ...(o.test ? [o.test] : [])],
      { piped: false, env: { CT_PORT: String(ctPort) } },
    );
    const status = await suite.child.status;
    if (aborting) await new Promise(() => {}); // abort() exits
    const died = sluice.guard.exited;
    await sluice.guard.stop();
    await sluice.drained;
    if (o.test && sluice.tail().trim() !== "") {
      console.log(`\nsluice's log:\n${sluice.tail().trimEnd()}`);
    }
    if (died) {
      console.error(`cache-tests: sluice died during the run:\n${sluice.tail()}`);
      return 1;
    }
    if (!status.success) {
      console.error(`cache-tests: run.sh failed (exit ${status.code})`);
      return status.code || 1;
    }
    if (tmp && !o.test) console.log("(a temporary file, removed now; --out FILE keeps it)");
    return 0;
  } finally {
    clearTimeout(hard);
    if (!aborting) await cleanup();
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
  }
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main();
  } catch (err) {
    console.error(`cache-tests: ${err instanceof Error ? err.message : err}`);
    code = 1;
  }
  Deno.exit(code);
}
