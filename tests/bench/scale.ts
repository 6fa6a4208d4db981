/**
 * A bounded loopback scale test: 10,000 concurrent client connections held
 * open on one sluice, each then making one keep-alive GET (absolute-form, a
 * 1 KiB file on an nginx origin, or a Deno.serve subprocess without nginx)
 * while all stay open. Reports the proxy's RSS and open fds idle, with the
 * connections open, after the requests, after closing and again after
 * `--settle` idle seconds (default 35, past the upstream pool's idle
 * timeout), the memory per connection, the request results and the times.
 *
 * Deno cannot raise its own open-files limit, so the proxy and the client
 * side (this script again, with `--client`) run under
 * `bash -c 'ulimit -n 65536 || ulimit -n hard; exec ...'` (same pid).
 *
 * Run with `deno task scale`. Options: `--connections N` (default 10000),
 * `--batch N` (connections opened at once, default 500), `--request-batch N`
 * (requests in flight at once, default 1000), `--settle S` (default 35),
 * `--timeout S` (hard limit, default 300). Loopback only; everything started
 * is stopped in a `finally`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { delay, RawClient, ROOT } from "../e2e/harness.ts";
import { startOrigin, table } from "./bench.ts";
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

/** The open-files limit asked for the proxy and the client (the hard limit if lower). */
const FILES = 65536;

/** What the client side measured (it prints this as `RESULT <json>`). */
interface ClientResult {
  connections: number;
  ok: number;
  errors: number;
  firstErrors: string[];
  /** Proxy VmRSS (KiB) and open fds: idle, all open, after the requests, closed, settled. */
  rss: (number | null)[];
  /** V8 heap total, heap used and external memory (KiB, from /metrics) at the same moments. */
  heap: [number, number, number][];
  fds: (number | null)[];
  /** Peak proxy RSS (VmHWM, KiB). */
  peakRss: number | null;
  /** Seconds to open all connections, to run all requests. */
  openSec: number;
  requestSec: number;
}

/** `argv` run by bash with the open-files limit raised first; `exec` keeps the pid. */
function raised(argv: string[]): [string, string[]] {
  const script = `ulimit -n ${FILES} 2>/dev/null || ulimit -n hard; exec "$@"`;
  return ["bash", ["-c", script, "bash", ...argv]];
}

const opts = parseArgs({
  args: scriptArgs(),
  options: {
    client: { type: "boolean", default: false },
    connections: { type: "string", default: "10000" },
    batch: { type: "string", default: "500" },
    "request-batch": { type: "string", default: "1000" },
    timeout: { type: "string", default: "300" },
    settle: { type: "string", default: "35" },
    port: { type: "string" },
    admin: { type: "string" },
    origin: { type: "string" },
    pid: { type: "string" },
  },
}).values;

const num = (name: keyof typeof opts): number => {
  const n = Number(opts[name]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} wants a positive integer`);
  return n;
};

/** Polls `fn` every 100 ms until it returns true or `ms` pass; returns whether it did. */
async function until(fn: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await fn()) return true;
    await delay(100);
  }
  return false;
}

const log = (msg: string) => console.error(`[client] ${msg}`);

/** V8 heap total, heap used and external memory (KiB), read from the admin /metrics. */
async function heapKiB(adminPort: number): Promise<[number, number, number]> {
  const text = await (await fetch(`http://${HOST}:${adminPort}/metrics`)).text();
  const gauge = (name: string) => {
    const m = new RegExp(`^${name} ([0-9.e+]+)$`, "m").exec(text);
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  };
  return [
    gauge("sluice_heap_total_bytes"),
    gauge("sluice_heap_used_bytes"),
    gauge("sluice_external_memory_bytes"),
  ];
}

/** The client side: opens, uses and closes the connections; measures the proxy `pid`. */
async function client(): Promise<ClientResult> {
  const [n, batch, reqBatch, port, pid] = [
    num("connections"),
    num("batch"),
    num("request-batch"),
    num("port"),
    num("pid"),
  ];
  const origin = opts.origin!;
  const fds = async () => (await openFds(pid)) ?? NaN;
  const snap = async (r: ClientResult) => {
    r.rss.push(await procStatusKiB(pid, "VmRSS"));
    r.fds.push(await openFds(pid));
    r.heap.push(await heapKiB(num("admin")));
  };
  const r: ClientResult = {
    connections: 0,
    ok: 0,
    errors: 0,
    firstErrors: [],
    rss: [],
    heap: [],
    fds: [],
    peakRss: null,
    openSec: 0,
    requestSec: 0,
  };
  const fail = (what: string) => {
    r.errors++;
    if (r.firstErrors.length < 20) r.firstErrors.push(what);
  };
  log(`open-files limit ${(await sh("ulimit -n")).trim()}; proxy pid ${pid}`);
  await snap(r);
  const base = r.fds[0] ?? 0;
  const conns: RawClient[] = [];
  let t = performance.now();
  while (conns.length < n) {
    const k = Math.min(batch, n - conns.length);
    const opened = await Promise.allSettled(
      Array.from({ length: k }, () => RawClient.connect(port)),
    );
    for (const o of opened) {
      if (o.status === "fulfilled") conns.push(o.value);
      else fail(`connect: ${o.reason}`);
    }
    if (r.errors > 0) break;
    // the next batch waits until the proxy accepted this one (the backlog stays short)
    if (!await until(async () => await fds() >= base + conns.length, 10_000)) {
      fail(`proxy had ${await fds()} fds, not ${base + conns.length}, 10 s after a batch`);
      break;
    }
    if (conns.length % 2000 === 0) log(`${conns.length} connections open`);
  }
  r.openSec = (performance.now() - t) / 1000;
  r.connections = conns.length;
  await delay(1000); // let the proxy settle before measuring
  await snap(r);
  log(`${conns.length} open in ${r.openSec.toFixed(1)} s; sending one GET on each`);
  const req = `GET http://${origin}/1k.bin HTTP/1.1\r\nHost: ${origin}\r\n\r\n`;
  t = performance.now();
  for (let i = 0; i < conns.length; i += reqBatch) {
    await Promise.all(
      conns.slice(i, i + reqBatch).map(async (c, j) => {
        try {
          await c.write(req);
          const res = await c.read();
          const full = res.body.length === 1024 && res.body.every((b) => b === 0x61);
          const closing = /close/i.test(res.headers.get("connection") ?? "");
          if (res.status !== 200 || !full || closing) {
            throw new Error(`${res.status}, ${res.body.length} bytes, closing ${closing}`);
          }
          r.ok++;
        } catch (err) {
          fail(`conn ${i + j}: ${err instanceof Error ? err.message : err}`);
        }
      }),
    );
  }
  r.requestSec = (performance.now() - t) / 1000;
  await delay(1000);
  await snap(r);
  r.peakRss = await procStatusKiB(pid, "VmHWM");
  // the memory reclaimer collects after 3 s without a new exchange
  log("waiting 6 s with all still open (the reclaimer's quiet time is 3 s)");
  await delay(6000);
  await snap(r);
  log(`${r.ok} OK, ${r.errors} errors in ${r.requestSec.toFixed(1)} s; closing all`);
  for (const c of conns) c.close();
  // closes are asynchronous: wait until the count holds still for 500 ms
  await until(async () => {
    const before = await fds();
    await delay(500);
    return before === await fds();
  }, 30_000);
  await snap(r);
  log(`closed; measuring again after ${num("settle")} s idle (past the pool's idle timeout)`);
  await delay(num("settle") * 1000);
  await snap(r);
  return r;
}

const mib = (k: number) => (k / 1024).toFixed(0);
const kib = (k: number | null) => k === null ? "n/a" : `${k} KiB (${(k / 1024).toFixed(1)} MiB)`;

/** The parent: origin, proxy and client processes, then the report. */
async function scale(dir: string): Promise<void> {
  const started = performance.now();
  const n = num("connections");
  const origin = await startOrigin(dir);
  const port = freePort();
  const adminPort = freePort();
  const limit = (await sh(`ulimit -n ${FILES} 2>/dev/null || ulimit -n hard; ulimit -n`)).trim();
  const proxyArgs = [
    ...SERVE_FLAGS,
    ...["main.ts", "--listen", `${HOST}:${port}`, "--log-level", "warning"],
    ...["--max-connections", "20000", "--max-connections-per-client", "20000"],
    ...["--idle-timeout", "300", "--header-timeout", "300"],
    // /metrics tells V8 heap from native memory at each measuring point
    ...["--admin-listen", `${HOST}:${adminPort}`],
  ];
  const sluice = spawn("sluice", ...raised([Deno.execPath(), ...proxyArgs]), ROOT);
  await waitForPort(port, sluice);
  const pid = sluice.child.pid;
  console.log(
    `sluice pid ${pid} on ${HOST}:${port}; origin: ${origin.kind} on port ${origin.port}`,
  );
  console.log(`open-files limit for the proxy and the client: ${limit}; Deno ${Deno.version.deno}`);
  const self = new URL(import.meta.url).pathname;
  const args = [
    ...[
      "run",
      "--allow-net=127.0.0.1",
      "--allow-run=bash",
      "--allow-read=deno.json",
      self,
      "--client",
    ],
    ...[
      "--port",
      `${port}`,
      "--admin",
      `${adminPort}`,
      "--origin",
      `${HOST}:${origin.port}`,
      "--pid",
      `${pid}`,
    ],
    ...["--connections", `${n}`, "--batch", opts.batch!, "--request-batch", opts["request-batch"]!],
    ...["--timeout", opts.timeout!, "--settle", opts.settle!],
  ];
  const child = spawn("client", ...raised([Deno.execPath(), ...args]), ROOT, true);
  const status = await child.child.status;
  await child.drained;
  const m = /^RESULT (.*)$/m.exec(child.tail());
  if (!status.success || !m) throw new Error(`the client side failed (exit ${status.code})`);
  const r: ClientResult = JSON.parse(m[1]);
  const total = (performance.now() - started) / 1000;
  const [idle, open, used, usedSettled, closed, later] = r.rss;
  const perConn = (k: number | null | undefined) =>
    k != null && idle != null ? `${((k - idle) / n).toFixed(2)} KiB` : "n/a";
  console.log(`\n${
    table([
      ["metric", "value"],
      ["connections opened (held at once)", `${r.connections}`],
      ["requests OK (200, full 1 KiB body, keep-alive)", `${r.ok}`],
      ["errors", `${r.errors}`],
      ["proxy RSS idle, before", kib(idle)],
      [`proxy RSS with ${n} idle connections`, kib(open)],
      ["proxy RSS after the requests (all still open)", kib(used)],
      ["the same 6 s later (after the idle reclaim)", kib(usedSettled)],
      ["proxy RSS after closing all", kib(closed)],
      [`proxy RSS ${opts.settle} s after closing all`, kib(later)],
      ["proxy peak RSS (VmHWM)", kib(r.peakRss)],
      [
        "V8 heap total / used / external MiB: idle, open, requests, +6 s, closed, settled",
        r.heap.map(([t, u, e]) => `${mib(t)}/${mib(u)}/${mib(e)}`).join("  "),
      ],
      ["memory per idle connection", perConn(open)],
      ["memory per connection after its request", perConn(used)],
      ["the same 6 s later (after the idle reclaim)", perConn(usedSettled)],
      [
        `proxy open fds: before / open / after requests / +6 s / closed / +${opts.settle} s`,
        r.fds.join(" / "),
      ],
      ["time to open all connections", `${r.openSec.toFixed(1)} s`],
      ["time for all requests", `${r.requestSec.toFixed(1)} s`],
      ["total time (with startup)", `${total.toFixed(1)} s`],
    ])
  }`);
  for (const e of r.firstErrors) console.log(`error: ${e}`);
  if (sluice.exited) throw new Error(`sluice exited during the run:\n${sluice.tail()}`);
  const logged = sluice.tail().split("\n").filter((l) => / (WARNING|ERROR|FATAL) /.test(l));
  console.log(`\nsluice warning/error log lines: ${logged.length}`);
  for (const l of logged.slice(-10)) console.log(`  ${l}`);
  if (r.errors > 0 || r.ok !== n) throw new Error(`${r.errors} errors, ${r.ok}/${n} requests OK`);
}

if (import.meta.main) {
  if (opts.client) {
    setTimeout(() => Deno.exit(124), num("timeout") * 1000);
    const r = await client();
    console.log(`RESULT ${JSON.stringify(r)}`);
    Deno.exit(0);
  }
  await runBounded("scale", num("timeout"), scale);
}
