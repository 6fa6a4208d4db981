/**
 * Helpers for the tests of the chunked transfer coding in lib/http1/chunked.ts
 * (chunked_*_test.ts).
 *
 * Input is handed to the decoder in pieces, each in its own buffer, as network
 * reads would be, so nothing can depend on earlier bytes still being around:
 * all state must live in the decoder.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ChunkedDecoder } from "../../lib/http1/chunked.ts";
import {
  assertIsParseError,
  assertMessage,
  assertStatusAndReason,
  type ExpectedError,
  thrown as thrownInstead,
} from "./parse_helpers.ts";

export { bin } from "./parse_helpers.ts";

/** Decodes one char per byte (ISO-8859-1): the inverse of bin(). */
export function str(b: Uint8Array): string {
  return String.fromCharCode(...b);
}

/** What decodeInPieces() got out of a body. */
export interface Decoded {
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
export function decodeInPieces(d: ChunkedDecoder, input: Uint8Array, cuts: number[]): Decoded {
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

/** The cuts for decodeInPieces() that deliver `n` bytes one at a time. */
export function everyByte(n: number): number[] {
  return Array.from({ length: Math.max(0, n - 1) }, (_, i) => i + 1);
}

/** Asserts that `err` is the ParseError the chunked decoder throws for `exp`. */
export function assertParseError(err: unknown, exp: ExpectedError): void {
  assertIsParseError(err);
  assertStatusAndReason(err, exp);
  assert.ok(err.message.startsWith("Cannot parse chunked body: "), err.message);
  assertMessage(err, exp);
}

/** Runs `fn`, which must throw while decoding; returns what it threw. */
export function thrown(fn: () => unknown): unknown {
  return thrownInstead(fn, "decoding finished");
}

/** How a bad request body is rejected. */
export const REQUEST_SIDE = { status: 400, reason: "bad-chunk" } as const;

/** How a bad response body (from an origin) is rejected. */
export const ORIGIN_SIDE = { status: 502, reason: "upstream-bad-response" } as const;
