/**
 * Request-smuggling vectors (RFC 9112 sections 6.1-6.3 and 7.1, RFC 9110
 * section 5.5) as data, and the recording origin the smuggling tests send them
 * to. Every string here is ISO-8859-1: one character is one byte on the wire,
 * so control bytes, bare CR/LF and obs-text (0x80-0xff) go out exactly as
 * written.
 *
 * @module
 */

import { concat, delay, findSeq, rawOrigin } from "./harness.ts";

/** Bytes of an ISO-8859-1 string (each character must be below 0x100). */
export function wire(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`Cannot put U+${c.toString(16)} on the wire as one byte`);
    out[i] = c;
  }
  return out;
}

/** ISO-8859-1 text of bytes (reversible: each byte one character). */
export function unwire(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return s;
}

/** The valid request every vector is followed by in the same write; it must never reach the origin. */
export function smuggled(authority: string): string {
  return `GET http://${authority}/smuggled HTTP/1.1\r\nHost: ${authority}\r\n\r\n`;
}

/** A POST through the proxy with the given field lines (sent verbatim, CRLF between). */
export function post(authority: string, fields: string[], body = "", version = "1.1"): string {
  const lines = [
    `POST http://${authority}/upload HTTP/${version}`,
    `Host: ${authority}`,
    ...fields,
  ];
  return lines.join("\r\n") + "\r\n\r\n" + body;
}

/**
 * Resolves with `p`, or closes things with `onTimeout` and rejects when `ms`
 * pass first (so a proxy that never answers fails the test instead of hanging it).
 */
export async function within<T>(
  ms: number,
  p: Promise<T>,
  what: string,
  onTimeout: () => void,
): Promise<T> {
  let id: ReturnType<typeof setTimeout> | undefined;
  const timer = new Promise<"timeout">((r) => id = setTimeout(() => r("timeout"), ms));
  const guarded = p.then((value) => ({ value }));
  try {
    const r = await Promise.race([guarded, timer]);
    if (r === "timeout") {
      onTimeout();
      await guarded.catch(() => {});
      throw new Error(`${what}: nothing within ${ms} ms`);
    }
    return r.value;
  } finally {
    clearTimeout(id);
  }
}

/** A scripted origin that records every byte it receives, per connection. */
export interface RecordingOrigin {
  /** Its port. */
  port: number;
  /** `127.0.0.1:PORT`. */
  authority: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** What each connection received so far (ISO-8859-1 text), in order of acceptance. */
  received(): string[];
  /** Everything received on every connection, concatenated. */
  all(): string;
  /** Resolves once some connection has received `needle`; rejects after `ms`. */
  waitFor(needle: string, ms: number): Promise<void>;
  /** Resolves once every connection accepted so far was closed by the proxy; rejects after `ms`. */
  settled(ms: number): Promise<void>;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/**
 * Starts an origin that records what it receives on each connection. With an
 * `answer`, it writes it once per connection when `when` holds for what that
 * connection received (by default: a complete head); with `null` it never
 * answers and reads until the proxy closes the connection.
 */
export function recordingOrigin(
  answer: Uint8Array | null,
  when: (received: string) => boolean = (s) => s.includes("\r\n\r\n"),
): RecordingOrigin {
  const conns: Uint8Array[][] = [];
  const ended: Promise<void>[] = [];
  const origin = rawOrigin(async (conn) => {
    const parts: Uint8Array[] = [];
    conns.push(parts);
    const done = Promise.withResolvers<void>();
    ended.push(done.promise);
    try {
      let answered = answer === null;
      const buf = new Uint8Array(65536);
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) return;
        parts.push(buf.slice(0, n));
        if (!answered && when(unwire(concat(...parts)))) {
          answered = true;
          let off = 0;
          while (off < answer!.length) off += await conn.write(answer!.subarray(off));
        }
      }
    } finally {
      done.resolve();
    }
  });
  const received = () => conns.map((parts) => unwire(concat(...parts)));
  return {
    port: origin.port,
    authority: `127.0.0.1:${origin.port}`,
    get accepted() {
      return origin.accepted;
    },
    received,
    all: () => received().join(""),
    async waitFor(needle: string, ms: number) {
      const deadline = Date.now() + ms;
      while (!received().some((s) => s.includes(needle))) {
        if (Date.now() > deadline) {
          throw new Error(`origin did not receive ${JSON.stringify(needle)} within ${ms} ms`);
        }
        await delay(5);
      }
    },
    settled(ms: number) {
      return within(
        ms,
        Promise.all(ended).then(() => {}),
        "the proxy closing its upstream connection",
        () => {},
      );
    },
    close: () => origin.close(),
  };
}

/** A response head as the test reads it, with where it ends. */
export interface RawHead {
  /** Status code (NaN when the bytes are not a response). */
  status: number;
  /** Lower-cased field names to values (last wins). */
  headers: Map<string, string>;
  /** Offset just past the blank line, or -1 when there is none. */
  end: number;
}

/** Parses the response head at the start of `s` (CRLF lines only). */
export function rawHead(s: string): RawHead {
  const i = findSeq(wire(s), wire("\r\n\r\n"));
  const lines = (i < 0 ? s : s.slice(0, i)).split("\r\n");
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const c = l.indexOf(":");
    if (c > 0) headers.set(l.slice(0, c).toLowerCase(), l.slice(c + 1).trim());
  }
  return { status: Number(lines[0].split(" ")[1]), headers, end: i < 0 ? -1 : i + 4 };
}

/** A request the proxy must refuse from its head alone, before it dials anything. */
export interface HeadVector {
  /** What it is (also the test name). */
  name: string;
  /** The request, given the origin's `host:port`. */
  request: (authority: string) => string;
  /** The status the client must get. */
  status: 400 | 501;
  /** Its `X-Sluice-Reason`. */
  reason: string;
}

const cl = (value: string, body = "hello"): HeadVector["request"] => (a) =>
  post(a, [`Content-Length: ${value}`], body);
const te = (value: string): HeadVector["request"] => (a) =>
  post(a, [`Transfer-Encoding: ${value}`], "5\r\nhello\r\n0\r\n\r\n");
const field = (line: string, extra: string[] = []): HeadVector["request"] => (a) =>
  post(a, [line, ...extra, "Content-Length: 5"], "hello");

// NBSP (0xa0) is obs-text, legal in a field value but not in a Content-Length
// (1*DIGIT) or a transfer-coding (a token): it must not be trimmed away as
// whitespace (it once was, by String.prototype.trim), or a recipient that keeps
// it would frame the message differently.

/** Head-stage request vectors: refused with 400 (501 for an unknown coding), nothing dialed. */
export const HEAD_VECTORS: readonly HeadVector[] = [
  // Content-Length with Transfer-Encoding (RFC 9112 section 6.1: a request with both is refused)
  ...["chunked", " chunked"].flatMap((coding): HeadVector[] => [
    {
      name: `Content-Length then Transfer-Encoding "${coding}"`,
      request: (a) =>
        post(a, ["Content-Length: 5", `Transfer-Encoding: ${coding}`], "0\r\n\r\nhello"),
      status: 400,
      reason: "bad-framing",
    },
    {
      name: `Transfer-Encoding "${coding}" then Content-Length`,
      request: (a) =>
        post(a, [`Transfer-Encoding: ${coding}`, "Content-Length: 5"], "0\r\n\r\nhello"),
      status: 400,
      reason: "bad-framing",
    },
  ]),
  // differing Content-Length values (RFC 9110 section 8.6, RFC 9112 section 6.3 rule 5)
  {
    name: "two Content-Length fields 5 and 40",
    request: (a) => post(a, ["Content-Length: 5", "Content-Length: 40"], "hello"),
    status: 400,
    reason: "bad-framing",
  },
  {
    name: 'one Content-Length field "5, 40"',
    request: cl("5, 40"),
    status: 400,
    reason: "bad-framing",
  },
  // malformed Content-Length (1*DIGIT only)
  ...[
    ["+5", "+5"],
    ["-5", "-5"],
    ["0x5", "0x5"],
    ["empty", ""],
    ["a space", " "],
    ["5 5", "5 5"],
    ["5,", "5,"],
    ["1e3", "1e3"],
    // U+0661 U+0662 (Arabic-Indic digits one and two) in UTF-8: obs-text, not DIGIT
    ["non-ASCII digits \u0661\u0662", "\xd9\xa1\xd9\xa2"],
  ].map(([what, value]): HeadVector => ({
    name: `Content-Length ${JSON.stringify(what)}`,
    request: cl(value),
    status: 400,
    reason: "bad-framing",
  })),
  {
    name: 'Content-Length "\\xa05" (NBSP before the digit)',
    request: cl("\xa05"),
    status: 400,
    reason: "bad-framing",
  },
  // Transfer-Encoding whose last coding is not chunked: the length is unknowable (section 6.3 rule 4)
  {
    name: 'Transfer-Encoding "chunked, gzip"',
    request: te("chunked, gzip"),
    status: 400,
    reason: "bad-framing",
  },
  { name: 'Transfer-Encoding "gzip"', request: te("gzip"), status: 400, reason: "bad-framing" },
  // chunked applied twice (RFC 9112 section 6.1)
  {
    name: 'Transfer-Encoding "chunked, chunked"',
    request: te("chunked, chunked"),
    status: 400,
    reason: "bad-framing",
  },
  {
    name: "two Transfer-Encoding: chunked fields",
    request: (a) =>
      post(a, ["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"], "0\r\n\r\n"),
    status: 400,
    reason: "bad-framing",
  },
  // an unknown coding is 501 (RFC 9112 section 6.1)
  {
    name: 'Transfer-Encoding "zstd, chunked"',
    request: te("zstd, chunked"),
    status: 501,
    reason: "unsupported-transfer-coding",
  },
  {
    name: 'Transfer-Encoding "\\xa0chunked" (NBSP before the coding)',
    request: te("\xa0chunked"),
    status: 501,
    reason: "unsupported-transfer-coding",
  },
  {
    name: 'Transfer-Encoding "chunked\\xa0" (NBSP after the coding)',
    request: te("chunked\xa0"),
    status: 501,
    reason: "unsupported-transfer-coding",
  },
  // Transfer-Encoding in HTTP/1.0: faulty framing (RFC 9112 section 6.1)
  {
    name: "Transfer-Encoding: chunked in an HTTP/1.0 request",
    request: (a) => post(a, ["Transfer-Encoding: chunked"], "5\r\nhello\r\n0\r\n\r\n", "1.0"),
    status: 400,
    reason: "bad-framing",
  },
  // whitespace between field name and colon (RFC 9112 section 5.1: MUST reject with 400)
  {
    name: '"Content-Length : 5"',
    request: (a) => post(a, ["Content-Length : 5"], "hello"),
    status: 400,
    reason: "bad-header",
  },
  {
    name: '"Transfer-Encoding\\t: chunked"',
    request: (a) => post(a, ["Transfer-Encoding\t: chunked"], "0\r\n\r\n"),
    status: 400,
    reason: "bad-header",
  },
  // a field line without a colon
  {
    name: "field line without a colon",
    request: field("X-No-Colon"),
    status: 400,
    reason: "bad-header",
  },
  {
    name: '"Transfer-Encoding chunked" (no colon)',
    request: field("Transfer-Encoding chunked"),
    status: 400,
    reason: "bad-header",
  },
  // bare CR (RFC 9112 section 2.2: reject, or replace with SP before processing; sluice rejects)
  {
    name: "bare CR inside a field value",
    request: field("X-A: a\rb"),
    status: 400,
    reason: "bad-header",
  },
  {
    name: "bare CR at the end of Transfer-Encoding",
    request: (a) => post(a, ["Transfer-Encoding: chunked\r"], "0\r\n\r\n"),
    status: 400,
    reason: "bad-header",
  },
  {
    name: "bare CR before a field name",
    request: (a) => post(a, ["\rTransfer-Encoding: chunked"], "0\r\n\r\n"),
    status: 400,
    reason: "bad-header",
  },
  {
    name: "bare CR inside the request target",
    request: (a) => post(a, ["Content-Length: 5"], "hello").replace("/upload", "/up\rload"),
    status: 400,
    reason: "bad-request-line",
  },
  {
    name: "bare CR after the method",
    request: (a) => post(a, ["Content-Length: 5"], "hello").replace("POST ", "POST\r"),
    status: 400,
    reason: "bad-request-line",
  },
  {
    name: "bare CR before the CRLF of the request line",
    request: (a) =>
      post(a, ["Content-Length: 5"], "hello").replace("HTTP/1.1\r\n", "HTTP/1.1\r\r\n"),
    status: 400,
    reason: "bad-request-line",
  },
  // a bare LF ends a line (accepted by design, see the positive test); inside the
  // request line it cuts it short, and the rest cannot be a field line
  {
    name: "bare LF inside the request target",
    request: (a) => post(a, ["Content-Length: 5"], "hello").replace("/upload", "/up\nload"),
    status: 400,
    reason: "bad-request-line",
  },
  // control bytes in a field value (RFC 9110 section 5.5: NUL, CR, LF MUST be rejected or replaced)
  {
    name: "NUL in a field value",
    request: field("X-A: a\x00b"),
    status: 400,
    reason: "bad-header",
  },
  {
    name: "0x01 in a field value",
    request: field("X-A: a\x01b"),
    status: 400,
    reason: "bad-header",
  },
  {
    name: "0x7f in a field value",
    request: field("X-A: a\x7fb"),
    status: 400,
    reason: "bad-header",
  },
  {
    name: "NUL after chunked in Transfer-Encoding",
    request: (a) => post(a, ["Transfer-Encoding: chunked\x00"], "0\r\n\r\n"),
    status: 400,
    reason: "bad-header",
  },
  {
    name: "vertical tab before chunked in Transfer-Encoding",
    request: (a) => post(a, ["Transfer-Encoding: \x0bchunked"], "0\r\n\r\n"),
    status: 400,
    reason: "bad-header",
  },
  // obs-fold (RFC 9112 section 5.2 lets a server reject it with 400 or unfold it):
  // sluice rejects it by design, never unfolds it
  { name: "obs-fold with SP", request: field("X-A: a", [" b"]), status: 400, reason: "bad-header" },
  {
    name: "obs-fold with HTAB",
    request: field("X-A: a", ["\tb"]),
    status: 400,
    reason: "bad-header",
  },
  {
    name: "Transfer-Encoding value folded onto the next line",
    request: (a) => post(a, ["Transfer-Encoding:", " chunked"], "0\r\n\r\n"),
    status: 400,
    reason: "bad-header",
  },
  {
    name: "whitespace before the first field line",
    request: (a) => post(a, [" Transfer-Encoding: chunked"], "0\r\n\r\n"),
    status: 400,
    reason: "bad-header",
  },
  // field names are tokens
  {
    name: '"X Y: 1" (space in a field name)',
    request: field("X Y: 1"),
    status: 400,
    reason: "bad-header",
  },
  {
    name: '"X@: 1" (non-token character in a field name)',
    request: field("X@: 1"),
    status: 400,
    reason: "bad-header",
  },
  { name: '": 1" (empty field name)', request: field(": 1"), status: 400, reason: "bad-header" },
];

/** The valid chunk every chunk vector follows. */
export const GOOD_CHUNK = "4\r\nsafe\r\n";

/** A request body that goes bad after {@linkcode GOOD_CHUNK} (RFC 9112 section 7.1). */
export interface ChunkVector {
  /** What it is (also the test name). */
  name: string;
  /** The chunked body after the first, valid chunk. */
  body: string;
}

/** Chunk-level vectors: found while the body streams, after the head went upstream. */
export const CHUNK_VECTORS: readonly ChunkVector[] = [
  { name: 'chunk size "+5"', body: "+5\r\nhello\r\n0\r\n\r\n" },
  { name: 'chunk size "-5"', body: "-5\r\nhello\r\n0\r\n\r\n" },
  { name: 'chunk size " 5" (leading space)', body: " 5\r\nhello\r\n0\r\n\r\n" },
  { name: 'chunk size "0x5"', body: "0x5\r\nhello\r\n0\r\n\r\n" },
  { name: "chunk size of 17 hex digits", body: "fffffffffffffffff\r\nhello\r\n0\r\n\r\n" },
  { name: "chunk data longer than its size", body: "3\r\nabcdef\r\n0\r\n\r\n" },
  { name: "bare CR in a chunk-size line", body: "5\rhello\r\n0\r\n\r\n" },
  { name: "bare CR in a chunk extension", body: "5;a\rb\r\nhello\r\n0\r\n\r\n" },
  {
    name: "chunk extension over the 4096-byte limit",
    body: `5;${"x".repeat(4097)}\r\nhello\r\n0\r\n\r\n`,
  },
  { name: "bare CR in a trailer field", body: "0\r\nX-T: a\rb\r\n\r\n" },
];

/** What a response from the origin carries after the vector: a response of its own. */
export const FAKE_RESPONSE = "HTTP/1.1 299 Smuggled\r\nContent-Length: 0\r\n\r\n";

/** A response the proxy must not relay as it is. */
export interface ResponseVector {
  /** What it is (also the test name). */
  name: string;
  /** The response the origin sends (then {@linkcode FAKE_RESPONSE}). */
  response: string;
  /** "head": refused before anything reaches the client; "body": head relayed, then cut off. */
  stage: "head" | "body";
}

const res = (fields: string[], body = ""): string =>
  ["HTTP/1.1 200 OK", ...fields].join("\r\n") + "\r\n\r\n" + body;
const chunkedRes = (body: string): string => res(["Transfer-Encoding: chunked"], GOOD_CHUNK + body);

/** Response-side vectors. */
export const RESPONSE_VECTORS: readonly ResponseVector[] = [
  {
    name: "Content-Length then Transfer-Encoding",
    response: res(["Content-Length: 5", "Transfer-Encoding: chunked"], "0\r\n\r\n"),
    stage: "head",
  },
  {
    name: "Transfer-Encoding then Content-Length",
    response: res(["Transfer-Encoding: chunked", "Content-Length: 5"], "0\r\n\r\n"),
    stage: "head",
  },
  {
    name: "two Content-Length fields 5 and 40",
    response: res(["Content-Length: 5", "Content-Length: 40"], "hello"),
    stage: "head",
  },
  {
    name: 'Content-Length "5, 40"',
    response: res(["Content-Length: 5, 40"], "hello"),
    stage: "head",
  },
  ...["+5", "-5", "0x5", "5 5", "1e3", ""].map((v): ResponseVector => ({
    name: `Content-Length ${JSON.stringify(v)}`,
    response: res([`Content-Length: ${v}`], "hello"),
    stage: "head",
  })),
  {
    name: 'Content-Length "\\xa05" (NBSP before the digit)',
    response: res(["Content-Length: \xa05"], "hello"),
    stage: "head",
  },
  {
    name: 'Transfer-Encoding "chunked, chunked"',
    response: res(["Transfer-Encoding: chunked, chunked"], "0\r\n\r\n"),
    stage: "head",
  },
  {
    name: "two Transfer-Encoding: chunked fields",
    response: res(["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"], "0\r\n\r\n"),
    stage: "head",
  },
  {
    name: 'Transfer-Encoding "\\xa0chunked" (NBSP before the coding)',
    response: res(["Transfer-Encoding: \xa0chunked"], "5\r\nhello\r\n0\r\n\r\n"),
    stage: "head",
  },
  {
    name: "NUL in a field value",
    response: res(["X-A: a\x00b", "Content-Length: 0"]),
    stage: "head",
  },
  {
    name: "bare CR in a field value",
    response: res(["X-A: a\rb", "Content-Length: 0"]),
    stage: "head",
  },
  { name: "obs-fold", response: res(["X-A: a", " b", "Content-Length: 0"]), stage: "head" },
  {
    name: "field line without a colon",
    response: res(["X-No-Colon", "Content-Length: 0"]),
    stage: "head",
  },
  { name: '"Content-Length : 5"', response: res(["Content-Length : 5"], "hello"), stage: "head" },
  { name: 'chunk size "+5"', response: chunkedRes("+5\r\nhello\r\n0\r\n\r\n"), stage: "body" },
  { name: 'chunk size "0x5"', response: chunkedRes("0x5\r\nhello\r\n0\r\n\r\n"), stage: "body" },
  {
    name: "chunk size of 17 hex digits",
    response: chunkedRes("fffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
    stage: "body",
  },
  {
    name: "chunk data longer than its size",
    response: chunkedRes("3\r\nabcdef\r\n0\r\n\r\n"),
    stage: "body",
  },
  {
    name: "bare CR in a chunk-size line",
    response: chunkedRes("5\rhello\r\n0\r\n\r\n"),
    stage: "body",
  },
];
