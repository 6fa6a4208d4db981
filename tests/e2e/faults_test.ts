/**
 * Faults from both sides against the real CLI (a subprocess with the serve
 * permission set). After each fault the next request works and the proxy's
 * open file descriptors (/proc/PID/fd) are back where they started.
 */
import assert from "node:assert/strict";
import {
  bytes,
  curl,
  delay,
  type ProxyProcess,
  randomBytes,
  RawClient,
  rawOrigin,
  readAll,
  readHead,
  spawnProxy,
  text,
} from "./harness.ts";
import { openFds } from "../bench/procs.ts";

/** Waits until the proxy's fd count is back to `base` (closes are asynchronous). */
async function fdsBackTo(pid: number, base: number | null): Promise<number | null> {
  let now = await openFds(pid);
  for (let i = 0; i < 100 && now !== base; i++) {
    await delay(20);
    now = await openFds(pid);
  }
  return now;
}

/** The proxy's fd count once it has stayed the same for 250 ms (`null`: unreadable, which fails the test). */
async function settledFds(pid: number): Promise<number | null> {
  let last = await openFds(pid);
  for (let same = 0; same < 5;) {
    await delay(50);
    const now = await openFds(pid);
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

Deno.test({
  name: "faults from clients and origins leave the proxy working, with no leaked sockets",
  ignore: Deno.build.os !== "linux",
  async fn(t) {
    let mode = "ok";
    const origin = rawOrigin(async (conn) => {
      const m = mode;
      if (m === "hangup") return;
      if (m === "reset-mid-body") {
        // unread request bytes + close = RST
        await conn.write(
          bytes("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(1000)),
        );
        return;
      }
      const { head } = await readHead(conn);
      if (m === "garbage") await conn.write(randomBytes(3000, 5));
      else if (m === "stall") {
        await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"));
        await readAll(conn);
      } else if (m === "too-long") {
        await conn.write(
          bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA-BYTES-THAT-ARE-NOT-HTTP"),
        );
      } else if (head.includes("Content-Length")) {
        await readAll(conn);
      } else await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    });
    const proxy: ProxyProcess = await spawnProxy([
      "--listen",
      "127.0.0.1:0",
      "--stall-timeout",
      "1",
      "--response-timeout",
      "2",
    ]);
    const pid = proxy.child.pid;
    const url = `http://127.0.0.1:${origin.port}/`;
    const healthy = async () => {
      mode = "ok";
      const r = await curl(["-x", `http://127.0.0.1:${proxy.port}`, url]);
      assert.equal(text(r.stdout), "ok", r.stderr);
    };
    try {
      await healthy();
      const base = await settledFds(pid);
      const fault = async (name: string, fn: () => Promise<void>) => {
        await t.step(name, async () => {
          await fn();
          // the proxy notices closes asynchronously: wait for it, then ask again
          assert.equal(await fdsBackTo(pid, base), base, "open fds back to the start");
          await healthy();
          assert.equal(await fdsBackTo(pid, base), base, "and after a healthy request");
        });
      };
      const ask = async (request: string) => {
        const c = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
        try {
          await c.write(bytes(request));
          return text(await readAll(c));
        } finally {
          c.close();
        }
      };
      await fault("origin refuses", async () => {
        assert.match(await ask("GET http://127.0.0.1:1/ HTTP/1.1\r\n\r\n"), /^HTTP\/1\.1 502 /);
      });
      await fault("origin hangs up before answering", async () => {
        mode = "hangup";
        assert.match(await ask(`GET ${url} HTTP/1.1\r\n\r\n`), /^HTTP\/1\.1 502 /);
      });
      await fault("origin answers garbage", async () => {
        mode = "garbage";
        assert.match(await ask(`GET ${url} HTTP/1.1\r\n\r\n`), /^HTTP\/1\.1 502 /);
      });
      await fault("origin resets mid-body", async () => {
        mode = "reset-mid-body";
        const got = await ask(`GET ${url} HTTP/1.1\r\nX-Pad: ${"p".repeat(5000)}\r\n\r\n`);
        assert.match(got, /^HTTP\/1\.1 200 OK\r\n/);
        assert.ok(got.length < 100000, "the client sees a short body, then a close");
      });
      await fault("origin stalls mid-body", async () => {
        mode = "stall";
        const got = await ask(`GET ${url} HTTP/1.1\r\n\r\n`);
        assert.ok(got.endsWith("\r\n\r\nabc"));
      });
      await fault("origin sends more bytes than its Content-Length", async () => {
        mode = "too-long";
        const c = await RawClient.connect(proxy.port);
        try {
          await c.write(`GET ${url} HTTP/1.1\r\n\r\n`);
          assert.equal(text((await c.read()).body), "hello");
          mode = "ok";
          await c.write(`GET ${url} HTTP/1.1\r\n\r\n`);
          const next = await c.read();
          assert.equal(text(next.body), "ok", "the excess never reaches the client as a response");
        } finally {
          c.close();
        }
      });
      await fault("client closes before sending", async () => {
        for (let i = 0; i < 10; i++) {
          (await Deno.connect({ hostname: "127.0.0.1", port: proxy.port })).close();
        }
      });
      await fault("client closes mid-request-body", async () => {
        mode = "body";
        const c = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
        await c.write(
          bytes(`POST ${url} HTTP/1.1\r\nContent-Length: 100000\r\n\r\n` + "b".repeat(5000)),
        );
        await delay(50);
        c.close();
      });
      await fault("client closes mid-response", async () => {
        mode = "stall";
        const c = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
        await c.write(bytes(`GET ${url} HTTP/1.1\r\n\r\n`));
        await c.read(new Uint8Array(10));
        c.close();
      });
      await fault("SIGPIPE sent to the process", async () => {
        Deno.kill(pid, "SIGPIPE");
        await delay(100);
      });
      await fault("300 connect-then-close in a row", async () => {
        for (let i = 0; i < 300; i++) {
          (await Deno.connect({ hostname: "127.0.0.1", port: proxy.port })).close();
        }
      });
      await fault("200 connections of random bytes", async () => {
        await Promise.all(Array.from({ length: 200 }, async (_, i) => {
          const c = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
          try {
            await c.write(randomBytes(100 + i * 10, i + 1));
            // most get a 400 at once; a line with no LF yet waits for more (or the
            // header timeout): the client gives up after 300 ms
            const answered = readAll(c);
            let timer: ReturnType<typeof setTimeout> | undefined;
            await Promise.race([answered, new Promise((r) => timer = setTimeout(r, 300))]);
            clearTimeout(timer);
          } finally {
            c.close();
          }
        }));
      });
    } finally {
      const status = await proxy.stop();
      await origin.close();
      assert.equal(status.code, 0, proxy.log());
    }
  },
});
