/**
 * One client connection: runs its exchanges one after another through the
 * state machine (READ_REQUEST -> SEND_REQUEST -> READ_RESPONSE ->
 * SEND_RESPONSE, or TUNNEL), keeps leftover bytes between them so pipelined
 * requests work, and turns every failure into a response or a clean close.
 *
 * @module
 */

import { ByteBuffer, CLIENT_BUFFER_SIZE, DEFAULT_BUFFER_SIZE } from "./buffer.ts";
import { AuthRequiredError, ProxyError } from "./errors.ts";
import { type Duplex, Endpoint, Exchange } from "./exchange.ts";
import { ChunkedDecoder } from "./http1/chunked.ts";
import { type BodyFraming, NO_BODY, requestFraming, responseFraming } from "./http1/framing.ts";
import {
  clientWantsKeepAlive,
  originKeepsAlive,
  planResponse,
  upstreamRequestHead,
} from "./http1/forward.ts";
import {
  type RequestHead,
  RequestParser,
  type ResponseHead,
  ResponseParser,
} from "./http1/parse.ts";
import { parseAbsoluteTarget, parseAuthorityTarget, type Target } from "./http1/target.ts";
import { logAccess, logger } from "./log.ts";
import { readResponseHead } from "./read_response.ts";
import { fill, relayChunked, relayLength, relayResponseBody, send, tunnel } from "./relay.ts";
import { CONNECT_ESTABLISHED, errorResponse } from "./responses.ts";
import { State } from "./state.ts";
import { ConnectionTimer } from "./connection_timer.ts";
import type { Pooled } from "./upstream/pool.ts";
import type { AddressGate } from "./policy/policy.ts";
import type { ConnectionContext } from "./connection_context.ts";

const log = logger("connection");

export { type ConnectionContext, dialTarget } from "./connection_context.ts";

const HEAD_ROOM = 512;

/**
 * Client buffers of finished connections that never grew, kept for the next
 * ones: a connection per request (`Connection: close`) then allocates no
 * buffer. Only a connection whose run() has returned gives its buffer back,
 * so no read can still be writing into it.
 */
const spareClientBuffers: ByteBuffer[] = [];
const MAX_SPARE_BUFFERS = 256;

/** Methods a proxy may send again (RFC 9110 section 9.2.2). */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** Whether `err` means the upstream connection went away (EOF, reset, write failure). */
function isUpstreamLoss(err: unknown): boolean {
  return err instanceof ProxyError && err.reason === "upstream-closed";
}

function asProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  return new ProxyError(
    502,
    "upstream-error",
    `Unexpected failure: ${(err as Error)?.message ?? err}`,
    { cause: err },
  );
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
  readonly #responses = new ResponseParser();
  readonly #requestChunks = new ChunkedDecoder();
  readonly #responseChunks = new ChunkedDecoder({}, true);
  readonly #timer: ConnectionTimer;
  #seq = 0;
  #idle = true;
  /** When the connection last began waiting for a request with nothing buffered (timers clock). */
  #idleSince: number;
  #current: Exchange | null = null;

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

  /** Closes the connection if idle (admission making room at a cap). */
  closeIdle(): void {
    this.closeIfIdle();
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
        const keep = await this.#run(ex);
        if (!keep || this.#ctx.draining || this.#client.closed) break;
      }
    } catch (err) {
      log.error("Unexpected error on connection from {peer}: {error}", {
        peer: this.#peer,
        error: String(err),
      });
    } finally {
      this.#timer.disarm();
      this.#current = null;
      this.#client.close();
      const buf = this.#client.buf;
      if (buf.capacity === CLIENT_BUFFER_SIZE && spareClientBuffers.length < MAX_SPARE_BUFFERS) {
        buf.clear();
        spareClientBuffers.push(buf);
      }
    }
  }

  /** One exchange with its error handling and access log; returns whether to go on. */
  async #run(ex: Exchange): Promise<boolean> {
    let keep = false;
    this.#timer.expired = null;
    try {
      keep = await this.#exchange(ex);
    } catch (err) {
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
    } finally {
      this.#timer.disarm();
      ex.server?.close();
    }
    if (ex.clientRead > 0 || ex.status > 0) logAccess(this.#peer, ex);
    this.#ctx.observe?.(ex);
    return keep;
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

  async #readRequest(ex: Exchange): Promise<RequestHead | null> {
    const client = this.#client;
    const parser = this.#requests;
    parser.reset();
    for (;;) {
      if (client.buf.length > 0) {
        const parsed = parser.parse(client.buf.data());
        if (parsed) {
          client.buf.consume(parsed.consumed);
          this.#timer.disarm();
          return parsed.head;
        }
      }
      const idle = client.buf.length === 0;
      if (idle && !this.#idle) this.#idleSince = this.#ctx.timers.now();
      this.#idle = idle;
      if (this.#idle && this.#ctx.draining) return null;
      // a fresh connection must start its head in time (slowloris); a kept-alive
      // one may idle longer; once a head has begun, all of it must arrive in time
      this.#timer.arm(ex.clientRead === 0 && ex.seq > 1 ? "idle" : "header");
      let n: number;
      try {
        n = await fill(client, ex);
      } catch (err) {
        if (this.#idle) return null; // closed between requests: routine
        throw err;
      } finally {
        this.#idle = false;
      }
      if (n === 0) {
        if (client.buf.length === 0 && ex.clientRead === 0) return null;
        throw new ProxyError(
          400,
          "client-closed",
          "Client closed the connection in the middle of a request head",
        );
      }
    }
  }

  async #exchange(ex: Exchange): Promise<boolean> {
    const client = this.#client;

    // READ_REQUEST
    const req = await this.#readRequest(ex);
    if (req === null) {
      ex.transition("close");
      return false;
    }
    // the configuration and policy at the time the request came stay with it
    const cfg = this.#ctx.config;
    this.#timer.use(cfg);
    const policy = this.#ctx.policy;
    const via = cfg.via ? cfg.viaName : "";
    ex.method = req.method;
    ex.target = req.target;
    const isConnect = req.method === "CONNECT";
    const target = isConnect ? parseAuthorityTarget(req.target) : parseAbsoluteTarget(req.target);
    const framing: BodyFraming = isConnect ? NO_BODY : requestFraming(req);
    const loop = policy.checkLoop(req.headers);
    if (loop) throw loop;
    ex.user = await policy.authenticate(req.headers, this.#clientIp);
    if (isConnect && cfg.connectPorts !== null && !cfg.connectPorts.has(target.port)) {
      throw new ProxyError(
        403,
        "connect-port-denied",
        `CONNECT to port ${target.port} is not allowed; start sluice with --connect-ports ${target.port} (or "*") to allow it`,
      );
    }
    // a target that is this proxy itself, in any spelling, is never dialled
    const self = this.#ctx.self;
    const selfLoop = self?.refusal(target.host, target.port) ?? null;
    if (selfLoop) throw selfLoop;
    policy.checkTarget(target.host, target.port);
    const keepAlive = clientWantsKeepAlive(req) && !this.#ctx.draining;
    ex.transition("head");

    // SEND_REQUEST
    const pool = isConnect ? null : this.#ctx.pool;
    const key = `${target.host}:${target.port}`;
    const policyGate = policy.gate(target.host, target.port);
    const gate = self ? self.gate(target.host, target.port, policyGate) : policyGate;
    let { server, reused } = await this.#upstream(ex, target, gate, pool?.take(key) ?? null);
    if (isConnect) {
      ex.transition("tunnel");
      ex.status = 200;
      ex.responseStarted = true;
      this.#timer.arm("tunnel-idle");
      await send(client, CONNECT_ESTABLISHED, ex);
      await tunnel(client, server, ex);
      ex.transition("close");
      return false;
    }
    const head = upstreamRequestHead(req, target, via, pool !== null);
    // an idle pooled connection the origin has just closed fails before any
    // response byte: a request without a body that may be repeated goes once
    // more, on a fresh connection
    const mayRetry = framing.kind === "none" && IDEMPOTENT.has(req.method);
    this.#timer.arm("stall");
    let bodyDone = framing.kind === "none";
    let bodyError: ProxyError | null = null;
    let pump: Promise<void> | null = null;
    let res: ResponseHead;
    for (let attempt = 0;; attempt++) {
      try {
        await send(server, head, ex);
        if (ex.state === State.SEND_REQUEST) ex.transition("sent");
        // the body streams while the response is awaited; the origin's clock for
        // its first byte starts once the whole request is out
        const up = server;
        pump = bodyDone ? null : this.#sendBody(up, framing, ex).then(
          () => {
            bodyDone = true;
            if (ex.state === State.READ_RESPONSE && ex.serverRead === 0) {
              this.#timer.arm("first-byte");
            }
          },
          (err) => {
            bodyError = asProxyError(err);
            // a bad or vanished client body ends the exchange; an origin that
            // stopped reading may still be answering, so its response is awaited
            if (bodyError.reason !== "upstream-closed") up.close();
          },
        );
        if (bodyDone) this.#timer.arm("first-byte");
        res = await readResponseHead(server, client, this.#responses, req, ex, via);
        break;
      } catch (err) {
        await pump;
        const e = bodyError ?? err;
        if (!(reused && mayRetry && attempt === 0 && ex.serverRead === 0 && isUpstreamLoss(e))) {
          throw e;
        }
        log.debug("Pooled connection to {key} was closed; retrying on a fresh one", { key });
        server.close();
        ({ server, reused } = await this.#upstream(ex, target, gate, null));
      }
    }
    const resFraming = responseFraming(req.method, res);
    const reusable = pool !== null && originKeepsAlive(res);
    ex.transition("head");
    this.#timer.arm("stall");

    // SEND_RESPONSE
    const plan = planResponse(req, res, resFraming, keepAlive, via);
    ex.status = res.status;
    const length = resFraming.kind === "length" ? resFraming.length : 0;
    const before = ex.clientWritten;
    try {
      await relayResponseBody(
        plan.mode,
        length,
        plan.head,
        server,
        client,
        this.#responseChunks,
        ex,
      );
    } finally {
      // a failure before any byte of it went out can still be answered (502)
      ex.responseStarted = ex.clientWritten > before;
    }
    let keep = plan.keepAlive;
    if (pump) {
      // the body normally finished long before the response did; one timer tick
      // lets a pump that is just resolving report so
      if (!bodyDone) {
        let tick: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([pump, new Promise((r) => tick = setTimeout(r, 0))]);
        clearTimeout(tick);
      }
      if (!bodyDone) {
        // The origin answered before the request body was all sent: the rest
        // of the body cannot be told apart from a next request, so close.
        keep = false;
        server.close();
        client.close();
      }
      await pump;
      if (bodyError) keep = false;
    }
    if (
      reusable && !bodyError && bodyDone && plan.mode !== "raw" && plan.mode !== "rechunk" &&
      server.buf.length === 0 && !server.eof && !server.closed &&
      pool.put(key, server.conn, server.buf)
    ) {
      ex.server = null; // pooled: not closed with the exchange
    }
    ex.transition(keep ? "keepalive" : "close");
    return keep;
  }

  /** A pooled connection when one is given, else a fresh one within the connect deadline. */
  async #upstream(
    ex: Exchange,
    target: Target,
    gate: AddressGate | null,
    pooled: Pooled | null,
  ): Promise<{ server: Endpoint; reused: boolean }> {
    let server: Endpoint;
    if (pooled) {
      server = new Endpoint(pooled.conn, pooled.buf, "upstream");
      server.pending = pooled.pending;
    } else {
      let conn: Duplex;
      try {
        conn = await this.#ctx.dial(
          target,
          this.#timer.armConnect(),
          this.#ctx.config.connectTimeoutMs,
          gate,
        );
      } finally {
        this.#timer.disarm();
      }
      // backstop: an address of this machine not known to be one (no --allow-sys)
      const loop = this.#ctx.self?.checkConnection(conn, target.host, target.port) ?? null;
      if (loop) {
        conn.close();
        throw loop;
      }
      server = new Endpoint(conn, new ByteBuffer(DEFAULT_BUFFER_SIZE, HEAD_ROOM), "upstream");
    }
    ex.server = server;
    return { server, reused: pooled !== null };
  }

  async #sendBody(server: Endpoint, framing: BodyFraming, ex: Exchange): Promise<void> {
    if (framing.kind === "length") await relayLength(this.#client, server, framing.length, ex);
    else if (framing.kind === "chunked") {
      await relayChunked(this.#client, server, this.#requestChunks, false, ex);
    }
  }
}
