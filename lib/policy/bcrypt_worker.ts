/**
 * bcrypt password checks off the event loop: a Web Worker does the
 * comparison, so a check (about 55 ms at cost 10) no longer stalls every
 * other exchange.
 *
 * The worker's code is a string turned into a Blob URL module, not a file:
 * a file worker would need `--allow-read` of lib/, and the proxy runs with
 * the network alone. Its `import bcrypt from "bcryptjs"` resolves through
 * deno.json's import map like any other import.
 *
 * @module
 */

import { logger } from "../log.ts";
import { isBcryptHash } from "./auth_file.ts";
import { verifyPassword } from "./credentials.ts";

/** The worker module: one `compareSync` per message, answered with the message's id. */
export const WORKER_SOURCE = `import bcrypt from "bcryptjs";
self.onmessage = (e) => {
  const { id, password, hash } = e.data;
  try {
    self.postMessage({ id, ok: bcrypt.compareSync(password, hash) === true });
  } catch (err) {
    self.postMessage({ id, ok: false, error: String(err && err.message || err) });
  }
};
`;

/** Starts a module worker running {@linkcode WORKER_SOURCE} from a Blob URL. */
export function spawnBcryptWorker(): Worker {
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
  try {
    return new Worker(url, { type: "module", name: "sluice-bcrypt" });
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Tuning for {@linkcode BcryptWorker}. */
export interface BcryptWorkerOptions {
  /** The worker is stopped after this long without a check, in ms. Default 30 s. */
  idleMs?: number;
  /** Makes the worker. Default {@linkcode spawnBcryptWorker}; tests pass broken ones. */
  spawn?: () => Worker;
  /** The check used when no worker can run. Default {@linkcode verifyPassword} (in the event loop). */
  fallback?: (password: string, hash: string) => Promise<boolean>;
  /** Where the one warning about falling back goes. Default: the `sluice.auth` logger. */
  warn?: (message: string) => void;
}

interface Request {
  password: string;
  hash: string;
  resolve: (ok: boolean) => void;
  reject: (err: Error) => void;
}

interface Reply {
  id: number;
  ok: boolean;
  error?: string;
}

const log = logger("auth");

/**
 * Verifies bcrypt passwords in a worker thread.
 *
 * The worker starts with the first check and stops after
 * {@linkcode BcryptWorkerOptions.idleMs} without one, or at
 * {@linkcode BcryptWorker.close}; the next check starts it again. Checks
 * queue in the worker and run one at a time, each answered by its request
 * id. Callers bound how many are queued (`ProxyAuth`'s `maxPending`).
 *
 * If the worker cannot be made or fails (an error event), one warning is
 * logged and every check from then on, the queued ones included, runs in the
 * event loop with {@linkcode verifyPassword}: slower for everyone else, but
 * never wrong.
 *
 * @example
 * ```ts ignore
 * import { BcryptWorker } from "./bcrypt_worker.ts";
 * const verifier = new BcryptWorker();
 * await verifier.verify("correct horse", "$2y$04$bpu4oPcA9yZSIowGd8NhMu.lJwpuamnzi.UALgTewmbBf/04/HQ.q"); // true
 * verifier.close();
 * ```
 */
export class BcryptWorker {
  readonly #idleMs: number;
  readonly #spawn: () => Worker;
  readonly #fallback: (password: string, hash: string) => Promise<boolean>;
  readonly #warn: (message: string) => void;
  readonly #requests = new Map<number, Request>();
  #worker: Worker | null = null;
  #idle: ReturnType<typeof setTimeout> | undefined;
  #nextId = 1;
  #inLoop = false;

  /** Creates the verifier; no worker runs until the first check. */
  constructor(options: BcryptWorkerOptions = {}) {
    this.#idleMs = options.idleMs ?? 30_000;
    this.#spawn = options.spawn ?? spawnBcryptWorker;
    this.#fallback = options.fallback ?? verifyPassword;
    this.#warn = options.warn ?? ((message) => log.warning(message));
  }

  /** Whether a worker thread is alive now. */
  get running(): boolean {
    return this.#worker !== null;
  }

  /** Checks waiting for the worker's answer. */
  get pending(): number {
    return this.#requests.size;
  }

  /** Whether checks run in the event loop because the worker could not. */
  get inLoop(): boolean {
    return this.#inLoop;
  }

  /**
   * Whether `password` matches the bcrypt `hash`, like
   * {@linkcode verifyPassword} (an unsupported hash is `false`), computed in
   * the worker. Rejects only when {@linkcode BcryptWorker.close} is called
   * before the answer.
   */
  verify(password: string, hash: string): Promise<boolean> {
    if (!isBcryptHash(hash)) return Promise.resolve(false);
    const worker = this.#inLoop ? null : this.#start();
    if (worker === null) return this.#fallback(password, hash);
    clearTimeout(this.#idle);
    this.#idle = undefined;
    const id = this.#nextId++;
    const { promise, resolve, reject } = Promise.withResolvers<boolean>();
    this.#requests.set(id, { password, hash, resolve, reject });
    worker.postMessage({ id, password, hash });
    return promise;
  }

  /**
   * Stops the worker now; checks still waiting reject. The next check starts
   * a new worker.
   */
  close(): void {
    for (const r of this.#stop()) r.reject(new Error("Password verifier closed"));
  }

  /** Terminates the worker and hands back the checks that were waiting for it. */
  #stop() {
    clearTimeout(this.#idle);
    this.#idle = undefined;
    this.#worker?.terminate();
    this.#worker = null;
    const waiting = [...this.#requests.values()];
    this.#requests.clear();
    return waiting;
  }

  #start(): Worker | null {
    if (this.#worker !== null) return this.#worker;
    let worker: Worker;
    try {
      worker = this.#spawn();
    } catch (err) {
      this.#giveUp(`cannot start it: ${(err as Error)?.message ?? err}`);
      return null;
    }
    worker.onmessage = (e: MessageEvent<Reply>) => this.#answer(e.data);
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.#giveUp(e.message);
    };
    worker.onmessageerror = () => this.#giveUp("a message could not be read");
    this.#worker = worker;
    return worker;
  }

  #answer(reply: Reply): void {
    const request = this.#requests.get(reply.id);
    if (request === undefined) return;
    this.#requests.delete(reply.id);
    if (reply.error !== undefined) request.reject(new Error(reply.error));
    else request.resolve(reply.ok === true);
    if (this.#requests.size === 0 && this.#worker !== null) {
      this.#idle = setTimeout(() => this.close(), this.#idleMs);
    }
  }

  /** Switches to checks in the event loop for good, answering the queued ones that way. */
  #giveUp(why: string): void {
    if (!this.#inLoop) {
      this.#inLoop = true;
      this.#warn(
        `Cannot verify passwords in a worker (${why.split("\n")[0]}); ` +
          "checking them in the event loop instead, which stalls other exchanges meanwhile",
      );
    }
    for (const r of this.#stop()) this.#fallback(r.password, r.hash).then(r.resolve, r.reject);
  }
}
