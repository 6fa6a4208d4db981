/**
 * Tests for the chunked transfer coding in lib/http1/chunked.ts.
 *
 * Every valid body is decoded in one piece, one byte at a time and split in
 * two at every offset. Each piece is handed to the decoder in its own buffer,
 * as network reads would be, so nothing can depend on earlier bytes still
 * being around: all state must live in the decoder.
 */

import assert from "node:assert/strict";
import { ParseError } from "../../lib/errors.ts";
import {
  ChunkedDecoder,
  type ChunkedLimits,
  CRLF,
  DEFAULT_CHUNKED_LIMITS,
  LAST_CHUNK,
  writeChunkSize,
} from "../../lib/http1/chunked.ts";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/** Encodes one byte per char code (ISO-8859-1). */
function bin(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new Error(`test string is not latin1: ${JSON.stringify(s)}`);
    out[i] = c;
  }
  return out;
}

function str(b: Uint8Array): string {
  return String.fromCharCode(...b);
}

/** One chunk: hex size, CRLF, data, CRLF. */
function chunk(data: string): string {
  return `${data.length.toString(16)}\r\n${data}\r\n`;
}

interface Decoded {
  /** The data runs, concatenated. */
  data: string;
  /** Offset in the whole input right after the body, or -1 when not done. */
  end: number;
  bodyBytes: number;
}

/**
 * Decodes `input` delivered as pieces that end at `cuts` (and at the end of
 * the input), each piece in its own buffer, the way a caller looping on
 * reads does: decode until the piece is used up or the body is done.
 */
function decodeInPieces(d: ChunkedDecoder, input: Uint8Array, cuts: number[]): Decoded {
  let data = "";
  let offset = 0;
  for (const cut of [...cuts, input.length]) {
    const piece = input.slice(offset, cut);
    let pos = 0;
    while (pos < piece.length && !d.done) {
      const next = d.decode(piece, pos, piece.length);
      assert.ok(next > pos && next <= piece.length, `decode(${pos}) returned ${next}: no progress`);
      assert.ok(d.dataStart >= pos && d.dataStart <= d.dataEnd && d.dataEnd <= next);
      if (d.dataEnd > d.dataStart) {
        assert.equal(d.dataEnd, next, "decode must stop right after a data run");
        data += str(piece.subarray(d.dataStart, d.dataEnd));
      }
      pos = next;
    }
    if (d.done) return { data, end: offset + pos, bodyBytes: d.bodyBytes };
    offset = cut;
  }
  return { data, end: -1, bodyBytes: d.bodyBytes };
}

function everyByte(n: number): number[] {
  return Array.from({ length: Math.max(0, n - 1) }, (_, i) => i + 1);
}

interface ExpectedError {
  status: number;
  reason: string;
  message?: string | RegExp;
}

function assertParseError(err: unknown, exp: ExpectedError): void {
  assert.ok(err instanceof ParseError, `expected a ParseError, got ${String(err)}`);
  assert.equal(err.status, exp.status, `status of "${err.message}"`);
  assert.equal(err.reason, exp.reason, `reason of "${err.message}"`);
  assert.ok(err.message.startsWith("Cannot parse chunked body: "), err.message);
  if (typeof exp.message === "string") assert.equal(err.message, exp.message);
  else if (exp.message) assert.match(err.message, exp.message);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail("expected a ParseError, but decoding finished");
}

const REQUEST_SIDE = { status: 400, reason: "bad-chunk" } as const;
const ORIGIN_SIDE = { status: 502, reason: "upstream-bad-response" } as const;

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

Deno.test("ChunkedDecoder accepts a size of 13 hex digits (FFFFFFFFFFFFF)", () => {
  const d = new ChunkedDecoder();
  const b = bin("FFFFFFFFFFFFF\r\nabc");
  assert.equal(d.decode(b, 0, b.length), b.length);
  assert.equal(d.dataStart, 15);
  assert.equal(str(b.subarray(d.dataStart, d.dataEnd)), "abc");
  assert.equal(d.done, false);
});

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

interface BadBody {
  name: string;
  input: string;
  message: string;
  limits?: Partial<ChunkedLimits>;
}

const msg = (what: string) => `Cannot parse chunked body: ${what}`;

const BAD_BODIES: BadBody[] = [
  {
    name: 'a size with a "+" sign',
    input: "+5\r\nhello\r\n0\r\n\r\n",
    message: msg("invalid chunk size"),
  },
  {
    name: "a size with a leading space",
    input: " 5\r\nhello\r\n0\r\n\r\n",
    message: msg("invalid chunk size"),
  },
  {
    name: 'a size with a "0x" prefix',
    input: "0x5\r\nhello\r\n0\r\n\r\n",
    message: msg("invalid character after chunk size"),
  },
  { name: "a negative size", input: "-1\r\n\r\n", message: msg("invalid chunk size") },
  {
    name: "an empty size line (CRLF)",
    input: "\r\nhello\r\n0\r\n\r\n",
    message: msg("invalid chunk size"),
  },
  { name: "an empty size line (LF)", input: "\n0\r\n\r\n", message: msg("invalid chunk size") },
  {
    name: "an empty size line after a chunk",
    input: "1\r\na\r\n\r\n",
    message: msg("invalid chunk size"),
  },
  { name: "a non-hex size", input: "g\r\n", message: msg("invalid chunk size") },
  {
    name: "a size followed by a space",
    input: "5 \r\nhello\r\n0\r\n\r\n",
    message: msg("invalid character after chunk size"),
  },
  {
    name: "a size followed by a tab",
    input: "5\t;x\r\nhello\r\n0\r\n\r\n",
    message: msg("invalid character after chunk size"),
  },
  {
    name: "a size with 14 hex digits",
    input: "10000000000000\r\n",
    message: msg("chunk size too large"),
  },
  {
    name: "a size with 14 digits of leading zeros",
    input: "00000000000005\r\nhello\r\n",
    message: msg("chunk size too large"),
  },
  {
    name: "chunk data longer than its size",
    input: "3\r\nabcd\r\n0\r\n\r\n",
    message: msg("chunk data longer than its size"),
  },
  {
    name: "chunk data shorter than its size (next size line eaten as data)",
    input: "5\r\nabc\r\n0\r\n\r\n",
    message: msg("chunk data longer than its size"),
  },
  {
    name: "a bare CR in the size line",
    input: "5\rhello\r\n0\r\n\r\n",
    message: msg("bare CR in chunk size line"),
  },
  {
    name: "a bare CR after an extension",
    input: "5;a=b\rhello\r\n0\r\n\r\n",
    message: msg("bare CR in chunk size line"),
  },
  {
    name: "a bare CR after chunk data",
    input: "3\r\nabc\rX0\r\n\r\n",
    message: msg("bare CR after chunk data"),
  },
  {
    name: "a bare CR in a trailer field",
    input: "0\r\nX: a\rb\r\n\r\n",
    message: msg("bare CR in trailer"),
  },
  {
    name: "a bare CR after the last chunk",
    input: "0\r\n\rX",
    message: msg("bare CR after last chunk"),
  },
  {
    name: "NUL in a chunk extension",
    input: "5;a=\x00\r\nhello\r\n0\r\n\r\n",
    message: msg("control character in chunk extension"),
  },
  {
    name: "ESC in a chunk extension",
    input: "5;a\x1b\r\nhello\r\n0\r\n\r\n",
    message: msg("control character in chunk extension"),
  },
  {
    name: "DEL in a chunk extension",
    input: "5;a\x7f\r\nhello\r\n0\r\n\r\n",
    message: msg("control character in chunk extension"),
  },
  {
    name: "a control byte in a trailer field",
    input: "0\r\nX: \x01\r\n\r\n",
    message: msg("control character in trailer"),
  },
  {
    name: "an extension one byte over maxExtension",
    input: "3;abcdefgh\r\nabc\r\n0\r\n\r\n",
    limits: { maxExtension: 8 },
    message: msg("chunk extension too long"),
  },
  {
    name: "an extension over the default maxExtension (4 KiB)",
    input: `3;${"e".repeat(4096)}\r\nabc\r\n0\r\n\r\n`,
    message: msg("chunk extension too long"),
  },
  {
    name: "a trailer section over maxTrailer",
    input: "0\r\nX-Long: 0123456789abcdef\r\n\r\n",
    limits: { maxTrailer: 16 },
    message: msg("trailer section too long"),
  },
  {
    name: "many trailer fields over maxTrailer",
    input: `0\r\n${"X: y\r\n".repeat(10)}\r\n`,
    limits: { maxTrailer: 40 },
    message: msg("trailer section too long"),
  },
  {
    name: "a trailer section over the default maxTrailer (16 KiB)",
    input: `0\r\nX-Big: ${"t".repeat(16 * 1024)}\r\n\r\n`,
    message: msg("trailer section too long"),
  },
];

for (const c of BAD_BODIES) {
  for (
    const [side, fromOrigin, expected] of [
      ["request body", false, REQUEST_SIDE],
      ["response body", true, ORIGIN_SIDE],
    ] as const
  ) {
    Deno.test(`ChunkedDecoder rejects ${c.name} (${side}: ${expected.status} ${expected.reason})`, () => {
      const input = bin(c.input);
      const exp = { ...expected, message: c.message };
      assertParseError(
        thrown(() => decodeInPieces(new ChunkedDecoder(c.limits ?? {}, fromOrigin), input, [])),
        exp,
      );
      assertParseError(
        thrown(() =>
          decodeInPieces(
            new ChunkedDecoder(c.limits ?? {}, fromOrigin),
            input,
            everyByte(input.length),
          )
        ),
        exp,
      );
    });
  }
}

// The limits are counted across calls, not per call.
Deno.test("ChunkedDecoder counts an extension across calls against maxExtension", () => {
  const d = new ChunkedDecoder({ maxExtension: 8 });
  decodeInPieces(d, bin("3;abcd"), []);
  assertParseError(thrown(() => decodeInPieces(d, bin("efgh\r\n"), [])), {
    ...REQUEST_SIDE,
    message: msg("chunk extension too long"),
  });
});

Deno.test("ChunkedDecoder counts each size line's extension separately", () => {
  const r = decodeInPieces(
    new ChunkedDecoder({ maxExtension: 8 }),
    bin("1;abcdefg\r\na\r\n1;abcdefg\r\nb\r\n0;abcdefg\r\n\r\n"),
    [],
  );
  assert.deepEqual(r, { data: "ab", end: 41, bodyBytes: 2 });
});

// Was a bug: the trailer count includes the CR of the blank line that ends the
// chunked body (but not its LF), though that CRLF is not part of the trailer
// section (RFC 9112 section 7.1: `last-chunk trailer-section CRLF`). So
// `new ChunkedDecoder({ maxTrailer: 0 })` rejects "0\r\n\r\n", a body with no
// trailers at all, and a 6-byte trailer section "X: y\r\n" is rejected with
// maxTrailer 6 ("trailer section too long").
Deno.test({
  name: "ChunkedDecoder accepts a trailer section of exactly maxTrailer bytes",
  fn() {
    const none = decodeInPieces(new ChunkedDecoder({ maxTrailer: 0 }), bin("0\r\n\r\n"), []);
    assert.equal(none.end, 5);
    const six = decodeInPieces(new ChunkedDecoder({ maxTrailer: 6 }), bin("0\r\nX: y\r\n\r\n"), []);
    assert.equal(six.end, 11);
  },
});

Deno.test("ChunkedDecoder errors carry 400 bad-chunk by default and 502 from an origin", () => {
  assertParseError(thrown(() => new ChunkedDecoder().decode(bin("x"), 0, 1)), REQUEST_SIDE);
  assertParseError(
    thrown(() => new ChunkedDecoder({}, false).decode(bin("x"), 0, 1)),
    REQUEST_SIDE,
  );
  assertParseError(thrown(() => new ChunkedDecoder({}, true).decode(bin("x"), 0, 1)), ORIGIN_SIDE);
});

Deno.test("DEFAULT_CHUNKED_LIMITS are 4 KiB of extension and 16 KiB of trailer, frozen", () => {
  assert.deepEqual({ ...DEFAULT_CHUNKED_LIMITS }, { maxExtension: 4096, maxTrailer: 16384 });
  assert.ok(Object.isFrozen(DEFAULT_CHUNKED_LIMITS));
});

// ---------------------------------------------------------------------------
// Encoder side: writeChunkSize, LAST_CHUNK, CRLF
// ---------------------------------------------------------------------------

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
