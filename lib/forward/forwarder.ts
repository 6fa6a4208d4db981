/**
 * The forward proxy's side of an exchange: SEND_REQUEST (pool or dial,
 * the rewritten head, the request body pumped alongside), READ_RESPONSE,
 * SEND_RESPONSE (the planned body relay), and the CONNECT tunnel. One
 * {@linkcode Forwarder} per client connection keeps the parsers and chunked
 * decoders it reuses from exchange to exchange.
 *
 * @module
 */

import { UPSTREAM_BUFFER_SIZE } from "../buffer.ts";
import { asProxyError, ProxyError } from "../errors.ts";
import type { Endpoint } from "../exchange.ts";
import type { ExchangeScope } from "../exchange_scope.ts";
import { ChunkedDecoder } from "../http1/chunked.ts";
import { type BodyFraming, responseFraming } from "../http1/framing.ts";
import { originKeepsAlive, planResponse, upstreamRequestHead } from "../http1/forward.ts";
import { HeadWriter } from "../http1/head_writer.ts";
import { type ResponseHead, ResponseParser } from "../http1/parse.ts";
import { requestedUpgrade, switchingHead } from "../http1/upgrade.ts";
import {
  isParentRefusal,
  type Parent,
  PARENT_REFUSED,
  parentRequestHead,
} from "../upstream/parent.ts";
import { BodyPump, bodySent, settlePump } from "./body_pump.ts";
import { openTunnel } from "./open_tunnel.ts";
import { connectViaParent } from "./parent_connect.ts";
import type { Target } from "../http1/target.ts";
import { logger } from "../log.ts";
import { readResponseHead } from "../read_response.ts";
import { send } from "../endpoint_io.ts";
import { type BodySink, relayChunked, relayLength, relayResponseBody } from "../relay.ts";
import { CONNECT_ESTABLISHED } from "../responses.ts";
import { State } from "../state.ts";
import type { ResponseHook } from "./response_hook.ts";
import {
  adoptPooled,
  dialUpstream,
  HEAD_ROOM,
  isUpstreamLoss,
  mayRepeat,
  poolKey,
} from "./upstream_conn.ts";

const log = logger("forward");

const NO_OPTIONS: { trusted?: boolean } = Object.freeze({});

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
  // the exchange in flight (one at a time), set as it goes
  /** The pool key of the address dialled. */
  #key = "";
  /** The address dialled: the target, or the parent proxy. */
  #dialTo!: Target;
  /** Whether the operator chose that address (an --upstream server or a --parent). */
  #operatorChosen = false;
  /** This hop's `Via` name; empty with --no-via. */
  #via = "";
  /** The upstream connection. */
  #server!: Endpoint;
  /** Whether it came from the pool. */
  #reused = false;
  /** The request body on its way, when there is one. */
  #pump: BodyPump | null = null;

  /**
   * Forwards a plain request (or opens the tunnel of a CONNECT) whose head the
   * connection has read and checked; returns whether the client connection
   * may carry another exchange.
   *
   * The hot path (a pooled connection, a request without a body, a response
   * relayed as it came) stays in this one async frame with few locals: the
   * state of the exchange lives in the forwarder (one per connection, one
   * exchange at a time), and each rarer turn has a method of its own, so the
   * frame V8 saves and restores at every await stays small.
   */
  async forward(
    scope: ExchangeScope,
    target: Target,
    framing: BodyFraming,
    hook: ResponseHook | null = null,
    opts: { trusted?: boolean } = NO_OPTIONS,
  ): Promise<boolean> {
    if (scope.req.method === "CONNECT") return await this.#connect(scope, target, opts);
    // SEND_REQUEST
    const parent = this.#choose(scope, target, opts);
    // a pooled connection is taken without an await (and without a gate: it passed one)
    const pooled = scope.ctx.pool?.take(this.#key) ?? null;
    this.#reused = pooled !== null;
    this.#server = pooled
      ? adoptPooled(scope.ex, pooled)
      : await dialUpstream(scope, target, this.#dialTo, this.#operatorChosen);
    // read before the head is rewritten (hop-by-hop removal drops Upgrade)
    const upgrade = requestedUpgrade(scope.req);
    const head = this.#requestHead(scope, target, parent, upgrade);
    scope.timer.arm("stall");
    this.#pump = null;
    let res: ResponseHead;
    try {
      await send(this.#server, head, scope.ex);
      this.#sent(scope, framing);
      res = await this.#responseHead(scope, upgrade);
    } catch (err) {
      res = await this.#retry(scope, target, head, framing, upgrade, err);
    }
    if (res.status === 101) {
      return await this.#switch(scope, this.#server, res, upgrade!, this.#via);
    }
    const ex = scope.ex;
    if (parent && isParentRefusal(res)) ex.reason = PARENT_REFUSED; // relayed, and marked in the log
    const resFraming = responseFraming(scope.req.method, res);
    const reusable = scope.ctx.pool !== null && originKeepsAlive(res);
    ex.transition("head");
    scope.timer.arm("stall");
    let sink: BodySink | null = null;
    if (hook !== null) {
      const action = hook.head(res, resFraming);
      if (action.kind === "answer") return await this.#answer(scope, action, resFraming, reusable);
      for (const [name, value] of action.fields) res.headers.append(name, value);
      sink = action.sink;
    }

    // SEND_RESPONSE
    // the request head (in the same writer) went out in full: its bytes may be reused
    const plan = planResponse(scope.req, res, resFraming, scope.keepAlive, this.#via, this.#heads);
    ex.status = res.status;
    const before = ex.clientWritten;
    try {
      await relayResponseBody(
        plan.mode,
        resFraming.kind === "length" ? resFraming.length : 0,
        plan.head,
        this.#server,
        scope.client,
        this.#responseChunks,
        ex,
        sink,
      );
    } catch (err) {
      hook?.end(false);
      // a failure before any byte of it went out can still be answered (502)
      ex.responseStarted = ex.clientWritten > before;
      throw err;
    }
    hook?.end(true);
    ex.responseStarted = ex.clientWritten > before;
    const keep = this.#pump === null
      ? plan.keepAlive
      : await settlePump(this.#pump, plan.keepAlive, this.#server, scope.client);
    if (reusable && plan.mode !== "raw" && plan.mode !== "rechunk") this.#release(scope);
    ex.transition(keep ? "keepalive" : "close");
    return keep;
  }

  /**
   * Where the request goes: sets the pool key, the address to dial and
   * whether the operator chose it; answers the parent proxy, if one is used.
   */
  #choose(scope: ExchangeScope, target: Target, opts: { trusted?: boolean }): Parent | null {
    // --parent: the request goes to the parent proxy unless --no-parent names the target
    const parents = opts.trusted ? null : scope.ctx.parents ?? null;
    const parent = parents?.useParent(target.host, target.port) ? parents.parent : null;
    this.#dialTo = parent
      ? { host: parent.host, port: parent.port, path: "", authority: parent.authority }
      : target;
    this.#key = poolKey(this.#dialTo.host, this.#dialTo.port);
    // an --upstream server or a --parent is the operator's choice: destination
    // address rules are for the addresses clients' targets resolve to
    this.#operatorChosen = opts.trusted === true || parent !== null;
    this.#via = scope.config.via ? scope.config.viaName : "";
    return parent;
  }

  /** A CONNECT: a tunnel to the target, directly or through the parent proxy. */
  async #connect(
    scope: ExchangeScope,
    target: Target,
    opts: { trusted?: boolean },
  ): Promise<boolean> {
    const parent = this.#choose(scope, target, opts);
    const server = await dialUpstream(scope, target, this.#dialTo, this.#operatorChosen);
    if (parent) {
      return await connectViaParent(
        scope,
        server,
        target,
        parent,
        this.#responses,
        this.#responseChunks,
        this.#via,
      );
    }
    return await openTunnel(scope, server, "tunnel", 200, CONNECT_ESTABLISHED);
  }

  /** The request head to send: to the origin, or to the parent proxy. */
  #requestHead(
    { req, ctx }: ExchangeScope,
    target: Target,
    parent: Parent | null,
    upgrade: string | null,
  ): Uint8Array {
    const keepUp = ctx.pool !== null && upgrade === null;
    return parent
      ? parentRequestHead(req, target, this.#via, parent, keepUp, upgrade)
      : upstreamRequestHead(req, target, this.#via, keepUp, upgrade, null, this.#heads);
  }

  /**
   * The request head went out: the body (if any) starts streaming while the
   * response is awaited; without one, the origin's clock for its first byte
   * starts now.
   */
  #sent(scope: ExchangeScope, framing: BodyFraming): void {
    const ex = scope.ex;
    ex.mark("sent");
    if (ex.state === State.SEND_REQUEST) ex.transition("sent");
    if (framing.kind !== "none") {
      const server = this.#server;
      this.#pump = new BodyPump(
        this.#sendBody(scope, server, framing),
        ex,
        scope.timer,
        server,
        asProxyError,
      );
    } else scope.timer.arm("first-byte");
  }

  /**
   * The first try failed with `err`. An idle pooled connection the origin has
   * just closed fails before any response byte: a request without a body that
   * may be repeated goes once more, on a fresh connection. Anything else is
   * thrown (the request body's own failure first).
   */
  async #retry(
    scope: ExchangeScope,
    target: Target,
    head: Uint8Array,
    framing: BodyFraming,
    upgrade: string | null,
    err: unknown,
  ): Promise<ResponseHead> {
    const { ex, req } = scope;
    const pump = this.#pump;
    await pump?.promise;
    const e = pump?.error ?? err;
    const mayRetry = framing.kind === "none" && mayRepeat(req.method);
    if (!(this.#reused && mayRetry && ex.serverRead === 0 && isUpstreamLoss(e))) throw e;
    log.debug("Pooled connection to {key} was closed; retrying on a fresh one", { key: this.#key });
    this.#server.close();
    this.#server = await dialUpstream(scope, target, this.#dialTo, this.#operatorChosen);
    this.#reused = false;
    this.#pump = null;
    await send(this.#server, head, ex);
    this.#sent(scope, framing);
    return await this.#responseHead(scope, upgrade);
  }

  /**
   * The origin's final response head on the upstream connection (1xx relayed
   * to the client on the way). Not async: the caller awaits the reader's own
   * promise, no frame in between.
   */
  #responseHead(scope: ExchangeScope, upgrade: string | null): Promise<ResponseHead> {
    return readResponseHead(
      this.#server,
      scope.client,
      this.#responses,
      scope.req,
      scope.ex,
      this.#via,
      upgrade !== null,
    );
  }

  /**
   * The hook answers instead of the origin: the origin's answer is not
   * relayed. One without a body leaves the connection reusable, any other is
   * dropped with it.
   */
  async #answer(
    scope: ExchangeScope,
    action: { answer: () => Promise<boolean> },
    resFraming: BodyFraming,
    reusable: boolean,
  ): Promise<boolean> {
    const { ex, ctx } = scope;
    const server = this.#server;
    const pump = this.#pump;
    const key = this.#key;
    await pump?.promise;
    if (
      resFraming.kind === "none" && reusable && bodySent(pump) &&
      server.buf.length === 0 && ctx.pool!.put(key, server.conn, server.buf)
    ) {
      ex.server = null;
    } else server.close();
    const keep = (await action.answer()) && !pump?.error;
    ex.transition(keep ? "keepalive" : "close");
    return keep;
  }

  /** The exchange is over and the origin keeps its connection: back to the pool when clean. */
  #release({ ex, ctx }: ExchangeScope): void {
    const server = this.#server;
    if (
      bodySent(this.#pump) && server.buf.length === 0 && !server.eof && !server.closed
    ) {
      server.buf.shrink(UPSTREAM_BUFFER_SIZE + HEAD_ROOM); // grown for a large body: idles small
      if (ctx.pool!.put(this.#key, server.conn, server.buf)) ex.server = null; // pooled: not closed with the exchange
    }
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
