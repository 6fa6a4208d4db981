/**
 * The file server's HTTP semantics through the real CLI and curl: the exact
 * head of a 200 (Content-Type from mime-db, Content-Length, ETag,
 * Last-Modified, Accept-Ranges, Date), HEAD, conditional requests (304, 412),
 * byte ranges (single, suffix, open-ended, multipart/byteranges, 416,
 * If-Range) and 405 with Allow, each leaving an access line.
 */

import assert from "node:assert/strict";
import { assertAccessLine, bytes, curl, delay, findSeq, text } from "./harness.ts";
import { curlGot, type Got, makeFixture, rawAsk } from "./files_fixture.ts";

/** 1000 bytes of text whose every slice is easy to check. */
const DATA = Array.from({ length: 100 }, (_, i) => `line ${String(i).padStart(4, "0")}\n`)
  .join("").slice(0, 1000);
const PAC = 'function FindProxyForURL(url, host) { return "DIRECT"; }\n';

function assertDateNear(value: string | undefined, what: string): void {
  assert.ok(value, `${what}: Date present`);
  assert.match(value, /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/);
  assert.ok(Math.abs(Date.parse(value) - Date.now()) < 10_000, `${what}: Date ${value} is now`);
}

/** The multipart/byteranges body of `got`, split into its parts. */
function parts(got: Got): { headers: Map<string, string>; body: string }[] {
  const m = /^multipart\/byteranges; boundary=(\S+)$/.exec(got.headers.get("content-type") ?? "");
  assert.ok(m, `multipart Content-Type: ${got.headers.get("content-type")}`);
  const boundary = m[1];
  const body = got.text;
  assert.ok(body.endsWith(`\r\n--${boundary}--\r\n`), `closing delimiter: ${JSON.stringify(body)}`);
  const chunks = body.slice(0, -`\r\n--${boundary}--\r\n`.length).split(`--${boundary}\r\n`);
  assert.equal(chunks[0].replace(/^\r\n/, ""), "", "nothing before the first delimiter");
  return chunks.slice(1).map((chunk) => {
    const end = chunk.indexOf("\r\n\r\n");
    const headers = new Map<string, string>();
    for (const line of chunk.slice(0, end).split("\r\n")) {
      const c = line.indexOf(":");
      headers.set(line.slice(0, c).toLowerCase(), line.slice(c + 1).trim());
    }
    // every part but the last ends with the CRLF that starts the next delimiter
    return { headers, body: chunk.slice(end + 4).replace(/\r\n$/, "") };
  });
}

Deno.test("files over HTTP: heads, HEAD, conditionals, ranges and methods (curl)", async (t) => {
  const fx = await makeFixture("files-http");
  try {
    await fx.write({ "data.txt": DATA, "proxy.pac": PAC, "style.css": "p{}", "x.bin": "?" });
    // an hour old: a Last-Modified that is a strong validator (If-Range by date)
    const hourAgo = new Date(Math.floor(Date.now() / 1000) * 1000 - 3600_000);
    await Deno.utime(`${fx.root}/data.txt`, hourAgo, hourAgo);
    const info = await Deno.stat(`${fx.root}/data.txt`);
    await fx.serve([], async (p) => {
      const base = `http://127.0.0.1:${p.port}`;
      let etag = "";
      let lastModified = "";

      await t.step("200 with the exact head and body", async () => {
        const r = await curlGot([`${base}/data.txt`]);
        assert.equal(r.status, 200);
        assert.match(r.head, /^HTTP\/1\.1 200 OK\r\n/);
        assert.equal(r.headers.get("content-type"), "text/plain; charset=utf-8");
        assert.equal(r.headers.get("content-length"), "1000");
        assert.equal(r.headers.get("accept-ranges"), "bytes");
        assert.equal(r.headers.get("last-modified"), info.mtime!.toUTCString());
        assertDateNear(r.headers.get("date"), "200");
        etag = r.headers.get("etag") ?? "";
        assert.match(etag, /^"[!#-~]+"$/, "a strong entity tag");
        lastModified = r.headers.get("last-modified")!;
        assert.equal(r.text, DATA);
        assert.ok(!r.headers.has("transfer-encoding") && !r.headers.has("via"), r.head);
        // the same file, the same validator
        assert.equal((await curlGot([`${base}/data.txt`])).headers.get("etag"), etag);
        await assertAccessLine(p, "GET /data\\.txt 200 in=\\d+ out=\\d+ .*");
      });

      await t.step("Content-Type comes from mime-db (.pac, .css, unknown)", async () => {
        const pac = await curlGot([`${base}/proxy.pac`]);
        assert.equal(pac.headers.get("content-type"), "application/x-ns-proxy-autoconfig");
        assert.equal(pac.text, PAC);
        const css = await curlGot([`${base}/style.css`]);
        assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
        const bin = await curlGot([`${base}/x.bin`]);
        assert.equal(bin.headers.get("content-type"), "application/octet-stream");
      });

      await t.step("HEAD: the same head, no body", async () => {
        const get = await curlGot([`${base}/data.txt`]);
        const head = await curlGot(["-I", `${base}/data.txt`]);
        assert.equal(head.status, 200);
        assert.equal(head.body.length, 0);
        for (const [name, value] of get.headers) {
          if (name !== "date") assert.equal(head.headers.get(name), value, name);
        }
        assert.deepEqual([...head.headers.keys()].sort(), [...get.headers.keys()].sort());
        // on the wire: nothing after the head
        const raw = await rawAsk(
          p.port,
          "HEAD /data.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert.equal(raw.status, 200);
        assert.equal(raw.headers.get("content-length"), "1000");
        assert.equal(raw.body.length, 0);
        await assertAccessLine(p, "HEAD /data\\.txt 200 .*");
      });

      await t.step("304 for If-None-Match and for If-Modified-Since (-z)", async () => {
        const inm = await curlGot(["-H", `If-None-Match: ${etag}`, `${base}/data.txt`]);
        assert.equal(inm.status, 304);
        assert.equal(inm.body.length, 0);
        assert.equal(inm.headers.get("etag"), etag);
        assert.equal(inm.headers.get("last-modified"), lastModified);
        assert.ok(!inm.headers.has("content-type"), inm.head);
        const list = await curlGot(["-H", `If-None-Match: "nope", ${etag}`, `${base}/data.txt`]);
        assert.equal(list.status, 304);
        const weak = await curlGot(["-H", `If-None-Match: W/${etag}`, `${base}/data.txt`]);
        assert.equal(weak.status, 304, "If-None-Match compares weakly");
        const z = await curlGot(["-z", lastModified, `${base}/data.txt`]);
        assert.equal(z.status, 304);
        const older = new Date(info.mtime!.getTime() - 3600_000).toUTCString();
        const changed = await curlGot(["-z", older, `${base}/data.txt`]);
        assert.equal(changed.status, 200);
        assert.equal(changed.text, DATA);
        const other = await curlGot(["-H", 'If-None-Match: "other"', `${base}/data.txt`]);
        assert.equal(other.status, 200);
        await assertAccessLine(p, "GET /data\\.txt 304 .*");
      });

      await t.step("412 for If-Match and If-Unmodified-Since that fail", async () => {
        const r = await curlGot(["-H", 'If-Match: "not-it"', `${base}/data.txt`]);
        assert.equal(r.status, 412);
        assert.equal(r.body.length, 0);
        assert.equal(r.headers.get("content-length"), "0");
        const ok = await curlGot(["-H", `If-Match: ${etag}`, `${base}/data.txt`]);
        assert.equal(ok.status, 200);
        const weak = await curlGot(["-H", `If-Match: W/${etag}`, `${base}/data.txt`]);
        assert.equal(weak.status, 412, "If-Match compares strongly");
        const older = new Date(info.mtime!.getTime() - 3600_000).toUTCString();
        const ius = await curlGot(["-z", `-${older}`, `${base}/data.txt`]);
        assert.equal(ius.status, 412);
        await assertAccessLine(p, "GET /data\\.txt 412 .*");
      });

      await t.step("single ranges: -r 0-9, -r -5, -r 100-", async () => {
        const cases: [string, number, number][] = [["0-9", 0, 9], ["-5", 995, 999], [
          "100-",
          100,
          999,
        ]];
        for (const [range, start, end] of cases) {
          const r = await curlGot(["-r", range, `${base}/data.txt`]);
          assert.equal(r.status, 206, range);
          assert.equal(r.headers.get("content-range"), `bytes ${start}-${end}/1000`, range);
          assert.equal(r.headers.get("content-length"), String(end - start + 1), range);
          assert.equal(r.headers.get("content-type"), "text/plain; charset=utf-8", range);
          assert.equal(r.headers.get("etag"), etag, range);
          assert.equal(r.text, DATA.slice(start, end + 1), range);
        }
        // a range past the end is cut to the file
        const long = await curlGot(["-r", "990-5000", `${base}/data.txt`]);
        assert.equal(long.headers.get("content-range"), "bytes 990-999/1000");
        assert.equal(long.text, DATA.slice(990));
        await assertAccessLine(p, "GET /data\\.txt 206 .*");
      });

      await t.step("multiple ranges: multipart/byteranges, parsed", async () => {
        const r = await curlGot(["-r", "0-4,10-14,-3", `${base}/data.txt`]);
        assert.equal(r.status, 206);
        assert.equal(r.headers.get("content-length"), String(r.body.length));
        assert.ok(!r.headers.has("content-range"), "no Content-Range on the whole");
        const got = parts(r);
        const want: [number, number][] = [[0, 4], [10, 14], [997, 999]];
        assert.equal(got.length, want.length);
        for (const [i, [start, end]] of want.entries()) {
          assert.equal(got[i].headers.get("content-type"), "text/plain; charset=utf-8");
          assert.equal(got[i].headers.get("content-range"), `bytes ${start}-${end}/1000`);
          assert.equal(got[i].body, DATA.slice(start, end + 1));
        }
      });

      await t.step("416 with Content-Range: bytes */SIZE", async () => {
        for (const range of ["1000-", "5000-6000"]) {
          const r = await curlGot(["-r", range, `${base}/data.txt`]);
          assert.equal(r.status, 416, range);
          assert.equal(r.headers.get("content-range"), "bytes */1000");
          assert.equal(r.body.length, 0);
        }
        await assertAccessLine(p, "GET /data\\.txt 416 .*");
      });

      await t.step("If-Range: a match gives the range, a mismatch the whole file", async () => {
        const match = await curlGot(["-r", "0-9", "-H", `If-Range: ${etag}`, `${base}/data.txt`]);
        assert.equal(match.status, 206);
        assert.equal(match.text, DATA.slice(0, 10));
        const byDate = await curlGot([
          "-r",
          "0-9",
          "-H",
          `If-Range: ${lastModified}`,
          `${base}/data.txt`,
        ]);
        assert.equal(byDate.status, 206);
        const miss = await curlGot(["-r", "0-9", "-H", 'If-Range: "old"', `${base}/data.txt`]);
        assert.equal(miss.status, 200);
        assert.equal(miss.headers.get("content-length"), "1000");
        assert.equal(miss.text, DATA);
        assert.ok(!miss.headers.has("content-range"));
        // a file changed within the current second has a weak Last-Modified: no range by
        // date (tried until the write and the answer fall in the same second)
        let sameSecond = false;
        for (let i = 0; i < 5 && !sameSecond; i++) {
          await Deno.writeTextFile(`${fx.root}/fresh.txt`, "0123456789abcdef");
          const mtime = (await Deno.stat(`${fx.root}/fresh.txt`)).mtime!.toUTCString();
          const r = await curlGot(["-r", "0-3", "-H", `If-Range: ${mtime}`, `${base}/fresh.txt`]);
          sameSecond = r.headers.get("date") === mtime;
          if (sameSecond) assert.equal(r.status, 200, "a weak date never gives a range");
          if (sameSecond) assert.equal(r.text, "0123456789abcdef");
        }
        assert.ok(sameSecond, "could not write and ask within one second");
      });

      await t.step("405 with Allow: GET, HEAD for other methods", async () => {
        for (const args of [["-X", "DELETE"], ["-X", "PUT", "-d", "x"], ["-d", "a=b"]]) {
          const r = await curlGot([...args, `${base}/data.txt`]);
          assert.equal(r.status, 405, args.join(" "));
          assert.equal(r.headers.get("allow"), "GET, HEAD", args.join(" "));
        }
        await assertAccessLine(p, "DELETE /data\\.txt 405 .*method-not-allowed");
        // the file is still there
        const after = await curl([`${base}/data.txt`]);
        assert.equal(text(after.stdout), DATA);
      });

      await t.step("a file dated in the future: Last-Modified is never after Date", async () => {
        // RFC 9110 section 8.8.2.1: a future modification time is replaced by the Date
        await Deno.writeTextFile(`${fx.root}/future.txt`, "from the future");
        const future = new Date(Date.now() + 3600_000);
        await Deno.utime(`${fx.root}/future.txt`, future, future);
        for (const args of [[], ["-I"]]) {
          const r = await curlGot([...args, `${base}/future.txt`]);
          assert.equal(r.status, 200);
          const lm = Date.parse(r.headers.get("last-modified")!);
          assert.ok(lm <= Date.parse(r.headers.get("date")!), r.head);
        }
      });

      await t.step("a changed file is seen, with a new ETag and Last-Modified", async () => {
        const later = new Date(info.mtime!.getTime() + 5000);
        await Deno.writeTextFile(`${fx.root}/data.txt`, DATA + "more");
        await Deno.utime(`${fx.root}/data.txt`, later, later);
        // an open-file cache may trust what it saw for a moment: every answer meanwhile is
        // whole and consistent (the old validators with the old bytes), the new one comes soon
        const deadline = Date.now() + 4000;
        for (;;) {
          const r = await curlGot(["-H", `If-None-Match: ${etag}`, `${base}/data.txt`]);
          if (r.status === 304) {
            assert.ok(Date.now() < deadline, "the change was not seen within 4 s");
            await delay(100);
            continue;
          }
          assert.equal(r.status, 200);
          assert.notEqual(r.headers.get("etag"), etag);
          assert.equal(r.headers.get("last-modified"), later.toUTCString());
          assert.equal(r.headers.get("content-length"), "1004");
          assert.equal(findSeq(r.body, bytes("more")), 1000);
          break;
        }
        // the old ETag no longer gives a range: If-Range sends the new file whole
        const range = await curlGot(["-r", "0-9", "-H", `If-Range: ${etag}`, `${base}/data.txt`]);
        assert.equal(range.status, 200);
        assert.equal(range.body.length, 1004);
      });
    });
  } finally {
    await fx.remove();
  }
});
