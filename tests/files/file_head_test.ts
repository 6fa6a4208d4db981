import assert from "node:assert/strict";
import { ResponseParser } from "../../lib/http1/parse.ts";
import { encodePath } from "../../lib/files/encode_path.ts";
import {
  FILE_STATUS_TEXT,
  fileResponseHead,
  type FileStatus,
  redirectHead,
} from "../../lib/files/file_head.ts";
import { resolvePath } from "../../lib/files/resolve.ts";

const latin1 = (b: Uint8Array) => String.fromCharCode(...b);
const NOW = 1_700_000_100_000; // Tue, 14 Nov 2023 22:15:00 GMT
const MTIME = 1_700_000_000_500; // Tue, 14 Nov 2023 22:13:20 GMT
const BASE = {
  version: "HTTP/1.1" as const,
  keepAlive: true,
  dateMs: NOW,
  etag: '"6553f100-c"',
  lastModifiedMs: MTIME,
};

Deno.test("fileResponseHead: a 200, exactly", () => {
  const head = fileResponseHead({
    ...BASE,
    status: 200,
    contentType: "text/plain; charset=utf-8",
    contentLength: 12,
  });
  assert.equal(
    latin1(head),
    "HTTP/1.1 200 OK\r\n" +
      "Date: Tue, 14 Nov 2023 22:15:00 GMT\r\n" +
      "Last-Modified: Tue, 14 Nov 2023 22:13:20 GMT\r\n" +
      'ETag: "6553f100-c"\r\n' +
      "Accept-Ranges: bytes\r\n" +
      "Content-Type: text/plain; charset=utf-8\r\n" +
      "Content-Length: 12\r\n" +
      "\r\n",
  );
});

Deno.test("fileResponseHead: a 206, exactly", () => {
  const head = fileResponseHead({
    ...BASE,
    status: 206,
    contentType: "image/png",
    contentLength: 500,
    contentRange: "bytes 0-499/10000",
  });
  assert.equal(
    latin1(head),
    "HTTP/1.1 206 Partial Content\r\n" +
      "Date: Tue, 14 Nov 2023 22:15:00 GMT\r\n" +
      "Last-Modified: Tue, 14 Nov 2023 22:13:20 GMT\r\n" +
      'ETag: "6553f100-c"\r\n' +
      "Accept-Ranges: bytes\r\n" +
      "Content-Type: image/png\r\n" +
      "Content-Length: 500\r\n" +
      "Content-Range: bytes 0-499/10000\r\n" +
      "\r\n",
  );
});

Deno.test("fileResponseHead: a 304 has validators and no representation fields", () => {
  const head = fileResponseHead({
    ...BASE,
    status: 304,
    contentType: "text/html",
    contentLength: 0,
    contentRange: "bytes 0-1/2",
  });
  assert.equal(
    latin1(head),
    "HTTP/1.1 304 Not Modified\r\n" +
      "Date: Tue, 14 Nov 2023 22:15:00 GMT\r\n" +
      "Last-Modified: Tue, 14 Nov 2023 22:13:20 GMT\r\n" +
      'ETag: "6553f100-c"\r\n' +
      "\r\n",
  );
});

Deno.test("fileResponseHead: a 412 and a 416, exactly", () => {
  assert.equal(
    latin1(
      fileResponseHead({
        version: "HTTP/1.1",
        keepAlive: true,
        dateMs: NOW,
        status: 412,
        contentLength: 0,
      }),
    ),
    "HTTP/1.1 412 Precondition Failed\r\n" +
      "Date: Tue, 14 Nov 2023 22:15:00 GMT\r\n" +
      "Content-Length: 0\r\n" +
      "\r\n",
  );
  assert.equal(
    latin1(fileResponseHead({
      version: "HTTP/1.1",
      keepAlive: false,
      dateMs: NOW,
      status: 416,
      contentLength: 0,
      contentRange: "bytes */10000",
    })),
    "HTTP/1.1 416 Range Not Satisfiable\r\n" +
      "Date: Tue, 14 Nov 2023 22:15:00 GMT\r\n" +
      "Accept-Ranges: bytes\r\n" +
      "Content-Length: 0\r\n" +
      "Content-Range: bytes */10000\r\n" +
      "Connection: close\r\n" +
      "\r\n",
  );
});

Deno.test("fileResponseHead: Connection follows the request's version and keep-alive", () => {
  const connection = (o: { version?: "HTTP/1.0" | "HTTP/1.1"; minor?: number }, keep: boolean) => {
    const text = latin1(
      fileResponseHead({ ...o, keepAlive: keep, dateMs: NOW, status: 200, contentLength: 0 }),
    );
    return /\r\nConnection: ([^\r]*)\r\n/.exec(text)?.[1] ?? null;
  };
  assert.equal(connection({ version: "HTTP/1.1" }, true), null);
  assert.equal(connection({ version: "HTTP/1.1" }, false), "close");
  assert.equal(connection({ version: "HTTP/1.0" }, true), "keep-alive");
  assert.equal(connection({ version: "HTTP/1.0" }, false), "close");
  assert.equal(connection({ minor: 1 }, true), null);
  assert.equal(connection({ minor: 0 }, true), "keep-alive");
  assert.equal(connection({ minor: 0 }, false), "close");
  assert.equal(connection({ minor: 0, version: "HTTP/1.1" }, true), "keep-alive"); // minor wins
  assert.equal(connection({}, true), null);
});

Deno.test("fileResponseHead: the status line is HTTP/1.1 even for an HTTP/1.0 client", () => {
  const head = fileResponseHead({
    version: "HTTP/1.0",
    keepAlive: false,
    dateMs: NOW,
    status: 200,
    contentLength: 0,
  });
  assert.match(latin1(head), /^HTTP\/1\.1 200 OK\r\n/);
});

Deno.test("fileResponseHead: no Server field; extra fields before Connection", () => {
  const text = latin1(fileResponseHead({
    ...BASE,
    keepAlive: false,
    status: 200,
    contentLength: 3,
    extra: [["Cache-Control", "no-cache"], ["X-Content-Type-Options", "nosniff"]],
  }));
  assert.doesNotMatch(text, /Server:/i);
  assert.match(
    text,
    /Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n$/,
  );
});

Deno.test("fileResponseHead: every status parses back with its reason phrase", () => {
  for (const status of [200, 206, 304, 412, 416] as FileStatus[]) {
    const bytes = fileResponseHead({ ...BASE, status, contentLength: 7, contentType: "a/b" });
    const r = new ResponseParser().parse(bytes);
    assert.ok(r);
    assert.equal(r.consumed, bytes.length);
    assert.equal(r.head.status, status);
    assert.equal(r.head.reason, FILE_STATUS_TEXT[status]);
    assert.equal(r.head.headers.get("content-length"), status === 304 ? undefined : "7");
  }
});

Deno.test("fileResponseHead: no injection, Latin-1 only, sane lengths", () => {
  const bad: Parameters<typeof fileResponseHead>[0][] = [
    { ...BASE, status: 200, contentLength: 1, contentType: "text/plain\r\nX-Injected: 1" },
    { ...BASE, status: 200, contentLength: 1, etag: '"a"\n' },
    { ...BASE, status: 200, contentLength: 1, contentType: "text/\u0100" },
    { ...BASE, status: 200, contentLength: 1, extra: [["Bad Name", "x"]] },
    { ...BASE, status: 200, contentLength: 1, extra: [["X", "a\u0000b"]] },
    { ...BASE, status: 200, contentLength: 1, extra: [["", "x"]] },
  ];
  for (const o of bad) assert.throws(() => fileResponseHead(o), TypeError);
  for (const n of [-1, 1.5, NaN, Infinity, 2 ** 53]) {
    assert.throws(() => fileResponseHead({ ...BASE, status: 200, contentLength: n }), RangeError);
  }
  assert.throws(
    () => fileResponseHead({ ...BASE, status: 301 as FileStatus, contentLength: 0 }),
    RangeError,
  );
  // Latin-1 is allowed as obs-text
  const ok = fileResponseHead({
    ...BASE,
    status: 200,
    contentLength: 0,
    extra: [["X", "caf\u00e9"]],
  });
  assert.ok(latin1(ok).includes("X: caf\u00e9\r\n"));
  assert.ok(ok.includes(0xe9));
});

Deno.test("redirectHead: a 301 to the encoded path, exactly", () => {
  const r = resolvePath("/my%20docs/%E2%82%AC");
  const head = redirectHead(encodePath(r.path) + "/", {
    version: "HTTP/1.1",
    keepAlive: true,
    dateMs: NOW,
  });
  assert.equal(
    latin1(head),
    "HTTP/1.1 301 Moved Permanently\r\n" +
      "Date: Tue, 14 Nov 2023 22:15:00 GMT\r\n" +
      "Location: /my%20docs/%E2%82%AC/\r\n" +
      "Content-Length: 0\r\n" +
      "\r\n",
  );
});

Deno.test("redirectHead: the Location resolves back to the same path", () => {
  for (const target of ["/a%20b", "/%2541", "/a%3Fb%23c", "/%E2%82%AC/x;y", "/100%25", "/a'b(c)"]) {
    const r = resolvePath(target);
    const location = encodePath(r.path) + "/";
    redirectHead(location, { keepAlive: true, dateMs: NOW }); // accepted
    assert.deepEqual(resolvePath(location).segments, r.segments, target);
  }
});

Deno.test("redirectHead: a query is kept, keep-alive and extra fields apply", () => {
  const text = latin1(redirectHead("/dir/?a=1&b=%2F", {
    minor: 0,
    keepAlive: true,
    dateMs: NOW,
    extra: [["Cache-Control", "max-age=60"]],
  }));
  assert.match(text, /\r\nLocation: \/dir\/\?a=1&b=%2F\r\n/);
  assert.match(text, /Cache-Control: max-age=60\r\nConnection: keep-alive\r\n\r\n$/);
});

Deno.test("redirectHead: refuses what would leave the site or break the head", () => {
  for (
    const bad of [
      "",
      "dir/",
      "//evil.example/",
      "/\\evil.example/",
      "/a\\b/",
      "http://evil.example/",
      "/a b/",
      "/a\r\nX-Injected: 1",
      "/caf\u00e9/",
      "?x",
    ]
  ) {
    assert.throws(() => redirectHead(bad, { keepAlive: true, dateMs: NOW }), TypeError, bad);
  }
  // a backslash in the query is not a path separator
  assert.doesNotThrow(() => redirectHead("/a/?q=\\", { keepAlive: true, dateMs: NOW }));
});
