/**
 * The file server under awkward clients, through the real CLI and raw
 * sockets: a request arriving a byte at a time, pipelined requests answered
 * in order, HTTP/1.0 (closed after, or kept with keep-alive), a client that
 * reads slowly (the body streams through bounded windows with backpressure
 * and arrives intact) and 50 parallel downloads, half through a symlink,
 * every one byte-identical.
 */

import assert from "node:assert/strict";
import { assertAccessLine, delay, randomBytes, RawClient, sha256, text } from "./harness.ts";
import { download, makeFixture } from "./files_fixture.ts";

const MiB = 1024 * 1024;

Deno.test("files under awkward clients: byte by byte, pipelined, HTTP/1.0, slow, parallel", async (t) => {
  const fx = await makeFixture("files-robust");
  try {
    const slow = randomBytes(8 * MiB, 11);
    const parts = [0, 1, 2, 3, 4].map((i) => randomBytes(2 * MiB, 100 + i));
    const files: Record<string, Uint8Array | string> = {
      "a.txt": "alpha",
      "b.txt": "bravo!",
      "c/index.html": "<p>c</p>",
      "slow.bin": slow,
    };
    for (const [i, b] of parts.entries()) files[`data/f${i}.bin`] = b;
    await fx.write(files);
    await Deno.symlink("data", `${fx.root}/linked`);
    const sums = await Promise.all(parts.map((b) => sha256(b)));

    await fx.serve([], async (p) => {
      await t.step("a request written one byte at a time gets its file", async () => {
        const c = await RawClient.connect(p.port);
        try {
          c.conn.setNoDelay(true);
          const req = "GET /b.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: drip\r\n\r\n";
          for (const ch of req) {
            await c.write(ch);
            await delay(2);
          }
          const r = await c.read();
          assert.equal(r.status, 200);
          assert.equal(text(r.body), "bravo!");
          // the connection goes on
          await c.write("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
          assert.equal(text((await c.read()).body), "alpha");
        } finally {
          c.close();
        }
        await assertAccessLine(p, "GET /b\\.txt 200 .*");
      });

      await t.step("three pipelined GETs in one write: three responses in order", async () => {
        const c = await RawClient.connect(p.port);
        try {
          await c.write(
            "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n" +
              "GET /b.txt HTTP/1.1\r\nHost: x\r\n\r\n" +
              "GET /c/ HTTP/1.1\r\nHost: x\r\n\r\n",
          );
          const bodies = [];
          for (let i = 0; i < 3; i++) {
            const r = await c.read();
            assert.equal(r.status, 200);
            bodies.push(text(r.body));
          }
          assert.deepEqual(bodies, ["alpha", "bravo!", "<p>c</p>"]);
          // a 404, a 301, a HEAD and a range between them change nothing
          await c.write(
            "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n" +
              "GET /c HTTP/1.1\r\nHost: x\r\n\r\n" +
              "HEAD /slow.bin HTTP/1.1\r\nHost: x\r\n\r\n" +
              "GET /slow.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=10-19\r\n\r\n" +
              "GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
          );
          assert.equal((await c.read()).status, 404);
          assert.equal((await c.read()).headers.get("location"), "/c/");
          const head = await c.read({ head: true });
          assert.equal(head.headers.get("content-length"), String(8 * MiB));
          const range = await c.read();
          assert.equal(range.status, 206);
          assert.deepEqual(range.body, slow.subarray(10, 20));
          const last = await c.read();
          assert.equal(text(last.body), "alpha");
          assert.equal(last.headers.get("connection"), "close");
          assert.ok(await c.closedWithin(2000), "closed after Connection: close");
        } finally {
          c.close();
        }
      });

      await t.step("HTTP/1.0: answered, then closed; with keep-alive, kept", async () => {
        const c = await RawClient.connect(p.port);
        try {
          await c.write("GET /a.txt HTTP/1.0\r\n\r\n");
          const r = await c.read();
          assert.equal(r.status, 200);
          assert.equal(text(r.body), "alpha");
          assert.notEqual(r.headers.get("connection"), "keep-alive");
          assert.ok(await c.closedWithin(2000), "an HTTP/1.0 exchange closes the connection");
        } finally {
          c.close();
        }
        const k = await RawClient.connect(p.port);
        try {
          await k.write("GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
          const r = await k.read();
          assert.equal(r.headers.get("connection"), "keep-alive");
          await k.write("GET /b.txt HTTP/1.0\r\n\r\n");
          assert.equal(text((await k.read()).body), "bravo!");
          assert.ok(await k.closedWithin(2000));
        } finally {
          k.close();
        }
      });

      await t.step("a slow reader gets 8 MiB byte-identical", async () => {
        const got = await download(p.port, "/slow.bin", {
          chunk: 16 * 1024,
          pauseMs: 1,
          longEvery: 64,
          longPauseMs: 60,
        });
        assert.equal(got.length, slow.length);
        assert.equal(await sha256(got), await sha256(slow));
        // out= counts the head and every body byte (8 MiB is 8388608)
        await assertAccessLine(p, "GET /slow\\.bin 200 in=\\d+ out=838[89]\\d{3} .*");
      });

      await t.step("50 parallel 2 MiB downloads, half through a symlink, all intact", async () => {
        const paths = Array.from(
          { length: 50 },
          (_, i) => `/${i % 2 === 0 ? "data" : "linked"}/f${i % 5}.bin`,
        );
        const got = await Promise.all(paths.map((path) => download(p.port, path)));
        for (const [i, body] of got.entries()) {
          assert.equal(await sha256(body), sums[i % 5], paths[i]);
        }
        await assertAccessLine(p, "GET /linked/f4\\.bin 200 .*");
      });
    }, { watchdogMs: 40_000 });
  } finally {
    await fx.remove();
  }
});
