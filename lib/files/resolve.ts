/**
 * Turns an origin-form request target into path segments relative to the
 * served root, refusing anything that could step outside it or reach a
 * hidden file. Pure: it never touches the file system.
 *
 * @module
 */

import { ProxyError } from "../errors.ts";

/** A request target that is safe to map below the served root. */
export interface ResolvedPath {
  /** Always `"ok"`: failures throw {@linkcode FilePathError}. */
  kind: "ok";
  /** Decoded, non-empty segments relative to the root (`[]` for the root itself). */
  segments: string[];
  /** Whether the normalized path ends with "/" (always true for the root). */
  trailingSlash: boolean;
  /** The normalized decoded URL path, e.g. `"/a/b c.txt"` or `"/dir/"`. */
  path: string;
  /** The raw query without its "?" (`""` when there is none), kept for redirects. */
  query: string;
}

/**
 * A request path that cannot be served: 400 `bad-path` when it is malformed or
 * tries to escape the root, 404 `not-found` when it names a hidden file.
 *
 * @example
 * ```ts
 * import { FilePathError } from "./resolve.ts";
 * throw new FilePathError(400, "bad-path", "Cannot parse path: encoded \"/\" (%2F) in a segment");
 * ```
 */
export class FilePathError extends ProxyError {
  /** Creates the error. */
  constructor(status: 400 | 404, reason: "bad-path" | "not-found", message: string) {
    super(status, reason, message);
    this.name = "FilePathError";
  }
}

/**
 * The 404 for `path`. Hidden files get exactly this error, so answer a missing
 * file with it too: the two must look the same to the client.
 *
 * @example
 * ```ts
 * import { notFound } from "./resolve.ts";
 * notFound("/missing.txt").message; // "Cannot find /missing.txt: no such file or directory"
 * ```
 */
export function notFound(path: string): FilePathError {
  return new FilePathError(404, "not-found", `Cannot find ${path}: no such file or directory`);
}

function badPath(reason: string): FilePathError {
  return new FilePathError(400, "bad-path", `Cannot parse path: ${reason}`);
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** Percent-decodes one raw segment once, as UTF-8. */
function decodeSegment(raw: string): string {
  if (!raw.includes("%")) return raw;
  const bytes = new Uint8Array(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c !== 0x25) {
      bytes[n++] = c;
      continue;
    }
    const hi = i + 2 < raw.length ? hexValue(raw.charCodeAt(i + 1)) : -1;
    const lo = hi < 0 ? -1 : hexValue(raw.charCodeAt(i + 2));
    if (lo < 0) throw badPath(`malformed percent-escape "${raw.slice(i, i + 3)}"`);
    bytes[n++] = hi * 16 + lo;
    i += 2;
  }
  try {
    return UTF8.decode(bytes.subarray(0, n));
  } catch {
    throw badPath("not valid UTF-8 after percent-decoding");
  }
}

/** Whether `s` holds a C0 or C1 control character or DEL. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/**
 * Whether a file named `name` can be asked for and served: a client can
 * reach it through {@linkcode resolvePath} (no "/", backslash or control
 * character, not "." or "..") and it is not hidden (no leading "."). A
 * directory listing shows only such names, so that every link works.
 *
 * @example
 * ```ts
 * import { isServableName } from "./resolve.ts";
 * isServableName("a b.txt"); // true
 * isServableName(".env"); // false
 * isServableName("a\\b"); // false
 * ```
 */
export function isServableName(name: string): boolean {
  return name !== "" && !name.startsWith(".") && !name.includes("/") && !name.includes("\\") &&
    !hasControl(name);
}

/** Checks a decoded segment that did not come from a raw "." or "..". */
function checkSegment(seg: string): void {
  if (seg.includes("/")) throw badPath('encoded "/" (%2F) in a segment');
  if (seg.includes("\\")) throw badPath("backslash in a segment");
  if (hasControl(seg)) throw badPath("control character in a segment");
  if (seg === "." || seg === "..") throw badPath("percent-encoded dot segment");
}

/**
 * Resolves an origin-form request target (`/a/b%20c.txt?x=1`) to segments
 * below the served root.
 *
 * - the query and fragment are dropped (the raw query is kept in `query`);
 * - the target must start with "/" and hold only visible ASCII;
 * - repeated slashes are merged;
 * - raw "." and ".." segments are removed as RFC 3986 `remove_dot_segments`
 *   does, but climbing above the root is refused (400);
 * - each segment is percent-decoded once, as UTF-8 (a malformed escape,
 *   invalid or overlong UTF-8 gives 400);
 * - after decoding, "/" (`%2F`), a backslash (raw or `%5C`), a control
 *   character (C0, DEL, C1) or a segment that is "." or ".." gives 400;
 * - a remaining segment that starts with "." (`.env`, `.git`) gives 404.
 *
 * Whether the path names a directory is for the caller to find out.
 *
 * @throws {FilePathError} 400 `bad-path` or 404 `not-found`.
 *
 * @example
 * ```ts
 * import { resolvePath } from "./resolve.ts";
 * const r = resolvePath("/docs/./a%20b.txt?x=1");
 * r.segments; // ["docs", "a b.txt"]
 * r.path; // "/docs/a b.txt"
 * r.query; // "x=1"
 * ```
 */
export function resolvePath(target: string): ResolvedPath {
  const hash = target.indexOf("#");
  const noFragment = hash < 0 ? target : target.slice(0, hash);
  for (let i = 0; i < noFragment.length; i++) {
    const c = noFragment.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) {
      throw badPath(`character 0x${c.toString(16).padStart(2, "0")} is not visible ASCII`);
    }
  }
  const q = noFragment.indexOf("?");
  const rawPath = q < 0 ? noFragment : noFragment.slice(0, q);
  const query = q < 0 ? "" : noFragment.slice(q + 1);
  if (!rawPath.startsWith("/")) throw badPath('it must start with "/"');
  if (rawPath.includes("\\")) throw badPath("backslash in a segment");

  const raws = rawPath.split("/");
  const segments: string[] = [];
  let trailingSlash = false;
  for (let i = 1; i < raws.length; i++) {
    const raw = raws[i];
    const last = i === raws.length - 1;
    if (raw === "" || raw === ".") {
      if (last) trailingSlash = true;
    } else if (raw === "..") {
      if (segments.length === 0) throw badPath('".." climbs above the root');
      segments.pop();
      if (last) trailingSlash = true;
    } else {
      const seg = decodeSegment(raw);
      checkSegment(seg);
      segments.push(seg);
    }
  }
  if (segments.length === 0) trailingSlash = true;
  const path = "/" + segments.join("/") + (trailingSlash && segments.length > 0 ? "/" : "");
  if (segments.some((s) => s.startsWith("."))) throw notFound(path);
  return { kind: "ok", segments, trailingSlash, path, query };
}
