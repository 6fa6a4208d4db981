import assert from "node:assert/strict";
import { encodePath, encodeSegment } from "../../lib/files/encode_path.ts";
import { resolvePath } from "../../lib/files/resolve.ts";

Deno.test("encodeSegment: reserved and non-ASCII characters are encoded", () => {
  assert.equal(encodeSegment("plain-name_1.txt"), "plain-name_1.txt");
  assert.equal(encodeSegment("a b"), "a%20b");
  assert.equal(encodeSegment("%41"), "%2541");
  assert.equal(encodeSegment("a/b\\c"), "a%2Fb%5Cc");
  assert.equal(encodeSegment("?#[]@"), "%3F%23%5B%5D%40");
  assert.equal(encodeSegment("a:b"), "a%3Ab");
  assert.equal(encodeSegment("€"), "%E2%82%AC");
  assert.equal(encodeSegment("😀"), "%F0%9F%98%80");
  assert.equal(encodeSegment('<"&>'), "%3C%22%26%3E");
});

Deno.test("encodeSegment: a lone surrogate becomes U+FFFD instead of throwing", () => {
  assert.equal(encodeSegment("a\uD800b"), "a%EF%BF%BDb");
});

Deno.test("encodePath: slashes are kept, segments encoded", () => {
  assert.equal(encodePath("/"), "/");
  assert.equal(encodePath("/a b/c d/"), "/a%20b/c%20d/");
  assert.equal(encodePath("/€.txt"), "/%E2%82%AC.txt");
});

Deno.test("encodePath: inverts resolvePath", () => {
  const targets = [
    "/a%20b/c",
    "/%2541",
    "/x%3Fy%23z",
    "/%E2%82%AC/",
    "/a+b",
    "/1%252F2",
    "/%C3%A9",
  ];
  for (const target of targets) {
    const r = resolvePath(target);
    assert.equal(resolvePath(encodePath(r.path)).path, r.path, target);
  }
});
