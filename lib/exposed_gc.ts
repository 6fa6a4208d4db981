/**
 * The full garbage collection that `--expose-gc` (in the serve and compile
 * tasks) installs as `globalThis.gc`, for the two places that ask for one:
 * the idle-time memory reclaimer and the cache after heavy eviction.
 *
 * @module
 */

/**
 * `globalThis.gc` when `--expose-gc` was given, else `null`.
 *
 * @example
 * ```ts
 * import { exposedGc } from "./exposed_gc.ts";
 * exposedGc()?.(); // a full collection, if allowed
 * ```
 */
export function exposedGc(): (() => void) | null {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === "function" ? gc as () => void : null;
}
