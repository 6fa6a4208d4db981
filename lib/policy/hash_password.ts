/**
 * `sluice hash-password [USER] [--cost N]`: makes a line for `--auth-file`.
 *
 * The password comes from standard input: the first line when input is piped,
 * or typed twice without echo when it is a terminal. The result (`USER:HASH`,
 * or just the hash) is the only thing written to standard output, so
 * `sluice hash-password alice >> users.txt` works; prompts and errors go to
 * standard error. Needs no permissions: only stdin, stdout and stderr.
 *
 * @module
 */

import { hashPassword, isUserName, MAX_PASSWORD_BYTES } from "./auth.ts";

/** What the command reads and writes; every member defaults to the process's own. */
export interface HashPasswordIo {
  /** Reads piped standard input (the command keeps the first line). */
  readStdin?: () => Promise<string>;
  /** Whether standard input is a terminal (then the password is prompted for, twice). */
  isTerminal?: boolean;
  /** Writes to standard output. */
  write?: (s: string) => void;
  /** Writes to standard error. */
  writeErr?: (s: string) => void;
  /**
   * Shows `message` and reads one line without echo. Rejects with
   * {@linkcode PromptInterrupted} on Ctrl-C.
   */
  prompt?: (message: string) => Promise<string>;
}

/** The help text, also shown for `--help`. */
export const HASH_PASSWORD_USAGE = `Usage: sluice hash-password [USER] [--cost N]

Hashes a password with bcrypt for --auth-file. Reads the password from stdin
(first line) when piped, else prompts for it twice without echo. Prints
USER:HASH (or HASH without USER) on stdout.

  --cost N     bcrypt cost, 4 to 15 (default 10; each step doubles the time)
  -h, --help   show this help
`;

/** Ctrl-C at a password prompt. */
export class PromptInterrupted extends Error {
  /** Creates the error. */
  constructor() {
    super("interrupted");
    this.name = "PromptInterrupted";
  }
}

class UsageError extends Error {}

interface Parsed {
  user: string | undefined;
  cost: number;
  help: boolean;
}

function parseArgs(args: string[]): Parsed {
  let user: string | undefined;
  let cost = 10;
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-h" || a === "--help") {
      help = true;
    } else if (a === "--cost" || a.startsWith("--cost=")) {
      const v = a === "--cost" ? args[++i] : a.slice("--cost=".length);
      if (v === undefined) throw new UsageError("--cost needs a value");
      if (!/^[0-9]{1,2}$/.test(v) || Number(v) < 4 || Number(v) > 15) {
        throw new UsageError(`--cost must be a whole number from 4 to 15, got "${v}"`);
      }
      cost = Number(v);
    } else if (a.startsWith("-") && a !== "-") {
      throw new UsageError(`unknown option ${a}`);
    } else if (user !== undefined) {
      throw new UsageError(`unexpected argument "${a}" (only one USER)`);
    } else {
      if (!isUserName(a)) {
        throw new UsageError("USER must be non-empty, without ':' or control characters");
      }
      user = a;
    }
  }
  return { user, cost, help };
}

/**
 * Runs `sluice hash-password` with the arguments after the subcommand name.
 *
 * @returns the exit code: 0 on success; 2 for bad usage (unknown option, cost
 * outside 4 to 15, empty or too long password, prompts that do not match);
 * 130 on Ctrl-C at a prompt; 1 when input cannot be read
 *
 * @example
 * ```ts
 * import { hashPasswordCommand } from "./hash_password.ts";
 * let out = "";
 * const code = await hashPasswordCommand(["alice", "--cost", "4"], {
 *   isTerminal: false,
 *   readStdin: () => Promise.resolve("s3cret\n"),
 *   write: (s) => out += s,
 * });
 * console.log(code, out); // 0 alice:$2b$04$...
 * ```
 */
export async function hashPasswordCommand(
  args: string[],
  io: HashPasswordIo = {},
): Promise<number> {
  const write = io.write ?? writeStdout;
  const writeErr = io.writeErr ?? writeStderr;
  const fail = (code: number, message: string): number => {
    writeErr(`sluice hash-password: ${message}\n`);
    return code;
  };

  let parsed: Parsed;
  try {
    parsed = parseArgs(args);
  } catch (e) {
    if (e instanceof UsageError) return fail(2, `${e.message} (see --help)`);
    throw e;
  }
  if (parsed.help) {
    write(HASH_PASSWORD_USAGE);
    return 0;
  }

  let password: string;
  try {
    if (io.isTerminal ?? Deno.stdin.isTerminal()) {
      const prompt = io.prompt ?? ((m: string) => promptHidden(m, writeErr));
      password = await prompt("Password: ");
      if (password !== "") {
        const again = await prompt("Retype password: ");
        if (again !== password) return fail(2, "passwords do not match");
      }
    } else {
      const text = await (io.readStdin ?? readStdinLine)();
      password = firstLine(text);
    }
  } catch (e) {
    if (e instanceof PromptInterrupted) return fail(130, "interrupted");
    return fail(1, `cannot read the password: ${e instanceof Error ? e.message : String(e)}`);
  }

  if (password === "") return fail(2, "empty password");
  if (new TextEncoder().encode(password).length > MAX_PASSWORD_BYTES) {
    return fail(2, `password longer than ${MAX_PASSWORD_BYTES} bytes (bcrypt ignores the rest)`);
  }
  const hash = await hashPassword(password, parsed.cost);
  write(parsed.user === undefined ? `${hash}\n` : `${parsed.user}:${hash}\n`);
  return 0;
}

/** The text up to the first line end, without `\n` or `\r\n`. */
function firstLine(text: string): string {
  const nl = text.indexOf("\n");
  const line = nl < 0 ? text : text.slice(0, nl);
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

function writeStdout(s: string): void {
  writeAll(Deno.stdout, s);
}

function writeStderr(s: string): void {
  writeAll(Deno.stderr, s);
}

function writeAll(w: { writeSync(p: Uint8Array): number }, s: string): void {
  let bytes = new TextEncoder().encode(s);
  while (bytes.length > 0) bytes = bytes.subarray(w.writeSync(bytes));
}

/** Reads standard input until the first line end or EOF; rejects bytes that are not UTF-8. */
async function readStdinLine(): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await Deno.stdin.read(buf);
    if (n === null) break;
    const chunk = buf.slice(0, n);
    chunks.push(chunk);
    if (chunk.includes(0x0a)) break;
  }
  const bytes = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

function promptHidden(message: string, writeErr: (s: string) => void): Promise<string> {
  writeErr(message);
  return readSecretLine(Deno.stdin, writeErr);
}

/** The part of `Deno.stdin` that {@linkcode readSecretLine} uses. */
export interface RawReader {
  /** Reads bytes, or `null` at EOF. */
  read(p: Uint8Array): Promise<number | null>;
  /** Turns the terminal's raw mode (no echo, no line editing) on or off. */
  setRaw(mode: boolean): void;
}

/**
 * Reads one line from a terminal in raw mode, so nothing is echoed, and
 * restores the mode afterwards even on error. Enter (CR or LF) or Ctrl-D
 * ends the line; Backspace removes the last character; Ctrl-C rejects with
 * {@linkcode PromptInterrupted}. Writes the newline the terminal did not echo.
 *
 * @example
 * ```ts ignore
 * import { readSecretLine } from "./hash_password.ts";
 * const password = await readSecretLine(Deno.stdin, (s) => console.error(s));
 * ```
 */
export async function readSecretLine(
  stdin: RawReader,
  writeErr: (s: string) => void,
): Promise<string> {
  const bytes: number[] = [];
  const buf = new Uint8Array(256);
  stdin.setRaw(true);
  try {
    read: for (;;) {
      const n = await stdin.read(buf);
      if (n === null) break;
      for (let i = 0; i < n; i++) {
        const b = buf[i];
        if (b === 0x0d || b === 0x0a || b === 0x04) break read;
        if (b === 0x03) throw new PromptInterrupted();
        if (b === 0x7f || b === 0x08) {
          // Drop one whole UTF-8 character: its continuation bytes, then its lead byte.
          while (bytes.length > 0 && (bytes[bytes.length - 1] & 0xc0) === 0x80) bytes.pop();
          bytes.pop();
        } else {
          bytes.push(b);
        }
      }
    }
  } finally {
    stdin.setRaw(false);
    writeErr("\n");
  }
  return new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes));
}

if (import.meta.main) Deno.exit(await hashPasswordCommand(Deno.args));
