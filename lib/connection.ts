/**
 * One client connection: runs its exchanges one after another through the
 * state machine (READ_REQUEST -> SEND_REQUEST -> READ_RESPONSE ->
 * SEND_RESPONSE, or TUNNEL), keeps leftover bytes between them so pipelined
 * requests work, and turns every failure into a response or a clean close.
 *
 * @module
 */

import { ByteBuffer, CLIENT_BUFFER_SIZE } from "./buffer.ts";
import { asProxyError, AuthRequiredError, ProxyError } from "./errors.ts";
import { type Duplex, Endpoint, Exchange } from "./exchange.ts";
import type { ExchangeScope } from "./exchange_scope.ts";
import { cacheExchange } from "./cache/cache_exchange.ts";
import { reverseExchange } from "./reverse/reverse_exchange.ts";
import type { UpstreamSet } from "./reverse/upstreams.ts";
import { serveFiles } from "./files/serve.ts";
import { Forwarder } from "./forward/forwarder.ts";
import { type BodyFraming, NO_BODY, requestFraming } from "./http1/framing.ts";
import { clientWantsKeepAlive } from "./http1/forward.ts";
import { type RequestHead, RequestParser } from "./http1/parse.ts";
import { logAccess, logger } from "./log.ts";
import { filled, readFailure, readInto, send } from "./endpoint_io.ts";
import { errorResponse } from "./responses.ts";
import { route, type RouteConfig } from "./route.ts";
import { State } from "./state.ts";
import { now as clockNow } from "./clock.ts";
import { ConnectionTimer } from "./connection_timer.ts";
import type { ConnectionContext } from "./connection_context.ts";

const log = logger("connection");

export { type ConnectionContext, dialTarget } from "./connection_context.ts";

/** One open client connection as the status page shows it. */
export interface ConnectionInfo {
  /** Client address and port. */
  client: string;
  /** The state of its current exchange (READ_REQUEST while it waits for one). */
  state: string;
  /** Exchanges begun on it (the current one included). */
  seq: number;
  /** Method of the current request ("" before its head). */
  method: string;
  /** Target of the current request ("" before its head). */
  target: string;
  /** The authenticated user ("" when none). */
  user: string;
  /** The upstream address of the current exchange ("" when none). */
  upstream: string;
  /** Milliseconds since the connection was accepted. */
  ageMs: number;
  /** Milliseconds since the current exchange began. */
  exchangeMs: number;
  /** Bytes read from the client in the current exchange. */
  bytesIn: number;
  /** Bytes written to the client in the current exchange. */
  bytesOut: number;
  /** Whether it is between requests with nothing buffered (kept alive). */
  idle: boolean;
  /** Whether its exchange holds an upstream socket now. */
  upstreamOpen: boolean;
}

/**
 * Client buffers of finished connections that never grew, kept for the next
 * ones: a connection per request (`Connection: close`) then allocates no
 * buffer. Only a connection whose run() has returned gives its buffer back,
 * so no read can still be writing into it.
 */
const spareClientBuffers: ByteBuffer[] = [];
const MAX_SPARE_BUFFERS = 256;

/** Ends an exchange that had no request (the connection closes): false, not kept. */
function closed(ex: Exchange): false {
  ex.transition("close");
  return false;
}

/**
 * Serves one client connection until it closes.
 *
 * @example
 * ```ts ignore
 * import { Connection, dialTarget } from "./connection.ts";
 * const conn = await listener.accept();
 * await new Connection(conn, "127.0.0.1:5000", { config, draining: false, dial: dialTarget }).run();
 * ```
 */
export class Connection {
  readonly #client: Endpoint;
  readonly #peer: string;
  /** The client's IP address (for per-client limits); "" when unknown (tests). */
  readonly #clientIp: string;
  readonly #ctx: ConnectionContext;
  readonly #requests = new RequestParser();
  /** The forward proxy's parsers and decoders, made at this connection's first proxy request. */
  #forwarder: Forwarder | null = null;
  readonly #timer: ConnectionTimer;
  /** What routing reads of the configuration in force (made once, read at each request). */
  readonly #routing: RouteConfig;
  #seq = 0;
  #idle = true;
  /** When the connection last began waiting for a request with nothing buffered (timers clock). */
  #idleSince: number;
  #current: Exchange | null = null;
  /** When it was accepted (clock.ts time). */
  readonly #opened = clockNow();

  /**
   * Wraps an accepted socket; `peer` is the client's address and port for
   * logs, `clientIp` its IP address alone (per-client limits).
   */
  constructor(conn: Duplex, peer: string, ctx: ConnectionContext, clientIp = "") {
    const buf = spareClientBuffers.pop() ?? new ByteBuffer(CLIENT_BUFFER_SIZE);
    this.#client = new Endpoint(conn, buf, "client");
    this.#peer = peer;
    this.#clientIp = clientIp;
    this.#ctx = ctx;
    this.#timer = new ConnectionTimer(ctx.timers, ctx.config, this.#client, () => this.#current);
    this.#idleSince = ctx.timers.now();
    this.#routing = {
      get files() {
        return ctx.config.rootReal !== null;
      },
      get forward() {
        return ctx.config.forward;
      },
      get upstream() {
        return (ctx.upstreams?.size ?? 0) > 0;
      },
      isSelf: (host, port) => ctx.self?.isSelfHost(host, port) ?? false,
    };
  }

  /** What the status page shows of this connection now. */
  info(now: number): ConnectionInfo {
    const ex = this.#current;
    return {
      client: this.#peer,
      state: ex === null ? "CLOSED" : ex.state,
      seq: this.#seq,
      method: ex && ex.method !== "-" ? ex.method : "",
      target: ex && ex.target !== "-" ? ex.target : "",
      user: ex?.user ?? "",
      upstream: ex?.upstreamAddr ?? "",
      ageMs: now - this.#opened,
      exchangeMs: ex ? now - ex.started : 0,
      bytesIn: ex ? ex.clientRead : 0,
      bytesOut: ex ? ex.clientWritten : 0,
      idle: this.#idle,
      upstreamOpen: ex?.server != null && !ex.server.closed,
    };
  }

  /** Whether the connection is waiting for the first byte of a request. */
  get idle(): boolean {
    return this.#idle;
  }

  /**
   * When the connection began waiting for a request with nothing buffered
   * (timers clock, ms), or -1 while it is busy (admission reclaims idle ones).
   */
  get idleSince(): number {
    return this.#idle ? this.#idleSince : -1;
  }

  /** Whether it has finished an exchange already (a kept-alive connection). */
  get kept(): boolean {
    return this.#seq > 1;
  }

  /** Closes the connection if it is between requests (used when draining). */
  closeIfIdle(): void {
    if (this.#idle) this.#client.close();
  }

  /** Applies a reloaded configuration to the deadline of a connection waiting for a request. */
  reconfigure(): void {
    // an exchange past its request head keeps the deadlines it began with
    if (this.#current?.state === State.READ_REQUEST) this.#timer.use(this.#ctx.config);
  }

  /** Closes both sockets of the exchange in flight, at once. */
  abort(): void {
    this.#current?.server?.close();
    this.#client.close();
  }

  /** Runs exchanges until the connection closes. Never rejects. */
  async run(): Promise<void> {
    try {
      for (;;) {
        const ex = new Exchange(++this.#seq);
        ex.client = this.#client;
        this.#timer.use(this.#ctx.config); // deadlines follow a reload from the next exchange on
        this.#current = ex;
        // one exchange with its error handling and access log (inline: one async frame less each)
        let keep = false;
        this.#timer.expired = null;
        try {
          keep = await this.#exchange(ex);
        } catch (err) {
          await this.#failed(ex, err);
        } finally {
          this.#timer.disarm();
          ex.server?.close();
        }
        if (ex.clientRead > 0 || ex.status > 0) logAccess(this.#peer, ex);
        this.#ctx.observe?.(ex);
        if (!keep || this.#ctx.draining || this.#client.closed) break;
      }
    } catch (err) {
      log.error("Unexpected error on connection from {peer}: {error}", {
        peer: this.#peer,
        error: String(err),
      });
    } finally {
      this.#timer.dispose();
      this.#current = null;
      this.#client.close();
      const buf = this.#client.buf;
      if (buf.capacity === CLIENT_BUFFER_SIZE && spareClientBuffers.length < MAX_SPARE_BUFFERS) {
        buf.clear();
        spareClientBuffers.push(buf);
      }
    }
  }

  /** An exchange failed with `err`: records why, answers when it still can. */
  async #failed(ex: Exchange, err: unknown): Promise<void> {
    const e = this.#timer.expired ?? asProxyError(err);
    ex.reason ??= e.reason;
    if (e instanceof AuthRequiredError && e.user !== undefined) ex.user = e.user;
    log.debug("Exchange {seq} from {peer} failed in {state}: {error}", {
      seq: ex.seq,
      peer: this.#peer,
      state: ex.state,
      error: e.message,
    });
    await this.#fail(ex, e);
  }

  /** Answers `e` when no response head went out yet, then closes. */
  async #fail(ex: Exchange, e: ProxyError): Promise<void> {
    const canAnswer = !ex.responseStarted && !this.#client.closed && e.reason !== "client-closed" &&
      ex.state !== State.TUNNEL && ex.state !== State.CLOSED &&
      (ex.state !== State.READ_REQUEST || ex.clientRead > 0);
    if (canAnswer) {
      // in SEND_RESPONSE the origin's head was refused before it went out: answer instead
      const early = ex.state === State.READ_REQUEST ||
        (ex.state === State.SEND_REQUEST && e.status < 500);
      if (ex.state !== State.SEND_RESPONSE) ex.transition(early ? "reject" : "fail");
      ex.status = e.status;
      try {
        await send(this.#client, errorResponse(e, this.#ctx.config.viaName), ex);
      } catch {
        // the client left; nothing more to tell it
      }
    }
    if (ex.state !== State.CLOSED) ex.transition("close");
  }

  // READ_REQUEST, in steps around the one await (in #exchange: one async frame less each)

  /** The next request head when the buffered bytes complete it, else null. */
  #bufferedHead(): RequestHead | null {
    const buf = this.#client.buf;
    if (buf.length === 0) return null;
    const parsed = this.#requests.parse(buf.data());
    if (parsed === null) return null;
    buf.consume(parsed.consumed);
    this.#timer.disarm();
    return parsed.head;
  }

  /**
   * Before a read for the request head: whether the connection is idle (and
   * since when), its deadline armed. False when it is idle and draining: no
   * read, the connection ends.
   */
  #awaitHead(ex: Exchange): boolean {
    const client = this.#client;
    const idle = client.buf.length === 0;
    if (idle && !this.#idle) {
      this.#idleSince = this.#ctx.timers.now();
      // a buffer that grew for a body or a long head goes back to 4 KiB while idle
      client.buf.shrink(CLIENT_BUFFER_SIZE);
    }
    this.#idle = idle;
    if (idle && this.#ctx.draining) return false;
    // a fresh connection must start its head in time (slowloris); a kept-alive
    // one may idle longer; once a head has begun, all of it must arrive in time
    this.#timer.arm(ex.clientRead === 0 && ex.seq > 1 ? "idle" : "header");
    return true;
  }

  /**
   * After a read of `n` bytes for the request head: false when the client
   * left between requests (routine: the connection ends).
   *
   * @throws {ProxyError} 400 `client-closed` when it left in the middle of a head.
   */
  #gotHeadBytes(ex: Exchange, n: number): boolean {
    // a client that left between requests leaves its connection idle until
    // it ends: admission may still count it as idle and free its slot,
    // rather than close another's (its end and a newcomer can share a turn)
    if (n === 0 && this.#client.buf.length === 0 && ex.clientRead === 0) return false;
    this.#idle = false;
    if (n === 0) {
      throw new ProxyError(
        400,
        "client-closed",
        "Client closed the connection in the middle of a request head",
      );
    }
    return true;
  }

  /** The reverse proxy: the request goes to an `--upstream` server. */
  #reverse(scope: ExchangeScope, ups: UpstreamSet): Promise<boolean> {
    const loop = scope.policy.checkLoop(scope.req.headers);
    if (loop) return Promise.reject(loop);
    this.#forwarder ??= new Forwarder();
    return reverseExchange(scope, this.#forwarder, ups);
  }

  async #exchange(ex: Exchange): Promise<boolean> {
    // READ_REQUEST
    this.#requests.reset();
    let req: RequestHead | null;
    while ((req = this.#bufferedHead()) === null) {
      if (!this.#awaitHead(ex)) return closed(ex); // draining
      let n: number;
      try {
        // the read op's own promise, booked here: no promise chained in between
        n = await readInto(this.#client);
      } catch (err) {
        if (this.#idle) return closed(ex); // closed between requests: routine
        throw readFailure(this.#client, err);
      }
      if (!this.#gotHeadBytes(ex, filled(this.#client, ex, n))) return closed(ex);
    }
    // the configuration and policy at the time the request came stay with it
    const config = this.#ctx.config;
    this.#timer.use(config);
    const policy = this.#ctx.policy;
    ex.method = req.method;
    ex.target = req.target;
    ex.minor = req.minor;
    ex.mark("head");
    if (config.accessLogFormat === "combined") {
      ex.referer = req.headers.get("referer") ?? "";
      ex.userAgent = req.headers.get("user-agent") ?? "";
    }
    const scope: ExchangeScope = {
      ex,
      client: this.#client,
      req,
      config,
      policy,
      timer: this.#timer,
      ctx: this.#ctx,
      keepAlive: clientWantsKeepAlive(req) && !this.#ctx.draining,
      clientIp: this.#clientIp,
    };
    // who answers is decided once
    const r = route(req.method, req.target, this.#routing);
    const ups = this.#ctx.upstreams ?? null;
    if (r.kind === "files") {
      return await serveFiles(scope, r.path, ups ? () => this.#reverse(scope, ups) : null);
    }
    if (r.kind === "upstream") return await this.#reverse(scope, ups!);

    // the forward proxy and tunnels: the policy that applies to proxy requests
    const target = r.target;
    const isConnect = r.kind === "tunnel";
    const framing: BodyFraming = isConnect ? NO_BODY : requestFraming(req);
    const loop = policy.checkLoop(req.headers);
    if (loop) throw loop;
    if (policy.authenticates) ex.user = await policy.authenticate(req.headers, this.#clientIp);
    if (isConnect && config.connectPorts !== null && !config.connectPorts.has(target.port)) {
      throw new ProxyError(
        403,
        "connect-port-denied",
        `CONNECT to port ${target.port} is not allowed; start sluice with --connect-ports ${target.port} (or "*") to allow it`,
      );
    }
    // a target that is this proxy itself, in any spelling, is never dialled
    const selfLoop = this.#ctx.self?.refusal(target.host, target.port) ?? null;
    if (selfLoop) throw selfLoop;
    policy.checkTarget(target.host, target.port);
    this.#forwarder ??= new Forwarder();
    const cache = this.#ctx.cache;
    if (cache && !isConnect) {
      return await cacheExchange(scope, target, framing, this.#forwarder, cache);
    }
    ex.transition("head");
    return await this.#forwarder.forward(scope, target, framing);
  }
}
