/** tunnel() from lib/relay.ts: copying both ways, half-closes and errors. */

import assert from "node:assert/strict";
import { Exchange } from "../lib/exchange.ts";
import { tunnel } from "../lib/relay.ts";
import { endpoint, noise, preload, rejectsProxy } from "./relay_helpers.ts";

// ---------------------------------------------------------------------------
// tunnel

Deno.test("tunnel: copies both ways and passes each EOF on as a half-close", async () => {
  const ex = new Exchange(1);
  const log: string[] = [];
  const up = "client says hello, this is longer than the buffer";
  const down = "server answers with a reply that is also long enough";
  const [client, cConn] = endpoint("client", { input: [up], log, maxWrite: 5 });
  // The server only ends its stream once it saw the client's FIN.
  const [server, sConn] = endpoint("upstream", {
    input: [down],
    log,
    maxWrite: 7,
    eofAfterCloseWrite: true,
  });
  await tunnel(client, server, ex);
  assert.equal(sConn.writtenText, up);
  assert.equal(cConn.writtenText, down);
  assert.equal(sConn.closeWriteCalls, 1);
  assert.equal(cConn.closeWriteCalls, 1);
  assert.equal(cConn.closeCalls, 0);
  assert.equal(sConn.closeCalls, 0);
  assert.ok(log.indexOf("upstream:closeWrite") > log.indexOf("client:eof"));
  assert.ok(log.indexOf("client:closeWrite") > log.indexOf("upstream:eof"));
  assert.ok(log.indexOf("upstream:eof") > log.indexOf("upstream:closeWrite"));
  assert.equal(ex.clientRead, up.length);
  assert.equal(ex.serverToWrite, up.length);
  assert.equal(ex.serverWritten, up.length);
  assert.equal(ex.serverRead, down.length);
  assert.equal(ex.clientWritten, down.length);
});

Deno.test("tunnel: bytes already buffered on either side go first", async () => {
  const ex = new Exchange(1);
  const [client, cConn] = endpoint("client", { input: ["-more-up"] });
  const [server, sConn] = endpoint("upstream", { input: ["-more-down"] });
  preload(client, "early-up");
  preload(server, "early-dn");
  await tunnel(client, server, ex);
  assert.equal(sConn.writtenText, "early-up-more-up");
  assert.equal(cConn.writtenText, "early-dn-more-down");
  assert.equal(client.buf.length, 0);
  assert.equal(server.buf.length, 0);
});

Deno.test("tunnel: binary data of many buffers is copied intact both ways", async () => {
  const ex = new Exchange(1);
  const up = noise(2000, 5);
  const down = noise(3000, 9);
  const split = (d: Uint8Array) => [d.subarray(0, 777), d.subarray(777, 1500), d.subarray(1500)];
  const [client, cConn] = endpoint("client", { input: split(up), maxWrite: 13 });
  const [server, sConn] = endpoint("upstream", { input: split(down), maxWrite: 11 });
  await tunnel(client, server, ex);
  assert.deepEqual(sConn.written, up);
  assert.deepEqual(cConn.written, down);
});

Deno.test("tunnel: a read error on one side closes both and rejects", async () => {
  const ex = new Exchange(1);
  const log: string[] = [];
  const cause = new Deno.errors.ConnectionReset("reset");
  const [client, cConn] = endpoint("client", { input: ["partial"], readError: cause, log });
  // The server never sends anything nor closes: only the close() ends its read.
  const [server, sConn] = endpoint("upstream", { hang: true, log });
  const err = await rejectsProxy(tunnel(client, server, ex), 400, "client-closed");
  assert.equal(err.cause, cause);
  assert.equal(client.closed, true);
  assert.equal(server.closed, true);
  assert.equal(cConn.closeCalls, 1);
  assert.equal(sConn.closeCalls, 1);
  assert.equal(sConn.writtenText, "partial");
  // No half-close is sent after an error.
  assert.equal(sConn.closeWriteCalls, 0);
});

Deno.test("tunnel: a write error on the upstream side closes both and rejects", async () => {
  const ex = new Exchange(1);
  const [client, cConn] = endpoint("client", { input: ["data"], hang: true });
  const [server, sConn] = endpoint("upstream", {
    input: ["reply"],
    hang: true,
    writeError: new Deno.errors.BrokenPipe("pipe"),
  });
  await rejectsProxy(tunnel(client, server, ex), 502, "upstream-closed", /writing/);
  assert.equal(cConn.closeCalls, 1);
  assert.equal(sConn.closeCalls, 1);
});

Deno.test("tunnel: an error from closeWrite is ignored", async () => {
  const ex = new Exchange(1);
  const [client, cConn] = endpoint("client", { input: ["a"] });
  const [server, sConn] = endpoint("upstream", { input: ["b"] });
  sConn.closeWrite = () => Promise.reject(new Deno.errors.NotConnected("gone"));
  await tunnel(client, server, ex);
  assert.equal(sConn.writtenText, "a");
  assert.equal(cConn.writtenText, "b");
  assert.equal(cConn.closeWriteCalls, 1);
});
