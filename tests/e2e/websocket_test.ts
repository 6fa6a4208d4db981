/**
 * WebSocket through the forward proxy (absolute-form `GET` with `Upgrade`):
 * a real `Deno.serve` + `Deno.upgradeWebSocket` echo origin, and a client
 * speaking the protocol by hand (Deno's `WebSocket` cannot use an HTTP
 * proxy): the handshake, text and binary both ways, a 10 MiB message,
 * ping/pong, and a close handshake started by each side. Also: a non-101
 * answer keeps the connection HTTP, and `h2c` is not carried.
 *
 * @module
 */

import assert from "node:assert/strict";
import { bytes, delay, text, withSpawnedProxy } from "./harness.ts";
import { acceptFor, encodeFrame, FrameReader } from "./ws_frames.ts";

const ARGS = ["--listen", "127.0.0.1:0", "--log-level", "warning"];

/** An echo origin; a message "close-please" makes the server start the close handshake. */
function echoOrigin() {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    (req) => {
      if (req.headers.get("upgrade") !== "websocket") {
        return new Response("plain http", {
          headers: { "x-seen-upgrade": String(req.headers.get("upgrade")) },
        });
      }
      const { socket, response } = Deno.upgradeWebSocket(req);
      socket.onmessage = (e) => {
        if (e.data === "close-please") socket.close(4000, "server says bye");
        else socket.send(e.data);
      };
      return response;
    },
  );
  return {
    port: server.addr.port,
    close: async () => {
      ac.abort();
      await server.finished;
    },
  };
}

async function handshake(proxyPort: number, originPort: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxyPort });
  const key = btoa("sluice-ws-test!!");
  await conn.write(bytes(
    `GET http://127.0.0.1:${originPort}/ws HTTP/1.1\r\nHost: 127.0.0.1:${originPort}\r\n` +
      `Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`,
  ));
  let buf = new Uint8Array(0);
  const chunk = new Uint8Array(4096);
  let end = -1;
  while (end < 0) {
    const n = await conn.read(chunk);
    assert.ok(n !== null, "closed before the 101");
    const next = new Uint8Array(buf.length + n);
    next.set(buf);
    next.set(chunk.subarray(0, n), buf.length);
    buf = next;
    end = text(buf).indexOf("\r\n\r\n");
  }
  const head = text(buf.subarray(0, end));
  assert.match(head, /^HTTP\/1\.1 101 /);
  assert.match(head, /\r\nupgrade: websocket(\r\n|$)/i);
  assert.match(head, /\r\nconnection: upgrade(\r\n|$)/i);
  assert.match(head, /\r\nVia: 1\.1 sluice/);
  const accept = /sec-websocket-accept: (\S+)/i.exec(head)?.[1];
  assert.equal(accept, await acceptFor(key));
  return { conn, frames: new FrameReader(conn, buf.slice(end + 4)) };
}

Deno.test("websocket through the forward proxy: text, binary, 10 MiB, ping/pong, close from the client", async () => {
  const origin = echoOrigin();
  try {
    await withSpawnedProxy(["--listen", "127.0.0.1:0", "--log-level", "info"], async (p) => {
      const { conn, frames } = await handshake(p.port, origin.port);
      try {
        await conn.write(encodeFrame(1, bytes("hello")));
        let f = await frames.next();
        assert.deepEqual([f.opcode, text(f.payload)], [1, "hello"]);
        const bin = new Uint8Array([0, 1, 2, 255, 254]);
        await conn.write(encodeFrame(2, bin));
        f = await frames.next();
        assert.deepEqual([f.opcode, [...f.payload]], [2, [...bin]]);
        const big = new Uint8Array(10 << 20).map((_, i) => (i * 31) & 255);
        const writing = conn.write(encodeFrame(2, big)).then(async (n) => {
          const all = encodeFrame(2, big);
          for (let off = n; off < all.length;) off += await conn.write(all.subarray(off));
        });
        f = await frames.next();
        await writing;
        assert.equal(f.payload.length, big.length);
        assert.deepEqual(f.payload, big);
        await conn.write(encodeFrame(9, bytes("are you there")));
        f = await frames.next();
        assert.deepEqual([f.opcode, text(f.payload)], [10, "are you there"]);
        const closing = new Uint8Array([0x03, 0xe8, ...bytes("client bye")]); // 1000
        await conn.write(encodeFrame(8, closing));
        f = await frames.next();
        assert.equal(f.opcode, 8);
        assert.equal((f.payload[0] << 8) | f.payload[1], 1000);
      } finally {
        conn.close();
      }
      await delay(100);
      assert.match(p.log(), /GET http:\/\/127\.0\.0\.1:\d+\/ws 101 /);
    });
  } finally {
    await origin.close();
  }
});

Deno.test("websocket through the forward proxy: a close handshake started by the server", async () => {
  const origin = echoOrigin();
  try {
    await withSpawnedProxy(ARGS, async (p) => {
      const { conn, frames } = await handshake(p.port, origin.port);
      try {
        await conn.write(encodeFrame(1, bytes("close-please")));
        const f = await frames.next();
        assert.equal(f.opcode, 8);
        assert.equal((f.payload[0] << 8) | f.payload[1], 4000);
        assert.equal(text(f.payload.subarray(2)), "server says bye");
        await conn.write(encodeFrame(8, f.payload.subarray(0, 2)));
        // the origin ends the TCP connection; the tunnel passes the FIN on
        const rest = new Uint8Array(16);
        assert.equal(await conn.read(rest), null);
      } finally {
        conn.close();
      }
    });
  } finally {
    await origin.close();
  }
});

Deno.test("upgrade refused by the origin stays HTTP; h2c is never carried", async () => {
  const origin = echoOrigin();
  try {
    await withSpawnedProxy(ARGS, async (p) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: p.port });
      try {
        await conn.write(bytes(
          `GET http://127.0.0.1:${origin.port}/x HTTP/1.1\r\nHost: 127.0.0.1:${origin.port}\r\n` +
            `Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n`,
        ));
        const buf = new Uint8Array(4096);
        let got = "";
        while (!got.includes("plain http")) {
          const n = await conn.read(buf);
          if (n === null) break;
          got += text(buf.subarray(0, n));
        }
        assert.match(got, /^HTTP\/1\.1 200 /);
        assert.match(got, /x-seen-upgrade: null/i, "no Upgrade reached the origin");
        // the connection is still HTTP: a second request works
        await conn.write(
          bytes(`GET http://127.0.0.1:${origin.port}/y HTTP/1.1\r\nHost: x\r\n\r\n`),
        );
        got = "";
        while (!got.includes("plain http")) {
          const n = await conn.read(buf);
          if (n === null) break;
          got += text(buf.subarray(0, n));
        }
        assert.match(got, /^HTTP\/1\.1 200 /);
      } finally {
        conn.close();
      }
    });
  } finally {
    await origin.close();
  }
});
