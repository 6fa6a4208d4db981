/**
 * Connection caps against bursts of connections the client has already
 * dropped, through the real CLI: 300 connections opened and closed at once
 * (a third send nothing, a third half a head, a third a whole GET of a
 * 10 MiB body), then one ordinary GET, twenty times in a row. The GET must
 * never get 503: the proxy has simply not read those EOFs yet. And at a cap
 * reached by idle keep-alive connections, the oldest idle one makes room.
 *
 * @module
 */

import assert from "node:assert/strict";
import { bytes, delay, RawClient, spawnProxy, text } from "./harness.ts";

const BIG = new Uint8Array(10 * 1024 * 1024);

function bigOrigin(): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => new Response(new URL(req.url).pathname === "/big" ? BIG : "ok"),
  );
}

/** Opens `n` connections at once and drops each after its part of the burst. */
async function burst(proxyPort: number, originPort: number, n: number): Promise<void> {
  const target = `http://127.0.0.1:${originPort}/big`;
  const full = bytes(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${originPort}\r\n\r\n`);
  const half = full.subarray(0, 30);
  await Promise.all(Array.from({ length: n }, async (_, i) => {
    let conn: Deno.TcpConn;
    try {
      conn = await Deno.connect({ hostname: "127.0.0.1", port: proxyPort });
    } catch {
      return; // a full backlog may refuse some: not what is tested here
    }
    try {
      if (i % 3 === 1) await conn.write(half);
      if (i % 3 === 2) await conn.write(full);
    } catch {
      // refused already
    } finally {
      conn.close();
    }
  }));
}

async function ordinaryGet(proxyPort: number, originPort: number) {
  const c = await RawClient.connect(proxyPort);
  try {
    await c.write(
      `GET http://127.0.0.1:${originPort}/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
    );
    return await c.read();
  } finally {
    c.close();
  }
}

for (const cap of ["--max-connections-per-client", "--max-connections"]) {
  Deno.test(`${cap} 256: a burst of 300 dropped connections never gets the next GET a 503 (20 times)`, async () => {
    const origin = bigOrigin();
    const proxy = await spawnProxy(["--listen", "127.0.0.1:0", cap, "256", "--log-level", "error"]);
    try {
      for (let round = 0; round < 20; round++) {
        await burst(proxy.port, origin.addr.port, 300);
        const r = await ordinaryGet(proxy.port, origin.addr.port);
        assert.equal(
          r.status,
          200,
          `round ${round}: ${r.status} ${r.headers.get("x-sluice-reason")}: ${text(r.body)}`,
        );
      }
    } finally {
      await proxy.stop();
      await origin.shutdown();
    }
  });
}

Deno.test("at --max-connections, idle keep-alive connections make room, oldest first; busy ones never do", async () => {
  let release = () => {};
  const gate = new Promise<void>((r) => release = r);
  const origin = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    if (new URL(req.url).pathname === "/slow") await gate;
    return new Response("ok");
  });
  const proxy = await spawnProxy(["--listen", "127.0.0.1:0", "--max-connections", "3"]);
  const url = `http://127.0.0.1:${origin.addr.port}`;
  const clients: RawClient[] = [];
  const open = async () => {
    const c = await RawClient.connect(proxy.port);
    clients.push(c);
    return c;
  };
  try {
    // two kept-alive idle connections (the first idle longest) and one busy
    const idle1 = await open();
    await idle1.write(`GET ${url}/ HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal((await idle1.read()).status, 200);
    await delay(50);
    const idle2 = await open();
    await idle2.write(`GET ${url}/ HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal((await idle2.read()).status, 200);
    const busy = await open();
    await busy.write(`GET ${url}/slow HTTP/1.1\r\nHost: x\r\n\r\n`);
    await delay(100);

    const fourth = await open();
    await fourth.write(`GET ${url}/ HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal((await fourth.read()).status, 200, "served: an idle connection made room");
    assert.ok(await idle1.closedWithin(1000), "the longest idle connection was closed");
    assert.ok(!(await idle2.closedWithin(100)), "only one was needed");

    const fifth = await open();
    await fifth.write(`GET ${url}/ HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal((await fifth.read()).status, 200);
    assert.ok(await idle2.closedWithin(1000));

    // now: busy, fourth and fifth; fourth and fifth are idle again, so make them busy
    await fourth.write(`GET ${url}/slow HTTP/1.1\r\nHost: x\r\n\r\n`);
    await fifth.write(`GET ${url}/slow HTTP/1.1\r\nHost: x\r\n\r\n`);
    await delay(100);
    const refused = await open();
    const r = await refused.read();
    assert.equal(r.status, 503, "every counted connection is busy");
    assert.equal(r.headers.get("x-sluice-reason"), "too-many-connections");
    assert.match(text(r.body), /all busy/);
    release();
    for (const c of [busy, fourth, fifth]) assert.equal((await c.read()).status, 200);
  } finally {
    release();
    for (const c of clients) c.close();
    await proxy.stop();
    await origin.shutdown();
  }
});
