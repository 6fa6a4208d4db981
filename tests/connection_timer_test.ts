/**
 * Playbook tests of every deadline: in-memory peers and a fake clock; the
 * test advances time and ticks the walker, then checks what each side saw.
 */
import { Policy } from "../lib/policy/policy.ts";
import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../lib/config.ts";
import { Connection, type ConnectionContext } from "../lib/connection.ts";
import type { Exchange } from "../lib/exchange.ts";
import { State } from "../lib/state.ts";
import { Timers } from "../lib/timers.ts";
import { answering, Peer } from "./peer.ts";

const { READ_REQUEST, SEND_REQUEST, READ_RESPONSE, SEND_RESPONSE, TUNNEL, CLOSED } = State;

/** Lets pending promise callbacks and I/O settle. */
const settle = () => new Promise((r) => setTimeout(r, 5));

function setup(dial: ConnectionContext["dial"]) {
  const clock = { t: 0 };
  const timers = new Timers(250, () => clock.t);
  const client = new Peer();
  const exchanges: Exchange[] = [];
  const ctx: ConnectionContext = {
    config: { ...DEFAULT_CONFIG, listen: [], connectPorts: null, logLevel: "error" },
    policy: new Policy(DEFAULT_CONFIG, null),
    draining: false,
    timers,
    pool: null,
    dial,
    observe: (ex) => exchanges.push(ex),
  };
  const conn = new Connection(client, "test", ctx);
  const run = conn.run();
  /** Moves the clock by `ms` in steps of one second, ticking the walker at each. */
  const advance = async (ms: number) => {
    for (let left = ms; left > 0; left -= 1000) {
      clock.t += Math.min(1000, left);
      timers.tick();
      await new Promise((r) => setTimeout(r, 0));
    }
    await settle();
  };
  return { client, exchanges, run, advance, timers, ctx, conn };
}

Deno.test("deadline: a head still arriving after 15 s gets 408 and a close", async () => {
  const p = setup(() => Promise.reject(new Error("never dialled")));
  p.client.send("GET http://o.test/ HTTP/1.1\r\nX-Slow: ");
  await settle();
  await p.advance(14_000);
  p.client.send("a");
  await p.advance(900);
  assert.equal(p.client.output, "");
  await p.advance(200);
  await p.run;
  assert.match(p.client.output, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.match(p.client.output, /X-Sluice-Reason: header-timeout/);
  assert.ok(p.client.closed);
  assert.deepEqual(p.exchanges[0].path, [READ_REQUEST, SEND_RESPONSE, CLOSED]);
  assert.equal(p.exchanges[0].status, 408);
  assert.equal(p.timers.size, 0);
});

Deno.test("deadline: a connection that sends nothing is closed after the header timeout (slowloris)", async () => {
  const p = setup(() => Promise.reject(new Error("never dialled")));
  await settle();
  await p.advance(15_000);
  await p.run;
  assert.match(p.client.output, /^HTTP\/1\.1 408 /);
  assert.ok(p.client.closed);
});

Deno.test("deadline: an idle keep-alive connection closes quietly after 60 s", async () => {
  const p = setup(() =>
    Promise.resolve(answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
  );
  p.client.send("GET http://o.test/ HTTP/1.1\r\n\r\n");
  while (!p.client.output.endsWith("ok")) await settle();
  const before = p.client.output;
  await p.advance(59_000);
  assert.ok(!p.client.closed);
  await p.advance(1_000);
  await p.run;
  assert.ok(p.client.closed);
  assert.equal(p.client.output, before, "nothing is sent to an idle connection");
  assert.deepEqual(p.exchanges[1].path, [READ_REQUEST, CLOSED]);
  assert.equal(p.exchanges[1].status, 0);
});

Deno.test("deadline: a reload that shortens --idle-timeout closes an already idle connection by the new value", async () => {
  const p = setup(() =>
    Promise.resolve(answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
  );
  p.client.send("GET http://o.test/ HTTP/1.1\r\n\r\n");
  while (!p.client.output.endsWith("ok")) await settle();
  await p.advance(3_000); // idle for 3 s under the 60 s timeout
  assert.ok(!p.client.closed);
  p.ctx.config = { ...p.ctx.config, idleTimeoutMs: 5_000 }; // SIGHUP
  p.conn.reconfigure();
  await p.advance(1_000);
  assert.ok(!p.client.closed, "4 s idle: within the new 5 s");
  await p.advance(1_000);
  await p.run;
  assert.ok(p.client.closed, "5 s idle: closed by the new value, not at 60 s");
  assert.equal(p.exchanges[1].status, 0);
});

Deno.test("deadline: a reload that shortens it below the time already idle closes at the next tick", async () => {
  const p = setup(() =>
    Promise.resolve(answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
  );
  p.client.send("GET http://o.test/ HTTP/1.1\r\n\r\n");
  while (!p.client.output.endsWith("ok")) await settle();
  await p.advance(10_000);
  p.ctx.config = { ...p.ctx.config, idleTimeoutMs: 2_000 };
  p.conn.reconfigure();
  await p.advance(250);
  await p.run;
  assert.ok(p.client.closed);
});

Deno.test("deadline: the next exchange on a kept-alive connection runs under the reloaded timeouts", async () => {
  let dials = 0;
  const p = setup(() => {
    dials++;
    // the first origin answers; the second never does
    return Promise.resolve(
      dials === 1 ? answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") : new Peer(),
    );
  });
  p.client.send("GET http://o.test/ HTTP/1.1\r\n\r\n");
  while (!p.client.output.endsWith("ok")) await settle();
  // reloaded while the connection is busy between exchanges: not pushed into it,
  // taken by the next exchange
  p.ctx.config = { ...p.ctx.config, responseTimeoutMs: 3_000 };
  p.client.send("GET http://o.test/two HTTP/1.1\r\n\r\n");
  await settle();
  await p.advance(3_000);
  await p.run;
  assert.match(p.client.output, /HTTP\/1\.1 504 Gateway Timeout\r\n/);
  assert.match(p.client.output, /X-Sluice-Reason: upstream-timeout/);
});

Deno.test("deadline: connect -> the dial is aborted and the client gets 504", async () => {
  let aborted = false;
  const p = setup((_t, signal) =>
    new Promise((_, reject) => {
      signal.addEventListener("abort", () => {
        aborted = true;
        reject(new Error("aborted"));
      });
    })
  );
  p.client.send("GET http://o.test/ HTTP/1.1\r\n\r\n");
  await settle();
  await p.advance(10_000);
  await p.run;
  assert.ok(aborted);
  assert.match(p.client.output, /^HTTP\/1\.1 504 Gateway Timeout\r\n/);
  assert.deepEqual(p.exchanges[0].path, [READ_REQUEST, SEND_REQUEST, SEND_RESPONSE, CLOSED]);
});

Deno.test("deadline: an origin silent for 60 s after the request -> 504 upstream-timeout", async () => {
  const origin = new Peer();
  const p = setup(() => Promise.resolve(origin));
  p.client.send("GET http://o.test/ HTTP/1.1\r\n\r\n");
  while (!origin.output.includes("\r\n\r\n")) await settle();
  await p.advance(59_000);
  assert.equal(p.client.output, "");
  await p.advance(1_000);
  await p.run;
  assert.match(p.client.output, /^HTTP\/1\.1 504 /);
  assert.match(p.client.output, /X-Sluice-Reason: upstream-timeout/);
  assert.ok(origin.closed);
  assert.deepEqual(p.exchanges[0].path, [
    READ_REQUEST,
    SEND_REQUEST,
    READ_RESPONSE,
    SEND_RESPONSE,
    CLOSED,
  ]);
});

Deno.test("deadline: the first-byte clock starts after a slow upload, which is guarded by stall", async () => {
  const origin = new Peer();
  const p = setup(() => Promise.resolve(origin));
  p.client.send("POST http://o.test/ HTTP/1.1\r\nContent-Length: 6\r\n\r\nab");
  while (!origin.output.endsWith("ab")) await settle();
  for (let i = 0; i < 3; i++) {
    await p.advance(50_000); // the upload makes progress every 50 s: never stalled
    p.client.send(String(i));
    await settle();
  }
  p.client.send("z");
  while (!origin.output.endsWith("012z")) await settle();
  await p.advance(59_000);
  assert.equal(p.client.output, "", "no 504 yet: the origin got the whole body 59 s ago");
  origin.send("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  while (!p.client.output.includes("200 OK")) await settle();
  p.client.end();
  await p.run;
});

Deno.test("deadline: a body that stops moving for 60 s closes both sides; progress re-arms it", async () => {
  const origin = new Peer();
  const p = setup(() => Promise.resolve(origin));
  p.client.send("GET http://o.test/ HTTP/1.1\r\n\r\n");
  while (!origin.output.includes("\r\n\r\n")) await settle();
  origin.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nsome");
  while (!p.client.output.endsWith("some")) await settle();
  await p.advance(40_000);
  origin.send("more");
  await settle();
  await p.advance(40_000); // 80 s since the head, 40 s since progress
  assert.ok(!p.client.closed);
  await p.advance(40_000);
  await p.run;
  assert.ok(p.client.closed && origin.closed);
  assert.ok(p.client.output.endsWith("somemore"));
  assert.equal(p.exchanges[0].reason, "stalled");
  assert.deepEqual(p.exchanges[0].path, [
    READ_REQUEST,
    SEND_REQUEST,
    READ_RESPONSE,
    SEND_RESPONSE,
    CLOSED,
  ]);
});

Deno.test("deadline: a tunnel idle for 10 min is closed; traffic keeps it open", async () => {
  const origin = new Peer();
  const p = setup(() => Promise.resolve(origin));
  p.client.send("CONNECT o.test:443 HTTP/1.1\r\n\r\n");
  while (!p.client.output.includes("200 Connection Established")) await settle();
  await p.advance(500_000);
  origin.send("ping");
  await settle();
  await p.advance(500_000);
  assert.ok(!p.client.closed, "traffic 500 s ago keeps it open");
  // seen idle between 600 and 750 s after the last byte (checks every 150 s)
  await p.advance(300_000);
  await p.run;
  assert.ok(p.client.closed && origin.closed);
  assert.equal(p.exchanges[0].reason, "tunnel-idle");
  assert.deepEqual(p.exchanges[0].path, [READ_REQUEST, SEND_REQUEST, TUNNEL, CLOSED]);
});
