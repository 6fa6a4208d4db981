/**
 * Tests for message body framing in lib/http1/framing.ts. The heads are built
 * by the parsers from raw bytes, so each case reads as the HTTP it is about.
 */

import assert from "node:assert/strict";
import { ParseError } from "../../lib/errors.ts";
import {
  type BodyFraming,
  NO_BODY,
  requestFraming,
  responseFraming,
} from "../../lib/http1/framing.ts";
import {
  type RequestHead,
  RequestParser,
  type ResponseHead,
  ResponseParser,
} from "../../lib/http1/parse.ts";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function bin(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** Parses a request head given as its lines (start line first). */
function request(...lines: string[]): RequestHead {
  const r = new RequestParser().parse(bin(lines.join("\r\n") + "\r\n\r\n"));
  assert.notEqual(r, null, "test head did not parse");
  return r!.head;
}

/** Parses a response head given as its lines (status line first). */
function response(...lines: string[]): ResponseHead {
  const r = new ResponseParser().parse(bin(lines.join("\r\n") + "\r\n\r\n"));
  assert.notEqual(r, null, "test head did not parse");
  return r!.head;
}

interface ExpectedError {
  status: number;
  reason: string;
  message?: string | RegExp;
}

function assertFramingError(fn: () => unknown, exp: ExpectedError): void {
  let err: unknown;
  try {
    const framing = fn();
    assert.fail(`expected a ParseError, got framing ${JSON.stringify(framing)}`);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ParseError, `expected a ParseError, got ${String(err)}`);
  assert.equal(err.status, exp.status, `status of "${err.message}"`);
  assert.equal(err.reason, exp.reason, `reason of "${err.message}"`);
  assert.ok(err.message.startsWith("Cannot frame "), err.message);
  if (typeof exp.message === "string") assert.equal(err.message, exp.message);
  else if (exp.message) assert.match(err.message, exp.message);
}

const NONE: BodyFraming = { kind: "none" };
const CHUNKED: BodyFraming = { kind: "chunked" };
const CLOSE: BodyFraming = { kind: "close" };
const length = (n: number): BodyFraming => ({ kind: "length", length: n });

// ---------------------------------------------------------------------------
// requestFraming
// ---------------------------------------------------------------------------

const POST = "POST http://a.test/ HTTP/1.1";
const POST10 = "POST http://a.test/ HTTP/1.0";

const REQUEST_FRAMINGS: [name: string, lines: string[], expected: BodyFraming][] = [
  [
    "a GET without framing fields has no body",
    ["GET http://a.test/ HTTP/1.1", "Host: a.test"],
    NONE,
  ],
  ["a POST without framing fields has no body", [POST, "Host: a.test"], NONE],
  ["Content-Length: 5 is a 5-byte body", [POST, "Content-Length: 5"], length(5)],
  ["Content-Length: 0 is no body", [POST, "Content-Length: 0"], NONE],
  ["Content-Length with leading zeros", [POST, "Content-Length: 0042"], length(42)],
  ["a lower-case content-length name", [POST, "content-length: 7"], length(7)],
  [
    "Content-Length of 15 digits",
    [POST, "Content-Length: 999999999999999"],
    length(999999999999999),
  ],
  [
    "repeated identical Content-Length fields",
    [POST, "Content-Length: 5", "Content-Length: 5"],
    length(5),
  ],
  ['a Content-Length list "5, 5"', [POST, "Content-Length: 5, 5"], length(5)],
  ['a Content-Length list "5,5" and another field "5"', [
    POST,
    "Content-Length: 5,5",
    "Content-Length: 5",
  ], length(5)],
  ["Content-Length in an HTTP/1.0 request", [POST10, "Content-Length: 3"], length(3)],
  ["Transfer-Encoding: chunked", [POST, "Transfer-Encoding: chunked"], CHUNKED],
  ['Transfer-Encoding "Chunked" (case-insensitive)', [POST, "Transfer-Encoding: Chunked"], CHUNKED],
  ['Transfer-Encoding "gzip, chunked"', [POST, "Transfer-Encoding: gzip, chunked"], CHUNKED],
  [
    "codings split over two Transfer-Encoding fields",
    [POST, "Transfer-Encoding: gzip", "Transfer-Encoding: chunked"],
    CHUNKED,
  ],
  [
    'Transfer-Encoding "deflate, x-gzip, compress, chunked"',
    [POST, "Transfer-Encoding: deflate, x-gzip, compress, chunked"],
    CHUNKED,
  ],
];

for (const [name, lines, expected] of REQUEST_FRAMINGS) {
  Deno.test(`requestFraming: ${name}`, () => {
    assert.deepEqual(requestFraming(request(...lines)), expected);
  });
}

Deno.test("requestFraming returns the shared NO_BODY for a request without a body", () => {
  assert.equal(requestFraming(request(POST)), NO_BODY);
  assert.deepEqual(NO_BODY, NONE);
  assert.ok(Object.isFrozen(NO_BODY));
});

const badFraming = { status: 400, reason: "bad-framing" } as const;

const REQUEST_FRAMING_ERRORS: [name: string, lines: string[], expected: ExpectedError][] = [
  [
    "Content-Length with Transfer-Encoding",
    [POST, "Content-Length: 5", "Transfer-Encoding: chunked"],
    { ...badFraming, message: "Cannot frame request: both Content-Length and Transfer-Encoding" },
  ],
  [
    "Transfer-Encoding with Content-Length (other order)",
    [POST, "Transfer-Encoding: chunked", "Content-Length: 0"],
    { ...badFraming, message: "Cannot frame request: both Content-Length and Transfer-Encoding" },
  ],
  [
    "differing Content-Length fields",
    [POST, "Content-Length: 5", "Content-Length: 6"],
    { ...badFraming, message: "Cannot frame message: differing Content-Length values" },
  ],
  [
    'a differing Content-Length list "5, 6"',
    [POST, "Content-Length: 5, 6"],
    { ...badFraming, message: "Cannot frame message: differing Content-Length values" },
  ],
  ...["+5", "0x5", "", "-1", "5 5", "abc", "5,", ",5", "5.0", "1e3", "1234567890123456"].map(
    (v): [string, string[], ExpectedError] => [
      `an invalid Content-Length ${JSON.stringify(v)}`,
      [POST, `Content-Length: ${v}`],
      { ...badFraming, message: `Cannot frame message: invalid Content-Length "${v}"` },
    ],
  ),
  [
    "an invalid Content-Length next to a valid one",
    [POST, "Content-Length: 5", "Content-Length: five"],
    { ...badFraming, message: 'Cannot frame message: invalid Content-Length "five"' },
  ],
  ...["chunked, gzip", "chunked, chunked", "gzip, chunked, deflate"].map(
    (te): [string, string[], ExpectedError] => [
      `Transfer-Encoding ${JSON.stringify(te)} (chunked not last, or repeated)`,
      [POST, `Transfer-Encoding: ${te}`],
      {
        ...badFraming,
        message: "Cannot frame request: chunked must be the last transfer coding, once",
      },
    ],
  ),
  [
    "chunked repeated in two Transfer-Encoding fields",
    [POST, "Transfer-Encoding: chunked", "Transfer-Encoding: chunked"],
    { ...badFraming, message: /chunked must be the last transfer coding, once/ },
  ],
  [
    "Transfer-Encoding gzip without chunked",
    [POST, "Transfer-Encoding: gzip"],
    { ...badFraming, message: /chunked must be the last transfer coding, once/ },
  ],
  [
    "an empty Transfer-Encoding",
    [POST, "Transfer-Encoding: "],
    { ...badFraming, message: /chunked must be the last transfer coding, once/ },
  ],
  ...["foo", "identity", "br, chunked", "chunked2"].map(
    (te): [string, string[], ExpectedError] => [
      `an unknown transfer coding in ${JSON.stringify(te)} with 501`,
      [POST, `Transfer-Encoding: ${te}`],
      {
        status: 501,
        reason: "unsupported-transfer-coding",
        message: `Cannot frame request: unknown transfer coding "${te.split(",")[0]}"`,
      },
    ],
  ),
  [
    "Transfer-Encoding in an HTTP/1.0 request",
    [POST10, "Transfer-Encoding: chunked"],
    {
      ...badFraming,
      message: "Cannot frame request: Transfer-Encoding in an HTTP/1.0 request",
    },
  ],
];

for (const [name, lines, expected] of REQUEST_FRAMING_ERRORS) {
  Deno.test(`requestFraming rejects ${name}`, () => {
    assertFramingError(() => requestFraming(request(...lines)), expected);
  });
}

// ---------------------------------------------------------------------------
// responseFraming
// ---------------------------------------------------------------------------

const OK = "HTTP/1.1 200 OK";

const RESPONSE_FRAMINGS: [name: string, method: string, lines: string[], expected: BodyFraming][] =
  [
    [
      "a response to HEAD has no body despite Content-Length",
      "HEAD",
      [OK, "Content-Length: 100"],
      NONE,
    ],
    [
      "a response to HEAD has no body despite chunked",
      "HEAD",
      [OK, "Transfer-Encoding: chunked"],
      NONE,
    ],
    ["100 Continue has no body", "POST", ["HTTP/1.1 100 Continue"], NONE],
    ["101 Switching Protocols has no body", "GET", [
      "HTTP/1.1 101 Switching Protocols",
      "Upgrade: websocket",
    ], NONE],
    ["103 Early Hints has no body despite Content-Length", "GET", [
      "HTTP/1.1 103 Early Hints",
      "Content-Length: 5",
    ], NONE],
    ["204 No Content has no body despite Content-Length", "GET", [
      "HTTP/1.1 204 No Content",
      "Content-Length: 5",
    ], NONE],
    ["304 Not Modified has no body despite Content-Length", "GET", [
      "HTTP/1.1 304 Not Modified",
      "Content-Length: 1234",
    ], NONE],
    ["304 Not Modified has no body despite chunked", "GET", [
      "HTTP/1.1 304 Not Modified",
      "Transfer-Encoding: chunked",
    ], NONE],
    ["Transfer-Encoding: chunked", "GET", [OK, "Transfer-Encoding: chunked"], CHUNKED],
    ['Transfer-Encoding "gzip, chunked"', "GET", [OK, "Transfer-Encoding: gzip, chunked"], CHUNKED],
    ['Transfer-Encoding "CHUNKED"', "GET", [OK, "Transfer-Encoding: CHUNKED"], CHUNKED],
    [
      'Transfer-Encoding "chunked, gzip" (chunked not last) is delimited by close',
      "GET",
      [OK, "Transfer-Encoding: chunked, gzip"],
      { kind: "close" },
    ],
    [
      "Transfer-Encoding gzip only is delimited by close",
      "GET",
      [OK, "Transfer-Encoding: gzip"],
      CLOSE,
    ],
    [
      "an unknown transfer coding is delimited by close",
      "GET",
      [OK, "Transfer-Encoding: foo"],
      CLOSE,
    ],
    ["Content-Length: 5 is a 5-byte body", "GET", [OK, "Content-Length: 5"], length(5)],
    ["Content-Length: 5 in a response to POST", "POST", [
      "HTTP/1.1 201 Created",
      "Content-Length: 5",
    ], length(5)],
    ["Content-Length: 0 is no body", "GET", [OK, "Content-Length: 0"], NONE],
    ["repeated identical Content-Length fields", "GET", [
      OK,
      "Content-Length: 9",
      "Content-Length: 9",
    ], length(9)],
    ['a Content-Length list "9, 9"', "GET", [OK, "Content-Length: 9, 9"], length(9)],
    ["no framing fields is delimited by close", "GET", [OK], CLOSE],
    ["HTTP/1.0 without framing fields is delimited by close", "GET", ["HTTP/1.0 200 OK"], CLOSE],
    [
      "a 404 with Content-Length",
      "GET",
      ["HTTP/1.1 404 Not Found", "Content-Length: 9"],
      length(9),
    ],
    ["a 407 to CONNECT with Content-Length has that body", "CONNECT", [
      "HTTP/1.1 407 Proxy Authentication Required",
      "Content-Length: 3",
    ], length(3)],
  ];

for (const [name, method, lines, expected] of RESPONSE_FRAMINGS) {
  Deno.test(`responseFraming: ${name}`, () => {
    assert.deepEqual(responseFraming(method, response(...lines)), expected);
  });
}

// Was a bug: responseFraming's doc comment says "a 2xx to CONNECT has none (a tunnel
// follows)" (also RFC 9112 section 6.3, rule 2: Content-Length and
// Transfer-Encoding must be ignored there), but the code never looks at the
// method except for HEAD: responseFraming("CONNECT", 200 with
// Content-Length: 5) answers { kind: "length", length: 5 } and without framing
// fields { kind: "close" }. connection.ts tunnels CONNECT itself and never
// calls responseFraming for it today, so this is latent.
Deno.test({
  name: "responseFraming: a 2xx response to CONNECT has no body (a tunnel follows)",
  fn() {
    const established = ["HTTP/1.1 200 Connection established"];
    assert.deepEqual(responseFraming("CONNECT", response(...established)), NONE);
    assert.deepEqual(
      responseFraming("CONNECT", response(...established, "Content-Length: 5")),
      NONE,
    );
    assert.deepEqual(
      responseFraming("CONNECT", response(...established, "Transfer-Encoding: chunked")),
      NONE,
    );
  },
});

const bad502 = { status: 502, reason: "upstream-bad-response" } as const;

const RESPONSE_FRAMING_ERRORS: [name: string, lines: string[], expected: ExpectedError][] = [
  [
    "Content-Length with Transfer-Encoding",
    [OK, "Content-Length: 5", "Transfer-Encoding: chunked"],
    { ...bad502, message: "Cannot frame response: both Content-Length and Transfer-Encoding" },
  ],
  [
    "Transfer-Encoding with an invalid Content-Length",
    [OK, "Transfer-Encoding: chunked", "Content-Length: abc"],
    { ...bad502, message: "Cannot frame response: both Content-Length and Transfer-Encoding" },
  ],
  ...["abc", "-1", "5 5", "", "+5", "0x5"].map((v): [string, string[], ExpectedError] => [
    `an invalid Content-Length ${JSON.stringify(v)}`,
    [OK, `Content-Length: ${v}`],
    { ...bad502, message: `Cannot frame message: invalid Content-Length "${v}"` },
  ]),
  [
    "differing Content-Length fields",
    [OK, "Content-Length: 5", "Content-Length: 50"],
    { ...bad502, message: "Cannot frame message: differing Content-Length values" },
  ],
  [
    'Transfer-Encoding "chunked, chunked"',
    [OK, "Transfer-Encoding: chunked, chunked"],
    { ...bad502, message: "Cannot frame response: chunked applied more than once" },
  ],
];

for (const [name, lines, expected] of RESPONSE_FRAMING_ERRORS) {
  Deno.test(`responseFraming rejects ${name} with 502`, () => {
    assertFramingError(() => responseFraming("GET", response(...lines)), expected);
  });
}

Deno.test("responseFraming ignores bad framing fields where no body can follow", () => {
  const clash = ["Content-Length: 5", "Transfer-Encoding: chunked"];
  assert.deepEqual(responseFraming("HEAD", response(OK, ...clash)), NONE);
  assert.deepEqual(responseFraming("GET", response("HTTP/1.1 204 No Content", ...clash)), NONE);
  assert.deepEqual(
    responseFraming("GET", response("HTTP/1.1 304 Not Modified", "Content-Length: x")),
    NONE,
  );
});

Deno.test("responseFraming rejects a transfer coding that is not a token (NBSP) with 502", () => {
  assertFramingError(
    () => responseFraming("GET", response(OK, "Transfer-Encoding: \xa0chunked")),
    {
      ...bad502,
      message: 'Cannot frame response: invalid transfer coding "\xa0chunked"',
    },
  );
});

Deno.test("requestFraming keeps NBSP in Content-Length and refuses it", () => {
  assert.throws(
    () => requestFraming(request(POST, "Content-Length: \xa05")),
    /invalid Content-Length/,
  );
});
