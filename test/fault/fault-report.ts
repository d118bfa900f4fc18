import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** One scenario's figures. `lost` counts confirmed task ids that never ran: it must be 0. */
export interface FaultFigures {
  scenario: string;
  sent: number;
  confirmed: number;
  ran: number;
  lost: number;
  duplicated: number;
  /** Reconnects / redeliveries / rejected poison messages, as the scenario defines it. */
  recovered: string;
  seconds: number;
}

export const REPORT_FILE = join(__dirname, '..', '..', '.fault-results.jsonl');

/** Count what ran against what was confirmed. */
export function tally(confirmed: Iterable<string>, runs: ReadonlyMap<string, number>): { ran: number; lost: number; duplicated: number } {
  let lost = 0;
  for (const id of confirmed) if (!runs.has(id)) lost++;
  let duplicated = 0;
  for (const count of runs.values()) if (count > 1) duplicated += count - 1;
  return { ran: runs.size, lost, duplicated };
}

/** Append one row to the report the summary prints (and docs/RELIABILITY.md quotes). */
export function record(figures: FaultFigures): void {
  mkdirSync(join(REPORT_FILE, '..'), { recursive: true });
  appendFileSync(REPORT_FILE, JSON.stringify(figures) + '\n');
  process.stderr.write(`\nFAULT ${formatRow(figures)}\n`);
}

export function formatRow(f: FaultFigures): string {
  return `| ${f.scenario} | ${f.sent} | ${f.confirmed} | ${f.ran} | ${f.lost} | ${f.duplicated} | ${f.recovered} | ${f.seconds.toFixed(1)} |`;
}

export const TABLE_HEADER = '| scenario | sent | confirmed | ran | lost | duplicated | recovered | seconds |\n| --- | --- | --- | --- | --- | --- | --- | --- |';
