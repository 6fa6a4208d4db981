/**
 * HTTP dates (RFC 9110 section 5.6.7): IMF-fixdate to send, and the three
 * formats a recipient must accept.
 *
 * @module
 */

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAY = "(Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const DAY_L = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
const MONTH = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";

/** `Sun, 06 Nov 1994 08:49:37 GMT` */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
/** `Sunday, 06-Nov-94 08:49:37 GMT` */
const RFC850_DATE = new RegExp(`^${DAY_L}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
/** `Sun Nov  6 08:49:37 1994` */
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`);

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/**
 * Formats a time as an IMF-fixdate, the form HTTP senders must use, at
 * one-second resolution (the milliseconds are dropped, not rounded).
 *
 * @throws {RangeError} when `ms` is not finite or its year is outside 0000-9999.
 *
 * @example
 * ```ts
 * import { httpDate } from "./http_date.ts";
 * httpDate(784111777_000); // "Sun, 06 Nov 1994 08:49:37 GMT"
 * ```
 */
export function httpDate(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const year = d.getUTCFullYear();
  if (!Number.isFinite(ms) || !(year >= 0 && year <= 9999)) {
    throw new RangeError(`Cannot format HTTP date: ${ms} is out of range`);
  }
  return `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate(), 2)} ${MONTHS[d.getUTCMonth()]} ` +
    `${pad(year, 4)} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:` +
    `${pad(d.getUTCSeconds(), 2)} GMT`;
}

/** Milliseconds for a UTC date and time, or null when a field is out of range. */
function toMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | null {
  if (hour > 23 || minute > 59 || second > 60) return null;
  const d = new Date(0);
  d.setUTCFullYear(year, month, day);
  if (d.getUTCDate() !== day || d.getUTCMonth() !== month) return null; // e.g. 31 Feb
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

/**
 * The four-digit year of an rfc850-date's two-digit year `yy`: the latest
 * year ending in those digits whose date (month `month`, day `day`) is not
 * more than 50 years after `nowMs` (RFC 9110 section 5.6.7).
 */
function fullYear(yy: number, month: number, day: number, nowMs: number): number {
  const limit = new Date(nowMs);
  limit.setUTCFullYear(limit.getUTCFullYear() + 50);
  let year = Math.floor(new Date(nowMs).getUTCFullYear() / 100) * 100 + yy + 100;
  const d = new Date(0);
  for (let tries = 0; tries < 2; tries++, year -= 100) {
    d.setUTCFullYear(year, month, day);
    if (d.getTime() <= limit.getTime()) return year;
  }
  return year;
}

/**
 * Parses an HTTP-date in any of its three forms: IMF-fixdate
 * (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete RFC 850 form
 * (`Sunday, 06-Nov-94 08:49:37 GMT`, whose two-digit year is read as the
 * latest such year not more than 50 years after `nowMs`) and the asctime
 * form (`Sun Nov  6 08:49:37 1994`). The grammar is followed exactly (names
 * are case-sensitive, spacing is fixed) apart from surrounding whitespace;
 * the day name is not checked against the date. Anything else, including a
 * list of dates or an impossible date such as 31 Feb, gives null.
 *
 * @example
 * ```ts
 * import { parseHttpDate } from "./http_date.ts";
 * parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"); // 784111777000
 * parseHttpDate("Sun Nov  6 08:49:37 1994"); // 784111777000
 * parseHttpDate("yesterday"); // null
 * ```
 */
export function parseHttpDate(value: string, nowMs: number = Date.now()): number | null {
  const s = value.replace(/^[ \t]+|[ \t]+$/g, "");
  let m = IMF_FIXDATE.exec(s);
  if (m) {
    return toMs(Number(m[4]), MONTHS.indexOf(m[3]), Number(m[2]), +m[5], +m[6], +m[7]);
  }
  m = RFC850_DATE.exec(s);
  if (m) {
    const month = MONTHS.indexOf(m[2]);
    const year = fullYear(Number(m[3]), month, Number(m[1]), nowMs);
    return toMs(year, month, Number(m[1]), +m[4], +m[5], +m[6]);
  }
  m = ASCTIME_DATE.exec(s);
  if (m) {
    return toMs(Number(m[7]), MONTHS.indexOf(m[2]), Number(m[3]), +m[4], +m[5], +m[6]);
  }
  return null;
}
