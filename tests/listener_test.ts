import assert from "node:assert/strict";
import { describeListenError, isLoopback, ListenError, openListener } from "../lib/listener.ts";

Deno.test("isLoopback: 127/8, ::1 and localhost only", () => {
  for (const h of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) {
    assert.equal(isLoopback(h), true, h);
  }
  for (const h of ["0.0.0.0", "::", "10.0.0.1", "192.0.2.1"]) assert.equal(isLoopback(h), false, h);
});

Deno.test("describeListenError: a busy port and a missing permission say what to do", () => {
  const addr = { hostname: "::1", port: 8080 };
  assert.equal(
    describeListenError(addr, new Deno.errors.AddrInUse("x")),
    "Cannot listen on [::1]:8080: address already in use",
  );
  assert.match(
    describeListenError(addr, new Deno.errors.NotCapable("x")),
    /no network permission \(add \[::1\]:8080 to --allow-net\)/,
  );
  assert.equal(new ListenError("m").name, "ListenError");
});

Deno.test("openListener: a second listener on a taken port fails with AddrInUse", () => {
  const first = openListener({ hostname: "127.0.0.1", port: 0 }, false);
  const port = (first.addr as Deno.NetAddr).port;
  try {
    assert.throws(
      () => openListener({ hostname: "127.0.0.1", port }, false),
      Deno.errors.AddrInUse,
    );
  } finally {
    first.close();
  }
});
