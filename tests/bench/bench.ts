/**
 * A bounded loopback benchmark: an origin (nginx when installed, else a
 * Deno.serve subprocess) serves 1 KiB and 10 MiB files; each workload runs
 * once straight at the origin and once through sluice (absolute-form), driven
 * by wrk when installed, else by a built-in Deno load generator. Prints a table
 * with throughput, the sluice/direct ratio, latency, errors and the proxy's
 * peak RSS. Everything started is stopped in a `finally`, and a hard timeout
 * ends the run whatever happens.
 *
 * Then the static-file workloads of static.ts (sluice `--root` beside nginx,
 * Caddy and a Deno baseline). Run with `deno task bench`; `deno task bench
 * --static` runs only the static part, `--proxy` only the proxy part, and
 * `--admin` only the admin-listener cost of admin_bench.ts, `--reverse` only
 * the reverse-proxy comparison of reverse_bench.ts, and
 * `--cache` only the shared-cache bench of cache_bench.ts (not part of the
 * default run).
 * Environment: `BENCH_DURATION` (seconds per run,
 * default 5), `BENCH_TIMEOUT` (hard limit in seconds), `BENCH_NO_INSTALL=1` (do not
 * apt-get a missing wrk or nginx when root), `BENCH_NO_WRK=1` and
 * `BENCH_NO_NGINX=1` force the fallbacks.
 *
 * @module
 */

import { benchAdmin } from "./admin_bench.ts";
import { benchReverse, reverseLimit } from "./reverse_bench.ts";
import { fileURLToPath } from "node:url";
import { VERSION } from "../../lib/config.ts";
import { SERVE_FLAGS } from "../serve_flags.ts";
import {
  freePort,
  HOST,
  procStatusKiB,
  runBounded,
  scriptArgs,
  spawn,
  stopAll,
  waitForPort,
  which,
  writeNginxConf,
} from "./procs.ts";
import {
  builtinLoad,
  MiB,
  type RunResult,
  runWrk,
  table,
  type Workload,
  WORKLOADS,
} from "./load.ts";
import { benchStatic, staticLimit } from "./static.ts";
import { benchCache, cacheLimit } from "./cache_bench.ts";

export { builtinLoad, MiB, parseWrk, runWrk, table, WORKLOADS } from "./load.ts";
export type { LoadSpec, RunResult, Workload } from "./load.ts";

/**
 * Starts a static origin in `dir` serving `/1k.bin` (1 KiB of "a"), `/10m.bin`
 * (10 MiB of "b") and each of `files` (name to content) on {@linkcode HOST}.
 */
export async function startOrigin(
  dir: string,
  files: Record<string, Uint8Array> = {},
): Promise<{ kind: string; port: number }> {
  const www = `${dir}/www`;
  await Deno.mkdir(www, { recursive: true });
  await Deno.writeFile(`${www}/1k.bin`, new Uint8Array(1024).fill(0x61));
  await Deno.writeFile(`${www}/10m.bin`, new Uint8Array(10 * MiB).fill(0x62));
  for (const [name, data] of Object.entries(files)) await Deno.writeFile(`${www}/${name}`, data);
  await Deno.chmod(dir, 0o755); // nginx workers may run as nobody
  const port = freePort();
  const nginx = Deno.env.get("BENCH_NO_NGINX") ? null : await which("nginx", ["/usr/sbin/nginx"]);
  if (nginx) {
    const confPath = await writeNginxConf(dir, port, www);
    const p = spawn("nginx", nginx, ["-p", dir, "-e", `${dir}/error.log`, "-c", confPath]);
    await waitForPort(port, p);
    return { kind: `nginx (${nginx})`, port };
  }
  const script = `const files = new Map();
for (const e of Deno.readDirSync("${www}")) {
  files.set("/" + e.name, Deno.readFileSync("${www}/" + e.name));
}
Deno.serve({ hostname: "${HOST}", port: ${port}, onListen() {} }, (req) => {
  const body = files.get(new URL(req.url).pathname);
  return body ? new Response(body) : new Response("not found", { status: 404 });
});
`;
  const src = `${dir}/origin.ts`;
  await Deno.writeTextFile(src, script);
  const allow = [`--allow-net=${HOST}`, `--allow-read=${www}`];
  const p = spawn("deno origin", Deno.execPath(), ["run", ...allow, src]);
  await waitForPort(port, p);
  return { kind: "Deno.serve subprocess", port };
}

const f = (n: number, d = 0) => Number.isFinite(n) ? n.toFixed(d) : "n/a";

/**
 * On a fresh Debian/Ubuntu machine where we are root, installs what is
 * missing of wrk and nginx with apt-get (bounded to 5 minutes); elsewhere, or
 * when that fails, the bench goes on with the built-in load generator and a
 * Deno origin.
 */
async function installMissing(): Promise<void> {
  if (Deno.env.get("BENCH_NO_INSTALL")) return;
  const missing = [];
  if (!Deno.env.get("BENCH_NO_WRK") && !(await which("wrk"))) missing.push("wrk");
  if (!Deno.env.get("BENCH_NO_NGINX") && !(await which("nginx", ["/usr/sbin/nginx"]))) {
    missing.push("nginx");
  }
  if (missing.length === 0 || Deno.uid?.() !== 0 || !(await which("apt-get"))) return;
  console.log(`installing ${missing.join(" ")} with apt-get (BENCH_NO_INSTALL=1 skips this)`);
  const cmd = new Deno.Command("timeout", {
    args: [
      "300",
      "bash",
      "-c",
      `apt-get update -qq && apt-get install -y -qq ${missing.join(" ")}`,
    ],
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdout: "null",
    stderr: "piped",
  });
  const out = await cmd.output();
  if (!out.success) {
    console.log(
      `apt-get failed (${new TextDecoder().decode(out.stderr).trim().split("\n").at(-1)})`,
    );
  }
}

async function bench(dir: string): Promise<void> {
  const seconds = Number(Deno.env.get("BENCH_DURATION") ?? 5);
  if (!(seconds > 0)) throw new Error(`bad BENCH_DURATION ${Deno.env.get("BENCH_DURATION")}`);
  const wrk = Deno.env.get("BENCH_NO_WRK") ? null : await which("wrk");
  if (!wrk) console.log("wrk not found: using the built-in Deno load generator instead");
  const origin = await startOrigin(dir);
  const proxyPort = freePort();
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const sluice = spawn("sluice", Deno.execPath(), [
    ...SERVE_FLAGS,
    // the forward path (the cache has its own bench: --cache)
    ...[
      "main.ts",
      "--listen",
      `${HOST}:${proxyPort}`,
      "--log-level",
      "warning",
      "--cache-size",
      "0",
    ],
  ], root);
  await waitForPort(proxyPort, sluice);
  const originHost = `${HOST}:${origin.port}`;
  console.log(`sluice ${VERSION} on ${HOST}:${proxyPort}, pid ${sluice.child.pid}`);
  console.log(`origin: ${origin.kind} on ${originHost}`);
  console.log(`load: ${wrk ?? "built-in"}, ${seconds} s per run, Deno ${Deno.version.deno}\n`);
  const load = (port: number, target: string, w: Workload, s = seconds) => {
    const spec = { port, target, host: originHost, w, seconds: s };
    return wrk ? runWrk(wrk, dir, spec) : builtinLoad(spec);
  };
  await load(proxyPort, `http://${originHost}/1k.bin`, WORKLOADS[0], 1); // warm-up
  const rows = [
    ("workload|conns|direct req/s|direct MiB/s|sluice req/s|sluice MiB/s|ratio|" +
      "p50/p99 ms direct|p50/p99 ms sluice|errors d/s|sluice peak RSS").split("|"),
  ];
  const tput = (r: RunResult) => [f(r.rps), f(r.bytesPerSec / MiB, 1)];
  const lat = (r: RunResult) => `${f(r.p50, 2)}/${f(r.p99, 2)}`;
  const mib = (kib: number | null) => kib === null ? "n/a" : `${f(kib / 1024, 1)} MiB`;
  for (const w of WORKLOADS) {
    const d = await load(origin.port, w.path, w);
    const s = await load(proxyPort, `http://${originHost}${w.path}`, w);
    const rss = mib(await procStatusKiB(sluice.child.pid, "VmHWM"));
    const row = [w.name, `${w.connections}`, ...tput(d), ...tput(s), f(s.rps / d.rps, 2)];
    rows.push([...row, lat(d), lat(s), `${d.errors}/${s.errors}`, rss]);
    console.log(`done: ${w.name}`);
  }
  console.log(`\n${table(rows)}`);
  console.log(`\nsluice peak RSS (VmHWM): ${mib(await procStatusKiB(sluice.child.pid, "VmHWM"))}`);
  if (sluice.exited) throw new Error(`sluice exited during the benchmark:\n${sluice.tail()}`);
}

if (import.meta.main) {
  // `--static`: only the static-file part (static.ts); `--proxy`: only the proxy part;
  // `--cache`: only the cache bench (cache_bench.ts)
  const args = scriptArgs();
  if (args.includes("--admin")) {
    await installMissing();
    await runBounded("bench-admin", Number(Deno.env.get("BENCH_TIMEOUT") ?? 600), benchAdmin);
    Deno.exit(0);
  }
  if (args.includes("--reverse")) {
    await installMissing();
    const limit = Number(Deno.env.get("BENCH_TIMEOUT") ?? reverseLimit());
    await runBounded("bench-reverse", limit, benchReverse);
  }
  if (args.includes("--cache")) {
    await installMissing();
    await runBounded(
      "bench-cache",
      Number(Deno.env.get("BENCH_TIMEOUT") ?? cacheLimit()),
      benchCache,
    );
  }
  const [proxy, files] = [!args.includes("--static"), !args.includes("--proxy")];
  const seconds = Number(Deno.env.get("BENCH_DURATION") ?? 5);
  const reps = Number(Deno.env.get("BENCH_REPS") ?? 1);
  const limit = Number(
    Deno.env.get("BENCH_TIMEOUT") ??
      (proxy ? WORKLOADS.length * 2 * (seconds + 15) + 60 : 0) +
        (files ? staticLimit(seconds, reps) : 0),
  );
  await installMissing(); // bounded on its own (5 min), before the benchmark's clock starts
  await runBounded("bench", limit, async (dir) => {
    if (proxy) await bench(dir);
    await stopAll(); // the proxy part's origin and proxy
    if (files) await benchStatic(dir);
  });
}
