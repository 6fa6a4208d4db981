/**
 * Starting the file server from the command line: without read access to
 * the root sluice exits 2 with one line naming the exact `--allow-read=DIR`
 * (and that flag is then enough), a root that does not exist or is not a
 * folder exits 2 too, and the file-server flags need `--root`.
 */

import assert from "node:assert/strict";
import { relative } from "node:path";
import { ROOT, SERVE_FLAGS, spawnProxy, text } from "./harness.ts";
import { curlGot, makeFixture } from "./files_fixture.ts";

/** `deno run FLAGS main.ts --listen 127.0.0.1:0 ARGS`, to its exit. */
async function runCli(args: string[], flags: string[] = SERVE_FLAGS) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...flags, "main.ts", "--listen", "127.0.0.1:0", ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** stderr without Deno's own warning about permissions in the config file. */
function ownLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.trim() !== "" && !l.includes("experimental feature"));
}

/** Exit 2 and exactly one line of stderr, which is returned. */
function oneLineExit2(r: { code: number; stderr: string }, what: string): string {
  assert.equal(r.code, 2, `${what}: ${r.stderr}`);
  const lines = ownLines(r.stderr);
  assert.equal(lines.length, 1, `${what}: ${r.stderr}`);
  assert.match(lines[0], /^sluice: /);
  assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/, "no stack trace");
  return lines[0];
}

Deno.test("files from the CLI: --allow-read named exactly, missing roots, flags needing --root", async (t) => {
  const fx = await makeFixture("files-cli");
  try {
    await fx.write({ "a.txt": "alpha" });

    await t.step("no read access: exit 2, one line naming --allow-read=DIR", async () => {
      const r = await runCli(["--root", fx.root]);
      const line = oneLineExit2(r, "no --allow-read");
      assert.ok(line.includes(`--allow-read=${fx.root}`), line);
      assert.ok(line.endsWith(`--allow-read=${fx.root}`), `the flag ends the line: ${line}`);
      // read access to something else is not enough either
      const other = await runCli(["--root", fx.root], [
        ...SERVE_FLAGS,
        `--allow-read=${fx.secret}`,
      ]);
      assert.ok(oneLineExit2(other, "other --allow-read").includes(`--allow-read=${fx.root}`));
    });

    await t.step("a relative root: the line names it as given, and that flag works", async () => {
      const rel = relative(ROOT, fx.root);
      const r = await runCli(["--root", rel]);
      const line = oneLineExit2(r, "relative root");
      const m = / (--allow-read=\S+)$/.exec(line);
      assert.ok(m, line);
      assert.equal(m[1], `--allow-read=${rel}`);
      const p = await spawnProxy(["--listen", "127.0.0.1:0", "--root", rel], [
        ...SERVE_FLAGS,
        m[1],
      ]);
      try {
        assert.equal((await curlGot([`http://127.0.0.1:${p.port}/a.txt`])).text, "alpha");
      } finally {
        assert.equal((await p.stop()).code, 0);
      }
    });

    await t.step("a root that does not exist: exit 2, no such folder", async () => {
      const missing = `${fx.base}/missing`;
      const r = await runCli(["--root", missing], [...SERVE_FLAGS, `--allow-read=${missing}`]);
      const line = oneLineExit2(r, "missing root");
      assert.match(line, /no such folder/);
      assert.ok(line.includes(missing), line);
      // a file is not a folder
      const file = `${fx.root}/a.txt`;
      const f = await runCli(["--root", file], [...SERVE_FLAGS, `--allow-read=${file}`]);
      assert.match(oneLineExit2(f, "file root"), /not a folder/);
    });

    await t.step("--no-forward, --dir-listing, --fallback need --root", async () => {
      for (const args of [["--no-forward"], ["--dir-listing"], ["--fallback", "200.html"]]) {
        const line = oneLineExit2(await runCli(args), args.join(" "));
        assert.match(line, /--root/, line);
      }
    });
  } finally {
    await fx.remove();
  }
});

// A root reached through a symlink (macOS's /tmp and /var are such links): files are read through
// the real path, which Deno checks too, so the second message names both paths.
Deno.test({
  name: "a root given through a symlink starts with the --allow-read it names",
  async fn() {
    const fx = await makeFixture("files-cli-link");
    try {
      await fx.write({ "a.txt": "alpha" });
      const link = `${fx.base}/link`;
      await Deno.symlink(fx.root, link);
      const first = await runCli(["--root", link]);
      const flag1 = / (--allow-read=\S+)$/.exec(oneLineExit2(first, "link root"))![1];
      assert.equal(flag1, `--allow-read=${link}`);
      const second = await runCli(["--root", link], [...SERVE_FLAGS, flag1]);
      const flag = / (--allow-read=\S+)$/.exec(oneLineExit2(second, "link root, real path"))![1];
      assert.equal(flag, `--allow-read=${link},${await Deno.realPath(fx.root)}`);
      const p = await spawnProxy(["--listen", "127.0.0.1:0", "--root", link], [
        ...SERVE_FLAGS,
        flag,
      ]);
      try {
        assert.equal((await curlGot([`http://127.0.0.1:${p.port}/a.txt`])).text, "alpha");
      } finally {
        await p.stop();
      }
    } finally {
      await fx.remove();
    }
  },
});
