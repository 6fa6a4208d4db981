/**
 * Seed inputs for the HTTP/1 fuzzer: valid and invalid request heads,
 * response heads and chunked bodies, including the request-smuggling vectors
 * the framing rules exist to refuse.
 *
 * @module
 */

/** Which target a seed is meant for first. */
export type SeedKind = "request" | "response" | "chunked";

/** One corpus entry. */
export interface Seed {
  /** A short name, for reports. */
  readonly name: string;
  /** The target the bytes were written for. */
  readonly kind: SeedKind;
  /** The bytes. */
  readonly bytes: Uint8Array;
}

/** Encodes one byte per char code (ISO-8859-1): "\xe9" becomes the byte 0xE9. */
export function bin(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

const H = "Host: example.com\r\n";
const POST = "POST http://example.com/upload HTTP/1.1\r\n" + H;
const CHUNKS = '5;name=value\r\nhello\r\n6;a;b="q r"\r\n world\r\n0;last\r\n' +
  "X-Sum: 42\r\nX-Other: y\r\n\r\n";
const manyHeaders = (n: number): string => {
  let s = "";
  for (let i = 0; i < n; i++) s += `X-H${i}: v${i}\r\n`;
  return s;
};

const REQUESTS: [string, string][] = [
  [
    "absolute-form GET",
    "GET http://example.com/path?q=1 HTTP/1.1\r\n" + H +
    "User-Agent: fuzz/1.0\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n",
  ],
  [
    "authority-form CONNECT",
    "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n" +
    "Proxy-Connection: keep-alive\r\n\r\n",
  ],
  ["asterisk OPTIONS", "OPTIONS * HTTP/1.1\r\n" + H + "\r\n"],
  ["HTTP/1.0 no headers", "GET http://example.com/ HTTP/1.0\r\n\r\n"],
  ["POST with Content-Length", POST + "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"],
  [
    "chunked with extensions and trailers",
    POST + "Transfer-Encoding: chunked\r\n" +
    "Trailer: X-Sum\r\n\r\n" + CHUNKS,
  ],
  ["LF-only request with body", "PUT http://a/x HTTP/1.1\nHost: a\nContent-Length: 3\n\nabc"],
  [
    "LF-only chunked",
    "POST http://a/ HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n" +
    "3\nabc\n0\n\n",
  ],
  ["leading blank lines", "\r\n\n\r\nGET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"],
  [
    "obs-text",
    "GET http://a/caf\xe9 HTTP/1.1\r\nHost: a\r\nX-Latin: \xe9t\xe9 \x80\xff\r\n" +
    "X-Tab:\tv\t \r\n\r\n",
  ],
  ["long request line", "GET http://a/" + "a".repeat(9000) + " HTTP/1.1\r\nHost: a\r\n\r\n"],
  ["request line just under 8 KiB", "GET http://a/" + "b".repeat(8150) + " HTTP/1.1\r\n\r\n"],
  ["long header value", "GET http://a/ HTTP/1.1\r\nX-Long: " + "v".repeat(3000) + "\r\n\r\n"],
  ["101 header fields", "GET http://a/ HTTP/1.1\r\n" + manyHeaders(101) + "\r\n"],
  ["CL and TE", POST + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG"],
  ["TE then CL", POST + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\nGPOST"],
  ["chunked, gzip", POST + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"],
  ["gzip, chunked", POST + "Transfer-Encoding: gzip, chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"],
  ["chunked twice", POST + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"],
  ["TE with odd whitespace", POST + "Transfer-Encoding: \tchunked \r\nX: y\r\n\r\n0\r\n\r\n"],
  ["xchunked", POST + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"],
  ["TE in HTTP/1.0", "POST http://a/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"],
  ["Content-Length: +5", POST + "Content-Length: +5\r\n\r\nhello"],
  ["differing Content-Length", POST + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"],
  ["Content-Length list", POST + "Content-Length: 5, 5\r\n\r\nhello"],
  ["huge Content-Length", POST + "Content-Length: 99999999999999999999\r\n\r\n"],
  ["space before colon", POST + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"],
  ["obs-fold", "GET http://a/ HTTP/1.1\r\nX-A: a\r\n b\r\n\tc\r\n\r\n"],
  ["bare CR in value", "GET http://a/ HTTP/1.1\r\nX-A: a\rb\r\n\r\n"],
  ["bare CR line ends", "GET http://a/ HTTP/1.1\rHost: a\r\r\n\r\n"],
  ["NUL bytes", "GET http://a/\x00 HTTP/1.1\r\nX-A: a\x00b\r\n\x00: c\r\n\r\n"],
  ["HTTP/1.2 and 2.0", "GET http://a/ HTTP/1.2\r\n\r\nGET http://a/ HTTP/2.0\r\n\r\n"],
  ["lower-case method, two spaces", "get  http://a/ HTTP/1.1\r\n\r\n"],
  ["pipelined", "GET http://a/1 HTTP/1.1\r\nHost: a\r\n\r\nGET http://a/2 HTTP/1.1\r\n\r\n"],
  [
    "Connection-named hop-by-hop",
    "GET http://a/ HTTP/1.1\r\nConnection: close, X-Foo, " +
    "Transfer-Encoding\r\nX-Foo: 1\r\n\r\n",
  ],
];

const RESPONSES: [string, string][] = [
  ["200 with Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: o\r\n\r\nhello"],
  [
    "200 chunked",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n" +
    "5;ext\r\npedia\r\n0\r\nExpires: never\r\n\r\n",
  ],
  [
    "100 Continue then 200",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n" +
    "Content-Length: 0\r\n\r\n",
  ],
  ["103 Early Hints", "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"],
  ["204 without reason", "HTTP/1.0 204\r\n\r\n"],
  ["304 with trailing space", 'HTTP/1.1 304 \r\nETag: "x"\r\n\r\n'],
  ["LF-only response", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok"],
  ["close-delimited", "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until close"],
  [
    "response CL and TE",
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n" +
    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
  ],
  ["response chunked, gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nxyz"],
  ["bad status codes", "HTTP/1.1 2000 OK\r\n\r\nHTTP/1.1 099 X\r\n\r\n"],
  ["obs-text reason", "HTTP/1.1 404 Nicht \xe9\tgefunden\r\nX: \xff\r\n\r\n"],
  ["response smuggled CL list", "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nab"],
];

const CHUNKED: [string, string][] = [
  ["simple", "3\r\nabc\r\n0\r\n\r\n"],
  ["extensions and trailers", CHUNKS],
  ["LF-only", "a\nabcdefghij\n0\nT: v\n\n"],
  ["upper-case hex", "A\r\n0123456789\r\nF\r\n0123456789abcde\r\n0\r\n\r\n"],
  ["leading zeros", "0000000000003\r\nabc\r\n00000000000000\r\n\r\n"],
  ["huge size", "fffffffffffff\r\nabc"],
  ["space and tab before extension", "5 ;x\r\nhello\r\n5\t;y\r\nworld\r\n0\r\n\r\n"],
  ["bare CR", "5\rhello\r\n0\r\n\r\n"],
  ["data longer than size", "3\r\nabcd\r\n0\r\n\r\n"],
  ["negative and signed size", "-1\r\n+5\r\n0x5\r\n"],
];

/** Every seed, in a fixed order. */
export const SEEDS: readonly Seed[] = [
  ...REQUESTS.map(([name, s]) => ({ name, kind: "request" as const, bytes: bin(s) })),
  ...RESPONSES.map(([name, s]) => ({ name, kind: "response" as const, bytes: bin(s) })),
  ...CHUNKED.map(([name, s]) => ({ name, kind: "chunked" as const, bytes: bin(s) })),
];
