import assert from "node:assert/strict";
import {
  captureVary,
  normalizedValue,
  varyFields,
  varyId,
  varyMatches,
} from "../../lib/cache/vary.ts";
import { type Field, headers } from "./helpers.ts";

function matches(fields: string[], stored: Field[], presented: Field[]): boolean {
  return varyMatches(captureVary(fields, headers(...stored)), headers(...presented));
}

Deno.test("varyFields: lower-case, deduplicated, * wins, empty members dropped", () => {
  assert.deepEqual(varyFields(headers(["Vary", "Foo, BAR"], ["Vary", "foo"])), ["foo", "bar"]);
  assert.deepEqual(varyFields(headers(["Vary", ""])), []);
  assert.equal(varyFields(headers(["Vary", ""], ["Vary", "*"])), "*");
  assert.deepEqual(varyFields(headers()), []);
});

Deno.test("varyMatches: the vary tests", () => {
  const foo1: Field[] = [["Foo", "1"]];
  assert.equal(matches(["foo"], foo1, foo1), true, "vary-match");
  assert.equal(matches(["foo"], foo1, [["Foo", "2"]]), false, "vary-no-match");
  assert.equal(matches(["foo"], [], foo1), false, "vary-omit-stored");
  assert.equal(matches(["foo"], foo1, []), false, "vary-omit");
  assert.equal(
    matches(["foo"], [...foo1, ["Other", "2"]], [...foo1, ["Other", "3"]]),
    true,
    "vary-cache-key",
  );
  const two: Field[] = [["Foo", "1"], ["Bar", "abc"]];
  assert.equal(matches(["foo", "bar"], two, two), true, "vary-2-match");
  assert.equal(
    matches(["foo", "bar"], two, [["Foo", "2"], ["Bar", "abc"]]),
    false,
    "vary-2-no-match",
  );
  assert.equal(matches(["foo", "bar"], two, []), false, "vary-2-match-omit");
  const three: Field[] = [...two, ["Baz", "789"]];
  assert.equal(matches(["foo", "bar", "baz"], three, three), true, "vary-3-match");
  assert.equal(
    matches(["foo", "bar", "baz"], three, [["Foo", "1"], ["Baz", "789"], ["Bar", "abcde"]]),
    false,
    "vary-3-order",
  );
  const omit: Field[] = [["Foo", "1"], ["Baz", "789"]];
  assert.equal(matches(["foo", "bar", "baz"], omit, omit), true, "vary-3-omit");
  assert.equal(matches(["foo"], [["Foo", ""]], []), false, "empty is not absent");
  assert.equal(matches(["foo"], [["Foo", ""]], [["Foo", ""]]), true);
  assert.equal(matches([], foo1, []), true, "empty Vary matches anything");
});

Deno.test("normalizedValue: combining and whitespace (vary-normalise-*)", () => {
  const v = (fields: Field[], key = "foo") => normalizedValue(headers(...fields), key);
  assert.equal(v([["Foo", "1, 2"]]), v([["Foo", "1"], ["Foo", "2"]]), "vary-normalise-combine");
  assert.equal(v([["Foo", "1,2"]]), v([["Foo", " 1, 2 "]]), "vary-normalise-space");
  assert.equal(v([["Foo", "a  b"]]), "a b");
  assert.notEqual(v([["Foo", "1, 2"]]), v([["Foo", "2, 1"]]), "order kept for unknown fields");
  assert.notEqual(v([["Foo", "A"]]), v([["Foo", "a"]]), "case kept for unknown fields");
  const al = (s: string) => v([["Accept-Language", s]], "accept-language");
  assert.equal(al("en, de"), al("de, en"), "vary-normalise-lang-order");
  assert.equal(al("en, de"), al("eN, De"), "vary-normalise-lang-case");
  assert.equal(al("en, de"), al(" en ,   de"), "vary-normalise-lang-space");
  assert.notEqual(al("en, de"), al("fr;q=0.5, de;q=1.0"), "vary-normalise-lang-select is not done");
});

Deno.test("varyId: same fields and values in any order are one variant", () => {
  const a = captureVary(["foo", "bar"], headers(["Foo", "1"], ["Bar", "2"]));
  const b = captureVary(["bar", "foo"], headers(["Foo", "1"], ["Bar", "2"]));
  const c = captureVary(["foo", "bar"], headers(["Foo", "1"]));
  assert.equal(varyId(a), varyId(b));
  assert.notEqual(varyId(a), varyId(c));
  assert.equal(varyId(captureVary([], headers())), "");
});
