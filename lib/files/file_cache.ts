/**
 * An open-file cache for the file server, in the manner of nginx's
 * `open_file_cache`: what a path under the root resolved to, and each real
 * path's kind, size, times and (for a small file) its bytes, trusted for
 * `validMs` after the stat that produced them and re-checked by one stat
 * after that. A cached small file is served from memory with no file-system
 * call at all; a changed file is noticed at the first request after
 * `validMs`, so no stale byte goes out later than that.
 *
 * Sans-io: the caller does the `realPath`, `stat` and read and hands the
 * results over; the clock is injected.
 *
 * Bytes are kept only for a file whose last change is at least `settleMs`
 * old: a write within the same clock tick as the stat (a second, for the
 * ctime Deno reports) could leave size and times unchanged (the "racy clean"
 * case), so a file being written is read from disk until it settles.
 *
 * @module
 */

/** What identifies a version of a file: a change to its content changes one of these. */
export interface FileStamp {
  /** Size in bytes. */
  size: number;
  /** Last modification (ms since the epoch). */
  mtimeMs: number;
  /** Last status change (ms since the epoch; moves on any write, rename, chmod), or 0. */
  ctimeMs: number;
  /** Inode number (a replaced file has another), or 0. */
  ino: number;
}

/** What the cache knows of one real path. */
export interface CachedFile {
  /** Whether it is a folder (else a regular file). */
  readonly directory: boolean;
  /** Its stamp when last checked. */
  readonly stamp: FileStamp;
  /** The whole content of a small settled file, or `null`. */
  readonly body: Uint8Array | null;
}

/** Limits and clock of a {@linkcode FileCache}. */
export interface FileCacheOptions {
  /** How long a resolution or stat is trusted (ms); 0 turns the cache off. Default 100. */
  validMs?: number;
  /** Largest file whose bytes are kept. Default 64 KiB. */
  maxFileBytes?: number;
  /** Most bytes kept over all files. Default 16 MiB. */
  maxBytes?: number;
  /** Most paths and most files remembered (each). Default 10,000. */
  maxEntries?: number;
  /** How old a file's last change must be for its bytes to be kept (ms). Default 1000. */
  settleMs?: number;
  /** The clock (ms since the epoch, the file system's time base). Default `Date.now`. */
  now?: () => number;
}

/** Deno reports ctime in whole seconds: a change may be up to this much later than it says. */
const CTIME_GRAIN = 1000;

interface FileEntry {
  directory: boolean;
  stamp: FileStamp;
  body: Uint8Array | null;
  checkedAt: number;
}

interface PathEntry {
  real: string;
  checkedAt: number;
}

/** Whether two stamps describe the same version of a file. */
export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs &&
    a.ino === b.ino;
}

/** The stamp of a `Deno.stat` result. */
export function stampOf(info: Deno.FileInfo): FileStamp {
  return {
    size: info.size,
    mtimeMs: info.mtime?.getTime() ?? 0,
    ctimeMs: info.ctime?.getTime() ?? 0,
    ino: info.ino ?? 0,
  };
}

/**
 * Paths, stats and small files' bytes, each trusted for `validMs`, least
 * recently used dropped first.
 *
 * @example
 * ```ts
 * import { FileCache } from "./file_cache.ts";
 * let t = 10_000;
 * const cache = new FileCache({ now: () => t });
 * const stamp = { size: 2, mtimeMs: 1000, ctimeMs: 1000, ino: 7 };
 * cache.update("/srv/a.txt", false, stamp);
 * cache.setBody("/srv/a.txt", stamp, new TextEncoder().encode("hi"));
 * cache.fresh("/srv/a.txt")?.body?.length; // 2
 * t += 1000;
 * cache.fresh("/srv/a.txt"); // undefined: stat it again, then update()
 * ```
 */
export class FileCache {
  readonly #validMs: number;
  readonly #maxFileBytes: number;
  readonly #maxBytes: number;
  readonly #maxEntries: number;
  readonly #settleMs: number;
  readonly #now: () => number;
  readonly #files = new Map<string, FileEntry>();
  readonly #paths = new Map<string, PathEntry>();
  #bytes = 0;

  /** Creates an empty cache. */
  constructor(options: FileCacheOptions = {}) {
    this.#validMs = options.validMs ?? 100;
    this.#maxFileBytes = options.maxFileBytes ?? 64 * 1024;
    this.#maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#settleMs = options.settleMs ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  /** Bytes of file content held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Real paths remembered. */
  get files(): number {
    return this.#files.size;
  }

  /** Request paths remembered. */
  get paths(): number {
    return this.#paths.size;
  }

  /** The real path `path` resolved to less than `validMs` ago, if any. */
  realPath(path: string): string | undefined {
    const e = this.#paths.get(path);
    if (e === undefined) return undefined;
    if (this.#now() - e.checkedAt >= this.#validMs) {
      this.#paths.delete(path);
      return undefined;
    }
    return e.real;
  }

  /** Remembers that `path` resolves to `real` (which the caller found acceptable). */
  setRealPath(path: string, real: string): void {
    if (this.#validMs <= 0) return;
    this.#paths.delete(path);
    this.#paths.set(path, { real, checkedAt: this.#now() });
    if (this.#paths.size > this.#maxEntries) {
      this.#paths.delete(this.#paths.keys().next().value!);
    }
  }

  /** What is known of `real` if it was checked less than `validMs` ago (and marks it used). */
  fresh(real: string): CachedFile | undefined {
    const e = this.#files.get(real);
    if (e === undefined || this.#now() - e.checkedAt >= this.#validMs) return undefined;
    this.#files.delete(real);
    this.#files.set(real, e);
    return e;
  }

  /**
   * Records a stat of `real` made just now: the bytes held stay when the
   * stamp is the same, and are dropped when it is not.
   */
  update(real: string, directory: boolean, stamp: FileStamp): CachedFile {
    const old = this.#files.get(real);
    const keep = old !== undefined && old.directory === directory && sameStamp(old.stamp, stamp);
    const body = keep ? old.body : null;
    if (old !== undefined) this.delete(real);
    const e: FileEntry = { directory, stamp, body, checkedAt: this.#now() };
    if (this.#validMs <= 0) return e;
    this.#files.set(real, e);
    if (body !== null) this.#bytes += body.length;
    this.#evict();
    return e;
  }

  /** Whether the bytes of a file with `stamp` are worth reading into the cache. */
  wantsBody(stamp: FileStamp): boolean {
    return this.#validMs > 0 && stamp.size <= this.#maxFileBytes &&
      stamp.size <= this.#maxBytes &&
      this.#now() - Math.max(stamp.mtimeMs, stamp.ctimeMs + CTIME_GRAIN) >= this.#settleMs;
  }

  /**
   * Keeps `body`, read from `real` while it had `stamp`, if the cache still
   * holds that version of `real` and wants its bytes; returns whether it did.
   */
  setBody(real: string, stamp: FileStamp, body: Uint8Array): boolean {
    const e = this.#files.get(real);
    if (
      e === undefined || e.directory || e.body !== null || !sameStamp(e.stamp, stamp) ||
      body.length !== stamp.size || !this.wantsBody(stamp)
    ) return false;
    e.body = body;
    this.#files.delete(real); // most recently used
    this.#files.set(real, e);
    this.#bytes += body.length;
    this.#evict();
    return this.#files.get(real) === e;
  }

  /** Forgets `real` (e.g. after its stat failed). */
  delete(real: string): void {
    const e = this.#files.get(real);
    if (e === undefined) return;
    if (e.body !== null) this.#bytes -= e.body.length;
    this.#files.delete(real);
  }

  /** Forgets everything. */
  clear(): void {
    this.#files.clear();
    this.#paths.clear();
    this.#bytes = 0;
  }

  /** Drops the least recently used files until both bounds hold. */
  #evict(): void {
    while (this.#bytes > this.#maxBytes || this.#files.size > this.#maxEntries) {
      const oldest = this.#files.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }
}
