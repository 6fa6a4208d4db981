/**
 * Scripted origins and a curl GET for the cache's end-to-end tests.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  bytes,
  concat,
  curl,
  delay,
  findSeq,
  parseHead,
  type ProxyProcess,
  type RawOrigin,
  rawOrigin,
  text,
} from "./harness.ts";

/** One response of a scripted origin. */
export interface Answer {
  status?: number;
  /** Header fields besides Content-Length (which is always sent). */
  fields: [string, string][];
  body: Uint8Array;
  /** Wait this long before answering. */
  delayMs?: number;
}

/** A keep-alive origin that answers each request (no request bodies) with `answer(method, target)`. */
export interface ScriptedOrigin extends RawOrigin {
  /** Requests received so far. */
  requests: number;
  /** The request lines received, in order. */
  lines: string[];
}

export function scriptedOrigin(
  answer: (method: string, target: string) => Answer,
): ScriptedOrigin {
  // the handler runs only after an accept, by when `self` is set
  let self: ScriptedOrigin | null = null;
  const raw = rawOrigin(async (conn) => {
    let buf: Uint8Array = new Uint8Array(0);
    const chunk = new Uint8Array(16384);
    for (;;) {
      let end: number;
      while ((end = findSeq(buf, bytes("\r\n\r\n"))) < 0) {
        const n = await conn.read(chunk);
        if (n === null) return;
        buf = concat(buf, chunk.subarray(0, n));
      }
      const head = text(buf.subarray(0, end));
      buf = buf.slice(end + 4);
      const line = head.split("\r\n")[0];
      const [method, target] = line.split(" ");
      self!.requests++;
      self!.lines.push(line);
      const a = answer(method, target);
      if (a.delayMs) await delay(a.delayMs);
      const fields = [...a.fields, ["Content-Length", String(a.body.length)]]
        .map(([n, v]) => `${n}: ${v}\r\n`).join("");
      const status = a.status ?? 200;
      const out = concat(
        bytes(`HTTP/1.1 ${status} ${status === 200 ? "OK" : "X"}\r\n${fields}\r\n`),
        a.body,
      );
      for (let off = 0; off < out.length;) off += await conn.write(out.subarray(off));
    }
  });
  let closing: Promise<void> | null = null;
  self = {
    get port() {
      return raw.port;
    },
    get accepted() {
      return raw.accepted;
    },
    requests: 0,
    lines: [],
    close: () => closing ??= raw.close(), // idempotent: stopped mid-test, then in a finally
  };
  return self;
}

/** Closes the origin and checks that its port now refuses connections. */
export async function stopOrigin(origin: RawOrigin): Promise<void> {
  await origin.close();
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port: origin.port }).then((c) => c.close()),
    (err: Error) => err instanceof Deno.errors.ConnectionRefused,
    "the stopped origin refuses connections",
  );
}

/** A GET through the proxy with curl: status, head fields and body. */
export async function get(p: ProxyProcess, url: string, method = "GET") {
  const out = await curl(["-x", `http://127.0.0.1:${p.port}`, "-X", method, "-D", "-", url]);
  assert.equal(out.code, 0, `curl ${url}: ${out.stderr}`);
  const end = findSeq(out.stdout, bytes("\r\n\r\n"));
  assert.ok(end > 0, `curl ${url}: no head in ${JSON.stringify(text(out.stdout))}`);
  const { status, headers } = parseHead(text(out.stdout.subarray(0, end + 4)));
  return { status, headers, body: out.stdout.slice(end + 4) };
}

export const PROXY_ARGS = ["--listen", "127.0.0.1:0", "--log-level", "warning"];

/** Only Content-Length and Content-Type: no Date, no validators, no Cache-Control. */
export const bare = (type: string, body: Uint8Array): Answer => ({
  fields: [["Content-Type", type]],
  body,
});
