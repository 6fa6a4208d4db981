import assert from "node:assert/strict";
import { storable, type StoreReason } from "../../lib/cache/storable.ts";
import { type Field, headers } from "./helpers.ts";

const URI = "http://origin.example/test";

function check(
  fields: Field[],
  want: StoreReason,
  opts: { status?: number; method?: string; req?: Field[]; id?: string } = {},
): void {
  const got = storable(
    { method: opts.method ?? "GET", target: URI, headers: headers(...(opts.req ?? [])) },
    { status: opts.status ?? 200, headers: headers(...fields) },
  );
  assert.equal(got.reason, want, opts.id ?? JSON.stringify(fields));
  assert.equal(got.store, want === "stored");
}

Deno.test("storable: explicit freshness for any final status (status-*-fresh)", () => {
  for (
    const s of [
      200,
      203,
      204,
      299,
      301,
      302,
      303,
      307,
      308,
      400,
      404,
      410,
      499,
      500,
      502,
      503,
      504,
      599,
    ]
  ) {
    check([["Cache-Control", "max-age=100000"], ["Date", 0]], "stored", {
      status: s,
      id: `status-${s}-fresh`,
    });
  }
  check([["Expires", 3600]], "stored", { status: 302 });
});

Deno.test("storable: heuristic statuses need Last-Modified or a validator; others need public (heuristic-*)", () => {
  const lm: Field[] = [["Last-Modified", -86400], ["Date", 0]];
  for (const s of [200, 203, 204, 404, 405, 410, 414, 501]) check(lm, "stored", { status: s });
  for (const s of [201, 202, 403, 502, 503, 504, 599]) {
    check(lm, "status", { status: s, id: `heuristic-${s}-not_cached` });
  }
  check([...lm, ["Cache-Control", "public"]], "stored", {
    status: 599,
    id: "heuristic-599 public",
  });
  // stored, stale at once (revalidated on every use; served when the origin is unreachable)
  check([["Date", 0]], "stored", { id: "freshness-none" });
  check([["ETag", '"a"'], ["Cache-Control", "no-cache"]], "stored", {
    id: "cc-resp-no-cache-revalidate",
  });
});

Deno.test("storable: 1xx, 206 and 304 are not stored", () => {
  check([["Cache-Control", "max-age=60"]], "status", { status: 100 });
  check([["Cache-Control", "max-age=60"]], "status", { status: 304 });
  check([["Cache-Control", "max-age=60"], ["Content-Range", "bytes 4-9/10"]], "partial", {
    status: 206,
  });
});

Deno.test("storable: no-store and must-understand (cc-resp-no-store*, status-*-must-understand)", () => {
  check([["Cache-Control", "no-store"]], "no-store", { id: "cc-resp-no-store" });
  check([["Cache-Control", "No-StOrE"]], "no-store", { id: "cc-resp-no-store-case-insensitive" });
  check([["Cache-Control", "max-age=10000, no-store"], ["Expires", 10000]], "no-store", {
    id: "cc-resp-no-store-fresh",
  });
  check([["Cache-Control", "max-age=3600, no-store, must-understand"]], "must-understand", {
    status: 599,
    id: "status-599-must-understand",
  });
  check([["Cache-Control", "max-age=3600, no-store, must-understand"]], "stored", {
    id: "status-200-must-understand",
  });
  check([["Cache-Control", "max-age=60"]], "request-no-store", {
    req: [["Cache-Control", "no-store"]],
  });
});

Deno.test("storable: private, Authorization (cc-resp-private-shared, other-authorization*)", () => {
  check([["Cache-Control", "private, max-age=3600"]], "private", { id: "cc-resp-private-shared" });
  check([["Cache-Control", 'private="set-cookie", max-age=3600']], "stored");
  const auth: Field[] = [["Authorization", "FOO"]];
  check([["Cache-Control", "max-age=100000"]], "authorization", {
    req: auth,
    id: "other-authorization",
  });
  check([["Cache-Control", "max-age=3600, public"]], "stored", {
    req: auth,
    id: "other-authorization-public",
  });
  check([["Cache-Control", "max-age=3600, must-revalidate"]], "stored", {
    req: auth,
    id: "other-authorization-must-revalidate",
  });
  check([["Cache-Control", "s-maxage=3600"]], "stored", {
    req: auth,
    id: "other-authorization-smaxage",
  });
});

Deno.test("storable: Vary: * in any form is never stored (vary-syntax-*)", () => {
  const base: Field[] = [["Cache-Control", "max-age=5000"]];
  for (const vary of [["*"], ["*, *"], ["*", "*"], [", *"], ["", "*"], ["*, Foo"], ["Foo, *"]]) {
    check([...base, ...vary.map((v): Field => ["Vary", v])], "vary-star", { id: vary.join("|") });
  }
  check([...base, ["Vary", "Foo"]], "stored");
});

Deno.test("storable: methods (method-POST)", () => {
  const fresh: Field[] = [["Cache-Control", "max-age=3600"], ["Date", 0]];
  check(fresh, "method", { method: "HEAD" });
  check(fresh, "method", { method: "PUT" });
  check(fresh, "method", { method: "get" });
  check(fresh, "method", { method: "POST" });
  check([...fresh, ["Content-Location", URI]], "stored", { method: "POST", id: "method-POST" });
  check([...fresh, ["Content-Location", "/test"]], "stored", { method: "POST" });
  check([...fresh, ["Content-Location", "/other"]], "method", { method: "POST" });
  check([["Content-Location", URI], ["ETag", '"a"']], "method", { method: "POST" });
});
