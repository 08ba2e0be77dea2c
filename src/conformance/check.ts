/**
 * What a conformance check is. A check grades one API (apiKey) or, with
 * apiKey null, a cross-API scenario. A versioned check runs once per
 * version of its API that the broker advertises and Krill's codec knows,
 * narrowed by `versions`; an unversioned one runs once.
 *
 * A check passes when `run` returns, fails when it throws (CheckFailure from
 * the assertions, or anything unexpected), and is skipped when it throws
 * SkipCheck or an API in `requires` is not advertised.
 */
import type { CheckContext } from './suite.js';

export interface VersionFilter {
  min?: number;
  max?: number;
  /** Only versions where the request is flexible (KIP-482). */
  flexibleOnly?: boolean;
}

export interface Check {
  /** Stable id, `<area>.<what>` (used in the JSON report and to filter). */
  id: string;
  title: string;
  /** The API graded; null for a scenario. */
  apiKey: number | null;
  /** Report heading of a check with no API (default 'Scenario'). */
  area?: string;
  /** Run once per version (with an optional filter); omitted: once. */
  versions?: VersionFilter | 'all';
  /** APIs the broker must advertise for the check to run. */
  requires?: readonly number[];
  /** Only with --krill. */
  krillOnly?: boolean;
  /** Also run on every flexible version with unknown tagged fields in the header and body (KIP-482). */
  tagged?: boolean;
  /** Versions may run concurrently (checks that wait on broker timers, like group joins). */
  parallel?: boolean;
  /** Overall time limit for one run of the check. */
  timeoutMs?: number;
  run(ctx: CheckContext, version: number): Promise<void>;
}

export type Status = 'passed' | 'failed' | 'skipped';

export interface CheckResult {
  check: string;
  title: string;
  /** API name, or 'Scenario' / 'Connection'. */
  api: string;
  apiKey: number | null;
  version: number | null;
  status: Status;
  detail?: string;
  durationMs: number;
}
