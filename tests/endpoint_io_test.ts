/** lib/endpoint_io.ts: one read into an endpoint's buffer (and its halves), one whole write. */

import assert from "node:assert/strict";
import { Exchange } from "../lib/exchange.ts";
import { ProxyError } from "../lib/errors.ts";
import { fill, filled, readFailure, readInto, send } from "../lib/endpoint_io.ts";
import { b, bufText, endpoint, preload, rejectsProxy } from "./relay_helpers.ts";

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

Deno.test("fill: a full 64 KiB buffer is a RangeError, not a read of 0 bytes", async () => {
  const ex = new Exchange(1);
  const [ep, conn] = endpoint("client", { input: ["more"] });
  ep.buf.ensure(64 * 1024);
  ep.buf.commit(64 * 1024);
  await assert.rejects(fill(ep, ex), RangeError);
  assert.deepEqual(conn.readArgLengths, []);
});

Deno.test("fill: a full small buffer grows 4x (up to 64 KiB) before the read", async () => {
  const ex = new Exchange(1);
  const [ep, conn] = endpoint("client", { input: ["more"] });
  preload(ep, "0123456789abcdef");
  assert.equal(await fill(ep, ex), 4);
  assert.equal(ep.buf.capacity, 64);
  assert.deepEqual(conn.readArgLengths, [48]);
  assert.equal(new TextDecoder().decode(ep.buf.data()), "0123456789abcdefmore");
});

Deno.test("fill: a read that fills a small buffer grows it for the next read", async () => {
  const ex = new Exchange(1);
  const [ep, conn] = endpoint("client", { input: ["0123456789abcdef", "x"] });
  assert.equal(await fill(ep, ex), 16);
  assert.equal(ep.buf.capacity, 64);
  assert.equal(await fill(ep, ex), 1);
  assert.equal(ep.buf.capacity, 64, "a partial read does not grow it");
  assert.deepEqual(conn.readArgLengths, [16, 48]);
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

Deno.test("readInto + filled: the runtime's promise, booked by the caller as fill books it", async () => {
  const ex = new Exchange(1);
  const [ep, conn] = endpoint("upstream", { input: ["0123456789abcdef", "xy"] });
  const n = await readInto(ep);
  assert.equal(ep.room, 16);
  assert.equal(ex.serverRead, 0, "nothing booked until filled");
  assert.equal(filled(ep, ex, n), 16);
  assert.equal(ex.serverRead, 16);
  assert.equal(ep.buf.capacity, 64, "a read that filled the buffer grows it");
  assert.equal(filled(ep, ex, await readInto(ep)), 2);
  assert.equal(bufText(ep), "0123456789abcdefxy");
  assert.deepEqual(conn.readArgLengths, [16, 48]);
  // a pending read (a pooled connection's watch) is handed over, not started again
  ep.buf.clear();
  ep.pending = Promise.resolve(0);
  assert.equal(filled(ep, ex, await readInto(ep)), 0);
  assert.equal(ep.pending, null);
  assert.equal(ep.eof, true);
  assert.deepEqual(conn.readArgLengths, [16, 48]);
});

Deno.test("readFailure: a socket error names the side; a full buffer stays a RangeError", async () => {
  const cause = new Deno.errors.ConnectionReset("reset");
  const [client] = endpoint("client", { readError: cause });
  const err = await readInto(client).catch((e) => readFailure(client, e));
  assert.ok(err instanceof ProxyError);
  assert.equal(err.status, 400);
  assert.equal(err.reason, "client-closed");
  assert.equal(err.cause, cause);
  const [up] = endpoint("upstream", { input: ["more"] });
  up.buf.ensure(64 * 1024);
  up.buf.commit(64 * 1024);
  const full = await readInto(up).catch((e) => readFailure(up, e));
  assert.ok(full instanceof RangeError && !(full instanceof ProxyError));
  assert.match(full.message, /buffer full/);
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

Deno.test("send: a short write's rest follows; client bytes are not upstream bytes; a first write's error names the side", async () => {
  const ex = new Exchange(1);
  const [ep, conn] = endpoint("upstream", { maxWrite: 4 });
  await send(ep, b("0123456789"), ex);
  assert.equal(conn.writtenText, "0123456789");
  assert.equal(ex.serverToWrite, 10);
  assert.equal(ex.serverWritten, 10);
  const [client] = endpoint("client");
  await send(client, b("ab"), ex);
  assert.equal(ex.clientWritten, 2);
  assert.equal(ex.serverToWrite, 10, "client bytes are not upstream bytes");
  const cause = new Deno.errors.BrokenPipe("pipe");
  const [up] = endpoint("upstream", { writeError: cause });
  const err = await send(up, b("x"), ex).catch((e) => e);
  assert.ok(err instanceof ProxyError);
  assert.equal(err.status, 502);
  assert.equal(err.reason, "upstream-closed");
  assert.equal(err.cause, cause);
});
