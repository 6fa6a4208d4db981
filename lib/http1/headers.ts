/**
 * An ordered list of header fields, and the rewriting a forward proxy applies
 * to it: hop-by-hop removal (RFC 9110 section 7.6.1) and `Via` (section 7.6.3).
 *
 * @module
 */

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
  /** Names as received. */
  readonly names: string[] = [];
  /** Lower-case names, parallel to {@linkcode HeaderList.names}. */
  readonly keys: string[] = [];
  /** Values with surrounding whitespace removed. */
  readonly values: string[] = [];

  /** Number of fields. */
  get size(): number {
    return this.names.length;
  }

  /** Appends a field. */
  append(name: string, value: string): void {
    this.names.push(name);
    this.keys.push(name.toLowerCase());
    this.values.push(value);
  }

  /** The first value of `key` (lower-case), or `undefined`. */
  get(key: string): string | undefined {
    const i = this.keys.indexOf(key);
    return i < 0 ? undefined : this.values[i];
  }

  /** Every value of `key` (lower-case), in order. */
  getAll(key: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] === key) out.push(this.values[i]);
    return out;
  }

  /** Whether a field named `key` (lower-case) is present. */
  has(key: string): boolean {
    return this.keys.includes(key);
  }

  /** Removes every field named `key` (lower-case); returns how many were removed. */
  delete(key: string): number {
    let n = 0;
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.keys[i] === key) {
        this.names.splice(i, 1);
        this.keys.splice(i, 1);
        this.values.splice(i, 1);
        n++;
      }
    }
    return n;
  }

  /** Replaces every field named like `name` with one field, at the first one's place. */
  set(name: string, value: string): void {
    const key = name.toLowerCase();
    const i = this.keys.indexOf(key);
    if (i < 0) {
      this.append(name, value);
      return;
    }
    this.values[i] = value;
    for (let j = this.keys.length - 1; j > i; j--) {
      if (this.keys[j] === key) {
        this.names.splice(j, 1);
        this.keys.splice(j, 1);
        this.values.splice(j, 1);
      }
    }
  }

  /** The comma-separated list elements of every `key` field, lower-cased and trimmed. */
  tokens(key: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] !== key) continue;
      for (const part of this.values[i].split(",")) {
        const t = trimOws(part).toLowerCase();
        if (t) out.push(t);
      }
    }
    return out;
  }

  /** Appends `name: value\r\n` for every field to `out`. */
  serializeInto(out: string[]): void {
    for (let i = 0; i < this.names.length; i++) {
      out.push(this.names[i], ": ", this.values[i], "\r\n");
    }
  }
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

/** Header fields that apply to one connection only and never cross the proxy. */
export const HOP_BY_HOP: readonly string[] = [
  "connection",
  "proxy-connection",
  "keep-alive",
  "te",
  "trailer",
  "upgrade",
  "proxy-authorization",
  "proxy-authenticate",
];

/**
 * Removes the hop-by-hop fields and every field named in `Connection` (or
 * `Proxy-Connection`). `Transfer-Encoding` and `Content-Length` stay: the
 * caller re-frames the message. Returns the lower-cased `Connection` tokens.
 */
export function stripHopByHop(headers: HeaderList): string[] {
  const tokens = [...headers.tokens("connection"), ...headers.tokens("proxy-connection")];
  for (const t of tokens) {
    if (
      t !== "close" && t !== "keep-alive" && t !== "transfer-encoding" && t !== "content-length"
    ) {
      headers.delete(t);
    }
  }
  for (const h of HOP_BY_HOP) headers.delete(h);
  return tokens;
}

/**
 * Appends this hop to `Via` (RFC 9110 section 7.6.3): `1.1 sluice`, with the
 * version of the message as received. An empty `name` (`--no-via`) adds nothing.
 */
export function appendVia(headers: HeaderList, minor: number, name: string): void {
  if (name === "") return; // --no-via
  const hop = `1.${minor} ${name}`;
  const prev = headers.getAll("via");
  if (prev.length === 0) {
    headers.append("Via", hop);
    return;
  }
  headers.set("Via", [...prev, hop].join(", "));
}
