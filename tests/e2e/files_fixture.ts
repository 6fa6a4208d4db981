/**
 * Shared pieces of the file-server end-to-end tests (`files_*_test.ts`): a
 * temporary folder per test file holding the served root and, beside it, a
 * file that must never be served; the real CLI started on that root with the
 * documented `--allow-read=DIR`; curl with the response head parsed; a raw
 * request; and a download that reads straight into one buffer (optionally
 * slowly).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  bytes,
  concat,
  curl,
  findSeq,
  parseHead,
  type ProxyProcess,
  readAll,
  SERVE_FLAGS,
  text,
  withSpawnedProxy,
} from "./harness.ts";

/** What the file outside the root holds: no response may ever contain it. */
export const SECRET = "TOP-SECRET-outside-the-root";

/** A temporary folder: `root` is served, `outside/secret.txt` is beside it. */
export interface Fixture {
  /** The temporary folder (removed by {@linkcode Fixture.remove}). */
  base: string;
  /** The served root, `BASE/root`. */
  root: string;
  /** `BASE/outside/secret.txt`, holding {@linkcode SECRET}. */
  secret: string;
  /** Writes files under the root (parent folders made as needed). */
  write(files: Record<string, string | Uint8Array>): Promise<void>;
  /**
   * Runs `fn` against `sluice --listen 127.0.0.1:0 --root ROOT ARGS` started
   * with the serve task's flags plus `--allow-read=ALLOW` (the root unless
   * given), killed after `watchdogMs`.
   */
  serve(
    args: string[],
    fn: (p: ProxyProcess) => Promise<void>,
    opts?: { allowRead?: string; watchdogMs?: number },
  ): Promise<void>;
  /** Removes the temporary folder. */
  remove(): Promise<void>;
}

/** Makes a fresh fixture folder (`prefix` names it in /tmp). */
export async function makeFixture(prefix: string): Promise<Fixture> {
  const base = await Deno.makeTempDir({ prefix: `sluice-${prefix}-` });
  const root = `${base}/root`;
  const secret = `${base}/outside/secret.txt`;
  await Deno.mkdir(root);
  await Deno.mkdir(`${base}/outside`);
  await Deno.writeTextFile(secret, SECRET);
  return {
    base,
    root,
    secret,
    async write(files) {
      for (const [name, content] of Object.entries(files)) {
        const path = `${root}/${name}`;
        await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
        if (typeof content === "string") await Deno.writeTextFile(path, content);
        else await Deno.writeFile(path, content);
      }
    },
    serve(args, fn, opts = {}) {
      return withSpawnedProxy(
        ["--listen", "127.0.0.1:0", "--root", root, ...args],
        fn,
        [...SERVE_FLAGS, `--allow-read=${opts.allowRead ?? root}`],
        opts.watchdogMs ?? 30_000,
      );
    },
    async remove() {
      await Deno.remove(base, { recursive: true });
    },
  };
}

/** A response: status, lower-cased headers (last wins), body. */
export interface Got {
  /** Status code. */
  status: number;
  /** The raw head. */
  head: string;
  /** Lower-cased names to values. */
  headers: Map<string, string>;
  /** The body bytes. */
  body: Uint8Array;
  /** The body as text. */
  text: string;
}

/** `curl -i ARGS` (add `-I` for HEAD): the one response, parsed. */
export async function curlGot(args: string[]): Promise<Got> {
  const out = await curl(["-i", ...args]);
  assert.equal(out.code, 0, `curl ${args.join(" ")}: ${out.stderr}`);
  const end = findSeq(out.stdout, bytes("\r\n\r\n"));
  assert.ok(end >= 0, `no head in curl output: ${text(out.stdout)}`);
  const head = text(out.stdout.subarray(0, end + 4));
  const body = out.stdout.slice(end + 4);
  return { ...parseHead(head), head, body, text: text(body) };
}

/** Status, headers and body of a request on a fresh raw connection (read until close). */
export async function rawAsk(port: number, request: string | Uint8Array): Promise<Got> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const b = typeof request === "string" ? bytes(request) : request;
    for (let off = 0; off < b.length;) off += await conn.write(b.subarray(off));
    const all = await readAll(conn);
    const end = findSeq(all, bytes("\r\n\r\n"));
    assert.ok(end >= 0, `no response head: ${JSON.stringify(text(all))}`);
    const head = text(all.subarray(0, end + 4));
    const body = all.slice(end + 4);
    return { ...parseHead(head), head, body, text: text(body) };
  } finally {
    try {
      conn.close();
    } catch {
      // closed
    }
  }
}

/** How a {@linkcode download} reads. */
export interface DownloadOptions {
  /** Bytes per read (default 64 KiB). */
  chunk?: number;
  /** Pause after every read, ms (default none). */
  pauseMs?: number;
  /** A longer pause after every `longEvery` reads. */
  longEvery?: number;
  /** That longer pause, ms. */
  longPauseMs?: number;
}

/**
 * GETs `path` on a fresh connection (`Connection: close`) and reads the body
 * by its Content-Length straight into one buffer; checks the status is 200
 * and the connection closes after the body.
 */
export async function download(
  port: number,
  path: string,
  opts: DownloadOptions = {},
): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      bytes(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
    );
    const chunk = new Uint8Array(opts.chunk ?? 65536);
    let acc: Uint8Array = new Uint8Array(0);
    let end = -1;
    while (end < 0) {
      const n = await conn.read(chunk);
      if (n === null) throw new Error(`EOF before head: ${text(acc)}`);
      acc = concat(acc, chunk.subarray(0, n));
      end = findSeq(acc, bytes("\r\n\r\n"));
    }
    const { status, headers } = parseHead(text(acc.subarray(0, end + 4)));
    assert.equal(status, 200, `GET ${path}`);
    const length = Number(headers.get("content-length"));
    const body = new Uint8Array(length);
    let got = acc.length - end - 4;
    body.set(acc.subarray(end + 4));
    let reads = 0;
    while (got < length) {
      const n = await conn.read(chunk.subarray(0, Math.min(chunk.length, length - got)));
      if (n === null) throw new Error(`EOF after ${got} of ${length} bytes of ${path}`);
      body.set(chunk.subarray(0, n), got);
      got += n;
      reads++;
      if (opts.longEvery && reads % opts.longEvery === 0) await pause(opts.longPauseMs ?? 0);
      else if (opts.pauseMs) await pause(opts.pauseMs);
    }
    assert.equal(await conn.read(chunk), null, "the connection closes after the body");
    return body;
  } finally {
    conn.close();
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Escapes a string for a RegExp. */
export function re(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
