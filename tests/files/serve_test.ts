/**
 * Playbook tests of a file exchange: a scripted client (no socket) against a
 * connection whose root is a temporary folder. Each file exchange walks
 * READ_REQUEST -> SEND_RESPONSE with no upstream, keeps the connection for
 * the next request, and never dials.
 */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../../lib/config.ts";
import { Connection, type ConnectionContext } from "../../lib/connection.ts";
import type { Exchange } from "../../lib/exchange.ts";
import { Policy } from "../../lib/policy/policy.ts";
import { State } from "../../lib/state.ts";
import { Timers } from "../../lib/timers.ts";
import { Peer } from "../peer.ts";

const { READ_REQUEST, SEND_RESPONSE, CLOSED } = State;

async function withRoot(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.realPath(await Deno.makeTempDir());
  try {
    await Deno.writeTextFile(`${root}/a.txt`, "hello, file\n");
    await Deno.mkdir(`${root}/sub`);
    await Deno.writeTextFile(`${root}/sub/index.html`, "<p>index</p>");
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function play(root: string, over: Partial<typeof DEFAULT_CONFIG> = {}) {
  const client = new Peer();
  const exchanges: Exchange[] = [];
  let dials = 0;
  const config = {
    ...DEFAULT_CONFIG,
    listen: [],
    logLevel: "error" as const,
    root,
    rootReal: root,
    ...over,
  };
  const ctx: ConnectionContext = {
    config,
    policy: new Policy(config, null),
    draining: false,
    timers: new Timers(),
    pool: null,
    dial: () => {
      dials++;
      return Promise.reject(new Error("a file exchange never dials"));
    },
    observe: (ex) => exchanges.push(ex),
  };
  const run = new Connection(client, "test", ctx).run();
  const until = async (pred: () => boolean) => {
    for (let i = 0; i < 400 && !pred(); i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(pred(), `timed out; client saw:\n${client.output}`);
  };
  return { client, exchanges, run, until, dials: () => dials };
}

Deno.test("playbook: a file exchange goes READ_REQUEST -> SEND_RESPONSE and keeps the connection", async () => {
  await withRoot(async (root) => {
    const p = play(root);
    p.client.send("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    await p.until(() => p.client.output.endsWith("hello, file\n"));
    assert.match(p.client.output, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(p.client.output, /\r\nContent-Length: 12\r\n/);
    assert.match(p.client.output, /\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
    assert.doesNotMatch(p.client.output, /Connection: close/);
    // the next request on the same connection: a folder index
    p.client.send("GET /sub/ HTTP/1.1\r\nHost: x\r\n\r\n");
    await p.until(() => p.client.output.endsWith("<p>index</p>"));
    p.client.end();
    await p.run;
    assert.deepEqual(p.exchanges[0].path, [READ_REQUEST, SEND_RESPONSE, READ_REQUEST]);
    assert.equal(p.exchanges[0].status, 200);
    assert.equal(p.exchanges[1].status, 200);
    assert.deepEqual(p.exchanges[2].path, [READ_REQUEST, CLOSED]);
    assert.equal(p.dials(), 0);
  });
});

Deno.test("playbook: a 404 answers with the reason and the connection stays open", async () => {
  await withRoot(async (root) => {
    const p = play(root);
    p.client.send(
      "GET /nope.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    await p.until(() => p.client.output.endsWith("hello, file\n"));
    p.client.end();
    await p.run;
    assert.match(p.client.output, /^HTTP\/1\.1 404 Not Found\r\n/);
    assert.match(p.client.output, /X-Sluice-Reason: not-found/);
    assert.equal(p.exchanges[0].reason, "not-found");
    assert.deepEqual(p.exchanges[0].path, [READ_REQUEST, SEND_RESPONSE, READ_REQUEST]);
  });
});

Deno.test("playbook: HTTP/1.0 gets the file, then the connection closes", async () => {
  await withRoot(async (root) => {
    const p = play(root);
    p.client.send("GET /a.txt HTTP/1.0\r\n\r\n");
    await p.run;
    assert.match(p.client.output, /\r\nConnection: close\r\n/);
    assert.ok(p.client.output.endsWith("hello, file\n"));
    assert.deepEqual(p.exchanges[0].path, [READ_REQUEST, SEND_RESPONSE, CLOSED]);
    assert.ok(p.client.closed);
  });
});

Deno.test("playbook: a request with a body is answered, then the connection closes (the body is not read)", async () => {
  await withRoot(async (root) => {
    const p = play(root);
    p.client.send("GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nGET /");
    await p.run;
    assert.match(p.client.output, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(p.client.output, /\r\nConnection: close\r\n/);
    assert.equal(p.exchanges.length, 1);
  });
});

Deno.test("playbook: without --root an origin-form request is still 400 origin-form", async () => {
  await withRoot(async (root) => {
    const p = play(root, { root: null, rootReal: null });
    p.client.send("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    await p.run;
    assert.match(p.client.output, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.equal(p.exchanges[0].reason, "origin-form");
  });
});

Deno.test("playbook: --no-forward refuses a proxy request with 403 forward-disabled, never dialling", async () => {
  await withRoot(async (root) => {
    const p = play(root, { forward: false });
    p.client.send("GET http://o.test/ HTTP/1.1\r\nHost: o.test\r\n\r\n");
    await p.run;
    assert.match(p.client.output, /^HTTP\/1\.1 403 Forbidden\r\n/);
    assert.match(p.client.output, /--no-forward/);
    assert.equal(p.exchanges[0].reason, "forward-disabled");
    assert.deepEqual(p.exchanges[0].path, [READ_REQUEST, SEND_RESPONSE, CLOSED]);
    assert.equal(p.dials(), 0);
  });
});
