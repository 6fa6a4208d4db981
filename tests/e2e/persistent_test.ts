import assert from "node:assert/strict";
import {
  bytes,
  curl,
  RawClient,
  rawOrigin,
  readAll,
  readHead,
  text,
  withProxy,
} from "./harness.ts";

/** An origin that answers each request on a connection by its path: /head, /204, /304, /n<number>. */
function scriptedOrigin() {
  let requests = 0;
  const origin = rawOrigin(async (conn) => {
    let pending: Uint8Array = new Uint8Array(0);
    for (;;) {
      let head: string;
      try {
        const h = await readHeadFrom(conn, pending);
        head = h.head;
        pending = h.rest;
      } catch {
        return;
      }
      requests++;
      const [method, path] = head.split(" ");
      let res: string;
      if (path === "/204") res = "HTTP/1.1 204 No Content\r\n\r\n";
      else if (path === "/304") res = "HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n";
      else if (method === "HEAD") res = "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n";
      else res = `HTTP/1.1 200 OK\r\nContent-Length: ${path.length}\r\n\r\n${path}`;
      await conn.write(bytes(res));
      if (/connection: close/i.test(head)) return;
    }
  });
  return { origin, requests: () => requests };
}

/** readHead that starts from bytes already read. */
async function readHeadFrom(
  conn: Deno.Conn,
  pending: Uint8Array,
): Promise<{ head: string; rest: Uint8Array }> {
  const s = text(pending);
  const i = s.indexOf("\r\n\r\n");
  if (i >= 0) return { head: s.slice(0, i + 4), rest: pending.slice(i + 4) };
  const more = await readHead(conn);
  const all = new Uint8Array(pending.length + bytes(more.head).length + more.rest.length);
  all.set(pending);
  all.set(bytes(more.head), pending.length);
  all.set(more.rest, pending.length + bytes(more.head).length);
  const t = text(all);
  const j = t.indexOf("\r\n\r\n");
  return { head: t.slice(0, j + 4), rest: all.slice(j + 4) };
}

Deno.test("HEAD, 204 and 304 carry no body and the next request on the connection works", async () => {
  const { origin } = scriptedOrigin();
  try {
    await withProxy(async (p) => {
      const c = await RawClient.connect(p.port);
      try {
        const base = `http://127.0.0.1:${origin.port}`;
        await c.write(`HEAD ${base}/h HTTP/1.1\r\n\r\n`);
        const h = await c.read({ head: true });
        assert.equal(h.status, 200);
        assert.equal(h.headers.get("content-length"), "1234");
        await c.write(`GET ${base}/204 HTTP/1.1\r\n\r\n`);
        assert.equal((await c.read()).status, 204);
        await c.write(`GET ${base}/304 HTTP/1.1\r\n\r\n`);
        assert.equal((await c.read()).status, 304);
        await c.write(`GET ${base}/after HTTP/1.1\r\n\r\n`);
        const r = await c.read();
        assert.equal(r.status, 200);
        assert.equal(text(r.body), "/after");
      } finally {
        c.close();
      }
    });
  } finally {
    await origin.close();
  }
});

Deno.test("seven requests on one client connection", async () => {
  const { origin } = scriptedOrigin();
  try {
    await withProxy(async (p) => {
      const c = await RawClient.connect(p.port);
      try {
        for (let i = 1; i <= 7; i++) {
          await c.write(`GET http://127.0.0.1:${origin.port}/n${i} HTTP/1.1\r\n\r\n`);
          const r = await c.read();
          assert.equal(text(r.body), `/n${i}`);
        }
        assert.equal(p.server.connectionCount, 1);
      } finally {
        c.close();
      }
    });
  } finally {
    await origin.close();
  }
});

Deno.test("three pipelined requests in one write are answered in order", async () => {
  const { origin } = scriptedOrigin();
  try {
    await withProxy(async (p) => {
      const c = await RawClient.connect(p.port);
      try {
        const base = `http://127.0.0.1:${origin.port}`;
        await c.write(
          `GET ${base}/one HTTP/1.1\r\n\r\nPOST ${base}/two HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET ${base}/three HTTP/1.1\r\n\r\n`,
        );
        assert.equal(text((await c.read()).body), "/one");
        assert.equal(text((await c.read()).body), "/two");
        assert.equal(text((await c.read()).body), "/three");
      } finally {
        c.close();
      }
    });
  } finally {
    await origin.close();
  }
});

Deno.test("Connection: close and HTTP/1.0 without keep-alive end with the proxy closing", async () => {
  const { origin } = scriptedOrigin();
  try {
    await withProxy(async (p) => {
      for (
        const req of [
          `GET http://127.0.0.1:${origin.port}/c HTTP/1.1\r\nConnection: close\r\n\r\n`,
          `GET http://127.0.0.1:${origin.port}/c HTTP/1.0\r\n\r\n`,
        ]
      ) {
        const c = await Deno.connect({ hostname: "127.0.0.1", port: p.port });
        try {
          await c.write(bytes(req));
          const all = text(await readAll(c));
          assert.match(all, /^HTTP\/1\.1 200 OK\r\n/);
          assert.match(all, /Connection: close\r\n/);
          assert.ok(all.endsWith("\r\n\r\n/c"));
        } finally {
          c.close();
        }
      }
    });
  } finally {
    await origin.close();
  }
});

Deno.test("HTTP/1.0 with Connection: keep-alive stays open and is told keep-alive", async () => {
  const { origin } = scriptedOrigin();
  try {
    await withProxy(async (p) => {
      const c = await RawClient.connect(p.port);
      try {
        for (let i = 0; i < 2; i++) {
          await c.write(
            `GET http://127.0.0.1:${origin.port}/k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`,
          );
          const r = await c.read();
          assert.equal(r.headers.get("connection"), "keep-alive");
          assert.equal(text(r.body), "/k");
        }
      } finally {
        c.close();
      }
    });
  } finally {
    await origin.close();
  }
});

Deno.test("curl reuses its proxy connection for two URLs", async () => {
  const { origin } = scriptedOrigin();
  try {
    await withProxy(async (p) => {
      const out = await curl([
        "-v",
        "-x",
        p.url,
        `http://127.0.0.1:${origin.port}/u1`,
        `http://127.0.0.1:${origin.port}/u2`,
      ]);
      assert.equal(out.code, 0, out.stderr);
      assert.equal(text(out.stdout), "/u1/u2");
      assert.match(out.stderr, /Re-using existing connection/i);
    });
  } finally {
    await origin.close();
  }
});
