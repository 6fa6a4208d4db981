/**
 * Helpers for the tests of lib/relay.ts (relay_*_test.ts): an in-memory Duplex
 * with scripted reads and recorded writes, endpoints over it, byte builders and
 * assertions.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ByteBuffer } from "../lib/buffer.ts";
import { ProxyError } from "../lib/errors.ts";
import { type Duplex, Endpoint, type Side } from "../lib/exchange.ts";
import { ChunkedDecoder } from "../lib/http1/chunked.ts";

const enc = new TextEncoder();

/** Decodes UTF-8, for comparing what was written with text. */
export const dec: TextDecoder = new TextDecoder();

/** Encodes a string as UTF-8. */
export function b(s: string): Uint8Array {
  return enc.encode(s);
}

/** Concatenates byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Deterministic pseudo-random bytes. */
export function noise(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** How a FakeConn behaves. */
export interface FakeOptions {
  /** Scripted input chunks, served in order (a chunk larger than the read is split). */
  input?: (Uint8Array | string)[];
  /** Write at most this many bytes per write call. */
  maxWrite?: number;
  /** Throw this from read() once the scripted input is used up (instead of EOF). */
  readError?: Error;
  /** Throw this from write() after writeErrorAfter successful write calls. */
  writeError?: Error;
  /** How many write calls succeed before writeError is thrown (default 0). */
  writeErrorAfter?: number;
  /** Once the input is used up, wait (instead of EOF) until closeWrite() was called. */
  eofAfterCloseWrite?: boolean;
  /** Once the input is used up, block until close() (then reject like a closed socket). */
  hang?: boolean;
  /** A shared event log. */
  log?: string[];
  /** Name in the log. */
  name?: string;
}

/** An in-memory Duplex: scripted reads, recorded writes. */
export class FakeConn implements Duplex {
  /** The scripted input not read yet. */
  readonly input: Uint8Array[];
  /** Copies of the bytes accepted by each write call. */
  readonly writes: Uint8Array[] = [];
  /** The length of the array passed to each write call. */
  readonly writeArgLengths: number[] = [];
  /** The length of the array passed to each read call. */
  readonly readArgLengths: number[] = [];
  /** How many times closeWrite() was called. */
  closeWriteCalls = 0;
  /** How many times close() was called. */
  closeCalls = 0;
  /** The options it was made with. */
  readonly opts: FakeOptions;
  /** The event log (shared when FakeOptions.log was given). */
  readonly log: string[];
  /** Name in the log. */
  readonly name: string;
  #wakers: (() => void)[] = [];

  constructor(opts: FakeOptions = {}) {
    this.opts = opts;
    this.input = (opts.input ?? []).map((c) => (typeof c === "string" ? b(c) : c));
    this.log = opts.log ?? [];
    this.name = opts.name ?? "conn";
  }

  /** All bytes written, in order. */
  get written(): Uint8Array {
    return concat(this.writes);
  }

  /** All bytes written, decoded as UTF-8. */
  get writtenText(): string {
    return dec.decode(this.written);
  }

  /** Bytes of the script not read yet. */
  get unread(): string {
    return dec.decode(concat(this.input));
  }

  #wake(): void {
    for (const w of this.#wakers.splice(0)) w();
  }

  /** Serves the script; then EOF, readError, or a wait (see FakeOptions). */
  async read(p: Uint8Array): Promise<number | null> {
    this.readArgLengths.push(p.length);
    // Let other tasks run between reads, like a real socket would.
    await Promise.resolve();
    for (;;) {
      if (this.closeCalls > 0) throw new Deno.errors.BadResource("closed");
      const chunk = this.input[0];
      if (chunk !== undefined) {
        const n = Math.min(p.length, chunk.length);
        p.set(chunk.subarray(0, n));
        if (n === chunk.length) this.input.shift();
        else this.input[0] = chunk.subarray(n);
        this.log.push(`${this.name}:read ${n}`);
        return n;
      }
      if (this.opts.readError) {
        this.log.push(`${this.name}:read error`);
        throw this.opts.readError;
      }
      if (this.opts.hang || (this.opts.eofAfterCloseWrite && this.closeWriteCalls === 0)) {
        await new Promise<void>((r) => this.#wakers.push(r));
        continue;
      }
      this.log.push(`${this.name}:eof`);
      return null;
    }
  }

  /** Records up to maxWrite bytes, or throws writeError (see FakeOptions). */
  async write(p: Uint8Array): Promise<number> {
    this.writeArgLengths.push(p.length);
    await Promise.resolve();
    if (this.closeCalls > 0) throw new Deno.errors.BadResource("closed");
    if (this.opts.writeError && this.writes.length >= (this.opts.writeErrorAfter ?? 0)) {
      this.log.push(`${this.name}:write error`);
      throw this.opts.writeError;
    }
    const n = Math.min(p.length, this.opts.maxWrite ?? Infinity);
    this.writes.push(p.slice(0, n));
    this.log.push(`${this.name}:write ${n}`);
    return n;
  }

  /** Counts and logs a half-close; wakes a read waiting for it. */
  closeWrite(): Promise<void> {
    this.closeWriteCalls++;
    this.log.push(`${this.name}:closeWrite`);
    this.#wake();
    return Promise.resolve();
  }

  /** Counts and logs a close; later reads and writes reject. */
  close(): void {
    this.closeCalls++;
    this.log.push(`${this.name}:close`);
    this.#wake();
  }
}

/**
 * An Endpoint on `side` over a new FakeConn (named after the side) with a
 * `capacity`-byte buffer; returns both.
 */
export function endpoint(side: Side, opts: FakeOptions = {}, capacity = 16): [Endpoint, FakeConn] {
  const conn = new FakeConn({ name: side, ...opts });
  return [new Endpoint(conn, new ByteBuffer(capacity), side), conn];
}

/** Puts bytes into an endpoint's buffer as if read earlier. */
export function preload(ep: Endpoint, s: string | Uint8Array): void {
  const bytes = typeof s === "string" ? b(s) : s;
  ep.buf.free().set(bytes);
  ep.buf.commit(bytes.length);
}

/** The unread bytes in an endpoint's buffer, decoded as UTF-8. */
export function bufText(ep: Endpoint): string {
  return dec.decode(ep.buf.data());
}

/**
 * Asserts that `p` rejects with a ProxyError of `status` and `reason` whose
 * message matches `msg` (when given); returns the error.
 */
export async function rejectsProxy(
  p: Promise<unknown>,
  status: number,
  reason: string,
  msg?: RegExp,
): Promise<ProxyError> {
  let caught: unknown;
  await assert.rejects(p, (e: unknown) => {
    caught = e;
    return true;
  });
  assert.ok(caught instanceof ProxyError, `expected ProxyError, got ${caught}`);
  assert.equal(caught.status, status);
  assert.equal(caught.reason, reason);
  if (msg) assert.match(caught.message, msg);
  return caught;
}

/** Decodes a whole chunked body; asserts it ends exactly at the end of `bytes`. */
export function dechunkAll(bytes: Uint8Array): Uint8Array {
  const d = new ChunkedDecoder();
  const parts: Uint8Array[] = [];
  let pos = 0;
  while (!d.done) {
    assert.ok(pos < bytes.length, "chunked body ends before its last chunk");
    pos = d.decode(bytes, pos, bytes.length);
    if (d.dataEnd > d.dataStart) parts.push(bytes.slice(d.dataStart, d.dataEnd));
  }
  assert.equal(pos, bytes.length, "bytes after the end of the chunked body");
  return concat(parts);
}
