import assert from "node:assert/strict";
import { CacheStore, ENTRY_OVERHEAD, entrySize } from "../../lib/cache/store.ts";
import type { StoredResponse } from "../../lib/cache/entry.ts";
import { entry } from "./helpers.ts";

/** An entry of exactly `bytes` bytes (as entrySize counts), varying on Foo = `foo`. */
function sized(bytes: number, foo?: string): StoredResponse {
  const base = entry([["Vary", "Foo"]], {
    req: foo === undefined ? [] : [["Foo", foo]],
    bodyLength: 0,
  });
  const e = { ...base, bodyLength: bytes - entrySize(base) };
  assert.equal(entrySize(e), bytes);
  return e;
}

Deno.test("entrySize: body, header lines and the overhead", () => {
  const e = entry([["Date", "Thu, 01 Jan 1970 00:00:00 GMT"]], { bodyLength: 100 });
  assert.equal(entrySize(e), 100 + ENTRY_OVERHEAD + "OK".length + "Date".length + 29 + 4);
});

Deno.test("CacheStore: put, get, delete, counters", () => {
  const s = new CacheStore(10_000, 5_000);
  const a = sized(1000, "1");
  const b = sized(1000, "2");
  assert.equal(s.put("k", a), true);
  assert.equal(s.put("k", b), true);
  assert.deepEqual(s.get("k"), [b, a], "newest first");
  assert.equal(s.size, 1);
  assert.equal(s.count, 2);
  assert.equal(s.bytes, 2000);
  assert.deepEqual(s.get("none"), []);
  assert.equal(s.delete("k"), 2);
  assert.equal(s.delete("k"), 0);
  assert.equal(s.size, 0);
  assert.equal(s.count, 0);
  assert.equal(s.bytes, 0);
});

Deno.test("CacheStore: a variant with the same Vary values replaces the old one (vary-invalidate keeps both)", () => {
  const s = new CacheStore(10_000, 5_000);
  const a1 = sized(1000, "1");
  const b = sized(1200, "2");
  const a2 = sized(800, "1");
  s.put("k", a1);
  s.put("k", b);
  s.put("k", a2);
  assert.deepEqual(s.get("k"), [a2, b]);
  assert.equal(s.bytes, 2000);
  assert.equal(s.count, 2);
});

Deno.test("CacheStore: LRU eviction by bytes across keys and variants", () => {
  const s = new CacheStore(3000, 3000);
  const a = sized(1000);
  const b = sized(1000);
  const c = sized(1000);
  s.put("a", a);
  s.put("b", b);
  s.put("c", c);
  s.get("a"); // a is now the most recent; b the least
  const d = sized(1500);
  assert.equal(s.put("d", d), true);
  assert.deepEqual(s.get("b"), [], "b evicted first");
  assert.deepEqual(s.get("c"), [], "c evicted next (1500 more needed)");
  assert.deepEqual(s.get("a"), [a]);
  assert.deepEqual(s.get("d"), [d]);
  assert.equal(s.bytes, 2500);
  assert.ok(s.bytes <= s.maxBytes);
});

Deno.test("CacheStore: refuses objects over maxObjectBytes or maxBytes; 0 disables", () => {
  const s = new CacheStore(3000, 2000);
  assert.equal(s.put("k", sized(2001)), false);
  assert.equal(s.size, 0);
  const t = new CacheStore(1000, 5000);
  assert.equal(t.put("k", sized(1001)), false);
  assert.equal(t.put("k", sized(1000)), true);
  const off = new CacheStore(0, 5000);
  assert.equal(off.put("k", sized(600)), false);
  assert.equal(off.count, 0);
});

Deno.test("CacheStore: a refused replacement still removes the outdated variant", () => {
  const s = new CacheStore(3000, 2000);
  s.put("k", sized(1000, "1"));
  assert.equal(s.put("k", sized(2500, "1")), false);
  assert.deepEqual(s.get("k"), []);
  assert.equal(s.size, 0);
  assert.equal(s.bytes, 0);
});

Deno.test("CacheStore: deleteVariant and clear", () => {
  const s = new CacheStore(10_000, 5_000);
  const a = sized(1000, "1");
  const b = sized(1000, "2");
  s.put("k", a);
  s.put("k", b);
  assert.equal(s.deleteVariant("k", a), true);
  assert.equal(s.deleteVariant("k", a), false);
  assert.deepEqual(s.get("k"), [b]);
  s.clear();
  assert.equal(s.count, 0);
  assert.equal(s.bytes, 0);
  assert.deepEqual(s.get("k"), []);
});

Deno.test("CacheStore: the bound holds under many random puts", () => {
  const s = new CacheStore(50_000, 10_000);
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 2000; i++) {
    const key = `k${Math.floor(rnd() * 50)}`;
    s.put(key, sized(1000 + Math.floor(rnd() * 9000), String(Math.floor(rnd() * 3))));
    assert.ok(s.bytes <= 50_000);
  }
  let total = 0;
  let count = 0;
  for (let i = 0; i < 50; i++) {
    for (const e of s.get(`k${i}`)) {
      total += entrySize(e);
      count++;
    }
  }
  assert.equal(total, s.bytes);
  assert.equal(count, s.count);
});
