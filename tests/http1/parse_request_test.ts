/**
 * RequestParser (lib/http1/parse.ts): valid request heads, and request lines
 * and header fields it rejects. Limits are in parse_limits_test.ts.
 */

import {
  type ErrorCase,
  errorTests,
  hdrs,
  LINE,
  type PlainRequest,
  REQUEST,
  type ValidCase,
  validTests,
} from "./parse_helpers.ts";

// ---------------------------------------------------------------------------
// Valid requests
// ---------------------------------------------------------------------------

const many = hdrs(100);

const VALID_REQUESTS: ValidCase<PlainRequest>[] = [
  {
    name: "GET in absolute-form with Host",
    head: "GET http://example.com/path?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
    expect: {
      method: "GET",
      target: "http://example.com/path?q=1",
      minor: 1,
      headers: [["Host", "example.com"]],
    },
  },
  {
    name: "CONNECT in authority-form",
    head: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    expect: {
      method: "CONNECT",
      target: "example.com:443",
      minor: 1,
      headers: [["Host", "example.com:443"]],
    },
  },
  {
    name: "POST whose body follows the head (consumed stops at the blank line)",
    head: "POST http://a.test/upload HTTP/1.1\r\nHost: a.test\r\nContent-Length: 11\r\n\r\n",
    after: "hello\r\n\r\nyo",
    expect: {
      method: "POST",
      target: "http://a.test/upload",
      minor: 1,
      headers: [["Host", "a.test"], ["Content-Length", "11"]],
    },
  },
  {
    name: "GET followed by a pipelined second request",
    head: "GET http://a.test/1 HTTP/1.1\r\nHost: a.test\r\n\r\n",
    after: "GET http://a.test/2 HTTP/1.1\r\nHost: a.test\r\n\r\n",
    expect: { method: "GET", target: "http://a.test/1", minor: 1, headers: [["Host", "a.test"]] },
  },
  {
    name: "LF-only line endings",
    head: "GET http://a.test/ HTTP/1.1\nHost: a.test\nAccept: */*\n\n",
    after: "next",
    expect: {
      method: "GET",
      target: "http://a.test/",
      minor: 1,
      headers: [["Host", "a.test"], ["Accept", "*/*"]],
    },
  },
  {
    name: "mixed CRLF and LF line endings",
    head: "GET http://a.test/ HTTP/1.1\nHost: a.test\r\nAccept: */*\n\r\n",
    expect: {
      method: "GET",
      target: "http://a.test/",
      minor: 1,
      headers: [["Host", "a.test"], ["Accept", "*/*"]],
    },
  },
  {
    name: "leading empty lines before the request line",
    head: "\r\n\n\r\nGET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n",
    expect: { method: "GET", target: "http://a.test/", minor: 1, headers: [["Host", "a.test"]] },
  },
  {
    name: "100 header fields (the default maximum)",
    head: `GET http://a.test/ HTTP/1.1\r\n${many.text}\r\n`,
    expect: { method: "GET", target: "http://a.test/", minor: 1, headers: many.fields },
  },
  {
    name: "field values with surrounding whitespace trimmed and inner whitespace kept",
    head: "GET http://a.test/ HTTP/1.1\r\n" +
      "X-A:   spaced  value \t \r\n" +
      "X-B:\tvalue\r\n" +
      "X-C:no-space\r\n" +
      "X-D: a\tb\r\n" +
      "X-Empty:\r\n" +
      "X-Blank: \t \r\n\r\n",
    expect: {
      method: "GET",
      target: "http://a.test/",
      minor: 1,
      headers: [
        ["X-A", "spaced  value"],
        ["X-B", "value"],
        ["X-C", "no-space"],
        ["X-D", "a\tb"],
        ["X-Empty", ""],
        ["X-Blank", ""],
      ],
    },
  },
  {
    name: "obs-text bytes 0x80-0xFF in a value, preserved via latin1",
    head: "GET http://a.test/ HTTP/1.1\r\nX-Latin: caf\xe9 \x80\xa0\xff\r\n\r\n",
    expect: {
      method: "GET",
      target: "http://a.test/",
      minor: 1,
      headers: [["X-Latin", "caf\u00e9 \u0080\u00a0\u00ff"]],
    },
  },
  {
    name: "HTTP/1.0 request without header fields",
    head: "GET http://a.test/ HTTP/1.0\r\n\r\n",
    expect: { method: "GET", target: "http://a.test/", minor: 0, headers: [] },
  },
  {
    name: "field names kept as received, duplicates kept in order, colons in values",
    head: "GET http://a.test/ HTTP/1.1\r\n" +
      "content-TYPE: text/plain\r\n" +
      "Accept: a\r\n" +
      "Accept: b\r\n" +
      "X-Url: http://b.test:8080/x\r\n\r\n",
    expect: {
      method: "GET",
      target: "http://a.test/",
      minor: 1,
      headers: [
        ["content-TYPE", "text/plain"],
        ["Accept", "a"],
        ["Accept", "b"],
        ["X-Url", "http://b.test:8080/x"],
      ],
    },
  },
  {
    name: "method kept case-sensitive and any tchar method accepted",
    head: "m-SEARCH!#$%&'*+.^_`|~09 * HTTP/1.1\r\nTok!#$%&'*+-.^_`|~: v\r\n\r\n",
    expect: {
      method: "m-SEARCH!#$%&'*+.^_`|~09",
      target: "*",
      minor: 1,
      headers: [["Tok!#$%&'*+-.^_`|~", "v"]],
    },
  },
];

validTests(REQUEST, VALID_REQUESTS);

// ---------------------------------------------------------------------------
// Request errors
// ---------------------------------------------------------------------------

const bad400 = { status: 400, reason: "bad-request-line" } as const;
const badHeader = { status: 400, reason: "bad-header" } as const;

const REQUEST_ERRORS: ErrorCase[] = [
  {
    name: "a request line without HTTP version",
    input: "GET http://a.test/\r\nHost: a\r\n\r\n",
    ...bad400,
    message: "Cannot parse request line: missing HTTP version",
  },
  {
    name: "an empty HTTP version after the target",
    input: "GET http://a.test/ \r\n\r\n",
    ...bad400,
    message: "Cannot parse request line: malformed HTTP version",
  },
  {
    name: "a request line starting with a space (missing method)",
    input: " GET http://a.test/ HTTP/1.1\r\n\r\n",
    ...bad400,
    message: "Cannot parse request line: missing method",
  },
  {
    name: 'a method with "@"',
    input: "G@T http://a.test/ HTTP/1.1\r\n\r\n",
    ...bad400,
    message: "Cannot parse request line: invalid character in method",
  },
  {
    name: "a method with obs-text",
    input: "G\xc9T http://a.test/ HTTP/1.1\r\n\r\n",
    ...bad400,
    message: "Cannot parse request line: invalid character in method",
  },
  {
    name: "a method separated from the target by a tab",
    input: "GET\thttp://a.test/ HTTP/1.1\r\n\r\n",
    ...bad400,
    message: "Cannot parse request line: invalid character in method",
  },
  {
    name: "a request line that is only a method",
    input: "GET\r\n\r\n",
    ...bad400,
    message: "Cannot parse request line: invalid character in method",
  },
  {
    name: "a missing request target (two spaces)",
    input: "GET  HTTP/1.1\r\n\r\n",
    ...bad400,
    message: "Cannot parse request line: missing request target",
  },
  {
    name: "a control character in the request target",
    input: "GET http://a.test/\x01x HTTP/1.1\r\n\r\n",
    ...bad400,
    message: "Cannot parse request line: invalid character in request target",
  },
  {
    name: "DEL in the request target",
    input: "GET http://a.test/\x7f HTTP/1.1\r\n\r\n",
    ...bad400,
    message: "Cannot parse request line: invalid character in request target",
  },
  ...["HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/3.0"].map((v): ErrorCase => ({
    name: `version ${v} with 505`,
    input: `GET http://a.test/ ${v}\r\n\r\n`,
    status: 505,
    reason: "unsupported-version",
    message: "Cannot parse request line: only HTTP/1.0 and HTTP/1.1 are supported",
  })),
  ...[
    "HTTX/1.1",
    "http/1.1",
    "HTTP/1",
    "HTTP/1.a",
    "HTTP/x.1",
    "HTTP/11.1",
    "HTTP-1.1",
    "HTTP/1,1",
    "HTTP/1.1 ",
    "HTTP/1.1x",
    "junk",
  ].map((v): ErrorCase => ({
    name: `garbage version ${JSON.stringify(v)} with 400`,
    input: `GET http://a.test/ ${v}\r\n\r\n`,
    ...bad400,
    message: "Cannot parse request line: malformed HTTP version",
  })),
  {
    name: "whitespace between field name and colon",
    input: `${LINE}Host : a.test\r\n\r\n`,
    ...badHeader,
    message: "Cannot parse request header: whitespace before the colon",
  },
  {
    name: "a tab between field name and colon",
    input: `${LINE}Host\t: a.test\r\n\r\n`,
    ...badHeader,
    message: "Cannot parse request header: whitespace before the colon",
  },
  {
    name: "a field line without a colon",
    input: `${LINE}Host: a\r\nX-No-Colon\r\n\r\n`,
    ...badHeader,
    message: "Cannot parse request header: header field without a colon",
  },
  {
    name: "an empty field name",
    input: `${LINE}: value\r\n\r\n`,
    ...badHeader,
    message: "Cannot parse request header: empty field name",
  },
  {
    name: "an invalid character in a field name",
    input: `${LINE}X(y): 1\r\n\r\n`,
    ...badHeader,
    message: "Cannot parse request header: invalid character in a field name",
  },
  {
    name: "obs-text in a field name",
    input: `${LINE}X-\xe9: 1\r\n\r\n`,
    ...badHeader,
    message: "Cannot parse request header: invalid character in a field name",
  },
  {
    name: "obs-fold (a line starting with SP)",
    input: `${LINE}X-A: one\r\n two\r\n\r\n`,
    ...badHeader,
    message: "Cannot parse request header: obsolete line folding is not accepted",
  },
  {
    name: "obs-fold (a line starting with HTAB)",
    input: `${LINE}X-A: one\r\n\ttwo\r\n\r\n`,
    ...badHeader,
    message: "Cannot parse request header: obsolete line folding is not accepted",
  },
  {
    name: "a first field line starting with SP",
    input: `${LINE} Host: a.test\r\n\r\n`,
    ...badHeader,
    message: "Cannot parse request header: obsolete line folding is not accepted",
  },
  ...[["NUL", "\x00"], ["SOH", "\x01"], ["VT", "\x0b"], ["ESC", "\x1b"], ["DEL", "\x7f"]].map(
    ([label, ch]): ErrorCase => ({
      name: `${label} in a field value`,
      input: `${LINE}X-A: a${ch}b\r\n\r\n`,
      ...badHeader,
      message: "Cannot parse request header: control character in a field value",
    }),
  ),
  {
    name: "a bare CR inside a field value",
    input: `${LINE}X-A: a\rb\r\n\r\n`,
    ...badHeader,
    message: "Cannot parse request header: bare CR in a field value",
  },
  {
    name: "a bare CR at the end of a field value (CR CR LF)",
    input: `${LINE}X-A: a\r\r\n\r\n`,
    ...badHeader,
    message: "Cannot parse request header: bare CR in a field value",
  },
  // the line scan notes control bytes for the value check: each is still
  // reported as what it is, where it is
  {
    name: "a control byte in a field name is a bad name, not a bad value",
    input: `${LINE}X\x01A: b\r\n\r\n`,
    ...badHeader,
    message: "Cannot parse request header: invalid character in a field name",
  },
  {
    name: "a control byte right after the colon",
    input: `${LINE}X-A:\x01 b\r\n\r\n`,
    ...badHeader,
    message: "Cannot parse request header: control character in a field value",
  },
  {
    name: "a control byte after trailing whitespace",
    input: `${LINE}X-A: b \x01\r\n\r\n`,
    ...badHeader,
    message: "Cannot parse request header: control character in a field value",
  },
  {
    name: "a control byte in the second field, after a good one",
    input: `${LINE}X-A: b\r\nX-B: c\x7f\r\n\r\n`,
    ...badHeader,
    message: "Cannot parse request header: control character in a field value",
  },
  {
    name: "a bare CR before a control byte in one value: the first is named",
    input: `${LINE}X-A: a\rb\x01c\r\n\r\n`,
    ...badHeader,
    message: "Cannot parse request header: bare CR in a field value",
  },
];

errorTests(REQUEST, REQUEST_ERRORS);
