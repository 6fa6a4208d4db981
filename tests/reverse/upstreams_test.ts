import assert from "node:assert/strict";
import { UpstreamSet } from "../../lib/reverse/upstreams.ts";

const A = "10.0.0.1:8000";
const B = "10.0.0.2:8000";
const C = "[::1]:8000";

function picks(set: UpstreamSet, now: number, n: number): (string | null)[] {
  return Array.from({ length: n }, () => set.pick(now));
}

Deno.test("UpstreamSet: round-robin in configured order", () => {
  const set = new UpstreamSet([A, B, C], 10_000);
  assert.equal(set.size, 3);
  assert.deepEqual(set.upstreams, [A, B, C]);
  assert.deepEqual(picks(set, 0, 7), [A, B, C, A, B, C, A]);
  assert.equal(new UpstreamSet([], 1).pick(0), null);
});

Deno.test("UpstreamSet: a server marked down is skipped for downMs, then back in turn", () => {
  const set = new UpstreamSet([A, B, C], 10_000);
  set.markDown(B, 1000);
  assert.equal(set.isDown(B, 1000), true);
  assert.deepEqual(picks(set, 1000, 4), [A, C, A, C]);
  assert.deepEqual(picks(set, 10_999, 2), [A, C]);
  assert.equal(set.isDown(B, 11_000), false);
  assert.deepEqual(picks(set, 11_000, 3), [A, B, C]);
  assert.deepEqual(set.states(11_000).map((s) => s.downForMs), [0, 0, 0]);
});

Deno.test("UpstreamSet: markUp clears the mark; a second markDown never shortens it", () => {
  const set = new UpstreamSet([A, B], 10_000);
  set.markDown(A, 0);
  set.markDown(A, 5000);
  assert.deepEqual(set.states(6000), [{ upstream: A, downForMs: 9000 }, {
    upstream: B,
    downForMs: 0,
  }]);
  set.markDown(A, 1000); // an older failure reported late
  assert.equal(set.isDown(A, 14_999), true);
  set.markUp(A);
  assert.equal(set.isDown(A, 6000), false);
  set.markDown("unknown:1", 0); // ignored
  set.markUp("unknown:1");
  assert.equal(set.isDown("unknown:1", 0), false);
});

Deno.test("UpstreamSet: every server down is null (the caller answers 502) until a mark expires", () => {
  const set = new UpstreamSet([A, B], 10_000);
  set.markDown(A, 0);
  set.markDown(B, 4000);
  assert.equal(set.pick(0), null);
  assert.equal(set.pick(9999), null);
  assert.equal(set.pick(10_000), A);
  assert.equal(set.pick(10_000), A);
  assert.equal(set.pick(14_000), B);
});

Deno.test("UpstreamSet: a request tries each server at most once", () => {
  const set = new UpstreamSet([A, B, C], 10_000);
  const tried = new Set<string>();
  const order: string[] = [];
  for (let u = set.pick(0, tried); u !== null; u = set.pick(0, tried)) {
    tried.add(u);
    order.push(u);
    set.markDown(u, 0); // every one refuses
  }
  assert.deepEqual(order, [A, B, C]);
  // the next request finds them all down
  assert.equal(set.pick(1), null);
  // a request that failed on A while B was fine goes to B, then has nothing left
  const two = new UpstreamSet([A, B], 10_000);
  const t = new Set([two.pick(0)!]);
  assert.equal(two.pick(0, t), B);
  t.add(B);
  assert.equal(two.pick(0, t), null);
});

Deno.test("UpstreamSet: a lone server is never marked down; downMs 0 never skips", () => {
  const one = new UpstreamSet([A], 10_000);
  one.markDown(A, 0);
  assert.equal(one.isDown(A, 1), false);
  assert.equal(one.pick(1), A);
  assert.equal(one.pick(1, new Set([A])), null);
  const zero = new UpstreamSet([A, B], 0);
  zero.markDown(A, 5);
  assert.equal(zero.isDown(A, 5), false);
  assert.deepEqual(picks(zero, 5, 2), [A, B]);
});

Deno.test("UpstreamSet: reconfigure keeps the marks of servers still configured", () => {
  const set = new UpstreamSet([A, B], 10_000);
  set.markDown(B, 0);
  const next = set.reconfigure([C, B, A], 20_000);
  assert.deepEqual(next.upstreams, [C, B, A]);
  assert.equal(next.isDown(B, 5000), true);
  assert.equal(next.isDown(A, 5000), false);
  next.markDown(A, 0);
  assert.equal(next.isDown(A, 19_999), true); // the new downMs
  // down to one server: it is not kept down
  assert.equal(set.reconfigure([B], 10_000).isDown(B, 1), false);
  assert.equal(set.reconfigure([], 10_000).pick(0), null);
});
