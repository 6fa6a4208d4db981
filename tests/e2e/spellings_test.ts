/**
 * Every spelling of a loopback destination (tests/spellings_table.ts), sent
 * raw (curl would normalise some) through the real CLI to real loopback
 * origins: `--deny-host` address and name rules and `--deny-private` refuse
 * each one before the origin sees a connection, the `--allow-host`
 * exemption serves each one, and a request to the proxy's own address, in
 * any spelling, is refused with 508 without the proxy connecting to itself
 * (one access line per request). Plus the after-connect backstop, in process.
 */

import assert from "node:assert/strict";
import {
  bytes,
  delay,
  type ProxyProcess,
  RawClient,
  type RawOrigin,
  rawOrigin,
  readAll,
  readHead,
  text,
  withProxy,
  withSpawnedProxy,
} from "./harness.ts";
import { spelledUrl, type Spelling, SPELLINGS } from "../spellings_table.ts";

/** An origin that answers `200 ok` and keeps the request heads it saw. */
function origin(v6: boolean): RawOrigin & { heads: string[] } {
  const heads: string[] = [];
  const o = rawOrigin(async (conn) => {
    heads.push((await readHead(conn)).head);
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"));
  }, v6);
  return Object.assign(o, { heads });
}

/** Runs `fn` with `sluice ARGS` on 127.0.0.1 and an origin on 127.0.0.1 and one on ::1. */
async function withSetup(
  args: string[],
  fn: (
    p: ProxyProcess,
    port: (s: Spelling) => number,
    o4: RawOrigin,
    o6: RawOrigin,
  ) => Promise<void>,
): Promise<{ heads4: string[]; heads6: string[] }> {
  const o4 = origin(false);
  const o6 = origin(true);
  try {
    const where = args.includes("--listen") ? [] : ["--listen", "127.0.0.1:0"];
    await withSpawnedProxy(
      [...where, "--connect-ports", "*", ...args],
      (p) => fn(p, (s) => s.family === 4 ? o4.port : o6.port, o4, o6),
    );
  } finally {
    await Promise.all([o4.close(), o6.close()]);
  }
  return { heads4: o4.heads, heads6: o6.heads };
}

/** One request on a fresh connection: status, reason header and body text. */
async function send(port: number, request: string) {
  if (request.startsWith("CONNECT ")) return await tunnel(port, request);
  const c = await RawClient.connect(port);
  try {
    await c.write(request);
    const r = await c.read();
    return {
      status: r.status,
      reason: r.headers.get("x-sluice-reason") ?? "-",
      body: text(r.body),
    };
  } finally {
    c.close();
  }
}

/** A CONNECT: an established tunnel is closed at once; a refusal is read to its end. */
async function tunnel(port: number, request: string) {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await c.write(bytes(request));
    const { head, rest } = await readHead(c);
    const status = Number(head.split(" ")[1]);
    const reason = /\r\nX-Sluice-Reason: ([^\r]*)/i.exec(head)?.[1] ?? "-";
    return { status, reason, body: status === 200 ? "" : text(await readAll(c, rest)) };
  } finally {
    c.close();
  }
}

const get = (url: string) => `GET ${url} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
const connect = (authority: string) =>
  `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`;

/**
 * Sends every spelling as GET (and the literal ones as CONNECT too) and
 * collects the answers that are not `want(s)` (`"200"` or `"403 reason"`).
 */
async function table(
  p: ProxyProcess,
  port: (s: Spelling) => number,
  want: (s: Spelling) => string,
): Promise<void> {
  const wrong: string[] = [];
  for (const s of SPELLINGS) {
    const url = spelledUrl(s, port(s));
    const requests = [get(url), ...(s.kind === "literal" ? [connect(url.slice(7, -1))] : [])];
    for (const request of requests) {
      const r = await send(p.port, request);
      const got = r.status === 200 ? "200" : `${r.status} ${r.reason}`;
      if (got !== want(s)) wrong.push(`${request.split("\r\n")[0]} -> ${got}: ${r.body.trim()}`);
    }
  }
  assert.deepEqual(wrong, [], p.log());
}

const refusedBy = (reason: string) => () => `403 ${reason}`;

Deno.test("e2e spellings: --deny-host 127.0.0.1 refuses every IPv4 spelling; [::1] ones are served", async () => {
  await withSetup(["--deny-host", "127.0.0.1"], async (p, port, o4) => {
    await table(p, port, (s) => s.family === 4 ? "403 host-denied" : "200");
    assert.equal(o4.accepted, 0, "the IPv4 origin saw nothing");
  });
});

Deno.test("e2e spellings: --deny-host 127.0.0.0/8 and [::1] refuse every spelling", async () => {
  await withSetup(
    ["--deny-host", "127.0.0.0/8", "--deny-host", "[::1]"],
    async (p, port, o4, o6) => {
      await table(p, port, refusedBy("host-denied"));
      assert.deepEqual([o4.accepted, o6.accepted], [0, 0]);
    },
  );
});

Deno.test("e2e spellings: --deny-host [::1] refuses [::] and every ::1 spelling; IPv4 ones are served", async () => {
  await withSetup(["--deny-host", "[::1]"], async (p, port, _o4, o6) => {
    await table(p, port, (s) => s.family === 6 ? "403 host-denied" : "200");
    assert.equal(o6.accepted, 0);
  });
});

Deno.test("e2e spellings: --deny-host localhost refuses localhost., LOCALHOST...; addresses are served", async () => {
  await withSetup(["--deny-host", "localhost"], async (p, port) => {
    await table(p, port, (s) => s.kind === "localhost" ? "403 host-denied" : "200");
  });
});

Deno.test("e2e spellings: --deny-private refuses every spelling; the origins see nothing", async () => {
  await withSetup(["--deny-private"], async (p, port, o4, o6) => {
    await table(p, port, refusedBy("private-address"));
    const r = await send(p.port, get(`http://0.0.0.0:${o4.port}/`));
    assert.match(
      r.body,
      /resolves to 0\.0\.0\.0, which reaches the loopback address 127\.0\.0\.1,/,
    );
    assert.deepEqual([o4.accepted, o6.accepted], [0, 0]);
  });
});

Deno.test("e2e spellings: --deny-private with --allow-host 127.0.0.1 and [::1] serves every spelling", async () => {
  const args = ["--deny-private", "--allow-host", "127.0.0.1", "--allow-host", "[::1]"];
  const { heads4 } = await withSetup(args, async (p, port) => {
    await table(p, port, () => "200");
  });
  // a trailing dot is kept in the Host the origin gets, as a browser going direct sends it
  assert.ok(heads4.some((h) => /\r\nHost: localhost\.:\d+\r\n/.test(h)), heads4.join(""));
  assert.ok(heads4.some((h) => /\r\nHost: localhost:\d+\r\n/.test(h)));
});

// ---- requests to the proxy itself ----

/** The access lines logged so far. */
const accessLines = (p: ProxyProcess) =>
  p.log().split("\n").filter((l) => / sluice\.access /.test(l));

/**
 * Sends each request to the proxy and expects a 508 loop-detected naming the
 * proxy; then checks that exactly one access line per request was logged
 * (a proxy that connected to itself logs the inner exchange too).
 */
async function assertLoops(p: ProxyProcess, requests: string[], control: string): Promise<void> {
  const wrong: string[] = [];
  for (const request of requests) {
    const r = await send(p.port, request);
    const line = request.split("\r\n")[0];
    if (r.status !== 508 || r.reason !== "loop-detected") {
      wrong.push(`${line} -> ${r.status} ${r.reason}: ${r.body}`);
    } else if (
      !/^508 Loop Detected: Request loop: .* is this proxy itself \(listening on /.test(r.body)
    ) {
      wrong.push(`${line} -> ${r.body}`);
    }
  }
  assert.deepEqual(wrong, [], p.log());
  assert.equal((await send(p.port, get(control))).status, 200, "another port is served");
  const n = requests.length + 1;
  for (let i = 0; i < 60 && accessLines(p).length < n; i++) await delay(50);
  await delay(200); // an inner exchange would log by now
  assert.equal(accessLines(p).length, n, `one access line per request:\n${p.log()}`);
}

Deno.test("e2e self: every spelling of the proxy's own 127.0.0.1:PORT gets 508, never dialled", async () => {
  await withSetup([], async (p, _port, o4) => {
    const requests = SPELLINGS.filter((s) => s.family === 4).map((s) => get(spelledUrl(s, p.port)));
    requests.push(connect(`127.0.0.1:${p.port}`), connect(`localhost.:${p.port}`));
    await assertLoops(p, requests, `http://127.0.0.1:${o4.port}/`);
    const r = await send(p.port, get(`http://localhost.:${p.port}/`));
    assert.equal(
      r.body,
      `508 Loop Detected: Request loop: localhost:${p.port} (127.0.0.1) is this proxy itself ` +
        `(listening on 127.0.0.1:${p.port}); send it to another host\nreason: loop-detected\n`,
    );
  });
});

Deno.test("e2e self: on [::], every local address of either family on its port is the proxy", async () => {
  // the client rules keep the wildcard listener to loopback clients
  const args = ["--listen", "[::]:0", "--allow-client", "127.0.0.0/8", "--allow-client", "::1"];
  await withSetup(args, async (p, _port, o4) => {
    const requests = SPELLINGS.map((s) => get(spelledUrl(s, p.port)));
    requests.push(get(`http://127.0.0.2:${p.port}/`), connect(`[::]:${p.port}`));
    await assertLoops(p, requests, `http://127.0.0.1:${o4.port}/`);
  });
});

Deno.test("e2e self: a dial that lands on the proxy anyway is closed and refused (backstop)", async () => {
  let self = 0;
  // a resolver or sandbox that sends app.test to the proxy's own port
  const dial = () => Deno.connect({ hostname: "127.0.0.1", port: self });
  await withProxy(
    async (p) => {
      self = p.port;
      const r = await send(p.port, get("http://app.test/"));
      assert.equal(r.status, 508);
      assert.equal(r.reason, "loop-detected");
      assert.equal(
        r.body,
        `508 Loop Detected: Request loop: app.test:80 (127.0.0.1) is this proxy itself ` +
          `(listening on 127.0.0.1:${p.port}); send it to another host\nreason: loop-detected\n`,
      );
    },
    {},
    dial,
  );
});
