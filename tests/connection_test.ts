/**
 * Playbook tests of the connection driver (after mitmproxy's): no sockets.
 * In-memory peers script what the client and the origin send; each test
 * asserts the bytes that come out and the states each exchange walked.
 */
import { Policy } from "../lib/policy/policy.ts";
import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../lib/config.ts";
import { Connection, type ConnectionContext } from "../lib/connection.ts";
import { ProxyError } from "../lib/errors.ts";
import type { Exchange } from "../lib/exchange.ts";
import { answering, Peer } from "./peer.ts";
import { State } from "../lib/state.ts";
import { Timers } from "../lib/timers.ts";

const { READ_REQUEST, SEND_REQUEST, READ_RESPONSE, SEND_RESPONSE, TUNNEL, CLOSED } = State;

interface Play {
  client: Peer;
  origin: Peer;
  exchanges: Exchange[];
  run: Promise<void>;
}

/** Starts a connection between a scripted client and a scripted origin (or a dial failure). */
function play(dialResult: Peer | ProxyError, connectPorts: Set<number> | null = null): Play {
  const client = new Peer();
  const origin = dialResult instanceof Peer ? dialResult : new Peer();
  const exchanges: Exchange[] = [];
  const ctx: ConnectionContext = {
    config: { ...DEFAULT_CONFIG, listen: [], connectPorts, logLevel: "error" },
    policy: new Policy(DEFAULT_CONFIG, null),
    draining: false,
    timers: new Timers(),
    pool: null,
    dial: () =>
      dialResult instanceof Peer ? Promise.resolve(dialResult) : Promise.reject(dialResult),
    observe: (ex) => exchanges.push(ex),
  };
  const run = new Connection(client, "test", ctx).run();
  return { client, origin, exchanges, run };
}

Deno.test("playbook: GET, keep-alive, then the client leaves", async () => {
  const origin = answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
  const p = play(origin);
  p.client.send("GET http://o.test/a HTTP/1.1\r\nHost: o.test\r\n\r\n");
  while (!p.client.output.endsWith("hi")) await new Promise((r) => setTimeout(r, 1));
  p.client.end();
  await p.run;
  assert.match(
    origin.output,
    /^GET \/a HTTP\/1\.1\r\nHost: o\.test\r\nVia: 1\.1 sluice\r\nConnection: close\r\n\r\n$/,
  );
  assert.match(
    p.client.output,
    /^HTTP\/1\.1 200 OK\r\nContent-Length: 2\r\nVia: 1\.1 sluice\r\n\r\nhi$/,
  );
  assert.deepEqual(p.exchanges[0].path, [
    READ_REQUEST,
    SEND_REQUEST,
    READ_RESPONSE,
    SEND_RESPONSE,
    READ_REQUEST,
  ]);
  // the client's FIN between requests: READ_REQUEST -close-> CLOSED, nothing answered
  assert.deepEqual(p.exchanges[1].path, [READ_REQUEST, CLOSED]);
  assert.equal(p.exchanges[1].status, 0);
  assert.ok(origin.closed && p.client.closed);
  const ex = p.exchanges[0];
  assert.equal(ex.clientRead, 46);
  assert.equal(ex.serverWritten, origin.output.length);
  assert.equal(ex.serverToWrite, origin.output.length);
  assert.equal(ex.serverRead, 40);
  assert.equal(ex.clientWritten, p.client.output.length);
});

Deno.test("playbook: Connection: close -> SEND_RESPONSE -close-> CLOSED", async () => {
  const p = play(answering("HTTP/1.1 204 No Content\r\n\r\n"));
  p.client.send("GET http://o.test/ HTTP/1.1\r\nConnection: close\r\n\r\n");
  await p.run;
  assert.deepEqual(p.exchanges[0].path, [
    READ_REQUEST,
    SEND_REQUEST,
    READ_RESPONSE,
    SEND_RESPONSE,
    CLOSED,
  ]);
  assert.match(p.client.output, /Connection: close\r\n/);
  assert.equal(p.exchanges.length, 1);
});

Deno.test("playbook: a malformed request -> READ_REQUEST -reject-> SEND_RESPONSE -close-> CLOSED", async () => {
  const p = play(new Peer());
  p.client.send("GET http://o.test/ HTTP/1.1\r\nBad Header: x\r\n\r\n");
  await p.run;
  assert.deepEqual(p.exchanges[0].path, [READ_REQUEST, SEND_RESPONSE, CLOSED]);
  assert.match(p.client.output, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.equal(p.exchanges[0].reason, "bad-header");
  assert.equal(p.origin.output, "");
});

Deno.test("playbook: a refused destination -> SEND_REQUEST -reject-> SEND_RESPONSE (403)", async () => {
  const p = play(new ProxyError(403, "permission-denied", "no permission"));
  p.client.send("GET http://o.test/ HTTP/1.1\r\n\r\n");
  await p.run;
  assert.deepEqual(p.exchanges[0].path, [READ_REQUEST, SEND_REQUEST, SEND_RESPONSE, CLOSED]);
  assert.match(p.client.output, /^HTTP\/1\.1 403 Forbidden\r\n/);
});

Deno.test("playbook: an unreachable origin -> SEND_REQUEST -fail-> SEND_RESPONSE (502)", async () => {
  const p = play(new ProxyError(502, "upstream-refused", "refused"));
  p.client.send("GET http://o.test/ HTTP/1.1\r\n\r\n");
  await p.run;
  assert.deepEqual(p.exchanges[0].path, [READ_REQUEST, SEND_REQUEST, SEND_RESPONSE, CLOSED]);
  assert.match(p.client.output, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
  assert.match(p.client.output, /X-Sluice-Reason: upstream-refused\r\n/);
});

Deno.test("playbook: a garbage response -> READ_RESPONSE -fail-> SEND_RESPONSE (502)", async () => {
  const p = play(answering("220 smtp.example ESMTP\r\n\r\n"));
  p.client.send("GET http://o.test/ HTTP/1.1\r\n\r\n");
  await p.run;
  assert.deepEqual(p.exchanges[0].path, [
    READ_REQUEST,
    SEND_REQUEST,
    READ_RESPONSE,
    SEND_RESPONSE,
    CLOSED,
  ]);
  assert.match(p.client.output, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
  assert.equal(p.exchanges[0].reason, "upstream-bad-response");
});

Deno.test("playbook: 100 Continue -> READ_RESPONSE -interim-> READ_RESPONSE", async () => {
  const origin = answering(
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
  );
  const p = play(origin);
  p.client.send(
    "POST http://o.test/ HTTP/1.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
  );
  await p.run;
  assert.deepEqual(p.exchanges[0].path, [
    READ_REQUEST,
    SEND_REQUEST,
    READ_RESPONSE,
    READ_RESPONSE,
    SEND_RESPONSE,
    CLOSED,
  ]);
  assert.match(
    p.client.output,
    /^HTTP\/1\.1 100 Continue\r\nVia: 1\.1 sluice\r\n\r\nHTTP\/1\.1 200 OK\r\n/,
  );
  assert.ok(origin.output.endsWith("\r\n\r\nabc"));
});

Deno.test("playbook: CONNECT -> SEND_REQUEST -tunnel-> TUNNEL -close-> CLOSED", async () => {
  const origin = new Peer();
  const p = play(origin);
  p.client.send("CONNECT o.test:443 HTTP/1.1\r\n\r\nclient-hello");
  while (!origin.output.includes("client-hello")) await new Promise((r) => setTimeout(r, 1));
  origin.send("server-hello");
  p.client.end();
  origin.end();
  await p.run;
  assert.deepEqual(p.exchanges[0].path, [READ_REQUEST, SEND_REQUEST, TUNNEL, CLOSED]);
  assert.equal(p.client.output, "HTTP/1.1 200 Connection Established\r\n\r\nserver-hello");
  assert.equal(origin.output, "client-hello");
  assert.ok(origin.writeClosed && p.client.writeClosed);
});

Deno.test("playbook: an Upgrade answered 101 -> READ_RESPONSE -upgrade-> TUNNEL -close-> CLOSED", async () => {
  const origin = answering(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nframe-from-origin",
  );
  const p = play(origin);
  p.client.send(
    "GET http://o.test/ws HTTP/1.1\r\nHost: o.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
  );
  while (!p.client.output.endsWith("frame-from-origin")) await new Promise((r) => setTimeout(r, 1));
  p.client.send("frame-from-client");
  while (!origin.output.endsWith("frame-from-client")) await new Promise((r) => setTimeout(r, 1));
  p.client.end();
  origin.end();
  await p.run;
  assert.deepEqual(p.exchanges[0].path, [
    READ_REQUEST,
    SEND_REQUEST,
    READ_RESPONSE,
    TUNNEL,
    CLOSED,
  ]);
  assert.match(
    origin.output,
    /^GET \/ws HTTP\/1\.1\r\nHost: o\.test\r\nUpgrade: websocket\r\n.*Connection: upgrade\r\n\r\n/s,
  );
  assert.equal(
    p.client.output,
    "HTTP/1.1 101 Switching Protocols\r\nVia: 1.1 sluice\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nframe-from-origin",
  );
  assert.equal(p.exchanges[0].status, 101);
});

Deno.test("playbook: an Upgrade answered 200 stays HTTP (READ_RESPONSE -head-> SEND_RESPONSE)", async () => {
  const origin = answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno");
  const p = play(origin);
  p.client.send(
    "GET http://o.test/ws HTTP/1.1\r\nHost: o.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
  );
  while (!p.client.output.endsWith("no")) await new Promise((r) => setTimeout(r, 1));
  p.client.end();
  await p.run;
  assert.deepEqual(p.exchanges[0].path.slice(0, 5), [
    READ_REQUEST,
    SEND_REQUEST,
    READ_RESPONSE,
    SEND_RESPONSE,
    READ_REQUEST,
  ]);
});

Deno.test("playbook: the client leaves mid-body -> READ_RESPONSE -close-> CLOSED, nothing answered", async () => {
  const origin = new Peer();
  const p = play(origin);
  p.client.send("POST http://o.test/ HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
  while (!origin.output.endsWith("abc")) await new Promise((r) => setTimeout(r, 1));
  p.client.end();
  await p.run;
  assert.deepEqual(p.exchanges[0].path, [READ_REQUEST, SEND_REQUEST, READ_RESPONSE, CLOSED]);
  assert.equal(p.exchanges[0].reason, "client-closed");
  assert.equal(p.client.output, "");
});

Deno.test("playbook: pipelined requests keep their leftover bytes between exchanges", async () => {
  let n = 0;
  const origins: Peer[] = [];
  const client = new Peer();
  const exchanges: Exchange[] = [];
  const ctx: ConnectionContext = {
    config: { ...DEFAULT_CONFIG, listen: [], connectPorts: null, logLevel: "error" },
    policy: new Policy(DEFAULT_CONFIG, null),
    draining: false,
    timers: new Timers(),
    pool: null,
    dial: () => {
      const o = answering(`HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n${++n}`);
      origins.push(o);
      return Promise.resolve(o);
    },
    observe: (ex) => exchanges.push(ex),
  };
  const run = new Connection(client, "test", ctx).run();
  client.send(
    "GET http://o.test/1 HTTP/1.1\r\n\r\nGET http://o.test/2 HTTP/1.1\r\n\r\nGET http://o.test/3 HTTP/1.1\r\nConnection: close\r\n\r\n",
  );
  await run;
  assert.equal(exchanges.length, 3);
  assert.deepEqual(client.output.match(/\r\n\r\n\d/g), ["\r\n\r\n1", "\r\n\r\n2", "\r\n\r\n3"]);
  assert.deepEqual(origins.map((o) => o.output.split(" ")[1]), ["/1", "/2", "/3"]);
});

Deno.test("playbook: the response head and the first body bytes leave in one write", async () => {
  const p = play(answering("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"));
  p.client.send("GET http://o.test/ HTTP/1.1\r\nConnection: close\r\n\r\n");
  await p.run;
  assert.match(p.client.output, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nhello$/);
  assert.equal(p.client.writes, 1);
});

Deno.test("playbook: a bad first chunk is found before the head leaves: 502, not a torn 200", async () => {
  const p = play(
    answering("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nbad\r\n0\r\n\r\n"),
  );
  p.client.send("GET http://o.test/ HTTP/1.1\r\n\r\n");
  await p.run;
  assert.match(p.client.output, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
  assert.deepEqual(p.exchanges[0].path, [
    READ_REQUEST,
    SEND_REQUEST,
    READ_RESPONSE,
    SEND_RESPONSE,
    CLOSED,
  ]);
  assert.equal(p.exchanges[0].status, 502);
});

Deno.test("playbook: a client that leaves between requests leaves its connection idle until it ends", async () => {
  const origin = answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
  const client = new Peer();
  const idleAtEnd: boolean[] = [];
  let conn: Connection | null = null;
  const ctx: ConnectionContext = {
    config: { ...DEFAULT_CONFIG, listen: [], logLevel: "error" },
    policy: new Policy(DEFAULT_CONFIG, null),
    draining: false,
    timers: new Timers(),
    pool: null,
    dial: () => Promise.resolve(origin),
    // the second exchange ends at the client's FIN: admission, looking now,
    // must see an idle connection (its slot may go to a newcomer) not a busy one
    observe: (ex) => {
      if (ex.seq === 2) idleAtEnd.push(conn!.idle && conn!.idleSince >= 0);
    },
  };
  conn = new Connection(client, "test", ctx);
  const run = conn.run();
  client.send("GET http://o.test/a HTTP/1.1\r\nHost: o.test\r\n\r\n");
  while (!client.output.endsWith("hi")) await new Promise((r) => setTimeout(r, 1));
  client.end();
  await run;
  assert.deepEqual(idleAtEnd, [true]);
});
