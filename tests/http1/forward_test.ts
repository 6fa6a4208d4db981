import assert from "node:assert/strict";
import type { BodyFraming } from "../../lib/http1/framing.ts";
import {
  clientWantsKeepAlive,
  encodeLatin1,
  interimHead,
  planResponse,
  upstreamRequestHead,
} from "../../lib/http1/forward.ts";
import {
  latin1,
  type RequestHead,
  RequestParser,
  type ResponseHead,
  ResponseParser,
} from "../../lib/http1/parse.ts";
import { parseAbsoluteTarget } from "../../lib/http1/target.ts";

function bytes(s: string): Uint8Array {
  return encodeLatin1(s);
}

function text(b: Uint8Array): string {
  return latin1(b, 0, b.length);
}

function req(raw: string): RequestHead {
  const r = new RequestParser().parse(bytes(raw));
  assert.ok(r, "request head incomplete");
  return r.head;
}

function res(raw: string): ResponseHead {
  const r = new ResponseParser().parse(bytes(raw));
  assert.ok(r, "response head incomplete");
  return r.head;
}

function upstream(raw: string): string {
  const head = req(raw);
  return text(upstreamRequestHead(head, parseAbsoluteTarget(head.target), "sluice"));
}

// ---------------------------------------------------------------------------
// encodeLatin1

Deno.test("encodeLatin1: round-trips with latin1() for all 256 byte values", () => {
  let s = "";
  for (let i = 0; i < 256; i++) s += String.fromCharCode(i);
  const b = encodeLatin1(s);
  assert.equal(b.length, 256);
  for (let i = 0; i < 256; i++) assert.equal(b[i], i, `byte ${i}`);
  assert.equal(latin1(b, 0, b.length), s);
  const all = new Uint8Array(256).map((_, i) => 255 - i);
  assert.deepEqual(encodeLatin1(latin1(all, 0, all.length)), all);
});

Deno.test("encodeLatin1: empty string", () => {
  assert.equal(encodeLatin1("").length, 0);
});

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

// ---------------------------------------------------------------------------
// planResponse

/** Origin responses used for each framing kind (fresh parse per case: planResponse mutates). */
const ORIGIN: Record<BodyFraming["kind"], string> = {
  none: 'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\nConnection: keep-alive\r\n\r\n',
  length:
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: Keep-Alive, X-Hop\r\nKeep-Alive: timeout=5\r\nX-Hop: h\r\nX-A: 1\r\n\r\n",
  chunked: "HTTP/1.1 200 Fine Thanks\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n",
  close: "HTTP/1.0 200 OK\r\nX-A: 1\r\n\r\n",
};

const FRAMING: Record<BodyFraming["kind"], BodyFraming> = {
  none: { kind: "none" },
  length: { kind: "length", length: 5 },
  chunked: { kind: "chunked" },
  close: { kind: "close" },
};

/** [kind, client minor, keepAlive in] -> [mode, keepAlive out, head]. */
const PLANS: [BodyFraming["kind"], 0 | 1, boolean, string, boolean, string][] = [
  // none
  [
    "none",
    1,
    true,
    "none",
    true,
    'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\nVia: 1.1 sluice\r\n\r\n',
  ],
  [
    "none",
    1,
    false,
    "none",
    false,
    'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\nVia: 1.1 sluice\r\nConnection: close\r\n\r\n',
  ],
  [
    "none",
    0,
    true,
    "none",
    true,
    'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\nVia: 1.1 sluice\r\nConnection: keep-alive\r\n\r\n',
  ],
  [
    "none",
    0,
    false,
    "none",
    false,
    'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\nVia: 1.1 sluice\r\nConnection: close\r\n\r\n',
  ],
  // length
  [
    "length",
    1,
    true,
    "length",
    true,
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nVia: 1.1 sluice\r\n\r\n",
  ],
  [
    "length",
    1,
    false,
    "length",
    false,
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nVia: 1.1 sluice\r\nConnection: close\r\n\r\n",
  ],
  [
    "length",
    0,
    true,
    "length",
    true,
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nVia: 1.1 sluice\r\nConnection: keep-alive\r\n\r\n",
  ],
  [
    "length",
    0,
    false,
    "length",
    false,
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nVia: 1.1 sluice\r\nConnection: close\r\n\r\n",
  ],
  // chunked
  [
    "chunked",
    1,
    true,
    "chunked",
    true,
    "HTTP/1.1 200 Fine Thanks\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nVia: 1.1 sluice\r\n\r\n",
  ],
  [
    "chunked",
    1,
    false,
    "chunked",
    false,
    "HTTP/1.1 200 Fine Thanks\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nVia: 1.1 sluice\r\nConnection: close\r\n\r\n",
  ],
  [
    "chunked",
    0,
    true,
    "dechunk",
    false,
    "HTTP/1.1 200 Fine Thanks\r\nX-A: 1\r\nVia: 1.1 sluice\r\nConnection: close\r\n\r\n",
  ],
  [
    "chunked",
    0,
    false,
    "dechunk",
    false,
    "HTTP/1.1 200 Fine Thanks\r\nX-A: 1\r\nVia: 1.1 sluice\r\nConnection: close\r\n\r\n",
  ],
  // close (an HTTP/1.0 origin: Via says 1.0, the status line still says HTTP/1.1)
  [
    "close",
    1,
    true,
    "rechunk",
    true,
    "HTTP/1.1 200 OK\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\nVia: 1.0 sluice\r\n\r\n",
  ],
  [
    "close",
    1,
    false,
    "raw",
    false,
    "HTTP/1.1 200 OK\r\nX-A: 1\r\nVia: 1.0 sluice\r\nConnection: close\r\n\r\n",
  ],
  [
    "close",
    0,
    true,
    "raw",
    false,
    "HTTP/1.1 200 OK\r\nX-A: 1\r\nVia: 1.0 sluice\r\nConnection: close\r\n\r\n",
  ],
  [
    "close",
    0,
    false,
    "raw",
    false,
    "HTTP/1.1 200 OK\r\nX-A: 1\r\nVia: 1.0 sluice\r\nConnection: close\r\n\r\n",
  ],
];

Deno.test("planResponse: the matrix covers every framing kind x client version x keepAlive", () => {
  const seen = new Set(PLANS.map(([k, m, ka]) => `${k}/${m}/${ka}`));
  assert.equal(seen.size, 16);
  for (const k of Object.keys(FRAMING)) {
    for (const m of [0, 1]) for (const ka of [true, false]) assert.ok(seen.has(`${k}/${m}/${ka}`));
  }
});

for (const [kind, minor, keepIn, mode, keepOut, head] of PLANS) {
  Deno.test(`planResponse: ${kind}, HTTP/1.${minor} client, keepAlive ${keepIn} -> ${mode}`, () => {
    const plan = planResponse(
      req(`GET http://a/ HTTP/1.${minor}\r\n\r\n`),
      res(ORIGIN[kind]),
      FRAMING[kind],
      keepIn,
      "sluice",
    );
    assert.equal(plan.mode, mode);
    assert.equal(plan.keepAlive, keepOut);
    assert.equal(text(plan.head), head);
    // Whatever the plan, the head it makes is a valid response head.
    const reparsed = new ResponseParser().parse(plan.head);
    assert.ok(reparsed);
    assert.equal(reparsed.consumed, plan.head.length);
    assert.equal(reparsed.head.minor, 1);
    assert.equal(reparsed.head.status, res(ORIGIN[kind]).status);
    assert.equal(reparsed.head.reason, res(ORIGIN[kind]).reason);
  });
}

Deno.test("planResponse: rechunk appends chunked to an existing transfer coding", () => {
  const plan = planResponse(
    req("GET http://a/ HTTP/1.1\r\n\r\n"),
    res("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nX-A: 1\r\n\r\n"),
    { kind: "close" },
    true,
    "sluice",
  );
  assert.equal(plan.mode, "rechunk");
  assert.equal(plan.keepAlive, true);
  assert.equal(
    text(plan.head),
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nX-A: 1\r\nVia: 1.1 sluice\r\n\r\n",
  );
});

Deno.test("planResponse: an empty reason phrase is kept empty", () => {
  const plan = planResponse(
    req("GET http://a/ HTTP/1.1\r\n\r\n"),
    res("HTTP/1.1 599 \r\nContent-Length: 1\r\n\r\n"),
    { kind: "length", length: 1 },
    true,
    "sluice",
  );
  assert.equal(text(plan.head), "HTTP/1.1 599 \r\nContent-Length: 1\r\nVia: 1.1 sluice\r\n\r\n");
});

Deno.test("planResponse: dechunk removes every Transfer-Encoding field", () => {
  const plan = planResponse(
    req("GET http://a/ HTTP/1.0\r\n\r\n"),
    res(
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nX: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
    ),
    { kind: "chunked" },
    true,
    "sluice",
  );
  assert.equal(plan.mode, "dechunk");
  assert.doesNotMatch(text(plan.head), /transfer-encoding/i);
});

Deno.test("planResponse: extends the origin's Via and strips Proxy-Authenticate", () => {
  const plan = planResponse(
    req("GET http://a/ HTTP/1.1\r\n\r\n"),
    res(
      "HTTP/1.1 200 OK\r\nVia: 1.1 cdn\r\nProxy-Authenticate: Basic\r\nUpgrade: h2\r\nContent-Length: 2\r\n\r\n",
    ),
    { kind: "length", length: 2 },
    true,
    "sluice",
  );
  assert.equal(
    text(plan.head),
    "HTTP/1.1 200 OK\r\nVia: 1.1 cdn, 1.1 sluice\r\nContent-Length: 2\r\n\r\n",
  );
});

// ---------------------------------------------------------------------------
// interimHead

Deno.test("interimHead: 100 Continue", () => {
  assert.equal(
    text(interimHead(res("HTTP/1.1 100 Continue\r\n\r\n"), "sluice")),
    "HTTP/1.1 100 Continue\r\nVia: 1.1 sluice\r\n\r\n",
  );
});

Deno.test("interimHead: 103 Early Hints keeps end-to-end fields and drops hop-by-hop ones", () => {
  assert.equal(
    text(
      interimHead(
        res(
          "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\nConnection: keep-alive, X-H\r\nX-H: 1\r\nLink: </b.js>; rel=preload\r\n\r\n",
        ),
        "sluice",
      ),
    ),
    "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\nLink: </b.js>; rel=preload\r\nVia: 1.1 sluice\r\n\r\n",
  );
});

Deno.test("interimHead: the status line is HTTP/1.1 even from an HTTP/1.0 origin", () => {
  const out = text(interimHead(res("HTTP/1.0 102 Processing\r\nX: y\r\n\r\n"), "sluice"));
  assert.equal(out, "HTTP/1.1 102 Processing\r\nX: y\r\nVia: 1.0 sluice\r\n\r\n");
});
