/**
 * The admin listener (`--admin-listen HOST:PORT`, off by default): `GET
 * /metrics` (Prometheus), `/status` (HTML), `/status.json`, `/healthz`
 * (200 while accepting, 503 once a drain has begun). Loopback clients are
 * always allowed, others only within `--admin-allow`. One request per
 * connection (`Connection: close`), heads parsed by the proxy's own parser.
 * With `--workers N` the figures are summed over every event loop.
 *
 * @module
 */

import type { ListenAddress } from "../config.ts";
import { VERSION } from "../config_options.ts";
import type { ConnectionInfo } from "../connection.ts";
import { encodeLatin1 } from "../http1/forward.ts";
import { RequestParser } from "../http1/parse.ts";
import { formatAuthority } from "../http1/target.ts";
import { logger } from "../log.ts";
import { Cidr, classifyAddress } from "../policy/address.ts";
import type { LoopSnapshot } from "../server.ts";
import { EXPOSITION_CONTENT_TYPE } from "./exposition.ts";
import { LagMeter } from "./lag_meter.ts";
import { type Gauges, metricsText, STATES } from "./metrics.ts";
import { mergeSnapshots } from "./stats.ts";
import { statusHtml, statusJson, statusModel } from "./status.ts";

const log = logger("admin");

/** Where the admin listener gets its figures. */
export interface AdminSource {
  /** Every event loop's snapshot (the main loop's first). */
  snapshots(): Promise<LoopSnapshot[]>;
  /** Whether a drain has begun. */
  readonly draining: boolean;
}

/** An answer: status, content type, body. */
export interface AdminAnswer {
  /** Status code. */
  status: number;
  /** Content-Type. */
  type: string;
  /** Body text. */
  body: string;
}

/** Reads the process's open fds when /proc may be read (else null). */
function openFds(): number | null {
  try {
    let n = 0;
    for (const _ of Deno.readDirSync("/proc/self/fd")) n++;
    return n;
  } catch {
    return null; // no /proc, or no --allow-read for it: the metric is left out
  }
}

/**
 * The admin listener.
 *
 * @example
 * ```ts ignore
 * const admin = new AdminServer(config.adminListen!, config.adminAllow, source);
 * admin.listen();
 * // ...
 * admin.close();
 * ```
 */
export class AdminServer {
  readonly #addr: ListenAddress;
  readonly #allow: Cidr[];
  readonly #source: AdminSource;
  readonly #started = Date.now();
  readonly #lag = new LagMeter();
  #listener: Deno.TcpListener | null = null;
  #loop: Promise<void> | null = null;

  /** An admin listener on `addr` for `source`; `allow` adds CIDRs to loopback. */
  constructor(addr: ListenAddress, allow: readonly string[], source: AdminSource) {
    this.#addr = addr;
    this.#allow = allow.map((c) => Cidr.parse(c));
    this.#source = source;
  }

  /** The address actually bound. */
  get address(): ListenAddress | null {
    const a = this.#listener?.addr;
    return a ? { hostname: a.hostname, port: a.port } : null;
  }

  /** Opens the listener (throws as Deno.listen does) and starts serving. */
  listen(): ListenAddress {
    this.#listener = Deno.listen({ hostname: this.#addr.hostname, port: this.#addr.port });
    this.#lag.start();
    this.#loop = this.#accept(this.#listener);
    return this.address!;
  }

  /** Closes the listener (connections being answered finish). */
  async close(): Promise<void> {
    this.#lag.stop();
    try {
      this.#listener?.close();
    } catch {
      // already closed
    }
    await this.#loop;
  }

  /** Whether `ip` may use the admin listener. */
  allows(ip: string): boolean {
    return classifyAddress(ip) === "loopback" || this.#allow.some((c) => c.contains(ip));
  }

  /** The answer to `GET path` (sans-io apart from the snapshots it awaits). */
  async answer(method: string, path: string): Promise<AdminAnswer> {
    const text = (status: number, body: string): AdminAnswer => ({
      status,
      type: "text/plain; charset=utf-8",
      body,
    });
    if (method !== "GET" && method !== "HEAD") return text(405, "GET or HEAD only\n");
    const p = path.split("?")[0];
    if (p === "/healthz") {
      return this.#source.draining ? text(503, "draining\n") : text(200, "ok\n");
    }
    if (p !== "/metrics" && p !== "/status" && p !== "/status.json" && p !== "/") {
      return text(404, "not found: try /metrics, /status, /status.json or /healthz\n");
    }
    const loops = await this.#source.snapshots();
    const stats = mergeSnapshots(loops.map((l) => l.stats));
    if (p === "/metrics") {
      return {
        status: 200,
        type: EXPOSITION_CONTENT_TYPE,
        body: metricsText(stats, this.#gauges(loops)),
      };
    }
    let requests = 0;
    for (const n of Object.values(stats.requests)) requests += n;
    const model = statusModel(loops.map((l) => l.connections), {
      version: VERSION,
      uptime: (Date.now() - this.#started) / 1000,
      draining: this.#source.draining,
      requests,
      bytesIn: stats.clientBytesIn,
      bytesOut: stats.clientBytesOut,
    });
    return p === "/status.json"
      ? { status: 200, type: "application/json", body: statusJson(model) }
      : { status: 200, type: "text/html; charset=utf-8", body: statusHtml(model) };
  }

  #gauges(loops: LoopSnapshot[]): Gauges {
    const byState: Record<string, number> = {};
    for (const s of STATES) byState[s] = 0;
    let idle = 0;
    const all: ConnectionInfo[] = loops.flatMap((l) => l.connections);
    for (const c of all) {
      byState[c.state] = (byState[c.state] ?? 0) + 1;
      if (c.idle) idle++;
    }
    let cache: Gauges["cache"] = null;
    for (const l of loops) {
      if (!l.cache) continue;
      cache ??= { bytes: 0, entries: 0, maxBytes: 0 };
      cache.bytes += l.cache.bytes;
      cache.entries += l.cache.entries;
      cache.maxBytes += l.cache.maxBytes;
    }
    const mem = Deno.memoryUsage();
    return {
      connectionsByState: byState,
      idleConnections: idle,
      poolIdle: loops.reduce((n, l) => n + l.poolIdle, 0),
      cache,
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      heapTotal: mem.heapTotal,
      external: mem.external,
      openFds: openFds(),
      openSockets: loops.reduce((n, l) => n + l.listeners + l.poolIdle, 0) + all.length +
        all.filter((c) => c.upstreamOpen).length + 1, // + this admin listener
      eventLoopLag: this.#lag.take(),
      uptime: (Date.now() - this.#started) / 1000,
      draining: this.#source.draining,
      loops: loops.length,
    };
  }

  async #accept(listener: Deno.TcpListener): Promise<void> {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch {
        return; // closed
      }
      this.#serve(conn).catch((err) => {
        log.debug("Admin connection failed: {error}", { error: String(err) });
      }).finally(() => {
        try {
          conn.close();
        } catch {
          // already closed
        }
      });
    }
  }

  async #serve(conn: Deno.TcpConn): Promise<void> {
    const ip = conn.remoteAddr.hostname;
    if (!this.allows(ip)) {
      await write(conn, response({ status: 403, type: "text/plain", body: "forbidden\n" }, false));
      log.warning("Admin request from {ip} refused (not loopback, not in --admin-allow)", { ip });
      return;
    }
    const parser = new RequestParser();
    let buf = new Uint8Array(8192);
    let len = 0;
    const deadline = setTimeout(() => conn.close(), 10_000);
    try {
      for (;;) {
        if (len === buf.length) {
          if (buf.length >= 65536) throw new Error("admin request head too large");
          const b = new Uint8Array(buf.length * 2);
          b.set(buf);
          buf = b;
        }
        const n = await conn.read(buf.subarray(len));
        if (n === null) return;
        len += n;
        const parsed = parser.parse(buf.subarray(0, len));
        if (!parsed) continue;
        const { method, target } = parsed.head;
        const a = await this.answer(method, target);
        await write(conn, response(a, method === "HEAD"));
        return;
      }
    } finally {
      clearTimeout(deadline);
    }
  }
}

/** A complete response with `Connection: close`. */
function response(a: AdminAnswer, head: boolean): Uint8Array {
  const body = new TextEncoder().encode(a.body);
  const reason = {
    200: "OK",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    503: "Service Unavailable",
  }[
    a.status
  ] ?? "";
  const h = encodeLatin1(
    `HTTP/1.1 ${a.status} ${reason}\r\nContent-Type: ${a.type}\r\nContent-Length: ${body.length}\r\n` +
      `Cache-Control: no-store\r\nConnection: close\r\n\r\n`,
  );
  if (head) return h;
  const out = new Uint8Array(h.length + body.length);
  out.set(h);
  out.set(body, h.length);
  return out;
}

async function write(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

/** `host:port` for messages. */
export function adminUrl(a: ListenAddress): string {
  return `http://${formatAuthority(a.hostname, a.port)}`;
}

/** The admin source of a main server and its workers. */
export function adminSource(
  main: { readonly draining: boolean; snapshot(): LoopSnapshot },
  workers: { snapshots(): Promise<LoopSnapshot[]> } | null,
): AdminSource {
  return {
    get draining() {
      return main.draining;
    },
    async snapshots() {
      return [main.snapshot(), ...(workers ? await workers.snapshots() : [])];
    },
  };
}
