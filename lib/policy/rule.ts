/**
 * The shape shared by access rules (client and destination): one flag use,
 * kept in command-line (or config-file) order, and the error a bad one raises.
 * Pure: no I/O.
 *
 * @module
 */

/** One rule as given: `--allow-client 10.0.0.0/8` is `{ action: "allow", value: "10.0.0.0/8" }`. */
export interface RuleSpec {
  /** Whether a match lets the request through. */
  action: "allow" | "deny";
  /** The pattern as the user wrote it. */
  value: string;
}

/** The answer of a rule set: allowed or not, and which rule decided (for the 403 body and the log). */
export interface Decision {
  /** Whether the request may go on. */
  allowed: boolean;
  /** The deciding rule as the user would type it (`--deny-host *.example.com`), or a default's description. */
  rule: string;
}

/** A rule that cannot be parsed; config turns it into a ConfigError naming the flag or file key. */
export class RuleError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "RuleError";
  }
}
