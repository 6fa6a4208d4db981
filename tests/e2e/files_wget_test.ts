/**
 * wget against the file server through the real CLI: a file and a folder's
 * index to stdout, a download resumed with `-c` (a range request), and a
 * recursive fetch of a small tree through `--dir-listing`, every file
 * byte-identical to the one on disk.
 */

import assert from "node:assert/strict";
import { assertAccessLine, randomBytes, sha256, text } from "./harness.ts";
import { makeFixture } from "./files_fixture.ts";

/** wget ARGS with no proxy and no config file; exit code, stdout, stderr. */
async function wget(args: string[], cwd?: string) {
  const out = await new Deno.Command("wget", {
    args: ["--no-config", "--no-proxy", "--tries=1", "--timeout=20", ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { http_proxy: "", https_proxy: "", HTTP_PROXY: "", HTTPS_PROXY: "", no_proxy: "" },
  }).output();
  return { code: out.code, stdout: out.stdout, stderr: text(out.stderr) };
}

const TREE: Record<string, Uint8Array> = {
  "tree/data.bin": randomBytes(300_000, 7),
  "tree/a b.txt": new TextEncoder().encode("a file with a space\n"),
  "tree/sub/c.txt": new TextEncoder().encode("c\n"),
  "tree/sub/deeper/d.json": new TextEncoder().encode('{"d":1}\n'),
};

Deno.test("wget: single files, a folder's index, a resumed download, a recursive tree", async (t) => {
  const fx = await makeFixture("files-wget");
  try {
    const big = randomBytes(1_000_000, 3);
    await fx.write({ ...TREE, "big.bin": big, "site/index.html": "<p>site</p>\n" });
    await fx.serve(["--dir-listing"], async (p) => {
      const base = `http://127.0.0.1:${p.port}`;

      await t.step("wget -q -O - of a file and of a folder's index", async () => {
        const file = await wget(["-q", "-O", "-", `${base}/big.bin`]);
        assert.equal(file.code, 0, file.stderr);
        assert.equal(await sha256(file.stdout), await sha256(big));
        const index = await wget(["-q", "-O", "-", `${base}/site/`]);
        assert.equal(index.code, 0, index.stderr);
        assert.equal(text(index.stdout), "<p>site</p>\n");
        const redirected = await wget(["-q", "-O", "-", `${base}/site`]);
        assert.equal(text(redirected.stdout), "<p>site</p>\n", "wget follows the 301");
        const missing = await wget(["-q", "-O", "-", `${base}/nothing`]);
        assert.equal(missing.code, 8, "wget reports the 404 (server error response)");
        await assertAccessLine(p, "GET /big\\.bin 200 .*");
      });

      await t.step("wget -c resumes a partial file with a range request", async () => {
        const dir = await Deno.makeTempDir({ dir: fx.base });
        await Deno.writeFile(`${dir}/big.bin`, big.subarray(0, 123_457));
        const r = await wget(["-q", "-c", `${base}/big.bin`], dir);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(await sha256(await Deno.readFile(`${dir}/big.bin`)), await sha256(big));
        await assertAccessLine(p, "GET /big\\.bin 206 .*");
      });

      await t.step("wget -r -np of a listed tree: every file byte-identical", async () => {
        const out = `${fx.base}/mirror`;
        const r = await wget([
          "-q",
          "-r",
          "-np",
          "-nH",
          "-e",
          "robots=off",
          "-P",
          out,
          `${base}/tree/`,
        ]);
        assert.equal(r.code, 0, r.stderr);
        for (const [name, content] of Object.entries(TREE)) {
          const got = await Deno.readFile(`${out}/${name}`);
          assert.equal(await sha256(got), await sha256(content), name);
        }
        // nothing above the starting folder was fetched
        const top = [];
        for await (const e of Deno.readDir(out)) top.push(e.name);
        assert.deepEqual(top, ["tree"]);
        await assertAccessLine(p, "GET /tree/sub/deeper/d\\.json 200 .*");
      });
    });
  } finally {
    await fx.remove();
  }
});
