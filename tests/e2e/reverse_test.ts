/**
 * The reverse proxy through the real CLI: `--upstream` servers answering
 * origin-form requests in turn over the keep-alive pool, the forwarding
 * headers, a dead server skipped, all dead -> 502, a file under `--root`
 * winning over the upstream, and WebSockets from Deno's own `WebSocket`
 * client and from headless Chromium through the reverse proxy to
 * `Deno.upgradeWebSocket`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { curl, findChromium, SERVE_FLAGS, text, withSpawnedProxy } from "./harness.ts";

/** An app server: echoes what it saw as JSON, and a WebSocket echo on /ws. */
function app(name: string) {
  const ac = new AbortController();
  const seen: Request[] = [];
  const received: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    (req) => {
      seen.push(req);
      const url = new URL(req.url);
      if (url.pathname === "/ws") {
        const { socket, response } = Deno.upgradeWebSocket(req);
        socket.onmessage = (e) => {
          if (typeof e.data === "string") received.push(e.data);
          socket.send(e.data);
        };
        return response;
      }
      if (url.pathname === "/page.html") {
        return new Response(
          `<!doctype html><p id="out">waiting</p><script>
const ws = new WebSocket("ws://" + location.host + "/ws");
ws.onopen = () => ws.send("from chromium");
ws.onmessage = (e) => { document.getElementById("out").textContent = "echo: " + e.data; };
</script>`,
          { headers: { "content-type": "text/html" } },
        );
      }
      const h: Record<string, string> = {};
      req.headers.forEach((v, k) => h[k] = v);
      return Response.json({ server: name, path: url.pathname + url.search, headers: h });
    },
  );
  return {
    port: server.addr.port,
    seen,
    received,
    close: async () => {
      ac.abort();
      await server.finished;
    },
  };
}

const base = (
  _port: number,
) => ["--listen", "127.0.0.1:0", "--log-level", "warning", "--no-forward"];

Deno.test("reverse: round-robin over two apps, Host kept, X-Forwarded-* and Forwarded added, a client's forged ones dropped", async () => {
  const a = app("a");
  const b = app("b");
  try {
    await withSpawnedProxy(
      [
        ...base(0),
        "--upstream",
        `http://127.0.0.1:${a.port}`,
        "--upstream",
        `http://127.0.0.1:${b.port}`,
      ],
      async (p) => {
        const names: string[] = [];
        for (let i = 0; i < 4; i++) {
          const out = await curl([
            "-H",
            "Host: www.example.test",
            "-H",
            "X-Forwarded-For: 6.6.6.6",
            `http://127.0.0.1:${p.port}/x?i=${i}`,
          ]);
          const j = JSON.parse(text(out.stdout));
          names.push(j.server);
          assert.equal(j.path, `/x?i=${i}`);
          assert.equal(j.headers.host, "www.example.test");
          assert.equal(
            j.headers["x-forwarded-for"],
            "127.0.0.1",
            "an untrusted client's list is replaced",
          );
          assert.equal(j.headers["x-forwarded-proto"], "http");
          assert.equal(j.headers["x-forwarded-host"], "www.example.test");
          assert.equal(j.headers.forwarded, "for=127.0.0.1;proto=http;host=www.example.test");
          assert.match(j.headers.via, /1\.1 sluice/);
        }
        assert.deepEqual(names.toSorted(), ["a", "a", "b", "b"]);
      },
    );
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("reverse: --trusted-proxy keeps the client's X-Forwarded-For and appends; --upstream-host sets Host", async () => {
  const a = app("a");
  try {
    await withSpawnedProxy(
      [
        ...base(0),
        "--upstream",
        `http://127.0.0.1:${a.port}`,
        "--trusted-proxy",
        "127.0.0.0/8",
        "--upstream-host",
        "app.internal",
      ],
      async (p) => {
        const out = await curl([
          "-H",
          "X-Forwarded-For: 203.0.113.7",
          `http://127.0.0.1:${p.port}/`,
        ]);
        const j = JSON.parse(text(out.stdout));
        assert.equal(j.headers["x-forwarded-for"], "203.0.113.7, 127.0.0.1");
        assert.equal(j.headers.host, "app.internal");
      },
    );
  } finally {
    await a.close();
  }
});

Deno.test("reverse: a dead server is skipped (and its requests go to the next); all dead is 502", async () => {
  const a = app("a");
  const dead = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = dead.addr.port;
  dead.close(); // refuses from now on
  try {
    await withSpawnedProxy(
      [
        ...base(0),
        "--upstream",
        `http://127.0.0.1:${deadPort}`,
        "--upstream",
        `http://127.0.0.1:${a.port}`,
      ],
      async (p) => {
        for (let i = 0; i < 4; i++) {
          const out = await curl([`http://127.0.0.1:${p.port}/r${i}`]);
          assert.equal(JSON.parse(text(out.stdout)).server, "a", `request ${i}`);
        }
      },
    );
    await withSpawnedProxy(
      [...base(0), "--upstream", `http://127.0.0.1:${deadPort}`],
      async (p) => {
        const out = await curl([
          "-s",
          "-o",
          "/dev/null",
          "-w",
          "%{http_code}",
          `http://127.0.0.1:${p.port}/`,
        ]);
        assert.equal(text(out.stdout), "502");
      },
    );
  } finally {
    await a.close();
  }
});

Deno.test("reverse: with --root a file wins and the rest (and other methods) go upstream", async () => {
  const a = app("a");
  const root = await Deno.makeTempDir();
  await Deno.writeTextFile(`${root}/static.txt`, "from disk");
  try {
    await withSpawnedProxy(
      [...base(0), "--root", root, "--upstream", `http://127.0.0.1:${a.port}`],
      async (p) => {
        assert.equal(
          text((await curl([`http://127.0.0.1:${p.port}/static.txt`])).stdout),
          "from disk",
        );
        assert.equal(
          JSON.parse(text((await curl([`http://127.0.0.1:${p.port}/api`])).stdout)).path,
          "/api",
        );
        const post = await curl([
          "-X",
          "POST",
          "-d",
          "x=1",
          `http://127.0.0.1:${p.port}/static.txt`,
        ]);
        assert.equal(JSON.parse(text(post.stdout)).server, "a");
      },
      [...SERVE_FLAGS, `--allow-read=${root}`],
    );
  } finally {
    await a.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("reverse: Deno's WebSocket through sluice to Deno.upgradeWebSocket: text, binary, 10 MiB, close from each side", async () => {
  const a = app("a");
  try {
    await withSpawnedProxy([...base(0), "--upstream", `http://127.0.0.1:${a.port}`], async (p) => {
      const ws = new WebSocket(`ws://127.0.0.1:${p.port}/ws`);
      ws.binaryType = "arraybuffer";
      const messages: (string | ArrayBuffer)[] = [];
      let wake: (() => void) | null = null;
      ws.onmessage = (e) => {
        messages.push(e.data);
        wake?.();
      };
      await new Promise((ok, fail) => {
        ws.onopen = ok;
        ws.onerror = fail;
      });
      const next = async () => {
        while (messages.length === 0) await new Promise<void>((r) => wake = r);
        return messages.shift()!;
      };
      ws.send("hello");
      assert.equal(await next(), "hello");
      ws.send(new Uint8Array([1, 2, 3, 250]));
      assert.deepEqual([...new Uint8Array(await next() as ArrayBuffer)], [1, 2, 3, 250]);
      const big = new Uint8Array(10 << 20).map((_, i) => i & 255);
      ws.send(big);
      const got = new Uint8Array(await next() as ArrayBuffer);
      assert.equal(got.length, big.length);
      assert.deepEqual(got, big);
      const closed = new Promise<CloseEvent>((r) => ws.onclose = r);
      ws.close(1000, "client done");
      assert.equal((await closed).code, 1000);
    });
  } finally {
    await a.close();
  }
});

Deno.test({
  name: "reverse: headless Chromium opens a WebSocket through sluice",
  ignore: findChromium() === null,
  async fn() {
    const a = app("a");
    const profile = await Deno.makeTempDir();
    try {
      await withSpawnedProxy(
        [...base(0), "--upstream", `http://127.0.0.1:${a.port}`],
        async (p) => {
          // headless Chromium may dump the page before the socket's round trip under load:
          // what counts is that the message crossed sluice to the app (and, mostly, came back)
          let dom = "";
          let stderr = "";
          for (let attempt = 0; attempt < 3 && !a.received.includes("from chromium"); attempt++) {
            const out = await new Deno.Command(findChromium()!, {
              args: [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                `--user-data-dir=${profile}`,
                "--virtual-time-budget=5000",
                "--dump-dom",
                `http://127.0.0.1:${p.port}/page.html`,
              ],
              stdout: "piped",
              stderr: "piped",
            }).output();
            dom = text(out.stdout);
            stderr = text(out.stderr);
          }
          assert.ok(a.received.includes("from chromium"), `${dom}\n${stderr.slice(-1500)}`);
          assert.match(dom, /echo: from chromium|waiting/, "the page was served through sluice");
        },
      );
    } finally {
      await a.close();
      await Deno.remove(profile, { recursive: true });
    }
  },
});
