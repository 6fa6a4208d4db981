/** Builders shared by the cache tests. */

import { HeaderList } from "../../lib/http1/headers.ts";
import { httpDate } from "../../lib/files/http_date.ts";
import { createEntry, type StoredResponse } from "../../lib/cache/entry.ts";

/** A fixed "now" for the origin: 2024-01-01T00:00:00Z. */
export const T0 = Date.UTC(2024, 0, 1);

/** A header value as the cache-tests suite writes it: a number is seconds from T0 as an HTTP-date. */
export type Field = [string, string | number];

/** A HeaderList of `fields`, numbers turned into dates relative to `T0`. */
export function headers(...fields: Field[]): HeaderList {
  const h = new HeaderList();
  for (const [n, v] of fields) h.append(n, typeof v === "number" ? httpDate(T0 + v * 1000) : v);
  return h;
}

/** An entry stored from a response received at T0 (request sent at T0). */
export function entry(
  fields: Field[],
  opts: { status?: number; req?: Field[]; at?: number; bodyLength?: number } = {},
): StoredResponse {
  const at = opts.at ?? T0;
  return createEntry(
    { headers: headers(...(opts.req ?? [])) },
    { status: opts.status ?? 200, reason: "OK", headers: headers(...fields) },
    { requestTime: at, responseTime: at, bodyLength: opts.bodyLength ?? 10 },
  );
}

/** Milliseconds `s` seconds after T0. */
export function at(s: number): number {
  return T0 + s * 1000;
}
