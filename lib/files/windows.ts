/**
 * The windows file bodies are streamed through, kept for the next bodies:
 * 64 KiB ones, and for a body of 1 MiB or more a 1 MiB one while fewer than
 * {@linkcode MAX_BIG} are out. Each file read is a trip through Deno's
 * blocking thread pool, so larger reads cut the CPU per byte (10 MiB bodies
 * on one core: 7.3 ms of CPU each in 64 KiB reads, 3.9 ms in 1 MiB reads);
 * the cap bounds what that costs in memory whatever the number of downloads.
 *
 * @module
 */

import { DEFAULT_BUFFER_SIZE } from "../buffer.ts";

/** Size of the small windows (room for a head in front of 64 KiB of body). */
const SMALL = DEFAULT_BUFFER_SIZE + 1024;
/** Size of the big windows. */
export const BIG_WINDOW = 1024 * 1024 + 1024;
/** Most big windows out at once (8 MiB). */
export const MAX_BIG = 8;
/** Most small windows kept for reuse. */
const MAX_SPARE = 64;

const spare: Uint8Array[] = [];
const bigSpare: Uint8Array[] = [];
let bigOut = 0;

/** A window for a body of `count` bytes: a big one when it is long and one is free. */
export function takeWindow(count: number): Uint8Array {
  if (count >= BIG_WINDOW - 1024 && bigOut < MAX_BIG) {
    bigOut++;
    return bigSpare.pop() ?? new Uint8Array(BIG_WINDOW);
  }
  return spare.pop() ?? new Uint8Array(SMALL);
}

/** Hands back a window from {@linkcode takeWindow} once nothing refers to it. */
export function giveWindow(win: Uint8Array): void {
  if (win.length === BIG_WINDOW) {
    bigOut--;
    bigSpare.push(win);
  } else if (spare.length < MAX_SPARE) spare.push(win);
}
