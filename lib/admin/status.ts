/**
 * `/status` and `/status.json`: every open client connection with the state
 * of its exchange in the request/response cycle, and totals on top. The
 * HTML page refreshes itself every 2 s, needs no JavaScript and reads on a
 * phone (the table becomes one card per connection on a narrow screen).
 * Sans-io.
 *
 * @module
 */

import type { ConnectionInfo } from "../connection.ts";
import { STATES } from "./metrics.ts";

/** What the status page shows. */
export interface StatusModel {
  /** sluice's version. */
  version: string;
  /** When the model was taken (ISO 8601). */
  time: string;
  /** Seconds since start. */
  uptime: number;
  /** Whether a drain has begun. */
  draining: boolean;
  /** Totals. */
  totals: {
    /** Open client connections. */
    connections: number;
    /** Of those, by state. */
    byState: Record<string, number>;
    /** Kept-alive connections waiting for a request. */
    idle: number;
    /** Exchanges finished since start. */
    requests: number;
    /** Bytes read from and written to clients since start. */
    bytesIn: number;
    /** See bytesIn. */
    bytesOut: number;
  };
  /** The connections, longest open first. */
  connections: (ConnectionInfo & { loop: number })[];
}

/**
 * Builds the model from the connections of each event loop (index = loop).
 *
 * @example
 * ```ts
 * import { statusModel } from "./status.ts";
 * statusModel([[]], { version: "0.1.0", uptime: 1, draining: false, requests: 0, bytesIn: 0, bytesOut: 0 }).totals.connections; // 0
 * ```
 */
export function statusModel(
  loops: readonly (readonly ConnectionInfo[])[],
  o: {
    version: string;
    uptime: number;
    draining: boolean;
    requests: number;
    bytesIn: number;
    bytesOut: number;
    now?: number;
  },
): StatusModel {
  const connections = loops.flatMap((list, loop) => list.map((c) => ({ ...c, loop })));
  connections.sort((a, b) => b.ageMs - a.ageMs);
  const byState: Record<string, number> = {};
  for (const s of STATES) byState[s] = 0;
  let idle = 0;
  for (const c of connections) {
    byState[c.state] = (byState[c.state] ?? 0) + 1;
    if (c.idle) idle++;
  }
  return {
    version: o.version,
    time: new Date(o.now ?? Date.now()).toISOString(),
    uptime: Math.round(o.uptime),
    draining: o.draining,
    totals: {
      connections: connections.length,
      byState,
      idle,
      requests: o.requests,
      bytesIn: o.bytesIn,
      bytesOut: o.bytesOut,
    },
    connections,
  };
}

/** `/status.json`. */
export function statusJson(m: StatusModel): string {
  return JSON.stringify(m, null, 1) + "\n";
}

const ESC: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]);
}

function ms(n: number): string {
  return n < 1000
    ? `${Math.round(n)} ms`
    : n < 60_000
    ? `${(n / 1000).toFixed(1)} s`
    : `${Math.floor(n / 60_000)} min`;
}

function bytes(n: number): string {
  return n < 1024
    ? `${n} B`
    : n < 1 << 20
    ? `${(n / 1024).toFixed(1)} KiB`
    : `${(n / (1 << 20)).toFixed(1)} MiB`;
}

/** `/status`: the HTML page (refreshes every 2 s, no script). */
export function statusHtml(m: StatusModel): string {
  const t = m.totals;
  const states = STATES.map((s) =>
    `<li class="s-${s}"><b>${t.byState[s] ?? 0}</b> ${s}${
      s === "READ_REQUEST" ? ` <small>(${t.idle} idle)</small>` : ""
    }</li>`
  ).join("");
  const rows = m.connections.map((c) =>
    `<tr class="s-${esc(c.state)}"><td data-l="client">${esc(c.client)}</td>` +
    `<td data-l="state"><span class="st">${esc(c.idle ? "idle" : c.state)}</span></td>` +
    `<td data-l="request">${esc(c.method)} <span class="tg">${esc(c.target)}</span></td>` +
    `<td data-l="upstream">${esc(c.upstream)}</td>` +
    `<td data-l="age">${ms(c.ageMs)} <small>#${c.seq}, ${ms(c.exchangeMs)}</small></td>` +
    `<td data-l="bytes">${bytes(c.bytesIn)} in, ${bytes(c.bytesOut)} out</td>` +
    `<td data-l="user">${esc(c.user)}</td><td data-l="loop">${c.loop}</td></tr>`
  ).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="2">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sluice status</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1em;color:#222}
h1{font-size:1.3em;margin:0 0 .3em}
ul.totals{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.4em}
ul.totals li{border:1px solid #ccc;border-radius:4px;padding:.2em .5em}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.25em .5em;border-bottom:1px solid #eee;vertical-align:top}
.tg{word-break:break-all}
.st{font-family:monospace}
.s-SEND_REQUEST .st{color:#a60}.s-READ_RESPONSE .st{color:#06a}.s-SEND_RESPONSE .st{color:#070}
.s-TUNNEL .st{color:#707}
@media (max-width:640px){
 thead{display:none} tr{display:block;border:1px solid #ddd;border-radius:4px;margin:.4em 0}
 td{display:block;border:0} td::before{content:attr(data-l) ": ";color:#888}
}
</style></head><body>
<h1>sluice ${esc(m.version)}${m.draining ? " &mdash; draining" : ""}</h1>
<p>${esc(m.time)} &middot; up ${
    ms(m.uptime * 1000)
  } &middot; ${t.connections} connection(s) open &middot;
${t.requests} exchange(s) done &middot; ${bytes(t.bytesIn)} in, ${bytes(t.bytesOut)} out
&middot; <a href="/status.json">JSON</a> &middot; <a href="/metrics">metrics</a></p>
<ul class="totals">${states}</ul>
<table><thead><tr><th>client</th><th>state</th><th>request</th><th>upstream</th><th>age</th>
<th>bytes (this exchange)</th><th>user</th><th>loop</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}
