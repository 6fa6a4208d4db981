import assert from "node:assert/strict";
import { httpVersion, methodName } from "../../lib/http1/start_line.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

Deno.test("methodName: the usual methods, other tokens decoded as they are (case kept)", () => {
  for (
    const m of ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "CONNECT", "PATCH", "TRACE"]
  ) {
    const b = bytes(` ${m} `);
    assert.equal(methodName(b, 1, 1 + m.length), m);
  }
  assert.equal(methodName(bytes("get"), 0, 3), "get"); // methods are case-sensitive
  assert.equal(methodName(bytes("PROPFIND"), 0, 8), "PROPFIND");
  assert.equal(methodName(bytes("GETX"), 0, 4), "GETX");
});

Deno.test("httpVersion: 1.0 and 1.1 give their minor; other versions -1; malformed -2", () => {
  const v = (s: string) => httpVersion(bytes(s), 0, s.length);
  assert.equal(v("HTTP/1.0"), 0);
  assert.equal(v("HTTP/1.1"), 1);
  assert.equal(v("HTTP/2.0"), -1);
  assert.equal(v("HTTP/1.2"), -1);
  assert.equal(v("HTTP/1.10"), -2);
  assert.equal(v("http/1.1"), -2);
  assert.equal(v("HTTP/x.1"), -2);
});
