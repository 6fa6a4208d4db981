/**
 * Every spelling of a loopback destination (tests/spellings_table.ts), from
 * the raw request target through the target parser, the destination rules
 * before DNS, the real resolver (getaddrinfo: numeric forms like `127.1`
 * need no network) and the per-address gate, as a request goes: against
 * `--deny-host` address and name rules, `--deny-private`, and the
 * `--allow-host` exemption under it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ProxyError } from "../../lib/errors.ts";
import { parseAbsoluteTarget, parseAuthorityTarget } from "../../lib/http1/target.ts";
import { Policy } from "../../lib/policy/policy.ts";
import type { RuleSpec } from "../../lib/policy/rule.ts";
import { resolve } from "../../lib/upstream/dial.ts";
import { spelledUrl, type Spelling, SPELLINGS } from "../spellings_table.ts";

const allow = (value: string): RuleSpec => ({ action: "allow", value });
const deny = (value: string): RuleSpec => ({ action: "deny", value });

function policy(hostRules: RuleSpec[], denyPrivate = false): Policy {
  return new Policy({ clientRules: [], hostRules, denyPrivate, viaName: "sluice" }, null);
}

/**
 * What happens to a raw request target, as the proxy decides it: the reason
 * of the refusal (with " before DNS" when the name rules decided), or
 * "allowed" when some resolved address may be dialled.
 */
async function decide(p: Policy, raw: string, connect = false): Promise<string> {
  const t = connect ? parseAuthorityTarget(raw) : parseAbsoluteTarget(raw);
  try {
    p.checkTarget(t.host, t.port);
  } catch (e) {
    return `${(e as ProxyError).reason} before DNS`;
  }
  const gate = p.gate(t.host, t.port);
  if (gate === null) return "allowed";
  let first: ProxyError | null = null;
  for (const address of await resolve(t.host, t.port)) {
    const no = gate(address);
    if (no === null) return "allowed";
    first ??= no;
  }
  return first!.reason;
}

/** Runs the table: `want(s)` is the expected outcome, GET (absolute-form) and CONNECT alike. */
async function table(p: Policy, want: (s: Spelling) => string): Promise<void> {
  const wrong: string[] = [];
  for (const s of SPELLINGS) {
    const url = spelledUrl(s, 8080);
    const expected = want(s);
    const got = await decide(p, url);
    const tunnel = await decide(p, url.slice(7, -1), true);
    if (got !== expected) wrong.push(`${url}: ${got}, expected ${expected}`);
    if (tunnel !== expected) wrong.push(`CONNECT ${url.slice(7, -1)}: ${tunnel}`);
  }
  assert.deepEqual(wrong, []);
}

/** A host-denied refusal: IP literals are decided before DNS, names on the address. */
const denied = (s: Spelling) => s.kind === "literal" ? "host-denied before DNS" : "host-denied";

/** Whether `localhost` also resolves to ::1 here (then v6 rules are needed for it). */
const localhostV6 = (await resolve("localhost", 80)).some((a) => a.includes(":"));

Deno.test("spellings: --deny-host 127.0.0.1 and [::1] refuse every spelling", async () => {
  await table(policy([deny("127.0.0.1"), deny("[::1]")]), denied);
});

Deno.test("spellings: --deny-host 127.0.0.0/8 and [::1]/128 refuse every spelling", async () => {
  await table(policy([deny("127.0.0.0/8"), deny("[::1]/128")]), denied);
});

Deno.test("spellings: --deny-host 127.0.0.1 alone refuses every IPv4 spelling, not ::1", async () => {
  await table(
    policy([deny("127.0.0.1")]),
    (s) => s.family === 6 || (s.kind === "localhost" && localhostV6) ? "allowed" : denied(s),
  );
});

Deno.test("spellings: --deny-host [::1] alone refuses [::] and ::1, not IPv4", async () => {
  await table(
    policy([deny("[::1]")]),
    (s) => s.family === 6 || (s.kind === "localhost" && localhostV6) ? denied(s) : "allowed",
  );
});

Deno.test("spellings: the name rule --deny-host localhost refuses localhost in every spelling, before DNS", async () => {
  await table(
    policy([deny("localhost")]),
    (s) => s.kind === "localhost" ? "host-denied before DNS" : "allowed",
  );
  await table(
    policy([allow("localhost.")]),
    (s) => s.kind === "localhost" ? "allowed" : "host-denied before DNS",
  );
});

Deno.test("spellings: --deny-private refuses every spelling as private-address", async () => {
  await table(policy([], true), () => "private-address");
});

Deno.test("spellings: --deny-private with --allow-host 127.0.0.1 and [::1] opens every spelling", async () => {
  await table(policy([allow("127.0.0.1"), allow("[::1]")], true), () => "allowed");
  // the IPv4 exemption alone opens the IPv4 spellings only
  await table(
    policy([allow("127.0.0.1"), allow("localhost"), allow("*.test")], true),
    (s) =>
      s.family === 6
        ? (s.kind === "literal" ? "host-denied before DNS" : "private-address")
        : "allowed",
  );
});
