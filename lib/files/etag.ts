/**
 * Entity tags (RFC 9110 section 8.8.3): making them for files, parsing the
 * `If-Match` / `If-None-Match` / `If-Range` forms, and the strong and weak
 * comparison functions.
 *
 * @module
 */

/** A parsed entity tag. */
export interface EntityTag {
  /** Whether it had the `W/` prefix. */
  weak: boolean;
  /** The opaque tag without its quotes. */
  opaque: string;
}

/**
 * A strong entity tag for a file, nginx style: the modification time in
 * whole seconds and the size, both in lower-case hex: `"<mtime>-<size>"`.
 * Like nginx's, it cannot tell apart two versions of the same size written
 * within the same second.
 *
 * @example
 * ```ts
 * import { makeEtag } from "./etag.ts";
 * makeEtag(1234, 1_700_000_000_999); // '"6553f100-4d2"'
 * ```
 */
export function makeEtag(size: number, mtimeMs: number): string {
  const seconds = Math.floor(mtimeMs / 1000);
  return `"${seconds.toString(16)}-${Math.max(0, Math.floor(size)).toString(16)}"`;
}

/** Whether `c` is an `etagc` (`%x21 / %x23-7E / obs-text`). */
function isEtagc(c: number): boolean {
  return c === 0x21 || (c >= 0x23 && c <= 0x7e) || (c >= 0x80 && c <= 0xff);
}

/**
 * Reads one entity tag starting at `i`; returns it and the index after it,
 * or null when there is none there.
 */
function readTag(s: string, i: number): { tag: EntityTag; end: number } | null {
  let weak = false;
  if (s.startsWith("W/", i)) {
    weak = true;
    i += 2;
  }
  if (s.charCodeAt(i) !== 0x22) return null;
  let j = i + 1;
  while (j < s.length && isEtagc(s.charCodeAt(j))) j++;
  if (s.charCodeAt(j) !== 0x22) return null;
  return { tag: { weak, opaque: s.slice(i + 1, j) }, end: j + 1 };
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * Parses a single entity tag such as `"abc"` or `W/"abc"` (surrounding
 * spaces allowed); null when it is anything else.
 *
 * @example
 * ```ts
 * import { parseEntityTag } from "./etag.ts";
 * parseEntityTag('W/"x"'); // { weak: true, opaque: "x" }
 * parseEntityTag("x"); // null
 * ```
 */
export function parseEntityTag(value: string): EntityTag | null {
  const s = value.trim();
  const r = readTag(s, 0);
  return r && r.end === s.length ? r.tag : null;
}

/**
 * Parses an `If-Match` or `If-None-Match` field value: `"*"` for the star
 * form, otherwise the list of entity tags. Members that are not entity tags
 * are dropped (so they never match), and empty list members are skipped. A
 * tag may contain a comma (`"a,b"`): the list is tokenized, not split.
 *
 * @example
 * ```ts
 * import { parseEntityTagList } from "./etag.ts";
 * parseEntityTagList('"a", W/"b", junk'); // [{ weak: false, opaque: "a" }, { weak: true, opaque: "b" }]
 * parseEntityTagList(" * "); // "*"
 * ```
 */
export function parseEntityTagList(value: string): "*" | EntityTag[] {
  if (value.trim() === "*") return "*";
  const tags: EntityTag[] = [];
  let i = 0;
  while (i < value.length) {
    const c = value.charCodeAt(i);
    if (c === 0x2c || isOws(c)) {
      i++;
      continue;
    }
    const r = readTag(value, i);
    let j = r ? r.end : i;
    while (j < value.length && isOws(value.charCodeAt(j))) j++;
    if (r && (j === value.length || value.charCodeAt(j) === 0x2c)) {
      tags.push(r.tag);
      i = j;
      continue;
    }
    // Not an entity tag: drop this member, up to the next comma.
    const comma = value.indexOf(",", j);
    i = comma < 0 ? value.length : comma;
  }
  return tags;
}

/**
 * Strong comparison (RFC 9110 section 8.8.3.2): neither tag is weak and the
 * opaque tags are the same.
 *
 * @example
 * ```ts
 * import { strongMatch } from "./etag.ts";
 * strongMatch({ weak: false, opaque: "1" }, { weak: false, opaque: "1" }); // true
 * strongMatch({ weak: true, opaque: "1" }, { weak: false, opaque: "1" }); // false
 * ```
 */
export function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/**
 * Weak comparison (RFC 9110 section 8.8.3.2): the opaque tags are the same,
 * whether either is weak or not.
 *
 * @example
 * ```ts
 * import { weakMatch } from "./etag.ts";
 * weakMatch({ weak: true, opaque: "1" }, { weak: false, opaque: "1" }); // true
 * ```
 */
export function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}
