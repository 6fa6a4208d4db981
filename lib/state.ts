/**
 * The exchange state machine: four states for a request and its response, one
 * for CONNECT tunnels, and the terminal state. The transition table is data;
 * an edge that is not in it throws.
 *
 * ```
 * READ_REQUEST --head--> SEND_REQUEST --sent--> READ_RESPONSE --head--> SEND_RESPONSE
 *      ^                      |  \--tunnel--> TUNNEL <--upgrade--/         |
 *      |                      |                                             |
 *      +--------------------------------- keepalive ------------------------+
 * reject/fail: straight to SEND_RESPONSE with a proxy-made response
 * close: any state to CLOSED
 * ```
 *
 * @module
 */

/** Exchange states. */
export enum State {
  READ_REQUEST = "READ_REQUEST",
  SEND_REQUEST = "SEND_REQUEST",
  READ_RESPONSE = "READ_RESPONSE",
  SEND_RESPONSE = "SEND_RESPONSE",
  TUNNEL = "TUNNEL",
  CLOSED = "CLOSED",
}

/** What happened, which decides the next state. */
export type Event =
  | "head" // a complete, valid head arrived
  | "reject" // the request is refused by the proxy (400, 403, 414, 431, 501...)
  | "serve" // sluice answers it itself (a file under --root): no upstream
  | "sent" // the request head is on its way upstream (the body streams on)
  | "tunnel" // CONNECT: the upstream connection is open, 200 goes to the client
  | "upgrade" // the origin answered 101 Switching Protocols: bytes flow both ways
  | "fail" // upstream could not be reached or answered garbage (502, 504)
  | "interim" // a 1xx response was relayed; the final one is still to come
  | "keepalive" // the response is complete and both sides may go on
  | "close"; // the connection ends

/** The transition table: for each state, the events it accepts and where they lead. */
export const TRANSITIONS: Readonly<Record<State, Readonly<Partial<Record<Event, State>>>>> = {
  [State.READ_REQUEST]: {
    head: State.SEND_REQUEST,
    reject: State.SEND_RESPONSE,
    serve: State.SEND_RESPONSE,
    close: State.CLOSED,
  },
  [State.SEND_REQUEST]: {
    sent: State.READ_RESPONSE,
    tunnel: State.TUNNEL,
    reject: State.SEND_RESPONSE,
    fail: State.SEND_RESPONSE,
    close: State.CLOSED,
  },
  [State.READ_RESPONSE]: {
    interim: State.READ_RESPONSE,
    head: State.SEND_RESPONSE,
    upgrade: State.TUNNEL,
    fail: State.SEND_RESPONSE,
    close: State.CLOSED,
  },
  [State.SEND_RESPONSE]: {
    keepalive: State.READ_REQUEST,
    close: State.CLOSED,
  },
  [State.TUNNEL]: {
    close: State.CLOSED,
  },
  [State.CLOSED]: {},
};

/** An event the current state does not accept. */
export class IllegalTransitionError extends Error {
  /** Creates the error. */
  constructor(from: State, event: Event) {
    super(`Cannot take "${event}" in state ${from}`);
    this.name = "IllegalTransitionError";
  }
}

/**
 * {@linkcode TRANSITIONS} as maps: looking up the table's objects with a
 * different state and event each time was a megamorphic keyed load per
 * transition (four a forwarded exchange).
 */
const EDGES: ReadonlyMap<State, ReadonlyMap<Event, State>> = new Map(
  Object.entries(TRANSITIONS).map(([from, edges]) => [
    from as State,
    new Map(Object.entries(edges) as [Event, State][]),
  ]),
);

/**
 * The state after `event` in `from`; throws {@linkcode IllegalTransitionError}
 * for an edge not in {@linkcode TRANSITIONS}.
 *
 * @example
 * ```ts
 * import { next, State } from "./state.ts";
 * console.log(next(State.READ_REQUEST, "head")); // "SEND_REQUEST"
 * ```
 */
export function next(from: State, event: Event): State {
  const to = EDGES.get(from)?.get(event);
  if (to === undefined) throw new IllegalTransitionError(from, event);
  return to;
}
