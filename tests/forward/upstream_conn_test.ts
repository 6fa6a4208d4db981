import assert from "node:assert/strict";
import { ByteBuffer } from "../../lib/buffer.ts";
import { type Duplex, Exchange } from "../../lib/exchange.ts";
import { adoptPooled, HEAD_ROOM, poolKey } from "../../lib/forward/upstream_conn.ts";

const conn: Duplex = {
  read: () => Promise.resolve(null),
  write: (p: Uint8Array) => Promise.resolve(p.length),
  closeWrite: () => Promise.resolve(),
  close: () => {},
};

Deno.test("poolKey: host:port, the same string each time, per host and port", () => {
  const a = poolKey("example.com", 80);
  assert.equal(a, "example.com:80");
  assert.equal(poolKey("example.com", 80), a);
  assert.equal(poolKey("example.com", 8080), "example.com:8080");
  assert.equal(poolKey("::1", 80), "::1:80"); // a key, not an authority: never parsed back
  // more hosts than it remembers: still right
  for (let i = 0; i < 1100; i++) assert.equal(poolKey(`h${i}`, 1), `h${i}:1`);
  assert.equal(poolKey("example.com", 80), "example.com:80");
});

Deno.test("adoptPooled: the pooled socket, buffer and pending read become the exchange's upstream", async () => {
  const ex = new Exchange(1);
  const buf = new ByteBuffer(1024, HEAD_ROOM);
  const pending = Promise.resolve(7);
  const server = adoptPooled(ex, { conn, buf, pending, since: 0, idle: false });
  assert.equal(server.conn, conn);
  assert.equal(server.buf, buf);
  assert.equal(server.side, "upstream");
  assert.equal(server.pending, pending);
  assert.equal(ex.server, server);
  assert.equal(ex.reused, true);
  assert.equal(await server.pending, 7);
});
