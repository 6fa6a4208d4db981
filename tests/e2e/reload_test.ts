/**
 * SIGHUP reload through the real CLI with a real config file: new rules apply
 * to new exchanges while one in flight finishes under the old ones; a bad file
 * is refused with a log line and the old configuration stays; listeners open
 * and close when the file's `listen` changes. The proxy runs with the serve
 * flags plus read access to the config file alone.
 *
 * @module
 */

import assert from "node:assert/strict";
import { bytes, delay, RawClient, SERVE_FLAGS, spawnProxy } from "./harness.ts";

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

async function waitFor(what: string, test: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

async function get(port: number, url: string) {
  const c = await RawClient.connect(port);
  try {
    await c.write(bytes(`GET ${url} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    return await c.read();
  } finally {
    c.close();
  }
}

Deno.test("SIGHUP: new rules for new exchanges, in-flight ones finish, a bad file keeps the old config, listeners follow the file", async () => {
  let slow = 0;
  const origin = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    if (new URL(req.url).pathname === "/slow") {
      slow++;
      await delay(800);
    }
    return new Response("ok");
  });
  const dir = await Deno.makeTempDir();
  const file = `${dir}/sluice.jsonc`;
  const p1 = freePort();
  const p2 = freePort();
  const write = (body: string) => Deno.writeTextFile(file, body);
  await write(`{\n  // first version\n  "listen": ["127.0.0.1:${p1}"]\n}\n`);
  const proxy = await spawnProxy(["--config", file], [...SERVE_FLAGS, `--allow-read=${file}`]);
  const reloads = () => proxy.log().split("\n").filter((l) => l.includes("reloaded:")).length;
  const failures = () => proxy.log().split("\n").filter((l) => l.includes("Reload failed")).length;
  try {
    assert.equal(proxy.port, p1);
    const url = `http://127.0.0.1:${origin.addr.port}`;
    assert.equal((await get(p1, `${url}/`)).status, 200);

    // an exchange in flight when the rules change finishes under the old ones
    const inFlight = get(p1, `${url}/slow`);
    await waitFor("the slow request to reach the origin", () => slow === 1);
    await write(`{ "listen": ["127.0.0.1:${p1}"], "deny-host": ["127.0.0.1"] }`);
    proxy.child.kill("SIGHUP");
    await waitFor("the reload", () => reloads() === 1);
    const denied = await get(p1, `${url}/`);
    assert.equal(denied.status, 403, denied.head);
    assert.equal(denied.headers.get("x-sluice-reason"), "host-denied");
    assert.equal((await inFlight).status, 200, "the in-flight exchange kept the old rules");

    // a bad file: logged with file:line:col, the old configuration stays
    await write(`{ "listen": ["127.0.0.1:${p1}"], "deny-host": ["127.0.0.1"], "pool-max": -1 }`);
    proxy.child.kill("SIGHUP");
    await waitFor("the failed reload", () => failures() === 1);
    assert.match(
      proxy.log(),
      /Reload failed; keeping the configuration in force: .*sluice\.jsonc:1:\d+: "pool-max"/,
    );
    assert.equal((await get(p1, `${url}/`)).status, 403, "still the last good rules");

    // listeners follow the file: p2 opens, p1 closes; the rules are gone
    await write(`{ "listen": ["127.0.0.1:${p2}"] }`);
    proxy.child.kill("SIGHUP");
    await waitFor("the second reload", () => reloads() === 2);
    assert.equal((await get(p2, `${url}/`)).status, 200);
    await assert.rejects(
      Deno.connect({ hostname: "127.0.0.1", port: p1 }),
      Deno.errors.ConnectionRefused,
    );

    const status = await proxy.stop("SIGTERM");
    assert.equal(status.code, 0, proxy.log());
  } finally {
    await proxy.stop("SIGKILL").catch(() => {});
    await origin.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGHUP: a shortened --idle-timeout closes an already open idle keep-alive connection by the new value", async () => {
  const origin = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    return new Response("ok");
  });
  const dir = await Deno.makeTempDir();
  const file = `${dir}/sluice.jsonc`;
  const port = freePort();
  await Deno.writeTextFile(file, `{ "listen": ["127.0.0.1:${port}"], "idle-timeout": 30 }`);
  const proxy = await spawnProxy(["--config", file], [...SERVE_FLAGS, `--allow-read=${file}`]);
  const c = await RawClient.connect(port);
  try {
    await c.write(
      bytes(`GET http://127.0.0.1:${origin.addr.port}/ HTTP/1.1\r\nHost: x\r\n\r\n`),
    );
    assert.equal((await c.read()).status, 200);
    await Deno.writeTextFile(file, `{ "listen": ["127.0.0.1:${port}"], "idle-timeout": 1 }`);
    proxy.child.kill("SIGHUP");
    await waitFor("the reload", () => proxy.log().includes("reloaded:"));
    const t0 = Date.now();
    assert.ok(await c.closedWithin(5000), "closed by the new 1 s, not the old 30 s");
    assert.ok(Date.now() - t0 < 3000, `closed after ${Date.now() - t0} ms`);
  } finally {
    c.close();
    await proxy.stop("SIGKILL").catch(() => {});
    await origin.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
