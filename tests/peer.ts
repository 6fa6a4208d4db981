/**
 * In-memory peers for playbook tests of the connection driver: the test
 * scripts what a client or an origin sends and reads what the proxy wrote.
 *
 * @module
 */
import type { Duplex } from "../lib/exchange.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** One end of an in-memory connection: the test pushes input and reads what was written. */
export class Peer implements Duplex {
  #input: Uint8Array[] = [];
  #ended = false;
  #waiting: (() => void) | null = null;
  /** Everything the proxy wrote. */
  output = "";
  /** Resolves when `output` changes. */
  #wrote: (() => void) | null = null;
  closed = false;
  writeClosed = false;
  /** Called when the proxy writes (to script a reply). */
  onWrite: ((all: string) => void) | null = null;

  /** Queues bytes for the proxy to read. */
  send(s: string): void {
    this.#input.push(enc.encode(s));
    this.#wake();
  }

  /** Ends the input (FIN). */
  end(): void {
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiting;
    this.#waiting = null;
    w?.();
  }

  async read(p: Uint8Array): Promise<number | null> {
    while (this.#input.length === 0) {
      if (this.#ended) return null;
      if (this.closed) throw new Deno.errors.BadResource("closed");
      await new Promise<void>((r) => this.#waiting = r);
    }
    const chunk = this.#input[0];
    const n = Math.min(p.length, chunk.length);
    p.set(chunk.subarray(0, n));
    if (n === chunk.length) this.#input.shift();
    else this.#input[0] = chunk.subarray(n);
    return n;
  }

  /** Number of write calls the proxy made. */
  writes = 0;

  write(p: Uint8Array): Promise<number> {
    if (this.closed) return Promise.reject(new Deno.errors.BadResource("closed"));
    this.writes++;
    this.output += dec.decode(p);
    this.onWrite?.(this.output);
    const w = this.#wrote;
    this.#wrote = null;
    w?.();
    return Promise.resolve(p.length);
  }

  closeWrite(): Promise<void> {
    this.writeClosed = true;
    return Promise.resolve();
  }

  close(): void {
    this.closed = true;
    this.#wake();
  }
}

/** An origin that answers `response` once it has seen a complete request head. */
export function answering(response: string): Peer {
  const origin = new Peer();
  origin.onWrite = (all) => {
    if (all.includes("\r\n\r\n") && origin.onWrite) {
      origin.onWrite = null;
      queueMicrotask(() => {
        origin.send(response);
      });
    }
  };
  return origin;
}
