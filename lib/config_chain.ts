/**
 * The option rows of the three ways sluice sits in a chain (issue 14): in
 * front of applications (`--upstream`, a reverse proxy), and behind a parent
 * proxy (`--parent`). Spliced into the option table of config_options.ts;
 * their values are read by config_urls.ts. Pure: no I/O.
 *
 * @module
 */

import type { OptionSpec } from "./config_options.ts";

/** The chain options, in help order. */
export const CHAIN_OPTIONS: readonly OptionSpec[] = [
  {
    name: "upstream",
    type: "string",
    multiple: true,
    arg: "URL",
    help:
      "reverse proxy: origin-form requests that no file answers go to http://HOST[:PORT] (repeatable; round-robin)",
  },
  {
    name: "upstream-host",
    type: "string",
    arg: "NAME",
    help: "the Host header sent to the upstream servers (default: the client's)",
  },
  {
    name: "trusted-proxy",
    type: "string",
    multiple: true,
    arg: "CIDR",
    help: "clients whose X-Forwarded-* and Forwarded headers are kept and appended to (repeatable)",
  },
  {
    name: "upstream-down-time",
    type: "string",
    arg: "SECONDS",
    default: "10",
    help: "an upstream server that refused or timed out is skipped this long (0: never)",
    key: "upstreamDownMs",
    unit: "seconds",
    number: true,
  },
  {
    name: "parent",
    type: "string",
    arg: "URL",
    help: "send requests on through the proxy http://[USER:PASS@]HOST:PORT (CONNECT too)",
  },
  {
    name: "no-parent",
    type: "string",
    multiple: true,
    arg: "PATTERN",
    help:
      "destination hosts reached directly, not through the parent (repeatable; host rule patterns)",
  },
];
