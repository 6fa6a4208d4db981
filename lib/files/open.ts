/**
 * The file server's only file-system code: find what a resolved path names
 * under the root (following a symlink only when its real path stays inside
 * the root's real path), refuse anything but regular files and folders
 * before opening it (a FIFO would block the open, a device must never be
 * read), list a folder, and open a file for reading.
 *
 * A small settled file is kept in memory by the open-file cache
 * (file_cache.ts): while its entry is fresh, `find` answers it from the cache
 * and `openBody` reads it from there, with no file-system call. Anything
 * else (a folder, a large or recently changed file) is resolved, checked and
 * opened afresh on every request, so the symlink, dotfile and FIFO checks
 * always come right before the open.
 *
 * @module
 */

import { ProxyError } from "../errors.ts";
import { FileCache, type FileStamp, stampOf } from "./file_cache.ts";
import { notFound } from "./resolve.ts";

export { notFound };

/** A regular file found under the root. */
export interface FoundFile {
  /** Its real path. */
  real: string;
  /** Size in bytes. */
  size: number;
  /** Last modification (ms since the epoch). */
  mtimeMs: number;
  /** Its whole content, when the open-file cache holds it. */
  body?: Uint8Array | null;
}

/** What a file's body is read from: the open file, or the cache's copy of a small one. */
export interface BodyReader {
  /** Moves to `offset` from the start. */
  seek(offset: number, whence: Deno.SeekMode.Start): Promise<number>;
  /** Reads into `p`; the count read, or `null` at the end. */
  read(p: Uint8Array): Promise<number | null>;
  /** Closes the file (nothing for bytes in memory). */
  close(): void;
}

/** The process's open-file cache (one per worker). */
export const fileCache: FileCache = new FileCache();

/** What a path names under the root. */
export type Found =
  | { kind: "file"; file: FoundFile }
  | { kind: "directory"; real: string };

/** One entry of a folder listing. */
export interface DirEntry {
  /** The entry's name. */
  name: string;
  /** Whether it is a folder (after following a symlink). */
  isDirectory: boolean;
  /** Size in bytes (0 for a folder). */
  size: number;
  /** Last modification (ms since the epoch). */
  mtimeMs: number;
}

/** Most entries a listing shows (a folder of a million files must not stall the loop). */
export const MAX_LISTING = 10_000;

/** 403: there, but not to be served. */
export function forbidden(path: string, why: string): ProxyError {
  return new ProxyError(403, "forbidden", `Forbidden: ${path}: ${why}`);
}

/** Whether `real` is `root` itself or inside it, and no part of it below the root is a dotfile. */
export function insideRoot(root: string, real: string): boolean {
  if (real === root) return true;
  const prefix = root.endsWith("/") ? root : root + "/";
  if (!real.startsWith(prefix)) return false;
  return !real.slice(prefix.length).split("/").some((s) => s.startsWith("."));
}

function mapError(err: unknown, path: string): ProxyError {
  if (err instanceof ProxyError) return err;
  if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
    return notFound(path);
  }
  if (err instanceof Deno.errors.PermissionDenied) {
    return forbidden(path, "the file system does not let sluice read it");
  }
  if (err instanceof Deno.errors.NotCapable) {
    return forbidden(path, "outside what the Deno sandbox lets sluice read");
  }
  // ELOOP (a symlink cycle), ENAMETOOLONG and the like: nothing to serve
  return notFound(path);
}

/**
 * Finds what `segments` (decoded, checked by resolve.ts) name under
 * `rootReal`. `shown` is the URL path for messages.
 *
 * @throws {ProxyError} 404 `not-found` (missing, a symlink leaving the root, a
 * FIFO, socket or device), 403 `forbidden` (no permission).
 */
export async function find(
  rootReal: string,
  segments: readonly string[],
  shown: string,
  cache: FileCache = fileCache,
): Promise<Found> {
  const joined = segments.length === 0 ? rootReal : `${rootReal}/${segments.join("/")}`;
  const cachedReal = cache.realPath(joined);
  if (cachedReal !== undefined && insideRoot(rootReal, cachedReal)) {
    const e = cache.fresh(cachedReal);
    if (e?.body) {
      const { size, mtimeMs } = e.stamp;
      return { kind: "file", file: { real: cachedReal, size, mtimeMs, body: e.body } };
    }
  }
  let real: string | undefined;
  try {
    real = await Deno.realPath(joined);
    if (!insideRoot(rootReal, real)) throw notFound(shown);
    const info = await Deno.stat(real);
    if (!info.isDirectory && !info.isFile) throw notFound(shown);
    const e = cache.update(real, info.isDirectory, stampOf(info));
    if (info.isDirectory) return { kind: "directory", real };
    if (e.body) cache.setRealPath(joined, real);
    const file = { real, size: info.size, mtimeMs: e.stamp.mtimeMs, body: e.body };
    return { kind: "file", file };
  } catch (err) {
    if (real !== undefined) cache.delete(real);
    throw mapError(err, shown);
  }
}

/** The entries of a folder (at most {@linkcode MAX_LISTING}), dotfiles left out. */
export async function listDirectory(real: string, shown: string): Promise<DirEntry[]> {
  const out: DirEntry[] = [];
  try {
    for await (const e of Deno.readDir(real)) {
      if (e.name.startsWith(".")) continue;
      if (out.length >= MAX_LISTING) break;
      let isDirectory = e.isDirectory;
      let size = 0;
      let mtimeMs = 0;
      try {
        const info = await Deno.stat(`${real}/${e.name}`);
        isDirectory = info.isDirectory;
        size = info.isFile ? info.size : 0;
        mtimeMs = info.mtime?.getTime() ?? 0;
      } catch {
        // a dangling symlink: listed with what readDir knows
      }
      out.push({ name: e.name, isDirectory, size, mtimeMs });
    }
  } catch (err) {
    throw mapError(err, shown);
  }
  return out;
}

/**
 * Opens a found file for reading and takes its size and time from the open
 * file itself (what will be read), checking it is still a regular file.
 */
export async function openFile(
  real: string,
  shown: string,
): Promise<{ f: Deno.FsFile; size: number; mtimeMs: number; stamp: FileStamp }> {
  let f: Deno.FsFile;
  try {
    f = await Deno.open(real, { read: true });
  } catch (err) {
    throw mapError(err, shown);
  }
  try {
    const info = await f.stat();
    if (!info.isFile) throw notFound(shown);
    const stamp = stampOf(info);
    return { f, size: stamp.size, mtimeMs: stamp.mtimeMs, stamp };
  } catch (err) {
    f.close();
    throw mapError(err, shown);
  }
}

/** A body held in memory, read like a file. */
class BytesReader implements BodyReader {
  readonly #bytes: Uint8Array;
  #pos = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  seek(offset: number): Promise<number> {
    this.#pos = Math.min(offset, this.#bytes.length);
    return Promise.resolve(this.#pos);
  }

  read(p: Uint8Array): Promise<number | null> {
    const n = Math.min(p.length, this.#bytes.length - this.#pos);
    if (n === 0 && p.length > 0) return Promise.resolve(null);
    p.set(this.#bytes.subarray(this.#pos, this.#pos + n));
    this.#pos += n;
    return Promise.resolve(n);
  }

  close(): void {}
}

/**
 * Opens what `file` (as `find` returned it) is read from: the cache's bytes
 * when it holds them, else the file, with its size and time taken from the
 * open file itself. A small settled file opened here is read whole into the
 * cache, so the next requests for it do not touch the disk.
 */
export async function openBody(
  file: FoundFile,
  shown: string,
  cache: FileCache = fileCache,
): Promise<{ f: BodyReader; size: number; mtimeMs: number }> {
  if (file.body) return { f: new BytesReader(file.body), size: file.size, mtimeMs: file.mtimeMs };
  const opened = await openFile(file.real, shown);
  const { f, stamp } = opened;
  if (!cache.wantsBody(stamp)) return opened;
  try {
    const bytes = new Uint8Array(stamp.size);
    let n = 0;
    while (n < bytes.length) {
      const got = await f.read(bytes.subarray(n));
      if (got === null) break;
      n += got;
    }
    if (n < bytes.length) {
      await f.seek(0, Deno.SeekMode.Start); // shorter than its stat: let the stream tell
      return opened;
    }
    cache.setBody(file.real, stamp, bytes);
    f.close();
    return { f: new BytesReader(bytes), size: stamp.size, mtimeMs: stamp.mtimeMs };
  } catch (err) {
    f.close();
    throw mapError(err, shown);
  }
}
