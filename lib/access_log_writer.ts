/**
 * The `--access-log FILE` writer: lines are buffered in memory and appended
 * to the file asynchronously (`Deno.FsFile.write`), so the event loop never
 * waits for the disk. A batch is written when the buffer passes 64 KiB, at
 * most a second after its first line, and on {@linkcode AccessLogWriter.flush}
 * / {@linkcode AccessLogWriter.close} (at exit). One write runs at a time and
 * each batch is whole lines, so lines are never interleaved; the file is
 * opened with O_APPEND, so the event loops of `--workers N` can share it.
 * {@linkcode AccessLogWriter.reopen} is logrotate's convention (SIGUSR1 after
 * a rename): what is buffered goes to the old file, later lines to the new.
 *
 * @module
 */

/** What the writer needs of a file (`Deno.FsFile` has it). */
export interface LogFile {
  /** Writes some of `p`; resolves to how many bytes were written. */
  write(p: Uint8Array): Promise<number>;
  /** Closes the file. */
  close(): void;
}

/**
 * The access log file cannot be opened; the message says how to fix it
 * (for a missing permission: the `--allow-write=FILE` flag to add, as
 * `deno run -P --allow-write=FILE main.ts ...`).
 *
 * @example
 * ```ts
 * import { AccessLogOpenError } from "./access_log_writer.ts";
 * const err = new AccessLogOpenError("/var/log/sluice.log", new Deno.errors.NotCapable("no"));
 * console.log(err.message.includes("--allow-write=/var/log/sluice.log")); // true
 * ```
 */
export class AccessLogOpenError extends Error {
  /** The file. */
  readonly path: string;

  /** Creates the error for `path` from the error opening it. */
  constructor(path: string, cause: unknown) {
    const why = cause instanceof Deno.errors.NotCapable
      ? `the Deno sandbox does not allow writing it; add --allow-write=${path}`
      : (cause as Error)?.message ?? String(cause);
    super(`cannot open the access log ${path}: ${why}`, { cause });
    this.name = "AccessLogOpenError";
    this.path = path;
  }
}

/**
 * Opens `path` for appending, creating it with mode 0644.
 *
 * @example
 * ```ts ignore
 * import { openAppend } from "./access_log_writer.ts";
 * const file = await openAppend("/var/log/sluice/access.log");
 * ```
 */
export async function openAppend(path: string): Promise<Deno.FsFile> {
  try {
    return await Deno.open(path, { append: true, create: true, mode: 0o644 });
  } catch (err) {
    throw new AccessLogOpenError(path, err);
  }
}

/** Options of an {@linkcode AccessLogWriter}. */
export interface AccessLogWriterOptions {
  /** Longest time a line waits in the buffer (ms); default 1000. */
  flushIntervalMs?: number;
  /** Buffer size (UTF-16 code units, at most the UTF-8 bytes) that starts a write; default 64 KiB. */
  maxBufferBytes?: number;
  /**
   * After a failed write the bytes are kept and written again at the next
   * flush; above this many they are dropped (and counted). Default 16 MiB.
   */
  maxBacklogBytes?: number;
  /** Told about write and close failures (default: ignored). */
  onError?: (err: Error) => void;
}

const encoder = new TextEncoder();

function countLines(b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < b.length; i++) if (b[i] === 0x0a) n++;
  return n;
}

/**
 * A buffered, asynchronous line writer over a file that can be reopened.
 *
 * @example
 * ```ts ignore
 * import { AccessLogWriter } from "./access_log_writer.ts";
 * const log = await AccessLogWriter.open("/var/log/sluice/access.log");
 * log.write('{"status":200}');
 * await log.reopen(); // after logrotate renamed the file
 * await log.close(); // writes what is buffered
 * ```
 */
export class AccessLogWriter {
  readonly #open: () => Promise<LogFile>;
  #file: LogFile;
  readonly #interval: number;
  readonly #max: number;
  readonly #maxBacklog: number;
  readonly #onError: (err: Error) => void;
  #lines: string[] = [];
  #size = 0;
  /** Bytes a failed write left unwritten (written first next time). */
  #retry: Uint8Array | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The chain of file operations: one at a time, in order. */
  #io: Promise<void> = Promise.resolve();
  /** A buffer write is queued or running (more lines wait for the next). */
  #busy = false;
  #closed = false;
  #dropped = 0;

  /**
   * Creates a writer over `file`; `open` opens the file again (for
   * {@linkcode AccessLogWriter.reopen}).
   */
  constructor(file: LogFile, open: () => Promise<LogFile>, options: AccessLogWriterOptions = {}) {
    this.#file = file;
    this.#open = open;
    this.#interval = options.flushIntervalMs ?? 1000;
    this.#max = options.maxBufferBytes ?? 64 * 1024;
    this.#maxBacklog = options.maxBacklogBytes ?? 16 * 1024 * 1024;
    this.#onError = options.onError ?? (() => {});
  }

  /**
   * Opens `path` (append, created 0644) and returns its writer; rejects with
   * {@linkcode AccessLogOpenError}.
   */
  static async open(path: string, options: AccessLogWriterOptions = {}): Promise<AccessLogWriter> {
    return new AccessLogWriter(await openAppend(path), () => openAppend(path), options);
  }

  /** Lines waiting in the buffer. */
  get buffered(): number {
    return this.#lines.length;
  }

  /** Lines dropped: written after close, or over the backlog after write failures. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Queues one line (without its newline). */
  write(line: string): void {
    if (this.#closed) {
      this.#dropped++;
      return;
    }
    this.#lines.push(line);
    this.#size += line.length + 1;
    this.#schedule();
  }

  /** Writes everything buffered; resolves once it is in the file. */
  flush(): Promise<void> {
    return this.#enqueue(() => this.#drain());
  }

  /**
   * Opens the file again (after a rename): what is buffered goes to the old
   * file, later lines to the new one. Rejects with
   * {@linkcode AccessLogOpenError} (keeping the old file) when the new
   * cannot be opened.
   */
  reopen(): Promise<void> {
    return this.#enqueue(async () => {
      const next = await this.#open();
      await this.#drain();
      this.#closeFile();
      this.#file = next;
    });
  }

  /** Writes everything buffered and closes the file; later lines are dropped. */
  close(): Promise<void> {
    if (this.#closed) return this.#io;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#enqueue(async () => {
      await this.#drain();
      this.#closeFile();
      // a write failed on the way out: what is left is lost, and counted
      this.#dropped += this.#lines.length + (this.#retry ? countLines(this.#retry) : 0);
      this.#lines = [];
      this.#size = 0;
      this.#retry = null;
    });
  }

  #closeFile(): void {
    try {
      this.#file.close();
    } catch (err) {
      this.#onError(err as Error);
    }
  }

  #enqueue(op: () => Promise<void>): Promise<void> {
    const done = this.#io.then(op);
    this.#io = done.catch(() => {});
    return done;
  }

  /** Starts a write when the buffer is full, or arms the timer for its first line. */
  #schedule(): void {
    if (this.#busy || this.#closed) return;
    if (this.#size >= this.#max) {
      this.#kick();
    } else if ((this.#size > 0 || this.#retry !== null) && this.#timer === undefined) {
      const timer = setTimeout(() => {
        this.#timer = undefined;
        this.#kick();
      }, this.#interval);
      Deno.unrefTimer(timer);
      this.#timer = timer;
    }
  }

  /** Queues one buffer write; lines arriving meanwhile wait for the next. */
  #kick(): void {
    if (this.#busy) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#busy = true;
    this.#enqueue(async () => void await this.#writeBatch()).catch(() => {}).finally(() => {
      this.#busy = false;
      this.#schedule();
    });
  }

  /** Writes batches until the buffer is empty or a write fails. */
  async #drain(): Promise<void> {
    while (this.#lines.length > 0 || this.#retry !== null) {
      if (!(await this.#writeBatch())) return;
    }
  }

  /** Writes what is buffered now; false when the write failed. */
  async #writeBatch(): Promise<boolean> {
    let data: Uint8Array;
    if (this.#lines.length > 0) {
      const text = encoder.encode(this.#lines.join("\n") + "\n");
      this.#lines = [];
      this.#size = 0;
      if (this.#retry === null) {
        data = text;
      } else {
        data = new Uint8Array(this.#retry.length + text.length);
        data.set(this.#retry);
        data.set(text, this.#retry.length);
      }
    } else if (this.#retry !== null) {
      data = this.#retry;
    } else {
      return true;
    }
    this.#retry = null;
    let off = 0;
    try {
      while (off < data.length) off += await this.#file.write(data.subarray(off));
      return true;
    } catch (err) {
      const rest = data.subarray(off);
      if (rest.length > this.#maxBacklog) this.#dropped += countLines(rest);
      else this.#retry = rest;
      this.#onError(err as Error);
      return false;
    }
  }
}
