import assert from "node:assert/strict";
import { MemoryReclaimer, ReclaimPlanner } from "../lib/memory_reclaimer.ts";
import { Timers } from "../lib/timers.ts";

const OPTS = { quietMs: 3000, passes: 3, minGrowth: 100 };

Deno.test("ReclaimPlanner: nothing while traffic flows, however large the footprint", () => {
  const p = new ReclaimPlanner(OPTS);
  assert.equal(p.sample(0, 0, 1000), false);
  for (let t = 1000, a = 1; t < 60_000; t += 1000, a++) {
    assert.equal(p.sample(t, a, 10_000_000), false, `at ${t} ms`);
  }
});

Deno.test("ReclaimPlanner: after a quiet spell above the floor, `passes` collections in a row, then none", () => {
  const p = new ReclaimPlanner(OPTS);
  p.sample(0, 0, 1000); // the floor
  p.sample(1000, 50, 5000); // traffic
  assert.equal(p.sample(2000, 50, 5000), false, "quiet 1 s");
  assert.equal(p.sample(3000, 50, 5000), false, "quiet 2 s");
  assert.equal(p.sample(4000, 50, 5000), true, "quiet 3 s: first pass");
  p.collected(4000);
  assert.equal(p.sample(5000, 50, 4000), true, "second pass");
  p.collected(2000);
  assert.equal(p.sample(6000, 50, 2000), true, "third pass");
  p.collected(1500);
  for (let t = 7000; t < 30_000; t += 1000) {
    assert.equal(p.sample(t, 50, 1500), false, "one reclaim per quiet spell");
  }
  assert.equal(p.floor, 1000, "the smallest figure stays the floor");
});

Deno.test("ReclaimPlanner: growth below minGrowth is not worth a collection", () => {
  const p = new ReclaimPlanner(OPTS);
  p.sample(0, 0, 1000);
  p.sample(1000, 1, 1099);
  assert.equal(p.sample(5000, 1, 1099), false);
  // the next quiet spell, with more growth, is
  p.sample(6000, 2, 1100);
  assert.equal(p.sample(9000, 2, 1100), true);
});

Deno.test("ReclaimPlanner: traffic coming back stops a reclaim under way", () => {
  const p = new ReclaimPlanner(OPTS);
  p.sample(0, 0, 0);
  p.sample(1000, 9, 5000);
  assert.equal(p.sample(4000, 9, 5000), true);
  assert.equal(p.sample(5000, 10, 5000), false, "a new exchange");
  assert.equal(p.sample(6000, 10, 5000), false, "quiet 1 s only");
  assert.equal(p.sample(8000, 10, 5000), true, "a new quiet spell: a new reclaim");
});

Deno.test("MemoryReclaimer: samples on the timer walker and calls gc once the loop is quiet", () => {
  let now = 0;
  let activity = 0;
  let calls = 0;
  const timers = new Timers(250, () => now);
  const r = new MemoryReclaimer(
    timers,
    () => activity,
    { quietMs: 2000, passes: 2, minGrowth: 0 },
    () => calls++,
  );
  assert.equal(r.enabled, true);
  r.start();
  for (; now <= 10_000; now += 250) {
    if (now < 3000) activity++; // traffic for 3 s
    timers.tick(now);
  }
  assert.equal(calls, 2, "two passes after 2 s of quiet");
  assert.equal(r.collections, 2);
  r.stop();
  assert.equal(timers.size, 0);
});

Deno.test("MemoryReclaimer: without gc (no --expose-gc) it never arms", () => {
  const timers = new Timers(250, () => 0);
  const r = new MemoryReclaimer(timers, () => 0, undefined, null);
  assert.equal(r.enabled, false);
  r.start();
  assert.equal(timers.size, 0);
});

Deno.test("MemoryReclaimer: the floor is the footprint at start, not at the first tick under load", () => {
  let now = 0;
  let activity = 0;
  let rss = 100;
  let calls = 0;
  const timers = new Timers(250, () => now);
  const r = new MemoryReclaimer(
    timers,
    () => activity,
    { quietMs: 2000, passes: 1, minGrowth: 40 },
    () => calls++,
    () => rss,
  );
  r.start(); // 100: the floor
  rss = 150; // a burst arrives before the first tick
  for (; now <= 6000; now += 250) {
    if (now < 2000) activity++;
    timers.tick(now);
  }
  assert.equal(calls, 1, "150 is 50 above the floor of 100 (a first tick's 150 would be 0 above)");
  r.stop();
});
