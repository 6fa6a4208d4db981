/**
 * An ordered list of header fields. The per-hop rewriting (hop-by-hop removal,
 * `Via`) is in hop_by_hop.ts and re-exported here.
 *
 * A parsed head's fields stay bytes ({@linkcode HeaderList.fromBytes}): each
 * is four offsets into one copy of the head's field block and the id of its
 * name when sluice knows it (field_names.ts). A name or value becomes a string
 * only when something reads it, and a field nobody changed is written out by
 * copying its bytes ({@linkcode HeaderList.writeInto}).
 *
 * @module
 */

import { idOfKey, isHopByHopId, nameEquals } from "./field_names.ts";

/** Ids of names as spelled by the code that appends them ("Via", "X-Forwarded-For"). */
const NAME_IDS = new Map<string, number>();

/** The id of a field name in any case, remembered per spelling (up to 1,024 of them). */
function idOfSpelling(name: string): number {
  let id = NAME_IDS.get(name);
  if (id === undefined) {
    id = idOfKey(name.toLowerCase());
    if (NAME_IDS.size >= 1024) NAME_IDS.clear();
    NAME_IDS.set(name, id);
  }
  return id;
}

const CONNECTION = idOfKey("connection");
const PROXY_CONNECTION = idOfKey("proxy-connection");

const EMPTY = new Uint8Array(0);
/** What `getAll` and `tokens` answer when no field matches: shared, so frozen. */
const NONE: string[] = Object.freeze([]) as unknown as string[];
/** No ids, for {@linkcode HeaderList.deleteHopByHop} with no named fields. */
const NO_IDS: readonly number[] = Object.freeze([]);
/** One name and its id, for removals by one name (no array per call). */
const ONE_KEY = [""];
const ONE_ID = [0];
/** Slots per field in the offsets array: name start/end, value start/end, name id. */
const STRIDE = 5;

/** Decodes bytes as ISO-8859-1 (every byte one code unit; reversible). */
export function latin1(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 16) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
    return s;
  }
  let s = "";
  for (let i = start; i < end; i += 8192) {
    s += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(end, i + 8192)) as unknown as number[],
    );
  }
  return s;
}

/**
 * Header fields in arrival order, names kept as received. Lookups compare
 * lower-case names.
 *
 * @example
 * ```ts
 * import { HeaderList } from "./headers.ts";
 * const h = new HeaderList();
 * h.append("Host", "example.com");
 * console.log(h.get("host")); // "example.com"
 * ```
 */
export class HeaderList {
  /** The bytes parsed fields point into. */
  #src: Uint8Array = EMPTY;
  /**
   * Five numbers a field: name start, name end, value start, value end (into
   * `#src`; -1 as a start when the name or value is a string in `#text`), and
   * the name's id (0 for a name sluice does not know).
   */
  #f: number[] = [];
  /** Two slots a field: its name and value as strings, once decoded or when given. */
  #text: (string | undefined)[] = [];
  /** `names`, `keys` and `values`, made when first read after a change. */
  #memo: { names: string[]; keys: string[]; values: string[] } | null = null;
  /** `tokens("connection")` and `tokens("proxy-connection")`, asked several times a message. */
  #connection: string[] | null = null;
  #proxyConnection: string[] | null = null;

  /**
   * A list over parsed bytes: `fields` holds five numbers a field (name
   * start, name end, value start, value end into `src`, and the name's id
   * from field_names.ts `idOfName`). Both arrays then belong to the list.
   */
  static fromBytes(src: Uint8Array, fields: number[]): HeaderList {
    const h = new HeaderList();
    h.#src = src;
    h.#f = fields;
    return h;
  }

  /** Number of fields. */
  get size(): number {
    return this.#f.length / STRIDE;
  }

  /** The name of field `i`, as received. */
  name(i: number): string {
    const t = this.#text[2 * i];
    if (t !== undefined) return t;
    const f = this.#f;
    return this.#text[2 * i] = latin1(this.#src, f[i * STRIDE], f[i * STRIDE + 1]);
  }

  /** The lower-case name of field `i`. */
  key(i: number): string {
    return this.name(i).toLowerCase();
  }

  /** The value of field `i`, surrounding whitespace removed. */
  value(i: number): string {
    const t = this.#text[2 * i + 1];
    if (t !== undefined) return t;
    const f = this.#f;
    return this.#text[2 * i + 1] = latin1(this.#src, f[i * STRIDE + 2], f[i * STRIDE + 3]);
  }

  /**
   * The value of field `i` as a decimal number when it is 1 to 15 ASCII
   * digits and nothing else, else -1 (read from the bytes: no string made).
   */
  decimal(i: number): number {
    const f = this.#f;
    const vs = f[i * STRIDE + 2];
    if (vs < 0) return decimalOf(this.#text[2 * i + 1]!);
    const ve = f[i * STRIDE + 3];
    if (ve <= vs || ve - vs > 15) return -1;
    const src = this.#src;
    let n = 0;
    for (let k = vs; k < ve; k++) {
      const d = src[k] - 48;
      if (d < 0 || d > 9) return -1;
      n = n * 10 + d;
    }
    return n;
  }

  /** Names as received, in order (a new array after each change). */
  get names(): string[] {
    return this.#materialize().names;
  }

  /** Lower-case names, parallel to {@linkcode HeaderList.names}. */
  get keys(): string[] {
    return this.#materialize().keys;
  }

  /** Values with surrounding whitespace removed, parallel to the names. */
  get values(): string[] {
    return this.#materialize().values;
  }

  #materialize(): { names: string[]; keys: string[]; values: string[] } {
    if (this.#memo) return this.#memo;
    const names: string[] = [];
    const keys: string[] = [];
    const values: string[] = [];
    for (let i = 0; i < this.size; i++) {
      names.push(this.name(i));
      keys.push(this.key(i));
      values.push(this.value(i));
    }
    return this.#memo = { names, keys, values };
  }

  #changed(): void {
    this.#memo = null;
    this.#connection = null;
    this.#proxyConnection = null;
  }

  /** Whether field `i` is named `key` (lower-case) whose id is `id`. */
  #is(i: number, key: string, id: number): boolean {
    const f = this.#f;
    const fid = f[i * STRIDE + 4];
    if (id !== 0 || fid !== 0) return fid === id;
    const ns = f[i * STRIDE];
    return ns >= 0 ? nameEquals(this.#src, ns, f[i * STRIDE + 1], key) : this.key(i) === key;
  }

  /** Appends a field. */
  append(name: string, value: string): void {
    const i = this.size;
    this.#f.push(-1, 0, -1, 0, idOfSpelling(name));
    this.#text[2 * i] = name;
    this.#text[2 * i + 1] = value;
    this.#changed();
  }

  /** The first value of `key` (lower-case), or `undefined`. */
  get(key: string): string | undefined {
    const i = this.indexOf(key);
    return i < 0 ? undefined : this.value(i);
  }

  /**
   * Every value of `key` (lower-case), in order. The array answered when
   * there is none is shared and frozen: copy before changing it.
   */
  getAll(key: string): string[] {
    const id = idOfKey(key);
    let out: string[] = NONE;
    const n = this.size;
    for (let i = 0; i < n; i++) {
      if (!this.#is(i, key, id)) continue;
      if (out === NONE) out = [];
      out.push(this.value(i));
    }
    return out;
  }

  /** The index of the first field named `key` (lower-case) from `from` on, or -1. */
  indexOf(key: string, from = 0): number {
    const id = idOfKey(key);
    const n = this.size;
    for (let i = from; i < n; i++) if (this.#is(i, key, id)) return i;
    return -1;
  }

  /** Whether a field named `key` (lower-case) is present. */
  has(key: string): boolean {
    return this.indexOf(key) >= 0;
  }

  /** Removes every field named `key` (lower-case); returns how many were removed. */
  delete(key: string): number {
    ONE_KEY[0] = key;
    ONE_ID[0] = idOfKey(key);
    return this.#remove(false, ONE_KEY, ONE_ID, -1);
  }

  /**
   * Removes the hop-by-hop fields and those named in `named` (lower-case
   * names), in one pass; returns how many were removed.
   */
  deleteHopByHop(named: readonly string[]): number {
    const f = this.#f;
    if (named.length === 0) {
      let any = false;
      for (let i = 4; i < f.length && !any; i += STRIDE) any = isHopByHopId(f[i]);
      if (!any) return 0;
      return this.#remove(true, NONE, NO_IDS, -1);
    }
    return this.#remove(true, named, named.map(idOfKey), -1);
  }

  /**
   * Removes, in one pass and keeping the order of the rest, the fields after
   * index `after` that are hop-by-hop (with `hop`) or named in `keys`
   * (lower-case, their ids in `ids`); returns how many went.
   */
  #remove(
    hop: boolean,
    keys: readonly string[],
    ids: readonly number[],
    after: number,
  ): number {
    const f = this.#f;
    const t = this.#text;
    const n = this.size;
    let w = 0;
    for (let i = 0; i < n; i++) {
      if (i > after) {
        if (hop && isHopByHopId(f[i * STRIDE + 4])) continue;
        let named = false;
        for (let k = 0; k < keys.length && !named; k++) named = this.#is(i, keys[k], ids[k]);
        if (named) continue;
      }
      if (w !== i) {
        for (let k = 0; k < STRIDE; k++) f[w * STRIDE + k] = f[i * STRIDE + k];
        t[2 * w] = t[2 * i];
        t[2 * w + 1] = t[2 * i + 1];
      }
      w++;
    }
    if (w === n) return 0;
    f.length = w * STRIDE;
    if (t.length > 2 * w) t.length = 2 * w;
    this.#changed();
    return n - w;
  }

  /** Replaces every field named like `name` with one field, at the first one's place. */
  set(name: string, value: string): void {
    const key = name.toLowerCase();
    const id = idOfKey(key);
    const first = this.indexOf(key);
    if (first < 0) {
      this.append(name, value);
      return;
    }
    ONE_KEY[0] = key;
    ONE_ID[0] = id;
    this.#remove(false, ONE_KEY, ONE_ID, first);
    this.#f[first * STRIDE + 2] = -1; // the value is a string now
    this.#text[2 * first + 1] = value;
    this.#changed();
  }

  /**
   * The comma-separated list elements of every `key` field, lower-cased and
   * trimmed. The array answered is shared (frozen when empty or one known token alone; remembered for
   * `connection` and `proxy-connection` until the list changes): copy it
   * before changing it.
   */
  tokens(key: string): string[] {
    const id = idOfKey(key);
    if (id === CONNECTION) return this.#connection ??= this.#tokens(key, id);
    if (id === PROXY_CONNECTION) return this.#proxyConnection ??= this.#tokens(key, id);
    return this.#tokens(key, id);
  }

  #tokens(key: string, id: number): string[] {
    let out: string[] = NONE;
    // `out` is a shared frozen list until something is added to it
    let owned = false;
    const n = this.size;
    const f = this.#f;
    for (let i = 0; i < n; i++) {
      if (!this.#is(i, key, id)) continue;
      // the usual Connection value, one known token, is recognised from its bytes
      // (and answered, when alone, as a shared list: no array made)
      const vs = f[i * STRIDE + 2];
      const known = vs < 0 ? -1 : knownToken(this.#src, vs, f[i * STRIDE + 3]);
      if (known >= 0) {
        if (out === NONE) out = KNOWN_LISTS[known];
        else {
          if (!owned) {
            out = out.slice();
            owned = true;
          }
          out.push(KNOWN_TOKENS[known]);
        }
        continue;
      }
      if (!owned) {
        out = out.slice();
        owned = true;
      }
      const v = this.value(i);
      let a = 0;
      while (a <= v.length) {
        let b = v.indexOf(",", a);
        if (b < 0) b = v.length;
        let s = a;
        let e = b;
        while (s < e && (v.charCodeAt(s) === 32 || v.charCodeAt(s) === 9)) s++;
        while (e > s && (v.charCodeAt(e - 1) === 32 || v.charCodeAt(e - 1) === 9)) e--;
        if (e > s) out.push(v.slice(s, e).toLowerCase());
        a = b + 1;
      }
    }
    return out;
  }

  /** Appends `name: value\r\n` for every field to `out`. */
  serializeInto(out: string[]): void {
    const n = this.size;
    for (let i = 0; i < n; i++) out.push(this.name(i), ": ", this.value(i), "\r\n");
  }

  /** Bytes {@linkcode HeaderList.writeInto} writes: `name: value\r\n` for each field. */
  byteLength(): number {
    const f = this.#f;
    const t = this.#text;
    let len = 0;
    for (let i = 0, j = 0; j < f.length; i++, j += STRIDE) {
      len += (f[j] >= 0 ? f[j + 1] - f[j] : t[2 * i]!.length) +
        (f[j + 2] >= 0 ? f[j + 3] - f[j + 2] : t[2 * i + 1]!.length) + 4;
    }
    return len;
  }

  /**
   * Whether the field at `j` (its offset in `#f`) is parsed bytes spelled
   * `name: value\r\n` in `#src`, so that its line can be copied whole.
   */
  #asReceived(j: number): boolean {
    const f = this.#f;
    const src = this.#src;
    const ve = f[j + 3];
    return f[j] >= 0 && f[j + 2] === f[j + 1] + 2 && src[f[j + 1] + 1] === 32 &&
      src[ve] === 13 && src[ve + 1] === 10;
  }

  /**
   * Writes every field as `name: value\r\n` into `out` from `pos` (which must
   * have {@linkcode HeaderList.byteLength} bytes of room); returns the end.
   * Parsed names and values are copied as bytes; strings are written as
   * ISO-8859-1.
   */
  writeInto(out: Uint8Array, pos: number): number {
    const f = this.#f;
    const t = this.#text;
    const src = this.#src;
    for (let i = 0, j = 0; j < f.length; i++, j += STRIDE) {
      if (this.#asReceived(j)) {
        // a run of fields received as `name: value\r\n`, one after another: one copy
        const from = f[j];
        let k = j;
        while (
          k + STRIDE < f.length && f[k + STRIDE] === f[k + 3] + 2 && this.#asReceived(k + STRIDE)
        ) {
          k += STRIDE;
          i++;
        }
        const to = f[k + 3] + 2;
        // a short run by a loop, a long one by one copy (a view costs about 50 bytes' worth)
        if (to - from <= 48) { for (let x = from; x < to; x++) out[pos++] = src[x]; }
        else {
          out.set(src.subarray(from, to), pos);
          pos += to - from;
        }
        j = k;
        continue;
      }
      if (f[j] >= 0) {
        for (let k = f[j], e = f[j + 1]; k < e; k++) out[pos++] = src[k];
      } else pos = writeLatin1(t[2 * i]!, out, pos);
      out[pos++] = 58; // ":"
      out[pos++] = 32;
      if (f[j + 2] >= 0) {
        for (let k = f[j + 2], e = f[j + 3]; k < e; k++) out[pos++] = src[k];
      } else pos = writeLatin1(t[2 * i + 1]!, out, pos);
      out[pos++] = 13;
      out[pos++] = 10;
    }
    return pos;
  }
}

/** `s` as a decimal number when it is 1 to 15 ASCII digits and nothing else, else -1. */
function decimalOf(s: string): number {
  if (s.length === 0 || s.length > 15) return -1;
  let n = 0;
  for (let k = 0; k < s.length; k++) {
    const d = s.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** List elements recognised from their bytes, in any case: the usual Connection values. */
const KNOWN_TOKENS = ["keep-alive", "close", "upgrade"];

/** Each known token alone in a list: shared, so frozen. */
const KNOWN_LISTS: string[][] = KNOWN_TOKENS.map((t) => Object.freeze([t]) as unknown as string[]);

/** The index in `KNOWN_TOKENS` of the token `bytes[start..end)` spells in any case, or -1. */
function knownToken(bytes: Uint8Array, start: number, end: number): number {
  for (let k = 0; k < KNOWN_TOKENS.length; k++) {
    if (nameEquals(bytes, start, end, KNOWN_TOKENS[k])) return k;
  }
  return -1;
}

/** Writes `s` as ISO-8859-1 into `out` at `pos`; returns the end. */
export function writeLatin1(s: string, out: Uint8Array, pos: number): number {
  for (let i = 0; i < s.length; i++) out[pos++] = s.charCodeAt(i);
  return pos;
}

/**
 * Removes optional whitespace (SP and HTAB, RFC 9110 section 5.6.3) from both
 * ends. Unlike `String.prototype.trim`, no other byte goes: a `0xA0` left in a
 * length or a coding must make it invalid, not vanish here and reach the origin.
 */
export function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

export { appendVia, HOP_BY_HOP, stripHopByHop } from "./hop_by_hop.ts";
