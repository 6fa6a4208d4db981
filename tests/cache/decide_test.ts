import assert from "node:assert/strict";
import {
  clientConditional,
  conditionalHeaders,
  decide,
  requestCacheControl,
  serveStaleOnError,
} from "../../lib/cache/decide.ts";
import { at, entry, type Field, headers } from "./helpers.ts";

const fresh = (extra: Field[] = []) =>
  entry([["Cache-Control", "max-age=100000"], ["Date", 0], ...extra]);
const becomeStale = (extra: Field[] = []) =>
  entry([["Cache-Control", "max-age=2"], ["Date", 0], ["Template-A", "1"], ...extra]);
const req = (...fields: Field[]) => ({ headers: headers(...fields) });

Deno.test("decide: fresh is served, stale revalidates (freshness-max-age, -stale)", () => {
  const d = decide(req(), fresh(), at(3));
  assert.equal(d.kind, "fresh");
  if (d.kind === "fresh") {
    assert.equal(d.age, 3);
    assert.equal(d.ttl, 99997);
  }
  const s = decide(req(), becomeStale(), at(3));
  assert.equal(s.kind, "revalidate");
  if (s.kind === "revalidate") {
    assert.equal(s.reason, "stale");
    assert.equal(s.conditional.size, 0, "no validators: an unconditional request");
  }
});

Deno.test("decide: validators become conditional fields (conditional-etag-*-generate, conditional-lm-stale)", () => {
  const e = becomeStale([["ETag", '"abcdef"'], ["Last-Modified", -3000]]);
  const d = decide(req(), e, at(3));
  assert.equal(d.kind, "revalidate");
  if (d.kind !== "revalidate") return;
  assert.equal(d.conditional.get("if-none-match"), '"abcdef"');
  assert.equal(d.conditional.get("if-modified-since"), e.headers.get("last-modified"));
  assert.equal(
    conditionalHeaders(becomeStale([["ETag", 'W/"abcdef"']])).get("if-none-match"),
    'W/"abcdef"',
  );
  assert.equal(
    conditionalHeaders(becomeStale([["ETag", "abcdef"]])).get("if-none-match"),
    '"abcdef"',
    "conditional-etag-strong-generate-unquoted",
  );
  assert.equal(conditionalHeaders(becomeStale([["Last-Modified", "junk"]])).size, 0);
});

Deno.test("decide: response no-cache always revalidates (cc-resp-no-cache*, pragma-response-*)", () => {
  const e = entry([["Cache-Control", "max-age=10000, no-cache"], ["Expires", 10000], ["Date", 0], [
    "ETag",
    '"abcd"',
  ]]);
  const d = decide(req(), e, at(0));
  assert.equal(d.kind, "revalidate");
  if (d.kind === "revalidate") assert.equal(d.conditional.get("if-none-match"), '"abcd"');
  const q = entry([
    ["Cache-Control", 'no-cache="a"'],
    ["Cache-Control", "max-age=3600"],
    ["A", "1"],
    ["B", "2"],
  ]);
  assert.equal(
    decide(req(), q, at(1)).kind,
    "fresh",
    "qualified no-cache does not force revalidation",
  );
  assert.equal(
    decide(req(), fresh([["Pragma", "no-cache"]]), at(1)).kind,
    "fresh",
    "pragma-response-no-cache",
  );
});

Deno.test("decide: must-revalidate (cc-resp-must-revalidate-fresh / -stale)", () => {
  const e = entry([["Cache-Control", "max-age=2, must-revalidate"], ["ETag", '"abcd"']]);
  assert.equal(decide(req(), e, at(1)).kind, "fresh");
  assert.equal(decide(req(), e, at(3)).kind, "revalidate");
  assert.equal(decide(req(["Cache-Control", "max-stale=1000"]), e, at(3)).kind, "revalidate");
});

Deno.test("decide: request directives (ccreq-*)", () => {
  const kind = (r: ReturnType<typeof req>, e = fresh(), t = at(3)) => decide(r, e, t).kind;
  assert.equal(kind(req(["Cache-Control", "max-age=0"])), "revalidate", "ccreq-ma0");
  assert.equal(kind(req(["Cache-Control", "max-age=1"])), "revalidate", "ccreq-ma1");
  assert.equal(kind(req(["Cache-Control", "max-age=5"])), "fresh");
  assert.equal(
    kind(req(["Cache-Control", "max-age=600"]), fresh([["Age", "1800"]])),
    "revalidate",
    "ccreq-magreaterage",
  );
  assert.equal(
    kind(req(["Cache-Control", "max-stale=1000"]), becomeStale()),
    "fresh",
    "ccreq-max-stale",
  );
  assert.equal(kind(req(["Cache-Control", "max-stale"]), becomeStale(), at(1e6)), "fresh");
  assert.equal(kind(req(["Cache-Control", "max-stale=1"]), becomeStale(), at(10)), "revalidate");
  const aged = entry([["Cache-Control", "max-age=1500"], ["Age", "2000"]]);
  assert.equal(
    kind(req(["Cache-Control", "max-stale=1000"]), aged, at(0)),
    "fresh",
    "ccreq-max-stale-age",
  );
  const e1500 = entry([["Cache-Control", "max-age=1500"]]);
  assert.equal(
    kind(req(["Cache-Control", "min-fresh=2000"]), e1500, at(0)),
    "revalidate",
    "ccreq-min-fresh",
  );
  const e1500a = entry([["Cache-Control", "max-age=1500"], ["Age", "1000"]]);
  assert.equal(
    kind(req(["Cache-Control", "min-fresh=1000"]), e1500a, at(0)),
    "revalidate",
    "ccreq-min-fresh-age",
  );
  assert.equal(kind(req(["Cache-Control", "min-fresh=100"]), e1500a, at(0)), "fresh");
  assert.equal(kind(req(["Cache-Control", "no-cache"])), "revalidate", "ccreq-no-cache");
  assert.equal(
    kind(req(["Cache-Control", "no-store"])),
    "fresh",
    "request no-store does not stop reuse",
  );
});

Deno.test("decide: max-stale does not override s-maxage or proxy-revalidate in a shared cache", () => {
  for (const cc of ["s-maxage=2", "max-age=2, proxy-revalidate"]) {
    const e = entry([["Cache-Control", cc]]);
    assert.equal(decide(req(["Cache-Control", "max-stale=1000"]), e, at(3)).kind, "revalidate", cc);
  }
});

Deno.test("decide: Pragma: no-cache only without Cache-Control (pragma-request-*)", () => {
  assert.equal(decide(req(["Pragma", "no-cache"]), fresh(), at(3)).kind, "revalidate");
  assert.equal(
    decide(req(["Pragma", "no-cache"]), fresh(), at(3), { honorPragma: false }).kind,
    "fresh",
  );
  assert.equal(decide(req(["Pragma", "unrecognised-extension"]), fresh(), at(3)).kind, "fresh");
  assert.equal(
    decide(req(["Pragma", "no-cache"], ["Cache-Control", "max-stale"]), fresh(), at(3)).kind,
    "fresh",
  );
  assert.equal(requestCacheControl(headers(["Pragma", "No-Cache"])).noCache, true);
});

Deno.test("decide: only-if-cached answers 504 when nothing fresh (ccreq-oic)", () => {
  const oic: Field = ["Cache-Control", "only-if-cached"];
  assert.equal(decide(req(oic), fresh(), at(3)).kind, "fresh");
  assert.equal(decide(req(oic), becomeStale(), at(3)).kind, "only-if-cached");
  const swr = entry([["Cache-Control", "max-age=1, stale-while-revalidate=3600"]]);
  assert.equal(decide(req(oic), swr, at(3)).kind, "only-if-cached");
});

Deno.test("decide: stale-while-revalidate window (stale-while-revalidate, -window)", () => {
  const e = entry([["Cache-Control", "max-age=1, stale-while-revalidate=4"], ["ETag", '"abc"']]);
  const d = decide(req(), e, at(3));
  assert.equal(d.kind, "stale-while-revalidate");
  if (d.kind === "stale-while-revalidate") {
    assert.equal(d.conditional.get("if-none-match"), '"abc"');
  }
  assert.equal(decide(req(), e, at(6)).kind, "revalidate");
  const mr = entry([["Cache-Control", "max-age=1, stale-while-revalidate=60, must-revalidate"]]);
  assert.equal(decide(req(), mr, at(3)).kind, "revalidate");
  const sm = entry([["Cache-Control", "s-maxage=1, stale-while-revalidate=60"]]);
  assert.equal(decide(req(), sm, at(3)).kind, "stale-while-revalidate");
});

Deno.test("decide: a Vary mismatch is a miss", () => {
  const e = entry([["Cache-Control", "max-age=5000"], ["Vary", "Foo"]], { req: [["Foo", "1"]] });
  assert.equal(decide(req(["Foo", "1"]), e, at(1)).kind, "fresh");
  assert.deepEqual(decide(req(["Foo", "2"]), e, at(1)), { kind: "miss", reason: "vary-miss" });
});

Deno.test("serveStaleOnError: disconnection and stale-if-error (stale-*)", () => {
  const r = req();
  assert.equal(serveStaleOnError(becomeStale(), r, at(3), "unreachable"), true, "stale-close");
  assert.equal(
    serveStaleOnError(becomeStale(), r, at(3), "unreachable", { maxStaleOnDisconnect: 0 }),
    false,
  );
  assert.equal(
    serveStaleOnError(becomeStale(), r, at(3), 503),
    false,
    "stale-503: not without stale-if-error",
  );
  const sie = entry([["Cache-Control", "max-age=2, stale-if-error=60"]]);
  assert.equal(serveStaleOnError(sie, r, at(3), "unreachable"), true, "stale-sie-close");
  assert.equal(serveStaleOnError(sie, r, at(3), 503), true, "stale-sie-503");
  assert.equal(serveStaleOnError(sie, r, at(3), 404), false);
  assert.equal(serveStaleOnError(sie, r, at(63), 500), false, "past the window");
  assert.equal(
    serveStaleOnError(sie, req(["Cache-Control", "stale-if-error=600"]), at(63), 500),
    true,
  );
  for (const cc of ["must-revalidate", "proxy-revalidate", "no-cache", "s-maxage=2"]) {
    const e = entry([["Cache-Control", `max-age=2, ${cc}, stale-if-error=60`]]);
    assert.equal(serveStaleOnError(e, r, at(3), "unreachable"), false, `stale-close-${cc}`);
  }
});

Deno.test("clientConditional: 304 from a stored response (conditional-etag-*, conditional-lm-*)", () => {
  const e = fresh([["ETag", '"abcdef"'], ["Last-Modified", -5000]]);
  const c = (...f: Field[]) => clientConditional("GET", headers(...f), e);
  assert.equal(c(["If-None-Match", '"abcdef"']), 304, "conditional-etag-strong-respond");
  assert.equal(c(["If-None-Match", '"1234", "abcdef", "5678"']), 304, "multiple-second");
  assert.equal(c(["If-None-Match", '"1234"'], ["If-None-Match", '"abcdef"']), 304, "two lines");
  assert.equal(c(["If-None-Match", '"nope"']), "proceed");
  assert.equal(
    c(["If-None-Match", '"abcdef"'], ["If-Modified-Since", -10000]),
    304,
    "conditional-etag-precedence",
  );
  assert.equal(
    c(["If-None-Match", '"x"'], ["If-Modified-Since", -10]),
    "proceed",
    "INM wins over IMS",
  );
  assert.equal(c(["If-Modified-Since", -5000]), 304, "conditional-lm-fresh");
  assert.equal(c(["If-Modified-Since", -2000]), 304, "conditional-lm-fresh-earlier");
  assert.equal(c(["If-Modified-Since", -6000]), "proceed");
  assert.equal(c(), "proceed");
  assert.equal(clientConditional("POST", headers(["If-None-Match", '"abcdef"']), e), "proceed");
  const weak = fresh([["ETag", 'W/"abcdef"']]);
  assert.equal(clientConditional("HEAD", headers(["If-None-Match", 'W/"abcdef"']), weak), 304);
  // No Last-Modified: compared with Date (RFC 9111 section 4.3.2). The optimal test
  // conditional-lm-fresh-no-lm expects 304 for an IMS before Date; the RFC says not.
  assert.equal(clientConditional("GET", headers(["If-Modified-Since", -3000]), fresh()), "proceed");
  const later = entry([["Cache-Control", "max-age=100000"], ["Date", -4000]]);
  assert.equal(clientConditional("GET", headers(["If-Modified-Since", -3000]), later), 304);
  const notOk = fresh([["ETag", '"abcdef"']]);
  assert.equal(
    clientConditional("GET", headers(["If-None-Match", '"abcdef"']), { ...notOk, status: 404 }),
    "proceed",
  );
});
