/**
 * Deadlines and connection caps through real sockets, with short timeouts.
 */
import assert from "node:assert/strict";
import {
  bytes,
  delay,
  RawClient,
  rawOrigin,
  readAll,
  readHead,
  text,
  withProxy,
} from "./harness.ts";

Deno.test("slowloris: one byte every 200 ms cannot hold a slot past --header-timeout (408)", async () => {
  await withProxy(async (p) => {
    const c = await RawClient.connect(p.port);
    try {
      const started = Date.now();
      const head = "GET http://127.0.0.1:9/ HTTP/1.1\r\nX-Drip: " + "a".repeat(100);
      let i = 0;
      let answer = "";
      const reader = readAll(c.conn).then((b) => answer = text(b));
      while (i < head.length && Date.now() - started < 5000 && answer === "") {
        try {
          await c.write(head[i++]);
        } catch {
          break;
        }
        await delay(200);
      }
      await reader;
      assert.match(answer, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      const took = Date.now() - started;
      assert.ok(took >= 900 && took < 2500, `closed after ${took} ms`);
    } finally {
      c.close();
    }
  }, { headerTimeoutMs: 1000 });
});

Deno.test("an idle keep-alive connection is closed after --idle-timeout", async () => {
  const origin = rawOrigin(async (conn) => {
    await readHead(conn);
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  });
  try {
    await withProxy(async (p) => {
      const c = await RawClient.connect(p.port);
      try {
        await c.write(`GET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\n\r\n`);
        assert.equal(text((await c.read()).body), "ok");
        const started = Date.now();
        assert.ok(await c.closedWithin(3000));
        assert.ok(Date.now() - started >= 500);
      } finally {
        c.close();
      }
    }, { idleTimeoutMs: 800 });
  } finally {
    await origin.close();
  }
});

Deno.test("an origin that never answers -> 504 after --response-timeout", async () => {
  const origin = rawOrigin(async (conn) => {
    await readHead(conn);
    await readAll(conn);
  });
  try {
    await withProxy(async (p) => {
      const c = await RawClient.connect(p.port);
      try {
        await c.write(`GET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\n\r\n`);
        const r = await c.read();
        assert.equal(r.status, 504);
        assert.equal(r.headers.get("x-sluice-reason"), "upstream-timeout");
      } finally {
        c.close();
      }
    }, { responseTimeoutMs: 800 });
  } finally {
    await origin.close();
  }
});

Deno.test("an origin that stalls mid-body: the client connection is closed after --stall-timeout", async () => {
  const origin = rawOrigin(async (conn) => {
    await readHead(conn);
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial"));
    await readAll(conn);
  });
  try {
    await withProxy(async (p) => {
      const c = await Deno.connect({ hostname: "127.0.0.1", port: p.port });
      try {
        const started = Date.now();
        await c.write(bytes(`GET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\n\r\n`));
        const all = text(await readAll(c));
        assert.ok(all.endsWith("partial"));
        const took = Date.now() - started;
        assert.ok(took >= 700 && took < 3000, `closed after ${took} ms`);
      } finally {
        c.close();
      }
    }, { stallTimeoutMs: 800 });
  } finally {
    await origin.close();
  }
});

Deno.test("beyond --max-connections new clients get 503 and a close; a freed slot is reused", async () => {
  await withProxy(async (p) => {
    const held = await Promise.all([0, 1, 2].map(() => RawClient.connect(p.port)));
    try {
      await delay(50);
      const extra = await RawClient.connect(p.port);
      try {
        const r = await extra.read();
        assert.equal(r.status, 503);
        assert.equal(r.headers.get("x-sluice-reason"), "too-many-connections");
        assert.match(text(r.body), /--max-connections/);
      } finally {
        extra.close();
      }
      held.pop()!.close();
      await delay(50);
      const again = await RawClient.connect(p.port);
      try {
        assert.ok(!(await again.closedWithin(200)), "a freed slot takes a new client");
      } finally {
        again.close();
      }
    } finally {
      for (const c of held) c.close();
    }
  }, { maxConnections: 3 });
});

Deno.test("beyond --max-connections-per-client one address gets 503", async () => {
  await withProxy(async (p) => {
    const held = await Promise.all([0, 1].map(() => RawClient.connect(p.port)));
    try {
      await delay(50);
      const extra = await RawClient.connect(p.port);
      try {
        const r = await extra.read();
        assert.equal(r.status, 503);
        assert.match(text(r.body), /--max-connections-per-client/);
      } finally {
        extra.close();
      }
    } finally {
      for (const c of held) c.close();
    }
  }, { maxConnectionsPerClient: 2 });
});
