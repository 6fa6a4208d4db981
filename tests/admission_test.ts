/**
 * Admission at the connection caps, without sockets: fake connections with an
 * idle time, a fake clock for who is idle, real short timers for the grace
 * wait.
 */
import assert from "node:assert/strict";
import { Admission, type Limits, type Reclaimable, Slot } from "../lib/admission.ts";

class FakeConn implements Reclaimable {
  idleSince = -1;
  kept = false;
  closed = false;
  closeIfIdle(): void {
    this.closed = true;
  }
}

function setup(limits: Limits, graceMs = 30) {
  const clock = { t: 10_000 };
  const reclaimed: string[] = [];
  const a = new Admission(() => limits, () => clock.t, {
    graceMs,
    freshIdleMs: 2000,
    onReclaim: (s) => reclaimed.push(s.ip),
  });
  /** Admits a connection from `ip` now, in the given state. */
  const add = (ip: string, state: { idleSince?: number; kept?: boolean } = {}) => {
    const slot = a.tryReserve(ip);
    assert.ok(slot, `room for ${ip}`);
    const c = new FakeConn();
    c.idleSince = state.idleSince ?? -1;
    c.kept = state.kept ?? false;
    slot.conn = c;
    return { slot, conn: c };
  };
  return { a, clock, add, reclaimed };
}

Deno.test("admission: under the caps every newcomer gets a slot; release gives it back", () => {
  const { a, add } = setup({ maxConnections: 3, maxConnectionsPerClient: 0 });
  const x = add("10.0.0.1");
  add("10.0.0.1");
  add("10.0.0.2");
  assert.equal(a.size, 3);
  assert.equal(a.countOf("10.0.0.1"), 2);
  a.release(x.slot);
  a.release(x.slot); // idempotent
  assert.equal(a.size, 2);
  assert.equal(a.countOf("10.0.0.1"), 1);
});

Deno.test("admission: at --max-connections with every connection busy, a newcomer waits the grace period, then is refused", async () => {
  const { a, add } = setup({ maxConnections: 2, maxConnectionsPerClient: 0 });
  add("10.0.0.1");
  add("10.0.0.2");
  assert.equal(a.tryReserve("10.0.0.3"), null);
  const t0 = performance.now();
  const r = await a.reserve("10.0.0.3");
  assert.ok(!(r instanceof Slot));
  assert.deepEqual(r, { cap: "total", limit: 2 });
  assert.ok(performance.now() - t0 >= 25, "it waited for a slot first");
  assert.equal(a.size, 2);
});

Deno.test("admission: at a cap, idle kept-alive connections are closed oldest idle first to make room", () => {
  const { a, add, clock, reclaimed } = setup({ maxConnections: 3, maxConnectionsPerClient: 0 });
  const busy = add("10.0.0.1");
  const newer = add("10.0.0.2", { idleSince: clock.t - 100, kept: true });
  const older = add("10.0.0.3", { idleSince: clock.t - 5000, kept: true });
  const slot = a.tryReserve("10.0.0.4");
  assert.ok(slot);
  assert.equal(older.conn.closed, true, "the longest idle goes first");
  assert.equal(older.slot.released, true);
  assert.equal(newer.conn.closed, false, "only as many as needed");
  assert.equal(busy.conn.closed, false);
  assert.deepEqual(reclaimed, ["10.0.0.3"]);
  assert.equal(a.size, 3);
  const again = a.tryReserve("10.0.0.5");
  assert.ok(again);
  assert.equal(newer.conn.closed, true);
  assert.equal(a.tryReserve("10.0.0.6"), null, "then only busy ones are left");
});

Deno.test("admission: a fresh connection counts as idle only after it sent nothing for a while", () => {
  const { a, add, clock } = setup({ maxConnections: 2, maxConnectionsPerClient: 0 });
  const fresh = add("10.0.0.1", { idleSince: clock.t - 500 });
  add("10.0.0.2");
  assert.equal(a.tryReserve("10.0.0.3"), null, "just connected: its request may be on its way");
  assert.equal(fresh.conn.closed, false);
  clock.t += 2000;
  assert.ok(a.tryReserve("10.0.0.3"), "silent for 2.5 s: a preconnect the client may retry");
  assert.equal(fresh.conn.closed, true);
});

Deno.test("admission: at the per-client cap only that client's idle connections are closed", () => {
  const { a, add, clock } = setup({ maxConnections: 100, maxConnectionsPerClient: 2 });
  const other = add("10.0.0.9", { idleSince: clock.t - 9000, kept: true });
  const mineBusy = add("10.0.0.1");
  const mineIdle = add("10.0.0.1", { idleSince: clock.t - 10, kept: true });
  assert.ok(a.tryReserve("10.0.0.1"));
  assert.equal(mineIdle.conn.closed, true);
  assert.equal(other.conn.closed, false, "another client's idle connection is not touched");
  assert.equal(mineBusy.conn.closed, false);
  assert.equal(a.countOf("10.0.0.1"), 2);
  assert.equal(a.tryReserve("10.0.0.1"), null);
});

Deno.test("admission: --max-connections-per-client 0 is no per-client cap", () => {
  const { a, add } = setup({ maxConnections: 1000, maxConnectionsPerClient: 0 });
  for (let i = 0; i < 600; i++) add("10.0.0.1");
  assert.equal(a.countOf("10.0.0.1"), 600);
});

Deno.test("admission: a newcomer waiting at a cap gets the slot of a connection that ends meanwhile", async () => {
  const { a, add } = setup({ maxConnections: 2, maxConnectionsPerClient: 0 }, 2000);
  add("10.0.0.1");
  const leaving = add("10.0.0.2");
  const t0 = performance.now();
  const pending = a.reserve("10.0.0.3");
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(a.waiting, 1);
  a.release(leaving.slot); // its client had gone; the EOF was read
  const r = await pending;
  assert.ok(r instanceof Slot);
  assert.ok(performance.now() - t0 < 1000, "admitted when the slot freed, not at the deadline");
  assert.equal(a.size, 2);
  assert.equal(a.waiting, 0);
});

Deno.test("admission: one freed slot admits one waiter; the others keep waiting", async () => {
  const { a, add } = setup({ maxConnections: 1, maxConnectionsPerClient: 0 }, 200);
  const first = add("10.0.0.1");
  const w1 = a.reserve("10.0.0.2");
  const w2 = a.reserve("10.0.0.3");
  await new Promise((r) => setTimeout(r, 10));
  a.release(first.slot);
  const r1 = await w1;
  assert.ok(r1 instanceof Slot, "the first to arrive is admitted");
  const r2 = await w2;
  assert.deepEqual(r2, { cap: "total", limit: 1 });
  assert.equal(a.size, 1);
});

Deno.test("admission: close() refuses the waiters and every later newcomer", async () => {
  const { a, add } = setup({ maxConnections: 1, maxConnectionsPerClient: 0 }, 5000);
  add("10.0.0.1");
  const t0 = performance.now();
  const w = a.reserve("10.0.0.2");
  await new Promise((r) => setTimeout(r, 10));
  a.close();
  assert.ok(!((await w) instanceof Slot));
  assert.ok(performance.now() - t0 < 1000);
  assert.equal(a.tryReserve("10.0.0.3"), null);
});

Deno.test("admission: the caps are read at each decision (a reload applies at once)", () => {
  const limits = { maxConnections: 1, maxConnectionsPerClient: 0 };
  const a = new Admission(() => limits, () => 0);
  assert.ok(a.tryReserve("10.0.0.1"));
  assert.equal(a.tryReserve("10.0.0.2"), null);
  limits.maxConnections = 2;
  assert.ok(a.tryReserve("10.0.0.2"));
});
