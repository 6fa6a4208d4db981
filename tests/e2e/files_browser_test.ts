/**
 * A real browser against the file server: headless Chromium opens a folder
 * (301 to the slash, then its index.html) whose page uses a stylesheet, a
 * script and a PNG image, all served from `--root`. The script writes what
 * it saw (the computed colour from the CSS, the decoded image size) into the
 * DOM, read back with `--dump-dom`. Skipped (as ignored) where Chromium is
 * not installed.
 */

import assert from "node:assert/strict";
import { assertAccessLine, concat, findChromium, text } from "./harness.ts";
import { makeFixture } from "./files_fixture.ts";

const chromium = findChromium();

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A `width` x `height` RGB PNG, every pixel a shade of red. */
async function png(width: number, height: number): Promise<Uint8Array> {
  const raw = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw[y * (1 + width * 3) + 1 + x * 3] = 100 + 40 * y + x;
  }
  const zlib = new Uint8Array(
    await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream("deflate")))
      .arrayBuffer(),
  );
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib),
    chunk("IEND", new Uint8Array(0)),
  ];
  return concat(...parts);
}

const PAGE = `<!doctype html>
<html><head><title>files</title><link rel="stylesheet" href="style.css"></head>
<body><p id="out">script did not run</p>
<img id="img" src="img/my%20dot.png" alt="dot">
<script src="app.js"></script></body></html>
`;

const SCRIPT = `window.addEventListener("load", () => {
  const out = document.getElementById("out");
  const img = document.getElementById("img");
  const color = getComputedStyle(out).color;
  out.textContent = "script ran; color=" + color + "; img=" + img.naturalWidth + "x" + img.naturalHeight;
});
`;

Deno.test({
  name: "headless Chromium loads a page, its CSS, script and image from --root",
  ignore: chromium === null,
  async fn() {
    const fx = await makeFixture("files-browser");
    const profile = await Deno.makeTempDir({ prefix: "sluice-chromium-" });
    try {
      await fx.write({
        "app/index.html": PAGE,
        "app/style.css": "#out { color: rgb(1, 2, 3); }\n",
        "app/app.js": SCRIPT,
        "app/img/my dot.png": await png(2, 3),
      });
      await fx.serve(["--no-forward"], async (p) => {
        const out = await new Deno.Command(chromium!, {
          args: [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-proxy-server",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            `--user-data-dir=${profile}`,
            "--virtual-time-budget=5000",
            "--dump-dom",
            `http://127.0.0.1:${p.port}/app`,
          ],
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
          signal: AbortSignal.timeout(40_000),
        }).output();
        const dom = text(out.stdout);
        assert.match(
          dom,
          /script ran; color=rgb\(1, 2, 3\); img=2x3/,
          `${dom}\n${text(out.stderr).slice(-2000)}`,
        );
        await assertAccessLine(p, "GET /app 301 .*");
        await assertAccessLine(p, "GET /app/ 200 .*");
        await assertAccessLine(p, "GET /app/style\\.css 200 .*");
        await assertAccessLine(p, "GET /app/app\\.js 200 .*");
        await assertAccessLine(p, "GET /app/img/my%20dot\\.png 200 .*");
      }, { watchdogMs: 50_000 });
    } finally {
      await fx.remove();
      await Deno.remove(profile, { recursive: true });
    }
  },
});
