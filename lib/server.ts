/**
 * Listeners, the accept loop, the registry of live connections, and the
 * graceful drain on shutdown.
 *
 * @module
 */

import type { Config, ListenAddress } from "./config.ts";
import { Admission, Slot } from "./admission.ts";
import { Stats } from "./admin/stats.ts";
import { now as clockNow } from "./clock.ts";
import {
  Connection,
  type ConnectionContext,
  type ConnectionInfo,
  dialTarget,
} from "./connection.ts";
import { ProxyError } from "./errors.ts";
import { Exchange } from "./exchange.ts";
import { formatAuthority } from "./http1/target.ts";
import { announce, logAccess, logger } from "./log.ts";
import { Policy } from "./policy/policy.ts";
import { errorResponse } from "./responses.ts";
import { HttpCache } from "./cache/http_cache.ts";
import { MemoryReclaimer } from "./memory_reclaimer.ts";
import { Timers } from "./timers.ts";
import { UpstreamPool } from "./upstream/pool.ts";
import { UpstreamSet } from "./reverse/upstreams.ts";
import { ParentRoute, parseParent } from "./upstream/parent.ts";
import { SelfAddresses } from "./upstream/self_addresses.ts";
import { describeListenError, isLoopback, ListenError, openListener } from "./listener.ts";

export { ListenError } from "./listener.ts";
export { type LoopSnapshot, loopSnapshot } from "./loop_snapshot.ts";

const log = logger("server");

/** Closes a socket, ignoring a runtime that closed it already. */
function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // closed
  }
}

/** The `--parent` routing of `config`, or null without a parent. */
function parentRoute(config: Config): ParentRoute | null {
  return config.parent ? new ParentRoute(parseParent(config.parent), config.noParent) : null;
}

/** Longest a request waits on another's fill of the same cache key (nginx's proxy_cache_lock_timeout). */
const CACHE_LOCK_TIMEOUT_MS = 5000;

/**
 * The proxy server.
 *
 * @example
 * ```ts ignore
 * import { ProxyServer } from "./server.ts";
 * const server = new ProxyServer(config);
 * server.listen();
 * await server.drain(10_000);
 * ```
 */
export class ProxyServer {
  readonly #ctx: ConnectionContext;
  readonly #listeners: Deno.TcpListener[] = [];
  readonly #connections = new Set<Connection>();
  /** The counts against the connection caps, and what to do at one. */
  readonly #admission: Admission;
  /** Refusals still being written, and newcomers waiting for a slot. */
  readonly #refusals = new Set<Promise<void>>();
  readonly #loops: Promise<void>[] = [];
  /** What this event loop has done (for /metrics). */
  readonly stats: Stats = new Stats();
  /** Set when a drain begins (before listeners close): /healthz turns 503. */
  #drainStarted = false;
  /** Gives memory back once traffic stops after a spike. */
  readonly #reclaimer: MemoryReclaimer;
  /** Connections accepted and ended (with exchanges begun: the reclaimer's sign of traffic). */
  #churn = 0;
  #closed = false;

  /**
   * Creates a server for `config`; nothing is opened until
   * {@linkcode ProxyServer.listen}. `dial` replaces how origins are reached (tests).
   */
  constructor(
    config: Config,
    dial: ConnectionContext["dial"] = dialTarget,
    policy: Policy = new Policy(config, null),
  ) {
    const timers = new Timers();
    const pool = config.poolMax > 0
      ? new UpstreamPool(
        {
          maxTotal: config.poolMax,
          maxPerOrigin: config.poolMaxPerOrigin,
          idleTimeoutMs: config.poolIdleTimeoutMs,
        },
        timers,
      )
      : null;
    const cache = config.cacheSize > 0
      ? new HttpCache({
        maxBytes: config.cacheSize,
        maxObjectBytes: config.cacheMaxObject,
        maxStaleSeconds: config.cacheMaxStaleMs / 1000,
        lockTimeoutMs: CACHE_LOCK_TIMEOUT_MS,
      })
      : null;
    const upstreams = config.upstreams.length > 0
      ? new UpstreamSet(config.upstreams, config.upstreamDownMs)
      : null;
    this.#ctx = {
      config,
      policy,
      draining: false,
      dial,
      timers,
      pool,
      cache,
      upstreams,
      parents: parentRoute(config),
    };
    const stats = this.stats;
    // an exchange that never began (a connection closed between requests) is not counted
    this.#ctx.observe = (ex) => {
      if (ex.clientRead > 0 || ex.status > 0) stats.record(ex);
    };
    this.#reclaimer = new MemoryReclaimer(timers, () => this.#churn + Exchange.begun);
    this.#admission = new Admission(() => this.#ctx.config, timers.now, {
      onReclaim: (slot) =>
        log.debug("Closed an idle connection from {ip} to make room for a new one", {
          ip: slot.ip,
        }),
    });
  }

  /** Addresses actually bound (ports resolved when 0 was asked). */
  get addresses(): ListenAddress[] {
    return this.#listeners.map((l) => ({ hostname: l.addr.hostname, port: l.addr.port }));
  }

  /** Whether a drain has begun (from its first moment, during `delayMs` too). */
  get draining(): boolean {
    return this.#drainStarted;
  }

  /** The open client connections as the status page shows them. */
  connectionInfos(): ConnectionInfo[] {
    const now = clockNow();
    return [...this.#connections].map((c) => c.info(now));
  }

  /** Idle upstream connections in the pool. */
  get poolIdle(): number {
    return this.#ctx.pool?.size ?? 0;
  }

  /** The cache's size and bound, or null when it is off. */
  get cacheUsage(): { bytes: number; entries: number; maxBytes: number } | null {
    const c = this.#ctx.cache;
    return c ? { bytes: c.store.bytes, entries: c.store.count, maxBytes: c.store.maxBytes } : null;
  }

  /** Number of live client connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /**
   * Opens every listener and starts accepting. The default pair (127.0.0.1
   * and ::1) tolerates a missing IPv6 loopback; any other failure throws
   * {@linkcode ListenError} after closing what was opened. With `reusePort`
   * (the `--workers` mode) other event loops may bind the same addresses.
   */
  listen(options: { reusePort?: boolean } = {}): ListenAddress[] {
    const { listen } = this.#ctx.config;
    const optionalV6 = listen.length === 2 && listen[1].hostname === "::1";
    for (const addr of listen) {
      try {
        this.#listeners.push(openListener(addr, options.reusePort ?? false));
      } catch (err) {
        if (optionalV6 && addr.hostname === "::1" && !(err instanceof Deno.errors.AddrInUse)) {
          log.warning("Not listening on [::1]: {error}", { error: (err as Error).message });
          continue;
        }
        for (const l of this.#listeners) l.close();
        this.#listeners.length = 0;
        throw new ListenError(describeListenError(addr, err), { cause: err });
      }
    }
    this.#ctx.self = SelfAddresses.ofListeners(this.addresses); // requests to these are loops
    this.#ctx.timers.start();
    this.#reclaimer.start();
    for (const l of this.#listeners) this.#loops.push(this.#acceptLoop(l));
    this.#warnIfOpen();
    return this.addresses;
  }

  /** A non-loopback listener with no client rule serves anyone who can reach it: say so. */
  #warnIfOpen(): void {
    if (this.#ctx.policy.hasClientAllowRules || !this.#ctx.config.forward) return;
    const files = this.#ctx.config.root !== null;
    for (const l of this.#listeners) {
      if (isLoopback(l.addr.hostname)) continue;
      log.warning(
        "OPEN PROXY: listening on {addr}, which is not loopback, with no --allow-client rule: " +
          "anyone who can reach it may use it; add --allow-client CIDR for the clients meant to" +
          (files ? ", or --no-forward to serve --root files only (a web server, no proxy)" : ""),
        { addr: formatAuthority(l.addr.hostname, l.addr.port) },
      );
    }
  }

  /**
   * Applies a reloaded configuration and policy: new exchanges use them, the
   * ones in flight finish under the old ones. Idle pooled upstream connections
   * are dropped (they were dialled under the old rules). Listeners open and
   * close to match `config.listen`; throws {@linkcode ListenError} (and keeps
   * the old configuration) when a new one cannot open.
   */
  reload(config: Config, policy: Policy, options: { reusePort?: boolean } = {}): void {
    const key = (a: ListenAddress) => formatAuthority(a.hostname, a.port);
    const want = new Set(config.listen.map(key));
    const have = new Map(this.#listeners.map((l) => [key(l.addr), l]));
    const opened: Deno.TcpListener[] = [];
    for (const addr of config.listen) {
      if (have.has(key(addr))) continue;
      try {
        opened.push(openListener(addr, options.reusePort ?? false));
      } catch (err) {
        for (const l of opened) l.close();
        throw new ListenError(describeListenError(addr, err), { cause: err });
      }
    }
    for (const [k, l] of have) {
      if (want.has(k)) continue;
      l.close(); // its accept loop ends
      this.#listeners.splice(this.#listeners.indexOf(l), 1);
      announce("server", `no longer listening on http://${k}`);
    }
    for (const l of opened) {
      this.#listeners.push(l);
      this.#loops.push(this.#acceptLoop(l));
      announce("server", `now listening on http://${key(l.addr)}`);
    }
    this.#ctx.config = config;
    this.#ctx.parents = parentRoute(config);
    // upstream servers follow a reload; a server still listed keeps its down mark
    if (config.upstreams.length === 0) this.#ctx.upstreams = null;
    else if (this.#ctx.upstreams) {
      this.#ctx.upstreams.reconfigure(config.upstreams, config.upstreamDownMs);
    } else this.#ctx.upstreams = new UpstreamSet(config.upstreams, config.upstreamDownMs);
    this.#ctx.policy = policy;
    this.#ctx.self = SelfAddresses.ofListeners(this.addresses);
    this.#ctx.pool?.flush();
    for (const c of this.#connections) c.reconfigure();
    this.#warnIfOpen();
  }

  async #acceptLoop(listener: Deno.TcpListener): Promise<void> {
    let backoff = 10;
    while (!this.#closed) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
        backoff = 10;
      } catch (err) {
        if (this.#closed || err instanceof Deno.errors.BadResource) break;
        log.warning("accept failed: {error}; retrying in {ms} ms", {
          error: (err as Error).message,
          ms: backoff,
        });
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 1000);
        continue;
      }
      try {
        conn.setNoDelay(true);
      } catch {
        // the client is already gone; run() will notice
      }
      this.#churn++;
      this.stats.accepted();
      const ip = conn.remoteAddr.hostname;
      const peer = formatAuthority(ip, conn.remoteAddr.port);
      const denied = this.#ctx.policy.admitClient(ip);
      if (denied) {
        this.#refuse(conn, peer, denied);
        continue;
      }
      const slot = this.#admission.tryReserve(ip);
      if (slot) this.#start(conn, peer, slot);
      else this.#admitLater(conn, peer, ip);
    }
  }

  /** Serves an admitted connection; its slot is given back when it ends. */
  #start(conn: Deno.TcpConn, peer: string, slot: Slot): void {
    const c = new Connection(conn, peer, this.#ctx, slot.ip);
    slot.conn = c;
    this.#connections.add(c);
    c.run().finally(() => {
      this.#connections.delete(c);
      this.#churn++;
      this.#admission.release(slot);
    });
  }

  /**
   * At a cap with every counted connection busy: waits the grace period for a
   * slot (connections whose client has left end meanwhile), else answers 503.
   */
  #admitLater(conn: Deno.TcpConn, peer: string, ip: string): void {
    const done = this.#admission.reserve(ip).then((r) => {
      if (r instanceof Slot) {
        if (!this.#closed) return this.#start(conn, peer, r);
        this.#admission.release(r);
        return closeQuietly(conn);
      }
      const where = r.cap === "total"
        ? `sluice is at its limit of ${r.limit} connections (--max-connections), all busy; try again later`
        : `${ip} already has ${r.limit} connections open, all busy (--max-connections-per-client)`;
      this.#refuse(conn, peer, new ProxyError(503, "too-many-connections", where));
    });
    this.#refusals.add(done);
    done.finally(() => this.#refusals.delete(done));
  }

  /**
   * Answers 403 (client rules) or 503 (caps) and closes, without reading the
   * request (the accept loop goes on); logs an access line with the reason.
   */
  #refuse(conn: Deno.TcpConn, peer: string, err: ProxyError): void {
    log.warning("Refused {peer}: {why}", { peer, why: err.message });
    const ex = new Exchange(0);
    ex.status = err.status;
    ex.reason = err.reason;
    logAccess(peer, ex);
    this.stats.record(ex);
    const bytes = errorResponse(err, this.#ctx.config.viaName);
    const done = (async () => {
      try {
        let off = 0;
        while (off < bytes.length) off += await conn.write(bytes.subarray(off));
      } catch {
        // the client left already
      } finally {
        closeQuietly(conn);
      }
    })();
    this.#refusals.add(done);
    done.finally(() => this.#refusals.delete(done));
  }

  /**
   * Stops accepting, lets in-flight exchanges finish within `timeoutMs`, then
   * closes whatever is left. Idle keep-alive connections close at once. With
   * `delayMs` (`--drain-delay`), {@linkcode ProxyServer.draining} turns true
   * first and the listeners keep serving that long before they close.
   */
  async drain(timeoutMs: number, delayMs = 0): Promise<void> {
    // /healthz says 503 from now; listeners stay open `delayMs` more, so a
    // load balancer stops sending before connections would be refused
    this.#drainStarted = true;
    if (delayMs > 0 && !this.#closed) await new Promise((r) => setTimeout(r, delayMs));
    this.#closed = true;
    this.#ctx.draining = true;
    this.#admission.close();
    for (const l of this.#listeners) {
      try {
        l.close();
      } catch {
        // already closed
      }
    }
    await Promise.all(this.#loops);
    this.#ctx.pool?.close();
    for (const c of this.#connections) c.closeIfIdle();
    const deadline = Date.now() + timeoutMs;
    while (this.#connections.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      for (const c of this.#connections) c.closeIfIdle();
    }
    if (this.#connections.size > 0) {
      log.warning("Drain deadline reached; closing {n} connection(s)", {
        n: this.#connections.size,
      });
      for (const c of this.#connections) c.abort();
      while (this.#connections.size > 0) await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(this.#refusals);
    this.#ctx.pool?.close(); // what in-flight exchanges returned meanwhile
    this.#reclaimer.stop();
    this.#ctx.timers.stop();
  }
}
