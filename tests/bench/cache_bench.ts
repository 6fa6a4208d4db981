/**
 * The cache part of `deno task bench --cache`.
 *
 * Throughput: one 1 KiB object with `Cache-Control: max-age=3600` on an nginx
 * origin, fetched through each proxy in absolute-form by
 * `wrk -t2 -c50 -d${BENCH_DURATION:-10}s` (a Lua script sets the target, as
 * the proxy bench does): sluice with its cache (`--cache-size 64MiB`: hits),
 * sluice with `--cache-size 0` (every request forwarded), nginx as a forward
 * proxy with `proxy_cache` on tmpfs (/dev/shm when there is one) and squid
 * with its memory cache (`cache_mem`, `memory_cache_mode always`, no
 * cache_dir). Like the peers bench (/work/shared/bench/peers), every proxy runs
 * on core 1 and wrk and the origin on core 0 (taskset, two cores or more).
 * Each cache is warmed first (two probe requests, whose second response's
 * cache indicator the table shows, then an unrecorded 3 s wrk run). The table:
 * req/s, p50/p99, errors, the proxy's CPU (% of a core and microseconds per
 * request, from /proc), origin requests per 1000 proxied requests (from the
 * origin's stub_status: 0 means served from the cache), peak RSS; then a
 * verdict line per target. A missing nginx or squid is said and its column
 * left out (without nginx the origin is a Deno.serve subprocess).
 *
 * Memory: sluice with `--cache-size 64MiB` fetches 10,000 distinct 100 KiB
 * cacheable objects once each (50 at a time, keep-alive); its peak RSS
 * (VmHWM) is checked against the RSS of a sluice with `--cache-size 0` after
 * the same workload + 64 MiB (the cache) + 32 MiB (slack). The RSS 8 s after
 * the workload (once the idle-time memory reclaimer has run) is shown too.
 *
 * Environment: `BENCH_DURATION` (default 10 here), `BENCH_REPS` (interleaved
 * repetitions, medians shown; default 1), `BENCH_QUIET_WAIT` (seconds to wait
 * before each run for the machine to be idle, default 30),
 * `BENCH_CACHE_OBJECTS` (memory check objects, default 10000),
 * `BENCH_CACHE_TARGETS` (comma-separated subset of
 * sluice-cache,sluice-nocache,nginx-cache,squid-cache; `memory` for the memory
 * check: all by default).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { SERVE_FLAGS } from "../serve_flags.ts";
import { parseWrk, type RunResult, table } from "./load.ts";
import {
  freePort,
  HOST,
  type Proc,
  procStatusKiB,
  sh,
  spawn,
  stop,
  waitForPort,
  which,
  writeNginxConfig,
} from "./procs.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OBJECT = "/cached-1k.bin";
const TARGET_NAMES = ["sluice-cache", "sluice-nocache", "nginx-cache", "squid-cache"];
/** tmpfs directories made for nginx's proxy_cache, removed at the end (and on exit). */
const shmDirs: string[] = [];

function removeShm(path: string): void {
  if (!/^\/dev\/shm\/sluice-bench-nginx-cache-\w+$/.test(path)) return;
  try {
    new Deno.Command("rm", { args: ["-rf", path], stdout: "null", stderr: "null" }).outputSync();
  } catch { /* gone */ }
}
const enc = new TextEncoder();
const dec = new TextDecoder();
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f = (n: number, d = 0) => Number.isFinite(n) ? n.toFixed(d) : "n/a";
const env = (name: string, dflt: number) => {
  const v = Number(Deno.env.get(name) ?? dflt);
  if (!(v >= 0)) throw new Error(`bad ${name}: ${Deno.env.get(name)}`);
  return v;
};

/** Settings read from the environment. */
function settings() {
  return {
    seconds: env("BENCH_DURATION", 10) || 10,
    reps: Math.max(1, Math.floor(env("BENCH_REPS", 1))),
    quietWait: env("BENCH_QUIET_WAIT", 30),
    objects: Math.max(1, Math.floor(env("BENCH_CACHE_OBJECTS", 10_000))),
    wanted: (Deno.env.get("BENCH_CACHE_TARGETS") ?? [...TARGET_NAMES, "memory"].join(","))
      .split(","),
  };
}

/** Seconds `deno task bench --cache` may take (its hard limit). */
export function cacheLimit(): number {
  const s = settings();
  const perRun = s.seconds + s.quietWait + 10;
  return s.reps * TARGET_NAMES.length * perRun + TARGET_NAMES.length * 20 + 2 * 180 + 120;
}

/** A proxy under test. */
interface Target {
  name: string;
  /** What it is, for the header. */
  label: string;
  port: number;
  proc: Proc;
  /** The process doing the work (nginx's worker, not its master). */
  pid: number;
}

/** What one run measured. */
interface Sample extends RunResult {
  /** Proxy CPU seconds and wall seconds over the run. */
  cpu: number;
  seconds: number;
  /** Origin requests during the run, or NaN. */
  originRequests: number;
}

/** CPU time (user + system, s) of `pid` and its threads, from /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await sh(`cat /proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (USER_HZ 100)
}

async function firstLine(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    return (dec.decode(out.stdout) + dec.decode(out.stderr)).trim().split("\n")[0] ?? "";
  } catch {
    return "?";
  }
}

/** Busy share of one core over the whole machine for 1 s (all processes, ours too). */
async function machineBusy(): Promise<number> {
  const read = async () => {
    const cpu = (await sh("head -1 /proc/stat")).trim().split(/\s+/).slice(1).map(Number);
    const idle = cpu[3] + (cpu[4] || 0);
    return {
      busy: cpu.slice(0, 8).reduce((a, b) => a + b, 0) - idle,
      total: cpu.slice(0, 8).reduce((a, b) => a + b, 0),
    };
  };
  const a = await read();
  await delay(1000);
  const b = await read();
  const cores = navigator.hardwareConcurrency;
  return (100 * cores * (b.busy - a.busy)) / Math.max(1, b.total - a.total);
}

/** Waits (up to `max` s) until the machine uses at most 15 % of one core. */
async function waitQuiet(max: number): Promise<void> {
  const deadline = Date.now() + max * 1000;
  let said = false;
  for (;;) {
    const busy = await machineBusy();
    if (busy <= 15) return;
    if (Date.now() >= deadline) {
      console.log(`note: machine still busy (${f(busy)}% of a core); running anyway`);
      return;
    }
    if (!said) console.log(`machine busy (${f(busy)}% of a core); waiting`);
    said = true;
  }
}

// ------------------------------------------------------------------ origin

/** The origin: /cached-1k.bin, /obj/N (one 100 KiB file), all max-age=3600; stub_status. */
async function startOrigin(dir: string, nginx: string | null) {
  const www = `${dir}/cache-www`;
  await Deno.mkdir(www, { recursive: true });
  await Deno.writeFile(`${www}${OBJECT}`, new Uint8Array(1024).fill(0x63));
  await Deno.writeFile(`${www}/100k.bin`, new Uint8Array(100 * 1024).fill(0x64));
  await Deno.chmod(dir, 0o755);
  await Deno.chmod(www, 0o755);
  const port = freePort();
  if (nginx) {
    const d = `${dir}/cache-origin`;
    await Deno.mkdir(d, { recursive: true });
    await writeNginxConfig(
      d,
      `  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  server {
    listen ${HOST}:${port} backlog=4096;
    root ${www};
    add_header Cache-Control "max-age=3600" always;
    location /obj/ { rewrite ^ /100k.bin break; }
    location = /nginx_status { stub_status; }
  }
`,
    );
    const [cmd, args] = pinned("0", nginx, [
      "-p",
      d,
      "-e",
      `${d}/error.log`,
      "-c",
      `${d}/nginx.conf`,
    ]);
    const p = spawn("origin nginx", cmd, args);
    await waitForPort(port, p);
    return { kind: `nginx (${nginx})`, port };
  }
  const src = `${dir}/cache-origin.ts`;
  await Deno.writeTextFile(
    src,
    `const small = Deno.readFileSync("${www}${OBJECT}");
const big = Deno.readFileSync("${www}/100k.bin");
let requests = 0;
Deno.serve({ hostname: "${HOST}", port: ${port}, onListen() {} }, (req) => {
  requests++;
  const path = new URL(req.url).pathname;
  if (path === "/nginx_status") {
    return new Response("Active connections: 1 \\nserver accepts handled requests\\n 0 0 " + requests + " \\n");
  }
  const body = path === "${OBJECT}" ? small : path.startsWith("/obj/") ? big : null;
  if (!body) return new Response("not found", { status: 404 });
  return new Response(body, { headers: { "cache-control": "max-age=3600", "content-type": "application/octet-stream" } });
});
`,
  );
  const p = spawn("origin deno", Deno.execPath(), [
    "run",
    `--allow-net=${HOST}`,
    `--allow-read=${www}`,
    src,
  ]);
  await waitForPort(port, p);
  return { kind: "Deno.serve subprocess", port };
}

/** Requests the origin has answered (its stub_status, minus this query), or NaN. */
async function originRequests(port: number): Promise<number> {
  try {
    const r = await fetch(`http://${HOST}:${port}/nginx_status`);
    const m = /\n\s*\d+\s+\d+\s+(\d+)/.exec(await r.text());
    return m ? Number(m[1]) - 1 : NaN;
  } catch {
    return NaN;
  }
}

// ------------------------------------------------------------------ proxies

let tasksetPath: string | null | undefined;
async function taskset(): Promise<string | null> {
  if (tasksetPath === undefined) {
    tasksetPath = navigator.hardwareConcurrency >= 2 ? await which("taskset") : null;
  }
  return tasksetPath;
}

function pinned(cpu: string | null, cmd: string, args: string[]): [string, string[]] {
  return cpu === null || !tasksetPath ? [cmd, args] : [tasksetPath, ["-c", cpu, cmd, ...args]];
}

async function startSluice(name: string, extra: string[], cpu: string | null): Promise<Target> {
  const port = freePort();
  const args = [
    ...SERVE_FLAGS,
    ...["main.ts", "--listen", `${HOST}:${port}`, "--log-level", "warning", ...extra],
  ];
  const [cmd, argv] = pinned(cpu, Deno.execPath(), args);
  const proc = spawn(name, cmd, argv, ROOT);
  await waitForPort(port, proc);
  return { name, label: `sluice ${extra.join(" ")}`, port, proc, pid: proc.child.pid };
}

async function startNginxCache(dir: string, nginx: string, origin: string): Promise<Target> {
  const port = freePort();
  const d = `${dir}/nginx-cache`;
  await Deno.mkdir(d, { recursive: true });
  // proxy_cache keeps files; on tmpfs they live in memory. /dev/shm through bash:
  // Deno wants --allow-all for anything under /dev
  let cacheDir = (await sh("mktemp -d /dev/shm/sluice-bench-nginx-cache-XXXXXX")).trim();
  if (cacheDir.startsWith("/dev/shm/")) {
    shmDirs.push(cacheDir);
    const shm = cacheDir;
    globalThis.addEventListener("unload", () => removeShm(shm)); // a hard timeout exits
  } else {
    cacheDir = `${d}/cache`;
    await Deno.mkdir(cacheDir, { recursive: true });
  }
  await sh(`chmod 777 ${cacheDir}`); // the worker may run as nobody
  // nginx as a plain-HTTP forward proxy (as the peers bench runs it) with proxy_cache
  await writeNginxConfig(
    d,
    `  tcp_nodelay on;
  keepalive_timeout 65s;
  keepalive_requests 1000000;
  resolver 127.0.0.1 ipv6=off;
  proxy_cache_path ${cacheDir} levels=1:2 keys_zone=bench:16m max_size=64m inactive=1h use_temp_path=off;
  map $http_host $fwd_dest {
    ${origin} origin_pool;
    default $http_host;
  }
  upstream origin_pool {
    server ${origin};
    keepalive 128;
    keepalive_requests 1000000;
  }
  server {
    listen ${HOST}:${port} backlog=4096;
    location / {
      proxy_pass http://$fwd_dest$request_uri;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_max_temp_file_size 0;
      proxy_cache bench;
      proxy_cache_key $scheme://$http_host$request_uri;
      proxy_cache_valid 200 1h;
      proxy_cache_lock on;
      add_header X-Cache-Status $upstream_cache_status;
    }
  }
`,
    8192,
  );
  const [cmd, argv] = pinned("1", nginx, [
    "-p",
    d,
    "-e",
    `${d}/error.log`,
    "-c",
    `${d}/nginx.conf`,
  ]);
  const proc = spawn("nginx-cache", cmd, argv);
  await waitForPort(port, proc);
  const worker = await nginxWorker(proc.child.pid);
  const label = `${await firstLine(nginx, ["-v"])}, proxy_cache in ${cacheDir}`;
  return { name: "nginx-cache", label, port, proc, pid: worker || proc.child.pid };
}

/** The pid of the "nginx: worker process" under master `pid` (not the cache manager or loader), or 0. */
async function nginxWorker(pid: number): Promise<number> {
  for (let i = 0; i < 40; i++) { // the master listens before it forks the worker
    const out = await sh(
      `for c in $(cat /proc/${pid}/task/*/children); do ` +
        `tr '\\0' ' ' < /proc/$c/cmdline | grep -q 'worker process' && echo $c; done`,
    );
    const worker = Number(out.trim().split("\n")[0]);
    if (worker > 0) return worker;
    await delay(50);
  }
  return 0;
}

async function startSquid(dir: string, squid: string): Promise<Target> {
  const port = freePort();
  const d = `${dir}/squid`;
  await Deno.mkdir(d, { recursive: true });
  await Deno.chmod(d, 0o777); // squid drops to its own user when started as root
  await Deno.writeTextFile(
    `${d}/squid.conf`,
    `# squid forward proxy with its memory cache only (no cache_dir). The stock config's
# "http_access deny to_localhost" would refuse 127.0.0.1 destinations; it is not here.
http_port ${HOST}:${port}
http_access allow localhost
http_access deny all
cache_mem 64 MB
maximum_object_size_in_memory 1 MB
memory_cache_mode always
access_log none
cache_store_log none
cache_log ${d}/cache.log
pid_filename ${d}/squid.pid
coredump_dir ${d}
visible_hostname bench-squid
shutdown_lifetime 1 seconds
pinger_enable off
workers 1
max_filedescriptors 16384
client_persistent_connections on
server_persistent_connections on
`,
  );
  const [cmd, argv] = pinned("1", squid, ["-N", "-f", `${d}/squid.conf`]);
  const proc = spawn("squid-cache", cmd, argv);
  await waitForPort(port, proc, 30_000);
  const label = `${await firstLine(squid, ["-v"])}, cache_mem 64 MB`;
  return { name: "squid-cache", label, port, proc, pid: proc.child.pid };
}

// ------------------------------------------------------------------ clients

/** One keep-alive connection that GETs absolute-form URLs and reads Content-Length responses. */
class Getter {
  #conn: Deno.TcpConn | null = null;
  #buf = new Uint8Array(256 * 1024);
  constructor(readonly port: number) {}

  /** GETs `url`; resolves to the status, the head text and the body length. */
  async get(url: string): Promise<{ status: number; head: string; length: number }> {
    const host = new URL(url).host;
    this.#conn ??= await Deno.connect({ hostname: HOST, port: this.port });
    const conn = this.#conn;
    const req = enc.encode(`GET ${url} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    for (let off = 0; off < req.length;) off += await conn.write(req.subarray(off));
    let have = 0;
    let end = -1;
    while (end < 0) {
      if (have === this.#buf.length) throw new Error("response head too long");
      const n = await conn.read(this.#buf.subarray(have));
      if (n === null) throw new Error("EOF before the response head ended");
      have += n;
      end = dec.decode(this.#buf.subarray(0, have)).indexOf("\r\n\r\n");
    }
    const head = dec.decode(this.#buf.subarray(0, end + 4));
    const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!cl) throw new Error(`response without Content-Length: ${head}`);
    const length = Number(cl[1]);
    let remaining = length - (have - (end + 4));
    while (remaining > 0) {
      const n = await conn.read(this.#buf);
      if (n === null) throw new Error("EOF in the response body");
      remaining -= n;
    }
    if (remaining < 0) throw new Error("more bytes than Content-Length");
    if (/\r\nconnection:\s*close/i.test(head)) this.close();
    return { status: Number(head.slice(9, 12)), head, length };
  }

  close(): void {
    try {
      this.#conn?.close();
    } catch { /* closed */ }
    this.#conn = null;
  }
}

/** The cache indicator of a response head: Cache-Status, X-Cache-Status or X-Cache. */
function cacheIndicator(head: string): string {
  const m = /\r\n(?:cache-status|x-cache-status|x-cache):\s*([^\r\n]*)/i.exec(head);
  return m ? m[1].trim() : "-";
}

/** Two GETs of `url` through `port`; the second response's cache indicator. */
async function probe(port: number, url: string): Promise<string> {
  const g = new Getter(port);
  try {
    const first = await g.get(url);
    const second = await g.get(url);
    if (first.status !== 200 || second.status !== 200) {
      return `status ${first.status}/${second.status}`;
    }
    return cacheIndicator(second.head);
  } finally {
    g.close();
  }
}

/** One wrk run (`-t2 -c50`), wrk on core 0 when pinning. */
async function runWrk(wrk: string, lua: string, port: number, seconds: number): Promise<RunResult> {
  const args = ["-t2", "-c50", `-d${seconds}s`, "--timeout", "10s", "--latency", "-s", lua];
  const [cmd, argv] = pinned("0", wrk, [...args, `http://${HOST}:${port}/`]);
  const p = spawn("wrk", cmd, argv);
  const status = await p.child.status;
  await p.drained;
  await stop(p);
  if (!status.success) throw new Error(`wrk exited ${status.code}:\n${p.tail()}`);
  return parseWrk(p.tail());
}

// ------------------------------------------------------------------ throughput

const median = (xs: number[]) => {
  const s = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function throughput(
  dir: string,
  s: ReturnType<typeof settings>,
  origin: { port: number },
  nginx: string | null,
): Promise<void> {
  const wrk = await which("wrk");
  if (!wrk) {
    console.log("wrk not found: the throughput table is skipped (apt-get install wrk)");
    return;
  }
  const originHost = `${HOST}:${origin.port}`;
  const url = `http://${originHost}${OBJECT}`;
  const lua = `${dir}/cache-bench.lua`;
  await Deno.writeTextFile(lua, `wrk.path = "${url}"\nwrk.headers["Host"] = "${originHost}"\n`);
  const squid = s.wanted.includes("squid-cache") ? await which("squid", ["/usr/sbin/squid"]) : "";
  const targets: Target[] = [];
  const notes: string[] = [];
  if (s.wanted.includes("sluice-cache")) {
    targets.push(await startSluice("sluice-cache", ["--cache-size", "64MiB"], "1"));
  }
  if (s.wanted.includes("sluice-nocache")) {
    targets.push(await startSluice("sluice-nocache", ["--cache-size", "0"], "1"));
  }
  if (s.wanted.includes("nginx-cache")) {
    if (nginx) targets.push(await startNginxCache(dir, nginx, originHost));
    else notes.push("nginx not found: no nginx proxy_cache column");
  }
  if (squid) targets.push(await startSquid(dir, squid));
  else if (squid === null) notes.push("squid not found: no squid column (apt-get install squid)");
  if (targets.length === 0) return;

  console.log(`\nCache throughput: GET ${url} (1 KiB, Cache-Control: max-age=3600)`);
  for (const t of targets) {
    console.log(`  ${t.name}: ${t.label} on ${HOST}:${t.port}, pid ${t.pid}`);
  }
  console.log(
    `load: wrk -t2 -c50 -d${s.seconds}s, ${s.reps} rep(s)` +
      (tasksetPath ? "; proxies on core 1, wrk and origin on core 0" : "; nothing pinned"),
  );
  for (const n of notes) console.log(`note: ${n}`);

  const indicators = new Map<string, string>();
  for (const t of targets) {
    indicators.set(t.name, await probe(t.port, url));
    await runWrk(wrk, lua, t.port, 3); // warm-up, unrecorded
  }
  const samples = new Map<string, Sample[]>();
  for (let rep = 0; rep < s.reps; rep++) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(i + rep) % targets.length];
      await waitQuiet(s.quietWait);
      const [c0, o0, t0] = [
        await cpuSeconds(t.pid),
        await originRequests(origin.port),
        performance.now(),
      ];
      const r = await runWrk(wrk, lua, t.port, s.seconds);
      const elapsed = (performance.now() - t0) / 1000;
      const [c1, o1] = [await cpuSeconds(t.pid), await originRequests(origin.port)];
      const sample = { ...r, cpu: c1 - c0, seconds: elapsed, originRequests: o1 - o0 };
      samples.set(t.name, [...(samples.get(t.name) ?? []), sample]);
      console.log(
        `raw: rep ${rep + 1} | ${t.name} | ${f(r.rps)} req/s | p50 ${f(r.p50, 2)} ms | ` +
          `p99 ${f(r.p99, 2)} ms | errors ${r.errors} | cpu ${
            f((100 * sample.cpu) / elapsed)
          }% | ` +
          `origin requests ${sample.originRequests}`,
      );
      if (t.proc.exited) throw new Error(`${t.name} exited during the bench:\n${t.proc.tail()}`);
    }
  }
  const med = (name: string, pick: (x: Sample) => number) =>
    median((samples.get(name) ?? []).map(pick));
  const perK = (x: Sample) => (1000 * x.originRequests) / (x.rps * s.seconds);
  const usPerReq = (x: Sample) => (1e6 * x.cpu) / (x.rps * s.seconds);
  const rows = [
    ("target|req/s|p50 ms|p99 ms|errors|proxy CPU%|CPU us/req|origin req per 1k|" +
      "2nd probe|peak RSS MiB").split("|"),
  ];
  for (const t of targets) {
    const all = samples.get(t.name) ?? [];
    const hwm = await procStatusKiB(t.pid, "VmHWM");
    rows.push([
      t.name,
      f(med(t.name, (x) => x.rps)),
      f(med(t.name, (x) => x.p50), 2),
      f(med(t.name, (x) => x.p99), 2),
      String(all.reduce((a, x) => a + x.errors, 0)),
      f(med(t.name, (x) => (100 * x.cpu) / x.seconds)),
      f(med(t.name, usPerReq), 1),
      f(med(t.name, perK), 1),
      indicators.get(t.name) ?? "-",
      hwm === null ? "n/a" : f(hwm / 1024, 1),
    ]);
  }
  console.log(`\n${table(rows)}\n`);
  const ref = med("sluice-cache", (x) => x.rps);
  for (const t of targets) {
    const k = med(t.name, perK);
    const rps = med(t.name, (x) => x.rps);
    const errors = (samples.get(t.name) ?? []).reduce((a, x) => a + x.errors, 0);
    const what = !Number.isFinite(k)
      ? "origin requests not counted"
      : k < 1
      ? "served from its cache"
      : k > 900
      ? "forwarded every request"
      : `went to the origin ${f(k, 1)} times per 1000 requests`;
    const vs = t.name !== "sluice-cache" && Number.isFinite(ref)
      ? `, sluice-cache does ${f(ref / rps, 2)}x its req/s`
      : "";
    console.log(
      `verdict ${t.name}: ${what}; ${f(rps)} req/s, p99 ${f(med(t.name, (x) => x.p99), 2)} ms, ` +
        `${f(med(t.name, usPerReq), 1)} us CPU per request${vs}` +
        (errors ? `; ${errors} ERRORS` : ""),
    );
  }
  for (const t of targets) await stop(t.proc);
}

// ------------------------------------------------------------------ memory

/** How long the memory check waits after the workload for a settled RSS (informative). */
const SETTLE_MS = 8000;

/** GETs /obj/0../obj/(n-1) once each through `port`, `concurrency` at a time. */
async function fetchObjects(port: number, originHost: string, n: number, concurrency: number) {
  let next = 0, ok = 0, errors = 0;
  const firstErrors: string[] = [];
  const getters: Getter[] = [];
  const t0 = performance.now();
  const killer = setTimeout(() => getters.forEach((g) => g.close()), 170_000);
  await Promise.all(Array.from({ length: concurrency }, async () => {
    const g = new Getter(port);
    getters.push(g);
    while (next < n) {
      const i = next++;
      try {
        const r = await g.get(`http://${originHost}/obj/${i}`);
        if (r.status === 200 && r.length === 100 * 1024) ok++;
        else throw new Error(`status ${r.status}, ${r.length} bytes`);
      } catch (err) {
        errors++;
        if (firstErrors.length < 5) firstErrors.push(`/obj/${i}: ${err}`);
        g.close();
      }
    }
    g.close();
  }));
  clearTimeout(killer);
  return { ok, errors, firstErrors, seconds: (performance.now() - t0) / 1000 };
}

async function memory(s: ReturnType<typeof settings>, origin: { port: number }): Promise<void> {
  const originHost = `${HOST}:${origin.port}`;
  const n = s.objects;
  console.log(
    `\nCache memory: ${n} distinct 100 KiB objects (max-age=3600), fetched once each, 50 at a time`,
  );
  const measure = async (name: string, extra: string[]) => {
    const t = await startSluice(name, extra, null);
    try {
      const idle = await procStatusKiB(t.pid, "VmRSS");
      const r = await fetchObjects(t.port, originHost, n, 50);
      const hwm = await procStatusKiB(t.pid, "VmHWM");
      const rss = await procStatusKiB(t.pid, "VmRSS");
      await delay(SETTLE_MS); // past the memory reclaimer's quiet time (lib/memory_reclaimer.ts)
      const settled = await procStatusKiB(t.pid, "VmRSS");
      const last = await probe(t.port, `http://${originHost}/obj/${n - 1}`);
      console.log(
        `  ${name} (${extra.join(" ")}): ${r.ok} ok, ${r.errors} errors in ${f(r.seconds, 1)} s; ` +
          `RSS idle ${f((idle ?? NaN) / 1024, 1)} MiB, peak ${f((hwm ?? NaN) / 1024, 1)} MiB, ` +
          `after ${f((rss ?? NaN) / 1024, 1)} MiB, ${SETTLE_MS / 1000} s later ` +
          `${f((settled ?? NaN) / 1024, 1)} MiB; last object again: ${last}`,
      );
      for (const e of r.firstErrors) console.log(`    error: ${e}`);
      if (t.proc.exited) throw new Error(`${name} exited:\n${t.proc.tail()}`);
      return { hwm: (hwm ?? NaN) / 1024, rss: (rss ?? NaN) / 1024, errors: r.errors };
    } finally {
      await stop(t.proc);
    }
  };
  const cached = await measure("sluice-cache", ["--cache-size", "64MiB"]);
  const plain = await measure("sluice-nocache", ["--cache-size", "0"]);
  const limit = plain.rss + 64 + 32;
  const pass = cached.hwm <= limit && cached.errors === 0 && plain.errors === 0;
  console.log(
    `verdict memory: ${pass ? "PASS" : "FAIL"}: sluice --cache-size 64MiB peak RSS ` +
      `${f(cached.hwm, 1)} MiB ${cached.hwm <= limit ? "<=" : ">"} ${f(limit, 1)} MiB ` +
      `(= RSS after the same workload without the cache ${
        f(plain.rss, 1)
      } MiB + 64 MiB + 32 MiB; ` +
      `that sluice's own peak was ${f(plain.hwm, 1)} MiB)` +
      (cached.errors + plain.errors ? `; ${cached.errors + plain.errors} request errors` : ""),
  );
}

// ------------------------------------------------------------------ entry

/** `deno task bench --cache`: the throughput table and the memory check. */
export async function benchCache(dir: string): Promise<void> {
  const s = settings();
  await taskset();
  const nginx = Deno.env.get("BENCH_NO_NGINX") ? null : await which("nginx", ["/usr/sbin/nginx"]);
  try {
    const origin = await startOrigin(dir, nginx);
    console.log(`origin: ${origin.kind} on ${HOST}:${origin.port}; Deno ${Deno.version.deno}`);
    const wantThroughput = TARGET_NAMES.some((n) => s.wanted.includes(n));
    if (wantThroughput) await throughput(dir, s, origin, nginx);
    if (s.wanted.includes("memory")) await memory(s, origin);
  } finally {
    for (const d of shmDirs) removeShm(d);
  }
}
