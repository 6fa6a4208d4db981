/**
 * The knobs of the cache policy, with their defaults.
 *
 * @module
 */

/** Options shared by the policy functions; every field has a default. */
export interface PolicyOptions {
  /** Heuristic lifetime as a fraction of `Date - Last-Modified` (default 0.1). */
  heuristicFraction: number;
  /** Upper bound of a heuristic lifetime, in seconds (default 86400: one day). */
  maxHeuristicSeconds: number;
  /**
   * How long past its freshness a stored response may still be served when
   * the origin cannot be reached at all, in seconds (default 604800: one
   * week; 0 disables). Never for `must-revalidate`, `proxy-revalidate`,
   * `s-maxage` or unqualified `no-cache` responses.
   */
  maxStaleOnDisconnect: number;
  /** Honour request `Pragma: no-cache` when the request has no `Cache-Control` (default true). */
  honorPragma: boolean;
}

/** The default policy options. */
export const DEFAULT_POLICY: Readonly<PolicyOptions> = Object.freeze({
  heuristicFraction: 0.1,
  maxHeuristicSeconds: 86400,
  maxStaleOnDisconnect: 604800,
  honorPragma: true,
});

/**
 * Fills the missing fields of `opts` from {@linkcode DEFAULT_POLICY}.
 *
 * @example
 * ```ts
 * import { policyOptions } from "./options.ts";
 * policyOptions({ maxHeuristicSeconds: 60 }).heuristicFraction; // 0.1
 * ```
 */
export function policyOptions(opts: Partial<PolicyOptions> = {}): PolicyOptions {
  return { ...DEFAULT_POLICY, ...opts };
}
