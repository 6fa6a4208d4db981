/**
 * The HTML page listing a directory (`--dir-listing`).
 *
 * @module
 */

import { encodePath, encodeSegment } from "./encode_path.ts";
import { isServableName } from "./resolve.ts";

/** One directory entry to list. */
export interface ListingEntry {
  /** The entry's name (one path segment, decoded). */
  name: string;
  /** Whether it is a directory (after following a symlink). */
  isDirectory: boolean;
  /** Size in bytes (ignored for a directory). */
  size: number;
  /** Last modification, in milliseconds since the epoch. */
  mtimeMs: number;
}

const STYLE = ":root{color-scheme:light dark}" +
  "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em}" +
  "table{border-collapse:collapse;width:100%}" +
  "th,td{padding:.25em .75em;text-align:left;white-space:nowrap}" +
  "td:first-child{white-space:normal;overflow-wrap:anywhere}" +
  "thead th{border-bottom:1px solid #999}" +
  ".n{text-align:right;font-variant-numeric:tabular-nums}" +
  "tbody tr:hover{background:rgba(128,128,128,.12)}";

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML content and (double- or single-quoted) attribute values. */
function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * Orders by code point, case-insensitively first (`a`, `B`, `c`), then
 * exactly: the same on every machine, whatever its locale.
 */
function compareNames(a: string, b: string): number {
  return compareCodePoints(a.toLowerCase(), b.toLowerCase()) || compareCodePoints(a, b);
}

function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < x.length && i < y.length; i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/** `512 B`, `1.5 KiB`, `12 MiB`: binary units, one decimal below 10. */
function humanSize(n: number): string {
  let unit = 0;
  let v = n;
  while (unit < UNITS.length - 1 && Number(v < 10 ? v.toFixed(1) : v.toFixed(0)) >= 1024) {
    v /= 1024;
    unit++;
  }
  if (unit === 0) return `${n} B`;
  return `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ${UNITS[unit]}`;
}

/** `2026-11-30T11:11:43Z`, or "" for a time a Date cannot hold. */
function isoSeconds(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString().replace(".000Z", "Z");
}

function row(href: string, label: string, size: string, title: string, when: string): string {
  const time = when === "" ? "" : `<time datetime="${when}">${when}</time>`;
  return `<tr><td><a href="${escapeHtml(href)}">${escapeHtml(label)}</a></td>` +
    `<td class="n"${title === "" ? "" : ` title="${title}"`}>${size}</td><td>${time}</td></tr>`;
}

/**
 * Renders an HTML5 page listing a directory at the decoded URL path
 * `urlPath` (as in `ResolvedPath.path`; a missing trailing slash is added).
 *
 * - the title and heading read "Index of /path/";
 * - a link to the parent directory comes first, except at the root;
 * - directories come first, then files, each ordered by name
 *   (case-insensitively, then exactly, by code point: locale-independent);
 * - hidden entries (a leading ".") are left out, and so are names a client
 *   could not ask for (a backslash or a control character in them);
 * - names are HTML-escaped in text and percent-encoded in links, which are
 *   absolute paths, so `<script>`, `a&b "c".txt` or `%41` are shown as they
 *   are and link to themselves; directories end with "/";
 * - sizes are human-readable (`1.5 KiB`) with the exact count in a `title`;
 *   dates are ISO 8601 UTC to the second.
 *
 * @example
 * ```ts
 * import { renderListing } from "./listing.ts";
 * const html = renderListing("/docs/", [
 *   { name: "a b.txt", isDirectory: false, size: 1536, mtimeMs: 0 },
 *   { name: "img", isDirectory: true, size: 0, mtimeMs: 0 },
 * ]);
 * html.includes('<a href="/docs/img/">img/</a>'); // true
 * html.includes('<a href="/docs/a%20b.txt">a b.txt</a>'); // true
 * ```
 */
export function renderListing(urlPath: string, entries: readonly ListingEntry[]): string {
  const dir = urlPath.endsWith("/") ? urlPath : urlPath + "/";
  const base = encodePath(dir);
  const title = escapeHtml(`Index of ${dir}`);
  const rows: string[] = [];
  if (dir !== "/") {
    const parent = dir.slice(0, dir.lastIndexOf("/", dir.length - 2) + 1);
    rows.push(row(encodePath(parent), "../", "-", "", ""));
  }
  const shown = entries.filter((e) => isServableName(e.name)).sort((a, b) =>
    Number(b.isDirectory) - Number(a.isDirectory) || compareNames(a.name, b.name)
  );
  for (const e of shown) {
    const slash = e.isDirectory ? "/" : "";
    const href = base + encodeSegment(e.name) + slash;
    const when = isoSeconds(e.mtimeMs);
    if (e.isDirectory) rows.push(row(href, e.name + slash, "-", "", when));
    else rows.push(row(href, e.name, humanSize(e.size), `${e.size} bytes`, when));
  }
  return "<!DOCTYPE html>\n" +
    '<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<title>${title}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n` +
    `<h1>${title}</h1>\n<table>\n` +
    '<thead><tr><th>Name</th><th class="n">Size</th><th>Modified (UTC)</th></tr></thead>\n' +
    `<tbody>\n${rows.map((r) => r + "\n").join("")}</tbody>\n</table>\n</body>\n</html>\n`;
}
