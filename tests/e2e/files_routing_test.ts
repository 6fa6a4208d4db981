/**
 * Who answers what when `--root` is set, through the real CLI: origin-form
 * from the root, proxy requests (absolute-form and CONNECT) still proxied
 * by the same process, an absolute-form request naming sluice's own address
 * served from the root, and `--no-forward` refusing every proxy request with
 * 403 `forward-disabled` while the origin never hears of it.
 */

import assert from "node:assert/strict";
import {
  assertAccessLine,
  bytes,
  curl,
  RawClient,
  rawOrigin,
  readAll,
  readHead,
  text,
} from "./harness.ts";
import { curlGot, makeFixture, rawAsk, re } from "./files_fixture.ts";

/** An origin answering `from origin PATH` on every request, counting them. */
function origin() {
  const seen: string[] = [];
  const o = rawOrigin(async (conn) => {
    for (;;) {
      let head: string;
      try {
        head = (await readHead(conn)).head;
      } catch {
        return;
      }
      const path = head.split(" ")[1];
      seen.push(path);
      const body = `from origin ${path}`;
      await conn.write(bytes(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
      if (/\r\nconnection: close\r\n/i.test(head)) return;
    }
  });
  return Object.assign(o, { seen });
}

Deno.test("files routing: proxy beside files, own address from the root, --no-forward", async (t) => {
  const fx = await makeFixture("files-routing");
  const o = origin();
  try {
    await fx.write({ "a.txt": "alpha", "index.html": "<p>home</p>" });

    await fx.serve(["--connect-ports", "*"], async (p) => {
      const self = `http://127.0.0.1:${p.port}`;

      await t.step("origin-form from the root, absolute-form proxied", async () => {
        assert.equal((await curlGot([`${self}/a.txt`])).text, "alpha");
        const proxied = await curlGot(["-x", self, `http://127.0.0.1:${o.port}/x?y=1`]);
        assert.equal(proxied.status, 200);
        assert.equal(proxied.text, "from origin /x?y=1");
        assert.match(proxied.headers.get("via") ?? "", /sluice/);
        assert.deepEqual(o.seen, ["/x?y=1"]);
        await assertAccessLine(p, `GET ${re(`http://127.0.0.1:${o.port}/x?y=1`)} 200 .*`);
        await assertAccessLine(p, "GET /a\\.txt 200 .*");
      });

      await t.step("CONNECT still tunnels", async () => {
        const c = await Deno.connect({ hostname: "127.0.0.1", port: p.port });
        try {
          await c.write(bytes(`CONNECT 127.0.0.1:${o.port} HTTP/1.1\r\nHost: x\r\n\r\n`));
          const { head, rest } = await readHead(c);
          assert.match(head, /^HTTP\/1\.1 200 /);
          await c.write(bytes("GET /tunnelled HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
          const after = text(await readAll(c, rest));
          assert.match(after, /from origin \/tunnelled$/);
        } finally {
          c.close();
        }
      });

      await t.step("absolute-form to sluice's own address is served from the root", async () => {
        for (const host of [`127.0.0.1:${p.port}`, `localhost:${p.port}`]) {
          const r = await curlGot(["-x", self, `http://${host}/a.txt`]);
          assert.equal(r.status, 200, host);
          assert.equal(r.text, "alpha", host);
          assert.ok(!r.headers.has("via"), "an origin's answer, not a proxied one");
          const missing = await curlGot(["-x", self, `http://${host}/missing.txt`]);
          assert.equal(missing.status, 404, "a 404, not a loop");
        }
        const index = await curlGot(["-x", self, `${self}/`]);
        assert.equal(index.text, "<p>home</p>");
        await assertAccessLine(p, `GET ${re(`${self}/a.txt`)} 200 .*`);
        assert.equal(o.seen.filter((s) => s.includes("a.txt")).length, 0, "never dialled");
      });
    });

    await t.step("--no-forward: proxy requests 403 forward-disabled, files served", async () => {
      const before = o.seen.length;
      await fx.serve(["--no-forward"], async (p) => {
        const self = `http://127.0.0.1:${p.port}`;
        const r = await curlGot(["-x", self, `http://127.0.0.1:${o.port}/x`]);
        assert.equal(r.status, 403);
        assert.equal(r.headers.get("x-sluice-reason"), "forward-disabled");
        assert.match(r.text, /--no-forward/);
        await assertAccessLine(
          p,
          `GET ${re(`http://127.0.0.1:${o.port}/x`)} 403 .*forward-disabled`,
        );

        const c = await RawClient.connect(p.port);
        try {
          await c.write(`CONNECT 127.0.0.1:${o.port} HTTP/1.1\r\nHost: x\r\n\r\n`);
          const refused = await c.read();
          assert.equal(refused.status, 403);
          assert.equal(refused.headers.get("x-sluice-reason"), "forward-disabled");
          assert.match(text(refused.body), /CONNECT .*--no-forward/);
        } finally {
          c.close();
        }
        await assertAccessLine(p, `CONNECT ${re(`127.0.0.1:${o.port}`)} 403 .*forward-disabled`);

        // curl -p: CONNECT first, as for https
        const tunnel = await curl(["-p", "-x", self, `http://127.0.0.1:${o.port}/y`]);
        assert.notEqual(tunnel.code, 0, "curl reports the refused CONNECT");

        // origin-form, and absolute-form naming sluice itself, are the web server's
        assert.equal((await curlGot([`${self}/a.txt`])).text, "alpha");
        assert.equal((await curlGot(["-x", self, `${self}/a.txt`])).text, "alpha");
        const raw = await rawAsk(
          p.port,
          "GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert.equal(raw.text, "alpha");
      });
      assert.equal(o.seen.length, before, "the origin never heard of a refused request");
    });
  } finally {
    await o.close();
    await fx.remove();
  }
});
