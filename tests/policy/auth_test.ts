import assert from "node:assert/strict";
import {
  AuthFileError,
  type AuthResult,
  hashPassword,
  isBcryptHash,
  isUserName,
  MAX_PASSWORD_BYTES,
  parseAuthFile,
  parseBasicCredentials,
  ProxyAuth,
  type ProxyAuthOptions,
  verifyPassword,
} from "../../lib/policy/auth.ts";

// Made by Apache's `htpasswd -nbB -C 4 alice 'correct horse'` and
// `htpasswd -nbB -C 4 bob 'pässwörd'` (htpasswd 2.4): real `$2y$` vectors.
const HTPASSWD_ALICE = "$2y$04$bpu4oPcA9yZSIowGd8NhMu.lJwpuamnzi.UALgTewmbBf/04/HQ.q";
const HTPASSWD_BOB = "$2y$04$KqQRzGqRXg/Cwk6x8HWNtOsCS0mTE0o/LGuM9nS2xRUIFv1o8IU5a";

// Cost 4 keeps the real-bcrypt tests fast.
const CAROL_HASH = await hashPassword("carol-pw", 4);
const DAVE_HASH = await hashPassword("dave-pw", 4);

/** A syntactically valid bcrypt hash with a given prefix and cost. */
function fakeHash(prefix = "$2b$", cost = "04", tail = "a".repeat(53)): string {
  return `${prefix}${cost}$${tail}`;
}

function basic(userPass: string): string {
  const bytes = new TextEncoder().encode(userPass);
  return "Basic " + btoa(String.fromCharCode(...bytes));
}

function parseError(text: string, source = "users.txt"): AuthFileError {
  try {
    parseAuthFile(text, source);
  } catch (e) {
    assert.ok(e instanceof AuthFileError);
    return e;
  }
  assert.fail("parseAuthFile did not throw");
}

// --- isBcryptHash / isUserName ---

Deno.test("isBcryptHash: accepts $2a$, $2b$, $2y$ with cost 04 to 31 and 53 characters", () => {
  for (const prefix of ["$2a$", "$2b$", "$2y$"]) {
    assert.equal(isBcryptHash(fakeHash(prefix, "04")), true, prefix);
    assert.equal(isBcryptHash(fakeHash(prefix, "31")), true, prefix);
  }
  assert.equal(isBcryptHash(HTPASSWD_ALICE), true);
  assert.equal(isBcryptHash(CAROL_HASH), true);
  assert.equal(isBcryptHash(fakeHash("$2b$", "10", "./AZaz09" + "x".repeat(45))), true);
});

Deno.test("isBcryptHash: rejects other prefixes, costs, lengths and characters", () => {
  assert.equal(isBcryptHash(fakeHash("$2x$")), false);
  assert.equal(isBcryptHash(fakeHash("$2$")), false);
  assert.equal(isBcryptHash(fakeHash("$2b$", "03")), false);
  assert.equal(isBcryptHash(fakeHash("$2b$", "32")), false);
  assert.equal(isBcryptHash(fakeHash("$2b$", "4")), false);
  assert.equal(isBcryptHash(fakeHash("$2b$", "04", "a".repeat(52))), false);
  assert.equal(isBcryptHash(fakeHash("$2b$", "04", "a".repeat(54))), false);
  assert.equal(isBcryptHash(fakeHash("$2b$", "04", "+".repeat(53))), false);
  assert.equal(isBcryptHash(fakeHash() + "\n"), false);
  assert.equal(isBcryptHash("secret"), false);
  assert.equal(isBcryptHash(""), false);
});

Deno.test("isUserName: non-empty, no colon, no control characters", () => {
  assert.equal(isUserName("alice"), true);
  assert.equal(isUserName("bob smith"), true);
  assert.equal(isUserName("jöhn@example.com"), true);
  assert.equal(isUserName(""), false);
  assert.equal(isUserName("a:b"), false);
  assert.equal(isUserName("a\tb"), false);
  assert.equal(isUserName("a\x00"), false);
  assert.equal(isUserName("a\x7f"), false);
});

// --- parseAuthFile ---

Deno.test("parseAuthFile: reads user:hash lines in order, skipping blanks and comments", () => {
  const text = [
    "# sluice users",
    "",
    `alice:${HTPASSWD_ALICE}`,
    "   ",
    "  # indented comment",
    `carol:${CAROL_HASH}`,
    `dave:${fakeHash("$2a$", "12")}`,
    "",
  ].join("\n");
  const users = parseAuthFile(text, "users.txt");
  assert.deepEqual([...users], [
    ["alice", HTPASSWD_ALICE],
    ["carol", CAROL_HASH],
    ["dave", fakeHash("$2a$", "12")],
  ]);
});

Deno.test("parseAuthFile: CRLF line ends, a BOM and surrounding whitespace are fine", () => {
  const text = `\uFEFF# users\r\nalice:${HTPASSWD_ALICE}\r\n \tcarol:${CAROL_HASH} \t\r\n`;
  const users = parseAuthFile(text, "users.txt");
  assert.deepEqual([...users], [["alice", HTPASSWD_ALICE], ["carol", CAROL_HASH]]);
});

Deno.test("parseAuthFile: the last line needs no line end; user names may have spaces and UTF-8", () => {
  const users = parseAuthFile(`jöhn doe:${CAROL_HASH}`, "u");
  assert.deepEqual([...users], [["jöhn doe", CAROL_HASH]]);
});

Deno.test("parseAuthFile: a plain-text password is an error naming the line, never the password", () => {
  const e = parseError(`# users\nbob:${CAROL_HASH}\nalice:hunter2\n`);
  assert.equal(
    e.message,
    "users.txt:3: Cannot parse auth line: expected user:bcrypt-hash " +
      "(make one with: sluice hash-password alice)",
  );
  assert.equal(e.name, "AuthFileError");
  assert.equal(e.source, "users.txt");
  assert.equal(e.line, 3);
  assert.ok(!e.message.includes("hunter2"));
});

Deno.test("parseAuthFile: a line without a colon suggests USER and echoes nothing of it", () => {
  const e = parseError("hunter2\n", "/etc/sluice/users");
  assert.equal(
    e.message,
    "/etc/sluice/users:1: Cannot parse auth line: expected user:bcrypt-hash " +
      "(make one with: sluice hash-password USER)",
  );
  assert.equal(e.line, 1);
  assert.ok(!e.message.includes("hunter2"));
});

Deno.test("parseAuthFile: an empty user or one with control characters suggests USER", () => {
  for (const line of [`:${CAROL_HASH}`, `ali\x01ce:${CAROL_HASH}`, `ali\tce:${CAROL_HASH}`]) {
    const e = parseError(`\n${line}`);
    assert.equal(
      e.message,
      "users.txt:2: Cannot parse auth line: expected user:bcrypt-hash " +
        "(make one with: sluice hash-password USER)",
      JSON.stringify(line),
    );
    assert.ok(!e.message.includes(CAROL_HASH));
  }
});

Deno.test("parseAuthFile: htpasswd MD5, SHA-1 and crypt hashes are named by kind only", () => {
  const cases: [string, string][] = [
    ["carol:$apr1$cxrjp0YF$LKQwRx9YJPaGEWm.LKYtT/", ", found an htpasswd MD5 ($apr1$) hash"],
    ["dave:{SHA}EfatjsUqKYSrqv18O1FlA3hcIHI=", ", found an htpasswd SHA-1 ({SHA}) hash"],
    ["erin:$6$saltsalt$abcdefghijklmnop", ", found a crypt(3) MD5/SHA hash"],
    ["erin:$1$saltsalt$abcdefghijklmnop", ", found a crypt(3) MD5/SHA hash"],
  ];
  for (const [line, detail] of cases) {
    const user = line.slice(0, line.indexOf(":"));
    const hash = line.slice(line.indexOf(":") + 1);
    const e = parseError(line);
    assert.equal(
      e.message,
      `users.txt:1: Cannot parse auth line: expected user:bcrypt-hash${detail} ` +
        `(make one with: sluice hash-password ${user})`,
    );
    assert.ok(!e.message.includes(hash.slice(6)), "no hash material in the message");
  }
});

Deno.test("parseAuthFile: a malformed bcrypt hash (cost, length, characters) says so", () => {
  for (
    const hash of [
      fakeHash("$2y$", "03"),
      fakeHash("$2y$", "32"),
      fakeHash("$2b$", "10", "a".repeat(52)),
      fakeHash("$2a$", "10", "a".repeat(52) + "!"),
    ]
  ) {
    const e = parseError(`alice:${hash}`);
    assert.equal(
      e.message,
      "users.txt:1: Cannot parse auth line: expected user:bcrypt-hash, found a malformed " +
        "bcrypt hash (make one with: sluice hash-password alice)",
    );
    assert.ok(!e.message.includes("aaaa"));
  }
});

Deno.test("parseAuthFile: $2x$ (the old buggy variant) is not accepted", () => {
  const e = parseError(`alice:${fakeHash("$2x$")}`);
  assert.equal(
    e.message,
    "users.txt:1: Cannot parse auth line: expected user:bcrypt-hash " +
      "(make one with: sluice hash-password alice)",
  );
});

Deno.test("parseAuthFile: a space around the colon makes the hash invalid", () => {
  const e = parseError(`alice: ${CAROL_HASH}`);
  assert.equal(e.line, 1);
  assert.match(e.message, /expected user:bcrypt-hash/);
});

Deno.test("parseAuthFile: a user name the shell would split is quoted in the suggestion", () => {
  assert.equal(
    parseError("bob smith:pw").message,
    "users.txt:1: Cannot parse auth line: expected user:bcrypt-hash " +
      "(make one with: sluice hash-password 'bob smith')",
  );
  assert.equal(
    parseError("o'neil:pw").message,
    "users.txt:1: Cannot parse auth line: expected user:bcrypt-hash " +
      "(make one with: sluice hash-password 'o'\\''neil')",
  );
});

Deno.test("parseAuthFile: a duplicate user names both lines", () => {
  const e = parseError(`alice:${HTPASSWD_ALICE}\n# again\r\nalice:${CAROL_HASH}\n`);
  assert.equal(
    e.message,
    "users.txt:3: Cannot parse auth line: duplicate user alice (first on line 1)",
  );
  assert.equal(e.line, 3);
});

Deno.test("parseAuthFile: user names are case-sensitive, so Alice and alice are two users", () => {
  const users = parseAuthFile(`alice:${HTPASSWD_ALICE}\nAlice:${CAROL_HASH}`, "u");
  assert.equal(users.size, 2);
});

Deno.test("parseAuthFile: a file without users is an error", () => {
  for (const text of ["", "\n\n", "# only a comment\r\n  \r\n", "\uFEFF"]) {
    const e = parseError(text);
    assert.equal(
      e.message,
      "users.txt: Cannot parse auth file: no user:bcrypt-hash lines " +
        "(make one with: sluice hash-password USER)",
    );
    assert.equal(e.line, undefined);
  }
});

Deno.test("parseAuthFile: the first bad line wins", () => {
  const e = parseError(`alice:${HTPASSWD_ALICE}\nbad\nalice:${CAROL_HASH}\n`);
  assert.equal(e.line, 2);
});

// --- parseBasicCredentials ---

Deno.test("parseBasicCredentials: decodes user and password", () => {
  assert.deepEqual(parseBasicCredentials("Basic YWxpY2U6czNjcmV0"), {
    user: "alice",
    password: "s3cret",
  });
});

Deno.test("parseBasicCredentials: the scheme is case-insensitive, whitespace is optional OWS", () => {
  const want = { user: "alice", password: "s3cret" };
  for (
    const v of [
      "basic YWxpY2U6czNjcmV0",
      "BASIC YWxpY2U6czNjcmV0",
      "bAsIc YWxpY2U6czNjcmV0",
      "Basic\tYWxpY2U6czNjcmV0",
      "Basic    YWxpY2U6czNjcmV0",
      "  Basic YWxpY2U6czNjcmV0 \t",
    ]
  ) {
    assert.deepEqual(parseBasicCredentials(v), want, JSON.stringify(v));
  }
});

Deno.test("parseBasicCredentials: every padding length", () => {
  assert.deepEqual(parseBasicCredentials("Basic YTpi"), { user: "a", password: "b" }); // no "="
  assert.deepEqual(parseBasicCredentials("Basic YWI6Yw=="), { user: "ab", password: "c" });
  assert.deepEqual(parseBasicCredentials("Basic YWJjOmQ="), { user: "abc", password: "d" });
});

Deno.test("parseBasicCredentials: rejects bad base64", () => {
  for (
    const v of [
      "Basic YWI6Yw", // padding missing
      "Basic YWI6Yw=", // padding short
      "Basic YWI6Yw===", // padding long
      "Basic YWI6Yx==", // non-zero bits after the last byte: not canonical
      "Basic YW=6Yw==", // padding in the middle
      "Basic YW!6Yw==", // not in the alphabet
      "Basic YWI6Y-_=", // base64url
      "Basic YWI6 Yw==", // space inside
      "Basic YTpi YTpi", // two tokens
      "Basic", // no credentials
      "Basic ",
    ]
  ) {
    assert.equal(parseBasicCredentials(v), null, JSON.stringify(v));
  }
});

Deno.test("parseBasicCredentials: no colon is null; an empty password or user is kept", () => {
  assert.equal(parseBasicCredentials(basic("alice")), null);
  assert.deepEqual(parseBasicCredentials(basic("alice:")), { user: "alice", password: "" });
  assert.deepEqual(parseBasicCredentials(basic(":pw")), { user: "", password: "pw" });
});

Deno.test("parseBasicCredentials: splits at the first colon; the password may contain colons", () => {
  assert.deepEqual(parseBasicCredentials(basic("alice:a:b:c")), {
    user: "alice",
    password: "a:b:c",
  });
});

Deno.test("parseBasicCredentials: decodes UTF-8, rejects bytes that are not UTF-8", () => {
  assert.deepEqual(parseBasicCredentials(basic("jöhn:pässwörd ✓")), {
    user: "jöhn",
    password: "pässwörd ✓",
  });
  // "j\xF6hn:pw" in Latin-1: 0xF6 alone is not UTF-8.
  assert.equal(parseBasicCredentials("Basic " + btoa("j\xF6hn:pw")), null);
  // A leading UTF-8 BOM is kept, not silently dropped.
  assert.deepEqual(parseBasicCredentials("Basic " + btoa("\xEF\xBB\xBFa:b")), {
    user: "\uFEFFa",
    password: "b",
  });
});

Deno.test("parseBasicCredentials: other schemes are null", () => {
  for (const v of ["", "Bearer YWxpY2U6czNjcmV0", "BasicYWxpY2U6czNjcmV0", "Digest username=a"]) {
    assert.equal(parseBasicCredentials(v), null, JSON.stringify(v));
  }
});

// --- hashPassword / verifyPassword ---

Deno.test("hashPassword: makes a $2b$ hash of the given cost that verifies", async () => {
  const hash = await hashPassword("s3cret", 5);
  assert.match(hash, /^\$2b\$05\$[./A-Za-z0-9]{53}$/);
  assert.equal(await verifyPassword("s3cret", hash), true);
  assert.equal(await verifyPassword("s3cret!", hash), false);
  assert.notEqual(await hashPassword("s3cret", 5), hash, "a fresh salt each time");
});

Deno.test("hashPassword: cost 10 by default", async () => {
  assert.match(await hashPassword("x"), /^\$2b\$10\$/);
});

Deno.test("hashPassword: rejects a cost outside 4..31", async () => {
  for (const cost of [3, 32, 4.5, NaN]) {
    await assert.rejects(hashPassword("x", cost), RangeError, String(cost));
  }
});

Deno.test("hashPassword: rejects passwords bcrypt would truncate", async () => {
  assert.equal(MAX_PASSWORD_BYTES, 72);
  await assert.rejects(
    hashPassword("a".repeat(73), 4),
    new RangeError("Cannot hash password: longer than 72 bytes, and bcrypt ignores the rest"),
  );
  // 36 two-byte characters are 72 bytes; one more is 74.
  await assert.rejects(hashPassword("é".repeat(37), 4), RangeError);
  assert.ok(isBcryptHash(await hashPassword("é".repeat(36), 4)));
});

Deno.test("verifyPassword: $2y$ hashes from htpasswd verify, UTF-8 passwords included", async () => {
  assert.equal(await verifyPassword("correct horse", HTPASSWD_ALICE), true);
  assert.equal(await verifyPassword("correct horsE", HTPASSWD_ALICE), false);
  assert.equal(await verifyPassword("pässwörd", HTPASSWD_BOB), true);
  assert.equal(await verifyPassword("passwort", HTPASSWD_BOB), false);
});

Deno.test("verifyPassword: $2a$, $2b$ and $2y$ are the same algorithm", async () => {
  const tail = CAROL_HASH.slice(4);
  for (const prefix of ["$2a$", "$2b$", "$2y$"]) {
    assert.equal(await verifyPassword("carol-pw", prefix + tail), true, prefix);
    assert.equal(await verifyPassword("carol-px", prefix + tail), false, prefix);
  }
  const aliceTail = HTPASSWD_ALICE.slice(4);
  assert.equal(await verifyPassword("correct horse", "$2b$" + aliceTail), true);
});

Deno.test("verifyPassword: a non-bcrypt hash never verifies, even equal plain text", async () => {
  assert.equal(await verifyPassword("secret", "secret"), false);
  assert.equal(await verifyPassword("x", "{SHA}EfatjsUqKYSrqv18O1FlA3hcIHI="), false);
  assert.equal(await verifyPassword("x", "$2x$" + CAROL_HASH.slice(4)), false);
  assert.equal(await verifyPassword("", ""), false);
});

// --- ProxyAuth ---

interface Counted {
  calls: { password: string; hash: string }[];
  verify: (password: string, hash: string) => Promise<boolean>;
}

/** Wraps the real verifyPassword and records each call. */
function counted(): Counted {
  const calls: { password: string; hash: string }[] = [];
  return {
    calls,
    verify: (password, hash) => {
      calls.push({ password, hash });
      return verifyPassword(password, hash);
    },
  };
}

const USERS = new Map([["alice", HTPASSWD_ALICE], ["carol", CAROL_HASH], ["dave", DAVE_HASH]]);

function auth(options: ProxyAuthOptions = {}): { auth: ProxyAuth; calls: Counted["calls"] } {
  const c = counted();
  return { auth: new ProxyAuth(USERS, "sluice", { verify: c.verify, ...options }), calls: c.calls };
}

const FAILED = (user?: string): AuthResult =>
  user === undefined ? { ok: false, reason: "auth-failed" } : {
    ok: false,
    reason: "auth-failed",
    user,
  };

Deno.test("ProxyAuth.challenge: quoted realm with charset", () => {
  assert.equal(new ProxyAuth(USERS, "sluice").challenge, 'Basic realm="sluice", charset="UTF-8"');
  assert.equal(
    new ProxyAuth(USERS, 'say "hi" \\ bye').challenge,
    'Basic realm="say \\"hi\\" \\\\ bye", charset="UTF-8"',
  );
  assert.equal(new ProxyAuth(USERS, "").challenge, 'Basic realm="", charset="UTF-8"');
  assert.equal(new ProxyAuth(USERS, "a\tcafé").challenge, 'Basic realm="a\tcafé", charset="UTF-8"');
});

Deno.test("ProxyAuth: a realm that could break the header is refused", () => {
  for (const realm of ["a\r\nX-Evil: 1", "a\nb", "a\x00", "a\x7f", "snow ☃"]) {
    assert.throws(() => new ProxyAuth(USERS, realm), TypeError, JSON.stringify(realm));
  }
});

Deno.test("ProxyAuth: a hash that is not bcrypt is refused", () => {
  assert.throws(
    () => new ProxyAuth(new Map([["alice", "secret"]]), "sluice"),
    new TypeError("Cannot use auth users: a hash is not bcrypt"),
  );
});

Deno.test("ProxyAuth.check: no header is auth-required, without any bcrypt work", async () => {
  const { auth: a, calls } = auth();
  assert.deepEqual(await a.check(undefined), { ok: false, reason: "auth-required" });
  assert.equal(calls.length, 0);
});

Deno.test("ProxyAuth.check: another scheme is auth-required", async () => {
  const { auth: a, calls } = auth();
  for (const v of ["Bearer abc", "Digest username=alice", "", "BasicYWxpY2U6eA=="]) {
    assert.deepEqual(await a.check(v), { ok: false, reason: "auth-required" }, v);
  }
  assert.equal(calls.length, 0);
});

Deno.test("ProxyAuth.check: malformed Basic credentials are auth-failed without bcrypt", async () => {
  const { auth: a, calls } = auth();
  for (const v of ["Basic", "Basic !!!!", "Basic YWxpY2U", basic("alice")]) {
    assert.deepEqual(await a.check(v), FAILED(), v);
  }
  assert.equal(calls.length, 0);
});

Deno.test("ProxyAuth.check: the right password is ok (real bcrypt, htpasswd $2y$)", async () => {
  const { auth: a, calls } = auth();
  assert.deepEqual(await a.check(basic("alice:correct horse")), { ok: true, user: "alice" });
  assert.deepEqual(calls, [{ password: "correct horse", hash: HTPASSWD_ALICE }]);
});

Deno.test("ProxyAuth.check: a wrong password is auth-failed and never cached", async () => {
  const { auth: a, calls } = auth();
  assert.deepEqual(await a.check(basic("alice:wrong")), FAILED("alice"));
  assert.deepEqual(await a.check(basic("alice:wrong")), FAILED("alice"));
  assert.equal(calls.length, 2);
  assert.equal(a.cached, 0);
});

Deno.test("ProxyAuth.check: an unknown user still costs one bcrypt compare, on a dummy hash", async () => {
  const { auth: a, calls } = auth();
  assert.deepEqual(await a.check(basic("mallory:correct horse")), FAILED("mallory"));
  assert.equal(calls.length, 1);
  assert.equal(calls[0].password, "correct horse");
  const dummy = calls[0].hash;
  assert.ok(isBcryptHash(dummy), "the dummy is a real bcrypt hash, so the compare does real work");
  assert.ok(![...USERS.values()].includes(dummy));
  assert.equal(dummy.slice(4, 6), "04", "the users' common cost");
});

Deno.test("ProxyAuth.check: an unknown user fails even with a password matching the dummy", async () => {
  // Whatever the dummy verifies to, a user not in the file is never let in.
  const a = new ProxyAuth(USERS, "sluice", { verify: () => Promise.resolve(true) });
  assert.deepEqual(await a.check(basic("mallory:x")), FAILED("mallory"));
  assert.equal(a.cached, 0);
});

Deno.test("ProxyAuth: the dummy hash takes the most common cost, the higher on a tie", async () => {
  const seen: string[] = [];
  const verify = (_p: string, h: string) => (seen.push(h.slice(4, 6)), Promise.resolve(false));
  const users = (...costs: string[]) =>
    new Map(costs.map((c, i) => [`u${i}`, fakeHash("$2y$", c)] as [string, string]));
  await new ProxyAuth(users("12", "10", "10"), "r", { verify }).check(basic("x:y"));
  await new ProxyAuth(users("09", "11"), "r", { verify }).check(basic("x:y"));
  await new ProxyAuth(new Map(), "r", { verify }).check(basic("x:y"));
  assert.deepEqual(seen, ["10", "11", "10"]);
});

Deno.test("ProxyAuth.check: a repeated success is a cache hit, with no bcrypt", async () => {
  const { auth: a, calls } = auth();
  const h = basic("carol:carol-pw");
  assert.deepEqual(await a.check(h), { ok: true, user: "carol" });
  assert.deepEqual(await a.check(h), { ok: true, user: "carol" });
  // Same credentials, different scheme case and whitespace: still a hit.
  assert.deepEqual(await a.check(h.replace("Basic ", "basic   ")), { ok: true, user: "carol" });
  assert.equal(calls.length, 1);
  assert.equal(a.cached, 1);
});

Deno.test("ProxyAuth.check: a cached user with a wrong password is verified, and fails", async () => {
  const { auth: a, calls } = auth();
  assert.equal((await a.check(basic("carol:carol-pw"))).ok, true);
  assert.deepEqual(await a.check(basic("carol:carol-px")), FAILED("carol"));
  assert.equal(calls.length, 2);
  // The remembered good login still stands.
  assert.equal((await a.check(basic("carol:carol-pw"))).ok, true);
  assert.equal(calls.length, 2);
});

Deno.test("ProxyAuth.check: a cache entry expires cacheTtlMs after its verification", async () => {
  let now = 1_000;
  const { auth: a, calls } = auth({ cacheTtlMs: 100, now: () => now });
  const h = basic("carol:carol-pw");
  assert.equal((await a.check(h)).ok, true);
  now = 1_099;
  assert.equal((await a.check(h)).ok, true);
  assert.equal(calls.length, 1, "hit just before expiry");
  now = 1_100;
  assert.equal((await a.check(h)).ok, true);
  assert.equal(calls.length, 2, "verified again at expiry");
  // A hit does not extend the entry: the re-verification at 1100 set it to 1200.
  now = 1_199;
  assert.equal((await a.check(h)).ok, true);
  assert.equal(calls.length, 2);
  now = 1_200;
  assert.equal((await a.check(h)).ok, true);
  assert.equal(calls.length, 3);
});

Deno.test("ProxyAuth.check: the cache holds at most cacheSize users, least recently used out", async () => {
  const { auth: a, calls } = auth({ cacheSize: 2 });
  const alice = basic("alice:correct horse");
  const carol = basic("carol:carol-pw");
  const dave = basic("dave:dave-pw");
  await a.check(alice);
  await a.check(carol);
  assert.equal(calls.length, 2);
  await a.check(alice); // hit: alice becomes the most recent
  assert.equal(calls.length, 2);
  await a.check(dave); // evicts carol, the least recently used
  assert.equal(calls.length, 3);
  assert.equal(a.cached, 2);
  await a.check(alice);
  await a.check(dave);
  assert.equal(calls.length, 3, "alice and dave are cached");
  await a.check(carol);
  assert.equal(calls.length, 4, "carol was evicted");
  assert.equal(a.cached, 2);
});

Deno.test("ProxyAuth.check: cacheSize 0 turns the cache off", async () => {
  const { auth: a, calls } = auth({ cacheSize: 0 });
  const h = basic("carol:carol-pw");
  assert.equal((await a.check(h)).ok, true);
  assert.equal((await a.check(h)).ok, true);
  assert.equal(calls.length, 2);
  assert.equal(a.cached, 0);
});

/** A verify whose answers the test releases by hand. */
function gated() {
  const calls: { password: string; release: (ok: boolean) => void }[] = [];
  const verify = (password: string) => {
    const { promise, resolve } = Promise.withResolvers<boolean>();
    calls.push({ password, release: resolve });
    return promise;
  };
  return { calls, verify };
}

Deno.test("ProxyAuth.check: identical credentials in flight share one verification", async () => {
  const g = gated();
  const a = new ProxyAuth(USERS, "sluice", { verify: g.verify });
  const h = basic("carol:carol-pw");
  const first = a.check(h);
  const second = a.check(h);
  const third = a.check(h.replace("Basic", "BASIC"));
  assert.equal(g.calls.length, 1);
  g.calls[0].release(true);
  assert.deepEqual(await Promise.all([first, second, third]), [
    { ok: true, user: "carol" },
    { ok: true, user: "carol" },
    { ok: true, user: "carol" },
  ]);
});

Deno.test("ProxyAuth.check: beyond maxPending distinct verifications, new ones fail at once", async () => {
  const g = gated();
  const a = new ProxyAuth(USERS, "sluice", { verify: g.verify, maxPending: 2 });
  const p1 = a.check(basic("carol:guess1"));
  const p2 = a.check(basic("carol:guess2"));
  assert.deepEqual(await a.check(basic("carol:guess3")), FAILED("carol"));
  assert.equal(g.calls.length, 2, "the third guess ran no bcrypt");
  // Joining a verification already running is not new work, so it is allowed.
  const p2again = a.check(basic("carol:guess2"));
  assert.equal(g.calls.length, 2);
  g.calls[0].release(false);
  assert.deepEqual(await p1, FAILED("carol"));
  // A slot is free again.
  const p4 = a.check(basic("carol:carol-pw"));
  assert.equal(g.calls.length, 3);
  g.calls[1].release(false);
  g.calls[2].release(true);
  assert.deepEqual(await p2, FAILED("carol"));
  assert.deepEqual(await p2again, FAILED("carol"));
  assert.deepEqual(await p4, { ok: true, user: "carol" });
});

Deno.test("ProxyAuth.check: a cache hit is served even when maxPending is reached", async () => {
  const g = gated();
  const a = new ProxyAuth(USERS, "sluice", { verify: g.verify, maxPending: 1 });
  const good = a.check(basic("carol:carol-pw"));
  g.calls[0].release(true);
  assert.equal((await good).ok, true);
  const busy = a.check(basic("dave:guess"));
  assert.deepEqual(await a.check(basic("carol:carol-pw")), { ok: true, user: "carol" });
  assert.equal(g.calls.length, 2);
  g.calls[1].release(false);
  await busy;
});

Deno.test("ProxyAuth.check: a failing verify rejects its callers and frees its slot", async () => {
  let fail = true;
  const a = new ProxyAuth(USERS, "sluice", {
    maxPending: 1,
    verify: () => fail ? Promise.reject(new Error("boom")) : Promise.resolve(true),
  });
  const h = basic("carol:carol-pw");
  await assert.rejects(a.check(h), /boom/);
  fail = false;
  assert.deepEqual(await a.check(h), { ok: true, user: "carol" });
});

Deno.test("ProxyAuth.check: the UTF-8 htpasswd user logs in with UTF-8 credentials", async () => {
  const a = new ProxyAuth(new Map([["bob", HTPASSWD_BOB]]), "sluice");
  assert.deepEqual(await a.check(basic("bob:pässwörd")), { ok: true, user: "bob" });
  assert.deepEqual(await a.check(basic("bob:passwörd")), FAILED("bob"));
});

Deno.test("ProxyAuth.fromFileText: parses the file, or rejects with AuthFileError", async () => {
  const a = await ProxyAuth.fromFileText(`alice:${HTPASSWD_ALICE}\n`, "users.txt", "corp");
  assert.equal(a.challenge, 'Basic realm="corp", charset="UTF-8"');
  assert.deepEqual(await a.check(basic("alice:correct horse")), { ok: true, user: "alice" });
  await assert.rejects(
    ProxyAuth.fromFileText("alice:hunter2\n", "users.txt", "corp"),
    (e: unknown) => e instanceof AuthFileError && e.line === 1,
  );
});

Deno.test("ProxyAuth: the users map is copied, so later changes to it do not apply", async () => {
  const users = new Map([["carol", CAROL_HASH]]);
  const a = new ProxyAuth(users, "sluice");
  users.delete("carol");
  assert.equal((await a.check(basic("carol:carol-pw"))).ok, true);
});
