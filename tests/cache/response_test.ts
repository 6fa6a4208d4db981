import assert from "node:assert/strict";
import { cacheStatus, notModifiedHeadFor, responseHeadFor } from "../../lib/cache/response.ts";
import { at, entry } from "./helpers.ts";

Deno.test("responseHeadFor: Age replaced and growing (other-age-gen, other-age-update-*)", () => {
  const e = entry([["Cache-Control", "max-age=100000"], ["Date", 0], ["Age", "30"]]);
  const h = responseHeadFor(e, at(3.9));
  assert.deepEqual(h.getAll("age"), ["33"]);
  assert.equal(responseHeadFor(entry([["Cache-Control", "max-age=1"]]), at(2.5)).get("age"), "2");
  const expires = entry([["Expires", 30 * 86400], ["Date", 0], ["Age", "30"]]);
  assert.ok(Number(responseHeadFor(expires, at(3)).get("age")) > 32);
});

Deno.test("responseHeadFor: Date, Expires and other fields untouched (other-date-update*)", () => {
  const e = entry([["Expires", 30 * 86400], ["Date", 0], ["X-Y", "z"]]);
  const h = responseHeadFor(e, at(100));
  assert.equal(h.get("date"), e.headers.get("date"));
  assert.equal(h.get("expires"), e.headers.get("expires"));
  assert.equal(h.get("x-y"), "z");
  assert.equal(h.has("warning"), false);
  assert.equal(e.headers.has("age"), false, "the entry is not modified");
});

Deno.test("responseHeadFor: Content-Length from the stored body, none for 204", () => {
  const e = entry([["Cache-Control", "max-age=9"], ["Content-Length", "99"]], { bodyLength: 36 });
  assert.equal(responseHeadFor(e, at(0)).get("content-length"), "36");
  const nc = entry([["Cache-Control", "max-age=9"], ["Content-Length", "0"]], {
    status: 204,
    bodyLength: 0,
  });
  assert.equal(responseHeadFor(nc, at(0)).has("content-length"), false);
});

Deno.test("notModifiedHeadFor: validators and caching fields only (conditional-304-etag)", () => {
  const e = entry([
    ["Cache-Control", "max-age=100000"],
    ["Date", 0],
    ["ETag", '"abcdef"'],
    ["Content-Type", "text/plain"],
    ["Content-Length", "5"],
    ["Vary", "Foo"],
  ]);
  const h = notModifiedHeadFor(e, at(2));
  assert.deepEqual(h.keys, ["cache-control", "date", "etag", "vary", "age"]);
  assert.equal(h.get("etag"), '"abcdef"');
  assert.equal(h.get("age"), "2");
});

Deno.test("cacheStatus: RFC 9211 members", () => {
  assert.equal(cacheStatus("sluice", { hit: true, ttl: 12.7 }), "sluice; hit; ttl=12");
  assert.equal(
    cacheStatus("sluice", { fwd: "uri-miss", stored: true }),
    "sluice; fwd=uri-miss; stored",
  );
  assert.equal(
    cacheStatus("sluice", { fwd: "stale", fwdStatus: 304 }),
    "sluice; fwd=stale; fwd-status=304",
  );
  assert.equal(cacheStatus("sluice", { fwd: "vary-miss" }), "sluice; fwd=vary-miss");
  assert.equal(cacheStatus("sluice", { hit: true, ttl: -3.2 }), "sluice; hit; ttl=-4");
  assert.equal(
    cacheStatus("sluice", { fwd: "miss", detail: "no-store" }),
    "sluice; fwd=miss; detail=no-store",
  );
  assert.equal(
    cacheStatus("sluice", { fwd: "bypass", detail: "two words" }),
    'sluice; fwd=bypass; detail="two words"',
  );
  assert.equal(cacheStatus("my proxy", {}), '"my proxy"');
  assert.equal(cacheStatus("x", { key: 'a"b' }), 'x; key="a\\"b"');
});
