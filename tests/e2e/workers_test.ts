/**
 * `--workers N`: N event loops share the listen port with SO_REUSEPORT, each a
 * full proxy. Runs the real CLI (the serve task's flags, so `unstable: net`
 * and the permission set come from deno.json) and checks that connections
 * land on more than one loop, that every request is answered, and that
 * SIGTERM drains every loop and exits 0.
 *
 * @module
 */

import assert from "node:assert/strict";
import { bytes, RawClient, ROOT, SERVE_FLAGS, spawnProxy } from "./harness.ts";

/** The serve flags with deno.json's "workers" permission set instead of the default. */
const WORKERS_FLAGS = SERVE_FLAGS.map((f) => f === "-P" ? "-P=workers" : f);

Deno.test("--workers 2: connections are spread over both loops, all answered, SIGTERM drains both", async () => {
  const origin = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("hello from origin"),
  );
  const proxy = await spawnProxy(["--listen", "127.0.0.1:0", "--workers", "2"], WORKERS_FLAGS);
  try {
    const url = `http://127.0.0.1:${origin.addr.port}/w`;
    for (let i = 0; i < 40; i++) {
      // a new connection each time: the kernel picks a loop per connection
      const c = await RawClient.connect(proxy.port);
      try {
        await c.write(bytes(`GET ${url}?${i} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
        const r = await c.read();
        assert.equal(r.status, 200, r.head);
        assert.equal(new TextDecoder().decode(r.body), "hello from origin");
      } finally {
        c.close();
      }
    }
    const status = await proxy.stop("SIGTERM");
    assert.equal(status.code, 0, proxy.log());
    const access = proxy.log().split("\n").filter((l) => l.includes("sluice.access"));
    assert.equal(access.length, 40, proxy.log());
    const onWorker = access.filter((l) => l.includes("[w2] sluice.access")).length;
    // 40 connections from distinct source ports all hashing to one loop: 2^-39
    assert.ok(onWorker > 0 && onWorker < 40, `worker 2 served ${onWorker} of 40`);
    assert.match(proxy.log(), /stopped/);
  } finally {
    await proxy.stop("SIGKILL").catch(() => {});
    await origin.shutdown();
  }
});

Deno.test("--workers 2 under the default (network-only) set: exit 1 naming the permission set", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...SERVE_FLAGS, "main.ts", "--listen", "127.0.0.1:0", "--workers", "2"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 1);
  assert.match(
    new TextDecoder().decode(out.stderr),
    /sluice: cannot start 1 worker\(s\): a worker needs read access .* -P=workers/,
  );
});

Deno.test("--workers 0 is refused with exit code 2", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...SERVE_FLAGS, "main.ts", "--workers", "0"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(new TextDecoder().decode(out.stderr), /--workers "0": expected a whole number >= 1/);
});
