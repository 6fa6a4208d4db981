/**
 * What a path names under `--root`, through the real CLI: folders (301 to
 * the slash, index.html, 403 without one, `--dir-listing` with escaped
 * names), `--fallback` (PATH.html first), dotfiles, a FIFO, symlinks inside
 * and out of the root, and traversal attempts sent raw, byte for byte as
 * written here, none of which may ever answer with the file beside the root.
 */

import assert from "node:assert/strict";
import { assertAccessLine, RawClient, text } from "./harness.ts";
import { curlGot, makeFixture, rawAsk, re, SECRET } from "./files_fixture.ts";

const ODD = `<b>&"x'.txt`;

Deno.test("files by path: folders, listing, fallback, dotfiles, FIFO, symlinks, traversal", async (t) => {
  const fx = await makeFixture("files-paths");
  try {
    await fx.write({
      "index.html": "<h1>home</h1>",
      "a.txt": "alpha",
      "docs/index.html": "<h1>docs</h1>",
      "docs/page.txt": "docs page",
      "list/a b.txt": "with a space",
      [`list/${ODD}`]: "odd name",
      "list/sub/inner.txt": "inner",
      "list/.hidden": SECRET,
      ".env": SECRET,
      ".git/config": SECRET,
      "about.html": "<p>about</p>",
      "200.html": "<p>app shell</p>",
    });
    const mkfifo = await new Deno.Command("mkfifo", { args: [`${fx.root}/pipe.txt`] }).output();
    assert.equal(mkfifo.code, 0, "mkfifo");
    await Deno.symlink(fx.secret, `${fx.root}/out.txt`);
    await Deno.symlink("../outside", `${fx.root}/outdir`);
    await Deno.symlink("a.txt", `${fx.root}/in.txt`);
    await Deno.symlink("docs", `${fx.root}/docs-link`);
    await Deno.symlink("missing.txt", `${fx.root}/dangling.txt`);

    // the sandbox may read beside the root too: only sluice's own checks keep it in
    await fx.serve([], async (p) => {
      const base = `http://127.0.0.1:${p.port}`;

      await t.step("a folder: 301 to the slash, then its index.html", async () => {
        const r = await curlGot([`${base}/docs`]);
        assert.equal(r.status, 301);
        assert.equal(r.headers.get("location"), "/docs/");
        assert.equal(r.headers.get("content-length"), "0");
        const q = await curlGot([`${base}/docs?x=1`]);
        assert.equal(q.headers.get("location"), "/docs/?x=1", "the query is kept");
        const spaced = await curlGot([`${base}/list/sub`]);
        assert.equal(spaced.headers.get("location"), "/list/sub/");
        const index = await curlGot([`${base}/docs/`]);
        assert.equal(index.status, 200);
        assert.equal(index.text, "<h1>docs</h1>");
        assert.equal(index.headers.get("content-type"), "text/html; charset=utf-8");
        const top = await curlGot([`${base}/`]);
        assert.equal(top.text, "<h1>home</h1>");
        const followed = await curlGot(["-L", `${base}/docs`]);
        assert.match(followed.text, /<h1>docs<\/h1>$/);
        await assertAccessLine(p, "GET /docs 301 .*");
        await assertAccessLine(p, "GET /docs/ 200 .*");
      });

      await t.step("a folder without index.html: 403 naming --dir-listing", async () => {
        const r = await curlGot([`${base}/list/`]);
        assert.equal(r.status, 403);
        assert.match(r.text, /--dir-listing/);
        assert.doesNotMatch(r.text, /a b\.txt/);
        assert.equal((await curlGot([`${base}/a.txt/`])).status, 404, "a file is no folder");
        await assertAccessLine(p, "GET /list/ 403 .*forbidden");
      });

      await t.step("a 404 is an origin's answer: Date, no Proxy-Status, kept open", async () => {
        const c = await RawClient.connect(p.port);
        try {
          await c.write("GET /nothing.txt HTTP/1.1\r\nHost: x\r\n\r\n");
          const r = await c.read();
          assert.equal(r.status, 404);
          assert.equal(r.headers.get("x-sluice-reason"), "not-found");
          assert.ok(r.headers.has("date") && !r.headers.has("proxy-status"), r.head);
          assert.ok(!r.headers.has("connection"), r.head);
          await c.write("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
          const next = await c.read();
          assert.equal(next.status, 200);
          assert.equal(text(next.body), "alpha");
        } finally {
          c.close();
        }
      });

      await t.step("dotfiles are 404, however they are spelled", async () => {
        for (const path of ["/.env", "/.git/config", "/list/.hidden", "/%2eenv", "/.git/"]) {
          const r = await curlGot(["--path-as-is", `${base}${path}`]);
          assert.equal(r.status, 404, path);
          assert.ok(!r.text.includes(SECRET), path);
        }
        // a dotfile is told apart from nothing: both are the same 404
        const missing = await curlGot([`${base}/nothing.txt`]);
        assert.equal(missing.status, 404);
        await assertAccessLine(p, "GET /\\.env 404 .*not-found");
      });

      await t.step("a FIFO is never opened: 404 at once, and the server goes on", async () => {
        const started = Date.now();
        const r = await curlGot(["--max-time", "5", `${base}/pipe.txt`]);
        assert.equal(r.status, 404);
        assert.ok(Date.now() - started < 3000, "answered without waiting on the FIFO");
        assert.equal((await curlGot([`${base}/a.txt`])).text, "alpha");
      });

      await t.step("symlinks: inside the root followed, leaving it 404", async () => {
        const inside = await curlGot([`${base}/in.txt`]);
        assert.equal(inside.status, 200);
        assert.equal(inside.text, "alpha");
        assert.equal((await curlGot([`${base}/docs-link/page.txt`])).text, "docs page");
        for (const path of ["/out.txt", "/outdir/secret.txt", "/outdir/", "/dangling.txt"]) {
          const r = await curlGot([`${base}${path}`]);
          assert.equal(r.status, 404, path);
          assert.ok(!r.text.includes(SECRET), path);
        }
        await assertAccessLine(p, "GET /out\\.txt 404 .*");
      });

      await t.step("traversal sent raw: 400 or 404, never the file beside the root", async () => {
        const attempts: [string, number?][] = [
          ["/../outside/secret.txt", 400],
          ["/%2e%2e/outside/secret.txt", 400],
          ["/%2E%2E/outside/secret.txt", 400],
          ["/..%2foutside%2fsecret.txt", 400],
          ["/%2e%2e%2foutside%2fsecret.txt", 400],
          ["/a%5c..%5c..%5coutside%5csecret.txt", 400],
          ["/..\\outside\\secret.txt", 400],
          ["/%00", 400],
          ["/a.txt%00.html", 400],
          ["/%ff", 400],
          ["/%c0%ae%c0%ae/outside/secret.txt", 400],
          ["/docs/../../outside/secret.txt", 400],
          ["/docs/%2e%2e/%2e%2e/outside/secret.txt", 400],
          ["/./../outside/secret.txt", 400],
          ["//../outside/secret.txt", 400],
          ["/%252e%252e/outside/secret.txt", 404],
          ["/outdir/secret.txt", 404],
          ["/out.txt", 404],
          [`http://127.0.0.1:${p.port}/../outside/secret.txt`],
          [`http://127.0.0.1:${p.port}/%2e%2e/outside/secret.txt`],
          [`http://127.0.0.1:${p.port}/..%2foutside%2fsecret.txt`],
        ];
        for (const [target, want] of attempts) {
          const r = await rawAsk(
            p.port,
            `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
          );
          assert.ok(!r.text.includes(SECRET) && !r.head.includes(SECRET), target);
          if (want !== undefined) assert.equal(r.status, want, target);
          else assert.ok(r.status === 400 || r.status === 404, `${target}: ${r.status}`);
        }
        // legal dot segments inside the root resolve as usual
        const dots = await rawAsk(
          p.port,
          "GET /docs/../a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert.equal(dots.text, "alpha");
        await assertAccessLine(p, `GET ${re("/%00")} 400 .*bad-path`);
        await assertAccessLine(p, `GET ${re("/a%5c..%5c..%5coutside%5csecret.txt")} 400 .*`);
      });
    }, { allowRead: fx.base });

    await t.step("--dir-listing: an HTML listing, names escaped, every link works", async () => {
      await fx.serve(["--dir-listing"], async (p) => {
        const base = `http://127.0.0.1:${p.port}`;
        const r = await curlGot([`${base}/list/`]);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get("content-type"), "text/html; charset=utf-8");
        assert.equal(r.headers.get("content-length"), String(r.body.length));
        assert.ok(!r.text.includes(ODD), "the odd name is never raw HTML");
        assert.match(r.text, /&lt;b&gt;&amp;/);
        assert.ok(!r.text.includes(".hidden"), "dotfiles are not listed");
        const hrefs = [...r.text.matchAll(/href="([^"]*)"/g)].map((m) => unescapeHtml(m[1]));
        const wanted = new Map([
          ["a b.txt", "with a space"],
          [ODD, "odd name"],
          ["sub/", null],
        ]);
        for (const [name, body] of wanted) {
          const href = hrefs.find((h) => decodeURIComponent(h) === `/list/${name}`);
          assert.ok(href, `a link to ${name} in ${hrefs.join(" ")}`);
          assert.match(href, /^[\x21-\x7e]+$/, "links are percent-encoded");
          const got = await curlGot([`${base}${href}`]);
          assert.equal(got.status, 200, href);
          if (body !== null) assert.equal(got.text, body);
          else assert.match(got.text, /inner\.txt/);
        }
        // under the documented --allow-read=ROOT too, a symlink out of the root is a 404
        assert.equal((await curlGot([`${base}/out.txt`])).status, 404);
        assert.equal((await curlGot([`${base}/outdir/secret.txt`])).status, 404);
        assert.equal((await curlGot([`${base}/in.txt`])).text, "alpha");
        // a folder with an index still gets its index
        assert.equal((await curlGot([`${base}/docs/`])).text, "<h1>docs</h1>");
        assert.equal((await curlGot(["-I", `${base}/list/`])).body.length, 0);
        await assertAccessLine(p, "GET /list/ 200 .*");
      });
    });

    await t.step("--fallback 200.html: PATH.html first, then the fallback, 200", async () => {
      await fx.serve(["--fallback", "200.html"], async (p) => {
        const base = `http://127.0.0.1:${p.port}`;
        const about = await curlGot([`${base}/about`]);
        assert.equal(about.status, 200);
        assert.equal(about.text, "<p>about</p>");
        assert.equal(about.headers.get("content-type"), "text/html; charset=utf-8");
        for (const path of ["/app/some/route", "/nothing.txt", "/about/"]) {
          const r = await curlGot([`${base}${path}`]);
          assert.equal(r.status, 200, path);
          assert.equal(r.text, "<p>app shell</p>", path);
          assert.equal(r.headers.get("content-type"), "text/html; charset=utf-8");
        }
        const head = await curlGot(["-I", `${base}/app/x`]);
        assert.equal(head.status, 200);
        assert.equal(head.headers.get("content-length"), String("<p>app shell</p>".length));
        // what exists, and what must stay hidden or refused, is not replaced by the fallback
        assert.equal((await curlGot([`${base}/a.txt`])).text, "alpha");
        assert.equal((await curlGot([`${base}/.env`])).status, 404);
        assert.equal((await curlGot(["--path-as-is", `${base}/%2e%2e/x`])).status, 400);
        assert.equal((await curlGot(["-X", "DELETE", `${base}/app/x`])).status, 405);
        await assertAccessLine(p, "GET /app/some/route 200 .*");
      });
    });
  } finally {
    await fx.remove();
  }
});

function unescapeHtml(s: string): string {
  return s.replace(
    /&(lt|gt|quot|amp|#39|#x27);/g,
    (_, e: string) => ({ lt: "<", gt: ">", quot: '"', amp: "&", "#39": "'", "#x27": "'" })[e]!,
  );
}
