/**
 * Proxy authentication with the failed-login limit: ProxyAuth.check and
 * Policy.authenticate with a LoginLimiter, bcrypt calls counted through the
 * injected verify.
 *
 * @module
 */

import assert from "node:assert/strict";
import { AuthRequiredError, RateLimitedError } from "../../lib/errors.ts";
import { HeaderList } from "../../lib/http1/headers.ts";
import { type AuthResult, hashPassword, ProxyAuth, verifyPassword } from "../../lib/policy/auth.ts";
import { LoginLimiter } from "../../lib/policy/login_limiter.ts";
import { Policy } from "../../lib/policy/policy.ts";

const CAROL_HASH = await hashPassword("carol-pw", 4);
const DAVE_HASH = await hashPassword("dave-pw", 4);
const USERS = new Map([["carol", CAROL_HASH], ["dave", DAVE_HASH]]);
const IP = "10.1.2.3";

function basic(userPass: string): string {
  return "Basic " + btoa(userPass);
}

/** A ProxyAuth with a limiter (5 per minute on a fixed clock) and its counted bcrypt calls. */
function setup(maxFailures = 5) {
  const clock = { now: 1_000_000 };
  const warnings: string[] = [];
  const limiter = new LoginLimiter({
    maxFailures,
    windowMs: 60_000,
    now: () => clock.now,
    warn: (m) => warnings.push(m),
  });
  const calls: string[] = [];
  const verify = (password: string, hash: string) => {
    calls.push(password);
    return verifyPassword(password, hash);
  };
  const auth = new ProxyAuth(USERS, "sluice", { verify, limiter, now: () => clock.now });
  return { clock, warnings, limiter, calls, auth };
}

/** The reason of a refusal, or "ok". */
const reasonOf = (r: AuthResult) => r.ok ? "ok" : r.reason;

const LIMITED = (retryAfter: number, user: string) => ({
  ok: false,
  reason: "auth-rate-limited",
  retryAfter,
  user,
});

Deno.test("ProxyAuth + limiter: after 5 failed verifications the client gets no 6th bcrypt", async () => {
  const { auth, calls, warnings } = setup();
  for (let i = 0; i < 5; i++) {
    assert.equal(reasonOf(await auth.check(basic(`carol:guess${i}`), IP)), "auth-failed");
  }
  assert.equal(calls.length, 5);
  for (let i = 0; i < 20; i++) {
    assert.deepEqual(await auth.check(basic(`carol:more${i}`), IP), LIMITED(60, "carol"));
  }
  // the right password is a new verification too: refused while limited
  assert.deepEqual(await auth.check(basic("carol:carol-pw"), IP), LIMITED(60, "carol"));
  assert.equal(calls.length, 5, "no bcrypt while limited");
  assert.equal(warnings.length, 1);
  // another address is not affected
  assert.deepEqual(await auth.check(basic("carol:carol-pw"), "10.9.9.9"), {
    ok: true,
    user: "carol",
  });
  // no credentials, or malformed ones, cost nothing and keep their own answers
  assert.deepEqual(await auth.check(undefined, IP), { ok: false, reason: "auth-required" });
  assert.deepEqual(await auth.check("Basic !!!", IP), { ok: false, reason: "auth-failed" });
});

Deno.test("ProxyAuth + limiter: a remembered login still passes while its client is limited", async () => {
  const { auth, calls } = setup();
  assert.equal((await auth.check(basic("carol:carol-pw"), IP)).ok, true);
  for (let i = 0; i < 5; i++) await auth.check(basic(`dave:guess${i}`), IP);
  assert.equal(calls.length, 6);
  assert.deepEqual(await auth.check(basic("carol:carol-pw"), IP), { ok: true, user: "carol" });
  assert.deepEqual(await auth.check(basic("dave:dave-pw"), IP), LIMITED(60, "dave"));
  assert.equal(calls.length, 6);
});

Deno.test("ProxyAuth + limiter: the window frees the client again", async () => {
  const { auth, calls, clock } = setup();
  for (let i = 0; i < 5; i++) await auth.check(basic(`carol:guess${i}`), IP);
  clock.now += 59_000;
  assert.deepEqual(await auth.check(basic("carol:carol-pw"), IP), LIMITED(1, "carol"));
  clock.now += 1_000;
  assert.deepEqual(await auth.check(basic("carol:carol-pw"), IP), { ok: true, user: "carol" });
  assert.equal(calls.length, 6);
});

Deno.test("ProxyAuth + limiter: a success resets the client's failures", async () => {
  const { auth, calls } = setup();
  for (let i = 0; i < 4; i++) await auth.check(basic(`carol:guess${i}`), IP);
  assert.equal((await auth.check(basic("dave:dave-pw"), IP)).ok, true);
  for (let i = 0; i < 4; i++) {
    assert.equal(reasonOf(await auth.check(basic(`carol:again${i}`), IP)), "auth-failed");
  }
  assert.equal(calls.length, 9);
});

/** A verify whose answers the test releases by hand. */
function gated() {
  const calls: { password: string; release: (ok: boolean) => void }[] = [];
  const verify = (password: string) => {
    const { promise, resolve } = Promise.withResolvers<boolean>();
    calls.push({ password, release: resolve });
    return promise;
  };
  return { calls, verify };
}

Deno.test("ProxyAuth + limiter: parallel guesses get at most maxFailures verifications", async () => {
  const g = gated();
  const limiter = new LoginLimiter({ maxFailures: 5, warn: () => {} });
  const auth = new ProxyAuth(USERS, "sluice", { verify: g.verify, limiter });
  const checks = Array.from({ length: 12 }, (_, i) => auth.check(basic(`carol:g${i}`), IP));
  assert.equal(g.calls.length, 5, "the other 7 are refused at once");
  // joining a verification already running is refused too while limited
  assert.deepEqual(await auth.check(basic("carol:g0"), IP), LIMITED(1, "carol"));
  for (const c of g.calls) c.release(false);
  const results = await Promise.all(checks);
  assert.deepEqual(results.map(reasonOf), [
    ...Array(5).fill("auth-failed"),
    ...Array(7).fill("auth-rate-limited"),
  ]);
  assert.deepEqual(await auth.check(basic("carol:late"), IP), LIMITED(60, "carol"));
  assert.equal(g.calls.length, 5);
});

Deno.test("ProxyAuth + limiter: a verifier error frees the slot and counts as no failure", async () => {
  let broken = true;
  const limiter = new LoginLimiter({ maxFailures: 1, warn: () => {} });
  const auth = new ProxyAuth(USERS, "sluice", {
    limiter,
    verify: (p, h) => broken ? Promise.reject(new Error("boom")) : verifyPassword(p, h),
  });
  await assert.rejects(auth.check(basic("carol:carol-pw"), IP), /boom/);
  broken = false;
  assert.deepEqual(await auth.check(basic("carol:carol-pw"), IP), { ok: true, user: "carol" });
  assert.equal(limiter.size, 0);
});

Deno.test("ProxyAuth without a limiter (the default) verifies every attempt", async () => {
  let calls = 0;
  const auth = new ProxyAuth(USERS, "sluice", {
    verify: () => (calls++, Promise.resolve(false)),
  });
  for (let i = 0; i < 20; i++) await auth.check(basic(`carol:g${i}`), IP);
  assert.equal(calls, 20);
});

function headers(value?: string): HeaderList {
  const h = new HeaderList();
  if (value !== undefined) h.append("Proxy-Authorization", value);
  return h;
}

Deno.test("Policy.authenticate: a limited client gets 429 with Retry-After and no bcrypt", async () => {
  const { auth, calls } = setup(3);
  const policy = new Policy(
    { clientRules: [], hostRules: [], denyPrivate: false, viaName: "sluice" },
    auth,
  );
  assert.equal(await policy.authenticate(headers(basic("carol:carol-pw")), IP), "carol");
  for (let i = 0; i < 3; i++) {
    const e = await policy.authenticate(headers(basic(`dave:g${i}`)), `::ffff:${IP}`)
      .catch((e) => e);
    assert.ok(e instanceof AuthRequiredError);
    assert.equal(e.reason, "auth-failed");
  }
  const e = await policy.authenticate(headers(basic("dave:dave-pw")), `::ffff:${IP}`)
    .catch((e) => e);
  assert.ok(e instanceof RateLimitedError, String(e));
  assert.equal(e.status, 429);
  assert.equal(e.reason, "auth-rate-limited");
  assert.equal(e.retryAfter, 60);
  assert.equal(
    e.message,
    "Too many failed proxy logins from 10.1.2.3; try again in 60 s " +
      "(the operator sets the limit with --auth-max-failures)",
  );
  assert.equal(calls.length, 4, "one good login and three guesses");
  // the remembered login of the same address still gets through
  assert.equal(await policy.authenticate(headers(basic("carol:carol-pw")), IP), "carol");
  // no credentials: still the 407 that asks for them
  const required = await policy.authenticate(headers(), IP).catch((e) => e);
  assert.ok(required instanceof AuthRequiredError);
  assert.equal(required.reason, "auth-required");
  assert.equal(calls.length, 4);
});
