import { loadScheduleFileSync, type ScheduleEntry } from '@taskq/core';
import { loadApp } from '../load-app';

/** Options of `taskq schedule`. */
export interface ScheduleCommandOptions {
  app: string;
  schedule?: string;
  /** Fire times to show per entry. */
  next?: number;
  /** Count from this instant instead of now (ISO 8601; for checking a DST day ahead of time). */
  from?: string;
}

type Write = (text: string) => void;

/**
 * `taskq schedule`: every periodic task of the app (and the schedule file) with its next fire
 * times, in the entry's zone and in UTC. Does not connect to the broker.
 */
export async function runScheduleCommand(options: ScheduleCommandOptions, out: Write = (s) => process.stdout.write(s)): Promise<number> {
  const app = await loadApp(options.app);
  if (options.schedule) {
    for (const { name, entry } of loadScheduleFileSync(options.schedule)) app.schedules.add(name, entry, options.schedule);
  }
  const entries = app.schedules.entries();
  if (entries.length === 0) {
    out('No periodic tasks: add them with app.schedule() or a schedule file (--schedule <file>).\n');
    return 0;
  }
  const count = options.next ?? 3;
  const from = options.from === undefined ? new Date() : new Date(options.from);
  if (Number.isNaN(from.getTime())) throw new Error(`--from must be an ISO 8601 time, found ${JSON.stringify(options.from)}.`);
  for (const entry of entries) out(describeEntry(entry, from, count));
  return 0;
}

function describeEntry(entry: ScheduleEntry, from: Date, count: number): string {
  const lines = [`${entry.name} → ${entry.task}${entry.source === 'code' ? '' : `  (${entry.source})`}`];
  lines.push(`  schedule: ${entry.schedule.description}; missed slots: ${entry.missed}${deadlineText(entry)}`);
  const options = Object.entries(entry.options);
  if (options.length) lines.push(`  options:  ${options.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`);
  let at = from;
  for (let i = 0; i < count; i++) {
    at = entry.schedule.next(at);
    const zone = entry.schedule.timezone;
    lines.push(`  next:     ${zone === 'UTC' ? '' : `${localTime(at, zone)} ${zone} = `}${at.toISOString().replace('.000Z', 'Z')}`);
  }
  return `${lines.join('\n')}\n`;
}

function deadlineText(entry: ScheduleEntry): string {
  return entry.startingDeadlineSeconds === undefined ? '' : `, dropped after ${entry.startingDeadlineSeconds} s`;
}

/** `2026-03-29 03:00:00 (UTC+2)` in `zone`. */
function localTime(at: Date, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'shortOffset',
  }).formatToParts(at);
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  const offset = get('timeZoneName').replace('GMT', 'UTC');
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')} (${offset === 'UTC' ? 'UTC+0' : offset})`;
}
