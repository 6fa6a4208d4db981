import assert from "node:assert/strict";
import { AuthRequiredError, ProxyError, RateLimitedError } from "../lib/errors.ts";
import { ResponseParser } from "../lib/http1/parse.ts";
import { CONNECT_ESTABLISHED, errorResponse, STATUS_TEXT } from "../lib/responses.ts";

function parse(bytes: Uint8Array) {
  const r = new ResponseParser().parse(bytes);
  assert.ok(r, "incomplete response head");
  const body = bytes.subarray(r.consumed);
  return { head: r.head, body, text: new TextDecoder().decode(body) };
}

Deno.test("errorResponse: a valid response with the right status, length and fields", () => {
  const out = errorResponse(
    new ProxyError(502, "dns-failure", "Cannot resolve example.invalid: no such host"),
  );
  const { head, body, text } = parse(out);
  assert.equal(head.minor, 1);
  assert.equal(head.status, 502);
  assert.equal(head.reason, "Bad Gateway");
  assert.equal(head.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal(head.headers.get("content-length"), String(body.length));
  assert.equal(head.headers.get("x-sluice-reason"), "dns-failure");
  assert.equal(head.headers.get("proxy-status"), "sluice; error=dns_error");
  assert.equal(head.headers.get("connection"), "close");
  assert.equal(
    text,
    "502 Bad Gateway: Cannot resolve example.invalid: no such host\nreason: dns-failure\n",
  );
});

Deno.test("errorResponse: Content-Length counts UTF-8 bytes, not characters", () => {
  const out = errorResponse(
    new ProxyError(502, "upstream-refused", "Cannot connect to bücher.例え"),
  );
  const { head, body, text } = parse(out);
  assert.equal(Number(head.headers.get("content-length")), body.length);
  assert.ok(body.length > text.length);
  assert.match(text, /bücher\.例え/);
});

Deno.test("errorResponse: line breaks in the message cannot inject lines", () => {
  const out = errorResponse(
    new ProxyError(400, "bad-request", "line one\r\nX-Injected: yes\n\nline three"),
  );
  const { head, body, text } = parse(out);
  assert.equal(head.headers.has("x-injected"), false);
  assert.equal(Number(head.headers.get("content-length")), body.length);
  assert.equal(text, "400 Bad Request: line one X-Injected: yes line three\nreason: bad-request\n");
});

Deno.test("errorResponse: Proxy-Status error types", async (t) => {
  const cases: [number, ProxyError["reason"], string][] = [
    [502, "dns-failure", "dns_error"],
    [502, "upstream-refused", "connection_refused"],
    [502, "upstream-unreachable", "destination_unavailable"],
    [504, "upstream-connect-timeout", "connection_timeout"],
    [502, "upstream-closed", "connection_terminated"],
    [502, "upstream-bad-response", "http_protocol_error"],
    [403, "permission-denied", "destination_ip_prohibited"],
    [403, "connect-port-denied", "destination_ip_prohibited"],
    [431, "head-too-large", "http_request_error"],
    [414, "uri-too-long", "http_request_error"],
    [431, "too-many-headers", "http_request_error"],
    [400, "bad-request-line", "http_request_error"],
    [501, "unsupported-transfer-coding", "proxy_internal_error"],
    [502, "upstream-error", "proxy_internal_error"],
  ];
  for (const [status, reason, type] of cases) {
    await t.step(`${status} ${reason} -> ${type}`, () => {
      const { head, text } = parse(errorResponse(new ProxyError(status, reason, "m")));
      assert.equal(head.status, status);
      assert.equal(head.reason, STATUS_TEXT[status]);
      assert.equal(head.headers.get("proxy-status"), `sluice; error=${type}`);
      assert.equal(head.headers.get("x-sluice-reason"), reason);
      assert.equal(head.headers.get("connection"), "close");
      assert.ok(text.includes(`reason: ${reason}\n`));
      assert.ok(text.startsWith(`${status} ${STATUS_TEXT[status]}: m\n`));
    });
  }
});

Deno.test("errorResponse: every status in STATUS_TEXT gives a parseable response", () => {
  for (const [code, phrase] of Object.entries(STATUS_TEXT)) {
    const status = Number(code);
    const { head, body } = parse(errorResponse(new ProxyError(status, "bad-request", "x")));
    assert.equal(head.status, status);
    assert.equal(head.reason, phrase);
    assert.equal(Number(head.headers.get("content-length")), body.length);
  }
});

Deno.test("errorResponse: an unknown status gets the phrase Error", () => {
  const { head, text } = parse(errorResponse(new ProxyError(418, "bad-request", "teapot")));
  assert.equal(head.status, 418);
  assert.equal(head.reason, "Error");
  assert.equal(text, "418 Error: teapot\nreason: bad-request\n");
});

Deno.test("errorResponse: the proxy name goes into Proxy-Status", () => {
  const { head } = parse(errorResponse(new ProxyError(502, "dns-failure", "x"), "edge-1"));
  assert.equal(head.headers.get("proxy-status"), "edge-1; error=dns_error");
});

Deno.test("errorResponse: the head fields come in a fixed order", () => {
  const { head } = parse(errorResponse(new ProxyError(403, "connect-port-denied", "no")));
  assert.deepEqual(head.headers.keys, [
    "content-type",
    "content-length",
    "x-sluice-reason",
    "proxy-status",
    "connection",
  ]);
});

Deno.test("CONNECT_ESTABLISHED: exact bytes", () => {
  assert.equal(
    new TextDecoder().decode(CONNECT_ESTABLISHED),
    "HTTP/1.1 200 Connection Established\r\n\r\n",
  );
  const r = new ResponseParser().parse(CONNECT_ESTABLISHED);
  assert.ok(r);
  assert.equal(r.consumed, CONNECT_ESTABLISHED.length);
  assert.equal(r.head.status, 200);
  assert.equal(r.head.reason, "Connection Established");
  assert.equal(r.head.headers.size, 0);
});

Deno.test("errorResponse: a 407 carries Proxy-Authenticate with the challenge", () => {
  const text = new TextDecoder().decode(
    errorResponse(
      new AuthRequiredError("auth-required", "Proxy authentication required", 'Basic realm="x"'),
    ),
  );
  assert.match(text, /^HTTP\/1\.1 407 Proxy Authentication Required\r\n/);
  assert.match(text, /\r\nProxy-Authenticate: Basic realm="x"\r\n/);
  assert.match(text, /\r\nX-Sluice-Reason: auth-required\r\n/);
  assert.match(text, /\r\nProxy-Status: sluice; error=http_request_denied\r\n/);
  // other errors have no challenge
  const plain = new TextDecoder().decode(errorResponse(new ProxyError(403, "host-denied", "no")));
  assert.doesNotMatch(plain, /Proxy-Authenticate/);
});

Deno.test("errorResponse: a 429 auth-rate-limited carries Retry-After and no challenge", () => {
  const { head, text } = parse(
    errorResponse(new RateLimitedError("Too many failed proxy logins from 10.1.2.3", 42)),
  );
  assert.equal(head.status, 429);
  assert.equal(head.reason, "Too Many Requests");
  assert.equal(head.headers.get("retry-after"), "42");
  assert.equal(head.headers.get("x-sluice-reason"), "auth-rate-limited");
  assert.equal(head.headers.get("proxy-status"), "sluice; error=http_request_denied");
  assert.equal(head.headers.has("proxy-authenticate"), false);
  assert.equal(head.headers.get("connection"), "close");
  assert.equal(
    text,
    "429 Too Many Requests: Too many failed proxy logins from 10.1.2.3\nreason: auth-rate-limited\n",
  );
  // whole seconds, at least 1
  assert.equal(new RateLimitedError("m", 0.2).retryAfter, 1);
  assert.equal(new RateLimitedError("m", 7.1).retryAfter, 8);
  const plain = new TextDecoder().decode(errorResponse(new ProxyError(403, "host-denied", "no")));
  assert.doesNotMatch(plain, /Retry-After/);
});
