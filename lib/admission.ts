/**
 * Admission: the count of client connections against `--max-connections` and
 * `--max-connections-per-client`, and what happens at a cap. Before a new
 * connection is refused, room is made the way nginx reuses its idle
 * keep-alive connections when it runs short:
 *
 * 1. idle connections are closed, oldest idle first (of that client, at the
 *    per-client cap): those waiting for a next request with nothing buffered,
 *    and fresh ones that have sent nothing for {@linkcode AdmissionOptions.freshIdleMs};
 * 2. then the newcomer waits up to {@linkcode AdmissionOptions.graceMs} for a
 *    slot: a connection whose client has already gone (its EOF or reset is
 *    pending, not yet read) ends within a few event-loop turns.
 *
 * Only when every counted connection is still busy after that is the
 * newcomer refused. Sans-io: the clock and the connections are given.
 *
 * @module
 */

/** What admission needs to know of a live connection to reclaim it. */
export interface Reclaimable {
  /**
   * When it began waiting for a request with nothing buffered (clock ms), or
   * -1 while an exchange is under way or bytes of a head are buffered.
   */
  readonly idleSince: number;
  /** Whether it has already finished an exchange (a kept-alive connection). */
  readonly kept: boolean;
  /** Closes it if it is idle (it is, when admission calls this). */
  closeIfIdle(): void;
}

/** A counted place for one connection; give it back with {@linkcode Admission.release}. */
export class Slot {
  /** The client address it is counted under. */
  readonly ip: string;
  /** The connection using it, once made (only attached connections can be reclaimed). */
  conn: Reclaimable | null = null;
  /** Set once released. */
  released = false;

  /** Use {@linkcode Admission.tryReserve} or {@linkcode Admission.reserve}. */
  constructor(ip: string) {
    this.ip = ip;
  }
}

/** Which cap refused a newcomer, with its value. */
export interface Refusal {
  /** `total`: `--max-connections`; `client`: `--max-connections-per-client`. */
  cap: "total" | "client";
  /** The cap's value. */
  limit: number;
}

/** The caps in force (read at each decision, so a reload applies at once). */
export interface Limits {
  /** Most connections at once. */
  maxConnections: number;
  /** Most connections at once from one address; 0 for no cap. */
  maxConnectionsPerClient: number;
}

/** Tuning of {@linkcode Admission}. */
export interface AdmissionOptions {
  /** How long a newcomer at a cap may wait for a slot (ms). Default 250. */
  graceMs?: number;
  /** How long a fresh connection must have sent nothing to count as idle (ms). Default 2000. */
  freshIdleMs?: number;
  /** Most newcomers waiting at once; beyond, refused at once. Default 1024. */
  maxWaiting?: number;
  /** Called for each idle connection closed to make room (logs). */
  onReclaim?: (slot: Slot) => void;
}

interface Waiter {
  ip: string;
  wake: () => void;
}

/**
 * The connection registry's counts and the admission decision.
 *
 * @example
 * ```ts
 * import { Admission } from "./admission.ts";
 * const a = new Admission(() => ({ maxConnections: 1, maxConnectionsPerClient: 0 }), () => 0);
 * const slot = a.tryReserve("10.0.0.1");
 * console.log(slot !== null, a.tryReserve("10.0.0.2")); // true null
 * a.release(slot!);
 * console.log(a.size); // 0
 * ```
 */
export class Admission {
  readonly #limits: () => Limits;
  readonly #now: () => number;
  readonly #graceMs: number;
  readonly #freshIdleMs: number;
  readonly #maxWaiting: number;
  readonly #onReclaim: (slot: Slot) => void;
  /** Live slots, oldest first. */
  readonly #slots = new Set<Slot>();
  readonly #perClient = new Map<string, number>();
  readonly #waiters = new Set<Waiter>();
  #closed = false;

  /** Creates the registry; `limits` is read at each decision, `now` is the clock (ms). */
  constructor(limits: () => Limits, now: () => number, options: AdmissionOptions = {}) {
    this.#limits = limits;
    this.#now = now;
    this.#graceMs = options.graceMs ?? 250;
    this.#freshIdleMs = options.freshIdleMs ?? 2000;
    this.#maxWaiting = options.maxWaiting ?? 1024;
    this.#onReclaim = options.onReclaim ?? (() => {});
  }

  /** Number of counted connections. */
  get size(): number {
    return this.#slots.size;
  }

  /** Number of newcomers waiting for a slot. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Counted connections from `ip`. */
  countOf(ip: string): number {
    return this.#perClient.get(ip) ?? 0;
  }

  /**
   * A slot for a connection from `ip` if one is free now, after closing idle
   * connections if a cap is reached; `null` when every counted connection is
   * busy (then {@linkcode Admission.reserve} may still get one by waiting).
   */
  tryReserve(ip: string): Slot | null {
    if (this.#closed) return null;
    if (this.#over(ip) !== null) this.#reclaim(ip);
    if (this.#over(ip) !== null) return null;
    const slot = new Slot(ip);
    this.#slots.add(slot);
    this.#perClient.set(ip, this.countOf(ip) + 1);
    return slot;
  }

  /**
   * A slot for `ip`, waiting up to the grace period for one to free up (each
   * release wakes the waiters, who try again in order of arrival); the
   * refusal when none did.
   */
  async reserve(ip: string): Promise<Slot | Refusal> {
    const now = this.tryReserve(ip);
    if (now !== null) return now;
    if (this.#waiters.size >= this.#maxWaiting || this.#closed) return this.#refusal(ip);
    const waiter: Waiter = { ip, wake: () => {} };
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      waiter.wake();
    }, this.#graceMs);
    try {
      while (!expired && !this.#closed) {
        await new Promise<void>((resolve) => {
          waiter.wake = resolve;
          this.#waiters.add(waiter);
        });
        this.#waiters.delete(waiter);
        const slot = this.tryReserve(ip);
        if (slot !== null) return slot;
      }
    } finally {
      clearTimeout(timer);
      this.#waiters.delete(waiter);
    }
    return this.#refusal(ip);
  }

  /** Gives a slot back (idempotent) and wakes the waiters. */
  release(slot: Slot): void {
    if (slot.released) return;
    slot.released = true;
    this.#slots.delete(slot);
    const n = this.countOf(slot.ip) - 1;
    if (n <= 0) this.#perClient.delete(slot.ip);
    else this.#perClient.set(slot.ip, n);
    for (const w of this.#waiters) w.wake();
  }

  /** Refuses every waiter and every later newcomer (the server is draining). */
  close(): void {
    this.#closed = true;
    for (const w of this.#waiters) w.wake();
  }

  /** The cap `ip` is at, or `null`. */
  #over(ip: string): Refusal | null {
    const { maxConnections, maxConnectionsPerClient } = this.#limits();
    if (this.#slots.size >= maxConnections) return { cap: "total", limit: maxConnections };
    if (maxConnectionsPerClient > 0 && this.countOf(ip) >= maxConnectionsPerClient) {
      return { cap: "client", limit: maxConnectionsPerClient };
    }
    return null;
  }

  #refusal(ip: string): Refusal {
    const { maxConnections, maxConnectionsPerClient } = this.#limits();
    return this.#over(ip) ??
      (this.#slots.size >= maxConnections
        ? { cap: "total", limit: maxConnections }
        : { cap: "client", limit: maxConnectionsPerClient });
  }

  /**
   * Closes idle connections, oldest idle first, until `ip` is under its caps
   * or none is left: any client's for the total cap, only that client's for
   * the per-client cap.
   */
  #reclaim(ip: string): void {
    const now = this.#now();
    const idle: Slot[] = [];
    for (const s of this.#slots) {
      const c = s.conn;
      if (c === null || c.idleSince < 0) continue;
      if (!c.kept && now - c.idleSince < this.#freshIdleMs) continue;
      idle.push(s);
    }
    if (idle.length === 0) return;
    idle.sort((a, b) => a.conn!.idleSince - b.conn!.idleSince);
    for (const s of idle) {
      const over = this.#over(ip);
      if (over === null) return;
      if (over.cap === "client" && s.ip !== ip) continue;
      this.release(s);
      this.#onReclaim(s);
      s.conn!.closeIfIdle();
    }
  }
}
