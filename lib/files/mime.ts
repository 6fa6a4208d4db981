/**
 * `Content-Type` values for file names, from the `mime-db` database.
 *
 * @module
 */

import mimeDb from "mime-db";

/** One mime-db entry (the fields this module reads). */
interface MimeEntry {
  source?: string;
  charset?: string;
  extensions?: string[];
}

const db = mimeDb as Readonly<Record<string, MimeEntry>>;

/** The `Content-Type` of files with an unknown or no extension. */
export const DEFAULT_TYPE = "application/octet-stream";

/**
 * Types that win an extension whatever the scores say: `.js` and `.mjs` as
 * `text/javascript` (RFC 9239), `.mp4` as video rather than `application/mp4`
 * (what browsers, nginx and Apache expect for a video file).
 */
const PREFERRED: Readonly<Record<string, string>> = {
  js: "text/javascript",
  mjs: "text/javascript",
  mp4: "video/mp4",
  mpg4: "video/mp4",
  pac: "application/x-ns-proxy-autoconfig",
};

const SOURCE_SCORE: Readonly<Record<string, number>> = { iana: 40, apache: 20, nginx: 10 };
const FACET_SCORE: Readonly<Record<string, number>> = {
  "prs.": 100,
  "x-": 200,
  "x.": 300,
  "vnd.": 400,
};
const TOP_SCORE: Readonly<Record<string, number>> = { application: 1, font: 2 };

/**
 * How "official" a type is when several claim one extension; the `mime-score`
 * rules `mime-types` 3 uses: registration tree (standard over vendor over
 * `x-` over personal), then source (IANA 40, added by mime-db 30, Apache 20,
 * nginx 10), then `font/` over `application/` over the rest, then shorter.
 */
function score(type: string, source: string | undefined): number {
  if (type === DEFAULT_TYPE) return 0;
  const [top, sub = ""] = type.split("/");
  const facet = /^(x-|x\.|vnd\.|prs\.)/.exec(sub)?.[1];
  return (facet ? FACET_SCORE[facet] : 900) + (source ? SOURCE_SCORE[source] ?? 30 : 30) +
    (TOP_SCORE[top] ?? 0) + (1 - type.length / 100);
}

/** Whether a type gets `; charset=utf-8`: all `text/*`, and types mime-db marks UTF-8. */
function isUtf8(type: string, charset: string | undefined): boolean {
  return type.startsWith("text/") || charset?.toUpperCase() === "UTF-8";
}

function buildTable(): Map<string, string> {
  const best = new Map<string, { type: string; score: number }>();
  for (const [type, entry] of Object.entries(db)) {
    const s = score(type, entry.source);
    for (const ext of entry.extensions ?? []) {
      const old = best.get(ext);
      if (!old || s > old.score) best.set(ext, { type, score: s });
    }
  }
  const table = new Map<string, string>();
  for (const [ext, { type }] of best) table.set(ext, type);
  for (const [ext, type] of Object.entries(PREFERRED)) table.set(ext, type);
  for (const [ext, type] of table) {
    if (isUtf8(type, db[type]?.charset)) table.set(ext, `${type}; charset=utf-8`);
  }
  return table;
}

const TABLE = buildTable();

/**
 * The extension of the last path segment of `name`, lower-cased, without its
 * dot: `""` when there is none (`README`, `.bashrc`, `archive.`).
 */
function extensionOf(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  if (dot <= 0 || dot === base.length - 1) return "";
  return base.slice(dot + 1).toLowerCase();
}

/**
 * The `Content-Type` field value for a file named `name` (a base name or a
 * path), by its extension, case-insensitively. Text types get
 * `; charset=utf-8`: every `text/*` type and the types mime-db marks UTF-8
 * (`application/json`, `application/manifest+json`, ...). XML types such as
 * `image/svg+xml` and `application/xml` do not, as their documents declare
 * their own encoding. Unknown or no extension gives `application/octet-stream`.
 *
 * @example
 * ```ts
 * import { contentType } from "./mime.ts";
 * contentType("index.HTML"); // "text/html; charset=utf-8"
 * contentType("app.mjs"); // "text/javascript; charset=utf-8"
 * contentType("photo.webp"); // "image/webp"
 * contentType("proxy.pac"); // "application/x-ns-proxy-autoconfig"
 * contentType("Makefile"); // "application/octet-stream"
 * ```
 */
export function contentType(name: string): string {
  return TABLE.get(extensionOf(name)) ?? DEFAULT_TYPE;
}
