/**
 * Playbook tests of upstream reuse: a clean response returns the connection to
 * the pool, the next exchange takes it, and a pooled connection that the
 * origin closed just as it was reused is retried once on a fresh one (for a
 * repeatable request without a body).
 */
import { Policy } from "../lib/policy/policy.ts";
import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../lib/config.ts";
import { Connection, type ConnectionContext } from "../lib/connection.ts";
import type { Exchange } from "../lib/exchange.ts";
import { Timers } from "../lib/timers.ts";
import { UpstreamPool } from "../lib/upstream/pool.ts";
import { Peer } from "./peer.ts";

const settle = () => new Promise((r) => setTimeout(r, 1));

/** An origin that answers every complete request head it sees with `body`. */
function keepAliveOrigin(body: string, onRequest?: (n: number, origin: Peer) => boolean): Peer {
  const origin = new Peer();
  let answered = 0;
  origin.onWrite = (all) => {
    const heads = all.split("\r\n\r\n").length - 1;
    while (answered < heads) {
      answered++;
      if (onRequest && !onRequest(answered, origin)) return;
      queueMicrotask(() =>
        origin.send(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
      );
    }
  };
  return origin;
}

function setup(origins: Peer[]) {
  const timers = new Timers();
  const pool = new UpstreamPool({ maxPerOrigin: 4, maxTotal: 8, idleTimeoutMs: 30_000 }, timers);
  const exchanges: Exchange[] = [];
  let dials = 0;
  const ctx: ConnectionContext = {
    config: { ...DEFAULT_CONFIG, listen: [], connectPorts: null, logLevel: "error" },
    policy: new Policy(DEFAULT_CONFIG, null),
    draining: false,
    timers,
    pool,
    dial: () => Promise.resolve(origins[dials++]),
    observe: (ex) => exchanges.push(ex),
  };
  return { ctx, pool, exchanges, dials: () => dials };
}

Deno.test("pool playbook: two clients in turn share one upstream connection", async () => {
  const origin = keepAliveOrigin("hi");
  const s = setup([origin]);
  for (let i = 0; i < 2; i++) {
    const client = new Peer();
    const run = new Connection(client, "test", s.ctx).run();
    client.send("GET http://o.test/ HTTP/1.1\r\nConnection: close\r\n\r\n");
    await run;
    assert.ok(client.output.endsWith("\r\n\r\nhi"));
  }
  assert.equal(s.dials(), 1);
  assert.equal(s.pool.size, 1);
  assert.doesNotMatch(origin.output, /Connection: close/, "upstream asks for keep-alive");
  assert.equal(origin.output.split("GET / HTTP/1.1").length - 1, 2);
  s.pool.close();
  assert.ok(origin.closed);
});

Deno.test("pool playbook: a pooled connection closed as it was reused -> one retry on a fresh one", async () => {
  // the first origin answers once, then drops the connection when the second request arrives
  const first = keepAliveOrigin("one", (n, o) => {
    if (n === 2) queueMicrotask(() => o.end());
    return n === 1;
  });
  const second = keepAliveOrigin("two");
  const s = setup([first, second]);
  const client = new Peer();
  const run = new Connection(client, "test", s.ctx).run();
  client.send("GET http://o.test/1 HTTP/1.1\r\n\r\n");
  while (!client.output.endsWith("one")) await settle();
  client.send("GET http://o.test/2 HTTP/1.1\r\nConnection: close\r\n\r\n");
  await run;
  assert.ok(client.output.endsWith("\r\n\r\ntwo"), client.output);
  assert.equal(s.dials(), 2);
  assert.match(second.output, /^GET \/2 HTTP\/1\.1\r\n/);
  assert.equal(s.exchanges[1].status, 200);
  s.pool.close();
});

Deno.test("pool playbook: a POST is not retried: 502 when its pooled connection dies", async () => {
  const first = keepAliveOrigin("one", (n, o) => {
    if (n === 2) queueMicrotask(() => o.end());
    return n === 1;
  });
  const s = setup([first, keepAliveOrigin("never")]);
  const client = new Peer();
  const run = new Connection(client, "test", s.ctx).run();
  client.send("GET http://o.test/1 HTTP/1.1\r\n\r\n");
  while (!client.output.endsWith("one")) await settle();
  client.send("POST http://o.test/2 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  await run;
  assert.match(client.output, /HTTP\/1\.1 502 Bad Gateway\r\n/);
  assert.equal(s.dials(), 1);
  s.pool.close();
});

Deno.test("pool playbook: Connection: close, excess bytes or a close-delimited body are never pooled", async () => {
  const cases = [
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA",
    "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
  ];
  for (const response of cases) {
    const origin = new Peer();
    origin.onWrite = (all) => {
      if (all.includes("\r\n\r\n") && origin.onWrite) {
        origin.onWrite = null;
        queueMicrotask(() => origin.send(response));
      }
    };
    const s = setup([origin]);
    const client = new Peer();
    const run = new Connection(client, "test", s.ctx).run();
    client.send("GET http://o.test/ HTTP/1.1\r\nConnection: close\r\n\r\n");
    await run;
    assert.equal(s.pool.size, 0, response);
    assert.ok(origin.closed, response);
    s.pool.close();
  }
});
