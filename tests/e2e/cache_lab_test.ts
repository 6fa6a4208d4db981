/**
 * The shared cache in the lab: the real CLI (spawned as `deno task serve`
 * runs it), real curl and scripted raw origins.
 *
 * - Responses with nothing but Content-Length and Content-Type (no Date, no
 *   validators, no Cache-Control) are stored; once the origin is gone
 *   (listener closed, connections refused) they are served, byte-identical,
 *   with 200: three sizes (1 KiB text, 200 KiB binary, empty), then 21 URLs.
 * - 1000 simultaneous requests for one cacheable URL make one origin request.
 * - Ten simultaneous requests for an uncacheable (`no-store`) slow URL are not
 *   queued behind each other.
 * - PURGE from an `--allow-purge` client drops the entry; without the flag it
 *   gets 405.
 *
 * @module
 */

import assert from "node:assert/strict";
import { bytes, findSeq, randomBytes, RawClient, text, withSpawnedProxy } from "./harness.ts";

import { type Answer, bare, get, PROXY_ARGS, scriptedOrigin, stopOrigin } from "./cache_fixture.ts";

Deno.test("cache lab: three bare responses (1 KiB, 200 KiB, empty) are served after the origin is gone", async () => {
  const files: Record<string, Answer> = {
    "/note.txt": bare("text/plain", bytes("0123456789abcdef".repeat(64))),
    "/blob.bin": bare("application/octet-stream", randomBytes(200 * 1024, 7)),
    "/empty": bare("text/plain", new Uint8Array(0)),
  };
  const origin = scriptedOrigin((_, target) =>
    files[target] ?? { status: 404, fields: [], body: bytes("no") }
  );
  try {
    await withSpawnedProxy(PROXY_ARGS, async (p) => {
      const base = `http://127.0.0.1:${origin.port}`;
      const first = new Map<string, string | undefined>();
      for (const [path, a] of Object.entries(files)) {
        const r = await get(p, base + path);
        assert.equal(r.status, 200, path);
        assert.deepEqual(r.body, a.body, path);
        first.set(path, r.headers.get("cache-status"));
      }
      assert.equal(origin.requests, 3);
      await stopOrigin(origin);
      for (const [path, a] of Object.entries(files)) {
        const r = await get(p, base + path);
        assert.equal(
          r.status,
          200,
          `${path} with the origin gone (first fetch: Cache-Status ${first.get(path)})`,
        );
        assert.equal(r.body.length, a.body.length, path);
        assert.deepEqual(r.body, a.body, path);
      }
    });
  } finally {
    await origin.close();
  }
});

Deno.test("cache lab: 21 distinct URLs are all served after the origin is gone", async () => {
  const body = (path: string) => bytes(`${path}\n`.repeat(1 + path.length * 3));
  const origin = scriptedOrigin((_, target) => bare("text/plain", body(target)));
  try {
    await withSpawnedProxy(PROXY_ARGS, async (p) => {
      const paths = Array.from({ length: 21 }, (_, i) => `/page/${i}`);
      const base = `http://127.0.0.1:${origin.port}`;
      const first: string[] = [];
      for (const path of paths) {
        const r = await get(p, base + path);
        assert.equal(r.status, 200, path);
        assert.deepEqual(r.body, body(path), path);
        first.push(r.headers.get("cache-status") ?? "no Cache-Status");
      }
      assert.equal(origin.requests, 21);
      await stopOrigin(origin);
      const served: string[] = [];
      for (const path of paths) {
        const r = await get(p, base + path);
        if (r.status === 200 && text(r.body) === text(body(path))) served.push(path);
      }
      assert.deepEqual(
        served,
        paths,
        `every URL served with the origin gone (first fetches: ${[...new Set(first)].join(", ")})`,
      );
    });
  } finally {
    await origin.close();
  }
});

/** Sends `GET url` on each of `n` fresh connections at once; resolves to the responses. */
async function simultaneous(proxyPort: number, url: string, n: number) {
  const host = new URL(url).host;
  const settled = await Promise.allSettled(
    Array.from({ length: n }, () => RawClient.connect(proxyPort)),
  );
  const clients = settled.flatMap((s) => s.status === "fulfilled" ? [s.value] : []);
  try {
    assert.equal(clients.length, n, "every connection opened");
    const req = bytes(`GET ${url} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    return await Promise.all(clients.map(async (c) => {
      await c.write(req);
      return await c.read();
    }));
  } finally {
    for (const c of clients) c.close();
  }
}

Deno.test("cache lab: 1000 simultaneous misses for one URL make one origin request", async () => {
  const payload = randomBytes(4096, 11);
  const origin = scriptedOrigin(() => ({
    fields: [["Content-Type", "application/octet-stream"], ["Cache-Control", "max-age=60"]],
    body: payload,
    delayMs: 300,
  }));
  try {
    await withSpawnedProxy(
      PROXY_ARGS,
      async (p) => {
        const t0 = performance.now();
        const rs = await simultaneous(p.port, `http://127.0.0.1:${origin.port}/one`, 1000);
        const ms = performance.now() - t0;
        const bad = rs.filter((r) =>
          r.status !== 200 || findSeq(r.body, payload) !== 0 ||
          r.body.length !== payload.length
        );
        assert.equal(bad.length, 0, `${bad.length} wrong responses, first: ${bad[0]?.head}`);
        assert.equal(origin.requests, 1, `origin requests: ${origin.lines.join(" | ")}`);
        assert.ok(ms < 5000, `1000 collapsed requests took ${ms.toFixed(0)} ms`);
      },
      undefined,
      60_000,
    );
  } finally {
    await origin.close();
  }
});

Deno.test("cache lab: ten simultaneous requests for a slow no-store URL are not queued one behind another", async () => {
  const origin = scriptedOrigin(() => ({
    fields: [["Content-Type", "text/plain"], ["Cache-Control", "no-store"]],
    body: bytes("slow and private\n"),
    delayMs: 500,
  }));
  try {
    await withSpawnedProxy(PROXY_ARGS, async (p) => {
      const t0 = performance.now();
      const rs = await simultaneous(p.port, `http://127.0.0.1:${origin.port}/slow`, 10);
      const ms = performance.now() - t0;
      for (const r of rs) {
        assert.equal(r.status, 200);
        assert.equal(text(r.body), "slow and private\n");
      }
      assert.equal(origin.requests, 10, "each request went to the origin (no-store)");
      assert.ok(ms < 1500, `ten no-store requests took ${ms.toFixed(0)} ms (one takes 500)`);
    });
  } finally {
    await origin.close();
  }
});

Deno.test("cache lab: PURGE from an --allow-purge client drops the entry; without the flag, 405", async () => {
  const origin = scriptedOrigin(() => ({
    fields: [["Content-Type", "text/plain"], ["Cache-Control", "max-age=60"]],
    body: bytes("purge me\n"),
  }));
  try {
    const url = `http://127.0.0.1:${origin.port}/purgeable`;
    await withSpawnedProxy([...PROXY_ARGS, "--allow-purge", "127.0.0.1/32"], async (p) => {
      assert.equal((await get(p, url)).status, 200);
      const hit = await get(p, url);
      assert.equal(hit.status, 200);
      assert.equal(origin.requests, 1, "the second GET is a hit");
      assert.match(hit.headers.get("cache-status") ?? "", /^sluice; hit/);
      const purged = await get(p, url, "PURGE");
      assert.equal(purged.status, 200, `PURGE: ${text(purged.body)}`);
      const after = await get(p, url);
      assert.equal(after.status, 200);
      assert.equal(text(after.body), "purge me\n");
      assert.equal(origin.requests, 2, "the GET after PURGE went to the origin");
      assert.match(after.headers.get("cache-status") ?? "", /^sluice; fwd=/);
    });
    await withSpawnedProxy(PROXY_ARGS, async (p) => {
      assert.equal((await get(p, url)).status, 200);
      const before = origin.requests;
      const refused = await get(p, url, "PURGE");
      assert.equal(refused.status, 405);
      const still = await get(p, url);
      assert.equal(still.status, 200);
      assert.equal(origin.requests, before, "the entry is still there (a hit)");
    });
  } finally {
    await origin.close();
  }
});
