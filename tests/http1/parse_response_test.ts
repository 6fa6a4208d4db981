/**
 * ResponseParser (lib/http1/parse.ts): valid response heads, and status lines
 * and header fields it rejects. Limits are in parse_limits_test.ts.
 */

import {
  bad502,
  type ErrorCase,
  errorTests,
  hdrs,
  type PlainResponse,
  RESPONSE,
  STATUS,
  type ValidCase,
  validTests,
} from "./parse_helpers.ts";

// ---------------------------------------------------------------------------
// Valid responses
// ---------------------------------------------------------------------------

const manyRes = hdrs(40, "Set-Cookie-");

const VALID_RESPONSES: ValidCase<PlainResponse>[] = [
  {
    name: "200 OK with a body after the head",
    head: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n",
    after: "ok",
    expect: { minor: 1, status: 200, reason: "OK", headers: [["Content-Length", "2"]] },
  },
  {
    name: 'empty reason phrase without the space ("HTTP/1.1 200")',
    head: "HTTP/1.1 200\r\n\r\n",
    expect: { minor: 1, status: 200, reason: "", headers: [] },
  },
  {
    name: 'empty reason phrase after the space ("HTTP/1.1 204 ")',
    head: "HTTP/1.1 204 \r\nServer: x\r\n\r\n",
    expect: { minor: 1, status: 204, reason: "", headers: [["Server", "x"]] },
  },
  {
    name: "1xx interim response followed by the final one",
    head: "HTTP/1.1 100 Continue\r\n\r\n",
    after: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    expect: { minor: 1, status: 100, reason: "Continue", headers: [] },
  },
  {
    name: "101 Switching Protocols with Upgrade fields",
    head: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    after: "\x81\x05hello",
    expect: {
      minor: 1,
      status: 101,
      reason: "Switching Protocols",
      headers: [["Upgrade", "websocket"], ["Connection", "Upgrade"]],
    },
  },
  {
    name: "HTTP/1.0 404 with a multi-word reason",
    head: "HTTP/1.0 404 Not Found\r\nContent-Type: text/html\r\n\r\n",
    after: "<html></html>",
    expect: {
      minor: 0,
      status: 404,
      reason: "Not Found",
      headers: [["Content-Type", "text/html"]],
    },
  },
  {
    name: "LF-only line endings",
    head: "HTTP/1.1 302 Found\nLocation: http://b.test/\n\n",
    expect: {
      minor: 1,
      status: 302,
      reason: "Found",
      headers: [["Location", "http://b.test/"]],
    },
  },
  {
    name: "reason phrase with obs-text and a tab, and a 599 status",
    head: "HTTP/1.1 599 Tr\xe8s\tbien\r\n\r\n",
    expect: { minor: 1, status: 599, reason: "Tr\u00e8s\tbien", headers: [] },
  },
  {
    name: "many header fields with trimmed values",
    head: `HTTP/1.1 200 OK\r\n${manyRes.text}X-Pad:  \t padded \t\r\n\r\n`,
    expect: {
      minor: 1,
      status: 200,
      reason: "OK",
      headers: [...manyRes.fields, ["X-Pad", "padded"]],
    },
  },
];

validTests(RESPONSE, VALID_RESPONSES);

// ---------------------------------------------------------------------------
// Response errors: always 502 upstream-bad-response
// ---------------------------------------------------------------------------

const RESPONSE_ERRORS: ErrorCase[] = [
  ...[
    "ICY 200 OK",
    "<html>",
    "http/1.1 200 OK",
    "HTTP/2.0 200 OK",
    "HTTP/1.2 200 OK",
    "HTTP/2 200",
    "HTTP/1.",
    "HTTPS/1.1 200 OK",
  ].map((line): ErrorCase => ({
    name: `a status line that is not HTTP/1.x: ${JSON.stringify(line)}`,
    input: `${line}\r\n\r\n`,
    ...bad502,
    message: "Cannot parse status line: not an HTTP/1.x response",
  })),
  ...["HTTP/1.1", "HTTP/1.1 ", "HTTP/1.1 20", "HTTP/1.1\t200 OK", "HTTP/1.1-200 OK"].map(
    (line): ErrorCase => ({
      name: `a status line without a status code: ${JSON.stringify(line)}`,
      input: `${line}\r\n\r\n`,
      ...bad502,
      message: "Cannot parse status line: missing status code",
    }),
  ),
  ...[
    "HTTP/1.1 2x0 OK",
    "HTTP/1.1 -20 OK",
    "HTTP/1.1 099 Low",
    "HTTP/1.1 000",
    "HTTP/1.1 2000 OK",
    "HTTP/1.1 200OK",
    "HTTP/1.1  200 OK",
    "HTTP/1.1 20 OK",
  ].map((line): ErrorCase => ({
    name: `a malformed status code: ${JSON.stringify(line)}`,
    input: `${line}\r\n\r\n`,
    ...bad502,
    message: "Cannot parse status line: malformed status code",
  })),
  ...[["NUL", "\x00"], ["ESC", "\x1b"], ["DEL", "\x7f"], ["bare CR", "\r"]].map(
    ([label, ch]): ErrorCase => ({
      name: `${label} in the reason phrase`,
      input: `HTTP/1.1 200 O${ch}K\r\n\r\n`,
      ...bad502,
      message: "Cannot parse status line: control character in reason phrase",
    }),
  ),
  {
    name: "an empty line before the status line (CRLF)",
    input: `\r\n${STATUS}\r\n`,
    ...bad502,
    message: "Cannot parse status line: empty start line",
  },
  {
    name: "an empty line before the status line (LF)",
    input: `\n${STATUS}\r\n`,
    ...bad502,
    message: "Cannot parse status line: empty start line",
  },
  {
    name: "whitespace before the colon of a field",
    input: `${STATUS}Server : x\r\n\r\n`,
    ...bad502,
    message: "Cannot parse response header: whitespace before the colon",
  },
  {
    name: "a field line without a colon",
    input: `${STATUS}Server\r\n\r\n`,
    ...bad502,
    message: "Cannot parse response header: header field without a colon",
  },
  {
    name: "an empty field name",
    input: `${STATUS}: x\r\n\r\n`,
    ...bad502,
    message: "Cannot parse response header: empty field name",
  },
  {
    name: "obs-fold",
    input: `${STATUS}Set-Cookie: a=1;\r\n path=/\r\n\r\n`,
    ...bad502,
    message: "Cannot parse response header: obsolete line folding is not accepted",
  },
  {
    name: "NUL in a field value",
    input: `${STATUS}X-A: a\x00b\r\n\r\n`,
    ...bad502,
    message: "Cannot parse response header: control character in a field value",
  },
  {
    name: "a bare CR in a field value",
    input: `${STATUS}X-A: a\rb\r\n\r\n`,
    ...bad502,
    message: "Cannot parse response header: bare CR in a field value",
  },
];

errorTests(RESPONSE, RESPONSE_ERRORS);
