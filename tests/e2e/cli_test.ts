/**
 * The real CLI as a subprocess, with the permission set `deno task serve`
 * uses (`-P`, from deno.json) or a narrowed `--allow-net`.
 */
import assert from "node:assert/strict";
import { type Config, parseCommandLine } from "../../lib/config.ts";
import {
  bytes,
  curl,
  delay,
  RawClient,
  rawOrigin,
  readHead,
  ROOT,
  spawnProxy,
  text,
} from "./harness.ts";

async function runCli(
  args: string[],
  denoFlags: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-P", ...denoFlags, "main.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** stderr without Deno's own warning about permissions in the config file. */
function ownLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.trim() !== "" && !l.includes("experimental feature"));
}

Deno.test("--help lists every flag and --version prints the version, exit 0", async () => {
  const help = await runCli(["--help"]);
  assert.equal(help.code, 0);
  for (
    const flag of [
      "--port",
      "--listen",
      "--connect-ports",
      "--log-level",
      "--drain-timeout",
      "--help",
      "--version",
    ]
  ) {
    assert.ok(help.stdout.includes(flag), flag);
  }
  const version = await runCli(["-V"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^sluice \d+\.\d+\.\d+/);
});

Deno.test("a bad flag or value is a one-line error and exit 2, no stack trace", async () => {
  for (const args of [["--bogus"], ["--port", "99999"], ["--log-level", "loud"], ["1", "2"]]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, args.join(" "));
    const lines = ownLines(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^sluice: /);
    assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/);
  }
});

Deno.test("a busy port is a one-line error and exit 1", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const r = await runCli(["--listen", `127.0.0.1:${l.addr.port}`]);
    assert.equal(r.code, 1);
    const lines = ownLines(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /address already in use/);
  } finally {
    l.close();
  }
});

Deno.test("the served proxy fetches through curl and logs one access line per exchange", async () => {
  const origin = rawOrigin(async (conn) => {
    await readHead(conn);
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"));
  });
  const proxy = await spawnProxy(["--listen", "127.0.0.1:0"]);
  try {
    const out = await curl([
      "-x",
      `http://127.0.0.1:${proxy.port}`,
      `http://127.0.0.1:${origin.port}/x`,
    ]);
    assert.equal(text(out.stdout), "hello");
    await delay(100);
    assert.match(
      proxy.log(),
      new RegExp(
        `sluice\\.access 127\\.0\\.0\\.1:\\d+ GET http://127\\.0\\.0\\.1:${origin.port}/x 200 `,
      ),
    );
  } finally {
    assert.equal((await proxy.stop()).code, 0);
    await origin.close();
  }
});

Deno.test("the listening lines are printed at any --log-level, and nothing else at error", async () => {
  for (const level of ["warning", "error"]) {
    const proxy = await spawnProxy(["--listen", "127.0.0.1:0", "--log-level", level]);
    try {
      assert.match(
        proxy.log(),
        new RegExp(
          `NOTICE  sluice\\.main sluice \\S+ listening on http://127\\.0\\.0\\.1:${proxy.port}\\n`,
        ),
      );
    } finally {
      assert.equal((await proxy.stop()).code, 0);
    }
    if (level === "error") {
      const lines = proxy.log().split("\n").filter((l) => /^\d{4}-/.test(l));
      assert.equal(lines.length, 1, proxy.log());
    }
  }
});

Deno.test("--listen [::]:PORT takes IPv4 and IPv6 clients; IPv6 origin by literal", async () => {
  const origin = rawOrigin(async (conn) => {
    const { head } = await readHead(conn);
    const host = head.match(/\r\nHost: (.*)\r\n/)?.[1];
    await conn.write(bytes(`HTTP/1.1 200 OK\r\nContent-Length: ${host!.length}\r\n\r\n${host}`));
  }, true);
  const proxy = await spawnProxy(["--listen", "[::]:0"]);
  try {
    for (const via of [`http://127.0.0.1:${proxy.port}`, `http://[::1]:${proxy.port}`]) {
      const out = await curl(["-x", via, `http://[::1]:${origin.port}/`]);
      assert.equal(out.code, 0, out.stderr);
      assert.equal(text(out.stdout), `[::1]:${origin.port}`);
    }
  } finally {
    await proxy.stop();
    await origin.close();
  }
});

Deno.test("SIGTERM: stop accepting, let the in-flight exchange finish, exit 0", async () => {
  const origin = rawOrigin(async (conn) => {
    await readHead(conn);
    await delay(700);
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nfinished"));
  });
  const proxy = await spawnProxy(["--listen", "127.0.0.1:0"]);
  const idle = await RawClient.connect(proxy.port);
  const busy = await RawClient.connect(proxy.port);
  try {
    await busy.write(`GET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\n\r\n`);
    await delay(200);
    const stopping = proxy.stop("SIGTERM");
    await delay(100);
    await assert.rejects(() =>
      Deno.connect({ hostname: "127.0.0.1", port: proxy.port }).then((c) => c.close())
    );
    const r = await busy.read();
    assert.equal(text(r.body), "finished");
    assert.ok(await idle.closedWithin(2000), "idle keep-alive connection closed at once");
    assert.ok(await busy.closedWithin(2000), "busy connection closed after its exchange");
    const status = await stopping;
    assert.equal(status.code, 0);
    assert.match(proxy.log(), /SIGTERM: draining/);
  } finally {
    idle.close();
    busy.close();
    await proxy.stop("SIGKILL");
    await origin.close();
  }
});

Deno.test("under a narrowed --allow-net a refused destination gets 403 naming the entry; the proxy keeps running", async () => {
  const allowed = rawOrigin(async (conn) => {
    await readHead(conn);
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  });
  // only 127.0.0.1 (any port): the name "localhost" is outside the sandbox
  const proxy = await spawnProxy(["--listen", "127.0.0.1:0"], ["run", "--allow-net=127.0.0.1"]);
  try {
    const denied = await curl([
      "-x",
      `http://127.0.0.1:${proxy.port}`,
      "-D",
      "-",
      "http://localhost:1/",
    ]);
    const out = text(denied.stdout);
    assert.match(out, /^HTTP\/1\.1 403 /);
    assert.match(out, /X-Sluice-Reason: permission-denied/);
    assert.match(out, /--allow-net=.*localhost:1/);
    const ok = await curl([
      "-x",
      `http://127.0.0.1:${proxy.port}`,
      `http://127.0.0.1:${allowed.port}/`,
    ]);
    assert.equal(text(ok.stdout), "ok");
  } finally {
    assert.equal((await proxy.stop()).code, 0);
    await allowed.close();
  }
});

Deno.test("a sandbox that allows a name (not its addresses) still reaches that name", async () => {
  const origin = rawOrigin(async (conn) => {
    await readHead(conn);
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  });
  const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = free.addr.port;
  free.close();
  const proxy = await spawnProxy(["--listen", `127.0.0.1:${port}`], [
    "run",
    `--allow-net=127.0.0.1:${port},localhost`,
  ]);
  try {
    const byName = await curl([
      "-x",
      `http://127.0.0.1:${port}`,
      `http://localhost:${origin.port}/`,
    ]);
    assert.equal(text(byName.stdout), "ok");
    const byIp = await curl(["-x", `http://127.0.0.1:${port}`, `http://127.0.0.1:${origin.port}/`]);
    assert.match(text(byIp.stdout), new RegExp(`^403 Forbidden: .*127\\.0\\.0\\.1:${origin.port}`));
  } finally {
    await proxy.stop();
    await origin.close();
  }
});

Deno.test("--check prints the effective configuration as a config file, exit 0", async () => {
  const flags = ["--workers", "2", "--deny-client", "10.9.0.0/16", "--allow-client", "10.0.0.0/8"];
  const r = await runCli(["--check", ...flags]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\/\/ sluice \d+\.\d+\.\d+: the effective configuration/);
  assert.match(r.stdout, /\n {2}"workers": 2,\n/);
  const expected = (parseCommandLine(flags) as { config: Config }).config;
  const loaded = parseCommandLine(["--config", "check.jsonc"], () => r.stdout);
  assert.deepEqual(loaded, { kind: "serve", config: { ...expected, configFile: "check.jsonc" } });
});

Deno.test("--check with a bad config file: FILE:LINE:COL, exit 2", async () => {
  const file = await Deno.makeTempFile({ suffix: ".jsonc" });
  try {
    await Deno.writeTextFile(file, '{\n  // pooling\n  "pool-max": -1,\n}\n');
    const r = await runCli(["--check", "--config", file], [`--allow-read=${file}`]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.deepEqual(ownLines(r.stderr), [
      `sluice: ${file}:3:15: "pool-max": expected a whole number >= 0`,
    ]);
    await Deno.writeTextFile(file, '{ "pool-max": 0, "log-level": "debug" }');
    const ok = await runCli(["--check", "--config", file, "--log-level", "error"], [
      `--allow-read=${file}`,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /"pool-max": 0,/);
    assert.match(ok.stdout, /"log-level": "error",/);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("a config file outside the sandbox: the message names --allow-read=FILE, exit 2", async () => {
  const file = await Deno.makeTempFile({ suffix: ".jsonc" });
  try {
    await Deno.writeTextFile(file, '{ "workers": 3 }');
    const r = await runCli(["--config", file]);
    assert.equal(r.code, 2);
    assert.deepEqual(ownLines(r.stderr), [
      `sluice: cannot read ${file}: the Deno sandbox does not allow it; add --allow-read=${file}`,
    ]);
    // and the advice works
    const again = await runCli(["--check", "--config", file], [`--allow-read=${file}`]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /"workers": 3,/);
  } finally {
    await Deno.remove(file);
  }
});
