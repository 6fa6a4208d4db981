/**
 * Every spelling of a loopback destination a client may put in a request
 * target, raw (curl and browsers rewrite some before sending): IP literals,
 * the unspecified addresses (a connect to them reaches loopback), numeric
 * forms that only getaddrinfo understands, IPv4-mapped IPv6, and names with
 * a trailing dot or in upper case. Shared by the unit tables (policy, self
 * addresses) and the end-to-end test.
 *
 * @module
 */

/** How a spelling reaches the proxy's rules. */
export type SpellingKind =
  /** An IP literal, decided before DNS. */
  | "literal"
  /** A name to the target parser that getaddrinfo reads as an address (`127.1`). */
  | "numeric"
  /** The name `localhost` in some spelling. */
  | "localhost";

/** One spelling of a loopback destination. */
export interface Spelling {
  /** The host as written in the request target (IPv6 in brackets). */
  host: string;
  /** The loopback it reaches: 4 for 127.0.0.1, 6 for ::1. */
  family: 4 | 6;
  /** How it is decided. */
  kind: SpellingKind;
}

const v4 = (host: string, kind: SpellingKind = "literal"): Spelling => ({ host, family: 4, kind });
const v6 = (host: string): Spelling => ({ host, family: 6, kind: "literal" });

/** The table. */
export const SPELLINGS: readonly Spelling[] = [
  v4("127.0.0.1"),
  v4("127.0.0.1."),
  v4("0.0.0.0"),
  v4("0.0.0.0."),
  v4("[::ffff:127.0.0.1]"),
  v4("[::ffff:7f00:1]"),
  v4("[::FFFF:7F00:1]"),
  v4("[::ffff:0.0.0.0]"),
  v4("[::ffff:0:0]"),
  v4("0", "numeric"),
  v4("127.1", "numeric"),
  v4("127.1.", "numeric"),
  v4("2130706433", "numeric"),
  v4("0x7f000001", "numeric"),
  v4("0x7F000001", "numeric"),
  v4("0177.0.0.1", "numeric"),
  v4("0x7f.1", "numeric"),
  v4("localhost", "localhost"),
  v4("localhost.", "localhost"),
  v4("LOCALHOST", "localhost"),
  v4("LocalHost.", "localhost"),
  v6("[::1]"),
  v6("[0:0:0:0:0:0:0:1]"),
  v6("[::0:1]"),
  v6("[::]"),
  v6("[0::0]"),
];

/** `http://HOST:PORT/` for a spelling. */
export function spelledUrl(s: Spelling, port: number): string {
  return `http://${s.host}:${port}/`;
}
