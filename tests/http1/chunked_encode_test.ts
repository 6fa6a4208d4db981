/** The encoder side of lib/http1/chunked.ts: writeChunkSize, LAST_CHUNK and CRLF. */

import assert from "node:assert/strict";
import { ChunkedDecoder, CRLF, LAST_CHUNK, writeChunkSize } from "../../lib/http1/chunked.ts";
import { bin, decodeInPieces, everyByte, str } from "./chunked_helpers.ts";

const SIZES: [size: number, line: string][] = [
  [0, "0\r\n"],
  [1, "1\r\n"],
  [9, "9\r\n"],
  [10, "a\r\n"],
  [15, "f\r\n"],
  [16, "10\r\n"],
  [255, "ff\r\n"],
  [4096, "1000\r\n"],
  [65536, "10000\r\n"],
  [0xdeadbeef, "deadbeef\r\n"],
  [2 ** 52 - 1, "fffffffffffff\r\n"],
];

for (const [size, line] of SIZES) {
  Deno.test(`writeChunkSize(${size}) writes ${JSON.stringify(line)} and returns ${line.length}`, () => {
    const out = new Uint8Array(32).fill(0xaa);
    const n = writeChunkSize(size, out, 7);
    assert.equal(n, line.length);
    assert.equal(str(out.subarray(7, 7 + n)), line);
    assert.ok(out.subarray(0, 7).every((b) => b === 0xaa), "bytes before `at` untouched");
    assert.ok(out.subarray(7 + n).every((b) => b === 0xaa), "bytes after the line untouched");
  });
}

Deno.test("LAST_CHUNK is 0 CRLF CRLF and CRLF is CR LF", () => {
  assert.equal(str(LAST_CHUNK), "0\r\n\r\n");
  assert.equal(str(CRLF), "\r\n");
});

Deno.test("a body written with writeChunkSize, CRLF and LAST_CHUNK decodes back", () => {
  const pieces = ["hello", "", "x".repeat(300), "\r\n0\r\n\r\n", "tail"].filter((p) =>
    p.length > 0
  );
  const out = new Uint8Array(1024);
  let at = 0;
  for (const p of pieces) {
    at += writeChunkSize(p.length, out, at);
    out.set(bin(p), at);
    at += p.length;
    out.set(CRLF, at);
    at += CRLF.length;
  }
  out.set(LAST_CHUNK, at);
  at += LAST_CHUNK.length;
  const r = decodeInPieces(new ChunkedDecoder(), out.subarray(0, at + 10), everyByte(at + 10));
  assert.deepEqual(r, { data: pieces.join(""), end: at, bodyBytes: pieces.join("").length });
});
