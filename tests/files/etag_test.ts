import assert from "node:assert/strict";
import {
  makeEtag,
  parseEntityTag,
  parseEntityTagList,
  strongMatch,
  weakMatch,
} from "../../lib/files/etag.ts";

Deno.test("makeEtag: nginx style, hex seconds and hex size, strong", () => {
  assert.equal(makeEtag(1234, 1_700_000_000_000), '"6553f100-4d2"');
  assert.equal(makeEtag(1234, 1_700_000_000_999), '"6553f100-4d2"'); // whole seconds
  assert.equal(makeEtag(0, 0), '"0-0"');
  assert.equal(makeEtag(10_000_000_000, 1_000), '"1-2540be400"');
  assert.notEqual(makeEtag(1, 5_000), makeEtag(2, 5_000));
  assert.notEqual(makeEtag(1, 5_000), makeEtag(1, 6_000));
});

Deno.test("makeEtag: the result parses as a strong entity tag", () => {
  for (const [size, ms] of [[0, 0], [1, 1], [2 ** 40, 1_900_000_000_123], [5, -5_000]]) {
    const tag = parseEntityTag(makeEtag(size, ms));
    assert.ok(tag, `${size} ${ms}`);
    assert.equal(tag.weak, false);
  }
});

Deno.test("parseEntityTag: strong, weak, and not tags", () => {
  assert.deepEqual(parseEntityTag('"abc"'), { weak: false, opaque: "abc" });
  assert.deepEqual(parseEntityTag('W/"abc"'), { weak: true, opaque: "abc" });
  assert.deepEqual(parseEntityTag('  "abc"\t'), { weak: false, opaque: "abc" });
  assert.deepEqual(parseEntityTag('""'), { weak: false, opaque: "" });
  assert.deepEqual(parseEntityTag('"a,b"'), { weak: false, opaque: "a,b" });
  assert.deepEqual(parseEntityTag('"caf\u00e9"'), { weak: false, opaque: "caf\u00e9" }); // obs-text
  for (
    const bad of ["abc", '"abc', 'abc"', 'w/"abc"', "W/abc", 'W/ "abc"', '"a b"', '"a"b"', "*"]
  ) {
    assert.equal(parseEntityTag(bad), null, bad);
  }
  assert.equal(parseEntityTag('"a\u0100"'), null); // beyond Latin-1
  assert.equal(parseEntityTag('"a\u0007"'), null); // control
  assert.equal(parseEntityTag('"a", "b"'), null); // a list is not one tag
});

Deno.test("parseEntityTagList: lists, star, empty members, junk members", () => {
  assert.equal(parseEntityTagList("*"), "*");
  assert.equal(parseEntityTagList("  *  "), "*");
  assert.deepEqual(parseEntityTagList('"a", W/"b" ,"c"'), [
    { weak: false, opaque: "a" },
    { weak: true, opaque: "b" },
    { weak: false, opaque: "c" },
  ]);
  assert.deepEqual(parseEntityTagList('"a,b", "c"'), [
    { weak: false, opaque: "a,b" },
    { weak: false, opaque: "c" },
  ]);
  assert.deepEqual(parseEntityTagList(', ,"a",,'), [{ weak: false, opaque: "a" }]);
  assert.deepEqual(parseEntityTagList('junk, "a", x"y", "b"z, W/"c"'), [
    { weak: false, opaque: "a" },
    { weak: true, opaque: "c" },
  ]);
  assert.deepEqual(parseEntityTagList(""), []);
  assert.deepEqual(parseEntityTagList("abc"), []);
  assert.deepEqual(parseEntityTagList('"unterminated'), []);
  assert.deepEqual(parseEntityTagList('*, "a"'), [{ weak: false, opaque: "a" }]); // "*" only alone
});

Deno.test("strongMatch and weakMatch: the RFC 9110 section 8.8.3.2 table", () => {
  const w1 = { weak: true, opaque: "1" };
  const w2 = { weak: true, opaque: "2" };
  const s1 = { weak: false, opaque: "1" };
  // ETag 1   ETag 2   Strong  Weak
  // W/"1"    W/"1"    no      yes
  // W/"1"    W/"2"    no      no
  // W/"1"    "1"      no      yes
  // "1"      "1"      yes     yes
  assert.deepEqual([strongMatch(w1, w1), weakMatch(w1, w1)], [false, true]);
  assert.deepEqual([strongMatch(w1, w2), weakMatch(w1, w2)], [false, false]);
  assert.deepEqual([strongMatch(w1, s1), weakMatch(w1, s1)], [false, true]);
  assert.deepEqual([strongMatch(s1, s1), weakMatch(s1, s1)], [true, true]);
});
