/**
 * `--workers N`: N single-threaded event loops in one process. The main
 * thread runs one {@linkcode ProxyServer}; N-1 Web Workers (lib/worker.ts)
 * each run another on the same addresses, opened with SO_REUSEPORT, so the
 * kernel spreads new connections over them. Each loop has its own
 * connections, timers and upstream pool; limits such as --max-connections
 * apply per loop.
 *
 * @module
 */

import type { Config, ListenAddress } from "./config.ts";
import type { LoopSnapshot } from "./server.ts";
import type { FromWorker, ToWorker } from "./worker.ts";

/**
 * What to do when Deno refuses to load the worker's modules: a worker's code
 * is read from disk, which the default permission set (network only) does not
 * allow. deno.json's "workers" set adds read access to lib/ alone.
 */
export const READ_HINT =
  'a worker needs read access to sluice\'s own modules (lib/); run with the "workers" ' +
  "permission set: deno run -P=workers --v8-flags=--max-semi-space-size=4,--no-memory-reducer,--single-threaded-gc,--expose-gc main.ts --workers N " +
  "(an --allow-read flag replaces the set's read list: with --root DIR give --allow-read=./lib/,DIR)";

/** How long a worker may take to start listening. */
const START_TIMEOUT_MS = 15_000;

/** Extra event loops, started and drained together. */
export class WorkerGroup {
  readonly #workers: Worker[] = [];

  private constructor() {}

  /**
   * Starts `count` workers listening on `addresses` (the ports the main
   * thread actually bound, so port 0 resolves once). Rejects with the first
   * worker's failure, after terminating them all.
   *
   * @example
   * ```ts ignore
   * const group = await WorkerGroup.start(config, server.addresses, config.workers - 1);
   * await group.drain(10_000);
   * ```
   */
  static async start(
    config: Config,
    addresses: ListenAddress[],
    count: number,
    authText: string | null = null,
  ): Promise<WorkerGroup> {
    const group = new WorkerGroup();
    const started: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      // a literal URL, so `deno compile --include lib/worker.ts` finds it
      const w = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
      group.#workers.push(w);
      started.push(group.#await(w, "ready", START_TIMEOUT_MS));
      const start: ToWorker = {
        kind: "start",
        id: i + 2,
        config: { ...config, listen: addresses },
        authText,
      };
      w.postMessage(start);
    }
    try {
      await Promise.all(started);
    } catch (err) {
      group.terminate();
      const message = (err as Error).message;
      if (/Requires read access/.test(message)) throw new Error(READ_HINT, { cause: err });
      throw err;
    }
    return group;
  }

  /** Number of workers. */
  get size(): number {
    return this.#workers.length;
  }

  #await(
    w: Worker,
    kind: "ready" | "reloaded" | "reopened" | "stopped",
    timeoutMs: number,
  ): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const timer = setTimeout(
      () => reject(new Error(`Worker did not report "${kind}" within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMessage = (e: MessageEvent<FromWorker>) => {
      if (e.data.kind === "failed") reject(new Error(e.data.message));
      else if (e.data.kind === kind) resolve();
    };
    const onError = (e: ErrorEvent) => {
      e.preventDefault();
      reject(new Error(`Worker failed: ${e.message}`));
    };
    w.addEventListener("message", onMessage);
    w.addEventListener("error", onError);
    return promise.finally(() => {
      clearTimeout(timer);
      w.removeEventListener("message", onMessage);
      w.removeEventListener("error", onError);
    });
  }

  /**
   * Applies a reloaded configuration in every worker (as ProxyServer.reload),
   * on `addresses` (the main loop's bound listeners). Rejects with the first
   * worker's failure.
   */
  async reload(config: Config, addresses: ListenAddress[], authText: string | null): Promise<void> {
    await Promise.all(this.#workers.map((w) => {
      const done = this.#await(w, "reloaded", START_TIMEOUT_MS);
      const reload: ToWorker = {
        kind: "reload",
        config: { ...config, listen: addresses },
        authText,
      };
      w.postMessage(reload);
      return done;
    }));
  }

  /**
   * Has every worker open its access log file again (SIGUSR1). Rejects with
   * the first worker's failure.
   */
  async reopenAccessLog(): Promise<void> {
    await Promise.all(this.#workers.map((w) => {
      const done = this.#await(w, "reopened", START_TIMEOUT_MS);
      const reopen: ToWorker = { kind: "reopen-log" };
      w.postMessage(reopen);
      return done;
    }));
  }

  /** Drains every worker (as ProxyServer.drain) and ends them. */
  async drain(timeoutMs: number, delayMs = 0): Promise<void> {
    await Promise.allSettled(this.#workers.map((w) => {
      const stopped = this.#await(w, "stopped", delayMs + timeoutMs + 5_000);
      const drain: ToWorker = { kind: "drain", timeoutMs, delayMs };
      w.postMessage(drain);
      return stopped;
    }));
    this.terminate();
  }

  /**
   * Each worker's {@linkcode LoopSnapshot} (for /metrics and /status); a
   * worker that does not answer within `timeoutMs` is left out.
   */
  async snapshots(timeoutMs = 1000): Promise<LoopSnapshot[]> {
    const answers = await Promise.all(this.#workers.map((w) => {
      const { promise, resolve } = Promise.withResolvers<LoopSnapshot | null>();
      const timer = setTimeout(() => resolve(null), timeoutMs);
      const onMessage = (e: MessageEvent<FromWorker>) => {
        if (e.data.kind === "snapshot") resolve(e.data.snapshot);
      };
      w.addEventListener("message", onMessage);
      const ask: ToWorker = { kind: "snapshot" };
      w.postMessage(ask);
      return promise.finally(() => {
        clearTimeout(timer);
        w.removeEventListener("message", onMessage);
      });
    }));
    return answers.filter((a): a is LoopSnapshot => a !== null);
  }

  /** Ends every worker at once. */
  terminate(): void {
    for (const w of this.#workers) w.terminate();
    this.#workers.length = 0;
  }
}
