/**
 * A real browser through the proxy: headless Chromium loads a page whose
 * script is fetched by a second request, all through sluice. Skipped (as
 * ignored) where Chromium is not installed (`apt-get install chromium`).
 */
import assert from "node:assert/strict";
import { bytes, findChromium, rawOrigin, readHead, text, withProxy } from "./harness.ts";

const chromium = findChromium();

Deno.test({
  name: "headless Chromium loads a page and its script through the proxy",
  ignore: chromium === null,
  async fn() {
    const seen: string[] = [];
    const origin = rawOrigin(async (conn) => {
      for (;;) {
        let head: string;
        try {
          head = (await readHead(conn)).head;
        } catch {
          return;
        }
        const path = head.split(" ")[1];
        if (/\r\nVia: 1\.1 sluice\r\n/i.test(head)) seen.push(path);
        const [type, body] = path === "/app.js"
          ? [
            "text/javascript",
            'document.getElementById("out").textContent = "script ran via proxy";',
          ]
          : [
            "text/html",
            '<html><body><p id="out">no script</p><script src="/app.js"></script></body></html>',
          ];
        await conn.write(
          bytes(
            `HTTP/1.1 200 OK\r\nContent-Type: ${type}\r\nContent-Length: ${
              bytes(body).length
            }\r\n\r\n${body}`,
          ),
        );
      }
    });
    const profile = await Deno.makeTempDir();
    try {
      await withProxy(async (p) => {
        const out = await new Deno.Command(chromium!, {
          args: [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            `--user-data-dir=${profile}`,
            `--proxy-server=http://127.0.0.1:${p.port}`,
            "--proxy-bypass-list=<-loopback>",
            "--virtual-time-budget=5000",
            "--dump-dom",
            `http://127.0.0.1:${origin.port}/index.html`,
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const dom = text(out.stdout);
        assert.match(dom, /script ran via proxy/, text(out.stderr).slice(-2000));
      });
      assert.ok(seen.includes("/index.html") && seen.includes("/app.js"), seen.join());
    } finally {
      await origin.close();
      await Deno.remove(profile, { recursive: true });
    }
  },
});
