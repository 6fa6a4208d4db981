/**
 * A bounded loopback benchmark: an origin (nginx when installed, else a
 * Deno.serve subprocess) serves 1 KiB and 10 MiB files; each workload runs
 * once straight at the origin and once through sluice (absolute-form), driven
 * by wrk when installed, else by a built-in Deno load generator. Prints a table
 * with throughput, the sluice/direct ratio, latency, errors and the proxy's
 * peak RSS. Everything started is stopped in a `finally`, and a hard timeout
 * ends the run whatever happens.
 *
 * Run with `deno task bench`. Environment: `BENCH_DURATION` (seconds per run,
 * default 5), `BENCH_TIMEOUT` (hard limit in seconds), `BENCH_NO_INSTALL=1` (do not
 * apt-get a missing wrk or nginx when root), `BENCH_NO_WRK=1` and
 * `BENCH_NO_NGINX=1` force the fallbacks.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { VERSION } from "../../lib/config.ts";
import { SERVE_FLAGS } from "../serve_flags.ts";
import {
  freePort,
  HOST,
  procStatusKiB,
  runBounded,
  spawn,
  stop,
  waitForPort,
  which,
} from "./procs.ts";

/** One benchmark workload. */
export interface Workload {
  /** Label in the table. */
  name: string;
  /** Path of the file on the origin. */
  path: string;
  /** Concurrent connections. */
  connections: number;
  /** Send `Connection: close` (one connection per request). */
  close: boolean;
}

/** What one load run measured. */
export interface RunResult {
  /** Requests completed per second. */
  rps: number;
  /** Bytes read per second (heads and bodies). */
  bytesPerSec: number;
  /** Median latency (ms). */
  p50: number;
  /** 99th percentile latency (ms). */
  p99: number;
  /** Socket errors, timeouts and non-2xx/3xx responses. */
  errors: number;
}

/**
 * One load run: connect to `port` (the origin's or the proxy's) and send `w`'s
 * requests for `target` (origin-form direct, absolute-form through the proxy)
 * with `Host: host` (the origin's authority) for `seconds`.
 */
export type LoadSpec = { port: number; target: string; host: string; w: Workload; seconds: number };

/** The workloads, in run order. */
export const WORKLOADS: readonly Workload[] = [
  { name: "1 KiB keep-alive", path: "/1k.bin", connections: 50, close: false },
  { name: "1 KiB Connection: close", path: "/1k.bin", connections: 50, close: true },
  { name: "10 MiB keep-alive", path: "/10m.bin", connections: 4, close: false },
];

/** Bytes in a mebibyte. */
export const MiB = 1024 * 1024;
const enc = new TextEncoder();
const dec = new TextDecoder();
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    const temps = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
      .map((t) => `  ${t}_temp_path ${dir}/${t};\n`).join("");
    const conf = `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  default_type application/octet-stream;
${temps}  server { listen ${HOST}:${port}; root ${www}; }
}
`;
    const confPath = `${dir}/nginx.conf`;
    await Deno.writeTextFile(confPath, conf);
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

const UNITS: Record<string, number> = { us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };
const SIZES: Record<string, number> = { B: 1, KB: 1024, MB: MiB, GB: 1024 * MiB, TB: MiB * MiB };

/** Parses wrk's `--latency` report. */
export function parseWrk(out: string): RunResult {
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  const lat = (pct: string) => {
    const m = new RegExp(`^\\s+${pct}%\\s+([\\d.]+)(us|ms|s|m|h)`, "m").exec(out);
    return m ? Number(m[1]) * UNITS[m[2]] : NaN;
  };
  const xfer = /Transfer\/sec:\s+([\d.]+)([KMGT]?B)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0) +
    Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const [rps, p50, p99] = [num(/Requests\/sec:\s+([\d.]+)/), lat("50"), lat("99")];
  return { rps, bytesPerSec: xfer ? Number(xfer[1]) * SIZES[xfer[2]] : NaN, p50, p99, errors };
}

async function runWrk(wrk: string, dir: string, spec: LoadSpec): Promise<RunResult> {
  const { port, target, host, w, seconds } = spec;
  const lua = `${dir}/wrk-${port}-${w.close ? "close" : "ka"}.lua`;
  await Deno.writeTextFile(
    lua,
    `wrk.path = "${target}"\nwrk.headers["Host"] = "${host}"\n` +
      (w.close ? `wrk.headers["Connection"] = "close"\n` : ""),
  );
  const threads = String(Math.min(2, w.connections));
  const p = spawn("wrk", wrk, [
    ...["-t", threads, "-c", String(w.connections), "-d", `${seconds}s`, "--timeout", "10s"],
    ...["--latency", "-s", lua, `http://${HOST}:${port}`],
  ]);
  const status = await p.child.status;
  await p.drained;
  await stop(p);
  const out = p.tail();
  if (!status.success) throw new Error(`wrk exited ${status.code}:\n${out}`);
  return parseWrk(out);
}

function findHeadEnd(b: Uint8Array): number {
  for (let i = 3; i < b.length; i++) {
    if (b[i] === 10 && b[i - 1] === 13 && b[i - 2] === 10 && b[i - 3] === 13) return i + 1;
  }
  return -1;
}

async function readResponse(conn: Deno.Conn, scratch: Uint8Array) {
  let head = new Uint8Array(0);
  let total = 0;
  for (;;) {
    const n = await conn.read(scratch);
    if (n === null) throw new Error("EOF before the response head ended");
    total += n;
    const next = new Uint8Array(head.length + n);
    next.set(head);
    next.set(scratch.subarray(0, n), head.length);
    head = next;
    const end = findHeadEnd(head);
    if (end < 0) continue;
    const text = dec.decode(head.subarray(0, end));
    const cl = /\r\ncontent-length:\s*(\d+)/i.exec(text);
    if (!cl) throw new Error("response without Content-Length");
    let remaining = Number(cl[1]) - (head.length - end);
    while (remaining > 0) {
      const m = await conn.read(scratch);
      if (m === null) throw new Error("EOF in the response body");
      total += m;
      remaining -= m;
    }
    const keepAlive = !/\r\nconnection:\s*close/i.test(text);
    return { status: Number(text.slice(9, 12)), bytes: total, keepAlive };
  }
}

/** A bounded load generator: keep-alive (or close) loops over raw TCP. */
export async function builtinLoad(spec: LoadSpec): Promise<RunResult> {
  const { port, target, host, w, seconds } = spec;
  const req = enc.encode(
    `GET ${target} HTTP/1.1\r\nHost: ${host}\r\n${w.close ? "Connection: close\r\n" : ""}\r\n`,
  );
  const open = new Set<Deno.Conn>();
  const drop = (c: Deno.Conn): null => {
    open.delete(c);
    try {
      c.close();
    } catch { /* closed */ }
    return null;
  };
  const lat: number[] = [];
  let count = 0, bytes = 0, errors = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  const killer = setTimeout(() => [...open].forEach(drop), seconds * 1000 + 5000);
  const loop = async () => {
    const scratch = new Uint8Array(256 * 1024);
    let conn: Deno.Conn | null = null;
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        if (!conn) open.add(conn = await Deno.connect({ hostname: HOST, port }));
        for (let off = 0; off < req.length;) off += await conn.write(req.subarray(off));
        const r = await readResponse(conn, scratch);
        if (r.status < 200 || r.status >= 400) errors++;
        count++;
        bytes += r.bytes;
        lat.push(performance.now() - t0);
        if (w.close || !r.keepAlive) conn = drop(conn);
      } catch {
        errors++;
        if (conn) conn = drop(conn);
        await delay(10);
      }
    }
    if (conn) drop(conn);
  };
  await Promise.all(Array.from({ length: w.connections }, loop));
  clearTimeout(killer);
  const elapsed = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  const pct = (q: number) =>
    lat.length ? lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] : NaN;
  const [rps, bytesPerSec, p50, p99] = [count / elapsed, bytes / elapsed, pct(0.5), pct(0.99)];
  return { rps, bytesPerSec, p50, p99, errors };
}

/** Formats `rows` (the first is the header) as an aligned text table. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join("  ");
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)]
    .join("\n");
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
    ...["main.ts", "--listen", `${HOST}:${proxyPort}`, "--log-level", "warning"],
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
  const seconds = Number(Deno.env.get("BENCH_DURATION") ?? 5);
  const limit = Number(Deno.env.get("BENCH_TIMEOUT") ?? WORKLOADS.length * 2 * (seconds + 15) + 60);
  await installMissing(); // bounded on its own (5 min), before the benchmark's clock starts
  await runBounded("bench", limit, bench);
}
