/**
 * The failed-login limit (lib/policy/login_limiter.ts) on an injected clock:
 * counting, the sliding window, Retry-After, reset on success, running
 * verifications, the bounded table and the once-per-window warning.
 *
 * @module
 */

import assert from "node:assert/strict";
import { LoginLimiter, type LoginLimiterOptions } from "../../lib/policy/login_limiter.ts";

function setup(options: LoginLimiterOptions = {}) {
  const clock = { now: 1_000_000 };
  const warnings: string[] = [];
  const limiter = new LoginLimiter({
    now: () => clock.now,
    warn: (m) => warnings.push(m),
    ...options,
  });
  /** One failed verification, as ProxyAuth frames it. */
  const fail = (ip: string, l: LoginLimiter = limiter) => {
    assert.equal(l.refusal(ip), 0, `${ip} may still try`);
    l.begin(ip);
    l.settle(ip, false);
  };
  return { clock, warnings, limiter, fail };
}

Deno.test("LoginLimiter: 5 failures in the window are allowed, the 6th attempt is refused", () => {
  const { limiter, fail } = setup();
  for (let i = 0; i < 5; i++) fail("10.1.2.3");
  assert.equal(limiter.refusal("10.1.2.3"), 60);
  assert.equal(limiter.refusal("10.9.9.9"), 0, "other clients are not affected");
});

Deno.test("LoginLimiter: Retry-After is the time until the oldest failure leaves the window", () => {
  const { clock, limiter, fail } = setup({ maxFailures: 3, windowMs: 10_000 });
  fail("10.1.2.3"); // t = 0
  clock.now += 2_500;
  fail("10.1.2.3"); // t = 2.5 s
  fail("10.1.2.3");
  assert.equal(limiter.refusal("10.1.2.3"), 8, "7.5 s rounded up");
  clock.now += 7_000; // t = 9.5 s
  assert.equal(limiter.refusal("10.1.2.3"), 1);
  clock.now += 500; // t = 10 s: the first failure left the window
  assert.equal(limiter.refusal("10.1.2.3"), 0);
  fail("10.1.2.3");
  assert.equal(limiter.refusal("10.1.2.3"), 3, "next the failure at 2.5 s leaves, at 12.5 s");
});

Deno.test("LoginLimiter: failures older than the window stop counting", () => {
  const { clock, limiter, fail } = setup({ maxFailures: 2, windowMs: 1_000 });
  fail("10.1.2.3");
  clock.now += 999;
  fail("10.1.2.3");
  assert.equal(limiter.refusal("10.1.2.3"), 1);
  clock.now += 1_000;
  assert.equal(limiter.refusal("10.1.2.3"), 0);
  assert.equal(limiter.size, 1, "the entry stays until it is touched again or pruned");
  limiter.begin("10.1.2.3");
  limiter.settle("10.1.2.3", true);
  assert.equal(limiter.size, 0);
});

Deno.test("LoginLimiter: a success forgets the client's failures", () => {
  const { limiter, fail } = setup({ maxFailures: 3 });
  fail("10.1.2.3");
  fail("10.1.2.3");
  limiter.begin("10.1.2.3");
  limiter.settle("10.1.2.3", true);
  assert.equal(limiter.size, 0);
  for (let i = 0; i < 3; i++) fail("10.1.2.3");
  assert.ok(limiter.refusal("10.1.2.3") > 0);
});

Deno.test("LoginLimiter: running verifications count, so parallel guesses get no more", () => {
  const { limiter } = setup({ maxFailures: 3 });
  for (let i = 0; i < 3; i++) {
    assert.equal(limiter.refusal("10.1.2.3"), 0);
    limiter.begin("10.1.2.3");
  }
  assert.equal(limiter.refusal("10.1.2.3"), 1, "wait for the running ones");
  limiter.settle("10.1.2.3", false);
  limiter.settle("10.1.2.3", null); // the check broke: no outcome, the slot is free
  assert.equal(limiter.refusal("10.1.2.3"), 0);
  limiter.settle("10.1.2.3", false);
  limiter.begin("10.1.2.3");
  limiter.settle("10.1.2.3", false);
  assert.equal(limiter.refusal("10.1.2.3"), 60);
});

Deno.test("LoginLimiter: an IPv4-mapped IPv6 address counts as the IPv4 address", () => {
  const { limiter, fail } = setup({ maxFailures: 2 });
  fail("::ffff:10.1.2.3");
  fail("10.1.2.3");
  assert.ok(limiter.refusal("10.1.2.3") > 0);
  assert.ok(limiter.refusal("::FFFF:10.1.2.3") > 0);
  assert.equal(limiter.size, 1);
});

Deno.test("LoginLimiter: maxFailures 0 or windowMs 0 turns the limit off and keeps no table", () => {
  for (const off of [{ maxFailures: 0 }, { windowMs: 0 }]) {
    const { limiter } = setup(off);
    assert.equal(limiter.enabled, false);
    for (let i = 0; i < 20; i++) {
      assert.equal(limiter.refusal("10.1.2.3"), 0);
      limiter.begin("10.1.2.3");
      limiter.settle("10.1.2.3", false);
    }
    assert.equal(limiter.size, 0);
  }
});

Deno.test("LoginLimiter: the table is bounded; expired entries go first, then the least recent", () => {
  const { clock, limiter, fail } = setup({ maxFailures: 2, windowMs: 1_000, maxClients: 3 });
  fail("10.0.0.1");
  fail("10.0.0.2");
  clock.now += 2_000; // both expired
  fail("10.0.0.3");
  fail("10.0.0.3");
  assert.equal(limiter.size, 3);
  fail("10.0.0.4"); // room is made by dropping the two expired entries
  assert.equal(limiter.size, 2);
  assert.ok(limiter.refusal("10.0.0.3") > 0, "the live entry stays");
  fail("10.0.0.5");
  fail("10.0.0.6"); // full of live entries: the least recently seen (10.0.0.3) goes
  assert.equal(limiter.size, 3);
  assert.equal(limiter.refusal("10.0.0.3"), 0);
  // a spray of addresses never grows the table past the bound
  for (let i = 0; i < 1000; i++) fail(`192.0.2.${i % 250}`);
  assert.equal(limiter.size, 3);
});

Deno.test("LoginLimiter: the default bound is 10,000 clients", () => {
  const { limiter, fail } = setup();
  for (let i = 0; i < 10_050; i++) fail(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  assert.equal(limiter.size, 10_000);
});

Deno.test("LoginLimiter: one warning per client and window, not one per refusal", () => {
  const { clock, warnings, limiter, fail } = setup({ maxFailures: 5, windowMs: 60_000 });
  const t0 = clock.now;
  for (let i = 0; i < 5; i++) {
    fail("10.1.2.3"); // at 0, 1, 2, 3, 4 s
    clock.now += 1_000;
  }
  for (let i = 0; i < 50; i++) assert.equal(limiter.refusal("10.1.2.3"), 55);
  assert.deepEqual(warnings, [
    "Too many failed proxy logins from 10.1.2.3: 5 in 60 s; refusing further attempts for 55 s",
  ]);
  for (let i = 0; i < 5; i++) fail("10.4.5.6");
  limiter.refusal("::ffff:10.4.5.6");
  limiter.refusal("10.4.5.6");
  assert.equal(warnings.length, 2, "another client gets its own warning");
  assert.match(warnings[1], /from 10\.4\.5\.6: /);
  clock.now = t0 + 60_000; // the failure at 0 s left: one more try, refused again after it
  fail("10.1.2.3");
  assert.equal(limiter.refusal("10.1.2.3"), 1);
  assert.equal(warnings.length, 2, "still within the window of the first warning (until 65 s)");
  clock.now = t0 + 65_000; // only the failure at 60 s is left
  for (let i = 0; i < 4; i++) fail("10.1.2.3");
  assert.equal(limiter.refusal("10.1.2.3"), 55);
  assert.equal(warnings.length, 3, "a new window, a new warning");
  assert.match(warnings[2], /from 10\.1\.2\.3: 5 in 60 s; refusing further attempts for 55 s$/);
});

Deno.test("LoginLimiter: no warning while only running verifications hold the client back", () => {
  const { warnings, limiter } = setup({ maxFailures: 2 });
  limiter.begin("10.1.2.3");
  limiter.begin("10.1.2.3");
  assert.equal(limiter.refusal("10.1.2.3"), 1);
  assert.deepEqual(warnings, []);
});

Deno.test("LoginLimiter.withLimits: new limits over the same table (a reload keeps the counts)", () => {
  const { limiter, fail } = setup({ maxFailures: 5 });
  for (let i = 0; i < 3; i++) fail("10.1.2.3");
  const reloaded = limiter.withLimits(3, 60_000);
  assert.equal(reloaded.refusal("10.1.2.3"), 60, "the three earlier failures count");
  assert.equal(limiter.refusal("10.1.2.3"), 0, "the old limits are unchanged");
  assert.equal(limiter.size, 1);
  assert.equal(limiter.withLimits(0, 60_000).refusal("10.1.2.3"), 0);
});
