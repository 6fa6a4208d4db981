/**
 * The response side of lib/http1/forward.ts: how an origin's response is sent
 * on to the client (planResponse) and interim 1xx heads (interimHead).
 */

import assert from "node:assert/strict";
import type { BodyFraming } from "../../lib/http1/framing.ts";
import { interimHead, planResponse } from "../../lib/http1/forward.ts";
import { ResponseParser } from "../../lib/http1/parse.ts";
import { req, res, text } from "./forward_helpers.ts";

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
