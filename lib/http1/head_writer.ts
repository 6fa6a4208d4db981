/**
 * Builds a message head as bytes in one reusable buffer: the start line's
 * pieces as ISO-8859-1 text, the fields of a {@linkcode HeaderList} copied as
 * they were received (or written from the strings that replaced them). One
 * writer per client connection serves all its exchanges, so a forwarded head
 * costs no string building and, once the buffer has grown to fit, no
 * allocation.
 *
 * @module
 */

import { type HeaderList, writeLatin1 } from "./headers.ts";
import { ViewCache } from "../view_cache.ts";

/**
 * A growable byte buffer for one head at a time.
 *
 * @example
 * ```ts
 * import { HeadWriter } from "./head_writer.ts";
 * import { HeaderList } from "./headers.ts";
 * const h = new HeaderList();
 * h.append("Host", "a");
 * const w = new HeadWriter();
 * const bytes = w.start().text("GET / HTTP/1.1\r\n").fields(h).text("\r\n").bytes();
 * console.log(new TextDecoder().decode(bytes)); // "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
 * ```
 */
export class HeadWriter {
  #buf: Uint8Array;
  #pos = 0;
  /** The views {@linkcode HeadWriter.bytes} made lately (a connection's heads repeat their lengths). */
  readonly #views = new ViewCache();

  /** Creates a writer whose buffer starts at `capacity` bytes. */
  constructor(capacity = 512) {
    this.#buf = new Uint8Array(capacity);
  }

  /** Forgets the previous head; the bytes it returned are overwritten from now on. */
  start(): this {
    this.#pos = 0;
    return this;
  }

  #room(n: number): void {
    const need = this.#pos + n;
    if (need <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
  }

  /** Appends `s` as ISO-8859-1. */
  text(s: string): this {
    this.#room(s.length);
    this.#pos = writeLatin1(s, this.#buf, this.#pos);
    return this;
  }

  /** Appends a non-negative integer in decimal. */
  decimal(n: number): this {
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    this.#room(digits);
    for (let k = digits - 1, x = n; k >= 0; k--, x = Math.floor(x / 10)) {
      this.#buf[this.#pos + k] = 48 + (x % 10);
    }
    this.#pos += digits;
    return this;
  }

  /** Appends every field of `h` as `name: value\r\n`. */
  fields(h: HeaderList): this {
    this.#room(h.byteLength());
    this.#pos = h.writeInto(this.#buf, this.#pos);
    return this;
  }

  /** The head so far: a view, valid until the next {@linkcode HeadWriter.start}. */
  bytes(): Uint8Array {
    return this.#views.get(this.#buf, 0, this.#pos);
  }
}
