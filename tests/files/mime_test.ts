import assert from "node:assert/strict";
import { contentType, DEFAULT_TYPE } from "../../lib/files/mime.ts";

const TABLE: [string, string][] = [
  ["index.html", "text/html; charset=utf-8"],
  ["page.htm", "text/html; charset=utf-8"],
  ["style.css", "text/css; charset=utf-8"],
  ["app.js", "text/javascript; charset=utf-8"],
  ["module.mjs", "text/javascript; charset=utf-8"],
  ["data.json", "application/json; charset=utf-8"],
  ["app.js.map", "application/json; charset=utf-8"],
  ["site.webmanifest", "application/manifest+json; charset=utf-8"],
  ["logo.svg", "image/svg+xml"],
  ["feed.xml", "application/xml"],
  ["photo.png", "image/png"],
  ["photo.jpg", "image/jpeg"],
  ["photo.jpeg", "image/jpeg"],
  ["photo.gif", "image/gif"],
  ["photo.webp", "image/webp"],
  ["photo.avif", "image/avif"],
  ["favicon.ico", "image/vnd.microsoft.icon"],
  ["font.woff2", "font/woff2"],
  ["font.woff", "font/woff"],
  ["font.ttf", "font/ttf"],
  ["module.wasm", "application/wasm"],
  ["movie.mp4", "video/mp4"],
  ["movie.webm", "video/webm"],
  ["song.mp3", "audio/mpeg"],
  ["song.ogg", "audio/ogg"],
  ["notes.txt", "text/plain; charset=utf-8"],
  ["README.md", "text/markdown; charset=utf-8"],
  ["table.csv", "text/csv; charset=utf-8"],
  ["subs.vtt", "text/vtt; charset=utf-8"],
  ["paper.pdf", "application/pdf"],
  ["archive.zip", "application/zip"],
  ["archive.tar.gz", "application/gzip"],
  ["proxy.pac", "application/x-ns-proxy-autoconfig"],
  ["doc.rtf", "application/rtf"],
  ["Makefile", DEFAULT_TYPE],
  ["file.unknownext", DEFAULT_TYPE],
  ["trailing.", DEFAULT_TYPE],
  [".bashrc", DEFAULT_TYPE],
  ["", DEFAULT_TYPE],
];

Deno.test("contentType: common types", async (t) => {
  for (const [name, type] of TABLE) {
    await t.step(`${name || "(empty)"} -> ${type}`, () => {
      assert.equal(contentType(name), type);
    });
  }
});

Deno.test("contentType: extensions are case-insensitive", () => {
  assert.equal(contentType("INDEX.HTML"), "text/html; charset=utf-8");
  assert.equal(contentType("Photo.JpG"), "image/jpeg");
  assert.equal(contentType("PROXY.PAC"), "application/x-ns-proxy-autoconfig");
  assert.equal(contentType("A.MJS"), "text/javascript; charset=utf-8");
});

Deno.test("contentType: only the last extension of the last segment counts", () => {
  assert.equal(contentType("/a.html/b"), DEFAULT_TYPE);
  assert.equal(contentType("/dir.d/page.css"), "text/css; charset=utf-8");
  assert.equal(contentType("x.png.txt"), "text/plain; charset=utf-8");
  assert.equal(contentType("/srv/.hidden.json"), "application/json; charset=utf-8");
  assert.equal(contentType("/srv/.json"), DEFAULT_TYPE);
});

Deno.test("contentType: .pac has no charset, application/octet-stream has none", () => {
  assert.doesNotMatch(contentType("a.pac"), /charset/);
  assert.equal(DEFAULT_TYPE, "application/octet-stream");
});

Deno.test("contentType: text/* always carries charset=utf-8", () => {
  for (const name of ["a.c", "a.ics", "a.yaml", "a.sub", "a.coffee"]) {
    const type = contentType(name);
    if (type.startsWith("text/")) assert.match(type, /; charset=utf-8$/, name);
  }
});

Deno.test("contentType: an extension shared by several types prefers the official one", () => {
  assert.equal(contentType("a.rtf"), "application/rtf"); // over text/rtf
  assert.equal(contentType("a.xml"), "application/xml"); // over text/xml
  assert.equal(contentType("a.aac"), "audio/aac"); // iana over apache audio/x-aac
  assert.equal(contentType("a.bmp"), "image/bmp"); // iana over nginx image/x-ms-bmp
  assert.equal(contentType("a.zip"), "application/zip"); // over application/x-zip-compressed
  assert.equal(contentType("a.mp4"), "video/mp4"); // over application/mp4
});
