/**
 * A bounded soak test: mixed traffic through one sluice for `--minutes`
 * (default 10) from `--workers` (default 32) concurrent loops. Small (1 KiB)
 * and large (1-10 MiB) GETs from a static origin (nginx, or a Deno.serve
 * subprocess), keep-alive and `Connection: close`, POST uploads (length and
 * chunked) to an in-process sink that answers with the size and SHA-256,
 * CONNECT tunnels to an in-process echo server, and clients that abort
 * mid-response and mid-request. Every body is checked byte for byte.
 *
 * Every `--interval` seconds (default 10) the proxy's RSS and open fds are
 * sampled: once under load, then again while the workers pause (their
 * keep-alive connections closed) so that the fd count is comparable from
 * sample to sample; idle pooled upstream sockets are counted apart (ss). A
 * last sample follows `--settle` idle seconds (default 35, past the pool's
 * idle timeout), when the fds should be back where they started.
 *
 * At the end: the series, the operations by kind, the unexpected errors (an
 * abort the script causes is expected; a wrong body, an unexpected status, a
 * reset on a normal request are not) and whether RSS and fds are flat over
 * the last 80% of the run. Exits non-zero on any unexpected error.
 *
 * Run with `deno task soak` (`-- --minutes 1` for a quick run). Loopback only;
 * a hard limit (`--timeout`, default the run plus 3 minutes) ends it whatever
 * happens, and everything started is stopped.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { delay, ROOT } from "../e2e/harness.ts";
import { MiB, startOrigin, table } from "./bench.ts";
import { SERVE_FLAGS } from "../serve_flags.ts";
import {
  freePort,
  HOST,
  openFds,
  procStatusKiB,
  runBounded,
  scriptArgs,
  sh,
  spawn,
  waitForPort,
} from "./procs.ts";
import {
  closeAll,
  type Env,
  type Kind,
  KIND_NAMES,
  operate,
  payloads,
  pick,
  startPeers,
  type Worker,
} from "./traffic.ts";

const opts = parseArgs({
  args: scriptArgs(),
  options: {
    minutes: { type: "string", default: "10" },
    workers: { type: "string", default: "32" },
    interval: { type: "string", default: "10" },
    settle: { type: "string", default: "35" },
    timeout: { type: "string" },
  },
}).values;
const MINUTES = Number(opts.minutes);
const WORKERS = Number(opts.workers);
const INTERVAL = Number(opts.interval);
/** Idle seconds after the run before the last sample (the default pool idle timeout is 30 s). */
const SETTLE = Number(opts.settle);
const OP_TIMEOUT_MS = 60_000;

/** Counters shared by the workers and the sampler. */
interface Shared {
  ok: Record<Kind, number>;
  unexpected: Record<Kind, number>;
  firstErrors: string[];
  bytes: number;
  kaClosedByProxy: number;
  /** Set while the sampler wants the workers parked. */
  gate: PromiseWithResolvers<void> | null;
  parked: number;
  running: number;
  t0: number;
  end: number;
}

/** One worker: operations of random kinds until the end, parking whenever the gate is set. */
async function work(env: Env, s: Shared): Promise<void> {
  const w: Worker = { ka: null, open: new Set(), kaClosedByProxy: 0 };
  s.running++;
  try {
    while (Date.now() < s.end) {
      if (s.gate) {
        closeAll(w);
        s.parked++;
        await s.gate.promise;
        s.parked--;
        continue;
      }
      const kind = pick();
      // an operation that hangs is ended (and counted) after OP_TIMEOUT_MS
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        closeAll(w);
      }, OP_TIMEOUT_MS);
      try {
        const moved = await operate(env, w, kind); // (not `s.bytes += await`: it races)
        s.bytes += moved;
        s.ok[kind]++;
      } catch (err) {
        s.unexpected[kind]++;
        const why = timedOut ? `timed out after ${OP_TIMEOUT_MS} ms` : String(err);
        const at = ((Date.now() - s.t0) / 1000).toFixed(1);
        if (s.firstErrors.length < 20) s.firstErrors.push(`t=${at} s ${kind}: ${why}`);
        closeAll(w);
      } finally {
        clearTimeout(timer);
      }
    }
  } finally {
    closeAll(w);
    s.kaClosedByProxy += w.kaClosedByProxy;
    s.running--;
  }
}

/** One measurement of the proxy. */
interface Sample {
  t: number;
  rssKiB: number;
  /** Open fds with the workers parked, and how many of them are idle upstream (pooled) sockets. */
  fds: number;
  pooled: number;
  loadFds: number;
  ops: number;
  unexpected: number;
}

/** How many established TCP sockets `pid` has to one of `ports` (ss; NaN without it). */
async function upstreamSockets(pid: number, ports: number[]): Promise<number> {
  const filter = ports.map((p) => `dport = :${p}`).join(" or ");
  const out = await sh(`ss -Htnp state established '( ${filter} )' && echo ok`);
  if (!out.endsWith("ok\n")) return NaN;
  return out.split("\n").filter((l) => l.includes(`pid=${pid},`)).length;
}

const sum = (r: Record<Kind, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/** Samples under load, then with the workers parked and the proxy's fd count settled. */
async function sample(pid: number, s: Shared, upstream: number[]): Promise<Sample> {
  const loadFds = (await openFds(pid)) ?? NaN;
  s.gate = Promise.withResolvers();
  for (let i = 0; i < 600 && s.parked < s.running; i++) await delay(100);
  let [prev, fds] = [NaN, (await openFds(pid)) ?? NaN];
  for (let i = 0; i < 25 && fds !== prev; i++) {
    await delay(200);
    [prev, fds] = [fds, (await openFds(pid)) ?? NaN];
  }
  const rssKiB = (await procStatusKiB(pid, "VmRSS")) ?? NaN;
  const pooled = await upstreamSockets(pid, upstream);
  s.gate.resolve();
  s.gate = null;
  const [ops, unexpected] = [sum(s.ok), sum(s.unexpected)];
  const t = Math.round((Date.now() - s.t0) / 1000);
  const mib = (rssKiB / 1024).toFixed(1);
  console.log(
    `t=${String(t).padStart(4)} s  RSS ${mib} MiB  fds ${fds} (${pooled} pooled; ` +
      `under load ${loadFds})  ` +
      `operations ${ops}  unexpected ${unexpected}`,
  );
  return { t, rssKiB, fds, pooled, loadFds, ops, unexpected };
}

/** Min, max and least-squares slope (per minute) of `v` over `t` (seconds). */
function trend(t: number[], v: number[]) {
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const [mt, mv] = [mean(t), mean(v)];
  const den = t.reduce((a, ti) => a + (ti - mt) ** 2, 0);
  const slope = den ? t.reduce((a, ti, i) => a + (ti - mt) * (v[i] - mv), 0) / den : 0;
  return { min: Math.min(...v), max: Math.max(...v), perMin: slope * 60, span: t.at(-1)! - t[0] };
}

/**
 * Prints the verdict on RSS and fds over the last 80% of the run, and whether
 * the fds came back to where they started once the pool idled out (`after`).
 */
function flatness(samples: Sample[], seconds: number, after: Sample | null): void {
  const win = samples.filter((x) => x.t >= 0.2 * seconds);
  if (win.length < 2) return console.log("\nflatness: too few samples in the last 80%");
  const t = win.map((x) => x.t);
  const own = (x: Sample) => Number.isNaN(x.pooled) ? x.fds : x.fds - x.pooled;
  const [fd, raw, pool] = [own, (x: Sample) => x.fds, (x: Sample) => x.pooled]
    .map((f) => trend(t, win.map(f)));
  const rss = trend(t, win.map((x) => x.rssKiB / 1024));
  const [first, last] = [win[0].rssKiB / 1024, win.at(-1)!.rssKiB / 1024];
  const growth = Math.max(rss.perMin * rss.span / 60, last - first);
  const verdict = (ok: boolean) => ok ? "flat" : "NOT flat";
  const from = Math.round(0.2 * seconds);
  console.log(`\nflatness over the last 80% (t >= ${from} s, ${t.length} samples)`);
  console.log(
    "criterion: fds flat when max - min <= 10, counted with the workers parked and without the " +
      "idle pooled upstream sockets; RSS flat when its growth (the larger of fitted slope x span " +
      "and last - first) is < 10% of the first value or < 20 MiB",
  );
  console.log(
    `fds without pooled: min ${fd.min}, max ${fd.max}, slope ${fd.perMin.toFixed(2)}/min -> ` +
      `${
        verdict(fd.max - fd.min <= 10)
      } (all fds ${raw.min}-${raw.max}, pooled ${pool.min}-${pool.max})`,
  );
  console.log(
    `RSS: min ${rss.min.toFixed(1)} MiB, max ${rss.max.toFixed(1)} MiB, slope ` +
      `${rss.perMin.toFixed(2)} MiB/min, growth ${growth.toFixed(1)} MiB ` +
      `(${(100 * growth / first).toFixed(1)}%) -> ${verdict(growth < 0.1 * first || growth < 20)}`,
  );
  if (after) {
    const back = own(after) <= own(samples[0]) ? "back to baseline" : "NOT back to baseline";
    console.log(
      `after the run and ${SETTLE} s idle: fds ${after.fds} (${after.pooled} pooled), ` +
        `${samples[0].fds} before the run -> ${back} (pooled not counted); ` +
        `RSS ${(after.rssKiB / 1024).toFixed(1)} MiB`,
    );
  }
}

async function soak(dir: string): Promise<void> {
  const seconds = MINUTES * 60;
  const { big, files } = payloads();
  const origin = await startOrigin(dir, files);
  const peers = startPeers();
  const port = freePort();
  const sluice = spawn("sluice", Deno.execPath(), [
    ...SERVE_FLAGS,
    ...["main.ts", "--listen", `${HOST}:${port}`],
    ...["--connect-ports", "*", "--log-level", "warning"],
  ], ROOT);
  try {
    await waitForPort(port, sluice);
    const { sink, echo } = peers;
    const env: Env = { proxy: port, origin: `${HOST}:${origin.port}`, sink, echo, big, files };
    const pid = sluice.child.pid;
    console.log(
      `sluice pid ${pid} on ${HOST}:${port}; origin ${origin.kind}; Deno ${Deno.version.deno}`,
    );
    console.log(`${MINUTES} min, ${WORKERS} workers, a sample every ${INTERVAL} s\n`);
    const zero = () => Object.fromEntries(KIND_NAMES.map((k) => [k, 0])) as Record<Kind, number>;
    const t0 = Date.now();
    const s: Shared = {
      ...{ ok: zero(), unexpected: zero(), firstErrors: [], bytes: 0, kaClosedByProxy: 0 },
      ...{ gate: null, parked: 0, running: 0, t0, end: t0 + seconds * 1000 },
    };
    const upstream = [origin.port, Number(sink.split(":")[1])];
    const samples = [await sample(pid, s, upstream)];
    const workers = Promise.all(Array.from({ length: WORKERS }, () => work(env, s)));
    for (let next = t0 + INTERVAL * 1000; next < s.end; next += INTERVAL * 1000) {
      await delay(next - Date.now());
      if (sluice.exited) break;
      samples.push(await sample(pid, s, upstream));
    }
    await workers;
    await delay(1000);
    const elapsed = (Date.now() - t0) / 1000;
    if (!sluice.exited) samples.push(await sample(pid, s, upstream));
    console.log(`waiting ${SETTLE} s for idle pooled upstream connections to time out`);
    await delay(SETTLE * 1000);
    const after = sluice.exited ? null : await sample(pid, s, upstream);
    report([...samples, ...after ? [after] : []], s, elapsed);
    flatness(samples, seconds, after);
    const logged = sluice.tail().split("\n").filter((l) => / (WARNING|ERROR|FATAL) /.test(l));
    console.log(
      `\nsluice warning/error log lines (in the last 64 KiB of its output): ${logged.length}`,
    );
    for (const l of logged.slice(-10)) console.log(`  ${l}`);
    if (sluice.exited) throw new Error(`sluice exited during the soak:\n${sluice.tail()}`);
    if (sum(s.unexpected) > 0) throw new Error(`${sum(s.unexpected)} unexpected errors`);
  } finally {
    await peers.close();
  }
}

/** Prints the series, the operations by kind and the unexpected errors. */
function report(samples: Sample[], s: Shared, elapsed: number): void {
  const head = ["t (s)", "RSS (MiB)", "fds", "pooled", "fds under load", "ops", "unexpected"];
  const rows = samples.map((x) =>
    [x.t, (x.rssKiB / 1024).toFixed(1), x.fds, x.pooled, x.loadFds, x.ops, x.unexpected]
      .map(String)
  );
  console.log(`\n${table([head, ...rows])}`);
  const total = sum(s.ok);
  const byKind = KIND_NAMES.map((k) => [k, `${s.ok[k]}`, `${s.unexpected[k]}`]);
  byKind.push(["total", `${total}`, `${sum(s.unexpected)}`]);
  console.log(`\n${table([["kind", "completed", "unexpected errors"], ...byKind])}`);
  console.log(
    `\n${total} operations in ${elapsed.toFixed(0)} s (${(total / elapsed).toFixed(0)}/s); ${
      (s.bytes / MiB).toFixed(0)
    } MiB of bodies checked`,
  );
  console.log(`keep-alive connections the proxy closed: ${s.kaClosedByProxy}`);
  console.log(`unexpected errors: ${sum(s.unexpected)}`);
  for (const e of s.firstErrors) console.log(`  ${e}`);
}

if (import.meta.main) {
  if (!(MINUTES > 0 && WORKERS > 0 && INTERVAL > 0 && SETTLE >= 0)) {
    console.error("--minutes, --workers, --interval and --settle want positive numbers");
    Deno.exit(2);
  }
  await runBounded("soak", Number(opts.timeout ?? MINUTES * 60 + SETTLE + 180), soak);
}
