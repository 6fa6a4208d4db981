/**
 * `Vary` (RFC 9110 section 12.5.5, RFC 9111 section 4.1): which request
 * fields select a stored response, how their values are normalised and
 * compared.
 *
 * @module
 */

import type { HeaderList } from "../http1/headers.ts";
import { splitList } from "./cache_control.ts";

/** The selecting request fields of a stored response and their normalised values. */
export interface VaryKey {
  /** Lower-case field names listed in `Vary`, in order, without duplicates. */
  readonly fields: readonly string[];
  /** The normalised request value of each field; null when the request lacked it. */
  readonly values: readonly (string | null)[];
}

/** Fields whose list members are compared without regard to case or order. */
const UNORDERED = new Set(["accept-language", "accept-encoding"]);

/**
 * The lower-case field names of a response's `Vary` lines, or `"*"` when any
 * member is `*` (such a response never matches a later request). Empty
 * members and duplicates are dropped.
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { varyFields } from "./vary.ts";
 * const h = new HeaderList();
 * h.append("Vary", "Accept-Encoding, , accept-encoding");
 * h.append("Vary", "Foo");
 * varyFields(h); // ["accept-encoding", "foo"]
 * h.append("Vary", "*");
 * varyFields(h); // "*"
 * ```
 */
export function varyFields(headers: HeaderList): string[] | "*" {
  const out: string[] = [];
  for (const t of headers.tokens("vary")) {
    if (t === "*") return "*";
    if (!out.includes(t)) out.push(t);
  }
  return out;
}

/**
 * The normalised value of request field `key` (lower-case): null when the
 * request lacks it; otherwise every line's list members, trimmed, inner
 * whitespace runs collapsed to one space, empty members dropped, joined with
 * ", " (so `1, 2` on one line, `1,2` and two lines `1` / `2` are equal). For
 * `Accept-Language` and `Accept-Encoding` the members are also lower-cased,
 * stripped of spaces and sorted. A field present but empty gives `""`.
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { normalizedValue } from "./vary.ts";
 * const h = new HeaderList();
 * h.append("Foo", " 1,   2 ");
 * h.append("Accept-Language", "EN, de");
 * normalizedValue(h, "foo"); // "1, 2"
 * normalizedValue(h, "accept-language"); // "de, en"
 * normalizedValue(h, "bar"); // null
 * ```
 */
export function normalizedValue(headers: HeaderList, key: string): string | null {
  const lines = headers.getAll(key);
  if (lines.length === 0) return null;
  let members = lines.flatMap(splitList).map((m) => m.replace(/[ \t]+/g, " "));
  if (UNORDERED.has(key)) {
    members = members.map((m) => m.replace(/[ \t]+/g, "").toLowerCase()).sort();
  }
  return members.join(", ");
}

/**
 * Records the values of the selecting fields `fields` in the request that
 * produced a response (RFC 9111 section 4.1), for later matching.
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { captureVary } from "./vary.ts";
 * const req = new HeaderList();
 * req.append("Foo", "1");
 * captureVary(["foo", "bar"], req); // { fields: ["foo", "bar"], values: ["1", null] }
 * ```
 */
export function captureVary(fields: readonly string[], request: HeaderList): VaryKey {
  return { fields: [...fields], values: fields.map((f) => normalizedValue(request, f)) };
}

/**
 * Whether a new request selects the stored response with key `vary`: every
 * selecting field has the same normalised value in both requests, where
 * absent only matches absent. (`Vary: *` responses are never stored.)
 *
 * @example
 * ```ts
 * import { HeaderList } from "../http1/headers.ts";
 * import { captureVary, varyMatches } from "./vary.ts";
 * const a = new HeaderList();
 * a.append("Foo", "1,2");
 * const b = new HeaderList();
 * b.append("Foo", "1");
 * b.append("Foo", "2");
 * varyMatches(captureVary(["foo"], a), b); // true
 * varyMatches(captureVary(["foo"], a), new HeaderList()); // false
 * ```
 */
export function varyMatches(vary: VaryKey, request: HeaderList): boolean {
  for (let i = 0; i < vary.fields.length; i++) {
    if (normalizedValue(request, vary.fields[i]) !== vary.values[i]) return false;
  }
  return true;
}

/**
 * A string that is equal for two stored responses exactly when their
 * selecting fields and values are the same: the store replaces a variant
 * with a newer one of the same key.
 *
 * @example
 * ```ts
 * import { varyId } from "./vary.ts";
 * varyId({ fields: [], values: [] }); // ""
 * varyId({ fields: ["foo"], values: [null] }) === varyId({ fields: ["foo"], values: [""] }); // false
 * ```
 */
export function varyId(vary: VaryKey): string {
  if (vary.fields.length === 0) return "";
  const pairs = vary.fields.map((f, i) => [f, vary.values[i]] as const);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return JSON.stringify(pairs);
}
