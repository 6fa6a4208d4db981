import assert from "node:assert/strict";
import { curl, text, withProxy } from "./harness.ts";

Deno.test("upstream keep-alive: 20 requests from separate clients reuse one origin connection", async () => {
  let accepted = 0;
  const ac = new AbortController();
  const ready = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen: (a) => ready.resolve(a.port),
    onError: () => new Response("error", { status: 500 }),
  }, (_req, info) => new Response(`hello ${info.remoteAddr.port}`));
  // count TCP connections by the client port the origin sees
  const ports = new Set<string>();
  try {
    const port = await ready.promise;
    await withProxy(async (p) => {
      for (let i = 0; i < 20; i++) {
        const out = await curl(["-x", p.url, `http://127.0.0.1:${port}/`]);
        assert.match(text(out.stdout), /^hello \d+$/);
        ports.add(text(out.stdout));
      }
    });
    accepted = ports.size;
  } finally {
    ac.abort();
    await server.finished;
  }
  assert.equal(accepted, 1, `origin saw ${accepted} connections`);
});

Deno.test("--pool-max 0 turns reuse off: every request gets its own origin connection", async () => {
  const ac = new AbortController();
  const ready = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen: (a) => ready.resolve(a.port),
  }, (req, info) => new Response(`${info.remoteAddr.port} ${req.headers.get("connection")}`));
  const seen = new Set<string>();
  try {
    const port = await ready.promise;
    await withProxy(async (p) => {
      for (let i = 0; i < 5; i++) {
        const out = text((await curl(["-x", p.url, `http://127.0.0.1:${port}/`])).stdout);
        assert.match(out, / close$/);
        seen.add(out);
      }
    }, { poolMax: 0 });
  } finally {
    ac.abort();
    await server.finished;
  }
  assert.equal(seen.size, 5);
});
