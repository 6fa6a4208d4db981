/**
 * Bounded copy loops between two endpoints: read one window into the source's
 * buffer, write it, read the next. Memory is one buffer per endpoint whatever
 * the body size, and a slow reader slows the writer (backpressure). Every byte
 * is counted in the exchange record.
 *
 * @module
 */

import { fill, lost, send } from "./endpoint_io.ts";
import type { Endpoint, Exchange } from "./exchange.ts";
import { type ChunkedDecoder, CRLF, LAST_CHUNK, writeChunkSize } from "./http1/chunked.ts";
import type { BodyMode } from "./http1/forward.ts";
import { readSome } from "./socket_ops.ts";

/**
 * Receives each body window as it is relayed, after it went to the client
 * (the cache's fill keeps a copy). Framing bytes never reach it.
 */
export interface BodySink {
  /** A window of body bytes; valid only during the call (copy what you keep). */
  write(bytes: Uint8Array): void;
}

/** Room kept before the data for a chunk-size line when re-chunking. */
const CHUNK_RESERVE = 16;

/**
 * Copies exactly `length` body bytes from `from` (buffered bytes first) to
 * `to`. The first `lead` buffered bytes are not body (a head put in front with
 * `ByteBuffer.prepend`): they go out with the first body bytes, in one write.
 */
export function relayLength(
  from: Endpoint,
  to: Endpoint,
  length: number,
  ex: Exchange,
  lead = 0,
  sink: BodySink | null = null,
): Promise<void> {
  const buf = from.buf;
  if (lead > 0 && buf.length - lead >= length) {
    // the usual small response: head and whole body are buffered, one write
    const all = buf.view(buf.start, buf.start + lead + length);
    if (sink === null) {
      // consumed before the write settles: nothing reads into this buffer until
      // the exchange is over, so its bytes stay as they are while they go out
      buf.consume(lead + length);
      return send(to, all, ex);
    }
    return send(to, all, ex).then(() => {
      sink.write(all.subarray(lead));
      buf.consume(lead + length);
    });
  }
  return relayLengthLoop(from, to, length, ex, lead, sink);
}

async function relayLengthLoop(
  from: Endpoint,
  to: Endpoint,
  length: number,
  ex: Exchange,
  lead: number,
  sink: BodySink | null,
): Promise<void> {
  let left = length;
  const buf = from.buf;
  if (lead > 0) {
    const n = lead + Math.min(left, buf.length - lead);
    await send(to, buf.bytes.subarray(buf.start, buf.start + n), ex);
    sink?.write(buf.bytes.subarray(buf.start + lead, buf.start + n));
    buf.consume(n);
    left -= n - lead;
  }
  while (left > 0) {
    if (buf.length === 0 && (await fill(from, ex)) === 0) {
      throw lost(from, `closed with ${left} of ${length} body bytes still to come`);
    }
    const n = Math.min(left, buf.length);
    await send(to, buf.bytes.subarray(buf.start, buf.start + n), ex);
    sink?.write(buf.bytes.subarray(buf.start, buf.start + n));
    buf.consume(n);
    left -= n;
  }
}

/**
 * Copies a chunked body. With `dechunk` only the data goes out (for an HTTP/1.0
 * client); otherwise the bytes go out as received, their framing checked, the
 * first `lead` buffered bytes (a prepended head) with them.
 */
export async function relayChunked(
  from: Endpoint,
  to: Endpoint,
  decoder: ChunkedDecoder,
  dechunk: boolean,
  ex: Exchange,
  lead = 0,
  sink: BodySink | null = null,
): Promise<void> {
  const buf = from.buf;
  decoder.reset();
  // `held`: framing bytes already decoded but kept in the buffer, unsent, until
  // their line is complete (see ChunkedDecoder.pendingFraming)
  let held = 0;
  while (!decoder.done) {
    if (buf.length === lead + held && (await fill(from, ex)) === 0) {
      throw lost(from, "closed in the middle of a chunked body");
    }
    const bytes = buf.bytes;
    const start = buf.start;
    let pos = start + lead + held;
    if (dechunk) {
      while (pos < buf.end && !decoder.done) {
        pos = decoder.decode(bytes, pos, buf.end);
        if (decoder.dataEnd > decoder.dataStart) {
          const data = bytes.subarray(decoder.dataStart, decoder.dataEnd);
          await send(to, data, ex);
          sink?.write(data);
        }
      }
      buf.consume(pos - start);
    } else {
      while (pos < buf.end && !decoder.done) {
        pos = decoder.decode(bytes, pos, buf.end);
        // the data seen is kept aside (copied) before anything is sent
        if (sink && decoder.dataEnd > decoder.dataStart) {
          sink.write(bytes.subarray(decoder.dataStart, decoder.dataEnd));
        }
      }
      held = decoder.pendingFraming;
      const safe = pos - held;
      if (safe > start) await send(to, bytes.subarray(start, safe), ex);
      buf.consume(safe - start);
    }
    lead = 0;
  }
}

/**
 * Copies a body that ends when `from` closes. With `rechunk` the data goes out
 * chunked, ending with the last chunk (for a persistent HTTP/1.1 client).
 */
export async function relayUntilClose(
  from: Endpoint,
  to: Endpoint,
  rechunk: boolean,
  ex: Exchange,
  sink: BodySink | null = null,
): Promise<void> {
  const buf = from.buf;
  const head = new Uint8Array(CHUNK_RESERVE);
  if (buf.length > 0) {
    if (rechunk) await send(to, head.subarray(0, writeChunkSize(buf.length, head, 0)), ex);
    await send(to, buf.data(), ex);
    sink?.write(buf.data());
    if (rechunk) await send(to, CRLF, ex);
    buf.clear();
  }
  const bytes = buf.bytes;
  const room = rechunk ? bytes.subarray(CHUNK_RESERVE, bytes.length - 2) : bytes;
  for (;;) {
    let n: number;
    try {
      n = await readSome(from.conn, room);
    } catch (err) {
      throw lost(from, "failed while reading", err);
    }
    if (n === 0) break;
    ex.serverRead += n;
    sink?.write(bytes.subarray(rechunk ? CHUNK_RESERVE : 0, (rechunk ? CHUNK_RESERVE : 0) + n));
    if (!rechunk) {
      await send(to, bytes.subarray(0, n), ex);
      continue;
    }
    const len = writeChunkSize(n, head, 0);
    const at = CHUNK_RESERVE - len;
    bytes.set(head.subarray(0, len), at);
    bytes[CHUNK_RESERVE + n] = 13;
    bytes[CHUNK_RESERVE + n + 1] = 10;
    await send(to, bytes.subarray(at, CHUNK_RESERVE + n + 2), ex);
  }
  from.eof = true;
  if (rechunk) await send(to, LAST_CHUNK, ex);
}

/** One direction of a tunnel; ends with a half-close of `to`. */
async function pump(from: Endpoint, to: Endpoint, ex: Exchange): Promise<void> {
  const buf = from.buf;
  for (;;) {
    if (buf.length === 0 && (await fill(from, ex)) === 0) break;
    await send(to, buf.data(), ex);
    buf.clear();
  }
  try {
    await to.conn.closeWrite();
  } catch {
    // the peer is gone already; the other direction will notice
  }
}

/**
 * Relays bytes both ways until both directions have ended. A FIN from one side
 * is passed on as a half-close; an error on either side closes both.
 */
export async function tunnel(client: Endpoint, server: Endpoint, ex: Exchange): Promise<void> {
  let failure: unknown = null;
  const fail = (err: unknown) => {
    failure ??= err;
    client.close();
    server.close();
  };
  await Promise.all([pump(client, server, ex).catch(fail), pump(server, client, ex).catch(fail)]);
  if (failure) throw failure;
}

/**
 * Sends the response `head` and relays its body from `server` to `client` the
 * way the response plan says: nothing, `length` bytes, chunked as is or
 * de-chunked, or until the origin closes (raw or re-chunked). When body bytes
 * are already buffered and the head fits in front of them, head and first
 * body bytes leave in one write.
 */
export function relayResponseBody(
  mode: BodyMode,
  length: number,
  head: Uint8Array,
  server: Endpoint,
  client: Endpoint,
  decoder: ChunkedDecoder,
  ex: Exchange,
  sink: BodySink | null = null,
): Promise<void> {
  const joinable = mode === "length" || mode === "chunked" || mode === "raw";
  const lead = joinable && server.buf.length > 0 && server.buf.prepend(head) ? head.length : 0;
  if (lead === 0) {
    return send(client, head, ex).then(() =>
      relayBody(mode, length, server, client, decoder, ex, 0, sink)
    );
  }
  // with a lead, the first window is checked (chunk framing) before head and body
  // leave together: a bad first window can still be answered with 502
  return relayBody(mode, length, server, client, decoder, ex, lead, sink);
}

/** The body relay for `mode` (the head went out, or is the first `lead` buffered bytes). */
function relayBody(
  mode: BodyMode,
  length: number,
  server: Endpoint,
  client: Endpoint,
  decoder: ChunkedDecoder,
  ex: Exchange,
  lead: number,
  sink: BodySink | null,
): Promise<void> {
  switch (mode) {
    case "none":
      return Promise.resolve();
    case "length":
      return relayLength(server, client, length, ex, lead, sink);
    case "chunked":
    case "dechunk":
      return relayChunked(server, client, decoder, mode === "dechunk", ex, lead, sink);
    case "raw":
    case "rechunk":
      return relayUntilClose(server, client, mode === "rechunk", ex, sink);
  }
}
