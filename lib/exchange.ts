/**
 * The per-exchange record (after Squid's request_info): its state, the two
 * endpoints with their buffers, five byte counters, timings and how it ended.
 *
 * @module
 */

import type { ByteBuffer } from "./buffer.ts";
import { now } from "./clock.ts";
import type { Reason } from "./errors.ts";
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
  pending: Promise<number | null> | null = null;

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

  /** Milliseconds since the exchange began. */
  elapsed(): number {
    return now() - this.started;
  }
}
