/**
 * `krill conformance --bootstrap host:port [--json out.json] [--krill]
 * [--only prefix ...]`: runs the suite, prints progress and the report
 * table, writes the JSON report when asked. Exit code 0 when nothing failed,
 * 1 when a check failed, 2 when the broker could not be reached.
 */
import { writeFileSync } from 'node:fs';
import type { CheckResult } from './check.js';
import { formatReport, reportJson } from './report.js';
import { runConformance } from './runner.js';

export interface ConformanceCommandArgs {
  bootstrap: string;
  json?: string;
  krill?: boolean;
  only?: string[];
  /** Print one line per result as it comes in. */
  progress?: boolean;
  out?: (line: string) => void;
}

const MARK: Record<CheckResult['status'], string> = { passed: '✓', failed: '✗', skipped: '-' };

export async function runConformanceCommand(args: ConformanceCommandArgs): Promise<number> {
  const out = args.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  let report;
  try {
    report = await runConformance(args.bootstrap, {
      krill: args.krill,
      only: args.only,
      onResult: args.progress
        ? (r) => out(`${MARK[r.status]} ${r.api}${r.version === null ? '' : ` v${r.version}`} ${r.check}${r.status === 'failed' ? `: ${r.detail}` : ''}`)
        : undefined,
    });
  } catch (err) {
    out(`cannot run the conformance suite against ${args.bootstrap}: ${(err as Error).message}`);
    return 2;
  }
  out(formatReport(report));
  if (args.json) {
    writeFileSync(args.json, reportJson(report));
    out(`JSON report written to ${args.json}`);
  }
  return report.summary.failed > 0 ? 1 : 0;
}
