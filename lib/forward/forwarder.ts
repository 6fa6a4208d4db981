/**
 * The forward proxy's side of an exchange: SEND_REQUEST (pool or dial,
 * the rewritten head, the request body pumped alongside), READ_RESPONSE,
 * SEND_RESPONSE (the planned body relay), and the CONNECT tunnel. One
 * {@linkcode Forwarder} per client connection keeps the parsers and chunked
 * decoders it reuses from exchange to exchange.
 *
 * @module
 */

import { ByteBuffer, UPSTREAM_BUFFER_SIZE } from "../buffer.ts";
import { ProxyError } from "../errors.ts";
import { type Duplex, Endpoint, type Exchange } from "../exchange.ts";
import type { ExchangeScope } from "../exchange_scope.ts";
import { ChunkedDecoder } from "../http1/chunked.ts";
import { type BodyFraming, responseFraming } from "../http1/framing.ts";
import { originKeepsAlive, planResponse, upstreamRequestHead } from "../http1/forward.ts";
import { HeadWriter } from "../http1/head_writer.ts";
import { type ResponseHead, ResponseParser } from "../http1/parse.ts";
import { requestedUpgrade, switchingHead } from "../http1/upgrade.ts";
import { isParentRefusal, PARENT_REFUSED, parentRequestHead } from "../upstream/parent.ts";
import { BodyPump, bodySent } from "./body_pump.ts";
import { openTunnel } from "./open_tunnel.ts";
import { connectViaParent } from "./parent_connect.ts";
import type { Target } from "../http1/target.ts";
import { logger } from "../log.ts";
import type { AddressGate } from "../policy/policy.ts";
import { readResponseHead } from "../read_response.ts";
import { type BodySink, relayChunked, relayLength, relayResponseBody, send } from "../relay.ts";
import { CONNECT_ESTABLISHED } from "../responses.ts";
import { State } from "../state.ts";
import type { Pooled } from "../upstream/pool.ts";

const log = logger("forward");

/** Room before an upstream buffer's data for the rewritten response head (one write). */
const HEAD_ROOM = 512;

const NO_OPTIONS: { trusted?: boolean } = Object.freeze({});

/** `host:port` keys of the pool by host and port, made once (hosts come from a memo: one string each). */
const poolKeys = new Map<string, Map<number, string>>();

/** The pool key of `host:port` (remembered for up to 1,024 hosts). */
function poolKey(host: string, port: number): string {
  let ports = poolKeys.get(host);
  if (ports === undefined) {
    if (poolKeys.size >= 1024) poolKeys.clear();
    poolKeys.set(host, ports = new Map());
  }
  let key = ports.get(port);
  if (key === undefined) ports.set(port, key = `${host}:${port}`);
  return key;
}

/**
 * The checks on the addresses a fresh connection dials: the policy's rules
 * for a client's target (not for an operator's --upstream or --parent), after
 * the loop check that refuses this proxy's own addresses.
 */
function dialGate(
  { policy, ctx }: ExchangeScope,
  target: Target,
  dialTo: Target,
  operatorChosen: boolean,
): AddressGate | null {
  const policyGate = operatorChosen ? null : policy.gate(target.host, target.port);
  return ctx.self ? ctx.self.gate(dialTo.host, dialTo.port, policyGate) : policyGate;
}

/** Makes `server` the exchange's upstream connection (reused: it came from the pool). */
function attach(ex: Exchange, server: Endpoint, reused: boolean): Endpoint {
  ex.server = server;
  ex.upstreamVia(server.conn, reused);
  ex.mark("connect");
  return server;
}

/** Methods a proxy may send again (RFC 9110 section 9.2.2). */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** Whether `err` means the upstream connection went away (EOF, reset, write failure). */
function isUpstreamLoss(err: unknown): boolean {
  return err instanceof ProxyError && err.reason === "upstream-closed";
}

/**
 * What the cache does with an origin's final response head, before any of it
 * goes to the client: relay it (with a sink that keeps a copy of the body, and
 * fields to add such as `Cache-Status`), or answer the client itself (a 304
 * that freshened a stored response, a 5xx replaced by a stale one): the
 * forwarder then discards the origin's response and calls `answer`.
 */
export type HookAction =
  | { kind: "relay"; sink: BodySink | null; fields: readonly (readonly [string, string])[] }
  | { kind: "answer"; answer: () => Promise<boolean> };

/** A cache's view of one forwarded exchange. */
export interface ResponseHook {
  /** The final response head has arrived (its fields as received). */
  head(res: ResponseHead, framing: BodyFraming): HookAction;
  /** The relay ended: `ok` when the whole body went through. */
  end(ok: boolean): void;
}

/** `err` as the ProxyError the client hears (502 for anything unexpected). */
export function asProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  return new ProxyError(
    502,
    "upstream-error",
    `Unexpected failure: ${(err as Error)?.message ?? err}`,
    { cause: err },
  );
}

/**
 * Forwards exchanges of one client connection to their origins.
 *
 * @example
 * ```ts ignore
 * const forwarder = new Forwarder();
 * const keep = await forwarder.forward(scope, parseAbsoluteTarget(req.target), framing);
 * ```
 */
export class Forwarder {
  readonly #responses = new ResponseParser();
  readonly #requestChunks = new ChunkedDecoder();
  readonly #responseChunks = new ChunkedDecoder({}, true);
  /** The heads this connection sends: the request head, then the response head. */
  readonly #heads = new HeadWriter();

  /**
   * Forwards a plain request (or opens the tunnel of a CONNECT) whose head the
   * connection has read and checked; returns whether the client connection
   * may carry another exchange.
   */
  async forward(
    scope: ExchangeScope,
    target: Target,
    framing: BodyFraming,
    hook: ResponseHook | null = null,
    opts: { trusted?: boolean } = NO_OPTIONS,
  ): Promise<boolean> {
    const { ex, client, req, config, timer, ctx, keepAlive } = scope;
    const isConnect = req.method === "CONNECT";
    const via = config.via ? config.viaName : "";
    // SEND_REQUEST
    const pool = isConnect ? null : ctx.pool;
    // --parent: the request goes to the parent proxy unless --no-parent names the target
    const parents = opts.trusted ? null : ctx.parents ?? null;
    const parent = parents?.useParent(target.host, target.port) ? parents.parent : null;
    const dialTo: Target = parent
      ? { host: parent.host, port: parent.port, path: "", authority: parent.authority }
      : target;
    const key = poolKey(dialTo.host, dialTo.port);
    // an --upstream server or a --parent is the operator's choice: destination
    // address rules are for the addresses clients' targets resolve to
    const pooled = pool?.take(key) ?? null;
    let reused = pooled !== null;
    // a pooled connection is taken without an await (and without a gate: it passed one)
    const operatorChosen = opts.trusted || parent !== null;
    let server = pooled
      ? this.#adopt(scope, pooled)
      : await this.#dial(scope, target, dialTo, operatorChosen);
    if (isConnect && parent) {
      return await connectViaParent(
        scope,
        server,
        target,
        parent,
        this.#responses,
        this.#responseChunks,
        via,
      );
    }
    if (isConnect) {
      return await openTunnel(scope, server, "tunnel", 200, CONNECT_ESTABLISHED);
    }
    // read before the head is rewritten (hop-by-hop removal drops Upgrade)
    const upgrade = requestedUpgrade(req);
    const keepUp = pool !== null && upgrade === null;
    const head = parent
      ? parentRequestHead(req, target, via, parent, keepUp, upgrade)
      : upstreamRequestHead(req, target, via, keepUp, upgrade, null, this.#heads);
    // an idle pooled connection the origin has just closed fails before any
    // response byte: a request without a body that may be repeated goes once
    // more, on a fresh connection
    const mayRetry = framing.kind === "none" && IDEMPOTENT.has(req.method);
    timer.arm("stall");
    const hasBody = framing.kind !== "none";
    let pump: BodyPump | null = null;
    let res: ResponseHead;
    for (let attempt = 0;; attempt++) {
      try {
        await send(server, head, ex);
        ex.mark("sent");
        if (ex.state === State.SEND_REQUEST) ex.transition("sent");
        // the body streams while the response is awaited; the origin's clock for
        // its first byte starts once the whole request is out
        if (hasBody) {
          pump = new BodyPump(
            this.#sendBody(scope, server, framing),
            ex,
            timer,
            server,
            asProxyError,
          );
        } else timer.arm("first-byte");
        res = await readResponseHead(
          server,
          client,
          this.#responses,
          req,
          ex,
          via,
          upgrade !== null,
        );
        break;
      } catch (err) {
        await pump?.promise;
        const e = pump?.error ?? err;
        if (!(reused && mayRetry && attempt === 0 && ex.serverRead === 0 && isUpstreamLoss(e))) {
          throw e;
        }
        log.debug("Pooled connection to {key} was closed; retrying on a fresh one", { key });
        server.close();
        server = await this.#dial(scope, target, dialTo, operatorChosen);
        reused = false;
      }
    }
    if (res.status === 101) return await this.#switch(scope, server, res, upgrade!, via);
    if (parent && isParentRefusal(res)) ex.reason = PARENT_REFUSED; // relayed, and marked in the log
    const resFraming = responseFraming(req.method, res);
    const reusable = pool !== null && originKeepsAlive(res);
    ex.transition("head");
    timer.arm("stall");
    const action = hook?.head(res, resFraming) ?? null;
    if (action?.kind === "answer") {
      // the origin's answer is not relayed: one without a body leaves the
      // connection reusable, any other is dropped with it
      await pump?.promise;
      if (
        resFraming.kind === "none" && reusable && bodySent(pump) &&
        server.buf.length === 0 && pool.put(key, server.conn, server.buf)
      ) {
        ex.server = null;
      } else server.close();
      const keep = (await action.answer()) && !pump?.error;
      ex.transition(keep ? "keepalive" : "close");
      return keep;
    }
    if (action) { for (const [name, value] of action.fields) res.headers.append(name, value); }

    // SEND_RESPONSE
    // the request head (in the same writer) went out in full: its bytes may be reused
    const plan = planResponse(req, res, resFraming, keepAlive, via, this.#heads);
    ex.status = res.status;
    const length = resFraming.kind === "length" ? resFraming.length : 0;
    const before = ex.clientWritten;
    let relayed = false;
    try {
      await relayResponseBody(
        plan.mode,
        length,
        plan.head,
        server,
        client,
        this.#responseChunks,
        ex,
        action?.sink ?? null,
      );
      relayed = true;
    } finally {
      hook?.end(relayed);
      // a failure before any byte of it went out can still be answered (502)
      ex.responseStarted = ex.clientWritten > before;
    }
    let keep = plan.keepAlive;
    if (pump) {
      // the body normally finished long before the response did; one timer tick
      // lets a pump that is just resolving report so
      if (!pump.done) {
        let tick: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([pump.promise, new Promise((r) => tick = setTimeout(r, 0))]);
        clearTimeout(tick);
      }
      if (!pump.done) {
        // The origin answered before the request body was all sent: the rest
        // of the body cannot be told apart from a next request, so close.
        keep = false;
        server.close();
        client.close();
      }
      await pump.promise;
      if (pump.error) keep = false;
    }
    if (
      reusable && bodySent(pump) && plan.mode !== "raw" && plan.mode !== "rechunk" &&
      server.buf.length === 0 && !server.eof && !server.closed
    ) {
      server.buf.shrink(UPSTREAM_BUFFER_SIZE + HEAD_ROOM); // grown for a large body: idles small
      if (pool.put(key, server.conn, server.buf)) ex.server = null; // pooled: not closed with the exchange
    }
    ex.transition(keep ? "keepalive" : "close");
    return keep;
  }

  /** The origin switched protocols: the 101 goes to the client, then bytes flow both ways. */
  async #switch(
    scope: ExchangeScope,
    server: Endpoint,
    res: ResponseHead,
    upgrade: string,
    via: string,
  ): Promise<boolean> {
    const head = switchingHead(res, upgrade, via);
    if (head === null) {
      throw new ProxyError(
        502,
        "upstream-bad-response",
        `Upstream switched to "${
          res.headers.get("upgrade") ?? ""
        }", which the client did not ask for (${upgrade})`,
      );
    }
    return await openTunnel(scope, server, "upgrade", 101, head);
  }

  /** A pooled connection becomes the exchange's upstream. */
  #adopt({ ex }: ExchangeScope, pooled: Pooled): Endpoint {
    const server = new Endpoint(pooled.conn, pooled.buf, "upstream");
    server.pending = pooled.pending;
    return attach(ex, server, true);
  }

  /**
   * A fresh connection to `dialTo` within the connect deadline, its addresses
   * checked by {@linkcode dialGate} (`target` is what the client asked for).
   */
  async #dial(
    scope: ExchangeScope,
    target: Target,
    dialTo: Target,
    operatorChosen: boolean,
  ): Promise<Endpoint> {
    const { ex, ctx, timer, config } = scope;
    const gate = dialGate(scope, target, dialTo, operatorChosen);
    let conn: Duplex;
    try {
      conn = await ctx.dial(dialTo, timer.armConnect(), config.connectTimeoutMs, gate);
    } finally {
      timer.disarm();
    }
    // backstop: an address of this machine not known to be one (no --allow-sys)
    const loop = ctx.self?.checkConnection(conn, dialTo.host, dialTo.port) ?? null;
    if (loop) {
      conn.close();
      throw loop;
    }
    const buf = new ByteBuffer(UPSTREAM_BUFFER_SIZE + HEAD_ROOM, HEAD_ROOM);
    return attach(ex, new Endpoint(conn, buf, "upstream"), false);
  }

  async #sendBody(
    { client, ex }: ExchangeScope,
    server: Endpoint,
    framing: BodyFraming,
  ): Promise<void> {
    if (framing.kind === "length") await relayLength(client, server, framing.length, ex);
    else if (framing.kind === "chunked") {
      await relayChunked(client, server, this.#requestChunks, false, ex);
    }
  }
}
