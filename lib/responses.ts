/**
 * Responses the proxy makes itself: a short text body saying what went wrong
 * and how to fix it, the reason code in `X-Sluice-Reason`, and a
 * `Proxy-Status` field (RFC 9209).
 *
 * @module
 */

import { AuthRequiredError, type ProxyError, RateLimitedError } from "./errors.ts";
import { encodeLatin1 } from "./http1/forward.ts";

/** Reason phrases of the statuses the proxy answers with. */
export const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: "OK",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  407: "Proxy Authentication Required",
  408: "Request Timeout",
  414: "URI Too Long",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
  508: "Loop Detected",
};

/** RFC 9209 error types for the reason codes that have one. */
const PROXY_STATUS_ERROR: Readonly<Record<string, string>> = {
  "dns-failure": "dns_error",
  "upstream-refused": "connection_refused",
  "upstream-unreachable": "destination_unavailable",
  "upstream-connect-timeout": "connection_timeout",
  "upstream-closed": "connection_terminated",
  "upstream-bad-response": "http_protocol_error",
  "permission-denied": "destination_ip_prohibited",
  "connect-port-denied": "destination_ip_prohibited",
  "head-too-large": "http_request_error",
  "uri-too-long": "http_request_error",
  "too-many-headers": "http_request_error",
  "upstream-timeout": "http_response_timeout",
  "header-timeout": "http_request_error",
  "too-many-connections": "proxy_internal_error",
  "client-denied": "http_request_denied",
  "host-denied": "http_request_denied",
  "private-address": "destination_ip_prohibited",
  "auth-required": "http_request_denied",
  "auth-failed": "http_request_denied",
  "auth-rate-limited": "http_request_denied",
  "loop-detected": "proxy_loop_detected",
  "forward-disabled": "http_request_denied",
};

/** How {@linkcode errorResponse} frames its answer. */
export interface ErrorResponseOptions {
  /** Keep the connection (the file server's 404s); default: `Connection: close`. */
  keepAlive?: boolean;
  /** Answered as the origin (the file server): no `Proxy-Status`. */
  origin?: boolean;
  /** More header fields (`Allow` on a 405). */
  headers?: readonly (readonly [string, string])[];
}

/**
 * Serializes the error response for `err`: a short text body with the
 * reason, `X-Sluice-Reason` and `Proxy-Status`. It closes the connection
 * unless `options.keepAlive` says otherwise.
 *
 * @example
 * ```ts
 * import { ProxyError } from "./errors.ts";
 * import { errorResponse } from "./responses.ts";
 * errorResponse(new ProxyError(502, "dns-failure", "Cannot resolve example.invalid"));
 * ```
 */
export function errorResponse(
  err: ProxyError,
  name = "sluice",
  options: ErrorResponseOptions = {},
): Uint8Array {
  const status = err.status;
  const text = STATUS_TEXT[status] ?? "Error";
  const body = `${status} ${text}: ${
    err.message.replace(/[\r\n]+/g, " ")
  }\nreason: ${err.reason}\n`;
  const type = PROXY_STATUS_ERROR[err.reason] ??
    (status >= 500 ? "proxy_internal_error" : "http_request_error");
  const bodyBytes = new TextEncoder().encode(body);
  const head = `HTTP/1.1 ${status} ${text}\r\n` +
    "Content-Type: text/plain; charset=utf-8\r\n" +
    `Content-Length: ${bodyBytes.length}\r\n` +
    `X-Sluice-Reason: ${err.reason}\r\n` +
    (options.origin ? "" : `Proxy-Status: ${name}; error=${type}\r\n`) +
    (err instanceof AuthRequiredError ? `Proxy-Authenticate: ${err.challenge}\r\n` : "") +
    (err instanceof RateLimitedError ? `Retry-After: ${err.retryAfter}\r\n` : "") +
    (options.headers ?? []).map(([k, v]) => `${k}: ${v}\r\n`).join("") +
    (options.keepAlive ? "" : "Connection: close\r\n") + "\r\n";
  const headBytes = encodeLatin1(head);
  const out = new Uint8Array(headBytes.length + bodyBytes.length);
  out.set(headBytes);
  out.set(bodyBytes, headBytes.length);
  return out;
}

/** The answer to a CONNECT that opened its tunnel. */
export const CONNECT_ESTABLISHED: Uint8Array = encodeLatin1(
  "HTTP/1.1 200 Connection Established\r\n\r\n",
);
