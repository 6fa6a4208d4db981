/**
 * Decoding valid bodies with the ChunkedDecoder in lib/http1/chunked.ts.
 *
 * Every valid body is decoded in one piece, one byte at a time and split in
 * two at every offset. Each piece is handed to the decoder in its own buffer,
 * as network reads would be, so nothing can depend on earlier bytes still
 * being around: all state must live in the decoder.
 */

import assert from "node:assert/strict";
import { ChunkedDecoder, type ChunkedLimits } from "../../lib/http1/chunked.ts";
import { bin, type Decoded, decodeInPieces, everyByte, str } from "./chunked_helpers.ts";

/** One chunk: hex size, CRLF, data, CRLF. */
function chunk(data: string): string {
  return `${data.length.toString(16)}\r\n${data}\r\n`;
}

// ---------------------------------------------------------------------------
// Valid bodies
// ---------------------------------------------------------------------------

interface ValidBody {
  name: string;
  body: string;
  data: string;
  limits?: Partial<ChunkedLimits>;
}

const BIG = "0123456789abcdef".repeat(256); // 4096 bytes

const VALID_BODIES: ValidBody[] = [
  { name: "an empty body (last chunk only)", body: "0\r\n\r\n", data: "" },
  { name: "a single chunk", body: "5\r\nhello\r\n0\r\n\r\n", data: "hello" },
  {
    name: "several chunks",
    body: "3\r\nabc\r\n4\r\ndefg\r\n1\r\nh\r\n0\r\n\r\n",
    data: "abcdefgh",
  },
  {
    name: "uppercase and mixed-case hex sizes",
    body: `A\r\n0123456789\r\n1F\r\n${"x".repeat(31)}\r\nb\r\n${"y".repeat(11)}\r\n0\r\n\r\n`,
    data: `0123456789${"x".repeat(31)}${"y".repeat(11)}`,
  },
  {
    name: "sizes with leading zeros (13 digits at most)",
    body: "0005\r\nhello\r\n0000000000003\r\nabc\r\n000\r\n\r\n",
    data: "helloabc",
  },
  {
    name: "chunk extensions",
    body: '5;name=value\r\nhello\r\n3;a=" b;c ";flag\r\nabc\r\n2;\tx=1\r\nde\r\n0;last=yes\r\n\r\n',
    data: "helloabcde",
  },
  {
    name: "trailer fields",
    body: "5\r\nhello\r\n0\r\nX-Checksum: abc123\r\nX-Other: 1\r\n\r\n",
    data: "hello",
  },
  { name: "LF-only line endings", body: "5\nhello\n3;ext\nabc\n0\n\n", data: "helloabc" },
  { name: "LF-only trailers", body: "2\nhi\n0\nX-T: 1\nX-U: 2\n\n", data: "hi" },
  {
    name: "data that looks like framing (CRLF, a last chunk)",
    body: `${chunk("0\r\n\r\n")}${chunk("\r\n")}0\r\n\r\n`,
    data: "0\r\n\r\n\r\n",
  },
  {
    name: "binary data with every byte value",
    body: `100\r\n${String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i))}\r\n0\r\n\r\n`,
    data: String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i)),
  },
  { name: "a 4096-byte chunk", body: `1000\r\n${BIG}\r\n0\r\n\r\n`, data: BIG },
  {
    name: "an extension of exactly maxExtension bytes (';' included)",
    body: "3;abcdefg\r\nabc\r\n0\r\n\r\n",
    data: "abc",
    limits: { maxExtension: 8 },
  },
];

/** What follows the body on the connection; none of it may be consumed. */
const FOLLOWERS: [label: string, after: string][] = [
  ["", ""],
  [" followed by a pipelined request", "GET http://a.test/2 HTTP/1.1\r\nHost: a.test\r\n\r\n"],
];

for (const c of VALID_BODIES) {
  for (const [label, after] of FOLLOWERS) {
    const input = bin(c.body + after);
    const check = (r: Decoded, how: string) => {
      assert.equal(r.end, c.body.length, `${how}: where the body ends`);
      assert.equal(r.data, c.data, `${how}: data`);
      assert.equal(r.bodyBytes, c.data.length, `${how}: bodyBytes`);
    };

    Deno.test(`ChunkedDecoder: ${c.name}${label} (in one piece)`, () => {
      check(decodeInPieces(new ChunkedDecoder(c.limits), input, []), "whole");
    });

    Deno.test(`ChunkedDecoder: ${c.name}${label} (one byte at a time)`, () => {
      const d = new ChunkedDecoder(c.limits);
      check(decodeInPieces(d, input, everyByte(input.length)), "byte by byte");
      assert.ok(d.done);
    });

    Deno.test(`ChunkedDecoder: ${c.name}${label} (split in two at every offset)`, () => {
      for (let s = 1; s < input.length; s++) {
        check(decodeInPieces(new ChunkedDecoder(c.limits), input, [s]), `split at ${s}`);
      }
    });
  }
}

Deno.test("ChunkedDecoder decoding in place with absolute offsets stops at the end of the body", () => {
  const body = "3\r\nabc\r\n0\r\n\r\n";
  const input = bin(`PREFIX${body}NEXT`);
  const d = new ChunkedDecoder();
  let pos = 6;
  let data = "";
  while (!d.done) {
    pos = d.decode(input, pos, input.length);
    data += str(input.subarray(d.dataStart, d.dataEnd));
  }
  assert.equal(data, "abc");
  assert.equal(pos, 6 + body.length);
  assert.equal(str(input.subarray(pos)), "NEXT");
});

Deno.test("ChunkedDecoder reports one data run per call and framing-only calls as empty runs", () => {
  const input = bin("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  const d = new ChunkedDecoder();
  const calls: [number, number, number][] = [];
  let pos = 0;
  while (!d.done) {
    pos = d.decode(input, pos, input.length);
    calls.push([d.dataStart, d.dataEnd, pos]);
  }
  assert.deepEqual(calls, [
    [3, 6, 6], // "3\r\n" then "abc"
    [11, 13, 13], // "\r\n2\r\n" then "de"
    [13, 13, 20], // "\r\n0\r\n\r\n": no data (an empty run at the call's start), done
  ]);
});

Deno.test("ChunkedDecoder splits a chunk's data into several runs when it arrives in pieces", () => {
  const d = new ChunkedDecoder();
  const runs: string[] = [];
  for (const piece of ["5\r\nhe", "l", "lo\r", "\n0\r\n\r\n"]) {
    const b = bin(piece);
    let pos = 0;
    while (pos < b.length && !d.done) {
      pos = d.decode(b, pos, b.length);
      if (d.dataEnd > d.dataStart) runs.push(str(b.subarray(d.dataStart, d.dataEnd)));
    }
  }
  assert.deepEqual(runs, ["he", "l", "lo"]);
  assert.ok(d.done);
  assert.equal(d.bodyBytes, 5);
});

Deno.test("ChunkedDecoder.done is false until the trailer section ends, then decode consumes nothing", () => {
  const input = bin("2\r\nab\r\n0\r\nX: y\r\n\r\nrest");
  const bodyLength = input.length - 4;
  const d = new ChunkedDecoder();
  assert.equal(d.done, false);
  let pos = 0;
  for (let k = 1; k <= bodyLength; k++) {
    assert.equal(d.done, false, `done too early at ${k - 1}`);
    while (pos < k && !d.done) pos = d.decode(input, pos, k);
  }
  assert.equal(d.done, true);
  assert.equal(pos, bodyLength);
  assert.equal(d.decode(input, pos, input.length), pos);
  assert.equal(d.dataStart, pos);
  assert.equal(d.dataEnd, pos);
});

Deno.test("ChunkedDecoder.decode with an empty range consumes nothing", () => {
  const d = new ChunkedDecoder();
  const b = bin("5\r\nhello");
  assert.equal(d.decode(b, 0, 0), 0);
  assert.equal(d.decode(b, 0, 3), 3);
  assert.equal(d.decode(b, 3, 3), 3);
  assert.equal(d.dataStart, 3);
  assert.equal(d.dataEnd, 3);
  assert.equal(d.decode(b, 3, 8), 8);
  assert.equal(str(b.subarray(d.dataStart, d.dataEnd)), "hello");
});

Deno.test("ChunkedDecoder.bodyBytes counts data bytes only, across calls", () => {
  const d = new ChunkedDecoder();
  const input = bin("a;ext=1\r\n0123456789\r\n3\r\nabc\r\n0\r\nTrailer: x\r\n\r\n");
  assert.equal(d.bodyBytes, 0);
  decodeInPieces(d, input, [5, 12, 20, 30]);
  assert.ok(d.done);
  assert.equal(d.bodyBytes, 13);
});
Deno.test("ChunkedDecoder accepts a size of 13 hex digits (FFFFFFFFFFFFF)", () => {
  const d = new ChunkedDecoder();
  const b = bin("FFFFFFFFFFFFF\r\nabc");
  assert.equal(d.decode(b, 0, b.length), b.length);
  assert.equal(d.dataStart, 15);
  assert.equal(str(b.subarray(d.dataStart, d.dataEnd)), "abc");
  assert.equal(d.done, false);
});

Deno.test("ChunkedDecoder.pendingFraming: held framing bytes end at the last safe point, at every split", () => {
  const body = "5;e=1\r\nhello\r\n0\r\nX: 1\r\n\r\n";
  // safe points: 0, the end of the size line (7), each data byte (8-12), the
  // start of the next size line (14), of the trailer section (17), the end of
  // its line (23), the end (25)
  const safe = (n: number): number => {
    if (n >= 25) return 25;
    if (n >= 23) return 23;
    if (n >= 17) return 17;
    if (n >= 14) return 14;
    if (n >= 12) return 12;
    if (n >= 7) return n;
    return 0;
  };
  const input = bin(body);
  for (let n = 0; n <= input.length; n++) {
    // the first n bytes, one byte per call (every split point at once)
    const d = new ChunkedDecoder();
    for (let i = 0; i < n; i++) d.decode(input, i, i + 1);
    assert.equal(n - d.pendingFraming, safe(n), `after ${n} bytes`);
    // and the same n bytes in one call
    const one = new ChunkedDecoder();
    let pos = 0;
    while (pos < n && !one.done) pos = one.decode(input, pos, n);
    assert.equal(pos - one.pendingFraming, safe(n), `after ${n} bytes in one call`);
  }
});

Deno.test("ChunkedDecoder.pendingFraming is 0 after reset and after a data run", () => {
  const d = new ChunkedDecoder();
  const input = bin("a;xyz\r\n0123");
  d.decode(input, 0, 4);
  assert.equal(d.pendingFraming, 4);
  d.reset();
  assert.equal(d.pendingFraming, 0);
  let pos = 0;
  while (pos < input.length) pos = d.decode(input, pos, input.length);
  assert.equal(d.dataEnd - d.dataStart, 4);
  assert.equal(d.pendingFraming, 0);
});
