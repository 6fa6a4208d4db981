import assert from "node:assert/strict";
import {
  MAX_DELTA_SECONDS,
  parseCacheControl,
  parseDeltaSeconds,
  splitList,
} from "../../lib/cache/cache_control.ts";

Deno.test("parseDeltaSeconds: digits only, leading zeros, clamp at 2^31", () => {
  const table: [string, number | null][] = [
    ["0", 0],
    ["003600", 3600], // freshness-max-age-leading-zero
    ["2147483647", 2147483647],
    ["2147483648", MAX_DELTA_SECONDS],
    ["99999999999", MAX_DELTA_SECONDS], // freshness-max-age-max-plus
    ["3600.0", null],
    ["-1", null],
    ["a1", null],
    ["1a", null],
    ["", null],
    [" 1", null],
  ];
  for (const [v, want] of table) assert.equal(parseDeltaSeconds(v), want, v);
});

Deno.test("splitList: commas inside quoted strings do not split", () => {
  assert.deepEqual(splitList('a, "b,c" ,, d'), ["a", '"b,c"', "d"]);
  assert.deepEqual(splitList('x="a\\"b,c", y'), ['x="a\\"b,c"', "y"]);
  assert.deepEqual(splitList(" , "), []);
});

Deno.test("parseCacheControl: max-age forms (cc-parse, cc-freshness)", () => {
  const table: [string[], number | undefined, string][] = [
    [["max-age=3600"], 3600, "freshness-max-age"],
    [["MaX-aGe=3600"], 3600, "freshness-max-age-case-insenstive"],
    [["foobar, max-age=3600"], 3600, "freshness-max-age-extension"],
    [["max-age=1800, max-age=1"], 1800, "freshness-max-age-two-fresh-stale-sameline"],
    [["max-age=1800", "max-age=1"], 1800, "freshness-max-age-two-fresh-stale-sepline"],
    [["max-age=1, max-age=1800"], 1, "freshness-max-age-two-stale-fresh-sameline (first wins)"],
    [['max-age="3600"'], 3600, "freshness-max-age-quoted"],
    [['extension="max-age=3600", max-age=1'], 1, "freshness-max-age-ignore-quoted"],
    [['max-age=1, extension="max-age=3600"'], 1, "freshness-max-age-ignore-quoted-rev"],
    [["max-age =3600"], undefined, "freshness-max-age-space-before-equals"],
    [["max-age= 3600"], undefined, "freshness-max-age-space-after-equals"],
    [["max-age=003600"], 3600, "freshness-max-age-leading-zero"],
    [["max-age='3600'"], 0, "freshness-max-age-single-quoted: invalid, stale"],
    [["max-age=3600.0"], 0, "freshness-max-age-decimal-zero: invalid, stale"],
    [["max-age=a3600"], 0, "freshness-max-age-a100"],
    [["max-age=3600a"], 0, "freshness-max-age-100a"],
    [["max-age=-3600"], 0, "freshness-max-age-negative"],
    [["max-age"], 0, "no value"],
    [["max-age=2147483649"], MAX_DELTA_SECONDS, "freshness-max-age-max-plus-1"],
    [["s-maxage=5"], undefined, "s-maxage is not max-age"],
  ];
  for (const [lines, want, id] of table) {
    assert.equal(parseCacheControl(lines).maxAge, want, id);
  }
});

Deno.test("parseCacheControl: s-maxage, both orders and lines (freshness-max-age-s-maxage-shared-*)", () => {
  for (
    const lines of [["max-age=3600, s-maxage=1"], ["s-maxage=1, max-age=3600"], [
      "max-age=3600",
      "s-maxage=1",
    ]]
  ) {
    const cc = parseCacheControl(lines);
    assert.equal(cc.sMaxage, 1, lines.join("|"));
    assert.equal(cc.maxAge, 3600);
  }
  assert.equal(parseCacheControl(["s-maxage=x"]).sMaxage, 0);
});

Deno.test("parseCacheControl: boolean directives, case-insensitive (cc-resp-no-store-case-insensitive)", () => {
  const cc = parseCacheControl([
    "No-StOrE, PUBLIC, must-revalidate",
    "proxy-revalidate, must-understand, no-transform, immutable, only-if-cached",
  ]);
  assert.equal(cc.noStore, true);
  assert.equal(cc.public, true);
  assert.equal(cc.mustRevalidate, true);
  assert.equal(cc.proxyRevalidate, true);
  assert.equal(cc.mustUnderstand, true);
  assert.equal(cc.noTransform, true);
  assert.equal(cc.immutable, true);
  assert.equal(cc.onlyIfCached, true);
  const none = parseCacheControl([]);
  for (const k of ["noStore", "public", "mustRevalidate", "onlyIfCached"] as const) {
    assert.equal(none[k], false, k);
  }
  assert.equal(none.noCache, false);
  assert.equal(none.private, false);
});

Deno.test("parseCacheControl: qualified no-cache and private list field names", () => {
  assert.equal(parseCacheControl(["No-CaChE"]).noCache, true); // cc-resp-no-cache-case-insensitive
  assert.deepEqual(parseCacheControl(['no-cache="a"']).noCache, ["a"]);
  assert.deepEqual(parseCacheControl(['no-cache="A, b"']).noCache, ["a", "b"]);
  assert.deepEqual(parseCacheControl(["no-cache=Set-Cookie"]).noCache, ["set-cookie"]);
  assert.equal(parseCacheControl(['no-cache=""']).noCache, true); // empty list: unqualified
  assert.equal(parseCacheControl(["private"]).private, true);
  assert.deepEqual(parseCacheControl(['private="x-user"']).private, ["x-user"]);
});

Deno.test("parseCacheControl: request directives", () => {
  assert.equal(parseCacheControl(["max-stale"]).maxStale, Infinity);
  assert.equal(parseCacheControl(["max-stale=1000"]).maxStale, 1000); // ccreq-max-stale
  assert.equal(parseCacheControl(["max-stale=x"]).maxStale, undefined);
  assert.equal(parseCacheControl(["min-fresh=2000"]).minFresh, 2000); // ccreq-min-fresh
  assert.equal(parseCacheControl(["min-fresh"]).minFresh, undefined);
  assert.equal(parseCacheControl(["max-age=0"]).maxAge, 0); // ccreq-ma0
});

Deno.test("parseCacheControl: stale-while-revalidate and stale-if-error", () => {
  const cc = parseCacheControl(["max-age=1, stale-while-revalidate=3600, stale-if-error=60"]);
  assert.equal(cc.staleWhileRevalidate, 3600);
  assert.equal(cc.staleIfError, 60);
  const bad = parseCacheControl(["stale-while-revalidate=1.5, stale-if-error"]);
  assert.equal(bad.staleWhileRevalidate, undefined);
  assert.equal(bad.staleIfError, undefined);
});

Deno.test("parseCacheControl: a malformed member is skipped, a later valid one is used", () => {
  assert.equal(parseCacheControl(["max-age =5, max-age=7"]).maxAge, 7);
  assert.equal(parseCacheControl(['max-age="5']).maxAge, undefined); // unterminated quote
  assert.equal(parseCacheControl(['x="a,b", no-store']).noStore, true);
});
