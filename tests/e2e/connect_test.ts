import assert from "node:assert/strict";
import { bytes, rawOrigin, readAll, readHead, text, withProxy } from "./harness.ts";

Deno.test("CONNECT tunnels to an echo server; a half-close passes through, the other way keeps flowing", async () => {
  const echo = rawOrigin(async (conn) => {
    const buf = new Uint8Array(1024);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      await conn.write(buf.subarray(0, n));
    }
    // client finished sending: this direction still works after its FIN
    await conn.write(bytes("|bye after your FIN"));
    await conn.closeWrite();
  });
  try {
    await withProxy(async (p) => {
      const c = await Deno.connect({ hostname: "127.0.0.1", port: p.port });
      try {
        await c.write(
          bytes(
            `CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\nHost: 127.0.0.1:${echo.port}\r\n\r\nearly`,
          ),
        );
        const { head, rest } = await readHead(c);
        assert.equal(head, "HTTP/1.1 200 Connection Established\r\n\r\n");
        await c.write(bytes("-hello"));
        await c.closeWrite();
        const all = text(await readAll(c, rest));
        assert.equal(all, "early-hello|bye after your FIN");
      } finally {
        c.close();
      }
    }, { connectPorts: null });
  } finally {
    await echo.close();
  }
});

Deno.test("CONNECT to a refused port -> 502, the tunnel never opens", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  await withProxy(async (p) => {
    const c = await Deno.connect({ hostname: "127.0.0.1", port: p.port });
    try {
      await c.write(bytes(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\n\r\n`));
      const all = text(await readAll(c));
      assert.match(all, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
    } finally {
      c.close();
    }
  }, { connectPorts: null });
});
