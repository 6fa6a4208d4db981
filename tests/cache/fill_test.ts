import assert from "node:assert/strict";
import { Fill } from "../../lib/cache/fill.ts";
import { createEntry } from "../../lib/cache/entry.ts";
import { HeaderList } from "../../lib/http1/headers.ts";

function entry() {
  const h = new HeaderList();
  h.append("Cache-Control", "max-age=60");
  return createEntry({ headers: new HeaderList() }, { status: 200, reason: "OK", headers: h }, {
    requestTime: 0,
    responseTime: 0,
  });
}
const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("Fill: a shared fill streams to waiters and completes at the announced length", async () => {
  const f = new Fill(1024);
  let woke = 0;
  const waiting = f.changed(10_000).then(() => woke++);
  f.begin(entry(), 10);
  await waiting;
  assert.equal(woke, 1, "the verdict wakes waiters");
  assert.equal(f.verdict?.kind, "use");
  f.write(bytes("hello"));
  f.write(bytes("world"));
  assert.equal(f.received, 10);
  assert.equal(new TextDecoder().decode(f.body), "helloworld");
  assert.equal(f.finish(), true);
  assert.equal(f.state, "done");
});

Deno.test("Fill: a body shorter than announced fails (nothing stored)", () => {
  const f = new Fill(1024);
  f.begin(entry(), 10);
  f.write(bytes("short"));
  assert.equal(f.finish(), false);
  assert.equal(f.state, "failed");
});

Deno.test("Fill: a body over the object limit fails the fill", () => {
  const f = new Fill(8);
  f.begin(entry(), null);
  f.write(bytes("12345"));
  f.write(bytes("67890"));
  assert.equal(f.state, "failed");
});

Deno.test("Fill: an unknown length grows the copy", () => {
  const f = new Fill(1 << 20);
  f.begin(entry(), null);
  const chunk = new Uint8Array(10_000).fill(7);
  for (let i = 0; i < 5; i++) f.write(chunk);
  assert.equal(f.finish(), true);
  assert.equal(f.body.length, 50_000);
  assert.ok(f.body.every((b) => b === 7));
});

Deno.test("Fill: release sends waiters to the origin at once; an unshared fill still stores", async () => {
  const f = new Fill(1024);
  const t0 = performance.now();
  const w = f.changed(10_000);
  f.release();
  await w;
  assert.ok(performance.now() - t0 < 1000);
  assert.equal(f.verdict?.kind, "origin");
  assert.equal(f.state, "failed");

  const g = new Fill(1024);
  g.begin(entry(), 3, false);
  assert.equal(g.verdict?.kind, "origin", "waiters do not use a stale-on-arrival response");
  g.write(bytes("abc"));
  assert.equal(g.finish(), true, "it is still stored");
});

Deno.test("Fill: changed() resolves by its timeout when nothing happens", async () => {
  const f = new Fill(16);
  const t0 = performance.now();
  await f.changed(30);
  assert.ok(performance.now() - t0 >= 25);
  assert.equal(f.verdict, null);
});
