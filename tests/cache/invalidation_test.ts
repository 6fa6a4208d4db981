import assert from "node:assert/strict";
import { cacheKey, invalidations } from "../../lib/cache/invalidation.ts";
import { headers } from "./helpers.ts";

Deno.test("cacheKey: scheme and host case, default port, empty path, fragment", () => {
  const table: [string, string | null][] = [
    ["http://Example.com:80/a", "http://example.com/a"],
    ["HTTP://EXAMPLE.COM/a?B=1", "http://example.com/a?B=1"],
    ["https://example.com:443", "https://example.com/"],
    ["http://example.com:8080/x#frag", "http://example.com:8080/x"],
    ["http://example.com/A", "http://example.com/A"],
    ["ftp://example.com/", null],
    ["/relative", null],
    ["http://", null],
  ];
  for (const [uri, want] of table) assert.equal(cacheKey(uri), want, uri);
  assert.notEqual(
    cacheKey("http://a.example/?test=1"),
    cacheKey("http://a.example/?test=2"),
    "query-args-different",
  );
});

Deno.test("invalidations: unsafe methods with 2xx/3xx (invalidate-*)", () => {
  const uri = "http://origin.example/test";
  for (const m of ["POST", "PUT", "DELETE", "M-SEARCH", "PATCH", "post"]) {
    assert.deepEqual(invalidations(m, 200, uri, headers()), [uri], `invalidate-${m}`);
    assert.deepEqual(invalidations(m, 500, uri, headers()), [], `invalidate-${m}-failed`);
  }
  assert.deepEqual(invalidations("POST", 303, uri, headers()), [uri]);
  assert.deepEqual(invalidations("POST", 404, uri, headers()), []);
  for (const m of ["GET", "HEAD", "OPTIONS", "TRACE"]) {
    assert.deepEqual(invalidations(m, 200, uri, headers()), [], m);
  }
});

Deno.test("invalidations: same-origin Location and Content-Location (invalidate-*-location, -cl)", () => {
  const uri = "http://origin.example/dir/test";
  const h = headers(
    ["Location", "location_target"],
    ["Content-Location", "http://ORIGIN.example:80/content_location_target"],
  );
  assert.deepEqual(invalidations("PUT", 201, uri, h), [
    uri,
    "http://origin.example/dir/location_target",
    "http://origin.example/content_location_target",
  ]);
  const other = headers(["Location", "http://other.example/x"], [
    "Content-Location",
    "https://origin.example/dir/test",
  ]);
  assert.deepEqual(invalidations("POST", 200, uri, other), [uri], "other origins are ignored");
  assert.deepEqual(invalidations("POST", 200, uri, headers(["Content-Location", ""])), [uri]);
  assert.deepEqual(invalidations("POST", 200, "not a uri", headers()), []);
});
