/**
 * The access log through the real CLI: `--access-log FILE` with the JSON and
 * combined formats (fields checked against what curl and the origin saw),
 * the one-second flush, SIGUSR1 after a rename (logrotate's convention) in
 * one and in two event loops, a SIGHUP changing format and file, JSON lines
 * on stderr without a file, and the exit 1 naming `--allow-write` when the
 * file may not be written. The proxy runs with the serve flags plus
 * `--allow-write=FILE`, as the README's "Access log" section tells users to.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { AccessJson } from "../../lib/access_log.ts";
import { GOACCESS_REQUEST, parseCombined } from "../goaccess.ts";
import {
  bytes,
  curl,
  delay,
  RawClient,
  type RawOrigin,
  rawOrigin,
  readHead,
  ROOT,
  SERVE_FLAGS,
  spawnProxy,
  text,
  withSpawnedProxy,
} from "./harness.ts";

const BODY = "hello access log";
const RESPONSE = `HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`;

/** A keep-alive origin answering every request with RESPONSE; `received` gets each request's size. */
function keepAliveOrigin(received: number[] = []): RawOrigin {
  return rawOrigin(async (conn) => {
    for (;;) {
      const { head, rest } = await readHead(conn);
      received.push(bytes(head).length + rest.length);
      await conn.write(bytes(RESPONSE));
    }
  });
}

/** Runs `fn` with a temporary directory, removed afterwards. */
async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sluice-access-e2e-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The lines of `path` ("" when it does not exist). */
async function lines(path: string): Promise<string[]> {
  try {
    const t = await Deno.readTextFile(path);
    return t === "" ? [] : t.replace(/\n$/, "").split("\n");
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

/** Polls `path` until it has `n` lines (or `ms` pass); returns them and how long it took. */
async function waitLines(path: string, n: number, ms = 3000): Promise<[string[], number]> {
  const t0 = Date.now();
  let ls = await lines(path);
  while (ls.length < n && Date.now() - t0 < ms) {
    await delay(25);
    ls = await lines(path);
  }
  return [ls, Date.now() - t0];
}

async function waitFor(what: string, test: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

/** The serve flags with write access to `files`. */
function writeFlags(files: string[], base: readonly string[] = SERVE_FLAGS): string[] {
  return [...base, `--allow-write=${files.join(",")}`];
}

Deno.test("--access-log FILE json: fields match what curl and the origin saw, within 1.5 s", async () => {
  const received: number[] = [];
  const origin = keepAliveOrigin(received);
  try {
    await withDir(async (dir) => {
      const file = `${dir}/access.log`;
      const args = ["--listen", "127.0.0.1:0", "--access-log", file, "--access-log-format", "json"];
      await withSpawnedProxy(args, async (p) => {
        const before = Date.now();
        const url = `http://127.0.0.1:${origin.port}`;
        // one curl, two URLs: one client connection, the second finds the origin's in the pool
        const out = await curl([
          "-x",
          `http://127.0.0.1:${p.port}`,
          "-o",
          "/dev/null",
          "-o",
          "/dev/null",
          "-w",
          "%{http_code} %{size_request} %{size_header} %{size_download}\\n",
          `${url}/first`,
          `${url}/second?x=1`,
        ]);
        assert.equal(out.code, 0, out.stderr);
        const seen = text(out.stdout).trim().split("\n").map((l) => l.split(" ").map(Number));
        const [ls, took] = await waitLines(file, 2);
        assert.equal(ls.length, 2, `lines after ${took} ms: ${ls.join("\n")}\n${p.log()}`);
        assert.ok(took <= 1500, `the lines took ${took} ms to appear`);
        assert.doesNotMatch(p.log(), /sluice\.access/, "no access line on stderr");
        const recs = ls.map((l) => JSON.parse(l) as AccessJson);
        for (const [i, r] of recs.entries()) {
          const [code, sizeRequest, sizeHeader, sizeDownload] = seen[i];
          assert.equal(r.status, code);
          assert.equal(r.method, "GET");
          assert.equal(r.target, i === 0 ? `${url}/first` : `${url}/second?x=1`);
          assert.equal(r.http_version, "HTTP/1.1");
          assert.equal(r.client, "127.0.0.1");
          assert.ok(Number.isInteger(r.client_port) && r.client_port! > 0);
          assert.equal(r.user, null);
          assert.equal(r.bytes_from_client, sizeRequest);
          assert.equal(r.bytes_to_client, sizeHeader + sizeDownload);
          assert.equal(r.bytes_to_upstream, received[i]);
          assert.equal(r.bytes_to_upstream_queued, received[i]);
          assert.equal(r.bytes_from_upstream, RESPONSE.length);
          assert.equal(r.upstream, `127.0.0.1:${origin.port}`);
          assert.equal(r.upstream_reused, i === 1, `exchange ${i} reused: ${r.upstream_reused}`);
          assert.equal(r.reason, null);
          // the cache (on by default) was asked, and stored the answers
          assert.match(r.cache ?? "", /^sluice; fwd=uri-miss/);
          const t = Date.parse(r.time);
          assert.ok(t >= before - 1000 && t <= Date.now(), r.time);
          const { head, connect, sent, first_byte, total } = r.ms;
          for (const v of [head, connect, sent, first_byte]) assert.equal(typeof v, "number");
          assert.ok(
            head! <= connect! && connect! <= sent! && sent! <= first_byte! && first_byte! <= total,
            JSON.stringify(r.ms),
          );
        }
        assert.equal(recs[0].client_port, recs[1].client_port, "one client connection");
        assert.equal(origin.accepted, 1);
      }, writeFlags([file]));
    });
  } finally {
    await origin.close();
  }
});

Deno.test("--access-log FILE: SIGUSR1 after a rename, old lines in the old file, later in the new, none lost", async () => {
  const origin = keepAliveOrigin();
  try {
    await withDir(async (dir) => {
      const file = `${dir}/access.log`;
      const args = ["--listen", "127.0.0.1:0", "--access-log", file, "--access-log-format", "json"];
      const total = 300;
      await withSpawnedProxy(args, async (p) => {
        const c = await RawClient.connect(p.port);
        try {
          for (let i = 0; i < total; i++) {
            if (i === 150) {
              // logrotate: rename, then signal; the requests go on meanwhile
              await Deno.rename(file, `${file}.1`);
              p.child.kill("SIGUSR1");
            }
            await c.write(`GET http://127.0.0.1:${origin.port}/${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
            assert.equal((await c.read()).status, 200);
          }
        } finally {
          c.close();
        }
        await waitFor("the reopen", () => p.log().includes("access log reopened"));
        const status = await p.stop("SIGTERM");
        assert.equal(status.code, 0, p.log());
      }, writeFlags([file, `${file}.1`]));
      const targets = (ls: string[]) =>
        ls.map((l) => Number(new URL((JSON.parse(l) as AccessJson).target).pathname.slice(1)));
      const old = targets(await lines(`${file}.1`));
      const now = targets(await lines(file));
      assert.equal(old.length + now.length, total, `old ${old.length} + new ${now.length}`);
      // exchange 148 was logged before response 149 was sent, so before the rename
      assert.ok(old.length >= 149 && now.length > 0, `split at ${old.length}`);
      assert.deepEqual([...old, ...now], Array.from({ length: total }, (_, i) => i));
    });
  } finally {
    await origin.close();
  }
});

Deno.test("--access-log FILE combined: GoAccess's COMBINED format parses every line", async () => {
  const origin = keepAliveOrigin();
  try {
    await withDir(async (dir) => {
      const file = `${dir}/access.log`;
      const args = ["--listen", "127.0.0.1:0", "--access-log", file];
      await withSpawnedProxy([...args, "--access-log-format", "combined"], async (p) => {
        const url = `http://127.0.0.1:${origin.port}/page?q=1`;
        const out = await curl([
          "-x",
          `http://127.0.0.1:${p.port}`,
          "-A",
          'Mozilla/5.0 "quoted" \\ agent',
          "-e",
          "http://referrer.example/",
          "-o",
          "/dev/null",
          "-w",
          "%{size_header} %{size_download}",
          url,
          "--next",
          "-x",
          `http://127.0.0.1:${p.port}`,
          "-o",
          "/dev/null",
          "-A",
          "",
          `http://127.0.0.1:1/refused`,
        ]);
        const [sizeHeader, sizeDownload] = text(out.stdout).split(" ").map(Number);
        const [ls] = await waitLines(file, 2);
        assert.equal(ls.length, 2, p.log());
        const [ok, bad] = ls.map((l) => {
          const g = parseCombined(l);
          assert.ok(g, `GoAccess would not parse: ${l}`);
          return g;
        });
        assert.equal(ok.host, "127.0.0.1");
        assert.deepEqual({ ...GOACCESS_REQUEST.exec(ok.request)?.groups }, {
          method: "GET",
          url,
          protocol: "HTTP/1.1",
        });
        assert.equal(ok.status, "200");
        assert.equal(Number(ok.bytes), sizeHeader + sizeDownload);
        assert.equal(ok.referer, "http://referrer.example/");
        assert.equal(ok.agent, "Mozilla/5.0 \\x22quoted\\x22 \\x5C agent");
        assert.equal(bad.status, "502");
        assert.equal(bad.agent, "-");
        assert.equal(bad.referer, "-");
      }, writeFlags([file]));
    });
  } finally {
    await origin.close();
  }
});

Deno.test("--workers 2 --access-log FILE: both loops append whole lines and reopen on SIGUSR1", async () => {
  const origin = keepAliveOrigin();
  const flags = SERVE_FLAGS.map((f) => f === "-P" ? "-P=workers" : f);
  try {
    await withDir(async (dir) => {
      const file = `${dir}/access.log`;
      const args = ["--listen", "127.0.0.1:0", "--workers", "2", "--access-log", file];
      await withSpawnedProxy([...args, "--access-log-format", "json"], async (p) => {
        const get = async (i: number) => {
          // a new connection each time: the kernel picks a loop per connection
          const c = await RawClient.connect(p.port);
          try {
            await c.write(
              `GET http://127.0.0.1:${origin.port}/${i} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
            );
            assert.equal((await c.read()).status, 200);
          } finally {
            c.close();
          }
        };
        for (let i = 0; i < 20; i++) await get(i);
        await Deno.rename(file, `${file}.1`);
        p.child.kill("SIGUSR1");
        await waitFor("the reopen", () => p.log().includes("access log reopened"));
        for (let i = 20; i < 40; i++) await get(i);
        const status = await p.stop("SIGTERM");
        assert.equal(status.code, 0, p.log());
      }, writeFlags([file, `${file}.1`], flags));
      const ids = (ls: string[]) =>
        ls.map((l) => Number(new URL((JSON.parse(l) as AccessJson).target).pathname.slice(1)))
          .sort((a, b) => a - b);
      // 40 connections spread over two loops (2^-39 that one loop had them all): every
      // line whole, the first 20 in the renamed file, the last 20 in the new one
      assert.deepEqual(ids(await lines(`${file}.1`)), Array.from({ length: 20 }, (_, i) => i));
      assert.deepEqual(ids(await lines(file)), Array.from({ length: 20 }, (_, i) => i + 20));
    });
  } finally {
    await origin.close();
  }
});

Deno.test("SIGHUP: a changed format and file apply to new exchanges; the old file keeps its lines", async () => {
  const origin = keepAliveOrigin();
  try {
    await withDir(async (dir) => {
      const conf = `${dir}/sluice.jsonc`;
      const a = `${dir}/a.log`;
      const b = `${dir}/b.log`;
      // a fixed port: a reload would bind a fresh one for "127.0.0.1:0"
      const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const listen = [`127.0.0.1:${l.addr.port}`];
      l.close();
      await Deno.writeTextFile(conf, JSON.stringify({ listen, "access-log": a }));
      const p = await spawnProxy(
        ["--config", conf],
        [...writeFlags([a, b]), `--allow-read=${conf}`],
      );
      try {
        const get = async () => {
          const url = `http://127.0.0.1:${origin.port}/`;
          const out = await curl(["-x", `http://127.0.0.1:${p.port}`, url]);
          assert.equal(out.code, 0, `${out.stderr}\n${p.log()}`);
        };
        await get();
        await Deno.writeTextFile(
          conf,
          JSON.stringify({ listen, "access-log": b, "access-log-format": "json" }),
        );
        p.child.kill("SIGHUP");
        await waitFor("the reload", () => p.log().includes("reloaded:"));
        await get();
        const [bl] = await waitLines(b, 1);
        assert.equal(bl.length, 1, p.log());
        assert.equal((JSON.parse(bl[0]) as AccessJson).status, 200);
        // the old writer was flushed and closed at the reload
        const al = await lines(a);
        assert.equal(al.length, 1);
        assert.match(
          al[0],
          /INFO {4}sluice\.access 127\.0\.0\.1:\d+ GET http:\/\/127\.0\.0\.1:\d+\/ 200 /,
        );
      } finally {
        assert.equal((await p.stop("SIGTERM")).code, 0, p.log());
      }
    });
  } finally {
    await origin.close();
  }
});

Deno.test("--access-log-format json without a file: bare JSON lines on stderr", async () => {
  const origin = keepAliveOrigin();
  try {
    await withSpawnedProxy(
      ["--listen", "127.0.0.1:0", "--access-log-format", "json"],
      async (p) => {
        const out = await curl([
          "-x",
          `http://127.0.0.1:${p.port}`,
          `http://127.0.0.1:${origin.port}/j`,
        ]);
        assert.equal(out.code, 0);
        await waitFor("the access line", () => /^\{"time":/m.test(p.log()));
        const line = p.log().split("\n").find((l) => l.startsWith('{"time":'))!;
        const r = JSON.parse(line) as AccessJson;
        assert.equal(r.target, `http://127.0.0.1:${origin.port}/j`);
        assert.equal(r.status, 200);
        assert.doesNotMatch(p.log(), /sluice\.access/);
      },
    );
  } finally {
    await origin.close();
  }
});

Deno.test("--access-log without write permission: exit 1 naming --allow-write, nothing listens", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/access.log`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [...SERVE_FLAGS, "main.ts", "--listen", "127.0.0.1:0", "--access-log", file],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
      signal: AbortSignal.timeout(20_000),
    }).output();
    const err = text(out.stderr);
    assert.equal(out.code, 1, err);
    assert.ok(
      err.includes(
        `sluice: cannot open the access log ${file}: the Deno sandbox does not allow writing it; add --allow-write=${file}\n`,
      ),
      err,
    );
    assert.doesNotMatch(err, /listening on/);
    await assert.rejects(Deno.stat(file), Deno.errors.NotFound);
  });
});
