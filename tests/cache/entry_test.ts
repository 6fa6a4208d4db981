import assert from "node:assert/strict";
import { parseCacheControl } from "../../lib/cache/cache_control.ts";
import { createEntry, storedHeaders } from "../../lib/cache/entry.ts";
import { entry, headers } from "./helpers.ts";

Deno.test("storedHeaders: hop-by-hop and Connection-listed fields go (headers-omit-headers-listed-in-Connection, headers-store-*)", () => {
  const h = headers(
    ["Connection", "a, b"],
    ["a", "1"],
    ["b", "2"],
    ["c", "3"],
    ["Keep-Alive", "timeout=5"],
    ["Proxy-Authenticate", "Basic"],
    ["Proxy-Authentication-Info", "x"],
    ["Proxy-Authorization", "y"],
    ["Proxy-Connection", "keep-alive"],
    ["TE", "trailers"],
    ["Transfer-Encoding", "chunked"],
    ["Upgrade", "h2c"],
    ["Content-Length", "36"],
    ["Set-Cookie", "a=b"],
    ["Content-Type", "text/plain"],
  );
  const s = storedHeaders(h, parseCacheControl([]));
  assert.deepEqual(s.keys, ["c", "content-length", "set-cookie", "content-type"]);
});

Deno.test("storedHeaders: fields named by no-cache= and private= are dropped (headers-omit-headers-listed-in-Cache-Control-no-cache*)", () => {
  const h = headers(["Cache-Control", 'no-cache="a, b"'], ["a", "1"], ["b", "2"], ["c", "3"], [
    "Cache-Control",
    "max-age=3600",
  ]);
  assert.deepEqual(storedHeaders(h, parseCacheControl(h.getAll("cache-control"))).keys, [
    "cache-control",
    "c",
    "cache-control",
  ]);
  const p = headers(["Cache-Control", 'private="x-user", max-age=60'], ["X-User", "bob"], [
    "Y",
    "1",
  ]);
  assert.deepEqual(storedHeaders(p, parseCacheControl(p.getAll("cache-control"))).keys, [
    "cache-control",
    "y",
  ]);
});

Deno.test("createEntry: Date added when missing, Vary values captured, Vary * refused", () => {
  const e = createEntry(
    { headers: headers(["Foo", " 1, 2 "]) },
    { status: 200, reason: "OK", headers: headers(["Vary", "Foo, Bar"]) },
    { requestTime: 1000, responseTime: 2000, body: new Uint8Array(4) },
  );
  assert.equal(e.headers.get("date"), "Thu, 01 Jan 1970 00:00:02 GMT");
  assert.deepEqual(e.vary, { fields: ["foo", "bar"], values: ["1, 2", null] });
  assert.equal(e.bodyLength, 4);
  assert.equal(e.requestTime, 1000);
  assert.equal(entry([["Date", "foo"]]).headers.get("date"), "foo", "an invalid Date is kept");
  assert.throws(
    () =>
      createEntry({ headers: headers() }, {
        status: 200,
        reason: "OK",
        headers: headers(["Vary", "*"]),
      }, {
        requestTime: 0,
        responseTime: 0,
      }),
    RangeError,
  );
});
