/**
 * Head parser reuse (lib/http1/parse.ts): reset(), pipelined heads, and a
 * final response after an interim one, with the same parser.
 */

import assert from "node:assert/strict";
import { RequestParser, ResponseParser } from "../../lib/http1/parse.ts";
import { assertParseError, bin, REQUEST, RESPONSE, thrown } from "./parse_helpers.ts";

Deno.test("RequestParser reused after reset() parses a second head", () => {
  const p = new RequestParser();
  assert.equal(p.parse(bin("POST http://a.test/abandoned HTTP/1.1\r\nHost: a")), null);
  p.reset();
  const r = p.parse(bin("GET http://b.test/ HTTP/1.0\r\nHost: b.test\r\n\r\n"));
  assert.deepEqual(REQUEST.plain(r!.head), {
    method: "GET",
    target: "http://b.test/",
    minor: 0,
    headers: [["Host", "b.test"]],
  });
});

Deno.test("RequestParser reused after reset() following a ParseError parses the next head", () => {
  const p = new RequestParser();
  assertParseError(thrown(() => p.parse(bin("GET http://a.test/ HTTP/9.9\r\n\r\n"))), {
    status: 505,
    reason: "unsupported-version",
  });
  p.reset();
  const r = p.parse(bin("GET http://b.test/ HTTP/1.1\r\n\r\n"));
  assert.equal(r?.head.target, "http://b.test/");
});

Deno.test("RequestParser parses pipelined requests one after the other from the consumed offset", () => {
  const input = bin(
    "GET http://a.test/1 HTTP/1.1\r\nHost: a\r\n\r\n" +
      "GET http://a.test/2 HTTP/1.1\r\nHost: a\r\n\r\n" +
      "GET http://a.test/3 HTTP/1.1\r\n",
  );
  const p = new RequestParser();
  const first = p.parse(input);
  assert.equal(first?.head.target, "http://a.test/1");
  const second = p.parse(input.subarray(first!.consumed));
  assert.equal(second?.head.target, "http://a.test/2");
  assert.equal(first!.consumed + second!.consumed, input.length - 30);
  assert.equal(p.parse(input.subarray(first!.consumed + second!.consumed)), null);
});

Deno.test("ResponseParser parses the final response after a 100 Continue with the same parser", () => {
  const input = bin("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nLocation: /x\r\n\r\n");
  const p = new ResponseParser();
  const interim = p.parse(input);
  assert.equal(interim?.head.status, 100);
  const final = p.parse(input.subarray(interim!.consumed));
  assert.deepEqual(RESPONSE.plain(final!.head), {
    minor: 1,
    status: 201,
    reason: "Created",
    headers: [["Location", "/x"]],
  });
  assert.equal(interim!.consumed + final!.consumed, input.length);
});

Deno.test("ResponseParser reused after reset() parses a second head", () => {
  const p = new ResponseParser();
  assert.equal(p.parse(bin("HTTP/1.1 200 OK\r\nContent-Le")), null);
  p.reset();
  const r = p.parse(bin("HTTP/1.1 404 Not Found\r\n\r\n"));
  assert.equal(r?.head.status, 404);
  assert.equal(r?.head.headers.size, 0);
});

Deno.test("a parsed head keeps its fields when the read buffer is reused for the next bytes", () => {
  const p = new RequestParser();
  const buf = bin(
    "GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nX-Long: " + "v".repeat(5000) +
      "\r\nContent-Length: 3\r\n\r\n",
  );
  const head = p.parse(buf)!.head;
  const second = new ResponseParser().parse(bin("HTTP/1.1 200 OK\r\nX-Other: 1\r\n\r\n"))!.head;
  buf.fill(0x41); // the connection reads a body (or the next head) into the same buffer
  assert.equal(head.headers.get("host"), "a.test");
  assert.equal(head.headers.get("x-long"), "v".repeat(5000)); // larger than a slab piece: own copy
  assert.equal(head.headers.get("content-length"), "3");
  assert.equal(second.headers.get("x-other"), "1");
  p.reset();
  const next = p.parse(bin("GET http://b.test/ HTTP/1.1\r\nHost: b.test\r\n\r\n"))!.head;
  assert.equal(next.headers.get("host"), "b.test");
  assert.equal(
    head.headers.get("host"),
    "a.test",
    "a later head does not overwrite an earlier one",
  );
});

Deno.test("many parsed heads (across slab boundaries) each keep their own fields", () => {
  const p = new ResponseParser();
  const heads = [];
  for (let i = 0; i < 500; i++) {
    heads.push(
      p.parse(bin(`HTTP/1.1 200 OK\r\nX-N: ${i}\r\nX-Pad: ${"p".repeat(i % 300)}\r\n\r\n`))!
        .head,
    );
  }
  heads.forEach((h, i) => {
    assert.equal(h.headers.get("x-n"), String(i));
    assert.equal(h.headers.get("x-pad"), "p".repeat(i % 300));
  });
});
