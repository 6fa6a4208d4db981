/**
 * The soak test's traffic (see soak.ts): what each kind of operation sends
 * through the proxy and how its answer is checked, byte for byte, plus the
 * in-process peers it needs (an upload sink and a TCP echo server).
 *
 * @module
 */

import { delay, randomBytes, readHead, sha256 } from "../e2e/harness.ts";
import { MiB } from "./bench.ts";
import { HOST } from "./procs.ts";

/** The kinds of operation and their weights. */
export const KINDS = {
  "GET 1 KiB keep-alive": 30,
  "GET 1 KiB Connection: close": 12,
  "GET 1-10 MiB keep-alive": 6,
  "GET 1-10 MiB Connection: close": 3,
  "POST 1 KiB keep-alive": 10,
  "POST 1-10 MiB (length/chunked)": 4,
  "CONNECT echo 1 KiB-1 MiB": 10,
  "abort mid-response": 6,
  "abort mid-request": 6,
};
/** One kind of operation. */
export type Kind = keyof typeof KINDS;
/** The kinds, in report order. */
export const KIND_NAMES: readonly Kind[] = Object.keys(KINDS) as Kind[];
const WEIGHT = Object.values(KINDS).reduce((a, b) => a + b, 0);

/** A kind drawn at random by weight. */
export function pick(): Kind {
  let x = Math.random() * WEIGHT;
  for (const k of KIND_NAMES) if ((x -= KINDS[k]) < 0) return k;
  return KIND_NAMES[0];
}

const enc = new TextEncoder();
const rand = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));

/** Where the traffic goes, and the bytes it carries. */
export interface Env {
  /** The proxy's port. */
  proxy: number;
  /** The static origin, `host:port`. */
  origin: string;
  /** The upload sink, `host:port`. */
  sink: string;
  /** The echo server's port (CONNECT target). */
  echo: number;
  /** 11 MiB of pseudo-random bytes: uploads and tunnel payloads are slices of it. */
  big: Uint8Array<ArrayBuffer>;
  /** The files the origin serves (name to content): `s1k.bin`, `r1m.bin` ... `r10m.bin`. */
  files: Record<string, Uint8Array>;
}

/** The random bytes and the origin's files for an {@linkcode Env}. */
export function payloads(): Pick<Env, "big" | "files"> {
  const big = randomBytes(11 * MiB, 7);
  const files: Record<string, Uint8Array> = { "s1k.bin": randomBytes(1024, 3) };
  for (let k = 1; k <= 10; k++) files[`r${k}m.bin`] = big.subarray(k * 65537, k * 65537 + k * MiB);
  return { big, files };
}

/** One worker's sockets: its keep-alive connection and every socket of the operation in flight. */
export interface Worker {
  /** The keep-alive connection to the proxy, when one is open. */
  ka: Wire | null;
  /** Every socket open now (closed by {@linkcode closeAll}). */
  open: Set<Wire>;
  /** Keep-alive connections the proxy closed (a `Connection: close` answer). */
  kaClosedByProxy: number;
}

/** Closes every socket of `w`, the keep-alive connection too. */
export function closeAll(w: Worker): void {
  for (const c of [...w.open]) c.close();
  w.ka = null;
}

/** A client socket with a response reader that checks bodies as they stream in. */
export class Wire {
  #rest: Uint8Array = new Uint8Array(0);
  #scratch = new Uint8Array(256 * 1024);
  private constructor(
    /** The socket. */
    readonly conn: Deno.TcpConn,
    /** The worker it belongs to. */
    readonly w: Worker,
  ) {
    w.open.add(this);
  }

  /** Connects to the proxy at `port` for worker `w`. */
  static async open(port: number, w: Worker): Promise<Wire> {
    return new Wire(await Deno.connect({ hostname: HOST, port }), w);
  }

  /** Writes all of `data`. */
  async send(data: Uint8Array | string): Promise<void> {
    const b = typeof data === "string" ? enc.encode(data) : data;
    for (let off = 0; off < b.length;) off += await this.conn.write(b.subarray(off));
  }

  /** Reads a response head. */
  async head(): Promise<{ status: number; length: number; close: boolean; text: string }> {
    const { head, rest } = await readHead(this.conn);
    this.#rest = rest;
    const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const close = /\r\nconnection:[^\r]*close/i.test(head);
    return {
      status: Number(head.slice(9, 12)),
      length: cl ? Number(cl[1]) : -1,
      close,
      text: head,
    };
  }

  /**
   * Reads `expected` (or its first `stopAt` bytes or a little more), checking
   * every byte; returns how many it read.
   */
  async body(expected: Uint8Array, stopAt = expected.length): Promise<number> {
    let off = 0;
    while (off < stopAt) {
      let chunk = this.#rest;
      this.#rest = new Uint8Array(0);
      if (chunk.length === 0) {
        const n = await this.conn.read(this.#scratch);
        if (n === null) throw new Error(`EOF after ${off} of ${expected.length} bytes`);
        chunk = this.#scratch.subarray(0, n);
      }
      if (off + chunk.length > expected.length) throw new Error("more bytes than expected");
      for (let i = 0; i < chunk.length; i++) {
        if (chunk[i] !== expected[off + i]) throw new Error(`wrong byte at ${off + i}`);
      }
      off += chunk.length;
    }
    return off;
  }

  /** Expects the peer to close next. */
  async eof(): Promise<void> {
    if (this.#rest.length > 0 || (await this.conn.read(this.#scratch)) !== null) {
      throw new Error("data where the peer should have closed");
    }
  }

  /** Closes the socket (idempotent). */
  close(): void {
    this.w.open.delete(this);
    try {
      this.conn.close();
    } catch { /* closed */ }
  }
}

function get(env: Env, name: string, close: boolean): string {
  const c = close ? "Connection: close\r\n" : "";
  return `GET http://${env.origin}/${name} HTTP/1.1\r\nHost: ${env.origin}\r\n${c}\r\n`;
}

function postHead(env: Env, length: number | "chunked"): string {
  const framing = length === "chunked" ? "Transfer-Encoding: chunked" : `Content-Length: ${length}`;
  return `POST http://${env.sink}/upload HTTP/1.1\r\nHost: ${env.sink}\r\n${framing}\r\n\r\n`;
}

/** Sends a GET for file `name` and checks status, length, every byte and the close. */
async function fetchFile(env: Env, c: Wire, name: string, close: boolean): Promise<boolean> {
  const expected = env.files[name];
  await c.send(get(env, name, close));
  const r = await c.head();
  if (r.status !== 200 || r.length !== expected.length) {
    throw new Error(`GET ${name}: status ${r.status}, length ${r.length}`);
  }
  await c.body(expected);
  if (close && !r.close) throw new Error(`GET ${name}: no Connection: close in the answer`);
  if (close) await c.eof();
  return r.close;
}

/** POSTs a slice of `env.big` to the sink and checks its size-and-digest answer. */
async function upload(env: Env, c: Wire, size: number, chunked: boolean): Promise<boolean> {
  const off = rand(0, env.big.length - size);
  const data = env.big.subarray(off, off + size);
  await c.send(postHead(env, chunked ? "chunked" : size));
  for (let at = 0; chunked && at < size;) {
    const n = Math.min(size - at, rand(1, 256 * 1024));
    await c.send(`${n.toString(16)}\r\n`);
    await c.send(data.subarray(at, at += n));
    await c.send("\r\n");
  }
  await c.send(chunked ? "0\r\n\r\n" : data);
  const want = enc.encode(`${size} ${await sha256(data)}`);
  const r = await c.head();
  if (r.status !== 200 || r.length !== want.length) {
    throw new Error(`POST ${size}: status ${r.status}, length ${r.length}`);
  }
  await c.body(want);
  return r.close;
}

/** A CONNECT tunnel to the echo server: the payload must come back, then the close. */
async function tunnel(env: Env, c: Wire): Promise<number> {
  const size = rand(1024, MiB);
  const off = rand(0, env.big.length - size);
  const data = env.big.subarray(off, off + size);
  await c.send(`CONNECT ${HOST}:${env.echo} HTTP/1.1\r\nHost: ${HOST}:${env.echo}\r\n\r\n`);
  const r = await c.head();
  if (r.status !== 200) throw new Error(`CONNECT: status ${r.status}`);
  await Promise.all([c.send(data).then(() => c.conn.closeWrite()), c.body(data)]);
  await c.eof();
  return size;
}

/** Runs one operation of `kind` for `w`; returns the body bytes it checked; throws if amiss. */
export async function operate(env: Env, w: Worker, kind: Kind): Promise<number> {
  const fresh = () => Wire.open(env.proxy, w);
  const large = () => `r${rand(1, 10)}m.bin`;
  const keepAlive = async (fn: (c: Wire) => Promise<boolean>) => {
    const c = w.ka ??= await fresh();
    if (await fn(c)) {
      w.kaClosedByProxy++;
      c.close();
      w.ka = null;
    }
  };
  const once = async <T>(fn: (c: Wire) => Promise<T>): Promise<T> => {
    const c = await fresh();
    try {
      return await fn(c);
    } finally {
      c.close();
    }
  };
  switch (kind) {
    case "GET 1 KiB keep-alive":
      await keepAlive((c) => fetchFile(env, c, "s1k.bin", false));
      return 1024;
    case "GET 1 KiB Connection: close":
      await once((c) => fetchFile(env, c, "s1k.bin", true));
      return 1024;
    case "GET 1-10 MiB keep-alive": {
      const name = large();
      await keepAlive((c) => fetchFile(env, c, name, false));
      return env.files[name].length;
    }
    case "GET 1-10 MiB Connection: close": {
      const name = large();
      await once((c) => fetchFile(env, c, name, true));
      return env.files[name].length;
    }
    case "POST 1 KiB keep-alive":
      await keepAlive((c) => upload(env, c, 1024, false));
      return 1024;
    case "POST 1-10 MiB (length/chunked)": {
      const size = rand(MiB, 10 * MiB);
      await keepAlive((c) => upload(env, c, size, Math.random() < 0.5));
      return size;
    }
    case "CONNECT echo 1 KiB-1 MiB":
      return await once((c) => tunnel(env, c));
    case "abort mid-response": {
      // a large GET read up to a random point (checked so far), then the client closes
      const name = large();
      const expected = env.files[name];
      return await once(async (c) => {
        await c.send(get(env, name, false));
        const r = await c.head();
        if (r.status !== 200) throw new Error(`GET ${name} (to abort): status ${r.status}`);
        return await c.body(expected, rand(0, expected.length / 2));
      });
    }
    case "abort mid-request": {
      // an upload cut off in its head (1 in 4) or its body, after a short pause
      const size = rand(MiB, 10 * MiB);
      const head = enc.encode(postHead(env, size));
      await once(async (c) => {
        if (Math.random() < 0.25) await c.send(head.subarray(0, rand(1, head.length - 1)));
        else await c.send(head).then(() => c.send(env.big.subarray(0, rand(0, size - 1))));
        await delay(rand(0, 20));
      });
      return 0;
    }
  }
}

/** The in-process peers: an upload sink answering `SIZE SHA256-HEX`, and a TCP echo server. */
export interface Peers {
  /** The sink's `host:port`. */
  sink: string;
  /** The echo server's port. */
  echo: number;
  /** Stops both. */
  close(): Promise<void>;
}

/** Starts the upload sink and the echo server on {@linkcode HOST}. */
export function startPeers(): Peers {
  const sink = Deno.serve({
    hostname: HOST,
    port: 0,
    onListen() {},
    onError: () => new Response(null, { status: 500 }),
  }, async (req) => {
    try {
      const b = new Uint8Array(await req.arrayBuffer());
      return new Response(`${b.length} ${await sha256(b)}`);
    } catch {
      return new Response(null, { status: 400 }); // the upload was cut off: expected
    }
  });
  const echo = Deno.listen({ hostname: HOST, port: 0 });
  (async () => {
    for await (const c of echo) {
      (async () => {
        const buf = new Uint8Array(64 * 1024);
        try {
          for (let n; (n = await c.read(buf)) !== null;) {
            for (let off = 0; off < n;) off += await c.write(buf.subarray(off, n));
          }
        } catch { /* the tunnel was cut */ }
        try {
          c.close();
        } catch { /* closed */ }
      })();
    }
  })().catch(() => {});
  return {
    sink: `${HOST}:${(sink.addr as Deno.NetAddr).port}`,
    echo: echo.addr.port,
    async close() {
      echo.close();
      await sink.shutdown();
    },
  };
}
