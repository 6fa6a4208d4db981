import assert from "node:assert/strict";
import { bytes, curl, delay, RawClient, rawOrigin, readHead, text, withProxy } from "./harness.ts";

Deno.test("a request sent in pieces 1 s apart is parsed and forwarded", async () => {
  let seen = "";
  let body = "";
  const origin = rawOrigin(async (conn) => {
    const h = await readHead(conn);
    seen = h.head;
    body = text(h.rest);
    const buf = new Uint8Array(100);
    while (body.length < 5) {
      const n = await conn.read(buf);
      if (n === null) break;
      body += text(buf.subarray(0, n));
    }
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  });
  try {
    await withProxy(async (p) => {
      const c = await RawClient.connect(p.port);
      try {
        await c.write(`POST http://127.0.0.1:${origin.port}/slow HT`);
        await delay(1000);
        await c.write("TP/1.1\r\nContent-Le");
        await delay(1000);
        await c.write("ngth: 5\r\n\r\nhel");
        await delay(1000);
        await c.write("lo");
        const r = await c.read();
        assert.equal(r.status, 200);
      } finally {
        c.close();
      }
    });
  } finally {
    await origin.close();
  }
  assert.match(seen, /^POST \/slow HTTP\/1\.1\r\n/);
  assert.equal(body, "hello");
});

Deno.test("a response sent in two halves 1 s apart arrives whole", async () => {
  const origin = rawOrigin(async (conn) => {
    await readHead(conn);
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Len"));
    await delay(1000);
    await conn.write(bytes("gth: 10\r\n\r\nfirst"));
    await delay(1000);
    await conn.write(bytes("secnd"));
  });
  try {
    await withProxy(async (p) => {
      const out = await curl(["-x", p.url, `http://127.0.0.1:${origin.port}/`]);
      assert.equal(out.code, 0, out.stderr);
      assert.equal(text(out.stdout), "firstsecnd");
    });
  } finally {
    await origin.close();
  }
});

Deno.test("a hung origin does not delay another client", async () => {
  const release = Promise.withResolvers<void>();
  const hung = rawOrigin(async (conn) => {
    await readHead(conn);
    await release.promise;
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate"));
  });
  const fast = rawOrigin(async (conn) => {
    await readHead(conn);
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfast"));
  });
  try {
    await withProxy(async (p) => {
      const slow = await RawClient.connect(p.port);
      try {
        await slow.write(`GET http://127.0.0.1:${hung.port}/ HTTP/1.1\r\n\r\n`);
        await delay(100);
        const out = await curl(["-x", p.url, `http://127.0.0.1:${fast.port}/`]);
        assert.equal(text(out.stdout), "fast");
        release.resolve();
        assert.equal(text((await slow.read()).body), "late");
      } finally {
        slow.close();
      }
    });
  } finally {
    release.resolve();
    await hung.close();
    await fast.close();
  }
});

Deno.test("10 slow and 10 fast requests interleave: every fast one finishes first", async () => {
  const origin = rawOrigin(async (conn) => {
    const { head } = await readHead(conn);
    if (head.includes("/slow")) await delay(800);
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  });
  try {
    await withProxy(async (p) => {
      const order: string[] = [];
      const one = async (kind: string, i: number) => {
        const c = await RawClient.connect(p.port);
        try {
          await c.write(`GET http://127.0.0.1:${origin.port}/${kind}${i} HTTP/1.1\r\n\r\n`);
          assert.equal((await c.read()).status, 200);
          order.push(kind);
        } finally {
          c.close();
        }
      };
      const jobs: Promise<void>[] = [];
      for (let i = 0; i < 10; i++) jobs.push(one("slow", i));
      await delay(50);
      for (let i = 0; i < 10; i++) jobs.push(one("fast", i));
      await Promise.all(jobs);
      assert.deepEqual(order.slice(0, 10), Array(10).fill("fast"));
    });
  } finally {
    await origin.close();
  }
});

Deno.test("200 parallel fetches all succeed", async () => {
  const origin = rawOrigin(async (conn) => {
    const { head } = await readHead(conn);
    const path = head.split(" ")[1];
    await conn.write(bytes(`HTTP/1.1 200 OK\r\nContent-Length: ${path.length}\r\n\r\n${path}`));
  });
  try {
    await withProxy(async (p) => {
      const results = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const c = await RawClient.connect(p.port);
          try {
            await c.write(`GET http://127.0.0.1:${origin.port}/p${i} HTTP/1.1\r\n\r\n`);
            return text((await c.read()).body);
          } finally {
            c.close();
          }
        }),
      );
      assert.deepEqual(results, Array.from({ length: 200 }, (_, i) => `/p${i}`));
    });
  } finally {
    await origin.close();
  }
});

Deno.test("a client that connects and closes at once, or leaves mid-response, is routine", async () => {
  const origin = rawOrigin(async (conn) => {
    await readHead(conn);
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n"));
    const chunk = new Uint8Array(65536);
    for (let i = 0; i < 160; i++) await conn.write(chunk);
  });
  try {
    await withProxy(async (p) => {
      for (let i = 0; i < 20; i++) {
        (await Deno.connect({ hostname: "127.0.0.1", port: p.port })).close();
      }
      const c = await RawClient.connect(p.port);
      await c.write(`GET http://127.0.0.1:${origin.port}/big HTTP/1.1\r\n\r\n`);
      await c.conn.read(new Uint8Array(1000));
      c.close();
      await delay(100);
      const ok = await curl([
        "-x",
        p.url,
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        `http://127.0.0.1:${origin.port}/`,
      ]);
      assert.equal(text(ok.stdout), "200");
    });
  } finally {
    await origin.close();
  }
});
