/**
 * Event-loop lag: a 100 ms timer that notes how late each tick fires. The
 * largest lateness since the last reading is what `/metrics` reports (a
 * single long task shows, however short the scrape interval).
 *
 * @module
 */

/**
 * The lag meter (started only with the admin listener).
 *
 * @example
 * ```ts
 * import { LagMeter } from "./lag_meter.ts";
 * const m = new LagMeter();
 * m.start();
 * m.take(); // seconds, 0 at first
 * m.stop();
 * ```
 */
export class LagMeter {
  readonly #periodMs: number;
  #timer: ReturnType<typeof setInterval> | null = null;
  #expected = 0;
  #max = 0;

  /** A meter ticking every `periodMs` (default 100). */
  constructor(periodMs = 100) {
    this.#periodMs = periodMs;
  }

  /** Starts ticking (the timer does not keep the process alive). */
  start(): void {
    if (this.#timer !== null) return;
    this.#expected = performance.now() + this.#periodMs;
    this.#timer = setInterval(() => {
      const now = performance.now();
      this.note(now - this.#expected);
      this.#expected = now + this.#periodMs;
    }, this.#periodMs);
    Deno.unrefTimer(this.#timer);
  }

  /** Stops ticking. */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Records one tick `lateMs` late (negative counts as 0). */
  note(lateMs: number): void {
    if (lateMs > this.#max) this.#max = lateMs;
  }

  /** The largest lateness since the last call, in seconds; resets it. */
  take(): number {
    const s = this.#max / 1000;
    this.#max = 0;
    return Math.round(s * 1e6) / 1e6;
  }
}
