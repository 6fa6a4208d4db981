/**
 * Typed errors and the reason codes that travel with them into responses
 * (`X-Sluice-Reason`) and access-log lines.
 *
 * @module
 */

/** Machine-readable reason codes. */
export type Reason =
  | "bad-request"
  | "bad-request-line"
  | "bad-header"
  | "bad-framing"
  | "bad-chunk"
  | "bad-target"
  | "origin-form"
  | "uri-too-long"
  | "head-too-large"
  | "too-many-headers"
  | "unsupported-version"
  | "unsupported-transfer-coding"
  | "connect-port-denied"
  | "permission-denied"
  | "dns-failure"
  | "upstream-refused"
  | "upstream-unreachable"
  | "upstream-connect-timeout"
  | "upstream-closed"
  | "upstream-bad-response"
  | "client-closed"
  | "client-error"
  | "upstream-error"
  | "header-timeout"
  | "upstream-timeout"
  | "stalled"
  | "tunnel-idle"
  | "too-many-connections"
  | "client-denied"
  | "host-denied"
  | "private-address"
  | "auth-required"
  | "auth-failed"
  | "auth-rate-limited"
  | "loop-detected"
  | "forward-disabled"
  | "forbidden"
  | "method-not-allowed"
  | "bad-path"
  | "not-found"
  | "not-cached"
  | "parent-refused";

/**
 * An error the proxy answers with an HTTP status (when no response head was
 * sent yet) and logs with its reason code.
 *
 * @example
 * ```ts
 * import { ProxyError } from "./errors.ts";
 * throw new ProxyError(502, "upstream-refused", "Cannot connect to example.com:80: refused");
 * ```
 */
export class ProxyError extends Error {
  /** HTTP status to answer with. */
  readonly status: number;
  /** Reason code for the response header and the access log. */
  readonly reason: Reason;

  /** Creates an error with a status, a reason code and a human message. */
  constructor(status: number, reason: Reason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProxyError";
    this.status = status;
    this.reason = reason;
  }
}

/**
 * A message that cannot be parsed. `status` is the answer for a request; when
 * the bad message came from an origin the proxy answers 502 instead.
 *
 * @example
 * ```ts
 * import { ParseError } from "./errors.ts";
 * throw new ParseError(400, "bad-request-line", "Cannot parse request line: missing HTTP version");
 * ```
 */
export class ParseError extends ProxyError {
  /** Creates a parse error. */
  constructor(status: number, reason: Reason, message: string) {
    super(status, reason, message);
    this.name = "ParseError";
  }
}

/**
 * A 407: the request lacks valid proxy credentials. Its response carries
 * `Proxy-Authenticate` with {@linkcode AuthRequiredError.challenge}.
 *
 * @example
 * ```ts
 * import { AuthRequiredError } from "./errors.ts";
 * throw new AuthRequiredError("auth-required", "Proxy credentials needed", 'Basic realm="sluice"');
 * ```
 */
export class AuthRequiredError extends ProxyError {
  /** The `Proxy-Authenticate` field value. */
  readonly challenge: string;
  /** The user the client named, when its credentials could be decoded (for the access log). */
  readonly user: string | undefined;

  /** Creates the error. */
  constructor(
    reason: "auth-required" | "auth-failed",
    message: string,
    challenge: string,
    user?: string,
  ) {
    super(407, reason, message);
    this.name = "AuthRequiredError";
    this.challenge = challenge;
    this.user = user;
  }
}

/**
 * A 429: the client has had too many failed proxy logins lately, so its
 * credentials are not checked now. Its response carries `Retry-After` with
 * {@linkcode RateLimitedError.retryAfter}.
 *
 * @example
 * ```ts
 * import { RateLimitedError } from "./errors.ts";
 * throw new RateLimitedError("Too many failed proxy logins; try again in 42 s", 42);
 * ```
 */
export class RateLimitedError extends ProxyError {
  /** Seconds until the client may try again (the `Retry-After` value); at least 1. */
  readonly retryAfter: number;

  /** Creates the error. */
  constructor(message: string, retryAfter: number) {
    super(429, "auth-rate-limited", message);
    this.name = "RateLimitedError";
    this.retryAfter = Math.max(1, Math.ceil(retryAfter));
  }
}

/**
 * `err` as the ProxyError the client hears (502 for anything unexpected).
 *
 * @example
 * ```ts
 * import { asProxyError } from "./errors.ts";
 * asProxyError(new Error("boom")).status; // 502
 * ```
 */
export function asProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  return new ProxyError(
    502,
    "upstream-error",
    `Unexpected failure: ${(err as Error)?.message ?? err}`,
    { cause: err },
  );
}
