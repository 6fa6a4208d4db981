/**
 * Helpers for the tests of lib/http1/forward.ts (forward_*_test.ts): heads
 * parsed from raw text, and bytes read back as text.
 *
 * @module
 */

import assert from "node:assert/strict";
import { encodeLatin1 } from "../../lib/http1/forward.ts";
import {
  latin1,
  type RequestHead,
  RequestParser,
  type ResponseHead,
  ResponseParser,
} from "../../lib/http1/parse.ts";

function bytes(s: string): Uint8Array {
  return encodeLatin1(s);
}

/** Decodes bytes one char per byte (ISO-8859-1), as heads are written. */
export function text(b: Uint8Array): string {
  return latin1(b, 0, b.length);
}

/** Parses a complete request head given as raw text. */
export function req(raw: string): RequestHead {
  const r = new RequestParser().parse(bytes(raw));
  assert.ok(r, "request head incomplete");
  return r.head;
}

/** Parses a complete response head given as raw text (a fresh head on every call). */
export function res(raw: string): ResponseHead {
  const r = new ResponseParser().parse(bytes(raw));
  assert.ok(r, "response head incomplete");
  return r.head;
}
