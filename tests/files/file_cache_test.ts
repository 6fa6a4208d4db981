import assert from "node:assert/strict";
import { FileCache, type FileStamp, sameStamp } from "../../lib/files/file_cache.ts";
import { find, type Found, openBody } from "../../lib/files/open.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A cache on a clock the test moves; files last changed at t=0 are settled from t=1000. */
function clocked(options: ConstructorParameters<typeof FileCache>[0] = {}) {
  const clock = { t: 10_000 };
  const cache = new FileCache({ now: () => clock.t, ...options });
  return { clock, cache };
}

const stamp = (size: number, mtimeMs = 0, ino = 1, ctimeMs = mtimeMs): FileStamp => ({
  size,
  mtimeMs,
  ctimeMs,
  ino,
});

Deno.test("file cache: an entry is fresh for validMs, then needs a stat", () => {
  const { clock, cache } = clocked({ validMs: 1000 });
  cache.update("/r/a", false, stamp(2));
  assert.ok(cache.fresh("/r/a"));
  clock.t += 999;
  assert.ok(cache.fresh("/r/a"));
  clock.t += 1;
  assert.equal(cache.fresh("/r/a"), undefined);
  assert.equal(cache.fresh("/r/missing"), undefined);
});

Deno.test("file cache: a resolved path is trusted for validMs", () => {
  const { clock, cache } = clocked({ validMs: 500 });
  cache.setRealPath("/r/link", "/r/target");
  assert.equal(cache.realPath("/r/link"), "/r/target");
  clock.t += 500;
  assert.equal(cache.realPath("/r/link"), undefined);
  assert.equal(cache.paths, 0);
});

Deno.test("file cache: the bytes stay while the stamp stays, and go when it changes", async (t) => {
  const changes: [string, FileStamp][] = [
    ["size", stamp(3)],
    ["mtime", stamp(2, 5)],
    ["inode (a file renamed over it)", stamp(2, 0, 2)],
    ["ctime (a write with the same size and mtime)", stamp(2, 0, 1, 7)],
  ];
  for (const [what, next] of changes) {
    await t.step(what, () => {
      const { clock, cache } = clocked();
      cache.update("/r/a", false, stamp(2));
      assert.ok(cache.setBody("/r/a", stamp(2), enc.encode("hi")));
      assert.equal(cache.bytes, 2);
      clock.t += 1000;
      assert.equal(cache.fresh("/r/a"), undefined, "stale after validMs");
      assert.equal(dec.decode(cache.update("/r/a", false, stamp(2)).body!), "hi");
      clock.t += 1000;
      assert.equal(cache.update("/r/a", false, next).body, null);
      assert.equal(cache.bytes, 0);
      assert.ok(sameStamp(cache.fresh("/r/a")!.stamp, next));
    });
  }
});

Deno.test("file cache: setBody refuses what it must not keep", async (t) => {
  await t.step("a file larger than maxFileBytes", () => {
    const { cache } = clocked({ maxFileBytes: 4 });
    cache.update("/r/a", false, stamp(5));
    assert.equal(cache.wantsBody(stamp(5)), false);
    assert.equal(cache.setBody("/r/a", stamp(5), new Uint8Array(5)), false);
  });
  await t.step("a file changed less than settleMs ago", () => {
    const { clock, cache } = clocked({ settleMs: 1000 });
    const recent = stamp(2, clock.t - 999, 1, 0);
    cache.update("/r/a", false, recent);
    assert.equal(cache.setBody("/r/a", recent, new Uint8Array(2)), false);
    clock.t += 1;
    assert.equal(cache.setBody("/r/a", recent, new Uint8Array(2)), true);
    // ctime comes in whole seconds: 1999 ms after the second it names may be 999 ms after the change
    const ctime = stamp(2, 0, 1, clock.t - 1999);
    cache.update("/r/b", false, ctime);
    assert.equal(cache.setBody("/r/b", ctime, new Uint8Array(2)), false);
    clock.t += 1;
    assert.equal(cache.setBody("/r/b", ctime, new Uint8Array(2)), true);
  });
  await t.step("bytes read from another version, or of another length", () => {
    const { cache } = clocked();
    cache.update("/r/a", false, stamp(2));
    assert.equal(cache.setBody("/r/a", stamp(2, 1), new Uint8Array(2)), false);
    assert.equal(cache.setBody("/r/a", stamp(2), new Uint8Array(3)), false);
    assert.equal(cache.setBody("/r/unknown", stamp(2), new Uint8Array(2)), false);
  });
  await t.step("a folder", () => {
    const { cache } = clocked();
    cache.update("/r/d", true, stamp(0));
    assert.equal(cache.setBody("/r/d", stamp(0), new Uint8Array(0)), false);
  });
  await t.step("anything, with validMs 0", () => {
    const { cache } = clocked({ validMs: 0 });
    cache.update("/r/a", false, stamp(2));
    cache.setRealPath("/r/a", "/r/a");
    assert.equal(cache.setBody("/r/a", stamp(2), new Uint8Array(2)), false);
    assert.equal(cache.fresh("/r/a"), undefined);
    assert.equal(cache.realPath("/r/a"), undefined);
    assert.equal(cache.files + cache.paths + cache.bytes, 0);
  });
});

Deno.test("file cache: total bytes stay under maxBytes, least recently used out first", () => {
  const { cache } = clocked({ maxBytes: 10, maxFileBytes: 4 });
  for (const name of ["a", "b"]) {
    cache.update(`/r/${name}`, false, stamp(4));
    assert.ok(cache.setBody(`/r/${name}`, stamp(4), new Uint8Array(4)));
  }
  assert.ok(cache.fresh("/r/a")); // a is now more recently used than b
  cache.update("/r/c", false, stamp(4));
  assert.ok(cache.setBody("/r/c", stamp(4), new Uint8Array(4)));
  assert.equal(cache.bytes, 8);
  assert.equal(cache.fresh("/r/b"), undefined);
  assert.ok(cache.fresh("/r/a")?.body);
  assert.ok(cache.fresh("/r/c")?.body);
});

Deno.test("file cache: files and paths stay under maxEntries", () => {
  const { cache } = clocked({ maxEntries: 3 });
  for (let i = 0; i < 10; i++) {
    cache.update(`/r/${i}`, false, stamp(1));
    cache.setBody(`/r/${i}`, stamp(1), new Uint8Array(1));
    cache.setRealPath(`/r/p${i}`, `/r/${i}`);
  }
  assert.equal(cache.files, 3);
  assert.equal(cache.paths, 3);
  assert.equal(cache.bytes, 3);
  assert.ok(cache.fresh("/r/9"));
  assert.equal(cache.fresh("/r/6"), undefined);
  assert.equal(cache.realPath("/r/p9"), "/r/9");
  assert.equal(cache.realPath("/r/p6"), undefined);
  cache.delete("/r/9");
  assert.equal(cache.bytes, 2);
  cache.clear();
  assert.equal(cache.files + cache.paths + cache.bytes, 0);
});

// With the file system: find + openBody as serve.ts calls them.

async function readAll(found: Found, cache: FileCache): Promise<string> {
  assert.equal(found.kind, "file");
  if (found.kind !== "file") return "";
  const { f, size } = await openBody(found.file, "/x", cache);
  try {
    const buf = new Uint8Array(size + 1);
    let n = 0;
    for (let got; (got = await f.read(buf.subarray(n))) !== null && got > 0;) n += got;
    return dec.decode(buf.subarray(0, n));
  } finally {
    f.close();
  }
}

async function withRoot(body: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "sluice-file-cache-" }));
  try {
    await body(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("file cache: a small settled file comes from memory until validMs passes", async () => {
  await withRoot(async (root) => {
    await Deno.writeTextFile(`${root}/a.txt`, "one");
    const clock = { t: Date.now() + 5000 }; // the file looks settled
    const cache = new FileCache({ now: () => clock.t });
    assert.equal(await readAll(await find(root, ["a.txt"], "/a.txt", cache), cache), "one");
    const second = await find(root, ["a.txt"], "/a.txt", cache);
    assert.equal(second.kind === "file" && dec.decode(second.file.body!), "one");
    // gone from the disk, still served from the cache within validMs: no file-system call
    await Deno.remove(`${root}/a.txt`);
    assert.equal(await readAll(await find(root, ["a.txt"], "/a.txt", cache), cache), "one");
    clock.t += 1000;
    await assert.rejects(find(root, ["a.txt"], "/a.txt", cache), { status: 404 });
    // rewritten with the same size: the new bytes once validMs has passed
    await Deno.writeTextFile(`${root}/a.txt`, "two");
    await Deno.utime(`${root}/a.txt`, 1e9, 1e9);
    clock.t += 5000;
    assert.equal(await readAll(await find(root, ["a.txt"], "/a.txt", cache), cache), "two");
    assert.equal(cache.bytes, 3);
    // even with the same size and mtime: a file renamed over it is another inode
    await Deno.writeTextFile(`${root}/new.txt`, "six");
    await Deno.utime(`${root}/new.txt`, 1e9, 1e9);
    await Deno.rename(`${root}/new.txt`, `${root}/a.txt`);
    clock.t += 1000;
    assert.equal(await readAll(await find(root, ["a.txt"], "/a.txt", cache), cache), "six");
  });
});

Deno.test("file cache: a file changed within settleMs is read from disk each time", async () => {
  await withRoot(async (root) => {
    await Deno.writeTextFile(`${root}/a.txt`, "one");
    const cache = new FileCache(); // the real clock: the file changed just now
    assert.equal(await readAll(await find(root, ["a.txt"], "/a.txt", cache), cache), "one");
    await Deno.writeTextFile(`${root}/a.txt`, "two");
    assert.equal(await readAll(await find(root, ["a.txt"], "/a.txt", cache), cache), "two");
    assert.equal(cache.bytes, 0);
  });
});

Deno.test("file cache: a cached file is not served under a root it is outside of", async () => {
  await withRoot(async (root) => {
    await Deno.mkdir(`${root}/site`);
    await Deno.writeTextFile(`${root}/secret.txt`, "secret");
    await Deno.symlink(`${root}/secret.txt`, `${root}/site/link.txt`);
    const clock = { t: Date.now() + 5000 };
    const cache = new FileCache({ now: () => clock.t });
    // served under the outer root, twice so that the path is cached too
    for (let i = 0; i < 3; i++) {
      const found = await find(root, ["site", "link.txt"], "/site/link.txt", cache);
      assert.equal(await readAll(found, cache), "secret");
    }
    assert.equal(cache.paths, 1);
    // the same path under the inner root: the cached real path is outside it
    await assert.rejects(find(`${root}/site`, ["link.txt"], "/link.txt", cache), { status: 404 });
  });
});
