import assert from "node:assert/strict";
import { ViewCache } from "../lib/view_cache.ts";

Deno.test("ViewCache: the last two ranges of an array come back as the same views", () => {
  const a = new Uint8Array(32).map((_, i) => i);
  const b = new Uint8Array(32);
  const v = new ViewCache();
  const x = v.get(a, 0, 4);
  const y = v.get(a, 4, 10);
  assert.equal(v.get(a, 0, 4), x);
  assert.equal(v.get(a, 4, 10), y);
  assert.deepEqual([...y], [4, 5, 6, 7, 8, 9]);
  assert.notEqual(v.get(b, 0, 4), x, "same range of another array: a view of that one");
  assert.equal(v.get(b, 0, 4).buffer, b.buffer);
  assert.equal(v.get(a, 4, 10), y, "still one of the last two");
  v.get(b, 8, 12);
  v.get(b, 12, 16);
  assert.notEqual(v.get(a, 4, 10), y, "pushed out by two newer ranges");
  v.clear();
  const z = v.get(a, 0, 4);
  assert.notEqual(z, x);
  assert.deepEqual([...z], [0, 1, 2, 3]);
});
