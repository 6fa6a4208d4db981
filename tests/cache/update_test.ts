import assert from "node:assert/strict";
import { currentAge, isFresh } from "../../lib/cache/freshness.ts";
import {
  freshenTargets,
  mergeHeaders,
  updateFrom304,
  updateFromHead,
} from "../../lib/cache/update.ts";
import { at, entry, type Field, headers } from "./helpers.ts";

Deno.test("mergeHeaders: replaces in place, appends new, keeps the rest", () => {
  const m = mergeHeaders(
    headers(["A", "1"], ["Set-Cookie", "x"], ["Set-Cookie", "y"], ["B", "1"]),
    headers(["set-cookie", "z"], ["C", "3"]),
  );
  assert.deepEqual(m.names, ["A", "set-cookie", "B", "C"]);
  assert.deepEqual(m.values, ["1", "z", "1", "3"]);
});

// update304: the fields of lib/header-list.mjs
Deno.test("updateFrom304: which fields a 304 updates (304-etag-update-response-*)", () => {
  const updated = [
    "Test-Header",
    "X-Test-Header",
    "Content-Foo",
    "X-Content-Foo",
    "Cache-Control",
    "Content-Encoding",
    "Content-Location",
    "Content-MD5",
    "Content-Range",
    "Content-Security-Policy",
    "Content-Type",
    "Clear-Site-Data",
    "ETag",
    "Expires",
    "Public-Key-Pins",
    "Set-Cookie",
    "Set-Cookie2",
    "X-Frame-Options",
    "X-XSS-Protection",
  ];
  for (const name of updated) {
    const e = entry([["Date", 0], [name, "A"], ["Cache-Control", "max-age=2"]]);
    const u = updateFrom304(e, headers(["Date", 3], [name, "B"]), at(3));
    assert.deepEqual(
      u.headers.getAll(name.toLowerCase()),
      ["B"],
      name,
    );
  }
});

Deno.test("updateFrom304: Content-Length is never updated (304-etag-update-response-Content-Length, Squid bug 5538)", () => {
  const e = entry([["Date", 0], ["Content-Length", "36"], ["Cache-Control", "max-age=2"]], {
    bodyLength: 36,
  });
  for (const cl of ["10", "0"]) {
    const u = updateFrom304(e, headers(["Content-Length", cl], ["ETag", '"x"']), at(3));
    assert.equal(u.headers.get("content-length"), "36");
    assert.equal(u.bodyLength, 36);
  }
});

Deno.test("updateFrom304: hop-by-hop fields of the 304 are not stored", () => {
  const e = entry([["Cache-Control", "max-age=2"]]);
  const u = updateFrom304(
    e,
    headers(
      ["Connection", "x-a"],
      ["X-A", "1"],
      ["Keep-Alive", "timeout=5"],
      ["Transfer-Encoding", "chunked"],
      ["Proxy-Authenticate", "Basic"],
      ["Upgrade", "h2c"],
      ["TE", "trailers"],
      ["X-B", "2"],
    ),
    at(3),
  );
  for (
    const k of [
      "connection",
      "x-a",
      "keep-alive",
      "transfer-encoding",
      "proxy-authenticate",
      "upgrade",
      "te",
    ]
  ) {
    assert.equal(u.headers.has(k), false, k);
  }
  assert.equal(u.headers.get("x-b"), "2");
});

Deno.test("updateFrom304: keeps stored fields the 304 omits (304-lm-use-stored-Test-Header)", () => {
  const lm = "Wed, 01 Jan 2020 00:00:00 GMT";
  const e = entry([["Cache-Control", "max-age=2"], ["Last-Modified", lm], ["Date", 0], [
    "Test-Header",
    "A",
  ]]);
  const u = updateFrom304(e, headers(["Last-Modified", lm], ["Date", 3]), at(3));
  assert.equal(u.headers.get("test-header"), "A");
  assert.equal(u.status, 200);
});

Deno.test("updateFrom304: new freshness and a fresh start for the age", () => {
  const e = entry([["Cache-Control", "max-age=1"], ["Date", 0], ["Age", "100"]]);
  assert.equal(isFresh(e, at(5)), false);
  const u = updateFrom304(e, headers(["Cache-Control", "max-age=3600"]), at(5), at(4));
  assert.equal(u.headers.has("age"), false, "the old Age goes");
  assert.equal(u.responseTime, at(5));
  assert.equal(u.requestTime, at(4));
  assert.equal(currentAge(u, at(5)), 1, "response delay only");
  assert.equal(isFresh(u, at(10)), true);
  const withAge = updateFrom304(e, headers(["Age", "7"], ["Date", 5]), at(5));
  assert.equal(withAge.headers.get("age"), "7");
});

Deno.test("updateFrom304: re-applies no-cache=/private= field stripping", () => {
  const e = entry([["Cache-Control", "max-age=1"], ["A", "1"]]);
  const u = updateFrom304(
    e,
    headers(["Cache-Control", 'max-age=60, no-cache="a"'], ["A", "2"]),
    at(2),
  );
  assert.equal(u.headers.has("a"), false);
});

Deno.test("updateFromHead: 200 updates, changed validators invalidate, others keep (head-200-*, head-410-update)", () => {
  const e = entry([["Cache-Control", "max-age=2"], ["Date", 0], ["Template-A", "1"], [
    "ETag",
    '"a"',
  ]]);
  const u = updateFromHead(
    e,
    200,
    headers(["Template-A", "2"], ["Cache-Control", "max-age=1000"]),
    at(3),
  );
  assert.ok(u);
  assert.equal(u.headers.get("template-a"), "2");
  assert.equal(isFresh(u, at(10)), true, "head-200-freshness-update");
  const kept = updateFromHead(e, 200, headers(["Date", 3]), at(3));
  assert.equal(kept?.headers.get("template-a"), "1", "head-200-retain");
  assert.equal(updateFromHead(e, 200, headers(["ETag", '"b"']), at(3)), null);
  assert.equal(updateFromHead(e, 410, headers(["Template-A", "2"]), at(3)), e);
});

Deno.test("freshenTargets: strong, weak, Last-Modified, none (RFC 9111 section 4.3.4)", () => {
  const v = (f: Field[]) => entry([["Cache-Control", "max-age=1"], ...f]);
  const a = v([["ETag", '"a"'], ["Last-Modified", -100]]);
  const a2 = v([["ETag", '"a"']]);
  const w = v([["ETag", 'W/"w"']]);
  const none = v([]);
  const all = [a, a2, w, none];
  assert.deepEqual(freshenTargets(all, headers(["ETag", '"a"'])), [a, a2]);
  assert.deepEqual(freshenTargets(all, headers(["ETag", 'W/"a"'])), [a]);
  assert.deepEqual(freshenTargets(all, headers(["ETag", 'W/"w"'])), [w]);
  assert.deepEqual(freshenTargets(all, headers(["ETag", '"w"'])), []);
  assert.deepEqual(freshenTargets(all, headers(["Last-Modified", -100])), [a]);
  assert.deepEqual(freshenTargets(all, headers()), []);
  assert.deepEqual(freshenTargets([none], headers()), [none]);
  assert.deepEqual(freshenTargets([a], headers()), []);
});
