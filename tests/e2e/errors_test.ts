import assert from "node:assert/strict";
import type { Target } from "../../lib/http1/target.ts";
import { dial } from "../../lib/upstream/dial.ts";
import { bytes, RawClient, rawOrigin, readAll, readHead, text, withProxy } from "./harness.ts";

/** Sends `request` on a fresh connection; returns the response and whether the proxy then closed. */
async function ask(port: number, request: string | Uint8Array) {
  const c = await RawClient.connect(port);
  try {
    await c.write(request);
    const r = await c.read();
    return { ...r, closed: await c.closedWithin(2000), text: text(r.body) };
  } finally {
    c.close();
  }
}

const CASES: { name: string; request: () => string; status: number; reason: string }[] = [
  {
    name: "garbage request line",
    request: () => "HELLO\r\n\r\n",
    status: 400,
    reason: "bad-request-line",
  },
  {
    name: "missing HTTP version",
    request: () => "GET http://a/\r\n\r\n",
    status: 400,
    reason: "bad-request-line",
  },
  {
    name: "header without colon",
    request: () => "GET http://a/ HTTP/1.1\r\nNoColon\r\n\r\n",
    status: 400,
    reason: "bad-header",
  },
  {
    name: "origin-form target",
    request: () => "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    status: 400,
    reason: "origin-form",
  },
  {
    name: "https absolute-form",
    request: () => "GET https://a/ HTTP/1.1\r\n\r\n",
    status: 400,
    reason: "bad-target",
  },
  {
    name: "Content-Length with Transfer-Encoding",
    request: () =>
      "POST http://a/ HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
    status: 400,
    reason: "bad-framing",
  },
  {
    name: "unknown transfer coding",
    request: () => "POST http://a/ HTTP/1.1\r\nTransfer-Encoding: zstd, chunked\r\n\r\n",
    status: 501,
    reason: "unsupported-transfer-coding",
  },
  {
    name: "HTTP/2.0 request line",
    request: () => "GET http://a/ HTTP/2.0\r\n\r\n",
    status: 505,
    reason: "unsupported-version",
  },
  {
    name: "URI too long",
    request: () => `GET http://a/${"x".repeat(9000)} HTTP/1.1\r\n\r\n`,
    status: 414,
    reason: "uri-too-long",
  },
  {
    name: "head too large",
    request: () =>
      `GET http://a/ HTTP/1.1\r\n${"X-Big: " + "y".repeat(8000) + "\r\n"}`.repeat(1) +
      `X-A: ${"z".repeat(70000)}\r\n\r\n`,
    status: 431,
    reason: "head-too-large",
  },
  {
    name: "too many headers",
    request: () =>
      `GET http://a/ HTTP/1.1\r\n${
        Array.from({ length: 101 }, (_, i) => `X-${i}: v\r\n`).join("")
      }\r\n`,
    status: 431,
    reason: "too-many-headers",
  },
  {
    name: "DNS failure",
    request: () => "GET http://no-such-host.invalid/ HTTP/1.1\r\n\r\n",
    status: 502,
    reason: "dns-failure",
  },
];

for (const c of CASES) {
  Deno.test(`${c.name} -> ${c.status} ${c.reason}, then close`, async () => {
    await withProxy(async (p) => {
      const r = await ask(p.port, c.request());
      assert.equal(r.status, c.status, r.head);
      assert.equal(r.headers.get("x-sluice-reason"), c.reason);
      assert.match(r.text, new RegExp(`reason: ${c.reason}`));
      assert.equal(r.headers.get("connection"), "close");
      assert.ok(r.closed, "proxy should close after an error");
    });
  });
}

Deno.test("refused connection -> 502 upstream-refused", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  await withProxy(async (p) => {
    const r = await ask(p.port, `GET http://127.0.0.1:${port}/ HTTP/1.1\r\n\r\n`);
    assert.equal(r.status, 502);
    assert.equal(r.headers.get("x-sluice-reason"), "upstream-refused");
    assert.match(r.headers.get("proxy-status") ?? "", /error=connection_refused/);
  });
});

Deno.test("a response that is not HTTP -> 502 upstream-bad-response", async () => {
  const origin = rawOrigin(async (conn) => {
    await readHead(conn);
    await conn.write(bytes("SSH-2.0-OpenSSH_9.2\r\n\r\n"));
  });
  try {
    await withProxy(async (p) => {
      const r = await ask(p.port, `GET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\n\r\n`);
      assert.equal(r.status, 502);
      assert.equal(r.headers.get("x-sluice-reason"), "upstream-bad-response");
    });
  } finally {
    await origin.close();
  }
});

Deno.test("an origin that closes without answering -> 502 upstream-closed", async () => {
  const origin = rawOrigin(async (conn) => {
    await readHead(conn);
  });
  try {
    await withProxy(async (p) => {
      const r = await ask(p.port, `GET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\n\r\n`);
      assert.equal(r.status, 502);
      assert.equal(r.headers.get("x-sluice-reason"), "upstream-closed");
    });
  } finally {
    await origin.close();
  }
});

Deno.test("an origin that dies mid-body: the client connection is closed, short", async () => {
  const origin = rawOrigin(async (conn) => {
    await readHead(conn);
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-this"));
  });
  try {
    await withProxy(async (p) => {
      const c = await Deno.connect({ hostname: "127.0.0.1", port: p.port });
      try {
        await c.write(bytes(`GET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\n\r\n`));
        const all = text(await readAll(c));
        assert.match(all, /^HTTP\/1\.1 200 OK/);
        assert.ok(all.endsWith("only-this"));
      } finally {
        c.close();
      }
    });
  } finally {
    await origin.close();
  }
});

Deno.test("connect deadline -> 504 upstream-connect-timeout", async () => {
  const never = (o: Deno.ConnectOptions) =>
    new Promise<Deno.TcpConn>((_, reject) => {
      o.signal?.addEventListener("abort", () => reject(new Error("aborted")));
    });
  const slowDial = (t: Target, signal: AbortSignal, timeoutMs: number) =>
    dial(t.host, t.port, { signal, timeoutMs, connect: never });
  await withProxy(
    async (p) => {
      const started = Date.now();
      const r = await ask(p.port, "GET http://127.0.0.1:9/ HTTP/1.1\r\n\r\n");
      assert.equal(r.status, 504);
      assert.equal(r.headers.get("x-sluice-reason"), "upstream-connect-timeout");
      assert.ok(Date.now() - started >= 250);
    },
    { connectTimeoutMs: 300 },
    slowDial,
  );
});

Deno.test("every resolved address is tried in turn; localhost reaches an IPv4-only origin", async () => {
  const origin = rawOrigin(async (conn) => {
    await readHead(conn);
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  });
  try {
    const tried: string[] = [];
    const connect = (o: Deno.ConnectOptions) => {
      tried.push(o.hostname!);
      return Deno.connect(o);
    };
    // ::1 first (refused: the origin listens on IPv4 only), then 127.0.0.1
    const both = () => Promise.resolve(["::1", "127.0.0.1"]);
    const ac = new AbortController();
    const conn = await dial("localhost", origin.port, {
      signal: ac.signal,
      timeoutMs: 2000,
      connect,
      resolve: both,
    });
    conn.close();
    assert.deepEqual(tried, ["::1", "127.0.0.1"]);
    await withProxy(async (p) => {
      const r = await ask(
        p.port,
        `GET http://localhost:${origin.port}/ HTTP/1.1\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(r.status, 200);
      assert.equal(r.text, "ok");
    });
  } finally {
    await origin.close();
  }
});

Deno.test("CONNECT to a port not in --connect-ports -> 403 with the fix", async () => {
  await withProxy(async (p) => {
    const r = await ask(p.port, "CONNECT 127.0.0.1:25 HTTP/1.1\r\nHost: 127.0.0.1:25\r\n\r\n");
    assert.equal(r.status, 403);
    assert.equal(r.headers.get("x-sluice-reason"), "connect-port-denied");
    assert.match(r.text, /--connect-ports 25/);
  }, { connectPorts: new Set([443]) });
});

Deno.test("the request after a rejected one on the same connection is never forwarded", async () => {
  const origin = rawOrigin(async (conn) => {
    await readHead(conn);
    await conn.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  });
  try {
    await withProxy(async (p) => {
      const r = await ask(
        p.port,
        `GET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\nBad Header: x\r\n\r\nGET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\n\r\n`,
      );
      assert.equal(r.status, 400);
      assert.ok(r.closed);
    });
    assert.equal(origin.accepted, 0);
  } finally {
    await origin.close();
  }
});
