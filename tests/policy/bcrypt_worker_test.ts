/**
 * bcrypt checks in a worker thread (lib/policy/bcrypt_worker.ts): right
 * answers, many at once, the event loop free meanwhile, the worker stopped
 * when idle or closed, and the in-loop fallback when no worker can run.
 *
 * @module
 */

import assert from "node:assert/strict";
import { hashPassword, verifyPassword } from "../../lib/policy/auth.ts";
import { BcryptWorker, type BcryptWorkerOptions } from "../../lib/policy/bcrypt_worker.ts";

// htpasswd -nbB -C 4 alice 'correct horse'
const ALICE = "$2y$04$bpu4oPcA9yZSIowGd8NhMu.lJwpuamnzi.UALgTewmbBf/04/HQ.q";

/** Runs `fn` with a verifier that is closed afterwards, and its warnings. */
async function withVerifier(
  fn: (v: BcryptWorker, warnings: string[]) => Promise<void>,
  options: BcryptWorkerOptions = {},
): Promise<void> {
  const warnings: string[] = [];
  const v = new BcryptWorker({ warn: (m) => warnings.push(m), ...options });
  try {
    await fn(v, warnings);
  } finally {
    v.close();
  }
}

/** A worker whose module throws as it loads. */
function brokenWorker(): Worker {
  const code = 'throw new Error("sluice-broken-worker");\n';
  const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
  try {
    return new Worker(url, { type: "module" });
  } finally {
    URL.revokeObjectURL(url);
  }
}

Deno.test("BcryptWorker: right and wrong passwords on a cost-4 hash, in a worker", async () => {
  await withVerifier(async (v, warnings) => {
    assert.equal(v.running, false, "no worker before the first check");
    assert.equal(await v.verify("correct horse", ALICE), true);
    assert.equal(v.running, true);
    assert.equal(await v.verify("wrong horse", ALICE), false);
    assert.equal(await v.verify("pässwörd", await hashPassword("pässwörd", 4)), true);
    assert.equal(v.inLoop, false);
    assert.deepEqual(warnings, []);
  });
});

Deno.test("BcryptWorker: a hash that is not bcrypt is false without starting a worker", async () => {
  await withVerifier(async (v) => {
    assert.equal(await v.verify("secret", "secret"), false);
    assert.equal(await v.verify("x", "$2x$" + ALICE.slice(4)), false);
    assert.equal(v.running, false);
  });
});

Deno.test("BcryptWorker: concurrent checks each get their own answer", async () => {
  await withVerifier(async (v) => {
    const bob = await hashPassword("bob-pw", 4);
    const asks: [string, string, boolean][] = [];
    for (let i = 0; i < 12; i++) {
      asks.push(i % 3 === 0 ? ["correct horse", ALICE, true] : [`guess${i}`, ALICE, false]);
      asks.push(i % 4 === 0 ? ["bob-pw", bob, true] : [`bob${i}`, bob, false]);
    }
    const answers = asks.map(([pw, hash]) => v.verify(pw, hash));
    assert.equal(v.pending, asks.length);
    assert.deepEqual(await Promise.all(answers), asks.map(([, , ok]) => ok));
    assert.equal(v.pending, 0);
  });
});

Deno.test("BcryptWorker: the event loop keeps turning during cost-10 checks", async () => {
  const hash = await hashPassword("pw", 10);
  await withVerifier(async (v) => {
    await v.verify("warm", hash); // start the worker and compile bcrypt there
    let last = performance.now();
    let worst = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 2);
    try {
      const started = performance.now();
      const answers = await Promise.all([v.verify("pw", hash), v.verify("nope", hash)]);
      assert.deepEqual(answers, [true, false]);
      const took = performance.now() - started;
      assert.ok(took > 40, `two cost-10 checks took ${took.toFixed(1)} ms, so bcrypt really ran`);
    } finally {
      clearInterval(tick);
    }
    assert.ok(worst < 30, `the event loop stalled ${worst.toFixed(1)} ms`);
  });
});

Deno.test("BcryptWorker: close() stops the worker and rejects waiting checks; it restarts on use", async () => {
  const v = new BcryptWorker({ warn: () => {} });
  try {
    assert.equal(await v.verify("correct horse", ALICE), true);
    assert.equal(v.running, true);
    const waiting = v.verify("correct horse", ALICE);
    v.close();
    assert.equal(v.running, false);
    assert.equal(v.pending, 0);
    await assert.rejects(waiting, /Password verifier closed/);
    v.close(); // twice is fine
    assert.equal(await v.verify("correct horse", ALICE), true, "a new worker");
    assert.equal(v.running, true);
  } finally {
    v.close();
  }
  assert.equal(v.running, false);
});

Deno.test("BcryptWorker: the worker stops after idleMs without a check", async () => {
  await withVerifier(async (v) => {
    assert.equal(await v.verify("correct horse", ALICE), true);
    assert.equal(v.running, true);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(v.running, true, "a check 20 ms ago");
    assert.equal(await v.verify("x", ALICE), false, "a check re-arms the idle timer");
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(v.running, false);
    assert.equal(await v.verify("correct horse", ALICE), true, "started again");
  }, { idleMs: 60 });
});

Deno.test("BcryptWorker: when no worker can be made, checks run in the loop; one warning", async () => {
  let spawns = 0;
  const spawn = () => {
    spawns++;
    throw new Error("Workers are not allowed here");
  };
  await withVerifier(async (v, warnings) => {
    assert.equal(await v.verify("correct horse", ALICE), true);
    assert.equal(await v.verify("wrong", ALICE), false);
    assert.equal(v.inLoop, true);
    assert.equal(v.running, false);
    assert.equal(spawns, 1, "not tried again for every check");
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0],
      /^Cannot verify passwords in a worker \(cannot start it: Workers are not allowed here\); checking them in the event loop instead/,
    );
  }, { spawn });
});

Deno.test("BcryptWorker: a worker that fails (error event) hands its queued checks to the loop", async () => {
  const fallbackCalls: string[] = [];
  const fallback = (password: string, hash: string) => {
    fallbackCalls.push(password);
    return verifyPassword(password, hash);
  };
  await withVerifier(async (v, warnings) => {
    const answers = await Promise.all([
      v.verify("correct horse", ALICE),
      v.verify("wrong", ALICE),
    ]);
    assert.deepEqual(answers, [true, false]);
    assert.deepEqual(fallbackCalls, ["correct horse", "wrong"]);
    assert.equal(v.inLoop, true);
    assert.equal(v.running, false, "the broken worker was terminated");
    assert.equal(await v.verify("correct horse", ALICE), true);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /sluice-broken-worker/);
  }, { spawn: brokenWorker, fallback });
});
