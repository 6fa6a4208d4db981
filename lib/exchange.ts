/**
 * The per-exchange record (after Squid's request_info): its state, the two
 * endpoints with their buffers, five byte counters, timings and how it ended.
 *
 * @module
 */

import type { ByteBuffer } from "./buffer.ts";
import { now } from "./clock.ts";
import type { Reason } from "./errors.ts";
import { formatAuthority } from "./http1/target.ts";
import { type Event, next, State } from "./state.ts";

/** The socket operations the proxy needs; `Deno.Conn` has them all. */
export interface Duplex {
  /** Reads into `p`; `null` at end of stream. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes some of `p`; returns how many bytes were written. */
  write(p: Uint8Array): Promise<number>;
  /** Shuts down the write side (sends FIN). */
  closeWrite(): Promise<void>;
  /** Closes the socket. */
  close(): void;
}

/** When an exchange reached each phase (ms after it began; -1: not reached). */
export interface ExchangeTimes {
  /** The request head was complete. */
  head: number;
  /** The upstream connection was open (dialled or taken from the pool). */
  connect: number;
  /** The request head was written upstream. */
  sent: number;
  /** The first response byte arrived. */
  firstByte: number;
}

/** Which end of the proxy an endpoint is. */
export type Side = "client" | "upstream";

/** A socket with its read buffer. The client endpoint outlives exchanges. */
export class Endpoint {
  /** The socket. */
  readonly conn: Duplex;
  /** Its read buffer (bytes read but not yet used). */
  readonly buf: ByteBuffer;
  /** Which end it is. */
  readonly side: Side;
  /** Set once `close()` was called. */
  closed = false;
  /** Set once the peer's end of stream was read. */
  eof = false;
  /**
   * A read already under way into `buf` (a pooled connection's idle watch);
   * the next read takes its result instead of starting another.
   */
  pending: Promise<number> | null = null;
  /** The free space the read in flight was given (endpoint_io.ts `readInto`), in bytes. */
  room = 0;

  /** Creates an endpoint. */
  constructor(conn: Duplex, buf: ByteBuffer, side: Side) {
    this.conn = conn;
    this.buf = buf;
    this.side = side;
  }

  /** Closes the socket once; errors from an already-dead socket are ignored. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch {
      // already closed by the runtime
    }
  }
}

/**
 * One request and its response (or one tunnel).
 *
 * @example
 * ```ts
 * import { Exchange } from "./exchange.ts";
 * const ex = new Exchange(1);
 * ex.transition("head");
 * console.log(ex.state); // "SEND_REQUEST"
 * ```
 */
export class Exchange {
  /** Exchanges begun in this event loop (the memory reclaimer's sign of traffic). */
  static begun = 0;

  /** Sequence number of the exchange on its client connection (from 1). */
  readonly seq: number;
  /** Current state. */
  state: State = State.READ_REQUEST;
  /** The states walked, in order (for logs and tests). */
  readonly path: State[] = [State.READ_REQUEST];
  /** Client endpoint. */
  client: Endpoint | null = null;
  /** Upstream endpoint, once dialled. */
  server: Endpoint | null = null;

  /** Bytes read from the client (head and body). */
  clientRead = 0;
  /** Bytes queued to write to the server. */
  serverToWrite = 0;
  /** Bytes written to the server. */
  serverWritten = 0;
  /** Bytes read from the server. */
  serverRead = 0;
  /** Bytes written to the client. */
  clientWritten = 0;

  /** The `Cache-Status` of the answer, when the cache was involved ("" otherwise). */
  cache = "";

  /** The request's HTTP minor version (0 or 1), once the head is parsed. */
  minor = 1;
  /** `Referer` and `User-Agent` of the request, kept only for the combined log format ("" otherwise). */
  referer = "";
  /** See {@linkcode Exchange.referer}. */
  userAgent = "";
  /** The upstream connection this exchange used (its address is formatted only when read). */
  #upstreamConn: Duplex | null = null;
  #upstreamAddr: string | null = null;
  /** Whether the upstream connection came from the pool. */
  reused = false;

  /** Records the upstream connection the exchange went out on (cheap: nothing is formatted). */
  upstreamVia(conn: Duplex, reused: boolean): void {
    this.#upstreamConn = conn;
    this.#upstreamAddr = null;
    this.reused = reused;
  }

  /** Whether the exchange went out on an upstream connection. */
  get hasUpstream(): boolean {
    return this.#upstreamConn !== null || (this.#upstreamAddr ?? "") !== "";
  }

  /**
   * The upstream address actually dialled (`host:port`, IPv6 bracketed), ""
   * when none; formatted at the first read (logs, status), not per exchange.
   */
  get upstreamAddr(): string {
    if (this.#upstreamAddr === null) {
      const a = (this.#upstreamConn as Partial<Deno.TcpConn> | null)?.remoteAddr;
      this.#upstreamAddr = a && a.transport === "tcp" ? formatAuthority(a.hostname, a.port) : "";
    }
    return this.#upstreamAddr;
  }

  /** Sets the upstream address directly (tests, records made without a socket). */
  set upstreamAddr(addr: string) {
    this.#upstreamAddr = addr;
  }
  /** Phase times in ms since {@linkcode Exchange.started}; -1 where the phase was not reached. */
  readonly times: ExchangeTimes = { head: -1, connect: -1, sent: -1, firstByte: -1 };

  /** Method, once the request head is parsed. */
  method = "-";
  /** Request target as received. */
  target = "-";
  /** Final status sent to the client (0 when none was). */
  status = 0;
  /** Why it ended, when not normally. */
  reason: Reason | null = null;
  /** The authenticated proxy user, when --auth-file is on. */
  user: string | null = null;
  /** Whether a response head went to the client (errors after that can only close). */
  responseStarted = false;
  /** Start time (ms, the turn-cached `performance.now()` of clock.ts). */
  readonly started: number = now();

  /** Creates the record for exchange `seq` of a connection. */
  constructor(seq: number) {
    this.seq = seq;
    Exchange.begun++;
  }

  /** Applies `event`; throws on an edge the table does not have. */
  transition(event: Event): State {
    this.state = next(this.state, event);
    this.path.push(this.state);
    return this.state;
  }

  /** Marks a phase as reached now (the first time only). */
  mark(phase: keyof ExchangeTimes): void {
    // a switch of named stores: `times[phase]` with four keys was a megamorphic
    // keyed load and store on every exchange
    const t = this.times;
    switch (phase) {
      case "head":
        if (t.head < 0) t.head = now() - this.started;
        break;
      case "connect":
        if (t.connect < 0) t.connect = now() - this.started;
        break;
      case "sent":
        if (t.sent < 0) t.sent = now() - this.started;
        break;
      case "firstByte":
        if (t.firstByte < 0) t.firstByte = now() - this.started;
        break;
    }
  }

  /** Milliseconds since the exchange began. */
  elapsed(): number {
    return now() - this.started;
  }
}
