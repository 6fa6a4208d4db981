/**
 * End-to-end test harness: an in-process proxy, scripted raw origins, a raw
 * HTTP client whose response reader is independent of the proxy's parser,
 * curl, and the real CLI as a subprocess with the exact permission set.
 *
 * @module
 */

import { type Config, DEFAULT_CONFIG } from "../../lib/config.ts";
import type { ConnectionContext } from "../../lib/connection.ts";
import { ProxyServer } from "../../lib/server.ts";
import { SERVE_FLAGS as SERVE_FLAGS_OF_TASK } from "../serve_flags.ts";

/** The repository root (where deno.json is). */
export const ROOT: string = new URL("../../", import.meta.url).pathname;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Bytes of a string (UTF-8). */
export function bytes(s: string): Uint8Array {
  return enc.encode(s);
}

/** The status and the fields (lower-case names, trimmed values; the last of a name wins) of a response head. */
export function parseHead(head: string): { status: number; headers: Map<string, string> } {
  const lines = head.split("\r\n");
  const status = Number(lines[0].split(" ")[1]);
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const c = l.indexOf(":");
    if (c > 0) headers.set(l.slice(0, c).toLowerCase(), l.slice(c + 1).trim());
  }
  return { status, headers };
}

/** Text of bytes (UTF-8). */
export function text(b: Uint8Array): string {
  return dec.decode(b);
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A configuration for in-process tests: one loopback listener on a free port. */
export function testConfig(over: Partial<Config> = {}): Config {
  return {
    ...DEFAULT_CONFIG,
    listen: [{ hostname: "127.0.0.1", port: 0 }],
    connectPorts: null,
    logLevel: "error",
    drainTimeoutMs: 2000,
    connectTimeoutMs: 2000,
    ...over,
  };
}

/** A running in-process proxy. */
export interface TestProxy {
  /** Its port. */
  port: number;
  /** `http://127.0.0.1:PORT` (or the bracketed IPv6 form). */
  url: string;
  /** The server. */
  server: ProxyServer;
}

/** Runs `fn` with an in-process proxy, then drains it (every socket closed). */
export async function withProxy(
  fn: (p: TestProxy) => Promise<void>,
  config: Partial<Config> = {},
  dial?: ConnectionContext["dial"],
): Promise<void> {
  const server = new ProxyServer(testConfig(config), dial);
  const [addr] = server.listen();
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  try {
    await fn({ port: addr.port, url: `http://${host}:${addr.port}`, server });
  } finally {
    await server.drain(2000);
  }
}

/** A scripted origin: every accepted connection goes to `handler`. */
export interface RawOrigin {
  /** Its port. */
  port: number;
  /** Connections accepted so far. */
  accepted: number;
  /** Stops listening, closes every connection, waits for the handlers. */
  close(): Promise<void>;
}

/** Starts a raw TCP origin on loopback (IPv4, or `::1` with `v6`). */
export function rawOrigin(handler: (conn: Deno.TcpConn) => Promise<void>, v6 = false): RawOrigin {
  const listener = Deno.listen({ hostname: v6 ? "::1" : "127.0.0.1", port: 0 });
  const conns = new Set<Deno.TcpConn>();
  const tasks: Promise<void>[] = [];
  const origin: RawOrigin = {
    port: listener.addr.port,
    accepted: 0,
    async close() {
      listener.close();
      await loop;
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // closed by the handler
        }
      }
      await Promise.allSettled(tasks);
    },
  };
  const loop = (async () => {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      origin.accepted++;
      conns.add(conn);
      tasks.push(
        handler(conn).catch(() => {}).finally(() => {
          conns.delete(conn);
          try {
            conn.close();
          } catch {
            // already closed
          }
        }),
      );
    }
  })();
  return origin;
}

/** Reads from `conn` until `"\r\n\r\n"`; returns the head text and any bytes after it. */
export async function readHead(conn: Deno.Conn): Promise<{ head: string; rest: Uint8Array }> {
  let acc: Uint8Array = new Uint8Array(0);
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) throw new Error(`EOF before end of head: ${JSON.stringify(text(acc))}`);
    acc = concat(acc, buf.subarray(0, n));
    const i = findSeq(acc, bytes("\r\n\r\n"));
    if (i >= 0) return { head: text(acc.subarray(0, i + 4)), rest: acc.slice(i + 4) };
  }
}

/** Reads everything until the peer closes. */
export async function readAll(
  conn: Deno.Conn,
  initial: Uint8Array = new Uint8Array(0),
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [initial];
  const buf = new Uint8Array(65536);
  for (;;) {
    let n: number | null;
    try {
      n = await conn.read(buf);
    } catch {
      break;
    }
    if (n === null) break;
    parts.push(buf.slice(0, n));
  }
  return concat(...parts);
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Index of `seq` in `hay`, or -1. */
export function findSeq(hay: Uint8Array, seq: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= hay.length - seq.length; i++) {
    for (let j = 0; j < seq.length; j++) if (hay[i + j] !== seq[j]) continue outer;
    return i;
  }
  return -1;
}

/** A response as seen by the test client. */
export interface ClientResponse {
  /** Status code. */
  status: number;
  /** Raw head text. */
  head: string;
  /** Lower-cased header names to values (last wins; Via etc. are single here). */
  headers: Map<string, string>;
  /** Decoded body bytes. */
  body: Uint8Array;
}

/**
 * A raw HTTP client over one TCP connection, with its own minimal response
 * reader (Content-Length, chunked, no-body statuses, read-until-close).
 */
export class RawClient {
  /** The socket. */
  readonly conn: Deno.TcpConn;
  #buf: Uint8Array = new Uint8Array(0);

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  /** Connects to `port` on `hostname`. */
  static async connect(port: number, hostname = "127.0.0.1"): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname, port }));
  }

  /** Writes all of `data`. */
  async write(data: string | Uint8Array): Promise<void> {
    const b = typeof data === "string" ? bytes(data) : data;
    let off = 0;
    while (off < b.length) off += await this.conn.write(b.subarray(off));
  }

  async #more(): Promise<boolean> {
    const chunk = new Uint8Array(65536);
    const n = await this.conn.read(chunk);
    if (n === null) return false;
    this.#buf = concat(this.#buf, chunk.subarray(0, n));
    return true;
  }

  async #take(n: number): Promise<Uint8Array> {
    while (this.#buf.length < n) if (!(await this.#more())) throw new Error("EOF in body");
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }

  async #line(): Promise<string> {
    for (;;) {
      const i = findSeq(this.#buf, bytes("\r\n"));
      if (i >= 0) {
        const line = text(this.#buf.subarray(0, i));
        this.#buf = this.#buf.slice(i + 2);
        return line;
      }
      if (!(await this.#more())) throw new Error("EOF in line");
    }
  }

  /** Reads one response; `head` for a HEAD request (no body). */
  async read(opts: { head?: boolean } = {}): Promise<ClientResponse> {
    let headEnd: number;
    while ((headEnd = findSeq(this.#buf, bytes("\r\n\r\n"))) < 0) {
      if (!(await this.#more())) {
        throw new Error(`EOF before response head: ${JSON.stringify(text(this.#buf))}`);
      }
    }
    const head = text(this.#buf.subarray(0, headEnd + 4));
    this.#buf = this.#buf.slice(headEnd + 4);
    const { status, headers } = parseHead(head);
    if (status < 200) return { status, head, headers, body: new Uint8Array(0) };
    let body: Uint8Array = new Uint8Array(0);
    if (opts.head || status === 204 || status === 304) {
      // no body
    } else if ((headers.get("transfer-encoding") ?? "").includes("chunked")) {
      const parts: Uint8Array[] = [];
      for (;;) {
        const size = parseInt((await this.#line()).split(";")[0], 16);
        if (size === 0) {
          while ((await this.#line()) !== "");
          break;
        }
        parts.push(await this.#take(size));
        await this.#take(2);
      }
      body = concat(...parts);
    } else if (headers.has("content-length")) {
      body = await this.#take(Number(headers.get("content-length")));
    } else {
      while (await this.#more());
      body = this.#buf;
      this.#buf = new Uint8Array(0);
    }
    return { status, head, headers, body };
  }

  /** Whether the peer closed (reads until EOF or `ms` pass). */
  async closedWithin(ms: number): Promise<boolean> {
    let id: ReturnType<typeof setTimeout> | undefined;
    const timer = new Promise<"timeout">((r) => id = setTimeout(() => r("timeout"), ms));
    const eof = (async () => {
      try {
        while (await this.#more());
      } catch {
        // reset counts as closed
      }
      return "eof" as const;
    })();
    const r = await Promise.race([timer, eof]);
    clearTimeout(id);
    if (r === "timeout") {
      this.close();
      await eof;
      return false;
    }
    return true;
  }

  /** Closes the socket (idempotent). */
  close(): void {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}

/** Runs curl with `args`; returns exit code, stdout bytes and stderr text. */
export async function curl(
  args: string[],
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const out = await new Deno.Command("curl", {
    args: ["--silent", "--show-error", "--max-time", "30", "--noproxy", "", ...args],
    stdout: "piped",
    stderr: "piped",
    env: { http_proxy: "", https_proxy: "", HTTP_PROXY: "", HTTPS_PROXY: "", NO_PROXY: "" },
  }).output();
  return { code: out.code, stdout: out.stdout, stderr: text(out.stderr) };
}

/** SHA-256 of bytes, hex. */
export async function sha256(b: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>));
  return Array.from(d, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Deterministic pseudo-random bytes. */
export function randomBytes(n: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** The real CLI running as a subprocess. */
export interface ProxyProcess {
  /** The port it listens on (from its log line). */
  port: number;
  /** The child. */
  child: Deno.ChildProcess;
  /** Everything it wrote to stderr so far. */
  log(): string;
  /** Sends `signal` and waits for the exit status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** Deno flags of the proxy as `deno task serve` runs it. */
export const SERVE_FLAGS: string[] = [...SERVE_FLAGS_OF_TASK];

/**
 * Starts `deno run -P main.ts ARGS` (the permission set of `deno task serve`
 * unless `flags` says otherwise), optionally with at most `maxFiles` open
 * files, and waits for its "listening on" line.
 */
export async function spawnProxy(
  args: string[],
  flags: string[] = SERVE_FLAGS,
  maxFiles?: number,
): Promise<ProxyProcess> {
  const argv = [Deno.execPath(), ...flags, "main.ts", ...args];
  // with maxFiles: `ulimit -n` in a shell that then becomes deno (same pid)
  const [cmd, cmdArgs] = maxFiles === undefined
    ? [argv[0], argv.slice(1)]
    : ["bash", ["-c", `ulimit -n ${maxFiles} && exec "$@"`, "bash", ...argv]];
  const child = new Deno.Command(cmd, {
    args: cmdArgs,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let log = "";
  const listening = Promise.withResolvers<number>();
  const drainOut = child.stdout.pipeTo(new WritableStream()).catch(() => {});
  const drainErr = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      log += chunk;
      const m = log.match(/listening on http:\/\/(?:\[[^\]]+\]|[^:\s]+):(\d+)/);
      if (m) listening.resolve(Number(m[1]));
    }
    listening.reject(new Error(`proxy exited before listening:\n${log}`));
  })();
  const status = child.status;
  const startTimer = setTimeout(
    () => listening.reject(new Error(`proxy did not start:\n${log}`)),
    20000,
  );
  const port = await listening.promise.finally(() => clearTimeout(startTimer)).catch(
    async (err) => {
      try {
        child.kill("SIGKILL");
      } catch {
        // gone
      }
      await status;
      await drainErr;
      await drainOut;
      throw err;
    },
  );
  return {
    port,
    child,
    log: () => log,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // already exited
      }
      const s = await status;
      await drainErr;
      await drainOut;
      return s;
    },
  };
}

/**
 * Runs `fn` against `spawnProxy(args, flags)`; a watchdog kills the proxy if
 * `fn` has not finished within `watchdogMs` (the test then fails instead of
 * hanging), and the proxy is always stopped.
 */
export async function withSpawnedProxy(
  args: string[],
  fn: (p: ProxyProcess) => Promise<void>,
  flags: string[] = SERVE_FLAGS,
  watchdogMs = 30_000,
): Promise<void> {
  const p = await spawnProxy(args, flags);
  let hung = false;
  const dog = setTimeout(() => {
    hung = true;
    p.child.kill("SIGKILL");
  }, watchdogMs);
  try {
    await fn(p);
  } finally {
    clearTimeout(dog);
    await p.stop();
  }
  if (hung) throw new Error(`test did not finish within ${watchdogMs} ms`);
}

/** Waits (up to 3 s) for a `sluice.access` line whose text after the client matches `pattern`. */
export async function assertAccessLine(p: ProxyProcess, pattern: string): Promise<void> {
  const re = new RegExp(`sluice\\.access \\S+ ${pattern}$`, "m");
  for (let i = 0; i < 60 && !re.test(p.log()); i++) await delay(50);
  if (!re.test(p.log())) throw new Error(`no access line matching ${re} in:\n${p.log()}`);
}

/** Headless Chromium's path, or null where it is not installed (`apt-get install chromium`). */
export function findChromium(): string | null {
  for (const p of ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]) {
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch {
      // not here
    }
  }
  return null;
}
