/**
 * The access log writer (lib/access_log_writer.ts): buffering, one write at
 * a time with whole lines, the 64 KiB and one-second flushes, retries after a
 * failed write, reopening after a rename, and the access line routing of
 * lib/log.ts.
 */

import assert from "node:assert/strict";
import {
  AccessLogOpenError,
  AccessLogWriter,
  type LogFile,
  openAppend,
} from "../lib/access_log_writer.ts";
import { Exchange } from "../lib/exchange.ts";
import {
  closeAccessLog,
  logAccess,
  reopenAccessLog,
  setupAccessLog,
  setupLogging,
  teardownLogging,
} from "../lib/log.ts";

const dec = new TextDecoder();

/** A file in memory whose writes resolve when the test says (or at once). */
class FakeFile implements LogFile {
  chunks: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  closed = false;
  /** Bytes accepted per write call (partial writes below the chunk size). */
  perWrite = Infinity;
  /** Writes hold until `release()` while true. */
  hold = false;
  /** The next write throws this. */
  failNext: Error | null = null;
  #waiting: (() => void)[] = [];

  async write(p: Uint8Array): Promise<number> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.hold) await new Promise<void>((r) => this.#waiting.push(r));
      else await Promise.resolve();
      if (this.failNext) {
        const err = this.failNext;
        this.failNext = null;
        throw err;
      }
      const n = Math.min(p.length, this.perWrite);
      this.chunks.push(dec.decode(p.subarray(0, n)));
      return n;
    } finally {
      this.inFlight--;
    }
  }

  release(): void {
    this.hold = false;
    for (const r of this.#waiting.splice(0)) r();
  }

  close(): void {
    this.closed = true;
  }

  get text(): string {
    return this.chunks.join("");
  }
}

function noReopen(): Promise<LogFile> {
  return Promise.reject(new Error("no reopen in this test"));
}

/** Waits until `cond` holds (up to `ms`). */
async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

Deno.test("writer: lines wait in the buffer, then go out whole and in order", async () => {
  const file = new FakeFile();
  const w = new AccessLogWriter(file, noReopen, { flushIntervalMs: 60_000 });
  w.write("one");
  w.write("two");
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(file.text, "", "nothing written before a flush");
  assert.equal(w.buffered, 2);
  await w.flush();
  assert.equal(file.text, "one\ntwo\n");
  assert.equal(file.chunks.length, 1, "one write for the batch");
  await w.close();
  assert.ok(file.closed);
});

Deno.test("writer: the timer flushes within the interval", async () => {
  const file = new FakeFile();
  const w = new AccessLogWriter(file, noReopen, { flushIntervalMs: 50 });
  const t0 = Date.now();
  w.write("tick");
  await until(() => file.text === "tick\n");
  const took = Date.now() - t0;
  assert.ok(took >= 40 && took < 1000, `flushed after ${took} ms`);
  await w.close();
});

Deno.test("writer: passing the buffer size starts a write without the timer", async () => {
  const file = new FakeFile();
  const w = new AccessLogWriter(file, noReopen, { flushIntervalMs: 60_000, maxBufferBytes: 100 });
  const line = "x".repeat(30);
  for (let i = 0; i < 3; i++) w.write(line); // 93 < 100
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(file.chunks.length, 0);
  w.write(line); // 124 >= 100
  await until(() => file.chunks.length === 1);
  assert.equal(file.text, `${line}\n`.repeat(4));
  await w.close();
});

Deno.test("writer: one write at a time; lines arriving meanwhile wait for the next", async () => {
  const file = new FakeFile();
  const w = new AccessLogWriter(file, noReopen, { flushIntervalMs: 30, maxBufferBytes: 10 });
  file.hold = true;
  w.write("first-batch"); // 12 >= 10: a write starts and holds
  await until(() => file.inFlight === 1);
  for (let i = 0; i < 5; i++) w.write(`line-${i}`); // full again, but a write is running
  const flushed = w.flush();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(file.inFlight, 1, "no second write while the first runs");
  file.release();
  await flushed;
  assert.equal(file.maxInFlight, 1);
  assert.deepEqual(file.chunks, [
    "first-batch\n",
    "line-0\nline-1\nline-2\nline-3\nline-4\n",
  ]);
  await w.close();
});

Deno.test("writer: partial writes are completed, nothing lost or reordered", async () => {
  const file = new FakeFile();
  file.perWrite = 7;
  const w = new AccessLogWriter(file, noReopen, { flushIntervalMs: 60_000 });
  const lines = Array.from({ length: 50 }, (_, i) => `{"n":${i},"pad":"${"p".repeat(i)}"}`);
  for (const l of lines) w.write(l);
  await w.close();
  assert.equal(file.text, lines.join("\n") + "\n");
  assert.ok(file.chunks.every((c) => c.length <= 7));
});

Deno.test("writer: a failed write is kept and written at the next flush", async () => {
  const file = new FakeFile();
  const errors: Error[] = [];
  const w = new AccessLogWriter(file, noReopen, {
    flushIntervalMs: 60_000,
    onError: (e) => errors.push(e),
  });
  w.write("a");
  file.failNext = new Error("disk full");
  await w.flush();
  assert.equal(file.text, "");
  assert.deepEqual(errors.map((e) => e.message), ["disk full"]);
  w.write("b");
  await w.flush();
  assert.equal(file.text, "a\nb\n");
  assert.equal(w.dropped, 0);
  await w.close();
});

Deno.test("writer: over the backlog after failures, lines are dropped and counted", async () => {
  const file = new FakeFile();
  const w = new AccessLogWriter(file, noReopen, {
    flushIntervalMs: 60_000,
    maxBacklogBytes: 8,
  });
  w.write("0123456789");
  w.write("more");
  file.failNext = new Error("EIO");
  await w.flush();
  assert.equal(w.dropped, 2);
  w.write("after");
  await w.close();
  assert.equal(file.text, "after\n");
  w.write("late");
  assert.equal(w.dropped, 3, "a line after close is counted as dropped");
});

Deno.test("writer: lines a failing file cannot take at close are counted as dropped", async () => {
  const file = new FakeFile();
  const w = new AccessLogWriter(file, noReopen, { flushIntervalMs: 60_000 });
  w.write("x");
  w.write("y");
  file.failNext = new Error("EIO");
  await w.close();
  assert.ok(file.closed);
  assert.equal(file.text, "");
  assert.equal(w.dropped, 2);
});

Deno.test("writer: reopen sends buffered lines to the old file, later ones to the new", async () => {
  const old = new FakeFile();
  const fresh = new FakeFile();
  const w = new AccessLogWriter(old, () => Promise.resolve(fresh), { flushIntervalMs: 60_000 });
  w.write("before-1");
  w.write("before-2");
  await w.reopen();
  w.write("after-1");
  await w.close();
  assert.equal(old.text, "before-1\nbefore-2\n");
  assert.ok(old.closed);
  assert.equal(fresh.text, "after-1\n");
  assert.ok(fresh.closed);
});

Deno.test("writer: a failed reopen keeps the old file", async () => {
  const old = new FakeFile();
  const w = new AccessLogWriter(
    old,
    () => Promise.reject(new AccessLogOpenError("/x", new Error("gone"))),
    { flushIntervalMs: 60_000 },
  );
  await assert.rejects(w.reopen(), AccessLogOpenError);
  w.write("still");
  await w.close();
  assert.equal(old.text, "still\n");
});

Deno.test("writer: a real file, renamed and reopened, loses nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sluice-access-" });
  try {
    const path = `${dir}/access.log`;
    const w = await AccessLogWriter.open(path, { flushIntervalMs: 60_000 });
    for (let i = 0; i < 100; i++) w.write(`old ${i}`);
    await w.flush();
    w.write("old 100");
    await Deno.rename(path, `${path}.1`);
    await w.reopen();
    for (let i = 0; i < 50; i++) w.write(`new ${i}`);
    await w.close();
    const oldLines = (await Deno.readTextFile(`${path}.1`)).trimEnd().split("\n");
    const newLines = (await Deno.readTextFile(path)).trimEnd().split("\n");
    assert.deepEqual(oldLines, Array.from({ length: 101 }, (_, i) => `old ${i}`));
    assert.deepEqual(newLines, Array.from({ length: 50 }, (_, i) => `new ${i}`));
    if (Deno.build.os !== "windows") {
      const mode = (await Deno.stat(path)).mode! & 0o777;
      assert.equal(mode & ~0o644, 0, `mode ${mode.toString(8)} is at most 0644`);
      assert.equal(mode & 0o600, 0o600, "the owner reads and writes it");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writer: an existing file is appended to, not truncated", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sluice-access-" });
  try {
    const path = `${dir}/access.log`;
    await Deno.writeTextFile(path, "kept\n");
    const w = await AccessLogWriter.open(path);
    w.write("added");
    await w.close();
    assert.equal(await Deno.readTextFile(path), "kept\nadded\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openAppend: a file that cannot be opened is an AccessLogOpenError", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sluice-access-" });
  try {
    const path = `${dir}/no/such/dir/access.log`;
    await assert.rejects(openAppend(path), (e: unknown) => {
      assert.ok(e instanceof AccessLogOpenError);
      assert.equal(e.path, path);
      assert.match(e.message, /^cannot open the access log .*access\.log: /);
      assert.doesNotMatch(e.message, /--allow-write/, "no permission hint for a missing dir");
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const denied = new AccessLogOpenError("/var/log/a.log", new Deno.errors.NotCapable("no"));
  assert.equal(
    denied.message,
    "cannot open the access log /var/log/a.log: the Deno sandbox does not allow writing it; add --allow-write=/var/log/a.log",
  );
});

Deno.test("logAccess: with a file, every format goes there, whatever the log level", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sluice-access-" });
  try {
    const path = `${dir}/access.log`;
    const ex = new Exchange(1);
    ex.method = "GET";
    ex.target = "http://example.com/";
    ex.status = 204;
    await setupLogging("error"); // would hide the access line on stderr
    await setupAccessLog({ accessLogFormat: "json", accessLog: path });
    logAccess("127.0.0.1:4000", ex);
    // a reload changing only the format keeps the file open
    await setupAccessLog({ accessLogFormat: "combined", accessLog: path });
    logAccess("127.0.0.1:4001", ex);
    await setupAccessLog({ accessLogFormat: "text", accessLog: path });
    logAccess("127.0.0.1:4002", ex);
    await reopenAccessLog();
    await closeAccessLog();
    const lines = (await Deno.readTextFile(path)).trimEnd().split("\n");
    assert.equal(lines.length, 3);
    const json = JSON.parse(lines[0]);
    assert.equal(json.client_port, 4000);
    assert.equal(json.status, 204);
    assert.match(
      lines[1],
      /^127\.0\.0\.1 - - \[[^\]]+\] "GET http:\/\/example\.com\/ HTTP\/1\.1" 204 - "-" "-"$/,
    );
    assert.match(
      lines[2],
      /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {4}sluice\.access 127\.0\.0\.1:4002 GET http:\/\/example\.com\/ 204 in=0 out=0 up=0\/0 down=0 \d+ms -$/,
    );
  } finally {
    await closeAccessLog();
    await teardownLogging();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("setupAccessLog: a file that cannot be opened leaves the setup unchanged", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sluice-access-" });
  try {
    const path = `${dir}/access.log`;
    await setupAccessLog({ accessLogFormat: "json", accessLog: path });
    await assert.rejects(
      setupAccessLog({ accessLogFormat: "json", accessLog: `${dir}/missing/a.log` }),
      AccessLogOpenError,
    );
    logAccess("127.0.0.1:1", new Exchange(1));
    await closeAccessLog();
    assert.equal((await Deno.readTextFile(path)).trimEnd().split("\n").length, 1);
  } finally {
    await closeAccessLog();
    await Deno.remove(dir, { recursive: true });
  }
});
