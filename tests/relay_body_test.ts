/**
 * Relaying message bodies with lib/relay.ts: relayLength, relayChunked
 * (pass-through and dechunk) and relayUntilClose (raw and rechunk).
 */

import assert from "node:assert/strict";
import { Exchange } from "../lib/exchange.ts";
import { ChunkedDecoder } from "../lib/http1/chunked.ts";
import { relayChunked, relayLength, relayUntilClose } from "../lib/relay.ts";
import {
  b,
  bufText,
  concat,
  dec,
  dechunkAll,
  endpoint,
  noise,
  preload,
  rejectsProxy,
} from "./relay_helpers.ts";

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
  // The 5 buffered bytes go out before any read; then a read of 16 bytes fills
  // the small buffer, which grows 4x; the next read (into 64) takes the body's
  // last 19 bytes and all of the next request, which stays buffered.
  assert.deepEqual(fromConn.readArgLengths, [16, 64]);
  assert.equal(from.buf.capacity, 64);
  assert.deepEqual(toConn.writes.slice(0, 1).map((w) => dec.decode(w)), ["abcde"]);
  assert.equal(bufText(from), next);
  assert.equal(fromConn.unread, "");
  assert.equal(ex.clientRead, 51);
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

Deno.test("relayChunked: pass-through never forwards part of a framing line later found bad", async () => {
  const ex = new Exchange(1);
  // the size line with its extension is longer than the 16-byte test buffer,
  // so it arrives over several windows before its bare CR is found
  const bad = "3;" + "x".repeat(40) + "\rbad\r\n";
  const [from, fromConn] = endpoint("client", { input: ["5\r\nhello\r\n", bad] });
  const [to, toConn] = endpoint("upstream");
  await rejectsProxy(
    relayChunked(from, to, new ChunkedDecoder(), false, ex),
    400,
    "bad-chunk",
    /bare CR in chunk size line/,
  );
  assert.equal(toConn.writtenText, "5\r\nhello\r\n");
  assert.equal(fromConn.unread, "");
});

Deno.test("relayChunked: pass-through holds a split size line back, then sends it whole", async () => {
  const ex = new Exchange(1);
  const body = "5\r\nhello\r\n" + "1a;" + "e".repeat(30) + "\r\n" + "abcdefghijklmnopqrstuvwxyz" +
    "\r\n0\r\n\r\n";
  const [from] = endpoint("client", {
    input: [body.slice(0, 14), body.slice(14, 30), body.slice(30)],
  });
  const [to, toConn] = endpoint("upstream");
  await relayChunked(from, to, new ChunkedDecoder(), false, ex);
  assert.equal(toConn.writtenText, body);
  // no write ever ends inside the size line with the extension
  let at = 0;
  const lineStart = body.indexOf("1a;");
  const lineEnd = body.indexOf("\r\n", lineStart) + 2;
  for (const w of toConn.writes) {
    at += w.length;
    assert.ok(at <= lineStart || at >= lineEnd, `a write ended at ${at}, inside the size line`);
  }
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
