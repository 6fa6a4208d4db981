/** Reusing a ChunkedDecoder (lib/http1/chunked.ts) after reset(). */

import assert from "node:assert/strict";
import { ChunkedDecoder } from "../../lib/http1/chunked.ts";
import { assertParseError, bin, decodeInPieces, REQUEST_SIDE, thrown } from "./chunked_helpers.ts";

Deno.test("ChunkedDecoder.reset() allows reuse after a complete body", () => {
  const d = new ChunkedDecoder();
  const first = decodeInPieces(d, bin("3\r\nabc\r\n0\r\n\r\n"), []);
  assert.equal(first.data, "abc");
  d.reset();
  assert.equal(d.done, false);
  assert.equal(d.bodyBytes, 0);
  assert.equal(d.dataStart, 0);
  assert.equal(d.dataEnd, 0);
  const second = decodeInPieces(d, bin("2\r\nxy\r\n0\r\n\r\n"), [1, 4]);
  assert.deepEqual(second, { data: "xy", end: 12, bodyBytes: 2 });
});

Deno.test("ChunkedDecoder.reset() abandons a body in the middle of a chunk or a size", () => {
  for (const partial of ["5\r\nhe", "1", "1;ext", "0\r\nX-Tr", "3\r\nabc\r"]) {
    const d = new ChunkedDecoder();
    decodeInPieces(d, bin(partial), []);
    assert.equal(d.done, false, partial);
    d.reset();
    const r = decodeInPieces(d, bin("2\r\nok\r\n0\r\n\r\n"), []);
    assert.deepEqual(r, { data: "ok", end: 12, bodyBytes: 2 }, `after ${JSON.stringify(partial)}`);
  }
});

Deno.test("ChunkedDecoder.reset() allows reuse after a ParseError", () => {
  const d = new ChunkedDecoder();
  assertParseError(thrown(() => decodeInPieces(d, bin("zz\r\n"), [])), REQUEST_SIDE);
  d.reset();
  assert.deepEqual(decodeInPieces(d, bin("1\r\nx\r\n0\r\n\r\n"), []), {
    data: "x",
    end: 11,
    bodyBytes: 1,
  });
});
