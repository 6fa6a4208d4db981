import assert from "node:assert/strict";
import { type ListingEntry, renderListing } from "../../lib/files/listing.ts";
import { resolvePath } from "../../lib/files/resolve.ts";

const T = Date.UTC(2026, 10, 30, 11, 11, 43, 288);

function file(name: string, size = 1, mtimeMs = T): ListingEntry {
  return { name, isDirectory: false, size, mtimeMs };
}

function dir(name: string, mtimeMs = T): ListingEntry {
  return { name, isDirectory: true, size: 4096, mtimeMs };
}

/** The [href, text] of every link, in order. */
function links(html: string): [string, string][] {
  return [...html.matchAll(/<a href="([^"]*)">([^<]*)<\/a>/g)].map((m) => [m[1], m[2]]);
}

/** Undoes the HTML escaping of an attribute value or text. */
function unescapeHtml(s: string): string {
  return s.replace(
    /&(amp|lt|gt|quot|#39);/g,
    (_, e) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e as string]!,
  );
}

Deno.test("renderListing: an HTML5 page titled 'Index of /path/'", () => {
  const html = renderListing("/docs/", [file("a.txt")]);
  assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
  assert.match(html, /<meta charset="utf-8">/);
  assert.match(html, /<title>Index of \/docs\/<\/title>/);
  assert.match(html, /<h1>Index of \/docs\/<\/h1>/);
  assert.match(html, /<\/html>\n$/);
});

Deno.test("renderListing: a trailing slash is added to the path", () => {
  const html = renderListing("/docs", [file("a.txt")]);
  assert.match(html, /<title>Index of \/docs\/<\/title>/);
  assert.deepEqual(links(html), [["/", "../"], ["/docs/a.txt", "a.txt"]]);
});

Deno.test("renderListing: a parent link, except at the root", () => {
  assert.deepEqual(links(renderListing("/", [file("a")])), [["/a", "a"]]);
  assert.deepEqual(links(renderListing("/x/", []))[0], ["/", "../"]);
  assert.deepEqual(links(renderListing("/x/y/", []))[0], ["/x/", "../"]);
  assert.deepEqual(links(renderListing("/a b/c/", []))[0], ["/a%20b/", "../"]);
});

Deno.test("renderListing: directories first, then by name, case-insensitively, locale-free", () => {
  const html = renderListing("/", [
    file("b.txt"),
    dir("zeta"),
    file("A.txt"),
    file("a.txt"),
    dir("Alpha"),
    file("10.txt"),
    file("9.txt"),
    file("é.txt"),
    file("z.txt"),
    file("😀.txt"),
    file("\uFF41.txt"), // fullwidth a
  ]);
  assert.deepEqual(links(html).map(([, text]) => text), [
    "Alpha/",
    "zeta/",
    "10.txt",
    "9.txt",
    "A.txt",
    "a.txt",
    "b.txt",
    "z.txt",
    "é.txt",
    "\uFF41.txt",
    "😀.txt",
  ]);
});

Deno.test("renderListing: the order does not depend on the input order", () => {
  const entries = [file("b"), dir("c"), file("a"), dir("B"), file("A"), file("_")];
  const once = renderListing("/", entries);
  assert.equal(renderListing("/", [...entries].reverse()), once);
  assert.equal(renderListing("/", [entries[3], ...entries.slice(0, 3), ...entries.slice(4)]), once);
});

Deno.test("renderListing: hidden and unreachable names are left out", () => {
  const html = renderListing("/", [
    file(".env"),
    dir(".git"),
    file("."),
    file(".."),
    file(""),
    file("a\\b"),
    file("line\nbreak"),
    file("nul\u0000"),
    file("c1\u0085"),
    file("visible.txt"),
    file("dot.in.middle"),
  ]);
  assert.deepEqual(links(html).map(([, t]) => t), ["visible.txt", "dot.in.middle"].sort());
  assert.doesNotMatch(html, /\.env|\.git|break/);
});

Deno.test("renderListing: hostile names are escaped in text and encoded in links", () => {
  const names = [
    "<script>alert(1)",
    "<img src=x onerror=alert(1)>",
    'a&b "c".txt',
    "it's.txt",
    "%41",
    "a b#c?d.txt",
    "javascript:alert(1)",
    "€.txt",
    "x;y=z,w+v",
  ];
  const html = renderListing("/p q/", names.map((n) => file(n)));
  assert.doesNotMatch(html, /<script>|<img/);
  assert.doesNotMatch(html, /href="javascript:/);
  const [parent, ...got] = links(html);
  assert.deepEqual(parent, ["/", "../"]);
  assert.equal(got.length, names.length);
  for (const [href, text] of got) {
    const name = unescapeHtml(text);
    assert.ok(names.includes(name), name);
    const decodedHref = unescapeHtml(href);
    assert.match(decodedHref, /^\/p%20q\/[A-Za-z0-9\-_.!~*'()%]+$/, decodedHref);
    // the link resolves back to the same file
    assert.deepEqual(resolvePath(decodedHref).segments, ["p q", name]);
  }
  assert.ok(html.includes('<a href="/p%20q/%2541">%41</a>'));
  assert.ok(html.includes("&lt;script&gt;alert(1)</a>"));
  assert.ok(html.includes('href="/p%20q/%3Cscript%3Ealert(1)"'));
  assert.ok(html.includes("a&amp;b &quot;c&quot;.txt"));
  assert.ok(html.includes('href="/p%20q/it&#39;s.txt"'));
});

Deno.test("renderListing: the path in the title is escaped", () => {
  const html = renderListing("/<b>&/", []);
  assert.match(html, /<title>Index of \/&lt;b&gt;&amp;\/<\/title>/);
  assert.deepEqual(links(html), [["/", "../"]]);
});

Deno.test("renderListing: directory links end with a slash and have no size", () => {
  const html = renderListing("/", [dir("sub dir")]);
  assert.match(
    html,
    /<tr><td><a href="\/sub%20dir\/">sub dir\/<\/a><\/td><td class="n">-<\/td><td><time datetime="2026-11-30T11:11:43Z">2026-11-30T11:11:43Z<\/time><\/td><\/tr>/,
  );
});

Deno.test("renderListing: human sizes with the exact count in a title", async (t) => {
  const cases: [number, string][] = [
    [0, "0 B"],
    [1, "1 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [1536, "1.5 KiB"],
    [10 * 1024, "10 KiB"],
    [1024 * 1023.6, "1.0 MiB"],
    [5 * 1024 ** 3 + 1, "5.0 GiB"],
    [123 * 1024 ** 4, "123 TiB"],
  ];
  for (const [size, text] of cases) {
    await t.step(`${size} -> ${text}`, () => {
      const html = renderListing("/", [file("f", Math.round(size))]);
      assert.ok(
        html.includes(`<td class="n" title="${Math.round(size)} bytes">${text}</td>`),
        html,
      );
    });
  }
});

Deno.test("renderListing: dates are ISO 8601 UTC to the second, or blank", () => {
  assert.ok(renderListing("/", [file("f", 1, 0)]).includes(">1970-01-01T00:00:00Z</time>"));
  assert.ok(renderListing("/", [file("f", 1, T)]).includes(">2026-11-30T11:11:43Z</time>"));
  const bad = renderListing("/", [file("f", 1, NaN)]);
  assert.match(bad, /<td><\/td><\/tr>/);
});

Deno.test("renderListing: an empty directory has only the parent link", () => {
  assert.deepEqual(links(renderListing("/empty/", [])), [["/", "../"]]);
  assert.deepEqual(links(renderListing("/", [])), []);
});
