/**
 * Reading one option value: the parsers of ports, seconds, counts, listen
 * addresses, tokens and file names, and the error that names where a bad
 * value was given (`Invalid --pool-max "x": ...` or `sluice.jsonc:3:15:
 * "pool-max": ...`). Pure.
 *
 * @module
 */

import { RuleError } from "./policy/rule.ts";
import {
  ACCESS_LOG_FORMATS,
  type AccessLogFormat,
  ConfigError,
  ConfigFileError,
  LOG_LEVELS,
  type LogLevel,
  type RawUse,
} from "./config_options.ts";

/** A listen address. */
export interface ListenAddress {
  /** Host or IP literal (IPv6 without brackets). */
  hostname: string;
  /** Port. */
  port: number;
}

/** A value's problem, before it is known where the value came from. */
export class Problem extends Error {}

/** Throws a {@linkcode Problem}. */
export function fail(problem: string): never {
  throw new Problem(problem);
}

/** The error for a bad value, naming the flag or the file place it came from. */
export function useError(use: RawUse, problem: string): ConfigError {
  return use.file
    ? new ConfigFileError(`${use.where}: ${problem}`)
    : new ConfigError(`Invalid ${use.where} "${use.value}": ${problem}`);
}

/** Applies `parse` to a use's value; a problem becomes an error naming the flag or file key. */
export function read<T>(use: RawUse, parse: (s: string) => T): T {
  try {
    return parse(String(use.value));
  } catch (err) {
    if (err instanceof Problem || err instanceof RuleError) throw useError(use, err.message);
    throw err;
  }
}

/** A port number 0-65535. */
export function parsePort(s: string, what = ""): number {
  if (!/^[0-9]{1,5}$/.test(s) || Number(s) > 65535) {
    fail(`${what}expected a number from 0 to 65535`);
  }
  return Number(s);
}

/** Seconds (a number >= 0) as milliseconds. */
export function parseSeconds(s: string): number {
  const n = Number(s);
  if (s.trim() === "" || !Number.isFinite(n) || n < 0) fail("expected seconds (a number >= 0)");
  return Math.round(n * 1000);
}

/**
 * Reads a size in bytes: a whole number with an optional binary unit
 * (`k`/`KiB`, `M`/`MiB`, `G`/`GiB`, case-insensitive; `KB` means KiB too).
 */
export function parseBytes(s: string): number {
  const m = /^(\d+)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(s.trim());
  if (!m) fail(`expected a size in bytes such as 65536, 64KiB or 64MiB`);
  const unit = (m[2] ?? "b").toLowerCase()[0];
  const n = Number(m[1]) *
    (unit === "g" ? 1 << 30 : unit === "m" ? 1 << 20 : unit === "k" ? 1024 : 1);
  if (!Number.isSafeInteger(n)) fail(`too large`);
  return n;
}

/** Reads an access log format: text, json or combined. */
export function parseAccessLogFormat(s: string): AccessLogFormat {
  if (!(ACCESS_LOG_FORMATS as readonly string[]).includes(s)) {
    fail(`expected one of ${ACCESS_LOG_FORMATS.join(", ")}`);
  }
  return s as AccessLogFormat;
}

/** Reads the admin listener's HOST:PORT (a port is required). */
export function parseAdminListen(s: string): ListenAddress {
  if (!/:\d+$/.test(s.trim())) fail("expected HOST:PORT with a port, such as 127.0.0.1:9090");
  return listenAddress(s, 0);
}

/** A parser of whole numbers >= `min`. */
export function parseCount(min: number): (s: string) => number {
  return (s) => {
    if (!/^[0-9]{1,9}$/.test(s) || Number(s) < min) fail(`expected a whole number >= ${min}`);
    return Number(s);
  };
}

/** The port of a listen address. */
export function listenPort(s: string): number {
  return parsePort(s, `port "${s}": `);
}

/** `HOST[:PORT]`, `[V6]:PORT`, a bare IPv6 literal or a bare PORT. */
export function listenAddress(s: string, defaultPort: number): ListenAddress {
  if (s.startsWith("[")) {
    const close = s.indexOf("]");
    if (close < 0) fail("unclosed [");
    const rest = s.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) fail("expected [IPV6] or [IPV6]:PORT");
    return { hostname: s.slice(1, close), port: rest ? listenPort(rest.slice(1)) : defaultPort };
  }
  const colons = s.split(":").length - 1;
  if (colons > 1) return { hostname: s, port: defaultPort };
  if (colons === 1) {
    const [host, port] = s.split(":");
    return { hostname: host || "0.0.0.0", port: listenPort(port) };
  }
  if (s === "") fail("expected HOST[:PORT]");
  if (/^[0-9]+$/.test(s)) return { hostname: "127.0.0.1", port: listenPort(s) };
  return { hostname: s, port: defaultPort };
}

/** A comma-separated port list, or `*` (null) for any. */
export function parseConnectPorts(s: string): Set<number> | null {
  if (s.trim() === "*") return null;
  const ports = new Set<number>();
  for (const part of s.split(",").map((p) => p.trim())) {
    if (!/^[0-9]{1,5}$/.test(part) || Number(part) < 1 || Number(part) > 65535) {
      fail(`entry "${part}": expected a port from 1 to 65535, or "*" alone for any`);
    }
    ports.add(Number(part));
  }
  return ports;
}

/** One of the log levels. */
export function parseLogLevel(s: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(s)) {
    fail(`expected one of ${LOG_LEVELS.join(", ")}`);
  }
  return s as LogLevel;
}

/** An HTTP token of 1 to 64 characters (`--via-name`). */
export function parseToken(s: string): string {
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(s)) {
    fail("expected a token: 1 to 64 of A-Z a-z 0-9 ! # $ % & ' * + . ^ _ ` | ~ -");
  }
  return s;
}

/** A realm: printable ASCII without quotes or backslashes. */
export function parseRealm(s: string): string {
  if (!/^[\x20-\x7e]{1,128}$/.test(s) || /["\\]/.test(s)) {
    fail('expected 1 to 128 printable ASCII characters without " or \\');
  }
  return s;
}

/** A non-empty file name. */
export function parseFileName(s: string): string {
  if (s === "") fail("expected a file name");
  return s;
}
