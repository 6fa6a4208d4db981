import assert from "node:assert/strict";
import { HttpCache } from "../../lib/cache/http_cache.ts";
import { createEntry } from "../../lib/cache/entry.ts";
import { HeaderList } from "../../lib/http1/headers.ts";

function entry(body: number, vary?: [string, string]) {
  const h = new HeaderList();
  h.append("Cache-Control", "max-age=60");
  if (vary) h.append("Vary", vary[0]);
  const req = new HeaderList();
  if (vary) req.append(vary[0], vary[1]);
  return createEntry({ headers: req }, { status: 200, reason: "OK", headers: h }, {
    requestTime: 0,
    responseTime: 0,
    body: new Uint8Array(body),
  });
}

const OPTS = { maxBytes: 40_000, maxObjectBytes: 20_000, maxStaleSeconds: 60, lockTimeoutMs: 10 };

Deno.test("HttpCache: a full collection once a quarter of its size has been evicted", () => {
  let gcs = 0;
  const cache = new HttpCache(OPTS, () => gcs++);
  // each entry is 9,800 body bytes + 512 overhead + its fields: about 10.4 KB
  for (let i = 0; i < 3; i++) cache.put(`http://a/${i}`, entry(9_800));
  assert.equal(gcs, 0, "nothing evicted yet");
  cache.put("http://a/3", entry(9_800)); // over 40,000: the oldest goes
  assert.equal(cache.store.count, 3);
  assert.ok(cache.store.released > 10_000);
  assert.equal(gcs, 1, "a quarter of 40,000 evicted: one collection");
  cache.put("http://a/4", entry(1_000)); // fits without eviction
  assert.equal(gcs, 1);
  cache.invalidate(["http://a/4"]); // 1.6 KB more released: still under a quarter since
  assert.equal(gcs, 1, "not yet another quarter since");
});

Deno.test("HttpCache: without gc (no --expose-gc) eviction just drops entries", () => {
  const cache = new HttpCache(OPTS, null);
  for (let i = 0; i < 10; i++) cache.put(`http://a/${i}`, entry(9_000));
  assert.ok(cache.store.bytes <= OPTS.maxBytes);
});

Deno.test("HttpCache: lookup picks the variant the request's fields select", () => {
  const cache = new HttpCache(OPTS, null);
  const gz = entry(10, ["Accept-Encoding", "gzip"]);
  const br = entry(20, ["Accept-Encoding", "br"]);
  cache.put("http://a/x", gz);
  cache.put("http://a/x", br);
  const req = (v: string) => {
    const h = new HeaderList();
    h.append("Accept-Encoding", v);
    return h;
  };
  assert.equal(cache.lookup("http://a/x", req("gzip")), gz);
  assert.equal(cache.lookup("http://a/x", req("br")), br);
  assert.equal(cache.lookup("http://a/x", req("identity")), null);
  assert.equal(cache.has("http://a/x"), true);
});

Deno.test("HttpCache: a fill is findable until it ends; a completed one is stored", () => {
  const cache = new HttpCache(OPTS, null);
  const f = cache.startFill("http://a/f");
  assert.equal(cache.fillFor("http://a/f"), f);
  cache.endFill("http://a/f", f, entry(5));
  assert.equal(cache.fillFor("http://a/f"), undefined);
  assert.equal(cache.store.count, 1);
});
