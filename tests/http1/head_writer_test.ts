import assert from "node:assert/strict";
import { HeadWriter } from "../../lib/http1/head_writer.ts";
import { HeaderList } from "../../lib/http1/headers.ts";
import { RequestParser } from "../../lib/http1/parse.ts";

const enc = new TextEncoder();
const dec = (b: Uint8Array) => String.fromCharCode(...b);

Deno.test("HeadWriter: text, decimal and fields in order; start forgets the previous head", () => {
  const h = new HeaderList();
  h.append("Host", "a");
  h.append("X-Empty", "");
  const w = new HeadWriter(4); // grows as needed
  const first = dec(w.start().text("HTTP/1.1 ").decimal(204).text(" No\r\n").fields(h).bytes());
  assert.equal(first, "HTTP/1.1 204 No\r\nHost: a\r\nX-Empty: \r\n");
  assert.equal(dec(w.start().decimal(0).text("|").decimal(65535).bytes()), "0|65535");
});

Deno.test("HeadWriter: parsed fields go out as received bytes (case, obs-text), changed ones as set", () => {
  const raw = "GET http://a/ HTTP/1.1\r\nX-Raw:  caf\xe9 \r\ncontent-TYPE: t\r\nVia: 1.0 x\r\n\r\n";
  const bytes = Uint8Array.from(raw, (c) => c.charCodeAt(0));
  const h = new RequestParser().parse(bytes)!.head.headers;
  h.set("Via", "1.0 x, 1.1 sluice");
  h.append("Connection", "close");
  const out = dec(new HeadWriter().start().fields(h).bytes());
  assert.equal(
    out,
    "X-Raw: caf\xe9\r\ncontent-TYPE: t\r\nVia: 1.0 x, 1.1 sluice\r\nConnection: close\r\n",
  );
  assert.equal(h.byteLength(), out.length);
});

Deno.test("HeadWriter: a view stays valid until the next start", () => {
  const w = new HeadWriter();
  const a = w.start().text("one").bytes();
  assert.equal(dec(a), "one");
  w.start().text("two");
  assert.equal(dec(a), "two"); // documented: reused
  assert.deepEqual(w.bytes(), enc.encode("two"));
});

Deno.test("HeadWriter: fields received as `name: value` CRLF are copied in runs, others rewritten", () => {
  // a mix: canonical lines, a bare LF, no space after the colon, trailing
  // whitespace, an empty value, a field removed from the middle of a run, one
  // changed, one appended; the last field's line end is copied with it
  const raw = "GET http://a/ HTTP/1.1\r\nA: 1\r\nB: 2\r\nConnection: x-gone\r\nX-Gone: 3\r\n" +
    "C: 4\nD:5\r\nE: 6 \r\nF: \r\nG: 7\r\nH: 8\r\n\r\n";
  for (const lastChange of [false, true]) {
    const bytes = Uint8Array.from(raw, (c) => c.charCodeAt(0));
    const h = new RequestParser().parse(bytes)!.head.headers;
    h.deleteHopByHop(["x-gone"]);
    h.set("G", "seven");
    if (lastChange) h.append("I", "9");
    const out = dec(new HeadWriter(8).start().fields(h).bytes());
    assert.equal(
      out,
      "A: 1\r\nB: 2\r\nC: 4\r\nD: 5\r\nE: 6\r\nF: \r\nG: seven\r\nH: 8\r\n" +
        (lastChange ? "I: 9\r\n" : ""),
    );
    assert.equal(h.byteLength(), out.length);
    // the input buffer is reused by the next read: the list kept its own copy
    bytes.fill(0x21);
    assert.equal(dec(new HeadWriter().start().fields(h).bytes()), out);
  }
});
