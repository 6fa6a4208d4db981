import assert from "node:assert/strict";
import { ByteBuffer } from "../lib/buffer.ts";
import { type Duplex, Endpoint, Exchange } from "../lib/exchange.ts";
import { IllegalTransitionError, State } from "../lib/state.ts";

/** A connection that only counts close() calls, optionally throwing. */
class CloseCounter implements Duplex {
  closes = 0;
  constructor(readonly throwOnClose = false) {}
  read(_p: Uint8Array): Promise<number | null> {
    return Promise.resolve(null);
  }
  write(p: Uint8Array): Promise<number> {
    return Promise.resolve(p.length);
  }
  closeWrite(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {
    this.closes++;
    if (this.throwOnClose) throw new Deno.errors.BadResource("Bad resource ID");
  }
}

Deno.test("Exchange: a new exchange starts in READ_REQUEST with zeroed counters", () => {
  const ex = new Exchange(3);
  assert.equal(ex.seq, 3);
  assert.equal(ex.state, State.READ_REQUEST);
  assert.deepEqual(ex.path, [State.READ_REQUEST]);
  assert.equal(ex.client, null);
  assert.equal(ex.server, null);
  assert.equal(ex.clientRead, 0);
  assert.equal(ex.serverToWrite, 0);
  assert.equal(ex.serverWritten, 0);
  assert.equal(ex.serverRead, 0);
  assert.equal(ex.clientWritten, 0);
  assert.equal(ex.method, "-");
  assert.equal(ex.target, "-");
  assert.equal(ex.status, 0);
  assert.equal(ex.reason, null);
  assert.equal(ex.responseStarted, false);
});

Deno.test("Exchange: full keep-alive path with an interim response", () => {
  const ex = new Exchange(1);
  assert.equal(ex.transition("head"), State.SEND_REQUEST);
  assert.equal(ex.transition("sent"), State.READ_RESPONSE);
  assert.equal(ex.transition("interim"), State.READ_RESPONSE);
  assert.equal(ex.transition("interim"), State.READ_RESPONSE);
  assert.equal(ex.transition("head"), State.SEND_RESPONSE);
  assert.equal(ex.transition("keepalive"), State.READ_REQUEST);
  assert.equal(ex.state, State.READ_REQUEST);
  assert.deepEqual(ex.path, [
    State.READ_REQUEST,
    State.SEND_REQUEST,
    State.READ_RESPONSE,
    State.READ_RESPONSE,
    State.READ_RESPONSE,
    State.SEND_RESPONSE,
    State.READ_REQUEST,
  ]);
});

Deno.test("Exchange: CONNECT path goes through TUNNEL to CLOSED", () => {
  const ex = new Exchange(1);
  ex.transition("head");
  assert.equal(ex.transition("tunnel"), State.TUNNEL);
  assert.equal(ex.transition("close"), State.CLOSED);
  assert.deepEqual(ex.path, [
    State.READ_REQUEST,
    State.SEND_REQUEST,
    State.TUNNEL,
    State.CLOSED,
  ]);
});

Deno.test("Exchange: reject path goes straight to SEND_RESPONSE, then closes", () => {
  const ex = new Exchange(1);
  assert.equal(ex.transition("reject"), State.SEND_RESPONSE);
  assert.equal(ex.transition("close"), State.CLOSED);
  assert.deepEqual(ex.path, [State.READ_REQUEST, State.SEND_RESPONSE, State.CLOSED]);
});

Deno.test("Exchange: upstream failure path", () => {
  const ex = new Exchange(1);
  ex.transition("head");
  ex.transition("sent");
  assert.equal(ex.transition("fail"), State.SEND_RESPONSE);
  assert.deepEqual(ex.path, [
    State.READ_REQUEST,
    State.SEND_REQUEST,
    State.READ_RESPONSE,
    State.SEND_RESPONSE,
  ]);
});

Deno.test("Exchange: an illegal edge throws and leaves state and path unchanged", () => {
  const ex = new Exchange(1);
  ex.transition("head");
  assert.throws(() => ex.transition("keepalive"), IllegalTransitionError);
  assert.equal(ex.state, State.SEND_REQUEST);
  assert.deepEqual(ex.path, [State.READ_REQUEST, State.SEND_REQUEST]);
  assert.throws(() => ex.transition("interim"), /Cannot take "interim" in state SEND_REQUEST/);
  ex.transition("close");
  assert.throws(() => ex.transition("close"), IllegalTransitionError);
  assert.deepEqual(ex.path, [State.READ_REQUEST, State.SEND_REQUEST, State.CLOSED]);
});

Deno.test("Exchange: elapsed() is non-negative and grows", async () => {
  const ex = new Exchange(1);
  const a = ex.elapsed();
  assert.ok(a >= 0);
  await new Promise((r) => setTimeout(r, 5));
  assert.ok(ex.elapsed() > a);
});

Deno.test("Endpoint: holds its connection, buffer and side", () => {
  const conn = new CloseCounter();
  const buf = new ByteBuffer(16);
  const ep = new Endpoint(conn, buf, "upstream");
  assert.equal(ep.conn, conn);
  assert.equal(ep.buf, buf);
  assert.equal(ep.side, "upstream");
  assert.equal(ep.closed, false);
  assert.equal(ep.eof, false);
});

Deno.test("Endpoint: close() is idempotent", () => {
  const conn = new CloseCounter();
  const ep = new Endpoint(conn, new ByteBuffer(16), "client");
  ep.close();
  assert.equal(ep.closed, true);
  assert.equal(conn.closes, 1);
  ep.close();
  ep.close();
  assert.equal(conn.closes, 1);
});

Deno.test("Endpoint: close() swallows errors from conn.close()", () => {
  const conn = new CloseCounter(true);
  const ep = new Endpoint(conn, new ByteBuffer(16), "client");
  ep.close();
  assert.equal(ep.closed, true);
  assert.equal(conn.closes, 1);
  ep.close();
  assert.equal(conn.closes, 1);
});
