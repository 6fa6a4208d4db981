/**
 * The proxy's clock, read once per turn of the event loop (nginx's cached
 * time): the first read in a turn asks the runtime (`performance.now()`, an
 * op), later reads in the same turn get the same value. Deadlines, exchange
 * timings and idle times need milliseconds, not nanoseconds, and a 1 KiB
 * keep-alive exchange used to make about seven clock ops.
 *
 * @module
 */

let cached = -1;

function invalidate(): void {
  cached = -1;
}

/**
 * Milliseconds on the monotonic clock (`performance.now()`), cached until
 * the current microtask checkpoint ends.
 *
 * @example
 * ```ts
 * import { now } from "./clock.ts";
 * const t0 = now();
 * console.log(now() === t0); // true: the same turn
 * ```
 */
export function now(): number {
  if (cached < 0) {
    cached = performance.now();
    queueMicrotask(invalidate);
  }
  return cached;
}
