import assert from "node:assert/strict";
import { ParseError } from "../../lib/errors.ts";
import { RequestParser, ResponseParser } from "../../lib/http1/parse.ts";

const bin = (s: string) => new TextEncoder().encode(s);

Deno.test("a garbage request line fails as soon as its line ends, not at the blank line", () => {
  const p = new RequestParser();
  assert.equal(p.parse(bin("\x16\x03\x01 hello")), null);
  assert.throws(
    () => p.parse(bin("\x16\x03\x01 hello\r\n")),
    (e) => e instanceof ParseError && e.status === 400,
  );
});

Deno.test("a bad header line fails as soon as its line ends", () => {
  const p = new RequestParser();
  assert.equal(p.parse(bin("GET http://a/ HTTP/1.1\r\n")), null);
  assert.throws(
    () => p.parse(bin("GET http://a/ HTTP/1.1\r\nBad Header: 1\r\n")),
    (e) => e instanceof ParseError && e.reason === "bad-header",
  );
});

Deno.test("a non-HTTP response fails at its first line", () => {
  const p = new ResponseParser();
  assert.throws(
    () => p.parse(bin("SSH-2.0-OpenSSH_9.2\r\n")),
    (e) => e instanceof ParseError && e.status === 502,
  );
});

Deno.test("fields are parsed once, as they arrive, and carried across calls", () => {
  const p = new RequestParser();
  const all = "GET http://a/ HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n";
  let r = null;
  for (let k = 1; k <= all.length && r === null; k++) r = p.parse(bin(all.slice(0, k)));
  assert.ok(r);
  assert.deepEqual(r.head.headers.names, ["A", "B"]);
  assert.deepEqual(r.head.headers.values, ["1", "2"]);
  assert.equal(r.consumed, all.length);
});

Deno.test("nothing past maxHead is parsed: one piece and two pieces give the same error", () => {
  const b = bin("GET http://a/ HTTP/9.9\r\n\r\n");
  const whole = () => new RequestParser({ maxHead: 16 }).parse(b);
  const split = () => {
    const p = new RequestParser({ maxHead: 16 });
    assert.equal(p.parse(b.subarray(0, 15)), null);
    return p.parse(b);
  };
  for (const f of [whole, split]) {
    assert.throws(
      f,
      (e) => e instanceof ParseError && e.status === 431 && e.reason === "head-too-large",
    );
  }
});
