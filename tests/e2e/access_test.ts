/**
 * Access control through the real CLI and real sockets: client rules
 * (`--allow-client`/`--deny-client`), the open-proxy warning, destination
 * rules (`--allow-host`/`--deny-host`) for plain requests and CONNECT, and
 * `--deny-private`. Every refusal is checked for its status, reason header,
 * Proxy-Status, one-line body and access-log line, and the origin must never
 * see a refused request.
 */

import assert from "node:assert/strict";
import { lookup } from "node:dns/promises";
import {
  assertAccessLine,
  bytes,
  curl,
  type ProxyProcess,
  RawClient,
  type RawOrigin,
  rawOrigin,
  readAll,
  readHead,
  SERVE_FLAGS,
  spawnProxy,
  text,
  withSpawnedProxy,
} from "./harness.ts";

/** Each test's proxy is killed after this, so a hung read ends (and fails) the test. */
/** Runs `fn` with fresh origins (`true`: on ::1), closed afterwards. */
async function withOrigins(kinds: boolean[], fn: (os: RawOrigin[]) => Promise<void>) {
  const os = kinds.map((v6) => origin(v6));
  try {
    await fn(os);
  } finally {
    await Promise.all(os.map((o) => o.close()));
  }
}

/** Runs `fn` against `sluice ARGS` (127.0.0.1:0 unless ARGS say where; CONNECT to any port). */
async function withSluice(
  args: string[],
  fn: (p: ProxyProcess, o: RawOrigin[]) => Promise<void>,
  origins: boolean[] = [],
): Promise<void> {
  const where = args.some((a) => a === "--listen" || a === "--port")
    ? []
    : ["--listen", "127.0.0.1:0"];
  await withOrigins(
    origins,
    (os) => withSpawnedProxy([...where, "--connect-ports", "*", ...args], (p) => fn(p, os)),
  );
}

/** An origin that answers every connection with `200 ok` and counts them. */
function origin(v6 = false) {
  return rawOrigin(async (conn) => {
    await readHead(conn);
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"));
  }, v6);
}

/** Sends `request` (or nothing) on a fresh connection; the response and whether the proxy closed. */
async function ask(port: number, request: string | null, hostname = "127.0.0.1") {
  const c = await RawClient.connect(port, hostname);
  try {
    if (request !== null) await c.write(request);
    const r = await c.read();
    return { ...r, text: text(r.body), closed: await c.closedWithin(2000) };
  } finally {
    c.close();
  }
}

const get = (url: string) => `GET ${url} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;

/** CONNECT, then (when it opens) a GET through the tunnel: the CONNECT head and what followed. */
async function tunnel(port: number, authority: string) {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await c.write(bytes(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`));
    const { head, rest } = await readHead(c);
    if (head.startsWith("HTTP/1.1 200 ")) await c.write(bytes(get("/")));
    return { head, after: text(await readAll(c, rest)) };
  } finally {
    c.close();
  }
}

/** `curl -i -x proxy url`: status, body, stderr. */
async function viaCurl(proxyPort: number, url: string) {
  const r = await curl(["-i", "-x", `http://127.0.0.1:${proxyPort}`, url]);
  const out = text(r.stdout);
  const end = out.indexOf("\r\n\r\n");
  return { status: Number(out.split(" ")[1]), body: out.slice(end + 4), stderr: r.stderr };
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const PROXY_STATUS: Record<string, string> = {
  "client-denied": "http_request_denied",
  "host-denied": "http_request_denied",
  "private-address": "destination_ip_prohibited",
};

type Answer = Awaited<ReturnType<typeof ask>>;

/** A 403 with `reason`, its Proxy-Status, and the proxy closing after it. */
function assertDenied(r: Answer, reason: string): void {
  assert.equal(r.status, 403, r.head + r.text);
  assert.equal(r.headers.get("x-sluice-reason"), reason);
  assert.equal(r.headers.get("proxy-status"), `sluice; error=${PROXY_STATUS[reason]}`);
  assert.ok(r.closed, "the proxy closes after a refusal");
}

/** {@linkcode assertDenied}, and the body is the one line `why` and the reason line. */
function assertRefusal(r: Answer, reason: string, why: string): void {
  assertDenied(r, reason);
  assert.equal(r.text, `403 Forbidden: ${why}\nreason: ${reason}\n`);
}

/** Waits (up to 3 s) for a `sluice.access` line `REQUEST 403 ... REASON`. */
function assertAccessLog(p: ProxyProcess, request: string, reason: string): Promise<void> {
  return assertAccessLine(p, `${esc(request)} 403 .* ${reason}`);
}

// ---- client rules ----

const notClient = (ip: string, rule: string) =>
  `Client ${ip} may not use this proxy (${rule}); the operator can allow it with --allow-client ${ip}`;

Deno.test("--deny-client 127.0.0.1: 403 client-denied before any request is read, then close", async () => {
  await withSluice(["--deny-client", "127.0.0.1"], async (p) => {
    const r = await ask(p.port, null); // nothing sent: the refusal comes at accept
    assertRefusal(r, "client-denied", notClient("127.0.0.1", "--deny-client 127.0.0.1"));
    await assertAccessLog(p, "- -", "client-denied");
  });
});

Deno.test("--allow-client 10.0.0.0/8 alone: 127.0.0.1 is refused by the default", async () => {
  await withSluice(["--allow-client", "10.0.0.0/8"], async (p) => {
    const r = await ask(p.port, null);
    const rule = "default (no --allow-client rule matched)";
    assertRefusal(r, "client-denied", notClient("127.0.0.1", rule));
    await assertAccessLog(p, "- -", "client-denied");
  });
});

Deno.test("client rules: first match wins, in the order given", async () => {
  await withOrigins([false], async ([o]) => {
    const url = `http://127.0.0.1:${o.port}/`;
    await withSluice(["--allow-client", "127.0.0.1/32"], async (p) => {
      const r = await viaCurl(p.port, url);
      assert.equal(r.status, 200, r.stderr);
      assert.equal(r.body, "ok");
    });
    await withSluice(["--deny-client", "127.0.0.1", "--allow-client", "127.0.0.0/8"], async (p) => {
      const r = await ask(p.port, null);
      assertRefusal(r, "client-denied", notClient("127.0.0.1", "--deny-client 127.0.0.1"));
    });
    await withSluice(["--allow-client", "127.0.0.0/8", "--deny-client", "127.0.0.1"], async (p) => {
      assert.equal((await viaCurl(p.port, url)).status, 200);
    });
    assert.equal(o.accepted, 2);
  });
});

Deno.test("IPv6 client on [::1]: --allow-client ::1 serves it, --deny-client ::1 refuses it", async () => {
  await withSluice(["--listen", "[::1]:0", "--allow-client", "::1"], async (p, [o]) => {
    const r = await ask(p.port, get(`http://[::1]:${o.port}/`), "::1");
    assert.equal(r.status, 200, r.head);
    assert.equal(r.text, "ok");
  }, [true]);
  await withSluice(["--listen", "[::1]:0", "--deny-client", "::1"], async (p) => {
    const r = await ask(p.port, null, "::1");
    assertRefusal(r, "client-denied", notClient("::1", "--deny-client ::1"));
    await assertAccessLog(p, "- -", "client-denied");
  });
});

Deno.test("IPv4-mapped: on [::], an IPv4 client (::ffff:127.0.0.1) matches --allow-client 127.0.0.1", async () => {
  await withSluice(["--listen", "[::]:0", "--allow-client", "127.0.0.1"], async (p, [o]) => {
    const r = await viaCurl(p.port, `http://127.0.0.1:${o.port}/`);
    assert.equal(r.status, 200, r.stderr + p.log());
    assert.equal(r.body, "ok");
    assert.doesNotMatch(p.log(), /OPEN PROXY/);
  }, [false]);
  await withSluice(["--listen", "[::]:0", "--deny-client", "127.0.0.0/8"], async (p) => {
    const r = await ask(p.port, null);
    assertDenied(r, "client-denied");
    assert.match(r.text, /\(--deny-client 127\.0\.0\.0\/8\)/);
  });
});

Deno.test("OPEN PROXY warning: on 0.0.0.0 without client rules, not with one, not on loopback", async () => {
  const startLog = async (args: string[]) => {
    let log = "";
    await withSluice(args, (p) => Promise.resolve(void (log = p.log())));
    return log;
  };
  const open = await startLog(["--listen", "0.0.0.0:0"]);
  assert.match(open, /WARNING .*OPEN PROXY: listening on 0\.0\.0\.0:\d+, which is not loopback/);
  const allowed = await startLog(["--listen", "0.0.0.0:0", "--allow-client", "127.0.0.1"]);
  assert.doesNotMatch(allowed, /OPEN PROXY/);
  assert.doesNotMatch(await startLog(["--port", "0"]), /OPEN PROXY/);
});

Deno.test("OPEN PROXY warning with --root names --no-forward; with --no-forward there is none", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const startLog = async (args: string[]) => {
      const p = await spawnProxy(["--listen", "0.0.0.0:0", "--root", dir, ...args], [
        ...SERVE_FLAGS,
        `--allow-read=${dir}`,
      ]);
      await p.stop();
      return p.log();
    };
    assert.match(
      await startLog([]),
      /WARNING .*OPEN PROXY: listening on 0\.0\.0\.0:\d+.*or --no-forward to serve --root files only/,
    );
    assert.doesNotMatch(await startLog(["--no-forward"]), /OPEN PROXY/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---- destination rules ----

Deno.test("--deny-host 127.0.0.1: 403 host-denied for GET and CONNECT; the origin sees nothing", async () => {
  await withSluice(["--deny-host", "127.0.0.1"], async (p, [o]) => {
    const url = `http://127.0.0.1:${o.port}/`;
    const why = `Requests to 127.0.0.1:${o.port} are refused by --deny-host 127.0.0.1; ` +
      "change the --allow-host/--deny-host rules to allow it";
    assertRefusal(await ask(p.port, get(url)), "host-denied", why);
    await assertAccessLog(p, `GET ${url}`, "host-denied");
    const c = await viaCurl(p.port, url);
    assert.equal(c.status, 403);
    assert.equal(c.body, `403 Forbidden: ${why}\nreason: host-denied\n`);
    const t = await tunnel(p.port, `127.0.0.1:${o.port}`);
    assert.match(t.head, /^HTTP\/1\.1 403 Forbidden\r\n[^]*\r\nX-Sluice-Reason: host-denied\r\n/);
    assert.equal(t.after, `403 Forbidden: ${why}\nreason: host-denied\n`);
    await assertAccessLog(p, `CONNECT 127.0.0.1:${o.port}`, "host-denied");
    assert.equal(o.accepted, 0);
  }, [false]);
});

Deno.test("--allow-host localhost alone: the name is served, 127.0.0.1 refused by default", async () => {
  await withSluice(["--allow-host", "localhost"], async (p, [o]) => {
    const ip = `http://127.0.0.1:${o.port}/`;
    const why = `Requests to 127.0.0.1:${o.port} are refused by default ` +
      "(no --allow-host rule matched); add --allow-host 127.0.0.1 to allow it";
    assertRefusal(await ask(p.port, get(ip)), "host-denied", why);
    await assertAccessLog(p, `GET ${ip}`, "host-denied");
    assert.equal(o.accepted, 0);
    const r = await viaCurl(p.port, `http://localhost:${o.port}/`);
    assert.equal(r.status, 200, r.stderr);
    assert.equal(o.accepted, 1);
  }, [false]);
});

Deno.test("port-qualified host rules match that port only, GET and CONNECT", async () => {
  await withOrigins([false, false], async ([a, b]) => {
    await withSluice(["--deny-host", `127.0.0.1:${a.port}`], async (p) => {
      const r = await ask(p.port, get(`http://127.0.0.1:${a.port}/x`));
      assertDenied(r, "host-denied");
      assert.match(r.text, new RegExp(`refused by --deny-host 127\\.0\\.0\\.1:${a.port};`));
      assert.equal((await viaCurl(p.port, `http://127.0.0.1:${b.port}/x`)).status, 200);
    });
    assert.deepEqual([a.accepted, b.accepted], [0, 1]);
    await withSluice(["--allow-host", `localhost:${a.port}`], async (p) => {
      assert.equal((await viaCurl(p.port, `http://localhost:${a.port}/`)).status, 200);
      const t = await tunnel(p.port, `localhost:${a.port}`);
      assert.equal(t.head, "HTTP/1.1 200 Connection Established\r\n\r\n");
      assert.match(t.after, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nok$/);
      const r = await ask(p.port, get(`http://localhost:${b.port}/`));
      assertDenied(r, "host-denied");
      assert.match(r.text, /default \(no --allow-host rule matched\)/);
      const t2 = await tunnel(p.port, `localhost:${b.port}`);
      assert.match(t2.head, /^HTTP\/1\.1 403 [^]*\r\nX-Sluice-Reason: host-denied\r\n/);
      await assertAccessLog(p, `CONNECT localhost:${b.port}`, "host-denied");
    });
    assert.deepEqual([a.accepted, b.accepted], [2, 1]);
  });
});

Deno.test("a CIDR deny rule catches a name that resolves into it (checked on the dialled address)", async () => {
  // where localhost also resolves to ::1, that address needs its own rule
  const v6 = (await lookup("localhost", { all: true })).some((a) => a.address === "::1");
  const args = ["--deny-host", "127.0.0.0/8", ...(v6 ? ["--deny-host", "[::1]"] : [])];
  await withSluice(args, async (p, [o]) => {
    const url = `http://localhost:${o.port}/`;
    const r = await ask(p.port, get(url));
    assertDenied(r, "host-denied");
    const why = `^403 Forbidden: Requests to localhost:${o.port} \\((127\\.0\\.0\\.1|::1)\\) ` +
      "are refused by --deny-host (127\\.0\\.0\\.0/8|\\[::1\\]); change the";
    assert.match(r.text, new RegExp(why));
    await assertAccessLog(p, `GET ${url}`, "host-denied");
    const t = await tunnel(p.port, `localhost:${o.port}`);
    assert.match(t.head, /^HTTP\/1\.1 403 [^]*\r\nX-Sluice-Reason: host-denied\r\n/);
    assert.match(t.after, new RegExp(why));
    assert.equal(o.accepted, 0);
  }, [false]);
});

// ---- --deny-private ----

const loopback = (where: string, addr: string, fix: string) =>
  `${where} resolves to ${addr}, a loopback address, refused by --deny-private; allow it with --allow-host ${fix}`;

Deno.test("--deny-private: loopback by IP, by name, [::1] and CONNECT -> 403 private-address", async () => {
  await withSluice(["--deny-private"], async (p, [o, o6]) => {
    const ip = `http://127.0.0.1:${o.port}/`;
    const why = loopback(`127.0.0.1:${o.port}`, "127.0.0.1", "127.0.0.1");
    assertRefusal(await ask(p.port, get(ip)), "private-address", why);
    await assertAccessLog(p, `GET ${ip}`, "private-address");
    const name = `http://localhost:${o.port}/`;
    const byName = await ask(p.port, get(name));
    assertDenied(byName, "private-address");
    assert.match(byName.text, new RegExp(`^403 Forbidden: localhost:${o.port} resolves to `));
    await assertAccessLog(p, `GET ${name}`, "private-address");
    const v6 = `http://[::1]:${o6.port}/`;
    assertRefusal(
      await ask(p.port, get(v6)),
      "private-address",
      loopback(`[::1]:${o6.port}`, "::1", "[::1]"),
    );
    await assertAccessLog(p, `GET ${v6}`, "private-address");
    const t = await tunnel(p.port, `127.0.0.1:${o.port}`);
    assert.match(t.head, /^HTTP\/1\.1 403 [^]*\r\nX-Sluice-Reason: private-address\r\n/);
    assert.equal(t.after, `403 Forbidden: ${why}\nreason: private-address\n`);
    await assertAccessLog(p, `CONNECT 127.0.0.1:${o.port}`, "private-address");
    assert.deepEqual([o.accepted, o6.accepted], [0, 0]);
  }, [false, true]);
});

Deno.test("--deny-private with --allow-host 127.0.0.1 and [::1]: those addresses are served", async () => {
  const args = ["--deny-private", "--allow-host", "127.0.0.1", "--allow-host", "[::1]"];
  await withSluice(args, async (p, [o, o6]) => {
    assert.equal((await viaCurl(p.port, `http://127.0.0.1:${o.port}/`)).body, "ok");
    assert.equal((await viaCurl(p.port, `http://[::1]:${o6.port}/`)).body, "ok");
    const t = await tunnel(p.port, `127.0.0.1:${o.port}`);
    assert.equal(t.head, "HTTP/1.1 200 Connection Established\r\n\r\n");
    assert.match(t.after, /\r\n\r\nok$/);
    assert.deepEqual([o.accepted, o6.accepted], [2, 1]);
  }, [false, true]);
});

Deno.test("--deny-private: a name rule (--allow-host localhost) does not open a private address", async () => {
  await withSluice(["--deny-private", "--allow-host", "localhost"], async (p, [o]) => {
    const url = `http://localhost:${o.port}/`;
    const r = await ask(p.port, get(url));
    assertDenied(r, "private-address");
    const fix = /refused by --deny-private; allow it with --allow-host (127\.0\.0\.1|\[::1\])\n/;
    assert.match(r.text, fix);
    await assertAccessLog(p, `GET ${url}`, "private-address");
    assert.equal(o.accepted, 0);
  }, [false]);
});

Deno.test("--deny-private: 0.0.0.0 and [::] reach loopback; the rest of 0.0.0.0/8 is 'an unspecified address'", async () => {
  await withSluice(["--deny-private"], async (p) => {
    const rows = [
      ["0.0.0.0", "0.0.0.0", "which reaches the loopback address 127.0.0.1", "127.0.0.1"],
      ["[::]", "::", "which reaches the loopback address ::1", "[::1]"],
      ["0.1.2.3", "0.1.2.3", "an unspecified address", "0.1.2.3"],
    ];
    for (const [host, addr, what, fix] of rows) {
      const why = `${host}:9 resolves to ${addr}, ${what}, ` +
        `refused by --deny-private; allow it with --allow-host ${fix}`;
      assertRefusal(await ask(p.port, get(`http://${host}:9/`)), "private-address", why);
    }
  });
});
