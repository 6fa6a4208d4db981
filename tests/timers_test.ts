import assert from "node:assert/strict";
import { Timers } from "../lib/timers.ts";

function clock() {
  const c = { t: 1000 };
  return { c, timers: new Timers(250, () => c.t) };
}

Deno.test("Timers: a deadline fires once when due, not before", () => {
  const { c, timers } = clock();
  const fired: string[] = [];
  const d = timers.create((k) => fired.push(k));
  d.arm("header", 500);
  assert.equal(timers.size, 1);
  c.t = 1499;
  assert.equal(timers.tick(), 0);
  c.t = 1500;
  assert.equal(timers.tick(), 1);
  assert.deepEqual(fired, ["header"]);
  assert.equal(d.kind, null);
  assert.equal(timers.size, 0);
  c.t = 9999;
  assert.equal(timers.tick(), 0);
});

Deno.test("Timers: re-arming replaces the kind and the expiry; disarm cancels", () => {
  const { c, timers } = clock();
  const fired: string[] = [];
  const d = timers.create((k) => fired.push(k));
  d.arm("header", 100);
  d.arm("first-byte", 1000);
  c.t = 1500;
  timers.tick();
  assert.deepEqual(fired, []);
  c.t = 2000;
  timers.tick();
  assert.deepEqual(fired, ["first-byte"]);
  d.arm("stall", 10);
  d.disarm();
  c.t = 99999;
  timers.tick();
  assert.deepEqual(fired, ["first-byte"]);
});

Deno.test("Timers: extend pushes the expiry by the current arming length", () => {
  const { c, timers } = clock();
  const fired: string[] = [];
  const d = timers.create((k) => fired.push(k));
  d.arm("stall", 100);
  c.t = 1090;
  d.extend();
  c.t = 1150;
  timers.tick();
  assert.deepEqual(fired, []);
  c.t = 1190;
  timers.tick();
  assert.deepEqual(fired, ["stall"]);
});

Deno.test("Timers: a handler may re-arm its own deadline (progress check)", () => {
  const { c, timers } = clock();
  let calls = 0;
  const d = timers.create(() => {
    if (++calls === 1) d.arm("tunnel-idle", 100);
  });
  d.arm("tunnel-idle", 100);
  c.t = 1100;
  timers.tick();
  assert.equal(d.kind, "tunnel-idle");
  c.t = 1200;
  timers.tick();
  assert.equal(calls, 2);
  assert.equal(d.kind, null);
});

Deno.test("Timers: a throwing handler does not stop the other deadlines", () => {
  const { c, timers } = clock();
  const fired: number[] = [];
  for (let i = 0; i < 5; i++) {
    const d = timers.create(() => {
      fired.push(i);
      if (i === 2) throw new Error("boom");
    });
    d.arm("idle", 10);
  }
  c.t = 2000;
  assert.equal(timers.tick(), 5);
  assert.deepEqual(fired.sort(), [0, 1, 2, 3, 4]);
});

Deno.test("Timers: start/stop run the real interval and do not leak it", async () => {
  const timers = new Timers(10);
  const done = Promise.withResolvers<string>();
  const d = timers.create((k) => done.resolve(k));
  timers.start();
  timers.start();
  d.arm("connect", 20);
  assert.equal(await done.promise, "connect");
  timers.stop();
  timers.stop();
});

Deno.test("Timers: a disarmed deadline leaves the walker at the next tick and can be armed again", () => {
  const { c, timers } = clock();
  const fired: string[] = [];
  const d = timers.create((k) => fired.push(k));
  for (let i = 0; i < 1000; i++) {
    d.arm("header", 100); // an exchange's arm/disarm pairs: the set is not touched each time
    d.disarm();
  }
  assert.equal(timers.size, 0, "size counts armed deadlines only");
  c.t = 5000;
  assert.equal(timers.tick(), 0);
  d.arm("stall", 100);
  assert.equal(timers.size, 1);
  c.t = 5100;
  assert.equal(timers.tick(), 1);
  assert.deepEqual(fired, ["stall"]);
});

Deno.test("Timers: dispose takes a deadline out of the walker at once (a closed connection)", () => {
  const { c, timers } = clock();
  const fired: string[] = [];
  const d = timers.create((k) => fired.push(k));
  d.arm("idle", 100);
  assert.equal(d.tracked, true);
  d.dispose();
  assert.equal(d.tracked, false, "nothing waits for the next tick to let it go");
  assert.equal(timers.size, 0);
  c.t = 99999;
  assert.equal(timers.tick(), 0);
  assert.deepEqual(fired, []);
});
