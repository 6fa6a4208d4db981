/**
 * Chunked bodies the ChunkedDecoder in lib/http1/chunked.ts rejects (400 from a
 * client, 502 from an origin), its limits and DEFAULT_CHUNKED_LIMITS.
 */

import assert from "node:assert/strict";
import {
  ChunkedDecoder,
  type ChunkedLimits,
  DEFAULT_CHUNKED_LIMITS,
} from "../../lib/http1/chunked.ts";
import {
  assertParseError,
  bin,
  decodeInPieces,
  everyByte,
  ORIGIN_SIDE,
  REQUEST_SIDE,
  thrown,
} from "./chunked_helpers.ts";

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
