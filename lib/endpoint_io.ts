/**
 * One read into an endpoint's buffer, one whole write from bytes, with the
 * bookkeeping of each (the exchange's byte counters, a small buffer's growth,
 * socket errors as {@linkcode ProxyError}s naming the side). The async
 * readers of heads await the runtime's own promise ({@linkcode readInto}) and
 * book what came ({@linkcode filled}); {@linkcode fill} is the two with a
 * chained promise, for everyone else.
 *
 * @module
 */

import { type ByteBuffer, DEFAULT_BUFFER_SIZE as MAX_BUFFER_SIZE } from "./buffer.ts";
import { ProxyError } from "./errors.ts";
import type { Endpoint, Exchange } from "./exchange.ts";
import { readSome, writeSome } from "./socket_ops.ts";

/** The error for `ep`'s connection that `what` (failed, closed early): 400 client-closed or 502 upstream-closed. */
export function lost(ep: Endpoint, what: string, cause?: unknown): ProxyError {
  return ep.side === "client"
    ? new ProxyError(400, "client-closed", `Client connection ${what}`, { cause })
    : new ProxyError(502, "upstream-closed", `Upstream connection ${what}`, { cause });
}

/** Grows a small buffer 4x, up to 64 KiB. */
function grow(buf: ByteBuffer): void {
  buf.ensure(Math.min(buf.capacity * 4, MAX_BUFFER_SIZE));
}

/** A read into a buffer that is full and cannot grow (a head or chunk line too long for it). */
class BufferFull extends RangeError {}

/**
 * Starts one read from `ep` into its buffer's free space and answers the
 * runtime's own promise of the bytes read (0 at end of stream), for an async
 * caller to await and book with {@linkcode filled}: no promise chained in
 * between. A buffer smaller than 64 KiB (a client's starts at 4 KiB, so idle
 * connections stay cheap) grows when a read fills it or it is full. A
 * rejection is the runtime's error: {@linkcode readFailure} names the side.
 */
export function readInto(ep: Endpoint): Promise<number> {
  const buf = ep.buf;
  let free = buf.free();
  if (free.length === 0) {
    if (buf.capacity >= MAX_BUFFER_SIZE) {
      return Promise.reject(new BufferFull("Cannot read: buffer full"));
    }
    grow(buf);
    free = buf.free();
  }
  ep.room = free.length;
  if (ep.pending !== null) {
    // a pooled connection's watch read landed at the start of the (empty) buffer
    const read = ep.pending;
    ep.pending = null;
    return read;
  }
  try {
    return readSome(ep.conn, free);
  } catch (err) {
    return Promise.reject(err);
  }
}

/** The error a failed {@linkcode readInto} stands for: a {@linkcode ProxyError} naming the side. */
export function readFailure(ep: Endpoint, err: unknown): unknown {
  return err instanceof BufferFull ? err : lost(ep, "failed while reading", err);
}

/**
 * Reads once from `ep` into its buffer's free space ({@linkcode readInto}),
 * and books what came ({@linkcode filled}). Returns the bytes read, 0 at end
 * of stream. Socket errors become {@linkcode ProxyError}s naming the side.
 */
export function fill(ep: Endpoint, ex: Exchange): Promise<number> {
  // no async frame: the reads of the body loops cost one reaction each
  return readInto(ep).then(
    (n) => filled(ep, ex, n),
    (err) => Promise.reject(readFailure(ep, err)),
  );
}

/** Books `n` bytes read into `ep`'s buffer by {@linkcode readInto} (0: end of stream); answers `n`. */
export function filled(ep: Endpoint, ex: Exchange, n: number): number {
  if (n === 0) {
    ep.eof = true;
    return 0;
  }
  const buf = ep.buf;
  buf.commit(n);
  if (ep.side === "client") ex.clientRead += n;
  else {
    if (ex.serverRead === 0) ex.mark("firstByte");
    ex.serverRead += n;
  }
  // a small (client) buffer that a read filled is carrying a body or a tunnel:
  // grow it once, so bulk data moves in 64 KiB windows
  if (n === ep.room && buf.capacity < MAX_BUFFER_SIZE) grow(buf);
  return n;
}

/** Books `n` bytes written to `ep` in the exchange's counters. */
function booked(ep: Endpoint, ex: Exchange, n: number): void {
  if (ep.side === "upstream") ex.serverWritten += n;
  else ex.clientWritten += n;
}

/** Writes all of `bytes` to `ep`. */
export function send(ep: Endpoint, bytes: Uint8Array, ex: Exchange): Promise<void> {
  if (ep.side === "upstream") ex.serverToWrite += bytes.length;
  if (bytes.length === 0) return Promise.resolve();
  let write: Promise<number>;
  try {
    write = writeSome(ep.conn, bytes);
  } catch (err) {
    return Promise.reject(lost(ep, "failed while writing", err));
  }
  // no async frame: the hot path's writes cost one reaction each
  return write.then(
    (n) => {
      booked(ep, ex, n);
      return n < bytes.length ? sendRest(ep, bytes, n, ex) : undefined;
    },
    (err) => Promise.reject(lost(ep, "failed while writing", err)),
  );
}

/** The rest of `send`, after a short write of `off` bytes. */
async function sendRest(ep: Endpoint, bytes: Uint8Array, off: number, ex: Exchange): Promise<void> {
  while (off < bytes.length) {
    let n: number;
    try {
      n = await writeSome(ep.conn, bytes.subarray(off));
    } catch (err) {
      throw lost(ep, "failed while writing", err);
    }
    off += n;
    booked(ep, ex, n);
  }
}
