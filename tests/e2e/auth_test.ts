/**
 * Proxy authentication through the real CLI: `sluice hash-password` makes the
 * auth file, the proxy (serve flags plus `--allow-read` of that file) answers
 * 407 with a challenge until the client sends good Basic credentials, for
 * plain requests and CONNECT; bad auth files and a missing read permission
 * stop it with exit code 2.
 */

import assert from "node:assert/strict";
import {
  assertAccessLine,
  bytes,
  curl,
  type ProxyProcess,
  RawClient,
  rawOrigin,
  readAll,
  readHead,
  ROOT,
  SERVE_FLAGS,
  text,
  withSpawnedProxy,
} from "./harness.ts";

const PASSWORD = "correct horse";
const WATCHDOG_MS = 30_000;

/** Runs `deno ARGS` in the repository with `stdin`, killed after 30 s. */
async function run(args: string[], stdin = "") {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const dog = setTimeout(() => child.kill("SIGKILL"), WATCHDOG_MS);
  try {
    const w = child.stdin.getWriter();
    await w.write(bytes(stdin));
    await w.close();
    const out = await child.output();
    return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
  } finally {
    clearTimeout(dog);
  }
}

let hashLine: Promise<string> | null = null;

/** `alice:HASH` from `sluice hash-password alice --cost 4` (run once, then reused). */
function aliceLine(): Promise<string> {
  hashLine ??= run(["run", "main.ts", "hash-password", "alice", "--cost", "4"], `${PASSWORD}\n`)
    .then((r) => {
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trimEnd();
    });
  return hashLine;
}

/** Writes `content` to `users.txt` in a fresh temp dir; gives the path to `fn`, then removes it. */
async function withFile(content: string, fn: (file: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sluice-auth-" });
  try {
    const file = `${dir}/users.txt`;
    await Deno.writeTextFile(file, content);
    await fn(file);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs `fn` against a proxy authenticating alice (serve flags + read of the auth file). */
async function withAuthProxy(
  extra: string[],
  fn: (p: ProxyProcess, o: ReturnType<typeof origin>) => Promise<void>,
): Promise<void> {
  const line = await aliceLine();
  const o = origin();
  try {
    await withFile(`# proxy users\n${line}\n`, async (file) => {
      const args = ["--listen", "127.0.0.1:0", "--auth-file", file, "--connect-ports", "*"];
      await withSpawnedProxy(
        [...args, ...extra],
        (p) => fn(p, o),
        [...SERVE_FLAGS, `--allow-read=${file}`],
      );
    });
  } finally {
    await o.close();
  }
}

/** An origin answering `200 ok` that keeps every request head it got. */
function origin() {
  const heads: string[] = [];
  const o = rawOrigin(async (conn) => {
    heads.push((await readHead(conn)).head);
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"));
  });
  return Object.assign(o, { heads });
}

const basic = (user: string, pw: string) =>
  `Proxy-Authorization: Basic ${btoa(`${user}:${pw}`)}\r\n`;

/** One request on a fresh connection; the response and whether the proxy closed. */
async function ask(port: number, request: string) {
  const c = await RawClient.connect(port);
  try {
    await c.write(request);
    const r = await c.read();
    return { ...r, text: text(r.body), closed: await c.closedWithin(2000) };
  } finally {
    c.close();
  }
}

const get = (port: number, headers = "") =>
  `GET http://127.0.0.1:${port}/ HTTP/1.1\r\nHost: x\r\n${headers}Connection: close\r\n\r\n`;

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const assertAccessLog = assertAccessLine;

const REQUIRED_BODY = "407 Proxy Authentication Required: Proxy authentication required: " +
  "send Basic credentials (curl --proxy-user USER:PASSWORD, or http://USER:PASSWORD@proxy:port " +
  "as the proxy URL)\nreason: auth-required\n";
const FAILED_BODY = "407 Proxy Authentication Required: Proxy authentication failed: " +
  "unknown user or wrong password (users are in --auth-file)\nreason: auth-failed\n";

Deno.test("hash-password alice --cost 4 reads stdin and prints only alice:$2b$04$...", async () => {
  const r = await run(["run", "main.ts", "hash-password", "alice", "--cost", "4"], "s3cret\n");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^alice:\$2b\$04\$[./A-Za-z0-9]{53}\n$/);
  assert.doesNotMatch(r.stdout + r.stderr, /s3cret/);
});

Deno.test("no credentials -> 407 auth-required with the challenge; the origin sees nothing", async () => {
  await withAuthProxy([], async (p, o) => {
    const r = await ask(p.port, get(o.port));
    assert.equal(r.status, 407, r.head);
    assert.equal(r.headers.get("x-sluice-reason"), "auth-required");
    assert.equal(r.headers.get("proxy-authenticate"), 'Basic realm="sluice", charset="UTF-8"');
    assert.equal(r.headers.get("proxy-status"), "sluice; error=http_request_denied");
    assert.equal(r.text, REQUIRED_BODY);
    assert.ok(r.closed);
    await assertAccessLog(p, `GET ${esc(`http://127.0.0.1:${o.port}/`)} 407 .* auth-required`);
    // another scheme counts as no Basic credentials at all
    const bearer = await ask(p.port, get(o.port, "Proxy-Authorization: Bearer abc\r\n"));
    assert.equal(bearer.headers.get("x-sluice-reason"), "auth-required");
    const c = await curl(["-i", "-x", `http://127.0.0.1:${p.port}`, `http://127.0.0.1:${o.port}/`]);
    assert.match(text(c.stdout), /^HTTP\/1\.1 407 Proxy Authentication Required\r\n/);
    assert.equal(o.accepted, 0);
  });
});

Deno.test("--auth-realm 'Lab 3' is the realm of the challenge", async () => {
  await withAuthProxy(["--auth-realm", "Lab 3"], async (p, o) => {
    const r = await ask(p.port, get(o.port));
    assert.equal(r.status, 407);
    assert.equal(r.headers.get("proxy-authenticate"), 'Basic realm="Lab 3", charset="UTF-8"');
  });
});

Deno.test("wrong password, unknown user, malformed or repeated credentials -> 407 auth-failed, same body", async () => {
  await withAuthProxy([], async (p, o) => {
    const bad = [
      basic("alice", "wrong"),
      basic("mallory", PASSWORD),
      "Proxy-Authorization: Basic !!!notbase64\r\n",
      basic("alice", PASSWORD) + basic("alice", PASSWORD),
    ];
    for (const h of bad) {
      const r = await ask(p.port, get(o.port, h));
      assert.equal(r.status, 407, h);
      assert.equal(r.headers.get("x-sluice-reason"), "auth-failed", h);
      assert.equal(r.headers.get("proxy-authenticate"), 'Basic realm="sluice", charset="UTF-8"');
      assert.equal(r.text, FAILED_BODY, h);
      assert.ok(r.closed);
    }
    await assertAccessLog(p, `GET ${esc(`http://127.0.0.1:${o.port}/`)} 407 .* auth-failed`);
    const c = await curl([
      "-i",
      "-x",
      `http://127.0.0.1:${p.port}`,
      "--proxy-user",
      "alice:nope",
      `http://127.0.0.1:${o.port}/`,
    ]);
    assert.match(text(c.stdout), /^HTTP\/1\.1 407 [^]*X-Sluice-Reason: auth-failed\r\n/);
    assert.equal(o.accepted, 0);
  });
});

Deno.test("curl --proxy-user alice:PASSWORD -> 200; Proxy-Authorization is not forwarded; log names user=alice", async () => {
  await withAuthProxy([], async (p, o) => {
    const url = `http://127.0.0.1:${o.port}/a`;
    const proxy = `http://127.0.0.1:${p.port}`;
    const r = await curl(["-x", proxy, "--proxy-user", `alice:${PASSWORD}`, url]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(text(r.stdout), "ok");
    // the proxy URL form too
    const u = await curl([
      "-x",
      `http://alice:${encodeURIComponent(PASSWORD)}@127.0.0.1:${p.port}`,
      url,
    ]);
    assert.equal(text(u.stdout), "ok", u.stderr);
    assert.equal(o.heads.length, 2);
    for (const h of o.heads) assert.doesNotMatch(h, /proxy-authorization/i);
    await assertAccessLog(p, `GET ${esc(url)} 200 .* - user=alice`);
  });
});

Deno.test("keep-alive: every request is checked, a later one without credentials gets 407", async () => {
  await withAuthProxy([], async (p, o) => {
    const c = await RawClient.connect(p.port);
    try {
      const req = (h: string) => `GET http://127.0.0.1:${o.port}/ HTTP/1.1\r\nHost: x\r\n${h}\r\n`;
      await c.write(req(basic("alice", PASSWORD)));
      assert.equal((await c.read()).status, 200);
      await c.write(req(""));
      const r = await c.read();
      assert.equal(r.status, 407);
      assert.equal(r.headers.get("x-sluice-reason"), "auth-required");
      assert.ok(await c.closedWithin(2000));
    } finally {
      c.close();
    }
    assert.equal(o.accepted, 1);
  });
});

Deno.test("CONNECT: 407 without or with bad credentials, a tunnel with good ones", async () => {
  await withAuthProxy([], async (p, o) => {
    const connect = async (headers: string) => {
      const c = await Deno.connect({ hostname: "127.0.0.1", port: p.port });
      try {
        const target = `127.0.0.1:${o.port}`;
        await c.write(bytes(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${headers}\r\n`));
        const { head, rest } = await readHead(c);
        if (head.startsWith("HTTP/1.1 200 ")) {
          await c.write(bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        }
        return { head, after: text(await readAll(c, rest)) };
      } finally {
        c.close();
      }
    };
    const none = await connect("");
    assert.match(none.head, /^HTTP\/1\.1 407 [^]*\r\nX-Sluice-Reason: auth-required\r\n/);
    assert.match(none.head, /\r\nProxy-Authenticate: Basic realm="sluice", charset="UTF-8"\r\n/);
    assert.equal(none.after, REQUIRED_BODY);
    await assertAccessLog(p, `CONNECT 127\\.0\\.0\\.1:${o.port} 407 .* auth-required`);
    const wrong = await connect(basic("alice", "wrong"));
    assert.match(wrong.head, /\r\nX-Sluice-Reason: auth-failed\r\n/);
    assert.equal(o.accepted, 0);
    const good = await connect(basic("alice", PASSWORD));
    assert.equal(good.head, "HTTP/1.1 200 Connection Established\r\n\r\n");
    assert.match(good.after, /^HTTP\/1\.1 200 OK\r\n[^]*ok$/);
    await assertAccessLog(p, `CONNECT 127\\.0\\.0\\.1:${o.port} 200 .* - user=alice`);
    // curl's tunnel (-p) with --proxy-user
    const proxy = `http://127.0.0.1:${p.port}`;
    const url = `http://127.0.0.1:${o.port}/t`;
    const c = await curl(["-p", "-x", proxy, "--proxy-user", `alice:${PASSWORD}`, url]);
    assert.equal(text(c.stdout), "ok", c.stderr);
    const c2 = await curl(["-p", "-x", proxy, url]);
    assert.notEqual(c2.code, 0);
    assert.match(c2.stderr, /407/);
    assert.equal(o.accepted, 2);
    for (const h of o.heads) assert.doesNotMatch(h, /proxy-authorization/i);
  });
});

Deno.test("--auth-file without --allow-read for it: exit 2 naming --allow-read=FILE", async () => {
  await withFile(`${await aliceLine()}\n`, async (file) => {
    const r = await run([
      ...SERVE_FLAGS,
      "main.ts",
      "--listen",
      "127.0.0.1:0",
      "--auth-file",
      file,
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(`--allow-read=${file}`), r.stderr);
    assert.match(
      r.stderr,
      /^sluice: cannot read .*users\.txt: the Deno sandbox does not allow it/m,
    );
  });
});

Deno.test("a malformed auth file: exit 2 with FILE:LINE in the message, no secret echoed", async () => {
  const content = `# users\n${await aliceLine()}\nbob:hunter2\n`;
  await withFile(content, async (file) => {
    const flags = [...SERVE_FLAGS, `--allow-read=${file}`];
    const r = await run([...flags, "main.ts", "--listen", "127.0.0.1:0", "--auth-file", file]);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(`${file}:3: Cannot parse auth line`), r.stderr);
    assert.match(r.stderr, /sluice hash-password bob/);
    assert.doesNotMatch(r.stderr, /hunter2/);
  });
});
