import assert from "node:assert/strict";
import {
  bytes,
  concat,
  curl,
  randomBytes,
  RawClient,
  rawOrigin,
  readAll,
  readHead,
  sha256,
  text,
  withProxy,
} from "./harness.ts";

const SIZES = [50, 1024, 65535, 65536, 65537, 1024 * 1024 + 7, 10 * 1024 * 1024];
const FILES = new Map(SIZES.map((n, i) => [`/f${n}`, randomBytes(n, i + 7)]));

/** A Deno.serve origin: /fN files, /echo returns the request body, /headers returns request headers. */
async function withFileOrigin(fn: (port: number) => Promise<void>): Promise<void> {
  const ac = new AbortController();
  const ready = Promise.withResolvers<number>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: (a) => ready.resolve(a.port) },
    async (req) => {
      const url = new URL(req.url);
      if (url.pathname === "/echo") {
        const body = new Uint8Array(await req.arrayBuffer());
        return new Response(body, {
          headers: { "x-method": req.method, "x-te": req.headers.get("transfer-encoding") ?? "" },
        });
      }
      if (url.pathname === "/headers") {
        return Response.json([...req.headers.entries()]);
      }
      const f = FILES.get(url.pathname);
      if (!f) return new Response("nope", { status: 404 });
      return new Response(f, { headers: { "content-type": "application/octet-stream" } });
    },
  );
  try {
    await fn(await ready.promise);
  } finally {
    ac.abort();
    await server.finished;
  }
}

Deno.test("curl fetches files of 50 B to 10 MiB byte-identical to a direct fetch", async () => {
  await withFileOrigin(async (origin) => {
    await withProxy(async (p) => {
      for (const [path, data] of FILES) {
        const direct = await curl([`http://127.0.0.1:${origin}${path}`]);
        const proxied = await curl(["-x", p.url, `http://127.0.0.1:${origin}${path}`]);
        assert.equal(proxied.code, 0, proxied.stderr);
        assert.equal(proxied.stdout.length, data.length, path);
        assert.equal(await sha256(proxied.stdout), await sha256(direct.stdout), path);
        assert.equal(await sha256(proxied.stdout), await sha256(data), path);
      }
    });
  });
});

Deno.test("POST and PUT bodies reach the origin intact, with Content-Length and chunked", async () => {
  const body = randomBytes(300_000, 3);
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeFile(file, body);
    await withFileOrigin(async (origin) => {
      await withProxy(async (p) => {
        for (const method of ["POST", "PUT"]) {
          for (const chunked of [false, true]) {
            const args = [
              "-x",
              p.url,
              "-X",
              method,
              "--data-binary",
              `@${file}`,
              "-D",
              "-",
              "-o",
              "/dev/null",
            ];
            if (chunked) args.push("-H", "Transfer-Encoding: chunked");
            args.push(`http://127.0.0.1:${origin}/echo`);
            const headOut = await curl(args);
            assert.equal(headOut.code, 0, headOut.stderr);
            const head = text(headOut.stdout).toLowerCase();
            assert.match(head, new RegExp(`x-method: ${method.toLowerCase()}`));
            assert.match(head, chunked ? /x-te: chunked/ : /x-te: \r?\n/);
            const out = await curl([
              ...args.filter((a) => a !== "-D" && a !== "-" && a !== "-o" && a !== "/dev/null"),
            ]);
            assert.equal(
              await sha256(out.stdout),
              await sha256(body),
              `${method} chunked=${chunked}`,
            );
          }
        }
      });
    });
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("the origin sees origin-form, Host from the URL, Via, no hop-by-hop fields, others in order", async () => {
  let seen = "";
  const origin = rawOrigin(async (conn) => {
    seen = (await readHead(conn)).head;
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"));
  });
  try {
    await withProxy(async (p) => {
      const c = await RawClient.connect(p.port);
      try {
        await c.write(
          `GET http://127.0.0.1:${origin.port}/a/b?c=d HTTP/1.1\r\nHost: wrong.example\r\nX-One: 1\r\n` +
            "Connection: keep-alive, X-Drop\r\nX-Drop: secret\r\nProxy-Connection: keep-alive\r\nKeep-Alive: 5\r\n" +
            "TE: trailers\r\nUpgrade: h2c\r\nProxy-Authorization: Basic eDp5\r\nx-two: 2\r\nAccept: */*\r\n\r\n",
        );
        const r = await c.read();
        assert.equal(r.status, 200);
        assert.equal(text(r.body), "ok");
      } finally {
        c.close();
      }
    });
  } finally {
    await origin.close();
  }
  const lines = seen.split("\r\n");
  assert.equal(lines[0], "GET /a/b?c=d HTTP/1.1");
  assert.equal(lines[1], `Host: 127.0.0.1:${origin.port}`);
  // no Connection: close upstream: the connection may be pooled (HTTP/1.1 default)
  assert.deepEqual(lines.slice(2, -2), [
    "X-One: 1",
    "x-two: 2",
    "Accept: */*",
    "Via: 1.1 sluice",
  ]);
});

Deno.test("port 80 is left out of Host, any method token is forwarded", async () => {
  let seen = "";
  const origin = rawOrigin(async (conn) => {
    seen = (await readHead(conn)).head;
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  });
  try {
    await withProxy(async (p) => {
      const c = await RawClient.connect(p.port);
      try {
        // (PURGE is the cache's own method: see cache_lab_test.ts)
        await c.write(`BREW http://127.0.0.1:${origin.port}/x HTTP/1.1\r\n\r\n`);
        assert.equal((await c.read()).status, 200);
      } finally {
        c.close();
      }
    });
  } finally {
    await origin.close();
  }
  assert.match(seen, /^BREW \/x HTTP\/1\.1\r\n/);
});

Deno.test("a close-delimited response is re-chunked for HTTP/1.1 (connection kept) and raw for HTTP/1.0", async () => {
  const payload = randomBytes(200_000, 9);
  const origin = rawOrigin(async (conn) => {
    await readHead(conn);
    await conn.write(bytes("HTTP/1.0 200 OK\r\nContent-Type: x/y\r\n\r\n"));
    for (let o = 0; o < payload.length; o += 50_000) {
      await conn.write(payload.subarray(o, o + 50_000));
    }
    conn.close();
  });
  try {
    await withProxy(async (p) => {
      const c = await RawClient.connect(p.port);
      try {
        for (let i = 0; i < 2; i++) {
          await c.write(`GET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\n\r\n`);
          const r = await c.read();
          assert.equal(r.headers.get("transfer-encoding"), "chunked");
          assert.equal(r.headers.get("connection"), undefined);
          assert.equal(await sha256(r.body), await sha256(payload));
        }
      } finally {
        c.close();
      }
      const old = await Deno.connect({ hostname: "127.0.0.1", port: p.port });
      try {
        await old.write(bytes(`GET http://127.0.0.1:${origin.port}/ HTTP/1.0\r\n\r\n`));
        const all = await readAll(old);
        const head = text(all.subarray(0, 200));
        assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
        assert.match(head, /Connection: close/);
        assert.doesNotMatch(head, /Transfer-Encoding/i);
        const body = all.subarray(all.length - payload.length);
        assert.equal(await sha256(body), await sha256(payload));
      } finally {
        old.close();
      }
    });
  } finally {
    await origin.close();
  }
});

Deno.test("a chunked response passes as is to HTTP/1.1 and de-chunked to HTTP/1.0", async () => {
  const wire = "4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n";
  const origin = rawOrigin(async (conn) => {
    await readHead(conn);
    await conn.write(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + wire));
  });
  try {
    await withProxy(async (p) => {
      const c = await Deno.connect({ hostname: "127.0.0.1", port: p.port });
      try {
        await c.write(
          bytes(`GET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\nConnection: close\r\n\r\n`),
        );
        const all = text(await readAll(c));
        assert.ok(all.endsWith("\r\n\r\n" + wire), all);
      } finally {
        c.close();
      }
      const old = await Deno.connect({ hostname: "127.0.0.1", port: p.port });
      try {
        await old.write(bytes(`GET http://127.0.0.1:${origin.port}/ HTTP/1.0\r\n\r\n`));
        const all = text(await readAll(old));
        assert.ok(all.endsWith("\r\n\r\nWikipedia"), all);
        assert.doesNotMatch(all, /Transfer-Encoding/i);
      } finally {
        old.close();
      }
    });
  } finally {
    await origin.close();
  }
});

Deno.test("a chunked request body is forwarded chunked, and the origin's 100 Continue is relayed", async () => {
  let got: Uint8Array = new Uint8Array(0);
  const origin = rawOrigin(async (conn) => {
    const { head, rest } = await readHead(conn);
    assert.match(head, /Transfer-Encoding: chunked/);
    assert.match(head, /Expect: 100-continue/);
    await conn.write(bytes("HTTP/1.1 100 Continue\r\n\r\n"));
    let acc = rest;
    const buf = new Uint8Array(1024);
    while (!text(acc).endsWith("0\r\n\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      acc = concat(acc, buf.subarray(0, n));
    }
    got = acc;
    await conn.write(bytes("HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone"));
  });
  try {
    await withProxy(async (p) => {
      const c = await RawClient.connect(p.port);
      try {
        await c.write(
          `POST http://127.0.0.1:${origin.port}/up HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n`,
        );
        const interim = await c.read();
        assert.equal(interim.status, 100);
        await c.write("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
        const r = await c.read();
        assert.equal(r.status, 201);
        assert.equal(text(r.body), "done");
      } finally {
        c.close();
      }
    });
  } finally {
    await origin.close();
  }
  assert.equal(text(got), "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
});
