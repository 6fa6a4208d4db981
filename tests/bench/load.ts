/**
 * The load side of the bench scripts: the workloads, one wrk run (optionally
 * pinned to a core with taskset), wrk's report parsed, a built-in Deno load
 * generator for machines without wrk, and the text table the scripts print.
 *
 * @module
 */

import { HOST, spawn, stop } from "./procs.ts";

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
export type LoadSpec = {
  port: number;
  target: string;
  host: string;
  w: Workload;
  seconds: number;
  /** Run wrk under `taskset -c cpu` (one thread then): the static bench pins it. */
  cpu?: string;
};

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

/** One wrk run of `spec` (its Lua script written to `dir`). */
export async function runWrk(wrk: string, dir: string, spec: LoadSpec): Promise<RunResult> {
  const { port, target, host, w, seconds, cpu } = spec;
  const lua = `${dir}/wrk-${port}-${w.close ? "close" : "ka"}.lua`;
  await Deno.writeTextFile(
    lua,
    `wrk.path = "${target}"\nwrk.headers["Host"] = "${host}"\n` +
      (w.close ? `wrk.headers["Connection"] = "close"\n` : ""),
  );
  const threads = String(cpu === undefined ? Math.min(2, w.connections) : 1);
  const pin = cpu === undefined ? [] : ["-c", cpu, wrk];
  const p = spawn("wrk", cpu === undefined ? wrk : "taskset", [
    ...pin,
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
