/**
 * The file server's only file-system code: find what a resolved path names
 * under the root (following a symlink only when its real path stays inside
 * the root's real path), refuse anything but regular files and folders
 * before opening it (a FIFO would block the open, a device must never be
 * read), list a folder, and open a file for reading.
 *
 * @module
 */

import { ProxyError } from "../errors.ts";
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
}

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
export async function find(rootReal: string, segments: readonly string[], shown: string) {
  const joined = segments.length === 0 ? rootReal : `${rootReal}/${segments.join("/")}`;
  try {
    const real = await Deno.realPath(joined);
    if (!insideRoot(rootReal, real)) throw notFound(shown);
    const info = await Deno.stat(real);
    if (info.isDirectory) return { kind: "directory", real } as Found;
    if (!info.isFile) throw notFound(shown);
    return {
      kind: "file",
      file: { real, size: info.size, mtimeMs: info.mtime?.getTime() ?? 0 },
    } as Found;
  } catch (err) {
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
): Promise<{ f: Deno.FsFile; size: number; mtimeMs: number }> {
  let f: Deno.FsFile;
  try {
    f = await Deno.open(real, { read: true });
  } catch (err) {
    throw mapError(err, shown);
  }
  try {
    const info = await f.stat();
    if (!info.isFile) throw notFound(shown);
    return { f, size: info.size, mtimeMs: info.mtime?.getTime() ?? 0 };
  } catch (err) {
    f.close();
    throw mapError(err, shown);
  }
}
