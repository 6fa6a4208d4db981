import assert from "node:assert/strict";
import { ByteBuffer } from "../lib/buffer.ts";
import { ProxyError } from "../lib/errors.ts";
import { type Duplex, Endpoint, Exchange, type Side } from "../lib/exchange.ts";
import { ChunkedDecoder } from "../lib/http1/chunked.ts";
import { fill, relayChunked, relayLength, relayUntilClose, send, tunnel } from "../lib/relay.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function b(s: string): Uint8Array {
  return enc.encode(s);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Deterministic pseudo-random bytes. */
function noise(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

interface FakeOptions {
  /** Scripted input chunks, served in order (a chunk larger than the read is split). */
  input?: (Uint8Array | string)[];
  /** Write at most this many bytes per write call. */
  maxWrite?: number;
  /** Throw this from read() once the scripted input is used up (instead of EOF). */
  readError?: Error;
  /** Throw this from write() after this many successful write calls. */
  writeError?: Error;
  writeErrorAfter?: number;
  /** Once the input is used up, wait (instead of EOF) until closeWrite() was called. */
  eofAfterCloseWrite?: boolean;
  /** Once the input is used up, block until close() (then reject like a closed socket). */
  hang?: boolean;
  /** A shared event log. */
  log?: string[];
  /** Name in the log. */
  name?: string;
}

/** An in-memory Duplex: scripted reads, recorded writes. */
class FakeConn implements Duplex {
  readonly input: Uint8Array[];
  /** Copies of the bytes accepted by each write call. */
  readonly writes: Uint8Array[] = [];
  /** The length of the array passed to each write call. */
  readonly writeArgLengths: number[] = [];
  /** The length of the array passed to each read call. */
  readonly readArgLengths: number[] = [];
  closeWriteCalls = 0;
  closeCalls = 0;
  readonly opts: FakeOptions;
  readonly log: string[];
  readonly name: string;
  #wakers: (() => void)[] = [];

  constructor(opts: FakeOptions = {}) {
    this.opts = opts;
    this.input = (opts.input ?? []).map((c) => (typeof c === "string" ? b(c) : c));
    this.log = opts.log ?? [];
    this.name = opts.name ?? "conn";
  }

  /** All bytes written, in order. */
  get written(): Uint8Array {
    return concat(this.writes);
  }

  get writtenText(): string {
    return dec.decode(this.written);
  }

  /** Bytes of the script not read yet. */
  get unread(): string {
    return dec.decode(concat(this.input));
  }

  #wake(): void {
    for (const w of this.#wakers.splice(0)) w();
  }

  async read(p: Uint8Array): Promise<number | null> {
    this.readArgLengths.push(p.length);
    // Let other tasks run between reads, like a real socket would.
    await Promise.resolve();
    for (;;) {
      if (this.closeCalls > 0) throw new Deno.errors.BadResource("closed");
      const chunk = this.input[0];
      if (chunk !== undefined) {
        const n = Math.min(p.length, chunk.length);
        p.set(chunk.subarray(0, n));
        if (n === chunk.length) this.input.shift();
        else this.input[0] = chunk.subarray(n);
        this.log.push(`${this.name}:read ${n}`);
        return n;
      }
      if (this.opts.readError) {
        this.log.push(`${this.name}:read error`);
        throw this.opts.readError;
      }
      if (this.opts.hang || (this.opts.eofAfterCloseWrite && this.closeWriteCalls === 0)) {
        await new Promise<void>((r) => this.#wakers.push(r));
        continue;
      }
      this.log.push(`${this.name}:eof`);
      return null;
    }
  }

  async write(p: Uint8Array): Promise<number> {
    this.writeArgLengths.push(p.length);
    await Promise.resolve();
    if (this.closeCalls > 0) throw new Deno.errors.BadResource("closed");
    if (this.opts.writeError && this.writes.length >= (this.opts.writeErrorAfter ?? 0)) {
      this.log.push(`${this.name}:write error`);
      throw this.opts.writeError;
    }
    const n = Math.min(p.length, this.opts.maxWrite ?? Infinity);
    this.writes.push(p.slice(0, n));
    this.log.push(`${this.name}:write ${n}`);
    return n;
  }

  closeWrite(): Promise<void> {
    this.closeWriteCalls++;
    this.log.push(`${this.name}:closeWrite`);
    this.#wake();
    return Promise.resolve();
  }

  close(): void {
    this.closeCalls++;
    this.log.push(`${this.name}:close`);
    this.#wake();
  }
}

function endpoint(side: Side, opts: FakeOptions = {}, capacity = 16): [Endpoint, FakeConn] {
  const conn = new FakeConn({ name: side, ...opts });
  return [new Endpoint(conn, new ByteBuffer(capacity), side), conn];
}

/** Puts bytes into an endpoint's buffer as if read earlier. */
function preload(ep: Endpoint, s: string | Uint8Array): void {
  const bytes = typeof s === "string" ? b(s) : s;
  ep.buf.free().set(bytes);
  ep.buf.commit(bytes.length);
}

function bufText(ep: Endpoint): string {
  return dec.decode(ep.buf.data());
}

async function rejectsProxy(
  p: Promise<unknown>,
  status: number,
  reason: string,
  msg?: RegExp,
): Promise<ProxyError> {
  let caught: unknown;
  await assert.rejects(p, (e: unknown) => {
    caught = e;
    return true;
  });
  assert.ok(caught instanceof ProxyError, `expected ProxyError, got ${caught}`);
  assert.equal(caught.status, status);
  assert.equal(caught.reason, reason);
  if (msg) assert.match(caught.message, msg);
  return caught;
}

/** Decodes a whole chunked body; asserts it ends exactly at the end of `bytes`. */
function dechunkAll(bytes: Uint8Array): Uint8Array {
  const d = new ChunkedDecoder();
  const parts: Uint8Array[] = [];
  let pos = 0;
  while (!d.done) {
    assert.ok(pos < bytes.length, "chunked body ends before its last chunk");
    pos = d.decode(bytes, pos, bytes.length);
    if (d.dataEnd > d.dataStart) parts.push(bytes.slice(d.dataStart, d.dataEnd));
  }
  assert.equal(pos, bytes.length, "bytes after the end of the chunked body");
  return concat(parts);
}

// ---------------------------------------------------------------------------
// fill

Deno.test("fill: reads into the free space and counts client bytes", async () => {
  const ex = new Exchange(1);
  const [ep, conn] = endpoint("client", { input: ["hello"] });
  assert.equal(await fill(ep, ex), 5);
  assert.equal(bufText(ep), "hello");
  assert.equal(ex.clientRead, 5);
  assert.equal(ex.serverRead, 0);
  assert.deepEqual(conn.readArgLengths, [16]);
  assert.equal(ep.eof, false);
});

Deno.test("fill: counts upstream bytes as serverRead", async () => {
  const ex = new Exchange(1);
  const [ep] = endpoint("upstream", { input: ["abc", "de"] });
  assert.equal(await fill(ep, ex), 3);
  assert.equal(await fill(ep, ex), 2);
  assert.equal(bufText(ep), "abcde");
  assert.equal(ex.serverRead, 5);
  assert.equal(ex.clientRead, 0);
});

Deno.test("fill: reads at most the free space and appends after unread bytes", async () => {
  const ex = new Exchange(1);
  const [ep, conn] = endpoint("client", { input: ["0123456789abcdefXYZ"] });
  preload(ep, "pre");
  assert.equal(await fill(ep, ex), 13);
  assert.equal(bufText(ep), "pre0123456789abc");
  assert.deepEqual(conn.readArgLengths, [13]);
  assert.equal(conn.unread, "defXYZ");
});

Deno.test("fill: compacts a buffer whose tail is full before reading", async () => {
  const ex = new Exchange(1);
  const [ep] = endpoint("client", { input: ["xyz"] });
  preload(ep, "0123456789abcdef");
  ep.buf.consume(10);
  assert.equal(await fill(ep, ex), 3);
  assert.equal(bufText(ep), "abcdefxyz");
  assert.equal(ep.buf.start, 0);
});

Deno.test("fill: returns 0 and sets eof at end of stream", async () => {
  const ex = new Exchange(1);
  const [ep] = endpoint("upstream");
  assert.equal(await fill(ep, ex), 0);
  assert.equal(ep.eof, true);
  assert.equal(ep.buf.length, 0);
  assert.equal(ex.serverRead, 0);
});

Deno.test("fill: a full buffer is a RangeError, not a read of 0 bytes", async () => {
  const ex = new Exchange(1);
  const [ep, conn] = endpoint("client", { input: ["more"] });
  preload(ep, "0123456789abcdef");
  await assert.rejects(fill(ep, ex), RangeError);
  assert.deepEqual(conn.readArgLengths, []);
});

Deno.test("fill: a read error on the client side is ProxyError 400 client-closed", async () => {
  const ex = new Exchange(1);
  const cause = new Deno.errors.ConnectionReset("reset");
  const [ep] = endpoint("client", { readError: cause });
  const err = await rejectsProxy(fill(ep, ex), 400, "client-closed", /Client connection failed/);
  assert.equal(err.cause, cause);
});

Deno.test("fill: a read error on the upstream side is ProxyError 502 upstream-closed", async () => {
  const ex = new Exchange(1);
  const cause = new Error("boom");
  const [ep] = endpoint("upstream", { readError: cause });
  const err = await rejectsProxy(fill(ep, ex), 502, "upstream-closed", /Upstream connection/);
  assert.equal(err.cause, cause);
});

// ---------------------------------------------------------------------------
// send

Deno.test("send: writes everything to upstream in one call and counts it", async () => {
  const ex = new Exchange(1);
  const [ep, conn] = endpoint("upstream");
  await send(ep, b("0123456789"), ex);
  assert.equal(conn.writtenText, "0123456789");
  assert.equal(conn.writes.length, 1);
  assert.equal(ex.serverToWrite, 10);
  assert.equal(ex.serverWritten, 10);
  assert.equal(ex.clientWritten, 0);
});

Deno.test("send: partial writes loop over the rest", async () => {
  const ex = new Exchange(1);
  const [ep, conn] = endpoint("upstream", { maxWrite: 3 });
  await send(ep, b("0123456789"), ex);
  assert.equal(conn.writtenText, "0123456789");
  assert.deepEqual(conn.writeArgLengths, [10, 7, 4, 1]);
  assert.deepEqual(conn.writes.map((w) => w.length), [3, 3, 3, 1]);
  assert.equal(ex.serverToWrite, 10);
  assert.equal(ex.serverWritten, 10);
});

Deno.test("send: client writes count clientWritten only", async () => {
  const ex = new Exchange(1);
  const [ep, conn] = endpoint("client", { maxWrite: 4 });
  await send(ep, b("abcdefghij"), ex);
  await send(ep, b("kl"), ex);
  assert.equal(conn.writtenText, "abcdefghijkl");
  assert.equal(ex.clientWritten, 12);
  assert.equal(ex.serverToWrite, 0);
  assert.equal(ex.serverWritten, 0);
});

Deno.test("send: counters accumulate across calls", async () => {
  const ex = new Exchange(1);
  const [ep] = endpoint("upstream", { maxWrite: 2 });
  await send(ep, b("abc"), ex);
  await send(ep, b("defg"), ex);
  assert.equal(ex.serverToWrite, 7);
  assert.equal(ex.serverWritten, 7);
});

Deno.test("send: an empty array writes nothing", async () => {
  const ex = new Exchange(1);
  const [ep, conn] = endpoint("upstream");
  await send(ep, new Uint8Array(0), ex);
  assert.equal(conn.writeArgLengths.length, 0);
  assert.equal(ex.serverToWrite, 0);
});

Deno.test("send: a write error mid-way is a ProxyError; counters show what was written", async () => {
  const ex = new Exchange(1);
  const cause = new Deno.errors.BrokenPipe("pipe");
  const [ep, conn] = endpoint("upstream", { maxWrite: 4, writeError: cause, writeErrorAfter: 2 });
  const err = await rejectsProxy(
    send(ep, b("0123456789"), ex),
    502,
    "upstream-closed",
    /Upstream connection failed while writing/,
  );
  assert.equal(err.cause, cause);
  assert.equal(conn.writtenText, "01234567");
  assert.equal(ex.serverToWrite, 10);
  assert.equal(ex.serverWritten, 8);
});

Deno.test("send: a client write error is 400 client-closed", async () => {
  const ex = new Exchange(1);
  const [ep] = endpoint("client", { writeError: new Error("x") });
  await rejectsProxy(send(ep, b("a"), ex), 400, "client-closed");
  assert.equal(ex.clientWritten, 0);
});

// ---------------------------------------------------------------------------
// relayLength

Deno.test("relayLength: buffered bytes first, then reads; leftover stays buffered", async () => {
  const ex = new Exchange(1);
  const body = "abcdefghijklmnopqrstuvwxyz0123456789ABCD"; // 40 bytes
  const next = "GET / HTTP/1.1\r\n";
  const [from, fromConn] = endpoint("client", { input: [body.slice(5) + next] });
  const [to, toConn] = endpoint("upstream", { maxWrite: 7 });
  preload(from, body.slice(0, 5));
  await relayLength(from, to, 40, ex);
  assert.equal(toConn.writtenText, body);
  // The 5 buffered bytes go out before any read; then three reads of 16 bytes:
  // the last one holds the body's last 3 bytes and 13 of the next request.
  assert.deepEqual(fromConn.readArgLengths, [16, 16, 16]);
  assert.deepEqual(toConn.writes.slice(0, 1).map((w) => dec.decode(w)), ["abcde"]);
  assert.equal(bufText(from), next.slice(0, 13));
  assert.equal(fromConn.unread, next.slice(13));
  assert.equal(ex.clientRead, 48);
  assert.equal(ex.serverToWrite, 40);
  assert.equal(ex.serverWritten, 40);
  assert.equal(from.eof, false);
});

Deno.test("relayLength: a body entirely in the buffer needs no read", async () => {
  const ex = new Exchange(1);
  const [from, fromConn] = endpoint("upstream", { input: ["never"] });
  const [to, toConn] = endpoint("client");
  preload(from, "HelloWorld");
  await relayLength(from, to, 5, ex);
  assert.equal(toConn.writtenText, "Hello");
  assert.equal(bufText(from), "World");
  assert.deepEqual(fromConn.readArgLengths, []);
  assert.equal(ex.clientWritten, 5);
});

Deno.test("relayLength: length 0 copies nothing", async () => {
  const ex = new Exchange(1);
  const [from, fromConn] = endpoint("client", { input: ["x"] });
  const [to, toConn] = endpoint("upstream");
  await relayLength(from, to, 0, ex);
  assert.equal(toConn.writes.length, 0);
  assert.deepEqual(fromConn.readArgLengths, []);
});

Deno.test("relayLength: a large body through a tiny buffer with partial writes", async () => {
  const ex = new Exchange(1);
  const body = noise(5000, 7);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < body.length; i += 333) chunks.push(body.subarray(i, i + 333));
  const [from] = endpoint("upstream", { input: [...chunks, b("tail")] });
  const [to, toConn] = endpoint("client", { maxWrite: 5 });
  await relayLength(from, to, body.length, ex);
  assert.deepEqual(toConn.written, body);
  assert.equal(ex.clientWritten, 5000);
  assert.equal(ex.serverRead, 5000);
  assert.equal(from.buf.length, 0);
});

Deno.test("relayLength: premature EOF from the client is 400 client-closed", async () => {
  const ex = new Exchange(1);
  const [from] = endpoint("client", { input: ["0123456789"] });
  const [to, toConn] = endpoint("upstream");
  await rejectsProxy(
    relayLength(from, to, 30, ex),
    400,
    "client-closed",
    /closed with 20 of 30 body bytes still to come/,
  );
  assert.equal(toConn.writtenText, "0123456789");
  assert.equal(from.eof, true);
});

Deno.test("relayLength: premature EOF from upstream is 502 upstream-closed", async () => {
  const ex = new Exchange(1);
  const [from] = endpoint("upstream", { input: ["abc"] });
  const [to, toConn] = endpoint("client");
  preload(from, "12");
  await rejectsProxy(
    relayLength(from, to, 10, ex),
    502,
    "upstream-closed",
    /Upstream connection closed with 5 of 10/,
  );
  assert.equal(toConn.writtenText, "12abc");
});

// ---------------------------------------------------------------------------
// relayChunked

const CHUNKED_BODY = "5\r\nhello\r\n" +
  "1a;name=value\r\nabcdefghijklmnopqrstuvwxyz\r\n" +
  "3\r\n\r\n\r\r\n" +
  "0\r\nExpires: never\r\nX-T: 1\r\n\r\n";
const CHUNKED_DATA = "hello" + "abcdefghijklmnopqrstuvwxyz" + "\r\n\r";

Deno.test("relayChunked: pass-through copies the body bytes exactly; leftover stays", async () => {
  const ex = new Exchange(1);
  const next = "NEXT REQUEST";
  const [from, fromConn] = endpoint("client", { input: [CHUNKED_BODY + next] });
  const [to, toConn] = endpoint("upstream", { maxWrite: 5 });
  await relayChunked(from, to, new ChunkedDecoder(), false, ex);
  assert.equal(toConn.writtenText, CHUNKED_BODY);
  // Leftover: what was read past the body is still buffered, the rest unread.
  assert.equal(bufText(from) + fromConn.unread, next);
  assert.ok(from.buf.length > 0);
  assert.equal(ex.serverWritten, CHUNKED_BODY.length);
  assert.equal(ex.serverToWrite, CHUNKED_BODY.length);
});

Deno.test("relayChunked: pass-through of a body fully buffered with a pipelined request", async () => {
  const ex = new Exchange(1);
  const body = "3\r\nabc\r\n0\r\n\r\n";
  const [from, fromConn] = endpoint("client", {}, 64);
  const [to, toConn] = endpoint("upstream");
  preload(from, body + "GET /2");
  await relayChunked(from, to, new ChunkedDecoder(), false, ex);
  assert.equal(toConn.writtenText, body);
  assert.equal(bufText(from), "GET /2");
  assert.deepEqual(fromConn.readArgLengths, []);
});

Deno.test("relayChunked: dechunk sends only the data; leftover stays", async () => {
  const ex = new Exchange(1);
  const [from, fromConn] = endpoint("upstream", { input: [CHUNKED_BODY, "LEFT"] });
  const [to, toConn] = endpoint("client", { maxWrite: 3 });
  await relayChunked(from, to, new ChunkedDecoder({}, true), true, ex);
  assert.equal(toConn.writtenText, CHUNKED_DATA);
  assert.equal(ex.clientWritten, CHUNKED_DATA.length);
  assert.equal(bufText(from) + fromConn.unread, "LEFT");
});

Deno.test("relayChunked: the same decoder and buffer relay two bodies back to back", async () => {
  const ex = new Exchange(1);
  const one = "4\r\nwxyz\r\n0\r\n\r\n";
  const two = "a\r\n0123456789\r\n2\r\nab\r\n0\r\n\r\n";
  const [from] = endpoint("client", { input: [one + two + "!"] });
  const [to1, c1] = endpoint("upstream");
  const [to2, c2] = endpoint("upstream");
  const decoder = new ChunkedDecoder();
  await relayChunked(from, to1, decoder, false, ex);
  await relayChunked(from, to2, decoder, false, ex);
  assert.equal(c1.writtenText, one);
  assert.equal(c2.writtenText, two);
  assert.equal(decoder.bodyBytes, 12);
});

Deno.test("relayChunked: a large random body, dechunked and passed through", async () => {
  const data = noise(3000, 3);
  const parts: Uint8Array[] = [];
  for (let i = 0, k = 1; i < data.length; k = (k * 7) % 401 + 1) {
    const piece = data.subarray(i, i + k);
    parts.push(b(piece.length.toString(16) + "\r\n"), piece, b("\r\n"));
    i += piece.length;
  }
  parts.push(b("0\r\n\r\n"));
  const wire = concat(parts);

  const ex = new Exchange(1);
  const [from1] = endpoint("upstream", { input: [wire] });
  const [to1, out1] = endpoint("client", { maxWrite: 17 });
  await relayChunked(from1, to1, new ChunkedDecoder({}, true), true, ex);
  assert.deepEqual(out1.written, data);

  const [from2] = endpoint("upstream", { input: [wire] });
  const [to2, out2] = endpoint("client", { maxWrite: 17 });
  await relayChunked(from2, to2, new ChunkedDecoder({}, true), false, ex);
  assert.deepEqual(out2.written, wire);
});

Deno.test("relayChunked: EOF in the middle is client-closed / upstream-closed", async () => {
  const ex = new Exchange(1);
  const [c] = endpoint("client", { input: ["5\r\nhel"] });
  const [u1] = endpoint("upstream");
  await rejectsProxy(
    relayChunked(c, u1, new ChunkedDecoder(), false, ex),
    400,
    "client-closed",
    /in the middle of a chunked body/,
  );
  const [u] = endpoint("upstream", { input: ["5\r\nhello\r\n"] });
  const [c2] = endpoint("client");
  await rejectsProxy(
    relayChunked(u, c2, new ChunkedDecoder({}, true), true, ex),
    502,
    "upstream-closed",
  );
});

Deno.test("relayChunked: a framing error from the decoder propagates", async () => {
  const ex = new Exchange(1);
  const [from] = endpoint("client", { input: ["zz\r\n"] });
  const [to, toConn] = endpoint("upstream");
  await rejectsProxy(relayChunked(from, to, new ChunkedDecoder(), false, ex), 400, "bad-chunk");
  assert.equal(toConn.writes.length, 0);
});

// ---------------------------------------------------------------------------
// relayUntilClose

Deno.test("relayUntilClose: raw copies buffered bytes then everything until EOF", async () => {
  const ex = new Exchange(1);
  const rest = "0123456789".repeat(7);
  const [from, fromConn] = endpoint("upstream", { input: [rest.slice(0, 30), rest.slice(30)] });
  const [to, toConn] = endpoint("client", { maxWrite: 6 });
  preload(from, "head-bytes");
  await relayUntilClose(from, to, false, ex);
  assert.equal(toConn.writtenText, "head-bytes" + rest);
  assert.equal(from.eof, true);
  assert.equal(from.buf.length, 0);
  assert.equal(ex.serverRead, rest.length);
  assert.equal(ex.clientWritten, 10 + rest.length);
  // Reads go straight into the whole buffer.
  assert.ok(fromConn.readArgLengths.every((n) => n === 16));
});

Deno.test("relayUntilClose: raw with nothing at all", async () => {
  const ex = new Exchange(1);
  const [from] = endpoint("upstream");
  const [to, toConn] = endpoint("client");
  await relayUntilClose(from, to, false, ex);
  assert.equal(toConn.written.length, 0);
  assert.equal(from.eof, true);
});

Deno.test("relayUntilClose: rechunk produces a valid chunked body with the same data", async () => {
  const ex = new Exchange(1);
  const data = noise(1000, 11);
  const chunks: Uint8Array[] = [];
  for (let i = 0, k = 3; i < data.length; k = (k * 5) % 97 + 1) {
    chunks.push(data.subarray(i, i + k));
    i += k;
  }
  const [from] = endpoint("upstream", { input: chunks }, 64);
  const [to, toConn] = endpoint("client", { maxWrite: 9 });
  preload(from, "early");
  await relayUntilClose(from, to, true, ex);
  const out = toConn.written;
  assert.equal(dec.decode(out.subarray(out.length - 5)), "0\r\n\r\n");
  assert.deepEqual(dechunkAll(out), concat([b("early"), data]));
  assert.equal(ex.serverRead, 1000);
  assert.equal(ex.clientWritten, out.length);
  assert.equal(from.eof, true);
});

Deno.test("relayUntilClose: rechunk exact framing for small reads", async () => {
  const ex = new Exchange(1);
  const [from] = endpoint("upstream", { input: ["abc", "0123456789abcdefXYZ"] }, 64);
  const [to, toConn] = endpoint("client");
  await relayUntilClose(from, to, true, ex);
  assert.equal(toConn.writtenText, "3\r\nabc\r\n13\r\n0123456789abcdefXYZ\r\n0\r\n\r\n");
});

Deno.test("relayUntilClose: rechunk of an empty body is just the last chunk", async () => {
  const ex = new Exchange(1);
  const [from] = endpoint("upstream", {}, 64);
  const [to, toConn] = endpoint("client");
  await relayUntilClose(from, to, true, ex);
  assert.equal(toConn.writtenText, "0\r\n\r\n");
});

Deno.test("relayUntilClose: rechunk never reads more than fits between the reserve and CRLF", async () => {
  const ex = new Exchange(1);
  const big = "x".repeat(200);
  const [from, fromConn] = endpoint("upstream", { input: [big] }, 64);
  const [to, toConn] = endpoint("client");
  await relayUntilClose(from, to, true, ex);
  assert.ok(fromConn.readArgLengths.every((n) => n === 64 - 16 - 2), `${fromConn.readArgLengths}`);
  assert.equal(dec.decode(dechunkAll(toConn.written)), big);
});

// A read may return 0 bytes (only `null` is end of stream): no zero-size chunk may
// come out of it, since "0\r\n\r\n" would end the body early.
Deno.test({
  name: "relayUntilClose: rechunk skips a 0-byte read instead of ending the body",
  fn: async () => {
    const ex = new Exchange(1);
    const [from] = endpoint("upstream", { input: ["abc", new Uint8Array(0), "def"] }, 64);
    const [to, toConn] = endpoint("client");
    await relayUntilClose(from, to, true, ex);
    assert.equal(toConn.writtenText, "3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n");
  },
});

Deno.test("relayUntilClose: a read error is upstream-closed and no last chunk is sent", async () => {
  const ex = new Exchange(1);
  const [from] = endpoint("upstream", { input: ["abc"], readError: new Error("reset") }, 64);
  const [to, toConn] = endpoint("client");
  await rejectsProxy(relayUntilClose(from, to, true, ex), 502, "upstream-closed");
  assert.equal(toConn.writtenText, "3\r\nabc\r\n");
});

// ---------------------------------------------------------------------------
// tunnel

Deno.test("tunnel: copies both ways and passes each EOF on as a half-close", async () => {
  const ex = new Exchange(1);
  const log: string[] = [];
  const up = "client says hello, this is longer than the buffer";
  const down = "server answers with a reply that is also long enough";
  const [client, cConn] = endpoint("client", { input: [up], log, maxWrite: 5 });
  // The server only ends its stream once it saw the client's FIN.
  const [server, sConn] = endpoint("upstream", {
    input: [down],
    log,
    maxWrite: 7,
    eofAfterCloseWrite: true,
  });
  await tunnel(client, server, ex);
  assert.equal(sConn.writtenText, up);
  assert.equal(cConn.writtenText, down);
  assert.equal(sConn.closeWriteCalls, 1);
  assert.equal(cConn.closeWriteCalls, 1);
  assert.equal(cConn.closeCalls, 0);
  assert.equal(sConn.closeCalls, 0);
  assert.ok(log.indexOf("upstream:closeWrite") > log.indexOf("client:eof"));
  assert.ok(log.indexOf("client:closeWrite") > log.indexOf("upstream:eof"));
  assert.ok(log.indexOf("upstream:eof") > log.indexOf("upstream:closeWrite"));
  assert.equal(ex.clientRead, up.length);
  assert.equal(ex.serverToWrite, up.length);
  assert.equal(ex.serverWritten, up.length);
  assert.equal(ex.serverRead, down.length);
  assert.equal(ex.clientWritten, down.length);
});

Deno.test("tunnel: bytes already buffered on either side go first", async () => {
  const ex = new Exchange(1);
  const [client, cConn] = endpoint("client", { input: ["-more-up"] });
  const [server, sConn] = endpoint("upstream", { input: ["-more-down"] });
  preload(client, "early-up");
  preload(server, "early-dn");
  await tunnel(client, server, ex);
  assert.equal(sConn.writtenText, "early-up-more-up");
  assert.equal(cConn.writtenText, "early-dn-more-down");
  assert.equal(client.buf.length, 0);
  assert.equal(server.buf.length, 0);
});

Deno.test("tunnel: binary data of many buffers is copied intact both ways", async () => {
  const ex = new Exchange(1);
  const up = noise(2000, 5);
  const down = noise(3000, 9);
  const split = (d: Uint8Array) => [d.subarray(0, 777), d.subarray(777, 1500), d.subarray(1500)];
  const [client, cConn] = endpoint("client", { input: split(up), maxWrite: 13 });
  const [server, sConn] = endpoint("upstream", { input: split(down), maxWrite: 11 });
  await tunnel(client, server, ex);
  assert.deepEqual(sConn.written, up);
  assert.deepEqual(cConn.written, down);
});

Deno.test("tunnel: a read error on one side closes both and rejects", async () => {
  const ex = new Exchange(1);
  const log: string[] = [];
  const cause = new Deno.errors.ConnectionReset("reset");
  const [client, cConn] = endpoint("client", { input: ["partial"], readError: cause, log });
  // The server never sends anything nor closes: only the close() ends its read.
  const [server, sConn] = endpoint("upstream", { hang: true, log });
  const err = await rejectsProxy(tunnel(client, server, ex), 400, "client-closed");
  assert.equal(err.cause, cause);
  assert.equal(client.closed, true);
  assert.equal(server.closed, true);
  assert.equal(cConn.closeCalls, 1);
  assert.equal(sConn.closeCalls, 1);
  assert.equal(sConn.writtenText, "partial");
  // No half-close is sent after an error.
  assert.equal(sConn.closeWriteCalls, 0);
});

Deno.test("tunnel: a write error on the upstream side closes both and rejects", async () => {
  const ex = new Exchange(1);
  const [client, cConn] = endpoint("client", { input: ["data"], hang: true });
  const [server, sConn] = endpoint("upstream", {
    input: ["reply"],
    hang: true,
    writeError: new Deno.errors.BrokenPipe("pipe"),
  });
  await rejectsProxy(tunnel(client, server, ex), 502, "upstream-closed", /writing/);
  assert.equal(cConn.closeCalls, 1);
  assert.equal(sConn.closeCalls, 1);
});

Deno.test("tunnel: an error from closeWrite is ignored", async () => {
  const ex = new Exchange(1);
  const [client, cConn] = endpoint("client", { input: ["a"] });
  const [server, sConn] = endpoint("upstream", { input: ["b"] });
  sConn.closeWrite = () => Promise.reject(new Deno.errors.NotConnected("gone"));
  await tunnel(client, server, ex);
  assert.equal(sConn.writtenText, "a");
  assert.equal(cConn.writtenText, "b");
  assert.equal(cConn.closeWriteCalls, 1);
});
