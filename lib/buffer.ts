/**
 * A byte window over one reusable `Uint8Array`, after nginx's `ngx_buf_t`.
 *
 * Bytes `[start, end)` hold data not yet consumed; `[end, capacity)` is free
 * space for the next read. Reading into the buffer never allocates: `compact()`
 * moves the unread tail to the front when the free space runs out.
 *
 * @module
 */

import { ViewCache } from "./view_cache.ts";

/** Default capacity of a read buffer: 64 KiB. */
export const DEFAULT_BUFFER_SIZE = 64 * 1024;

/**
 * Initial capacity of a client connection's buffer: 4 KiB holds most request
 * heads, and keeps an idle keep-alive connection cheap. It grows to
 * {@linkcode DEFAULT_BUFFER_SIZE} when a head, body or tunnel needs more.
 */
export const CLIENT_BUFFER_SIZE = 4 * 1024;

/**
 * Initial capacity of an upstream connection's buffer, before its headroom:
 * 4 KiB too. A small response fits; a large body grows it to
 * {@linkcode DEFAULT_BUFFER_SIZE} at its first full read (relay.ts `fill`).
 * 1,000 exchanges in flight then hold 4 MiB of upstream buffers, not 64 MiB.
 */
export const UPSTREAM_BUFFER_SIZE = 4 * 1024;

/**
 * A window (start/end) over one `Uint8Array`.
 *
 * @example
 * ```ts
 * import { ByteBuffer } from "./buffer.ts";
 * const b = new ByteBuffer(16);
 * b.free().set([1, 2, 3]);
 * b.commit(3);
 * b.consume(1);
 * console.log(b.length); // 2
 * ```
 */
export class ByteBuffer {
  /** The backing store. Replaced only by {@linkcode ByteBuffer.ensure}. */
  bytes: Uint8Array;
  /** The last views {@linkcode ByteBuffer.view} made. */
  readonly #views = new ViewCache();
  /** The last views {@linkcode ByteBuffer.free} made (kept apart: they alternate with `view`'s). */
  readonly #frees = new ViewCache();
  /** Offset of the first unread byte. */
  start: number;
  /** Offset one past the last unread byte. */
  end: number;
  /**
   * Bytes kept free before the data when the buffer is empty or compacted, so
   * that a rewritten head can be put in front of the body bytes read after the
   * original head ({@linkcode ByteBuffer.prepend}) and both go out in one write.
   */
  readonly headroom: number;

  /** Creates a buffer with the given capacity (default 64 KiB) and headroom (default 0). */
  constructor(capacity: number = DEFAULT_BUFFER_SIZE, headroom = 0) {
    this.bytes = new Uint8Array(capacity);
    this.headroom = headroom;
    this.start = this.end = headroom;
  }

  /** Number of unread bytes. */
  get length(): number {
    return this.end - this.start;
  }

  /** Total capacity of the backing store. */
  get capacity(): number {
    return this.bytes.length;
  }

  /** A view of the unread bytes (no copy). */
  data(): Uint8Array {
    return this.view(this.start, this.end);
  }

  /**
   * A view of `bytes[start..end)`. The last two views asked for are kept and
   * answered again for the same range of the same store: an exchange asks
   * for the same few ranges (the unread head, head and body to write) each
   * time, and a view is an allocation.
   */
  view(start: number, end: number): Uint8Array {
    return this.#views.get(this.bytes, start, end);
  }

  /** Drops the views of a store just replaced (they would keep it alive). */
  #forget(): void {
    this.#views.clear();
    this.#frees.clear();
  }

  /**
   * A view of the free space after the unread bytes, compacting first when
   * the tail is full and there is room at the front.
   */
  free(): Uint8Array {
    if (this.end === this.bytes.length && this.start > this.headroom) this.compact();
    // the same view while the free space starts at the same place of the same
    // store: an emptied buffer reads at its start again, one view serves them all
    return this.#frees.get(this.bytes, this.end, this.bytes.length);
  }

  /** Marks `n` bytes of the free space as written (after a read into {@linkcode free}). */
  commit(n: number): void {
    if (n < 0 || this.end + n > this.bytes.length) {
      throw new RangeError(`Cannot commit ${n} bytes: only ${this.bytes.length - this.end} free`);
    }
    this.end += n;
  }

  /** Marks `n` unread bytes as consumed. */
  consume(n: number): void {
    if (n < 0 || n > this.length) {
      throw new RangeError(`Cannot consume ${n} bytes: only ${this.length} unread`);
    }
    this.start += n;
    if (this.start === this.end) this.start = this.end = this.headroom;
  }

  /** Moves the unread bytes to the front of the backing store (after the headroom). */
  compact(): void {
    if (this.start <= this.headroom) return;
    this.bytes.copyWithin(this.headroom, this.start, this.end);
    this.end -= this.start - this.headroom;
    this.start = this.headroom;
  }

  /**
   * Puts `p` right before the unread bytes, if there is room there; returns
   * whether it did. The bytes then read as `p` followed by the old data.
   */
  prepend(p: Uint8Array): boolean {
    if (p.length > this.start) return false;
    this.start -= p.length;
    this.bytes.set(p, this.start);
    return true;
  }

  /** Grows the backing store so that it can hold at least `capacity` bytes. */
  ensure(capacity: number): void {
    if (capacity <= this.bytes.length) return;
    const next = new Uint8Array(capacity);
    next.set(this.data(), this.headroom);
    this.end = this.headroom + this.length;
    this.start = this.headroom;
    this.bytes = next;
    this.#forget();
  }

  /**
   * Gives back a backing store that grew: when the buffer is empty and holds
   * more than `capacity` bytes, a new one of `capacity` bytes replaces it (a
   * connection that carried one large body goes back to a small buffer while
   * it idles). Returns whether it shrank.
   */
  shrink(capacity: number): boolean {
    if (this.length > 0 || this.bytes.length <= capacity) return false;
    this.bytes = new Uint8Array(capacity);
    this.#forget();
    this.start = this.end = this.headroom;
    return true;
  }

  /** Forgets all unread bytes. */
  clear(): void {
    this.start = this.end = this.headroom;
  }
}
