/**
 * The deadlines of one client connection: which one is armed in each phase of
 * an exchange, and what happens when it fires (408, 504, or a close). Uses the
 * shared {@linkcode Timers} walker: one deadline object per connection.
 *
 * @module
 */

import type { Config } from "./config.ts";
import { ProxyError } from "./errors.ts";
import type { Endpoint, Exchange } from "./exchange.ts";
import { send } from "./endpoint_io.ts";
import { errorResponse } from "./responses.ts";
import type { Deadline, DeadlineKind, Timers } from "./timers.ts";

/** Bytes moved so far by an exchange, both ways. */
function moved(ex: Exchange | null): number {
  return ex === null ? 0 : ex.clientRead + ex.clientWritten + ex.serverRead + ex.serverWritten;
}

/**
 * The deadline of one connection. When one fires it records the outcome in
 * {@linkcode ConnectionTimer.expired} and closes the socket whose pending
 * read or write must fail, so the exchange unwinds through its usual path.
 *
 * @example
 * ```ts ignore
 * const timer = new ConnectionTimer(timers, config, client, () => current);
 * timer.arm("header");
 * ```
 */
export class ConnectionTimer {
  /** The error a fired deadline decided on (it wins over the socket error it causes). */
  expired: ProxyError | null = null;
  readonly #deadline: Deadline;
  #config: Config;
  readonly #client: Endpoint;
  readonly #current: () => Exchange | null;
  /** Aborts the dial in flight when the connect deadline fires. */
  #dialAbort: AbortController | null = null;
  /** Bytes moved at the last progress check (stall and tunnel-idle deadlines). */
  #progress = 0;
  /** When bytes last moved, as far as the checks saw (ms). */
  #idleSince = 0;
  /** Length of the deadline armed last (ms). */
  #ms = 0;
  readonly #timers: Timers;

  /** Creates the timer of the connection whose client endpoint is `client`. */
  constructor(timers: Timers, config: Config, client: Endpoint, current: () => Exchange | null) {
    this.#timers = timers;
    this.#deadline = timers.create((kind) => this.#expire(kind));
    this.#config = config;
    this.#client = client;
    this.#current = current;
  }

  /** What is armed now, if anything. */
  get kind(): DeadlineKind | null {
    return this.#deadline.kind;
  }

  /**
   * Takes the configuration in force for the next deadlines (called at the
   * start of each exchange and on reload). A connection waiting between
   * requests or for a head has its deadline moved at once: the new length
   * counts from when the wait began, so a shortened `--idle-timeout` closes
   * an already idle connection that has waited longer than the new value.
   */
  use(config: Config): void {
    if (config === this.#config) return;
    this.#config = config;
    const kind = this.#deadline.kind;
    if (kind !== "idle" && kind !== "header") return;
    const ms = kind === "idle" ? config.idleTimeoutMs : config.headerTimeoutMs;
    const began = this.#deadline.at - this.#deadline.ms;
    this.#ms = ms;
    this.#deadline.arm(kind, ms);
    this.#deadline.at = began + ms;
  }

  /** Disarms the deadline for good: the connection is closed. */
  dispose(): void {
    this.#deadline.dispose();
    this.#dialAbort = null;
  }

  /** Disarms the deadline. */
  disarm(): void {
    this.#deadline.disarm();
    this.#dialAbort = null;
  }

  /** Arms the connect deadline; returns the signal that aborts the dial. */
  armConnect(): AbortSignal {
    this.#dialAbort = new AbortController();
    this.arm("connect");
    return this.#dialAbort.signal;
  }

  /** Arms the deadline for `kind`, unless it already guards that. */
  arm(kind: DeadlineKind): void {
    if (this.#deadline.kind === kind) return;
    const c = this.#config;
    const ms = kind === "idle"
      ? c.idleTimeoutMs
      : kind === "header"
      ? c.headerTimeoutMs
      : kind === "connect"
      ? c.connectTimeoutMs
      : kind === "first-byte"
      ? c.responseTimeoutMs
      : kind === "stall"
      ? c.stallTimeoutMs
      : c.tunnelIdleTimeoutMs;
    this.#ms = ms;
    if (kind === "stall" || kind === "tunnel-idle") {
      // progress deadlines are checked four times per period: a stall is seen
      // between ms and 1.25 ms after the last byte moved
      this.#progress = moved(this.#current());
      this.#idleSince = this.#timers.now();
      this.#deadline.arm(kind, ms / 4);
    } else this.#deadline.arm(kind, ms);
  }

  /** A deadline fired: decide the outcome, then close what makes the pending I/O fail. */
  #expire(kind: DeadlineKind): void {
    const ex = this.#current();
    if (ex === null) return;
    const secs = `${this.#ms / 1000} s`;
    switch (kind) {
      case "idle":
        this.#client.close();
        return;
      case "header": {
        const err = new ProxyError(
          408,
          "header-timeout",
          `Request head not received within ${secs}`,
        );
        this.expired = err;
        ex.reason = err.reason;
        if (ex.clientRead === 0 && ex.seq > 1) {
          this.#client.close();
          return;
        }
        ex.transition("reject");
        ex.status = 408;
        ex.responseStarted = true;
        send(this.#client, errorResponse(err, this.#config.viaName), ex)
          .catch(() => {})
          .finally(() => this.#client.close());
        return;
      }
      case "connect":
        this.expired = new ProxyError(
          504,
          "upstream-connect-timeout",
          `Cannot connect to the origin within ${secs}`,
        );
        this.#dialAbort?.abort();
        return;
      case "first-byte":
        this.expired = new ProxyError(
          504,
          "upstream-timeout",
          `Origin sent no response within ${secs}`,
        );
        ex.server?.close();
        return;
      case "stall":
      case "tunnel-idle": {
        const bytes = moved(ex);
        const now = this.#timers.now();
        if (bytes !== this.#progress) {
          this.#progress = bytes;
          this.#idleSince = now;
        }
        if (now - this.#idleSince < this.#ms) {
          this.#deadline.arm(kind, this.#ms / 4);
          return;
        }
        const reason = kind === "stall" ? "stalled" : "tunnel-idle";
        this.expired = new ProxyError(504, reason, `No data moved for ${secs}`);
        ex.reason = reason;
        ex.server?.close();
        this.#client.close();
        return;
      }
    }
  }
}
