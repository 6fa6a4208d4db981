/**
 * A small deterministic PRNG and the byte-level mutators of the HTTP/1 fuzzer.
 *
 * @module
 */

import { bin } from "./corpus.ts";

/**
 * mulberry32: a 32-bit PRNG, small and fast, enough to drive a fuzzer. The
 * same seed always gives the same sequence.
 *
 * @example
 * ```ts
 * import { Rng } from "./mutate.ts";
 * const r = new Rng(42);
 * console.log(r.int(10)); // the same number on every run
 * ```
 */
export class Rng {
  #s: number;

  /** Creates a generator from a 32-bit seed. */
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }

  /** The next 32-bit unsigned value. */
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, n) (0 when n <= 0). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.next() / 4294967296) * n);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() / 4294967296 < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

/** Byte values that sit on the parsers' decision boundaries. */
export const INTERESTING: readonly number[] = [
  0,
  13,
  10,
  32,
  9,
  58, // ':'
  59, // ';'
  ...Array.from({ length: 10 }, (_, i) => 48 + i), // '0'-'9'
  ...Array.from({ length: 6 }, (_, i) => 97 + i), // 'a'-'f'
  0x7f,
  0x80,
  0xff,
];

/** Byte strings worth inserting whole. */
const TOKENS: readonly Uint8Array[] = [
  "\r\n",
  "\n",
  "\r",
  "\r\n\r\n",
  "\n\n",
  ": ",
  ":",
  ";",
  ",",
  " ",
  "\t",
  "chunked",
  ", chunked",
  "gzip",
  "Transfer-Encoding: chunked\r\n",
  "Content-Length: 0\r\n",
  "Content-Length: 5\r\n",
  "Transfer-Encoding",
  "Content-Length",
  "HTTP/1.1",
  "HTTP/1.0",
  " HTTP/1.1\r\n",
  "0\r\n\r\n",
  "1\r\nx\r\n",
  "ffffffffffffff",
  "00000000000000",
  "9007199254740993",
  "+5",
  "-1",
  "0x1",
  "\x00",
  "\xff",
  "HTTP/1.1 200 OK\r\n",
  "GET http://a/ HTTP/1.1\r\n",
].map(bin);

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Offsets just after each LF: the starts of lines (0 included). */
function lineStarts(b: Uint8Array): number[] {
  const out = [0];
  for (let i = b.indexOf(10); i >= 0 && out.length < 4096; i = b.indexOf(10, i + 1)) {
    out.push(i + 1);
  }
  return out;
}

/** Random bytes, mostly drawn from {@linkcode INTERESTING}. */
function randomRun(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const mostly = rng.chance(0.5);
  for (let i = 0; i < n; i++) out[i] = mostly ? rng.pick(INTERESTING) : rng.int(256);
  return out;
}

/** Applies one mutation; `other` is a second input for splicing. */
function mutateOnce(rng: Rng, b: Uint8Array, other: Uint8Array): Uint8Array {
  const n = b.length;
  const at = rng.int(n + 1);
  switch (rng.int(12)) {
    case 0: { // flip a bit
      if (n === 0) return b;
      const out = b.slice();
      out[rng.int(n)] ^= 1 << rng.int(8);
      return out;
    }
    case 1: // replace bytes with interesting values
    case 2: {
      if (n === 0) return b;
      const out = b.slice();
      for (let k = 1 + rng.int(3); k > 0; k--) out[rng.int(n)] = rng.pick(INTERESTING);
      return out;
    }
    case 3: // insert a random run
      return concat(b.subarray(0, at), randomRun(rng, 1 + rng.int(16)), b.subarray(at));
    case 4: { // insert a token, often at a line start
      const pos = rng.chance(0.5) ? rng.pick(lineStarts(b)) : at;
      return concat(b.subarray(0, pos), rng.pick(TOKENS), b.subarray(pos));
    }
    case 5: { // delete a run
      const len = 1 + rng.int(rng.chance(0.8) ? 8 : 256);
      return concat(b.subarray(0, at), b.subarray(Math.min(n, at + len)));
    }
    case 6: { // duplicate a slice a few times
      const len = 1 + rng.int(32);
      const slice = b.subarray(at, Math.min(n, at + len));
      const parts = [b.subarray(0, at)];
      for (let k = 1 + rng.int(4); k > 0; k--) parts.push(slice);
      parts.push(b.subarray(at));
      return concat(...parts);
    }
    case 7: { // repeat a whole line, sometimes many times
      const starts = lineStarts(b);
      const k = rng.int(starts.length);
      const s = starts[k];
      const e = k + 1 < starts.length ? starts[k + 1] : n;
      const times = rng.chance(0.2) ? 50 + rng.int(3000) : 1 + rng.int(8);
      const parts = [b.subarray(0, e)];
      for (let r = 0; r < times; r++) parts.push(b.subarray(s, e));
      parts.push(b.subarray(e));
      return concat(...parts);
    }
    case 8: // splice two entries
      return concat(b.subarray(0, at), other.subarray(rng.int(other.length + 1)));
    case 9: // truncate
      return b.subarray(0, at);
    case 10: { // swap line ends: CRLF -> LF, LF -> CRLF, CRLF -> CR
      const lf = b.indexOf(10, at);
      if (lf < 0) return b;
      const crlf = lf > 0 && b[lf - 1] === 13;
      const choice = rng.int(3);
      const repl = bin(choice === 0 ? "\n" : choice === 1 ? "\r\n" : "\r");
      return concat(b.subarray(0, crlf ? lf - 1 : lf), repl, b.subarray(lf + 1));
    }
    default: { // grow a long run of one byte (long lines, long extensions)
      const fill = new Uint8Array(1 + rng.int(rng.chance(0.9) ? 64 : 12000));
      fill.fill(rng.chance(0.5) ? 97 : rng.pick(INTERESTING));
      return concat(b.subarray(0, at), fill, b.subarray(at));
    }
  }
}

/** Longest input the mutators produce (bigger ones are truncated). */
export const MAX_INPUT = 128 * 1024;

/**
 * Applies one to a dozen random mutations to `base` (never modified), with
 * `other` available for splicing. The result is at most {@linkcode MAX_INPUT}
 * bytes.
 */
export function mutate(rng: Rng, base: Uint8Array, other: Uint8Array): Uint8Array {
  let b = base;
  let k = 1;
  while (k < 12 && rng.chance(0.5)) k++;
  for (; k > 0; k--) {
    b = mutateOnce(rng, b, other);
    if (b.length > MAX_INPUT) b = b.subarray(0, MAX_INPUT);
  }
  return b;
}
