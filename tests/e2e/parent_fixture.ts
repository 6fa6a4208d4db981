/**
 * Fixtures for the parent proxy's end-to-end tests (parent_test.ts,
 * parent_squid_test.ts): two sluice processes chained with `--parent`, an
 * origin that keeps the request heads it got, a TCP echo target for
 * CONNECT, an auth file, and Squid started from a minimal temp config.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  bytes,
  concat,
  delay,
  findSeq,
  parseHead,
  type ProxyProcess,
  randomBytes,
  RawClient,
  rawOrigin,
  readAll,
  readHead,
  ROOT,
  SERVE_FLAGS,
  text,
  withSpawnedProxy,
} from "./harness.ts";

/** An origin answering `200 ok` that keeps every request head it got. */
export function origin() {
  const heads: string[] = [];
  const o = rawOrigin(async (conn) => {
    heads.push((await readHead(conn)).head);
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"));
  });
  return Object.assign(o, { heads });
}

/** A CONNECT target that echoes every byte back until the client half-closes. */
export function echoTarget() {
  return rawOrigin(async (conn) => {
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return;
      let off = 0;
      while (off < n) off += await conn.write(buf.subarray(off, n));
    }
  });
}

/** The values of every `Via` field line of a head, joined as one list. */
export function via(head: string): string {
  return head.split("\r\n").filter((l) => /^via:/i.test(l)).map((l) => l.slice(4).trim())
    .join(", ");
}

/** `GET http://127.0.0.1:PORT/PATH HTTP/1.1` with `headers`, closing. */
export const get = (port: number, path = "/", headers = "") =>
  `GET http://127.0.0.1:${port}${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${headers}` +
  "Connection: close\r\n\r\n";

/** One request on a fresh connection to the proxy at `port`; the response with its body as text. */
export async function ask(port: number, request: string) {
  const c = await RawClient.connect(port);
  try {
    await c.write(request);
    const r = await c.read();
    return { ...r, text: text(r.body) };
  } finally {
    c.close();
  }
}

/**
 * CONNECTs through the proxy at `port` to `127.0.0.1:target`; on a 2xx sends
 * 256 KiB and reads them back (`echoed`: whether they came back intact);
 * otherwise reads the refusal to the end (`body`).
 */
export async function tunnel(port: number, target: number, headers = "") {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const authority = `127.0.0.1:${target}`;
    await c.write(bytes(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${headers}\r\n`));
    const { head, rest } = await readHead(c);
    const status = Number(head.split(" ")[1]);
    if (status < 200 || status > 299) {
      return { status, head, echoed: false, body: text(await readBody(c, head, rest)) };
    }
    const payload = randomBytes(256 * 1024, target);
    const writing = (async () => {
      let off = 0;
      while (off < payload.length) off += await c.write(payload.subarray(off));
    })();
    // read back exactly what was sent: no half-close, which Squid does not carry through a tunnel
    const back = await readExactly(c, rest, payload.length);
    await writing;
    const echoed = back.length === payload.length && back.every((b, i) => b === payload[i]);
    return { status, head, echoed, body: "" };
  } finally {
    c.close();
  }
}

/** Reads until `n` bytes (with `initial`) or EOF. */
async function readExactly(conn: Deno.Conn, initial: Uint8Array, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = Math.min(initial.length, n);
  out.set(initial.subarray(0, got));
  while (got < n) {
    const r = await conn.read(out.subarray(got));
    if (r === null) break;
    got += r;
  }
  return out.subarray(0, got);
}

/**
 * The body of a response to a CONNECT (`head` read, `rest` after it), by its
 * framing: a refused CONNECT's connection may stay open, so Content-Length
 * and chunked bodies are not read until a close.
 */
async function readBody(conn: Deno.Conn, head: string, rest: Uint8Array): Promise<Uint8Array> {
  const { headers } = parseHead(head);
  const length = headers.get("content-length");
  if (length !== undefined) return await readExactly(conn, rest, Number(length));
  if (!/chunked/i.test(headers.get("transfer-encoding") ?? "")) return await readAll(conn, rest);
  let acc = rest;
  const buf = new Uint8Array(65536);
  while (findSeq(acc, bytes("\r\n0\r\n\r\n")) < 0 && findSeq(acc, bytes("0\r\n\r\n")) !== 0) {
    const n = await conn.read(buf);
    if (n === null) break;
    acc = concat(acc, buf.subarray(0, n));
  }
  return acc; // still chunked: the callers only show it
}

/** Runs `deno ARGS` in the repository with `stdin`, killed after 30 s. */
async function runDeno(args: string[], stdin: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const dog = setTimeout(() => child.kill("SIGKILL"), 30_000);
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

/** Runs `fn` with a temp dir (mode 0777: Squid drops to its own user), removed afterwards. */
export async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sluice-parent-" });
  try {
    await Deno.chmod(dir, 0o777);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes a sluice auth file for `user:password` (`sluice hash-password`) in `dir`; returns its path. */
export async function authFile(dir: string, user: string, password: string): Promise<string> {
  const r = await runDeno(
    ["run", "main.ts", "hash-password", user, "--cost", "4"],
    `${password}\n`,
  );
  assert.equal(r.code, 0, r.stderr);
  const file = `${dir}/users.txt`;
  await Deno.writeTextFile(file, `${r.stdout.trimEnd()}\n`);
  return file;
}

/** How to start the two sluice processes of a chain. */
export interface ChainOptions {
  /** Extra arguments of the parent. */
  parent?: string[];
  /** Extra Deno flags of the parent (e.g. `--allow-read=` of its auth file). */
  parentFlags?: string[];
  /** The child's `--parent` URL, given the parent's port (default `http://127.0.0.1:PORT`). */
  url?: (parentPort: number) => string;
  /** Extra arguments of the child. */
  child?: string[];
}

/**
 * Runs `fn` with a parent sluice (`--via-name parent`) and a child sluice
 * (`--via-name child --parent URL`), both on loopback with `--connect-ports
 * *` (distinct names: two sluice processes named alike would refuse each
 * other's requests as a loop); both always stopped.
 */
export async function withChain(
  opts: ChainOptions,
  fn: (parent: ProxyProcess, child: ProxyProcess) => Promise<void>,
): Promise<void> {
  const common = ["--listen", "127.0.0.1:0", "--connect-ports", "*"];
  await withSpawnedProxy(
    [...common, "--via-name", "parent", ...opts.parent ?? []],
    async (parent) => {
      const url = opts.url?.(parent.port) ?? `http://127.0.0.1:${parent.port}`;
      await withSpawnedProxy(
        [...common, "--via-name", "child", "--parent", url, ...opts.child ?? []],
        (child) => fn(parent, child),
      );
    },
    [...SERVE_FLAGS, ...opts.parentFlags ?? []],
  );
}

/** The access lines (`sluice.access ...`) of a proxy's log. */
export function accessLines(p: ProxyProcess): string[] {
  return p.log().split("\n").filter((l) => l.includes("sluice.access"));
}

/** Whether `path` is a file. */
export function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The full path of `name` on PATH (or in an sbin), or null. */
export function which(name: string): string | null {
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":"), "/usr/sbin", "/usr/local/sbin"];
  return dirs.filter((d) => d !== "").map((d) => `${d}/${name}`).find(isFile) ?? null;
}

/** Squid's Basic authentication helper (Debian's path). */
export const SQUID_BASIC_AUTH = "/usr/lib/squid/basic_ncsa_auth";

/** A free loopback port (bound, then released). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

/** The name Squid puts in `Via` (`1.1 sluice-test-squid (squid/5.7)`). */
export const SQUID_NAME = "sluice-test-squid";

/**
 * Runs `fn` with Squid listening on a loopback port: no cache, pid and logs
 * in `dir`, every loopback client allowed (and, with `users`, only after
 * Basic authentication against that htpasswd file); Squid is always
 * stopped, and its cache.log is in the error when it does not start.
 */
export async function withSquid(
  dir: string,
  fn: (port: number) => Promise<void>,
  users: string | null = null,
): Promise<void> {
  const port = freePort();
  const auth = users === null ? ["http_access allow localhost"] : [
    `auth_param basic program ${SQUID_BASIC_AUTH} ${users}`,
    "auth_param basic realm sluice-test",
    "acl users proxy_auth REQUIRED",
    "http_access allow localhost users",
  ];
  const conf = [
    // NB: no "http_access deny to_localhost" (the stock config's): the origins are on 127.0.0.1
    `http_port 127.0.0.1:${port}`,
    ...auth,
    "http_access deny all",
    "cache deny all",
    "cache_mem 0 MB",
    "access_log none",
    "cache_store_log none",
    `cache_log ${dir}/cache.log`,
    `pid_filename ${dir}/squid.pid`,
    `coredump_dir ${dir}`,
    "netdb_filename none",
    `visible_hostname ${SQUID_NAME}`,
    "shutdown_lifetime 0 seconds",
    "pinger_enable off",
  ];
  await Deno.writeTextFile(`${dir}/squid.conf`, conf.join("\n") + "\n");
  const squid = new Deno.Command(which("squid")!, {
    args: ["-N", "-f", `${dir}/squid.conf`],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const cacheLog = () => Deno.readTextFile(`${dir}/cache.log`).catch(() => "(no cache.log)");
  try {
    let up = false;
    for (let i = 0; i < 150 && !up; i++) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        up = true;
      } catch {
        await delay(100);
      }
    }
    if (!up) throw new Error(`squid did not listen on ${port} within 15 s:\n${await cacheLog()}`);
    await fn(port);
  } finally {
    try {
      squid.kill("SIGTERM");
    } catch {
      // exited
    }
    const dog = setTimeout(() => squid.kill("SIGKILL"), 5000);
    await squid.status;
    clearTimeout(dog);
  }
}

/** An htpasswd line for Squid's basic_ncsa_auth (`openssl passwd -apr1`). */
export async function htpasswdLine(user: string, password: string): Promise<string> {
  const out = await new Deno.Command(which("openssl")!, {
    args: ["passwd", "-apr1", "-stdin"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = out.stdin.getWriter();
  await w.write(bytes(`${password}\n`));
  await w.close();
  const r = await out.output();
  assert.equal(r.code, 0, text(r.stderr));
  return `${user}:${text(r.stdout).trim()}`;
}
