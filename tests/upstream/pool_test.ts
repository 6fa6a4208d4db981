import assert from "node:assert/strict";
import { ByteBuffer } from "../../lib/buffer.ts";
import { Timers } from "../../lib/timers.ts";
import { UpstreamPool } from "../../lib/upstream/pool.ts";
import { Peer } from "../peer.ts";

function setup(opts = { maxPerOrigin: 2, maxTotal: 3, idleTimeoutMs: 1000 }) {
  const clock = { t: 0 };
  const timers = new Timers(250, () => clock.t);
  return { clock, timers, pool: new UpstreamPool(opts, timers) };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

Deno.test("pool: take returns the most recently idled connection of that origin, once", () => {
  const { pool } = setup();
  const a = new Peer();
  const b = new Peer();
  assert.ok(pool.put("o:80", a, new ByteBuffer(64)));
  assert.ok(pool.put("o:80", b, new ByteBuffer(64)));
  assert.equal(pool.size, 2);
  assert.equal(pool.take("other:80"), null);
  assert.equal(pool.take("o:80")?.conn, b);
  assert.equal(pool.take("o:80")?.conn, a);
  assert.equal(pool.take("o:80"), null);
  assert.equal(pool.size, 0);
  pool.close();
});

Deno.test("pool: per-origin cap refuses, total cap evicts the oldest idle connection", () => {
  const { pool, clock } = setup();
  const conns = [new Peer(), new Peer(), new Peer(), new Peer()];
  assert.ok(pool.put("a:80", conns[0], new ByteBuffer(64)));
  clock.t = 1;
  assert.ok(pool.put("a:80", conns[1], new ByteBuffer(64)));
  assert.equal(pool.put("a:80", new Peer(), new ByteBuffer(64)), false, "per-origin cap");
  clock.t = 2;
  assert.ok(pool.put("b:80", conns[2], new ByteBuffer(64)));
  clock.t = 3;
  assert.ok(pool.put("c:80", conns[3], new ByteBuffer(64)));
  assert.equal(pool.size, 3);
  assert.ok(conns[0].closed, "the oldest went to make room");
  assert.equal(pool.take("a:80")?.conn, conns[1]);
  pool.close();
});

Deno.test("pool: an idle connection the origin closes leaves the pool at once", async () => {
  const { pool } = setup();
  const a = new Peer();
  pool.put("o:80", a, new ByteBuffer(64));
  a.end();
  await settle();
  assert.equal(pool.size, 0);
  assert.ok(a.closed);
  assert.equal(pool.take("o:80"), null);
  pool.close();
});

Deno.test("pool: stray bytes from an idle origin end the connection too", async () => {
  const { pool } = setup();
  const a = new Peer();
  pool.put("o:80", a, new ByteBuffer(64));
  a.send("HTTP/1.1 408 Request Timeout\r\n\r\n");
  await settle();
  assert.equal(pool.size, 0);
  assert.ok(a.closed);
  pool.close();
});

Deno.test("pool: a taken connection hands its pending read to the taker", async () => {
  const { pool } = setup();
  const a = new Peer();
  const buf = new ByteBuffer(64);
  pool.put("o:80", a, buf);
  const p = pool.take("o:80")!;
  a.send("HTTP/1.1 200 OK\r\n\r\n");
  const n = await p.pending;
  assert.equal(n, 19);
  assert.equal(new TextDecoder().decode(buf.bytes.subarray(0, n!)), "HTTP/1.1 200 OK\r\n\r\n");
  assert.ok(!a.closed, "taken: not the pool's to close");
  pool.close();
  a.close();
});

Deno.test("pool: idle connections are closed after the idle timeout by the sweep", async () => {
  const { pool, clock, timers } = setup();
  const a = new Peer();
  const b = new Peer();
  pool.put("o:80", a, new ByteBuffer(64));
  clock.t = 600;
  pool.put("p:80", b, new ByteBuffer(64));
  clock.t = 1000;
  timers.tick();
  assert.ok(a.closed && !b.closed);
  clock.t = 1600;
  timers.tick();
  await settle();
  assert.ok(b.closed);
  assert.equal(pool.size, 0);
  assert.equal(timers.size, 0, "the sweep stops when the pool is empty");
});

Deno.test("pool: close() closes every idle connection and refuses new ones", async () => {
  const { pool } = setup();
  const a = new Peer();
  pool.put("o:80", a, new ByteBuffer(64));
  pool.close();
  await settle();
  assert.ok(a.closed);
  assert.equal(pool.put("o:80", new Peer(), new ByteBuffer(64)), false);
});

Deno.test("pool: an origin's emptied list is kept for the next put, and forgotten at the sweep", () => {
  const { pool, clock, timers } = setup();
  const a = new Peer();
  pool.put("o:80", a, new ByteBuffer(64));
  const p = pool.take("o:80")!;
  assert.equal(pool.take("o:80"), null);
  assert.equal(pool.origins, 1, "kept while the sweep is armed");
  assert.ok(pool.put("o:80", p.conn, p.buf));
  assert.equal(pool.take("o:80")?.conn, a);
  clock.t = 1000;
  timers.tick();
  assert.equal(pool.origins, 0, "the sweep drops emptied lists");
  assert.equal(timers.size, 0);
  a.close();
  pool.close();
});

Deno.test("pool: a read that fails while idle drops the connection; once taken, the taker gets the failure", async () => {
  const { pool } = setup();
  const failing = (): Peer => {
    const p = new Peer();
    let fail: (e: Error) => void = () => {};
    p.read = () => new Promise((_, reject) => fail = reject);
    (p as unknown as { fail: (e: Error) => void }).fail = (e) => fail(e);
    return p;
  };
  const idle = failing();
  pool.put("o:80", idle, new ByteBuffer(64));
  (idle as unknown as { fail: (e: Error) => void }).fail(new Error("reset"));
  await settle();
  assert.equal(pool.size, 0);
  assert.ok(idle.closed);
  const taken = failing();
  pool.put("o:80", taken, new ByteBuffer(64));
  const p = pool.take("o:80")!;
  (taken as unknown as { fail: (e: Error) => void }).fail(new Error("reset"));
  await assert.rejects(p.pending, /reset/);
  await settle();
  assert.ok(!taken.closed, "taken: not the pool's to close");
  pool.close();
  taken.close();
});
