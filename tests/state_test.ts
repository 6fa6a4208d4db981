import assert from "node:assert/strict";
import { type Event, IllegalTransitionError, next, State, TRANSITIONS } from "../lib/state.ts";

/**
 * Every event, checked by the compiler: a missing or unknown key in this
 * record is a type error, so the list stays in sync with `Event`.
 */
const EVENT_KEYS: Record<Event, true> = {
  head: true,
  reject: true,
  serve: true,
  sent: true,
  tunnel: true,
  upgrade: true,
  fail: true,
  interim: true,
  keepalive: true,
  close: true,
};
const EVENTS = Object.keys(EVENT_KEYS) as Event[];
const STATES = Object.values(State) as State[];

/** The table as the design says it must be: one line per edge. */
const EXPECTED: Array<[State, Event, State]> = [
  [State.READ_REQUEST, "head", State.SEND_REQUEST],
  [State.READ_REQUEST, "reject", State.SEND_RESPONSE],
  [State.READ_REQUEST, "serve", State.SEND_RESPONSE],
  [State.READ_REQUEST, "close", State.CLOSED],
  [State.SEND_REQUEST, "sent", State.READ_RESPONSE],
  [State.SEND_REQUEST, "tunnel", State.TUNNEL],
  [State.SEND_REQUEST, "reject", State.SEND_RESPONSE],
  [State.SEND_REQUEST, "fail", State.SEND_RESPONSE],
  [State.SEND_REQUEST, "close", State.CLOSED],
  [State.READ_RESPONSE, "interim", State.READ_RESPONSE],
  [State.READ_RESPONSE, "head", State.SEND_RESPONSE],
  [State.READ_RESPONSE, "upgrade", State.TUNNEL],
  [State.READ_RESPONSE, "fail", State.SEND_RESPONSE],
  [State.READ_RESPONSE, "close", State.CLOSED],
  [State.SEND_RESPONSE, "keepalive", State.READ_REQUEST],
  [State.SEND_RESPONSE, "close", State.CLOSED],
  [State.TUNNEL, "close", State.CLOSED],
];

function expectedTarget(from: State, event: Event): State | undefined {
  return EXPECTED.find(([f, e]) => f === from && e === event)?.[2];
}

/** The edges actually in the table. */
const ACTUAL: Array<[State, Event, State]> = [];
for (
  const [from, edges] of Object.entries(TRANSITIONS) as [State, Partial<Record<Event, State>>][]
) {
  for (const [event, to] of Object.entries(edges) as [Event, State][]) {
    ACTUAL.push([from, event, to]);
  }
}

Deno.test("state: the enum has exactly the six states", () => {
  assert.deepEqual(STATES.toSorted(), [
    "CLOSED",
    "READ_REQUEST",
    "READ_RESPONSE",
    "SEND_REQUEST",
    "SEND_RESPONSE",
    "TUNNEL",
  ]);
});

Deno.test("state: TRANSITIONS has a row for every state and nothing else", () => {
  assert.deepEqual(Object.keys(TRANSITIONS).toSorted(), STATES.toSorted());
});

Deno.test("state: TRANSITIONS has exactly the expected edges", () => {
  const key = ([f, e, t]: [State, Event, State]) => `${f} --${e}--> ${t}`;
  assert.deepEqual(ACTUAL.map(key).toSorted(), EXPECTED.map(key).toSorted());
  assert.equal(ACTUAL.length, 17);
});

Deno.test("state: every event used in the table is a known event", () => {
  for (const [, e] of ACTUAL) assert.ok(EVENTS.includes(e), e);
});

Deno.test("state: CLOSED is terminal", () => {
  assert.deepEqual(TRANSITIONS[State.CLOSED], {});
  for (const e of EVENTS) assert.throws(() => next(State.CLOSED, e), IllegalTransitionError);
});

Deno.test("state: every non-terminal state accepts close", () => {
  for (const s of STATES) {
    if (s !== State.CLOSED) assert.equal(next(s, "close"), State.CLOSED);
  }
});

// One test per edge, generated from the table itself: an edge added to
// TRANSITIONS without being added to EXPECTED gets a test that fails.
for (const [from, event, to] of ACTUAL) {
  Deno.test(`state: edge ${from} --${event}--> ${to}`, () => {
    assert.equal(
      expectedTarget(from, event),
      to,
      `edge ${from} --${event}--> ${to} is not in the expected table`,
    );
    assert.equal(next(from, event), to);
  });
}

// Every pair that is not an edge throws.
for (const from of STATES) {
  for (const event of EVENTS) {
    if (expectedTarget(from, event) !== undefined) continue;
    Deno.test(`state: ${from} rejects "${event}"`, () => {
      assert.throws(
        () => next(from, event),
        (e: unknown) => {
          assert.ok(e instanceof IllegalTransitionError);
          assert.ok(e instanceof Error);
          assert.equal(e.name, "IllegalTransitionError");
          assert.equal(e.message, `Cannot take "${event}" in state ${from}`);
          return true;
        },
      );
    });
  }
}

Deno.test("state: the number of illegal pairs is states x events minus edges", () => {
  let illegal = 0;
  for (const s of STATES) {
    for (const e of EVENTS) {
      try {
        next(s, e);
      } catch (err) {
        assert.ok(err instanceof IllegalTransitionError);
        illegal++;
      }
    }
  }
  assert.equal(illegal, STATES.length * EVENTS.length - EXPECTED.length);
  assert.equal(illegal, 6 * 10 - 17);
});
