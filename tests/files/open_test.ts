/**
 * The file server's file-system side on a real temporary folder: symlinks
 * inside and outside the root, a FIFO (never opened), dotfiles reached through
 * a symlink, folders, listings.
 */
import assert from "node:assert/strict";
import { ProxyError } from "../../lib/errors.ts";
import { find, insideRoot, listDirectory, openFile } from "../../lib/files/open.ts";

async function tree(fn: (root: string, outside: string) => Promise<void>): Promise<void> {
  const base = await Deno.realPath(await Deno.makeTempDir());
  const root = `${base}/root`;
  const outside = `${base}/outside`;
  try {
    await Deno.mkdir(`${root}/dir`, { recursive: true });
    await Deno.mkdir(`${root}/.hidden`);
    await Deno.mkdir(outside);
    await Deno.writeTextFile(`${root}/a.txt`, "a");
    await Deno.writeTextFile(`${root}/.hidden/s.txt`, "secret");
    await Deno.writeTextFile(`${outside}/x.txt`, "outside");
    await Deno.symlink(`${root}/a.txt`, `${root}/in-link.txt`);
    await Deno.symlink(`${outside}/x.txt`, `${root}/out-link.txt`);
    await Deno.symlink(outside, `${root}/out-dir`);
    await Deno.symlink(`${root}/.hidden/s.txt`, `${root}/to-hidden.txt`);
    await Deno.symlink(`${root}/nowhere`, `${root}/dangling`);
    const mk = await new Deno.Command("mkfifo", { args: [`${root}/fifo`] }).output();
    assert.ok(mk.success);
    await fn(root, outside);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    assert.ok(err instanceof ProxyError, String(err));
    return err.status;
  }
}

Deno.test("insideRoot: the root and what is under it, never a sibling or a dotfile below it", () => {
  assert.ok(insideRoot("/srv/www", "/srv/www"));
  assert.ok(insideRoot("/srv/www", "/srv/www/a/b.txt"));
  assert.ok(!insideRoot("/srv/www", "/srv/www2/a.txt"));
  assert.ok(!insideRoot("/srv/www", "/srv"));
  assert.ok(!insideRoot("/srv/www", "/srv/www/.git/config"));
  assert.ok(!insideRoot("/srv/www", "/srv/www/a/.env"));
  assert.ok(insideRoot("/", "/etc/passwd"));
});

Deno.test("find: files, folders, and symlinks only when they stay inside the root", async () => {
  await tree(async (root) => {
    const f = await find(root, ["a.txt"], "/a.txt");
    assert.equal(f.kind, "file");
    if (f.kind === "file") assert.equal(f.file.size, 1);
    assert.equal((await find(root, [], "/")).kind, "directory");
    assert.equal((await find(root, ["dir"], "/dir")).kind, "directory");
    const link = await find(root, ["in-link.txt"], "/in-link.txt");
    assert.ok(link.kind === "file" && link.file.real === `${root}/a.txt`);
    assert.equal(await status(find(root, ["out-link.txt"], "/out-link.txt")), 404);
    assert.equal(await status(find(root, ["out-dir", "x.txt"], "/out-dir/x.txt")), 404);
    assert.equal(await status(find(root, ["to-hidden.txt"], "/to-hidden.txt")), 404);
    assert.equal(await status(find(root, ["dangling"], "/dangling")), 404);
    assert.equal(await status(find(root, ["missing"], "/missing")), 404);
    assert.equal(await status(find(root, ["a.txt", "x"], "/a.txt/x")), 404);
  });
});

Deno.test("find: a FIFO is refused without being opened (the call returns at once)", async () => {
  await tree(async (root) => {
    const t0 = performance.now();
    assert.equal(await status(find(root, ["fifo"], "/fifo")), 404);
    assert.ok(performance.now() - t0 < 1000);
  });
});

Deno.test({
  name: "openFile: a file the file system will not let us read is 403",
  ignore: Deno.uid() === 0, // root reads everything
  async fn() {
    await tree(async (root) => {
      await Deno.chmod(`${root}/a.txt`, 0o000);
      assert.equal(await status(openFile(`${root}/a.txt`, "/a.txt")), 403);
    });
  },
});

Deno.test("openFile: size and time come from the open file", async () => {
  await tree(async (root) => {
    const { f, size, mtimeMs } = await openFile(`${root}/a.txt`, "/a.txt");
    try {
      assert.equal(size, 1);
      assert.ok(mtimeMs > 0);
    } finally {
      f.close();
    }
  });
});

Deno.test("listDirectory: entries with sizes, dotfiles left out, symlinks followed for the kind", async () => {
  await tree(async (root) => {
    const entries = await listDirectory(root, "/");
    const names = entries.map((e) => e.name).sort();
    assert.ok(!names.some((n) => n.startsWith(".")));
    assert.ok(names.includes("a.txt") && names.includes("dir") && names.includes("dangling"));
    const a = entries.find((e) => e.name === "a.txt")!;
    assert.equal(a.size, 1);
    assert.equal(entries.find((e) => e.name === "dir")!.isDirectory, true);
    assert.equal(await status(listDirectory(`${root}/missing`, "/missing/")), 404);
  });
});
