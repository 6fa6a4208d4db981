/**
 * The request side of lib/http1/forward.ts: the head sent upstream
 * (upstreamRequestHead) and whether the client wants its connection kept
 * (clientWantsKeepAlive).
 */

import assert from "node:assert/strict";
import { clientWantsKeepAlive, upstreamRequestHead } from "../../lib/http1/forward.ts";
import { parseAbsoluteTarget } from "../../lib/http1/target.ts";
import { req, text } from "./forward_helpers.ts";

/** The upstream head for a raw client head, as text, with Via name "sluice". */
function upstream(raw: string): string {
  const head = req(raw);
  return text(upstreamRequestHead(head, parseAbsoluteTarget(head.target), "sluice"));
}

// ---------------------------------------------------------------------------
// upstreamRequestHead

Deno.test("upstreamRequestHead: minimal request", () => {
  assert.equal(
    upstream("GET http://a:81/x HTTP/1.1\r\n\r\n"),
    "GET /x HTTP/1.1\r\nHost: a:81\r\nVia: 1.1 sluice\r\nConnection: close\r\n\r\n",
  );
});

Deno.test("upstreamRequestHead: exact bytes with hop-by-hop fields, Host replaced, order kept", () => {
  const raw = "GET http://Example.COM:8080/p/a?q=1#frag HTTP/1.1\r\n" +
    "User-Agent: ua/1\r\n" +
    "Host: wrong.example\r\n" +
    "Connection: keep-alive, X-Trace\r\n" +
    "X-Trace: t\r\n" +
    "Accept: */*\r\n" +
    "Proxy-Connection: keep-alive\r\n" +
    "Proxy-Authorization: Basic eDp5\r\n" +
    "Keep-Alive: 300\r\n" +
    "TE: trailers\r\n" +
    "x-lower-case: v\r\n" +
    "Upgrade: h2c\r\n" +
    "Trailer: Expires\r\n" +
    "Cookie: a=1\r\n" +
    "COOKIE: b=2\r\n" +
    "\r\n";
  assert.equal(
    upstream(raw),
    "GET /p/a?q=1 HTTP/1.1\r\n" +
      "Host: example.com:8080\r\n" +
      "User-Agent: ua/1\r\n" +
      "Accept: */*\r\n" +
      "x-lower-case: v\r\n" +
      "Cookie: a=1\r\n" +
      "COOKIE: b=2\r\n" +
      "Via: 1.1 sluice\r\n" +
      "Connection: close\r\n" +
      "\r\n",
  );
});

Deno.test("upstreamRequestHead: every Host field is replaced by the URL's authority", () => {
  assert.equal(
    upstream("GET http://origin.example/ HTTP/1.1\r\nHOST: a\r\nX: 1\r\nhost: b\r\n\r\n"),
    "GET / HTTP/1.1\r\nHost: origin.example\r\nX: 1\r\nVia: 1.1 sluice\r\nConnection: close\r\n\r\n",
  );
});

Deno.test("upstreamRequestHead: IPv6 authority and query-only target", () => {
  assert.equal(
    upstream("HEAD http://[::1]:8000?q HTTP/1.1\r\n\r\n"),
    "HEAD /?q HTTP/1.1\r\nHost: [::1]:8000\r\nVia: 1.1 sluice\r\nConnection: close\r\n\r\n",
  );
});

Deno.test("upstreamRequestHead: an HTTP/1.0 client gets Via 1.0 but the request goes as HTTP/1.1", () => {
  assert.equal(
    upstream("GET http://a/ HTTP/1.0\r\nAccept: x\r\n\r\n"),
    "GET / HTTP/1.1\r\nHost: a\r\nAccept: x\r\nVia: 1.0 sluice\r\nConnection: close\r\n\r\n",
  );
});

Deno.test("upstreamRequestHead: an existing Via is extended in place", () => {
  assert.equal(
    upstream("GET http://a/ HTTP/1.1\r\nvia: 1.0 first\r\nAccept: x\r\n\r\n"),
    "GET / HTTP/1.1\r\nHost: a\r\nvia: 1.0 first, 1.1 sluice\r\nAccept: x\r\nConnection: close\r\n\r\n",
  );
});

Deno.test("upstreamRequestHead: body framing fields stay, even when named in Connection", () => {
  assert.equal(
    upstream(
      "POST http://a/up HTTP/1.1\r\nContent-Length: 5\r\nConnection: Content-Length, X-A\r\nX-A: 1\r\nContent-Type: t\r\n\r\n",
    ),
    "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Type: t\r\nVia: 1.1 sluice\r\nConnection: close\r\n\r\n",
  );
  assert.equal(
    upstream(
      "POST http://a/up HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: transfer-encoding\r\n\r\n",
    ),
    "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nVia: 1.1 sluice\r\nConnection: close\r\n\r\n",
  );
});

Deno.test("upstreamRequestHead: method is kept as received and non-ASCII bytes survive", () => {
  const out = upstreamRequestHead(
    req("PURGE http://a/ HTTP/1.1\r\nX-Name: caf\xe9\r\n\r\n"),
    parseAbsoluteTarget("http://a/"),
    "sluice",
  );
  assert.equal(
    text(out),
    "PURGE / HTTP/1.1\r\nHost: a\r\nX-Name: caf\xe9\r\nVia: 1.1 sluice\r\nConnection: close\r\n\r\n",
  );
  assert.ok(out.includes(0xe9));
});

Deno.test("upstreamRequestHead: uses the given Via name", () => {
  const head = req("GET http://a/ HTTP/1.1\r\n\r\n");
  assert.match(
    text(upstreamRequestHead(head, parseAbsoluteTarget(head.target), "edge-7")),
    /\r\nVia: 1\.1 edge-7\r\n/,
  );
});

// ---------------------------------------------------------------------------
// clientWantsKeepAlive

Deno.test("clientWantsKeepAlive", async (t) => {
  const cases: [string, string, boolean][] = [
    ["HTTP/1.1 with no Connection", "HTTP/1.1\r\n", true],
    ["HTTP/1.1 + Connection: close", "HTTP/1.1\r\nConnection: close\r\n", false],
    ["HTTP/1.1 + Connection: Close (case)", "HTTP/1.1\r\nConnection: Close\r\n", false],
    ["HTTP/1.1 + Connection: keep-alive", "HTTP/1.1\r\nConnection: keep-alive\r\n", true],
    ["HTTP/1.1 + close among tokens", "HTTP/1.1\r\nConnection: foo, close\r\n", false],
    ["HTTP/1.1 + Proxy-Connection: close", "HTTP/1.1\r\nProxy-Connection: close\r\n", false],
    ["HTTP/1.0 with no Connection", "HTTP/1.0\r\n", false],
    ["HTTP/1.0 + Connection: keep-alive", "HTTP/1.0\r\nConnection: keep-alive\r\n", true],
    ["HTTP/1.0 + Connection: Keep-Alive (case)", "HTTP/1.0\r\nConnection: Keep-Alive\r\n", true],
    [
      "HTTP/1.0 + Proxy-Connection: keep-alive",
      "HTTP/1.0\r\nProxy-Connection: keep-alive\r\n",
      true,
    ],
    [
      "HTTP/1.0 + keep-alive and close",
      "HTTP/1.0\r\nConnection: keep-alive\r\nProxy-Connection: close\r\n",
      false,
    ],
    ["HTTP/1.0 + other token only", "HTTP/1.0\r\nConnection: x-foo\r\n", false],
  ];
  for (const [name, rest, want] of cases) {
    await t.step(name, () => {
      assert.equal(clientWantsKeepAlive(req(`GET http://a/ ${rest}\r\n`)), want);
    });
  }
});
