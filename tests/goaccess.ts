/**
 * GoAccess's COMBINED log format as regular expressions, for tests of the
 * `combined` access log: GoAccess reads it as
 * `%h %^[%d:%t %^] "%r" %s %b "%R" "%u"` with date `%d/%b/%Y` and time
 * `%H:%M:%S`; `%^` skips up to the next delimiter, `%r` is
 * `METHOD URL PROTOCOL`, `%b` digits or `-`.
 *
 * @module
 */

/** One combined line: host, date, time, request, status, bytes, referer, agent. */
export const GOACCESS_COMBINED =
  /^(?<host>\S+) [^[]*\[(?<date>\d{2}\/[A-Z][a-z]{2}\/\d{4}):(?<time>\d{2}:\d{2}:\d{2})[^\]]*\] "(?<request>[^"]*)" (?<status>\d{3}) (?<bytes>\d+|-) "(?<referer>[^"]*)" "(?<agent>[^"]*)"$/;

/** The `%r` field: method, URL, protocol. */
export const GOACCESS_REQUEST = /^(?<method>[A-Z]+) (?<url>\S+) (?<protocol>HTTP\/\d\.\d)$/;

/**
 * The named groups of a combined line, or `null` when GoAccess would not
 * parse it.
 *
 * @example
 * ```ts
 * import { parseCombined } from "./goaccess.ts";
 * parseCombined('::1 - - [30/Nov/2026:14:01:02 +0000] "GET / HTTP/1.1" 200 5 "-" "-"')?.status; // "200"
 * ```
 */
export function parseCombined(line: string): Record<string, string> | null {
  const m = GOACCESS_COMBINED.exec(line);
  return m?.groups ? { ...m.groups } : null;
}
