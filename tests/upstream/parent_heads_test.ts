/**
 * The heads sent to a parent proxy and what its answers mean
 * (lib/upstream/parent_heads.ts): a plain request is the direct head
 * (`upstreamRequestHead`) with an absolute-form request line and the
 * parent's `Proxy-Authorization`, checked against the direct head itself so
 * the two cannot drift; a CONNECT goes on as the parent's CONNECT; the
 * parent's CONNECT answer opens the tunnel or is relayed as a refusal.
 *
 * @module
 */

import assert from "node:assert/strict";
import { upstreamRequestHead } from "../../lib/http1/forward.ts";
import { parseAbsoluteTarget, parseAuthorityTarget } from "../../lib/http1/target.ts";
import {
  isParentRefusal,
  PARENT_REFUSED,
  parentConnectHead,
  parentConnectOutcome,
  parentRequestHead,
  parseParent,
} from "../../lib/upstream/parent.ts";
import { req, res, text } from "../http1/forward_helpers.ts";

const WITH_AUTH = parseParent("http://alice:secret@proxy:3128");
const NO_AUTH = parseParent("http://proxy:3128");
const AUTH_LINE = `Proxy-Authorization: Basic ${btoa("alice:secret")}\r\n`;

/** The head sent to the parent for a raw client head, as text. */
function toParent(
  raw: string,
  parent = WITH_AUTH,
  keepAlive = false,
  upgrade: string | null = null,
): string {
  const head = req(raw);
  const target = parseAbsoluteTarget(head.target);
  return text(parentRequestHead(head, target, "sluice", parent, keepAlive, upgrade));
}

/** The head sent to the parent for a raw client CONNECT, as text. */
function connectToParent(raw: string, parent = WITH_AUTH, via = "sluice"): string {
  const head = req(raw);
  return text(parentConnectHead(head, parseAuthorityTarget(head.target), via, parent));
}

// ---------------------------------------------------------------------------
// parentRequestHead

Deno.test("parentRequestHead: absolute-form, Host, Via, Proxy-Authorization, Connection: close", () => {
  assert.equal(
    toParent("GET http://a:81/x?y=1 HTTP/1.1\r\nAccept: */*\r\n\r\n"),
    "GET http://a:81/x?y=1 HTTP/1.1\r\nHost: a:81\r\nAccept: */*\r\nVia: 1.1 sluice\r\n" +
      AUTH_LINE + "Connection: close\r\n\r\n",
  );
});

Deno.test("parentRequestHead: the port is left out when 80, IPv6 stays bracketed, a query gets its /", () => {
  const line = (raw: string) => toParent(raw, NO_AUTH).split("\r\n").slice(0, 2).join(" | ");
  assert.equal(line("GET http://a:80/ HTTP/1.1\r\n\r\n"), "GET http://a/ HTTP/1.1 | Host: a");
  assert.equal(
    line("GET http://A.Example HTTP/1.1\r\n\r\n"),
    "GET http://a.example/ HTTP/1.1 | Host: a.example",
  );
  assert.equal(
    line("GET http://[::1]:8080/p HTTP/1.1\r\n\r\n"),
    "GET http://[::1]:8080/p HTTP/1.1 | Host: [::1]:8080",
  );
  assert.equal(line("HEAD http://a?q HTTP/1.0\r\n\r\n"), "HEAD http://a/?q HTTP/1.1 | Host: a");
  assert.equal(line("GET http://a/#frag HTTP/1.1\r\n\r\n"), "GET http://a/ HTTP/1.1 | Host: a");
});

Deno.test("parentRequestHead: the client's Proxy-Authorization never goes on; the parent's once", () => {
  const raw = "GET http://a/ HTTP/1.1\r\nProxy-Authorization: Basic Y2xpZW50OnB3\r\n" +
    "Connection: Proxy-Authorization\r\n\r\n";
  const withAuth = toParent(raw);
  assert.equal(withAuth.split("Proxy-Authorization:").length - 1, 1, withAuth);
  assert.ok(withAuth.includes(AUTH_LINE), withAuth);
  assert.ok(!withAuth.includes("Y2xpZW50OnB3"), withAuth);
  const noAuth = toParent(raw, NO_AUTH);
  assert.doesNotMatch(noAuth, /proxy-authorization/i);
});

Deno.test("parentRequestHead: keep-alive and an Upgrade end the head as the direct head does", () => {
  assert.equal(
    toParent("GET http://a/ HTTP/1.1\r\n\r\n", NO_AUTH, true),
    "GET http://a/ HTTP/1.1\r\nHost: a\r\nVia: 1.1 sluice\r\n\r\n",
  );
  assert.equal(
    toParent(
      "GET http://a/ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
      WITH_AUTH,
      true,
      "websocket",
    ),
    "GET http://a/ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nVia: 1.1 sluice\r\n" +
      AUTH_LINE + "Connection: upgrade\r\n\r\n",
  );
});

Deno.test("parentRequestHead: the direct head with the absolute-form line and Proxy-Authorization, for each request", () => {
  const requests = [
    "GET http://a:81/x HTTP/1.1\r\n\r\n",
    "GET http://Example.COM:8080/p/a?q=1#frag HTTP/1.1\r\nUser-Agent: ua/1\r\nHost: wrong.example\r\n" +
    "Connection: keep-alive, X-Trace\r\nX-Trace: t\r\nAccept: */*\r\nProxy-Connection: keep-alive\r\n" +
    "Proxy-Authorization: Basic eDp5\r\nKeep-Alive: 300\r\nTE: trailers\r\nx-lower-case: v\r\n\r\n",
    "POST http://a/form HTTP/1.1\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\n",
    "PUT http://a/up HTTP/1.1\r\nTransfer-Encoding: chunked\r\nVia: 1.0 edge\r\n\r\n",
    "GET http://a/ HTTP/1.0\r\nVia: 1.1 x, 1.1 y\r\nVia: 1.0 z\r\nCookie: k=v\r\n\r\n",
    "OPTIONS http://[fd00::1]:8443/* HTTP/1.1\r\nMax-Forwards: 3\r\n\r\n",
    "GET http://a/latin HTTP/1.1\r\nX-Name: caf\xe9\r\n\r\n",
  ];
  for (const raw of requests) {
    for (const keepAlive of [false, true]) {
      for (const parent of [WITH_AUTH, NO_AUTH]) {
        const d = req(raw);
        const t = parseAbsoluteTarget(d.target);
        const direct = text(upstreamRequestHead(d, t, "sluice", keepAlive));
        const end = keepAlive ? "\r\n" : "Connection: close\r\n\r\n";
        assert.ok(direct.endsWith(end), direct);
        const crlf = direct.indexOf("\r\n");
        const expected = `${d.method} http://${t.authority}${t.path} HTTP/1.1` +
          direct.slice(crlf, direct.length - end.length) +
          (parent.authorization === null ? "" : AUTH_LINE) + end;
        assert.equal(toParent(raw, parent, keepAlive), expected, raw);
      }
    }
  }
});

// ---------------------------------------------------------------------------
// parentConnectHead

Deno.test("parentConnectHead: CONNECT host:port with Host, Via and Proxy-Authorization", () => {
  assert.equal(
    connectToParent("CONNECT Example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
    `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nVia: 1.1 sluice\r\n${AUTH_LINE}\r\n`,
  );
  assert.equal(
    connectToParent("CONNECT [::1]:8443 HTTP/1.0\r\n\r\n", NO_AUTH, ""),
    "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n",
  );
});

Deno.test("parentConnectHead: the client's end-to-end fields go on; hop-by-hop, framing and its credentials do not", () => {
  const raw = "CONNECT a:443 HTTP/1.1\r\nHost: other:1\r\nUser-Agent: curl/8\r\n" +
    "Proxy-Authorization: Basic Y2xpZW50OnB3\r\nProxy-Connection: Keep-Alive\r\n" +
    "Connection: X-Hop\r\nX-Hop: 1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n" +
    "Via: 1.0 edge\r\n\r\n";
  assert.equal(
    connectToParent(raw),
    "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nUser-Agent: curl/8\r\nVia: 1.0 edge, 1.1 sluice\r\n" +
      `${AUTH_LINE}\r\n`,
  );
});

// ---------------------------------------------------------------------------
// parentConnectOutcome

Deno.test("parentConnectOutcome: 2xx opens the tunnel, 1xx waits, 101 is broken", () => {
  const target = parseAuthorityTarget("a:443");
  for (const s of ["200 Connection established", "200 OK", "204 No Content", "299 X"]) {
    const r = res(`HTTP/1.1 ${s}\r\n\r\n`);
    assert.deepEqual(parentConnectOutcome(r, NO_AUTH, target), { kind: "tunnel" }, s);
  }
  assert.deepEqual(
    parentConnectOutcome(res("HTTP/1.0 200 \r\n\r\n"), NO_AUTH, target),
    { kind: "tunnel" },
  );
  assert.deepEqual(
    parentConnectOutcome(res("HTTP/1.1 100 Continue\r\n\r\n"), NO_AUTH, target),
    { kind: "interim" },
  );
  assert.deepEqual(
    parentConnectOutcome(res("HTTP/1.1 101 Switching\r\nUpgrade: x\r\n\r\n"), NO_AUTH, target),
    { kind: "invalid", message: "Parent proxy proxy:3128 answered CONNECT a:443 with 101" },
  );
});

Deno.test("parentConnectOutcome: 3xx, 4xx and 5xx are the parent's refusal, relayed as parent-refused", () => {
  const target = parseAuthorityTarget("[::1]:22");
  const cases: [string, number, string][] = [
    ["407 Proxy Authentication Required", 407, "407 Proxy Authentication Required"],
    ["403 Forbidden", 403, "403 Forbidden"],
    ["502 Bad Gateway", 502, "502 Bad Gateway"],
    ["503 ", 503, "503"],
    ["301 Moved", 301, "301 Moved"],
    ["400 Bad Request", 400, "400 Bad Request"],
  ];
  for (const [line, status, shown] of cases) {
    assert.deepEqual(
      parentConnectOutcome(res(`HTTP/1.1 ${line}\r\nContent-Length: 0\r\n\r\n`), WITH_AUTH, target),
      {
        kind: "refused",
        status,
        reason: PARENT_REFUSED,
        message: `Parent proxy proxy:3128 refused CONNECT [::1]:22: ${shown}`,
      },
      line,
    );
  }
  assert.equal(PARENT_REFUSED, "parent-refused");
});

// ---------------------------------------------------------------------------
// isParentRefusal

Deno.test("isParentRefusal: a 407 always; a 403 or 5xx only when a proxy made it", () => {
  const cases: [string, boolean][] = [
    ["407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=x", true],
    ["407 x", true],
    ["403 Forbidden\r\nX-Sluice-Reason: host-denied", true],
    ["403 Forbidden\r\nX-Squid-Error: ERR_ACCESS_DENIED 0", true],
    ["503 Service Unavailable\r\nX-Squid-Error: ERR_CONNECT_FAIL 111", true],
    ["502 Bad Gateway\r\nProxy-Status: sluice; error=destination_ip_unroutable", true],
    ["504 x\r\nProxy-Status: a, parent ; ERROR = connection_timeout", true],
    ["502 Bad Gateway\r\nProxy-Status: cdn; received-status=502", false],
    ["403 Forbidden", false], // the origin's own
    ["503 Service Unavailable\r\nRetry-After: 5", false],
    ["500 Internal Server Error", false],
    ["200 OK\r\nX-Sluice-Reason: whatever", false],
    ["404 Not Found\r\nX-Squid-Error: ERR_x", false],
    ["401 Unauthorized\r\nX-Sluice-Reason: x", false],
  ];
  for (const [line, refusal] of cases) {
    assert.equal(isParentRefusal(res(`HTTP/1.1 ${line}\r\n\r\n`)), refusal, line);
  }
});
