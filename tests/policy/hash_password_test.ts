import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseAuthFile, verifyPassword } from "../../lib/policy/auth.ts";
import {
  HASH_PASSWORD_USAGE,
  hashPasswordCommand,
  type HashPasswordIo,
  PromptInterrupted,
  type RawReader,
  readSecretLine,
} from "../../lib/policy/hash_password.ts";

interface Run {
  code: number;
  out: string;
  err: string;
  prompts: string[];
}

/** Runs the command with piped stdin `stdin`, or in terminal mode with `answers` for the prompts. */
async function run(
  args: string[],
  input: { stdin: string } | { answers: (string | Error)[] },
  extra: HashPasswordIo = {},
): Promise<Run> {
  const r: Run = { code: -1, out: "", err: "", prompts: [] };
  const io: HashPasswordIo = {
    write: (s) => r.out += s,
    writeErr: (s) => r.err += s,
    ...("stdin" in input
      ? {
        isTerminal: false,
        readStdin: () => Promise.resolve(input.stdin),
        prompt: () => Promise.reject(new Error("prompt in pipe mode")),
      }
      : {
        isTerminal: true,
        readStdin: () => Promise.reject(new Error("stdin read in terminal mode")),
        prompt: (message: string) => {
          r.prompts.push(message);
          const a = input.answers.shift();
          if (a === undefined) return Promise.reject(new Error("too many prompts"));
          return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
        },
      }),
    ...extra,
  };
  r.code = await hashPasswordCommand(args, io);
  return r;
}

/** Asserts a successful run printed `USER:HASH\n` for `password`; returns the hash. */
async function assertLine(r: Run, user: string | undefined, password: string, cost = "04") {
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, "");
  assert.ok(r.out.endsWith("\n") && r.out.indexOf("\n") === r.out.length - 1, "one line");
  const line = r.out.slice(0, -1);
  const hash = user === undefined ? line : line.slice(user.length + 1);
  if (user !== undefined) assert.equal(line.slice(0, user.length + 1), `${user}:`);
  assert.match(hash, new RegExp(`^\\$2b\\$${cost}\\$[./A-Za-z0-9]{53}$`));
  assert.equal(await verifyPassword(password, hash), true);
  // A changed first byte (appending would not do past bcrypt's 72 bytes).
  assert.equal(await verifyPassword("x" + password, hash), false);
  return hash;
}

function assertUsage(r: Run, message: string): void {
  assert.equal(r.code, 2);
  assert.equal(r.out, "");
  assert.equal(r.err, `sluice hash-password: ${message}\n`);
}

// --- piped stdin ---

Deno.test("hash-password: USER and piped password print USER:HASH, a valid auth-file line", async () => {
  const r = await run(["alice", "--cost", "4"], { stdin: "s3cret\n" });
  const hash = await assertLine(r, "alice", "s3cret");
  assert.deepEqual([...parseAuthFile(r.out, "users.txt")], [["alice", hash]]);
});

Deno.test("hash-password: without USER prints only the hash", async () => {
  await assertLine(await run(["--cost", "4"], { stdin: "s3cret\n" }), undefined, "s3cret");
});

Deno.test("hash-password: only the first line of stdin, without its CRLF, is the password", async () => {
  await assertLine(
    await run(["--cost=4", "bob"], { stdin: "pw one\r\nignored\n" }),
    "bob",
    "pw one",
  );
  await assertLine(await run(["--cost=4"], { stdin: "no newline" }), undefined, "no newline");
});

Deno.test("hash-password: spaces and UTF-8 in the password are kept", async () => {
  await assertLine(await run(["--cost=4"], { stdin: " pässwörd ✓ \n" }), undefined, " pässwörd ✓ ");
});

Deno.test("hash-password: cost 10 by default", async () => {
  await assertLine(await run([], { stdin: "x\n" }), undefined, "x", "10");
});

Deno.test("hash-password: an empty password is refused", async () => {
  for (const stdin of ["", "\n", "\r\n", "\nsecond line"]) {
    assertUsage(await run(["alice", "--cost", "4"], { stdin }), "empty password");
  }
});

Deno.test("hash-password: a password over 72 bytes is refused", async () => {
  assertUsage(
    await run(["--cost", "4"], { stdin: "é".repeat(37) }),
    "password longer than 72 bytes (bcrypt ignores the rest)",
  );
  await assertLine(
    await run(["--cost", "4"], { stdin: "é".repeat(36) }),
    undefined,
    "é".repeat(36),
  );
});

Deno.test("hash-password: stdin that cannot be read exits 1", async () => {
  const r = await run(["--cost", "4"], { stdin: "" }, {
    readStdin: () =>
      Promise.reject(new TypeError("The encoded data was not valid for encoding utf-8")),
  });
  assert.equal(r.code, 1);
  assert.equal(r.out, "");
  assert.equal(
    r.err,
    "sluice hash-password: cannot read the password: " +
      "The encoded data was not valid for encoding utf-8\n",
  );
});

// --- usage ---

Deno.test("hash-password: a cost outside 4..15 or not a number is bad usage", async () => {
  const cases: [string[], string][] = [
    [["--cost", "3"], '--cost must be a whole number from 4 to 15, got "3" (see --help)'],
    [["--cost", "16"], '--cost must be a whole number from 4 to 15, got "16" (see --help)'],
    [["--cost=abc"], '--cost must be a whole number from 4 to 15, got "abc" (see --help)'],
    [["--cost=4.5"], '--cost must be a whole number from 4 to 15, got "4.5" (see --help)'],
    [["--cost", ""], '--cost must be a whole number from 4 to 15, got "" (see --help)'],
    [["--cost", "-4"], '--cost must be a whole number from 4 to 15, got "-4" (see --help)'],
    [["alice", "--cost"], "--cost needs a value (see --help)"],
  ];
  for (const [args, message] of cases) {
    assertUsage(await run(args, { stdin: "pw\n" }), message);
  }
});

Deno.test("hash-password: cost 4 and 15 are the bounds", async () => {
  // Only parse 15 (hashing at 15 takes seconds): an over-long password stops it after parsing.
  assertUsage(
    await run(["--cost", "15"], { stdin: "x".repeat(73) }),
    "password longer than 72 bytes (bcrypt ignores the rest)",
  );
  await assertLine(await run(["--cost", "04"], { stdin: "x" }), undefined, "x");
});

Deno.test("hash-password: unknown options, a second USER and bad user names are bad usage", async () => {
  const cases: [string[], string][] = [
    [["--rounds", "4"], "unknown option --rounds (see --help)"],
    [["-c"], "unknown option -c (see --help)"],
    [["alice", "bob"], 'unexpected argument "bob" (only one USER) (see --help)'],
    [["a:b"], "USER must be non-empty, without ':' or control characters (see --help)"],
    [[""], "USER must be non-empty, without ':' or control characters (see --help)"],
    [["a\tb"], "USER must be non-empty, without ':' or control characters (see --help)"],
  ];
  for (const [args, message] of cases) {
    assertUsage(await run(args, { stdin: "pw\n" }), message);
  }
});

Deno.test("hash-password: --help and -h print the usage and read no password", async () => {
  for (const flag of ["--help", "-h"]) {
    const r = await run(["alice", flag], { answers: [] });
    assert.equal(r.code, 0);
    assert.equal(r.out, HASH_PASSWORD_USAGE);
    assert.deepEqual(r.prompts, []);
  }
  assert.match(HASH_PASSWORD_USAGE, /^Usage: sluice hash-password \[USER\] \[--cost N\]\n/);
});

// --- terminal prompts ---

Deno.test("hash-password: on a terminal, prompts twice on stderr and prints on stdout", async () => {
  const r = await run(["carol", "--cost", "4"], { answers: ["pw 2", "pw 2"] });
  assert.deepEqual(r.prompts, ["Password: ", "Retype password: "]);
  await assertLine(r, "carol", "pw 2");
});

Deno.test("hash-password: prompts that do not match exit 2 and print nothing", async () => {
  const r = await run(["carol", "--cost", "4"], { answers: ["pw", "pW"] });
  assertUsage(r, "passwords do not match");
  assert.deepEqual(r.prompts, ["Password: ", "Retype password: "]);
});

Deno.test("hash-password: an empty password at the prompt is refused without asking again", async () => {
  const r = await run(["carol"], { answers: [""] });
  assertUsage(r, "empty password");
  assert.deepEqual(r.prompts, ["Password: "]);
});

Deno.test("hash-password: Ctrl-C at a prompt exits 130", async () => {
  const first = await run(["carol"], { answers: [new PromptInterrupted()] });
  assert.equal(first.code, 130);
  assert.equal(first.err, "sluice hash-password: interrupted\n");
  const second = await run(["carol"], { answers: ["pw", new PromptInterrupted()] });
  assert.equal(second.code, 130);
  assert.equal(second.out, "");
});

// --- readSecretLine ---

/** A terminal stand-in: each read returns the next chunk; records raw-mode changes. */
function terminal(...chunks: (string | number[])[]): RawReader & { raw: boolean[] } {
  const queue = chunks.map((c) =>
    typeof c === "string" ? new TextEncoder().encode(c) : Uint8Array.from(c)
  );
  const raw: boolean[] = [];
  return {
    raw,
    setRaw: (mode) => void raw.push(mode),
    read: (p) => {
      const c = queue.shift();
      if (c === undefined) return Promise.resolve(null);
      assert.ok(raw.at(-1) === true, "reads only in raw mode");
      p.set(c);
      return Promise.resolve(c.length);
    },
  };
}

Deno.test("readSecretLine: reads to Enter in raw mode, restores it, and ends the line", async () => {
  let err = "";
  const t = terminal("hun", "ter2\rtypeahead");
  assert.equal(await readSecretLine(t, (s) => err += s), "hunter2");
  assert.deepEqual(t.raw, [true, false]);
  assert.equal(err, "\n");
});

Deno.test("readSecretLine: LF, Ctrl-D and EOF also end the line", async () => {
  assert.equal(await readSecretLine(terminal("ab\ncd"), () => {}), "ab");
  assert.equal(await readSecretLine(terminal("ab\x04cd"), () => {}), "ab");
  assert.equal(await readSecretLine(terminal("ab", "c"), () => {}), "abc");
  assert.equal(await readSecretLine(terminal(), () => {}), "");
});

Deno.test("readSecretLine: Backspace and DEL remove whole UTF-8 characters", async () => {
  assert.equal(await readSecretLine(terminal("abc\x7f\x7fd\r"), () => {}), "ad");
  assert.equal(await readSecretLine(terminal("aé\x7fb\r"), () => {}), "ab");
  assert.equal(await readSecretLine(terminal("a✓\x08\x08\x08b\r"), () => {}), "b");
  // A UTF-8 character split across reads is joined.
  assert.equal(await readSecretLine(terminal([0x61, 0xc3], [0xa9, 0x0d]), () => {}), "aé");
});

Deno.test("readSecretLine: Ctrl-C rejects and still leaves raw mode", async () => {
  let err = "";
  const t = terminal("abc\x03def\r");
  await assert.rejects(readSecretLine(t, (s) => err += s), PromptInterrupted);
  assert.deepEqual(t.raw, [true, false]);
  assert.equal(err, "\n");
});

Deno.test("readSecretLine: a read error still leaves raw mode", async () => {
  const raw: boolean[] = [];
  const t: RawReader = {
    setRaw: (mode) => void raw.push(mode),
    read: () => Promise.reject(new Error("EIO")),
  };
  await assert.rejects(readSecretLine(t, () => {}), /EIO/);
  assert.deepEqual(raw, [true, false]);
});

Deno.test("readSecretLine: bytes that are not UTF-8 are an error", async () => {
  await assert.rejects(readSecretLine(terminal([0x61, 0xff, 0x0d]), () => {}), TypeError);
});

// --- the module as a program, with no permissions at all ---

async function runProgram(args: string[], stdin: string) {
  const script = fileURLToPath(new URL("../../lib/policy/hash_password.ts", import.meta.url));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--quiet", script, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  return {
    code,
    out: new TextDecoder().decode(stdout),
    err: new TextDecoder().decode(stderr),
  };
}

Deno.test("hash-password program: piped stdin, no permissions, USER:HASH on stdout", async () => {
  const r = await runProgram(["dave", "--cost", "4"], "from pipe\nnext\n");
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, "");
  const users = parseAuthFile(r.out, "out");
  assert.equal(await verifyPassword("from pipe", users.get("dave")!), true);
});

Deno.test("hash-password program: bad usage exits 2 with one line on stderr", async () => {
  const r = await runProgram(["--cost", "99"], "pw\n");
  assert.equal(r.code, 2);
  assert.equal(r.out, "");
  assert.equal(
    r.err,
    'sluice hash-password: --cost must be a whole number from 4 to 15, got "99" (see --help)\n',
  );
});

Deno.test("hash-password program: stdin that is not UTF-8 exits 1", async () => {
  const script = fileURLToPath(new URL("../../lib/policy/hash_password.ts", import.meta.url));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--quiet", script, "--cost", "4"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(Uint8Array.from([0x70, 0xff, 0x0a]));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  assert.equal(code, 1);
  assert.equal(stdout.length, 0);
  assert.match(
    new TextDecoder().decode(stderr),
    /^sluice hash-password: cannot read the password: /,
  );
});
