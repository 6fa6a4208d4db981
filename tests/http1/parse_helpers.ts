/**
 * Helpers for the tests of the sans-io HTTP/1 head parsers in lib/http1/parse.ts
 * (parse_*_test.ts), and the ParseError assertions the chunked codec tests
 * build on (chunked_helpers.ts).
 *
 * Every valid head is parsed in one piece, one byte at a time and split in two
 * at every offset: the parser must answer `null` until the blank line arrives,
 * then exactly what it answers for the whole input.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ParseError } from "../../lib/errors.ts";
import type { HeaderList } from "../../lib/http1/headers.ts";
import {
  type HeadLimits,
  type Parsed,
  type RequestHead,
  RequestParser,
  type ResponseHead,
  ResponseParser,
} from "../../lib/http1/parse.ts";

// ---------------------------------------------------------------------------
// Bytes and ParseError assertions (shared with the chunked codec tests)
// ---------------------------------------------------------------------------

/** Encodes one byte per char code (ISO-8859-1): "\xe9" becomes the byte 0xE9. */
export function bin(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new Error(`test string is not latin1: ${JSON.stringify(s)}`);
    out[i] = c;
  }
  return out;
}

/** What a ParseError must carry. */
export interface ExpectedError {
  status: number;
  reason: string;
  /** Exact message (string) or a pattern it must match. */
  message?: string | RegExp;
}

/** Asserts that `err` is a ParseError (and narrows it to one). */
export function assertIsParseError(err: unknown): asserts err is ParseError {
  assert.ok(err instanceof ParseError, `expected a ParseError, got ${String(err)}`);
}

/** Asserts the status and reason of a ParseError; a failure names its message. */
export function assertStatusAndReason(err: ParseError, exp: ExpectedError): void {
  assert.equal(err.status, exp.status, `status of "${err.message}"`);
  assert.equal(err.reason, exp.reason, `reason of "${err.message}"`);
}

/** Asserts that the message equals `exp.message` (a string) or matches it (a RegExp), if given. */
export function assertMessage(err: Error, exp: ExpectedError): void {
  if (typeof exp.message === "string") assert.equal(err.message, exp.message);
  else if (exp.message) assert.match(err.message, exp.message);
}

/** Asserts that `err` is the ParseError a head parser throws for `exp`. */
export function assertParseError(err: unknown, exp: ExpectedError): void {
  assertIsParseError(err);
  assert.equal(err.name, "ParseError");
  assertStatusAndReason(err, exp);
  assert.ok(err.message.startsWith("Cannot parse"), `message: ${err.message}`);
  assertMessage(err, exp);
}

/**
 * Runs `fn`, which must throw; returns what it threw. `instead` says, in the
 * failure, what happened when it did not throw.
 */
export function thrown(fn: () => unknown, instead = "parse() returned normally"): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail(`expected a ParseError, but ${instead}`);
}

// ---------------------------------------------------------------------------
// Parser kinds and plain heads
// ---------------------------------------------------------------------------

/** Header fields as [name, value] pairs, in order. */
export type Fields = [name: string, value: string][];

/** The fields of a HeaderList as [name, value] pairs. */
export function fieldsOf(h: HeaderList): Fields {
  return h.names.map((n, i): [string, string] => [n, h.values[i]]);
}

/** A RequestHead as plain data, for deepEqual. */
export interface PlainRequest {
  method: string;
  target: string;
  minor: number;
  headers: Fields;
}

/** A ResponseHead as plain data, for deepEqual. */
export interface PlainResponse {
  minor: number;
  status: number;
  reason: string;
  headers: Fields;
}

/** What RequestParser and ResponseParser have in common. */
export interface HeadParserLike<T> {
  parse(bytes: Uint8Array): Parsed<T> | null;
  reset(): void;
}

/** A parser kind under test: how to make one and how to compare its heads. */
export interface Kind<T, P> {
  label: string;
  make(limits?: Partial<HeadLimits>): HeadParserLike<T>;
  plain(head: T): P;
}

/** The RequestParser kind. */
export const REQUEST: Kind<RequestHead, PlainRequest> = {
  label: "RequestParser",
  make: (limits) => new RequestParser(limits),
  plain: (h) => ({
    method: h.method,
    target: h.target,
    minor: h.minor,
    headers: fieldsOf(h.headers),
  }),
};

/** The ResponseParser kind. */
export const RESPONSE: Kind<ResponseHead, PlainResponse> = {
  label: "ResponseParser",
  make: (limits) => new ResponseParser(limits),
  plain: (h) => ({
    minor: h.minor,
    status: h.status,
    reason: h.reason,
    headers: fieldsOf(h.headers),
  }),
};

// ---------------------------------------------------------------------------
// Cases and their checks
// ---------------------------------------------------------------------------

/** A head that must parse to `expect`. */
export interface ValidCase<P> {
  name: string;
  /** The head, blank line included. */
  head: string;
  /** Bytes after the head (a body, a next message); never consumed. */
  after?: string;
  limits?: Partial<HeadLimits>;
  expect: P;
}

/** An input that must be rejected with the expected ParseError. */
export interface ErrorCase extends ExpectedError {
  name: string;
  input: string;
  limits?: Partial<HeadLimits>;
}

/** Checks a valid case parsed in one piece. */
export function checkWhole<T, P>(kind: Kind<T, P>, c: ValidCase<P>): void {
  const input = bin(c.head + (c.after ?? ""));
  const r = kind.make(c.limits).parse(input);
  assert.notEqual(r, null, "complete head parsed as incomplete");
  assert.equal(r!.consumed, c.head.length, "consumed must stop right after the blank line");
  assert.deepEqual(kind.plain(r!.head), c.expect);
}

/** Checks a valid case fed to one parser one byte more at a time. */
export function checkByteByByte<T, P>(kind: Kind<T, P>, c: ValidCase<P>): void {
  const input = bin(c.head + (c.after ?? ""));
  const p = kind.make(c.limits);
  for (let k = 1; k <= input.length; k++) {
    const r = p.parse(input.subarray(0, k));
    if (k < c.head.length) {
      assert.equal(r, null, `prefix of ${k} bytes must be incomplete`);
      continue;
    }
    assert.notEqual(r, null, `head complete after ${k} bytes but parse() returned null`);
    assert.equal(r!.consumed, c.head.length);
    assert.deepEqual(kind.plain(r!.head), c.expect);
    return;
  }
  assert.fail("the head never completed");
}

/** Checks a valid case split in two at every offset, each split with a fresh parser. */
export function checkTwoPieces<T, P>(kind: Kind<T, P>, c: ValidCase<P>): void {
  const input = bin(c.head + (c.after ?? ""));
  for (let s = 1; s < input.length; s++) {
    const p = kind.make(c.limits);
    // slice(): each call gets its own buffer, as after a reallocation.
    let r = p.parse(input.slice(0, s));
    if (s < c.head.length) {
      assert.equal(r, null, `the first ${s} bytes must be incomplete`);
      r = p.parse(input.slice());
    }
    assert.notEqual(r, null, `split at ${s}`);
    assert.equal(r!.consumed, c.head.length, `consumed, split at ${s}`);
    assert.deepEqual(kind.plain(r!.head), c.expect, `split at ${s}`);
  }
}

/** Registers three tests per valid case: in one piece, byte by byte, split in two. */
export function validTests<T, P>(kind: Kind<T, P>, cases: ValidCase<P>[]): void {
  for (const c of cases) {
    Deno.test(`${kind.label}: ${c.name} (in one piece)`, () => checkWhole(kind, c));
    Deno.test(`${kind.label}: ${c.name} (one byte at a time)`, () => checkByteByByte(kind, c));
    Deno.test(`${kind.label}: ${c.name} (split in two at every offset)`, () =>
      checkTwoPieces(kind, c));
  }
}

/** Registers one test per error case: rejected in one piece and one byte at a time. */
export function errorTests<T, P>(kind: Kind<T, P>, cases: ErrorCase[]): void {
  for (const c of cases) {
    Deno.test(`${kind.label} rejects ${c.name}`, () => {
      const input = bin(c.input);
      assertParseError(thrown(() => kind.make(c.limits).parse(input)), c);

      // The same error when the bytes arrive one at a time.
      const p = kind.make(c.limits);
      for (let k = 1; k <= input.length; k++) {
        let r: Parsed<T> | null;
        try {
          r = p.parse(input.subarray(0, k));
        } catch (err) {
          assertParseError(err, c);
          return;
        }
        assert.equal(r, null, `parsed a head from a bad input after ${k} bytes`);
      }
      assert.fail("no error when fed one byte at a time");
    });
  }
}

// ---------------------------------------------------------------------------
// Builders and common pieces
// ---------------------------------------------------------------------------

/** `n` header fields `${prefix}${i}: value ${i}`, as head text and as the fields expected. */
export function hdrs(n: number, prefix = "X-Field-"): { text: string; fields: Fields } {
  let text = "";
  const fields: Fields = [];
  for (let i = 0; i < n; i++) {
    text += `${prefix}${i}: value ${i}\r\n`;
    fields.push([`${prefix}${i}`, `value ${i}`]);
  }
  return { text, fields };
}

/** A valid request line, CRLF included, for cases about what follows it. */
export const LINE = "GET http://a.test/ HTTP/1.1\r\n";

/** A valid status line, CRLF included, for cases about what follows it. */
export const STATUS = "HTTP/1.1 200 OK\r\n";

/** How ResponseParser rejects anything: always 502 upstream-bad-response. */
export const bad502 = { status: 502, reason: "upstream-bad-response" } as const;
