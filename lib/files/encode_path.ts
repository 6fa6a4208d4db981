/**
 * Percent-encoding a decoded URL path back into a URI path, for `Location`
 * and for the links of a directory listing.
 *
 * @module
 */

/**
 * Percent-encodes one decoded path segment as UTF-8. Everything but
 * `A-Z a-z 0-9 - _ . ! ~ * ' ( )` is encoded, so `/`, `\`, `%`, `?`, `#`,
 * `:` and `;` cannot change what the URI means (a name such as `a:b` stays
 * a relative path, `%41` stays three characters). A lone surrogate, which
 * has no UTF-8 form, becomes U+FFFD.
 *
 * @example
 * ```ts
 * import { encodeSegment } from "./encode_path.ts";
 * encodeSegment("a b?.txt"); // "a%20b%3F.txt"
 * encodeSegment("%41"); // "%2541"
 * ```
 */
export function encodeSegment(segment: string): string {
  return encodeURIComponent(segment.toWellFormed());
}

/**
 * Percent-encodes a decoded URL path (such as `ResolvedPath.path`) segment
 * by segment, keeping its slashes.
 *
 * @example
 * ```ts
 * import { encodePath } from "./encode_path.ts";
 * encodePath("/docs/a b/€.txt"); // "/docs/a%20b/%E2%82%AC.txt"
 * encodePath("/dir/"); // "/dir/"
 * ```
 */
export function encodePath(path: string): string {
  return path.split("/").map(encodeSegment).join("/");
}
