import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One scenario's figures. `lost` counts confirmed task ids that never ran: it must be 0.
 * A figure left undefined does not apply to the scenario (results ignored, dead letters not watched)
 * and prints as "—".
 */
export interface FaultFigures {
  scenario: string;
  /** Tasks the producer sent (whether or not the broker confirmed them). */
  sent: number;
  /** Distinct task ids that ran at least once. */
  ran: number;
  /** Task ids that ran more than once. */
  ranTwice: number;
  /** `get()` resolved with the value the task returned. */
  resultsStored?: number | undefined;
  /** `get()` rejected with a task failure, or resolved with a wrong value: must be 0. */
  falseResults?: number | undefined;
  lost: number;
  /** Dead letters by `x-taskq-reason`. */
  deadLettered?: Readonly<Record<string, number>> | undefined;
  /** Reconnects, worker deaths, outage lines… as the scenario defines it. */
  notes: string;
  seconds: number;
}

export const REPORT_FILE = join(__dirname, '..', '..', '.fault-results.jsonl');

/** The table's columns; `summary.js` prints them from the report, so they are defined only here. */
export const COLUMNS = [
  'scenario',
  'sent',
  'ran',
  'ran twice',
  'results stored',
  'false results',
  'lost',
  'dead-lettered',
  'recovered / notes',
  'seconds',
] as const;

/** Count what ran against what was confirmed. */
export function tally(confirmed: Iterable<string>, runs: ReadonlyMap<string, number>): { ran: number; lost: number; ranTwice: number } {
  let lost = 0;
  for (const id of confirmed) if (!runs.has(id)) lost++;
  let ranTwice = 0;
  for (const count of runs.values()) if (count > 1) ranTwice++;
  return { ran: runs.size, lost, ranTwice };
}

/** Append one row to the report the summary prints (and docs/RELIABILITY.md quotes). */
export function record(figures: FaultFigures): void {
  const cells = formatCells(figures);
  mkdirSync(join(REPORT_FILE, '..'), { recursive: true });
  appendFileSync(REPORT_FILE, `${JSON.stringify({ ...figures, columns: COLUMNS, cells })}\n`);
  process.stderr.write(`\nFAULT ${formatRow(cells)}\n`);
}

export function formatCells(f: FaultFigures): string[] {
  return [
    f.scenario,
    String(f.sent),
    String(f.ran),
    String(f.ranTwice),
    optional(f.resultsStored),
    optional(f.falseResults),
    String(f.lost),
    f.deadLettered ? formatReasons(f.deadLettered) : '—',
    f.notes,
    f.seconds.toFixed(1),
  ];
}

/** `"300: 200 malformed, 100 unknown-task"`, largest first; `"0"` when there are none. */
export function formatReasons(reasons: Readonly<Record<string, number>>): string {
  const entries = Object.entries(reasons)
    .filter(([, n]) => n > 0)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  return total === 0 ? '0' : `${total}: ${entries.map(([reason, n]) => `${n} ${reason}`).join(', ')}`;
}

export function formatRow(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function optional(value: number | undefined): string {
  return value === undefined ? '—' : String(value);
}
