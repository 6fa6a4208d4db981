/**
 * Views of byte ranges, remembered: the hot path asks for the same few ranges
 * of the same arrays on every exchange (the unread head in a read buffer, the
 * head and body to write, a head just built), and each `subarray` is an
 * allocation and a builtin call.
 *
 * @module
 */

/** A view of no store: what a {@linkcode ViewCache} starts from. */
const NO_VIEW: Uint8Array = new Uint8Array(0);

/**
 * The last two views made, each with its array and range, answered again for
 * the same range of the same array.
 *
 * @example
 * ```ts
 * import { ViewCache } from "./view_cache.ts";
 * const bytes = new Uint8Array(16);
 * const views = new ViewCache();
 * const a = views.get(bytes, 0, 4);
 * console.log(views.get(bytes, 0, 4) === a); // true
 * ```
 */
export class ViewCache {
  #view0 = NO_VIEW;
  #of0 = NO_VIEW;
  #start0 = 0;
  #end0 = 0;
  #view1 = NO_VIEW;
  #of1 = NO_VIEW;
  #start1 = 0;
  #end1 = 0;

  /** Forgets every view (and so the arrays they are of). */
  clear(): void {
    this.#view0 =
      this.#of0 =
      this.#view1 =
      this.#of1 =
        NO_VIEW;
  }

  /** `bytes.subarray(start, end)`, or the same view made for it lately. */
  get(bytes: Uint8Array, start: number, end: number): Uint8Array {
    if (this.#of0 === bytes && this.#start0 === start && this.#end0 === end) return this.#view0;
    if (this.#of1 === bytes && this.#start1 === start && this.#end1 === end) return this.#view1;
    this.#view1 = this.#view0;
    this.#of1 = this.#of0;
    this.#start1 = this.#start0;
    this.#end1 = this.#end0;
    this.#of0 = bytes;
    this.#start0 = start;
    this.#end0 = end;
    return this.#view0 = bytes.subarray(start, end);
  }
}
