/**
 * Copies of parsed field blocks that outlive the read buffer they came from,
 * carved from shared slabs: one `ArrayBuffer` serves about a hundred heads
 * instead of one each (a `slice` per head was 3% of the busy time of a 1 KiB
 * keep-alive exchange).
 *
 * @module
 */

/** Size of the slabs parsed field blocks are copied into. */
const SLAB_SIZE = 32 * 1024;
/** A block this large gets an array of its own. */
const OWN_BLOCK = 4 * 1024;
let slab = new Uint8Array(SLAB_SIZE);
let slabUsed = 0;

/** Where {@linkcode keep} put its last copy: the array, and the offset of the copy in it. */
export const kept: { bytes: Uint8Array; at: number } = { bytes: slab, at: 0 };

/**
 * Copies `bytes[start..end)` so that it outlives the read buffer it came
 * from, and says where in {@linkcode kept} (no view is made: the caller keeps
 * offsets). Small blocks are carved from a shared slab, never reused: a new
 * slab comes when one is full, and the old one is freed once nothing points
 * into it. One `ArrayBuffer` serves about a hundred heads instead of one each.
 */
export function keep(bytes: Uint8Array, start: number, end: number): void {
  const n = end - start;
  if (n > OWN_BLOCK) {
    kept.bytes = bytes.slice(start, end);
    kept.at = 0;
    return;
  }
  if (slabUsed + n > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  const at = slabUsed;
  slabUsed += n;
  // a short block (a request's few fields) by a loop: no view to make
  if (n <= 64) { for (let k = 0; k < n; k++) slab[at + k] = bytes[start + k]; }
  else slab.set(bytes.subarray(start, end), at);
  kept.bytes = slab;
  kept.at = at;
}

/**
 * A copy of `bytes[start..end)` that outlives the read buffer it came from
 * ({@linkcode keep}, as a view of its own).
 *
 * @example
 * ```ts
 * import { keepBytes } from "./field_slab.ts";
 * const src = new Uint8Array([1, 2, 3, 4]);
 * const copy = keepBytes(src, 1, 3);
 * src.fill(0);
 * console.log(copy); // Uint8Array(2) [ 2, 3 ]
 * ```
 */
export function keepBytes(bytes: Uint8Array, start: number, end: number): Uint8Array {
  keep(bytes, start, end);
  return kept.bytes.subarray(kept.at, kept.at + end - start);
}
