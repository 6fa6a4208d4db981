import assert from "node:assert/strict";
import { appendVia, HeaderList, HOP_BY_HOP, stripHopByHop } from "../../lib/http1/headers.ts";
import { RequestParser } from "../../lib/http1/parse.ts";

function list(...pairs: [string, string][]): HeaderList {
  const h = new HeaderList();
  for (const [n, v] of pairs) h.append(n, v);
  return h;
}

function fields(h: HeaderList): [string, string][] {
  return h.names.map((n, i) => [n, h.values[i]]);
}

function serialize(h: HeaderList): string {
  const out: string[] = [];
  h.serializeInto(out);
  return out.join("");
}

Deno.test("HeaderList: append keeps names as received and lower-case keys", () => {
  const h = list(["Content-Type", "text/plain"], ["X-FOO", "1"]);
  assert.equal(h.size, 2);
  assert.deepEqual(h.names, ["Content-Type", "X-FOO"]);
  assert.deepEqual(h.keys, ["content-type", "x-foo"]);
  assert.deepEqual(h.values, ["text/plain", "1"]);
});

Deno.test("HeaderList: get returns the first value by lower-case key", () => {
  const h = list(["Accept", "a"], ["ACCEPT", "b"]);
  assert.equal(h.get("accept"), "a");
  assert.equal(h.get("missing"), undefined);
  // Lookups take lower-case keys only.
  assert.equal(h.get("Accept"), undefined);
});

Deno.test("HeaderList: get distinguishes an empty value from absence", () => {
  const h = list(["X-Empty", ""]);
  assert.equal(h.get("x-empty"), "");
  assert.equal(h.has("x-empty"), true);
});

Deno.test("HeaderList: getAll returns every value in order", () => {
  const h = list(["Set-Cookie", "a=1"], ["X", "y"], ["set-cookie", "b=2"], ["SET-COOKIE", "c=3"]);
  assert.deepEqual(h.getAll("set-cookie"), ["a=1", "b=2", "c=3"]);
  assert.deepEqual(h.getAll("nope"), []);
});

Deno.test("HeaderList: has", () => {
  const h = list(["Host", "a"]);
  assert.equal(h.has("host"), true);
  assert.equal(h.has("hos"), false);
  assert.equal(h.has("hostx"), false);
});

Deno.test("HeaderList: delete removes every field with the key and counts them", () => {
  const h = list(["A", "1"], ["B", "2"], ["a", "3"], ["C", "4"], ["A", "5"]);
  assert.equal(h.delete("a"), 3);
  assert.deepEqual(fields(h), [["B", "2"], ["C", "4"]]);
  assert.deepEqual(h.keys, ["b", "c"]);
  assert.equal(h.size, 2);
  assert.equal(h.delete("a"), 0);
  assert.equal(h.size, 2);
});

Deno.test("HeaderList: delete of adjacent duplicates", () => {
  const h = list(["X", "1"], ["x", "2"], ["X", "3"]);
  assert.equal(h.delete("x"), 3);
  assert.equal(h.size, 0);
  assert.deepEqual(h.keys, []);
  assert.deepEqual(h.values, []);
});

Deno.test("HeaderList: set appends when absent, using the given name", () => {
  const h = list(["A", "1"]);
  h.set("Via", "1.1 x");
  assert.deepEqual(fields(h), [["A", "1"], ["Via", "1.1 x"]]);
});

Deno.test("HeaderList: set replaces at the first place and removes the others", () => {
  const h = list(["A", "1"], ["x-dup", "a"], ["B", "2"], ["X-Dup", "b"], ["C", "3"], [
    "X-DUP",
    "c",
  ]);
  h.set("X-Dup", "new");
  // The first field keeps its place and its name as received.
  assert.deepEqual(fields(h), [["A", "1"], ["x-dup", "new"], ["B", "2"], ["C", "3"]]);
  assert.deepEqual(h.keys, ["a", "x-dup", "b", "c"]);
  assert.equal(h.get("x-dup"), "new");
  assert.deepEqual(h.getAll("x-dup"), ["new"]);
});

Deno.test("HeaderList: tokens splits, trims, lower-cases and skips empty elements", () => {
  const h = list(["Connection", " Keep-Alive ,  X-Foo"], ["Other", "no"], [
    "connection",
    ",,UPGRADE, ,",
  ]);
  assert.deepEqual(h.tokens("connection"), ["keep-alive", "x-foo", "upgrade"]);
  assert.deepEqual(h.tokens("missing"), []);
  assert.deepEqual(list(["Connection", ""]).tokens("connection"), []);
});

Deno.test("HeaderList: serializeInto writes name: value CRLF for each field, in order", () => {
  const h = list(["Host", "a"], ["x-lower", "v"], ["X-Empty", ""]);
  const out: string[] = ["START\r\n"];
  h.serializeInto(out);
  assert.equal(out.join(""), "START\r\nHost: a\r\nx-lower: v\r\nX-Empty: \r\n");
  assert.equal(serialize(new HeaderList()), "");
});

Deno.test("HOP_BY_HOP lists the connection-specific fields", () => {
  assert.deepEqual([...HOP_BY_HOP].toSorted(), [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
  ]);
});

Deno.test("stripHopByHop: removes every hop-by-hop field and keeps the rest in order", () => {
  const h = list(
    ["Host", "example.com"],
    ["Connection", "keep-alive"],
    ["Accept", "*/*"],
    ["Proxy-Connection", "keep-alive"],
    ["Keep-Alive", "timeout=5"],
    ["TE", "trailers"],
    ["Trailer", "Expires"],
    ["Upgrade", "websocket"],
    ["Proxy-Authorization", "Basic eDp5"],
    ["Proxy-Authenticate", "Basic"],
    ["User-Agent", "t"],
    ["x-custom", "1"],
  );
  const tokens = stripHopByHop(h);
  assert.deepEqual(tokens, ["keep-alive", "keep-alive"]);
  assert.deepEqual(fields(h), [
    ["Host", "example.com"],
    ["Accept", "*/*"],
    ["User-Agent", "t"],
    ["x-custom", "1"],
  ]);
});

Deno.test("stripHopByHop: removes fields named in Connection, case-insensitively", () => {
  const h = list(
    ["Connection", "close, X-Trace"],
    ["x-trace", "1"],
    ["A", "a"],
    ["X-TRACE", "2"],
    ["connection", "X-Other"],
    ["X-Other", "o"],
    ["B", "b"],
  );
  const tokens = stripHopByHop(h);
  assert.deepEqual(tokens, ["close", "x-trace", "x-other"]);
  assert.deepEqual(fields(h), [["A", "a"], ["B", "b"]]);
});

Deno.test("stripHopByHop: removes fields named in Proxy-Connection", () => {
  const h = list(["Proxy-Connection", "X-Secret"], ["X-Secret", "s"], ["Keep", "k"]);
  assert.deepEqual(stripHopByHop(h), ["x-secret"]);
  assert.deepEqual(fields(h), [["Keep", "k"]]);
});

Deno.test("stripHopByHop: keeps Transfer-Encoding and Content-Length even when named in Connection", () => {
  const h = list(
    ["Transfer-Encoding", "chunked"],
    ["Connection", "Transfer-Encoding, Content-Length, X-A"],
    ["Content-Length", "10"],
    ["X-A", "a"],
    ["Date", "d"],
  );
  stripHopByHop(h);
  assert.deepEqual(fields(h), [
    ["Transfer-Encoding", "chunked"],
    ["Content-Length", "10"],
    ["Date", "d"],
  ]);
});

Deno.test("stripHopByHop: a list with no hop-by-hop fields is unchanged", () => {
  const h = list(["A", "1"], ["B", "2"], ["a", "3"]);
  assert.deepEqual(stripHopByHop(h), []);
  assert.deepEqual(fields(h), [["A", "1"], ["B", "2"], ["a", "3"]]);
});

Deno.test("appendVia: adds Via at the end when there is none", () => {
  const h = list(["A", "1"]);
  appendVia(h, 1, "sluice");
  assert.deepEqual(fields(h), [["A", "1"], ["Via", "1.1 sluice"]]);
  const h0 = new HeaderList();
  appendVia(h0, 0, "proxy");
  assert.deepEqual(fields(h0), [["Via", "1.0 proxy"]]);
});

Deno.test("appendVia: extends an existing Via in place", () => {
  const h = list(["A", "1"], ["via", "1.0 first"], ["B", "2"]);
  appendVia(h, 1, "sluice");
  assert.deepEqual(fields(h), [["A", "1"], ["via", "1.0 first, 1.1 sluice"], ["B", "2"]]);
});

Deno.test("appendVia: merges several Via fields into one at the first place", () => {
  const h = list(["Via", "1.1 a"], ["X", "x"], ["Via", "1.0 b, 1.1 c"]);
  appendVia(h, 0, "sluice");
  assert.deepEqual(fields(h), [["Via", "1.1 a, 1.0 b, 1.1 c, 1.0 sluice"], ["X", "x"]]);
});

Deno.test("HeaderList over parsed bytes: lookups, tokens, delete and set as for appended fields", () => {
  const raw = "GET / HTTP/1.1\r\nHost: a\r\nX-Foo: 1\r\nconnection: Keep-Alive, X-Foo\r\n" +
    "x-foo: 2\r\nVia: 1.0 p\r\n\r\n";
  const h = new RequestParser().parse(new TextEncoder().encode(raw))!.head.headers;
  assert.equal(h.size, 5);
  assert.equal(h.get("x-foo"), "1");
  assert.deepEqual(h.getAll("x-foo"), ["1", "2"]);
  assert.deepEqual(h.tokens("connection"), ["keep-alive", "x-foo"]);
  assert.deepEqual(h.keys, ["host", "x-foo", "connection", "x-foo", "via"]);
  assert.deepEqual(stripHopByHop(h), ["keep-alive", "x-foo"]);
  assert.deepEqual(fields(h), [["Host", "a"], ["Via", "1.0 p"]]);
  appendVia(h, 1, "sluice");
  assert.deepEqual(fields(h), [["Host", "a"], ["Via", "1.0 p, 1.1 sluice"]]);
  assert.equal(serialize(h), "Host: a\r\nVia: 1.0 p, 1.1 sluice\r\n");
  assert.equal(h.delete("host"), 1);
  assert.equal(h.has("host"), false);
  assert.equal(h.name(0), "Via");
});

Deno.test("HeaderList over parsed bytes: a lone known token is read from its bytes, anything else decoded", () => {
  const cases: [string, string[]][] = [
    ["Keep-Alive", ["keep-alive"]],
    ["CLOSE", ["close"]],
    ["upgrade", ["upgrade"]],
    ["keep-alivex", ["keep-alivex"]],
    ["clos", ["clos"]],
    ["close, Upgrade", ["close", "upgrade"]],
    ["cl\xc5se", ["cl\xe5se"]],
  ];
  for (const [value, tokens] of cases) {
    const raw = `GET / HTTP/1.1\r\nConnection: ${value}\r\nconnection:   close  \r\n\r\n`;
    const bytes = Uint8Array.from(raw, (c) => c.charCodeAt(0));
    const h = new RequestParser().parse(bytes)!.head.headers;
    assert.deepEqual(h.tokens("connection"), [...tokens, "close"], value);
  }
});

Deno.test("HeaderList.decimal: 1 to 15 ASCII digits, from parsed bytes or a set value; else -1", () => {
  const raw = "GET / HTTP/1.1\r\nA: 1024\r\nB: 000000000000123\r\nC: 1234567890123456\r\n" +
    "D: 12a\r\nE:\r\nF: +1\r\nG: 1 2\r\nH: \xb9\r\n\r\n";
  const h = new RequestParser().parse(Uint8Array.from(raw, (c) => c.charCodeAt(0)))!.head.headers;
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => h.decimal(i)), [
    1024,
    123,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
  ]);
  h.set("A", "77");
  h.append("I", "999999999999999");
  h.append("J", "");
  assert.equal(h.decimal(0), 77);
  assert.equal(h.decimal(8), 999999999999999);
  assert.equal(h.decimal(9), -1);
});

Deno.test("HeaderList.tokens: a lone known token is a shared frozen list, never changed by a longer answer", () => {
  const parse = (raw: string) =>
    new RequestParser().parse(new TextEncoder().encode(`GET / HTTP/1.1\r\n${raw}\r\n`))!.head
      .headers;
  const lone = parse("Connection: keep-alive\r\n").tokens("connection");
  assert.deepEqual(lone, ["keep-alive"]);
  assert.ok(Object.isFrozen(lone));
  assert.equal(parse("connection: Keep-Alive\r\n").tokens("connection"), lone);
  // a second field after a lone known one: a list of its own
  const two = parse("Connection: keep-alive\r\nConnection: close\r\n").tokens("connection");
  assert.deepEqual(two, ["keep-alive", "close"]);
  assert.ok(!Object.isFrozen(two));
  assert.deepEqual(lone, ["keep-alive"], "the shared list is untouched");
  // a decoded value after a lone known one, and one with no element at all
  assert.deepEqual(parse("Connection: close\r\nConnection: X-A , \r\n").tokens("connection"), [
    "close",
    "x-a",
  ]);
  assert.deepEqual(parse("Connection: ,\r\n").tokens("connection"), []);
});
