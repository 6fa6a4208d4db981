/**
 * The cache's handling of staleness through the real CLI and curl:
 * `stale-while-revalidate` answers at once and refreshes in the background,
 * `stale-if-error` covers an origin's 503, a 304 freshens the stored
 * response, and `only-if-cached` with nothing stored is a 504.
 *
 * @module
 */

import assert from "node:assert/strict";
import { bytes, delay, RawClient, rawOrigin, readHead, text, withSpawnedProxy } from "./harness.ts";
import { get, PROXY_ARGS, scriptedOrigin } from "./cache_fixture.ts";
import { curl } from "./harness.ts";

Deno.test("cache stale: stale-while-revalidate serves the stale body at once and refreshes it behind", async () => {
  let version = 1;
  const origin = scriptedOrigin(() => ({
    // the refreshed response stays fresh for the rest of the test, however slow the machine
    fields: [["Cache-Control", `max-age=${version > 1 ? 60 : 1}, stale-while-revalidate=60`]],
    body: bytes(`v${version}`),
    delayMs: version > 1 ? 400 : 0, // the refresh is slow: the client must not wait for it
  }));
  try {
    await withSpawnedProxy(PROXY_ARGS, async (p) => {
      const url = `http://127.0.0.1:${origin.port}/swr`;
      assert.equal(text((await get(p, url)).body), "v1");
      version = 2;
      await delay(2100); // stale now (Age 2 > max-age 1), well inside the window
      const t0 = performance.now();
      const stale = await get(p, url);
      const ms = performance.now() - t0;
      assert.equal(text(stale.body), "v1");
      assert.match(stale.headers.get("cache-status") ?? "", /hit;.*detail=stale-while-revalidate/);
      assert.ok(ms < 350, `answered in ${ms.toFixed(0)} ms, not after the slow origin`);
      for (let i = 0; i < 40 && origin.requests < 2; i++) await delay(50);
      assert.equal(origin.requests, 2, "one background request");
      await delay(600); // the slow refresh lands
      const fresh = await get(p, url);
      assert.equal(text(fresh.body), "v2");
      assert.match(fresh.headers.get("cache-status") ?? "", /hit/);
      assert.equal(origin.requests, 2);
    });
  } finally {
    await origin.close();
  }
});

Deno.test("cache stale: stale-if-error answers an origin's 503 with the stored response; a 304 freshens it", async () => {
  let mode: "ok" | "down" | "same" = "ok";
  const origin = scriptedOrigin(() =>
    mode === "down"
      ? { status: 503, fields: [], body: bytes("down") }
      : mode === "same"
      ? { status: 304, fields: [["ETag", '"a"'], ["Cache-Control", "max-age=60"]], body: bytes("") }
      : {
        fields: [["ETag", '"a"'], ["Cache-Control", "max-age=1, stale-if-error=60"]],
        body: bytes("stored"),
      }
  );
  try {
    await withSpawnedProxy(PROXY_ARGS, async (p) => {
      const url = `http://127.0.0.1:${origin.port}/sie`;
      assert.equal(text((await get(p, url)).body), "stored");
      await delay(2100);
      mode = "down";
      const r = await get(p, url);
      assert.equal(r.status, 200);
      assert.equal(text(r.body), "stored");
      assert.match(r.headers.get("cache-status") ?? "", /fwd=stale; fwd-status=503/);
      mode = "same";
      const v = await get(p, url);
      assert.equal(v.status, 200);
      assert.equal(text(v.body), "stored");
      assert.match(v.headers.get("cache-status") ?? "", /fwd=stale; fwd-status=304/);
      assert.match(origin.lines.at(-1) ?? "", /^GET \/sie /);
      const hit = await get(p, url);
      assert.match(hit.headers.get("cache-status") ?? "", /hit/, "freshened for 60 s by the 304");
      assert.equal(origin.requests, 3);
    });
  } finally {
    await origin.close();
  }
});

Deno.test("cache stale: only-if-cached with nothing stored is 504 not-cached, and the origin is not asked", async () => {
  const origin = scriptedOrigin(() => ({ fields: [], body: bytes("x") }));
  try {
    await withSpawnedProxy(PROXY_ARGS, async (p) => {
      const out = await curl([
        "-x",
        `http://127.0.0.1:${p.port}`,
        "-H",
        "Cache-Control: only-if-cached",
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        `http://127.0.0.1:${origin.port}/none`,
      ]);
      assert.equal(text(out.stdout), "504");
      assert.equal(origin.requests, 0);
    });
  } finally {
    await origin.close();
  }
});

Deno.test("cache fill: the first client leaving mid-body does not abort the fill another request waits on", async () => {
  const size = 512 * 1024;
  const body = new Uint8Array(size).map((_, i) => (i * 7) & 255);
  let requests = 0;
  const origin = rawOrigin(async (conn) => {
    await readHead(conn);
    requests++;
    await conn.write(
      bytes(`HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: ${size}\r\n\r\n`),
    );
    await conn.write(body.subarray(0, 64 * 1024));
    await delay(600); // the first client leaves, the second waits, meanwhile
    for (let o = 64 * 1024; o < size; o += 64 * 1024) {
      await conn.write(body.subarray(o, o + 64 * 1024));
    }
  });
  try {
    await withSpawnedProxy(PROXY_ARGS, async (p) => {
      const url = `http://127.0.0.1:${origin.port}/big`;
      const req = `GET ${url} HTTP/1.1\r\nHost: 127.0.0.1:${origin.port}\r\n\r\n`;
      const first = await Deno.connect({ hostname: "127.0.0.1", port: p.port });
      await first.write(bytes(req));
      const some = new Uint8Array(1024);
      assert.ok((await first.read(some)) ?? 0 > 0, "the first client gets the start");
      const second = await RawClient.connect(p.port);
      try {
        await second.write(req);
        await delay(100); // the second is waiting on the fill
        first.close(); // and the first leaves
        const r = await second.read();
        assert.equal(r.status, 200);
        assert.equal(r.body.length, size);
        assert.deepEqual(r.body, body);
        assert.match(r.headers.get("cache-status") ?? "", /collapsed/);
      } finally {
        second.close();
      }
      const again = await get(p, url);
      assert.match(again.headers.get("cache-status") ?? "", /hit/, "the fill was stored");
      assert.deepEqual(again.body, body);
      assert.equal(requests, 1);
    });
  } finally {
    await origin.close();
  }
});

Deno.test("cache: a body over --cache-max-object streams past and is not stored", async () => {
  const big = new Uint8Array(100_000).fill(65);
  const origin = scriptedOrigin(() => ({ fields: [["Cache-Control", "max-age=60"]], body: big }));
  try {
    await withSpawnedProxy([...PROXY_ARGS, "--cache-max-object", "64KiB"], async (p) => {
      const url = `http://127.0.0.1:${origin.port}/big`;
      const a = await get(p, url);
      assert.equal(a.body.length, 100_000);
      assert.match(a.headers.get("cache-status") ?? "", /detail=too-large/);
      const b = await get(p, url);
      assert.equal(b.body.length, 100_000);
      assert.equal(origin.requests, 2);
    });
  } finally {
    await origin.close();
  }
});
