import assert from "node:assert/strict";
import { bytes, delay, rawOrigin, readHead, withProxy } from "./harness.ts";

const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

Deno.test("a 1 GiB response to a client that stops reading is not buffered: the origin is held back", async () => {
  let written = 0;
  const chunk = new Uint8Array(256 * 1024);
  const origin = rawOrigin(async (conn) => {
    await readHead(conn);
    await conn.write(bytes(`HTTP/1.1 200 OK\r\nContent-Length: ${GiB}\r\n\r\n`));
    while (written < GiB) written += await conn.write(chunk);
  });
  try {
    await withProxy(async (p) => {
      const c = await Deno.connect({ hostname: "127.0.0.1", port: p.port });
      try {
        await c.write(bytes(`GET http://127.0.0.1:${origin.port}/huge HTTP/1.1\r\n\r\n`));
        const buf = new Uint8Array(64 * 1024);
        let read = 0;
        while (read < 4 * MiB) read += (await c.read(buf)) ?? 0;
        const rssBefore = Deno.memoryUsage().rss;
        // the client stops reading: whatever the origin still manages to send sits in
        // kernel socket buffers and the proxy's one 64 KiB buffer, nowhere else
        await delay(1500);
        const stalled = written;
        await delay(500);
        assert.ok(
          written - stalled < 1 * MiB,
          `origin kept writing while the client was stalled: ${written - stalled}`,
        );
        assert.ok(written - read < 64 * MiB, `proxy buffered ${(written - read) / MiB} MiB`);
        // a slow reader: read 64 MiB more in small steps, memory stays flat
        while (read < 68 * MiB) read += (await c.read(buf)) ?? 0;
        const growth = Deno.memoryUsage().rss - rssBefore;
        assert.ok(growth < 48 * MiB, `RSS grew by ${(growth / MiB).toFixed(1)} MiB`);
      } finally {
        c.close();
      }
    });
  } finally {
    await origin.close();
  }
});
