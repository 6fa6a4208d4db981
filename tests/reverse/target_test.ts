import assert from "node:assert/strict";
import { ParseError } from "../../lib/errors.ts";
import { upstreamRequestHead } from "../../lib/http1/forward.ts";
import { RequestParser } from "../../lib/http1/parse.ts";
import { reverseTarget, upstreamHostHeader } from "../../lib/reverse/target.ts";

Deno.test("upstreamHostHeader: --upstream-host, else the client's Host, else the upstream", () => {
  assert.equal(upstreamHostHeader("www.example.com", null, "10.0.0.1:8000"), "www.example.com");
  assert.equal(upstreamHostHeader("www.example.com", "app:81", "10.0.0.1:8000"), "app:81");
  assert.equal(upstreamHostHeader(null, null, "10.0.0.1:8000"), "10.0.0.1:8000");
  assert.equal(upstreamHostHeader("", null, "app.internal:80"), "app.internal");
  assert.equal(upstreamHostHeader(null, null, "[::1]:80"), "[::1]");
});

Deno.test("reverseTarget: the upstream to dial, the request's path, the Host to send", () => {
  assert.deepEqual(reverseTarget("GET", "/a/b?c=d", "[::1]:8000", "www.example.com"), {
    host: "::1",
    port: 8000,
    path: "/a/b?c=d",
    authority: "www.example.com",
  });
  assert.deepEqual(reverseTarget("OPTIONS", "*", "app:80", "app"), {
    host: "app",
    port: 80,
    path: "*",
    authority: "app",
  });
  for (
    const [method, target] of [
      ["GET", "http://example.com/"],
      ["GET", "*"],
      ["CONNECT", "example.com:443"],
      ["GET", ""],
    ]
  ) {
    assert.throws(() => reverseTarget(method, target, "app:80", "app"), (e: unknown) => {
      assert.ok(e instanceof ParseError);
      assert.equal(e.status, 400);
      assert.equal(e.reason, "bad-target");
      return true;
    });
  }
});

Deno.test("reverseTarget: the upstream head keeps the path and sends the chosen Host", () => {
  const raw = "GET /x?y HTTP/1.1\r\nHost: www.example.com\r\nAccept: */*\r\n\r\n";
  const req = new RequestParser().parse(new TextEncoder().encode(raw))!.head;
  const target = reverseTarget(req.method, req.target, "127.0.0.1:8000", "app.internal");
  const head = new TextDecoder().decode(upstreamRequestHead(req, target, "sluice", true));
  assert.equal(
    head,
    "GET /x?y HTTP/1.1\r\nHost: app.internal\r\nAccept: */*\r\nVia: 1.1 sluice\r\n\r\n",
  );
});
