/**
 * The chunked transfer coding (RFC 9112 section 7.1): a resumable decoder that
 * finds the data runs and the end of a chunked body without copying, and the
 * few bytes an encoder needs.
 *
 * @module
 */

import { ParseError } from "../errors.ts";

/** Limits on the framing bytes of a chunked body (the caller chooses them). */
export interface ChunkedLimits {
  /** Most bytes of chunk extensions on one chunk-size line (default 4 KiB). */
  maxExtension: number;
  /** Most bytes of trailer section (default 16 KiB). */
  maxTrailer: number;
}

/** Default chunked limits. */
export const DEFAULT_CHUNKED_LIMITS: Readonly<ChunkedLimits> = Object.freeze({
  maxExtension: 4096,
  maxTrailer: 16 * 1024,
});

const enum S {
  Size,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  TrailerLine,
  TrailerLf,
  EndLf,
  Done,
}

const CR = 13;
const LF = 10;

/** Value of a hex digit, or -1. */
function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Decodes a chunked body incrementally. Each call to
 * {@linkcode ChunkedDecoder.decode} consumes framing bytes up to and including
 * at most one run of chunk data, which it reports in `dataStart`/`dataEnd`.
 *
 * @example
 * ```ts
 * import { ChunkedDecoder } from "./chunked.ts";
 * const d = new ChunkedDecoder();
 * const b = new TextEncoder().encode("3\r\nabc\r\n0\r\n\r\n");
 * let pos = 0;
 * while (!d.done) {
 *   pos = d.decode(b, pos, b.length);
 *   if (d.dataEnd > d.dataStart) console.log(b.subarray(d.dataStart, d.dataEnd));
 * }
 * ```
 */
export class ChunkedDecoder {
  /** Start of the data run found by the last call (equal to `dataEnd` when none). */
  dataStart = 0;
  /** End of the data run found by the last call. */
  dataEnd = 0;
  /** Data bytes decoded so far. */
  bodyBytes = 0;
  #state = S.Size;
  #digits = 0;
  #remaining = 0;
  #ext = 0;
  #trailer = 0;
  #open = 0;
  readonly #limits: ChunkedLimits;
  readonly #status: number;
  readonly #reason: "bad-chunk" | "upstream-bad-response";

  /**
   * Creates a decoder. `fromOrigin` makes its errors 502 (a response body)
   * instead of 400 (a request body).
   */
  constructor(limits: Partial<ChunkedLimits> = {}, fromOrigin = false) {
    this.#limits = { ...DEFAULT_CHUNKED_LIMITS, ...limits };
    this.#status = fromOrigin ? 502 : 400;
    this.#reason = fromOrigin ? "upstream-bad-response" : "bad-chunk";
  }

  /** Whether the last chunk and the trailer section have been consumed. */
  get done(): boolean {
    return this.#state === S.Done;
  }

  /**
   * Framing bytes consumed since the last point where forwarding the bytes
   * as received is safe: the start of a chunk-size line, of a data run, of the
   * trailer section, or the end of the body. A passthrough relay holds these back (they are still
   * in its buffer) so that a framing line cut by a window boundary is never
   * forwarded before it is known to be valid.
   */
  get pendingFraming(): number {
    return this.#open;
  }

  /** Makes the decoder ready for another body. */
  reset(): void {
    this.#state = S.Size;
    this.#digits =
      this.#remaining =
      this.#ext =
      this.#trailer =
      this.#open =
        0;
    this.dataStart = this.dataEnd = this.bodyBytes = 0;
  }

  #fail(what: string): never {
    throw new ParseError(this.#status, this.#reason, `Cannot parse chunked body: ${what}`);
  }

  /**
   * Consumes bytes from `bytes[start..end)` and returns the offset reached.
   * Stops right after a data run, or when the body is done, or at `end`.
   */
  decode(bytes: Uint8Array, start: number, end: number): number {
    let i = start;
    this.dataStart = this.dataEnd = start;
    // framing bytes from `mark` on are not yet known good (see pendingFraming)
    let mark = start - this.#open;
    while (i < end) {
      const c = bytes[i];
      switch (this.#state) {
        case S.Size: {
          const v = hex(c);
          if (v >= 0) {
            if (++this.#digits > 13) this.#fail("chunk size too large");
            this.#remaining = this.#remaining * 16 + v;
            i++;
            break;
          }
          if (this.#digits === 0) this.#fail("invalid chunk size");
          if (c === 59) { // ';'
            this.#state = S.Ext;
            this.#ext = 0;
          } else if (c === CR) this.#state = S.SizeLf;
          else if (c === LF) this.#endSizeLine();
          else this.#fail("invalid character after chunk size");
          i++;
          break;
        }
        case S.Ext: {
          if (++this.#ext > this.#limits.maxExtension) this.#fail("chunk extension too long");
          if (c === CR) this.#state = S.SizeLf;
          else if (c === LF) this.#endSizeLine();
          else if ((c < 32 && c !== 9) || c === 127) {
            this.#fail("control character in chunk extension");
          }
          i++;
          break;
        }
        case S.SizeLf:
          if (c !== LF) this.#fail("bare CR in chunk size line");
          this.#endSizeLine();
          i++;
          break;
        case S.Data: {
          const n = Math.min(this.#remaining, end - i);
          this.dataStart = i;
          this.dataEnd = i + n;
          this.#remaining -= n;
          this.bodyBytes += n;
          if (this.#remaining === 0) this.#state = S.DataCr;
          this.#open = 0;
          return i + n;
        }
        case S.DataCr:
          if (c === CR) this.#state = S.DataLf;
          else if (c === LF) this.#state = S.Size;
          else this.#fail("chunk data longer than its size");
          i++;
          break;
        case S.DataLf:
          if (c !== LF) this.#fail("bare CR after chunk data");
          this.#state = S.Size;
          i++;
          break;
        case S.TrailerStart:
          // the blank line that ends the body is not part of the trailer section
          if (c === CR) this.#state = S.EndLf;
          else if (c === LF) this.#state = S.Done;
          else {
            this.#state = S.TrailerLine;
            this.#countTrailer();
          }
          i++;
          if (this.#state === S.Done) {
            this.#open = 0;
            return i;
          }
          break;
        case S.TrailerLine:
          if (c === CR) this.#state = S.TrailerLf;
          else if (c === LF) this.#state = S.TrailerStart;
          else if ((c < 32 && c !== 9) || c === 127) this.#fail("control character in trailer");
          this.#countTrailer();
          i++;
          break;
        case S.TrailerLf:
          if (c !== LF) this.#fail("bare CR in trailer");
          this.#state = S.TrailerStart;
          this.#countTrailer();
          i++;
          break;
        case S.EndLf:
          if (c !== LF) this.#fail("bare CR after last chunk");
          this.#state = S.Done;
          this.#open = 0;
          return i + 1;
        case S.Done:
          this.#open = 0;
          return i;
      }
      if (this.#atSafePoint()) mark = i;
    }
    this.#open = this.#state === S.Done ? 0 : i - mark;
    return i;
  }

  #atSafePoint(): boolean {
    return this.#state === S.Data || this.#state === S.TrailerStart ||
      (this.#state === S.Size && this.#digits === 0);
  }

  #endSizeLine(): void {
    this.#digits = 0;
    if (this.#remaining === 0) {
      this.#state = S.TrailerStart;
      this.#trailer = 0;
    } else this.#state = S.Data;
  }

  #countTrailer(): void {
    if (++this.#trailer > this.#limits.maxTrailer) this.#fail("trailer section too long");
  }
}

/** The last chunk and an empty trailer section. */
export const LAST_CHUNK: Uint8Array = new Uint8Array([48, 13, 10, 13, 10]);

/** CRLF, written after each chunk's data. */
export const CRLF: Uint8Array = new Uint8Array([13, 10]);

/**
 * Writes the chunk-size line for `size` (hex digits and CRLF) into `out` at
 * `at`; returns the number of bytes written (at most 15).
 */
export function writeChunkSize(size: number, out: Uint8Array, at: number): number {
  const digits = size.toString(16);
  for (let k = 0; k < digits.length; k++) out[at + k] = digits.charCodeAt(k);
  out[at + digits.length] = CR;
  out[at + digits.length + 1] = LF;
  return digits.length + 2;
}
