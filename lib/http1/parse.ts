/**
 * Incremental, sans-io parser for HTTP/1.x request and response heads, after
 * picohttpparser: feed it the bytes received so far (always from the start of
 * the head) and it answers `null` (incomplete), a head with the number of
 * bytes it consumed, or throws a {@linkcode ParseError} with a reason.
 *
 * Each line is parsed once, as soon as its line end arrives (so garbage is
 * refused at its first line, not when a blank line finally comes); the state
 * between calls is the scan position, the start line and the fields so far.
 * The caller chooses the limits.
 *
 * @module
 */

import { ParseError } from "../errors.ts";
import { idOfName } from "./field_names.ts";
import { HeaderList, latin1 } from "./headers.ts";
import { keep, kept } from "./field_slab.ts";
import { httpVersion, methodName } from "./start_line.ts";

export { latin1 };

/** Size limits for one head. */
export interface HeadLimits {
  /** Longest request line or status line, in bytes (default 8 KiB). */
  maxLine: number;
  /** Longest head including the blank line, in bytes (default 64 KiB). */
  maxHead: number;
  /** Most header fields (default 100). */
  maxHeaders: number;
}

/** The default limits: 8 KiB line, 64 KiB head, 100 fields. */
export const DEFAULT_LIMITS: Readonly<HeadLimits> = Object.freeze({
  maxLine: 8 * 1024,
  maxHead: 64 * 1024,
  maxHeaders: 100,
});

/** A parsed request head. */
export interface RequestHead {
  /** The method token, as received (case-sensitive). */
  method: string;
  /** The request target, as received. */
  target: string;
  /** HTTP minor version: 0 or 1. */
  minor: number;
  /** The header fields, in order. */
  headers: HeaderList;
}

/** A parsed response head. */
export interface ResponseHead {
  /** HTTP minor version: 0 or 1. */
  minor: number;
  /** Three-digit status code. */
  status: number;
  /** Reason phrase (may be empty). */
  reason: string;
  /** The header fields, in order. */
  headers: HeaderList;
}

/** A complete head and how many bytes of input it took. */
export interface Parsed<T> {
  /** The head. */
  head: T;
  /** Bytes consumed, blank line included. */
  consumed: number;
}

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const COLON = 58;

/** tchar (RFC 9110 section 5.6.2). */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) TCHAR[c] = 1;
for (let c = 65; c <= 90; c++) TCHAR[c] = 1;
for (let c = 97; c <= 122; c++) TCHAR[c] = 1;

/** Shared line scanning for both kinds of head; `S` is the parsed start line. */
abstract class HeadParser<T, S> {
  readonly #limits: HeadLimits;
  /** Next byte to look at. */
  #pos = 0;
  /** Start of the line being scanned. */
  #lineStart = 0;
  /**
   * Where the line being scanned has its first control byte (any below 0x20
   * but HTAB and LF, or DEL: its CR too), or -1: a field value holds one only
   * if this falls inside it, so values are not scanned again.
   */
  #ctl = -1;
  /** The start line, once its line end arrived. */
  #start: S | null = null;
  /**
   * The fields checked so far, each as soon as its line end arrived, as five
   * numbers (name start, name end, value start, value end into the head's
   * bytes, and the name's id from field_names.ts). No text is decoded: the
   * head's {@linkcode HeaderList} keeps one copy of the field bytes.
   */
  #fields: number[] = [];
  /** How many numbers of `#fields` hold the current head's fields (the array is reused). */
  #nf = 0;

  /** Creates a parser with the given limits. */
  constructor(limits: Partial<HeadLimits> = {}) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** The limits in force. */
  get limits(): Readonly<HeadLimits> {
    return this.#limits;
  }

  /** Forgets a partial head; call before parsing the next message. */
  reset(): void {
    this.#pos = 0;
    this.#lineStart = 0;
    this.#start = null;
    this.#ctl = -1;
    this.#nf = 0; // scratch, reused: the head gets an exact-size copy
  }

  /**
   * Parses `bytes`, which must start at the first byte of the head and extend
   * the bytes given in the previous call. Returns `null` while incomplete.
   */
  parse(bytes: Uint8Array): Parsed<T> | null {
    const lim = this.#limits;
    // nothing past maxHead is looked at, so the outcome never depends on how
    // the bytes were split between calls
    const n = Math.min(bytes.length, lim.maxHead);
    let i = this.#pos;
    while (i < n) {
      // a loop, not indexOf: lines are short, and the builtin's call costs more
      // than the scan; it also notes the line's first control byte, so that a
      // field value is not scanned a second time for them
      let lf = i;
      let ctl = this.#ctl;
      for (; lf < n; lf++) {
        const c = bytes[lf];
        if (c < 32 || c === 127) {
          if (c === LF) break;
          if (ctl < 0 && c !== HTAB) ctl = lf;
        }
      }
      this.#ctl = ctl;
      if (lf >= n) {
        i = n;
        break;
      }
      let end = lf;
      if (end > this.#lineStart && bytes[end - 1] === CR) end--;
      if (end === this.#lineStart) {
        if (this.#start === null) {
          if (!this.allowLeadingBlankLines()) {
            throw this.error(400, "bad-request-line", "empty start line");
          }
          this.#lineStart = lf + 1;
          this.#ctl = -1;
          i = lf + 1;
          continue;
        }
        const consumed = lf + 1;
        if (consumed > lim.maxHead) throw this.tooLarge();
        const head = this.finish(this.#start, this.#decodeFields(bytes));
        this.reset();
        return { head, consumed };
      }
      // each line is parsed as soon as it is complete: garbage fails at once
      if (this.#start === null) {
        if (end - this.#lineStart > lim.maxLine) throw this.lineTooLong();
        this.#start = this.startLine(bytes, this.#lineStart, end);
      } else {
        if (this.#nf >= 5 * lim.maxHeaders) throw this.tooManyHeaders();
        this.field(bytes, this.#lineStart, end);
      }
      this.#lineStart = lf + 1;
      this.#ctl = -1;
      i = lf + 1;
    }
    this.#pos = n;
    // a CR at the end may be the first half of the CRLF: it does not count yet
    const partial = n - this.#lineStart - (n > this.#lineStart && bytes[n - 1] === CR ? 1 : 0);
    if (this.#start === null && partial > lim.maxLine) throw this.lineTooLong();
    if (bytes.length >= lim.maxHead) throw this.tooLarge();
    return null;
  }

  /** The checked fields as a header list over one copy of their bytes. */
  #decodeFields(bytes: Uint8Array): HeaderList {
    const f = this.#fields;
    const n = this.#nf;
    if (n === 0) return new HeaderList();
    // the last field's line end comes too (two bytes at most: the blank line follows),
    // so that writeInto can copy a field line whole
    keep(bytes, f[0], Math.min(f[n - 2] + 2, bytes.length));
    // the list points into the slab the copy went to: offsets move by `shift`
    const shift = kept.at - f[0];
    const out: number[] = new Array(n);
    for (let i = 0; i < n; i += 5) {
      out[i] = f[i] + shift;
      out[i + 1] = f[i + 1] + shift;
      out[i + 2] = f[i + 2] + shift;
      out[i + 3] = f[i + 3] + shift;
      out[i + 4] = f[i + 4];
    }
    return HeaderList.fromBytes(kept.bytes, out);
  }

  /** Whether empty lines before the start line are skipped (requests: yes). */
  protected abstract allowLeadingBlankLines(): boolean;
  /** Parses the start line `bytes[start..end)`. */
  protected abstract startLine(bytes: Uint8Array, start: number, end: number): S;
  /** Builds the head from its start line and fields. */
  protected abstract finish(start: S, headers: HeaderList): T;
  /** The error for an over-long start line. */
  protected abstract lineTooLong(): ParseError;
  /** Creates a parse error in this parser's words. */
  protected abstract error(
    status: number,
    reason: "bad-request-line" | "bad-header",
    what: string,
  ): ParseError;

  #tooLargeError(): ParseError {
    return new ParseError(
      431,
      "head-too-large",
      `Cannot parse head: larger than ${this.#limits.maxHead} bytes`,
    );
  }

  /** The error for an over-long head. */
  protected tooLarge(): ParseError {
    return this.#tooLargeError();
  }
  /** The error for more header fields than the limit. */
  protected tooManyHeaders(): ParseError {
    return new ParseError(
      431,
      "too-many-headers",
      `Cannot parse head: more than ${this.#limits.maxHeaders} header fields`,
    );
  }

  /** Parses the header line `bytes[start..end)` and appends the field. */
  protected field(bytes: Uint8Array, start: number, end: number): void {
    let c = bytes[start];
    if (c === SP || c === HTAB) {
      throw this.error(400, "bad-header", "obsolete line folding is not accepted");
    }
    let j = start;
    while (j < end && TCHAR[bytes[j]] === 1) j++;
    if (j === end) throw this.error(400, "bad-header", "header field without a colon");
    if (bytes[j] !== COLON) {
      c = bytes[j];
      if (c === SP || c === HTAB) {
        throw this.error(400, "bad-header", "whitespace before the colon");
      }
      throw this.error(400, "bad-header", "invalid character in a field name");
    }
    if (j === start) throw this.error(400, "bad-header", "empty field name");
    let vs = j + 1;
    let ve = end;
    while (vs < ve && (bytes[vs] === SP || bytes[vs] === HTAB)) vs++;
    while (ve > vs && (bytes[ve - 1] === SP || bytes[ve - 1] === HTAB)) ve--;
    // the name is all tchar and OWS is SP or HTAB: a control byte before the
    // line end (its own CR is at `end`) is in the value
    const ctl = this.#ctl;
    if (ctl >= 0 && ctl < end) {
      throw this.error(
        400,
        "bad-header",
        bytes[ctl] === CR ? "bare CR in a field value" : "control character in a field value",
      );
    }
    const f = this.#fields;
    const at = this.#nf;
    f[at] = start;
    f[at + 1] = j;
    f[at + 2] = vs;
    f[at + 3] = ve;
    f[at + 4] = idOfName(bytes, start, j);
    this.#nf = at + 5;
  }
}

/**
 * Parses request heads.
 *
 * @example
 * ```ts
 * import { RequestParser } from "./parse.ts";
 * const p = new RequestParser();
 * const r = p.parse(new TextEncoder().encode("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"));
 * console.log(r?.head.method, r?.consumed); // GET 41
 * ```
 */
/** A parsed request line. */
type RequestLine = Omit<RequestHead, "headers">;

/** A parsed status line. */
type StatusLine = Omit<ResponseHead, "headers">;

export class RequestParser extends HeadParser<RequestHead, RequestLine> {
  protected allowLeadingBlankLines(): boolean {
    return true;
  }

  protected lineTooLong(): ParseError {
    return new ParseError(
      414,
      "uri-too-long",
      `Cannot parse request line: longer than ${this.limits.maxLine} bytes`,
    );
  }

  protected error(
    status: number,
    reason: "bad-request-line" | "bad-header",
    what: string,
  ): ParseError {
    const where = reason === "bad-header" ? "request header" : "request line";
    return new ParseError(status, reason, `Cannot parse ${where}: ${what}`);
  }

  protected finish(line: RequestLine, headers: HeaderList): RequestHead {
    return { method: line.method, target: line.target, minor: line.minor, headers };
  }

  protected startLine(bytes: Uint8Array, start: number, end: number): RequestLine {
    let i = start;
    while (i < end && TCHAR[bytes[i]] === 1) i++;
    if (i === start) throw this.error(400, "bad-request-line", "missing method");
    if (i === end || bytes[i] !== SP) {
      throw this.error(400, "bad-request-line", "invalid character in method");
    }
    const method = methodName(bytes, start, i);
    const ts = ++i;
    while (i < end && bytes[i] > SP && bytes[i] !== 127) i++;
    if (i === ts) throw this.error(400, "bad-request-line", "missing request target");
    if (i === end) throw this.error(400, "bad-request-line", "missing HTTP version");
    if (bytes[i] !== SP) {
      throw this.error(400, "bad-request-line", "invalid character in request target");
    }
    const target = latin1(bytes, ts, i);
    const minor = httpVersion(bytes, i + 1, end);
    if (minor === -1) {
      throw new ParseError(
        505,
        "unsupported-version",
        "Cannot parse request line: only HTTP/1.0 and HTTP/1.1 are supported",
      );
    }
    if (minor < 0) throw this.error(400, "bad-request-line", "malformed HTTP version");
    return { method, target, minor };
  }
}

/**
 * Parses response heads. Errors carry status 502: the origin sent them.
 *
 * @example
 * ```ts
 * import { ResponseParser } from "./parse.ts";
 * const p = new ResponseParser();
 * const r = p.parse(new TextEncoder().encode("HTTP/1.1 204 No Content\r\n\r\n"));
 * console.log(r?.head.status); // 204
 * ```
 */
export class ResponseParser extends HeadParser<ResponseHead, StatusLine> {
  protected allowLeadingBlankLines(): boolean {
    return false;
  }

  protected override tooLarge(): ParseError {
    return new ParseError(
      502,
      "upstream-bad-response",
      `Cannot parse response head: larger than ${this.limits.maxHead} bytes`,
    );
  }

  protected lineTooLong(): ParseError {
    return new ParseError(
      502,
      "upstream-bad-response",
      `Cannot parse status line: longer than ${this.limits.maxLine} bytes`,
    );
  }
  protected override tooManyHeaders(): ParseError {
    return new ParseError(
      502,
      "upstream-bad-response",
      `Cannot parse response head: more than ${this.limits.maxHeaders} header fields`,
    );
  }

  protected error(
    _status: number,
    reason: "bad-request-line" | "bad-header",
    what: string,
  ): ParseError {
    const where = reason === "bad-header" ? "response header" : "status line";
    return new ParseError(502, "upstream-bad-response", `Cannot parse ${where}: ${what}`);
  }

  protected finish(line: StatusLine, headers: HeaderList): ResponseHead {
    return { minor: line.minor, status: line.status, reason: line.reason, headers };
  }

  protected startLine(bytes: Uint8Array, start: number, end: number): StatusLine {
    const minor = httpVersion(bytes, start, Math.min(end, start + 8));
    if (minor < 0) throw this.error(502, "bad-request-line", "not an HTTP/1.x response");
    let i = start + 8;
    if (end - i < 4 || bytes[i] !== SP) {
      throw this.error(502, "bad-request-line", "missing status code");
    }
    let status = 0;
    for (let k = 1; k <= 3; k++) {
      const d = bytes[i + k] - 48;
      if (d < 0 || d > 9) throw this.error(502, "bad-request-line", "malformed status code");
      status = status * 10 + d;
    }
    i += 4;
    if (status < 100) throw this.error(502, "bad-request-line", "malformed status code");
    if (i < end && bytes[i] !== SP) {
      throw this.error(502, "bad-request-line", "malformed status code");
    }
    for (let x = i; x < end; x++) {
      const c = bytes[x];
      if ((c < 32 && c !== HTAB) || c === 127) {
        throw this.error(502, "bad-request-line", "control character in reason phrase");
      }
    }
    const reason = i >= end ? "" : end - i === 3 && bytes[i + 1] === 79 && bytes[i + 2] === 75 // the usual "OK"
      ? "OK"
      : latin1(bytes, i + 1, end);
    return { minor, status, reason };
  }
}
