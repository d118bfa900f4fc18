import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, type ConfigProblem, TaskqError } from '../errors';
import { describeValue, FieldReader, isMapping, parseConfigText, type RawMapping } from '../routing';
import { PERIODIC_OPTION_KEYS, type MissedSlots, type PeriodicSendOptions, type ScheduleEntryOptions } from './schedule-entry';
import { cron, crontab, every, type CrontabFields, type Schedule } from './schedules';

/** One entry read from a schedule file. */
export interface ScheduleFileEntry {
  readonly name: string;
  readonly entry: ScheduleEntryOptions;
}

const ENTRY_KEYS = ['cron', 'crontab', 'every', 'timezone', 'task', 'args', 'kwargs', 'options', 'missed', 'startingDeadline'] as const;
const CRONTAB_KEYS = ['minute', 'hour', 'dayOfWeek', 'dayOfMonth', 'monthOfYear'] as const;

/**
 * Read a schedule file (YAML or JSON): one entry per top-level key, the same fields as
 * `app.schedule()` with the schedule written as exactly one of `cron: '0 3 * * *'`,
 * `crontab: { minute: 30, hour: 7, dayOfWeek: mon-fri }` or `every: 10` (seconds), and an optional
 * `timezone`. Every problem in the file is reported at once (a {@link ConfigError} naming the file,
 * the entry key, what was found and what was expected), as for routing files.
 */
export function loadScheduleFileSync(path: string): ScheduleFileEntry[] {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new TaskqError(
      'INVALID_SCHEDULE',
      `Cannot read the schedule file ${file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}.`,
      { cause },
    );
  }
  return parseScheduleFile(file, text);
}

/** {@link loadScheduleFileSync} on text already read (pure; for tests and other sources). */
export function parseScheduleFile(file: string, text: string): ScheduleFileEntry[] {
  const parsed = parseConfigText(file, text);
  if ('problem' in parsed) throw new ConfigError([parsed.problem]);
  const problems: ConfigProblem[] = [];
  const reader = new FieldReader(file, problems);
  const root = parsed.data;
  if (!isMapping(root) || Object.keys(root).length === 0) {
    throw new ConfigError([
      {
        file,
        key: '',
        message: `expected a mapping of entry names to entries (e.g. "nightly-report: { cron: '0 3 * * *', task: reports.nightly }"), found ${describeValue(root)}`,
      },
    ]);
  }
  const entries: ScheduleFileEntry[] = [];
  for (const [name, raw] of Object.entries(root)) {
    const entry = readEntry(reader, name, raw);
    if (entry) entries.push({ name, entry });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return entries;
}

function readEntry(reader: FieldReader, name: string, value: unknown): ScheduleEntryOptions | undefined {
  const raw = reader.mapping(value, name, 'an entry with a schedule (cron, crontab or every) and a task');
  if (!raw) return undefined;
  const before = reader.problems.length;
  reader.allowKeys(raw, name, ENTRY_KEYS);
  const schedule = readSchedule(reader, name, raw);
  const task = reader.string(raw, name, 'task', { nonEmpty: true });
  if (!('task' in raw)) reader.report(`${name}.task`, 'missing: name the task to send, e.g. task: reports.nightly');
  const args = readArgs(reader, name, raw);
  const kwargs = raw.kwargs === undefined ? undefined : reader.mapping(raw.kwargs, `${name}.kwargs`, 'a mapping of named arguments');
  const missed = reader.oneOf<MissedSlots>(raw, name, 'missed', ['run-latest', 'skip']);
  const startingDeadline = readPositiveNumber(reader, name, raw, 'startingDeadline', 'a number of seconds > 0');
  const options = readOptions(reader, name, raw);
  if (reader.problems.length > before || !schedule || task === undefined) return undefined;
  return {
    schedule,
    task,
    ...(args ? { args } : {}),
    ...(kwargs ? { kwargs } : {}),
    ...(options ? { options } : {}),
    ...(missed ? { missed } : {}),
    ...(startingDeadline !== undefined ? { startingDeadline } : {}),
  };
}

function readSchedule(reader: FieldReader, name: string, raw: RawMapping): Schedule | undefined {
  const kinds = (['cron', 'crontab', 'every'] as const).filter((kind) => raw[kind] !== undefined);
  if (kinds.length !== 1) {
    reader.report(
      name,
      kinds.length === 0
        ? "missing a schedule: give exactly one of cron: '0 3 * * *', crontab: { hour: 7, minute: 30 } or every: 10 (seconds)"
        : `found ${kinds.join(' and ')}: give exactly one of cron, crontab or every`,
    );
    return undefined;
  }
  const timezone = reader.string(raw, name, 'timezone', { nonEmpty: true });
  const zone = timezone === undefined ? {} : { timezone };
  const kind = kinds[0]!;
  const key = `${name}.${kind}`;
  try {
    switch (kind) {
      case 'cron': {
        const expression = reader.string(raw, name, 'cron', { nonEmpty: true });
        return expression === undefined ? undefined : cron(expression, zone);
      }
      case 'crontab': {
        const fields = reader.mapping(raw.crontab, key, `a mapping of ${CRONTAB_KEYS.join(', ')}`);
        if (!fields) return undefined;
        const before = reader.problems.length;
        reader.allowKeys(fields, key, CRONTAB_KEYS);
        return reader.problems.length > before ? undefined : crontab(fields as CrontabFields, zone);
      }
      case 'every': {
        if (timezone !== undefined) reader.report(`${name}.timezone`, 'every: seconds has no time zone; remove timezone or use cron');
        const seconds = readPositiveNumber(reader, name, raw, 'every', 'a number of seconds ≥ 1');
        return seconds === undefined ? undefined : every(seconds);
      }
    }
  } catch (err) {
    // cron()/crontab()/every() say what is wrong; the file and key come from the problem.
    reader.report(key, (err as Error).message.replace(/^[a-z]+\([^)]*\): /, ''));
    return undefined;
  }
}

function readArgs(reader: FieldReader, name: string, raw: RawMapping): unknown[] | undefined {
  if (raw.args === undefined) return undefined;
  if (Array.isArray(raw.args)) return raw.args;
  reader.report(`${name}.args`, `expected a list of positional arguments, found ${describeValue(raw.args)}`);
  return undefined;
}

function readPositiveNumber(reader: FieldReader, name: string, raw: RawMapping, field: string, expected: string): number | undefined {
  const value = raw[field];
  if (value === undefined) return undefined;
  const min = field === 'every' ? 1 : Number.MIN_VALUE;
  if (typeof value === 'number' && Number.isFinite(value) && value >= min) return value;
  reader.report(`${name}.${field}`, `expected ${expected}, found ${describeValue(value)}`);
  return undefined;
}

function readOptions(reader: FieldReader, name: string, raw: RawMapping): PeriodicSendOptions | undefined {
  if (raw.options === undefined) return undefined;
  const key = `${name}.options`;
  const options = reader.mapping(raw.options, key, 'a mapping of send options (queue, priority, expires, …)');
  if (!options) return undefined;
  reader.allowKeys(options, key, PERIODIC_OPTION_KEYS);
  reader.string(options, key, 'queue', { nonEmpty: true });
  reader.string(options, key, 'exchange');
  reader.string(options, key, 'routingKey');
  reader.string(options, key, 'serializer', { nonEmpty: true });
  reader.integer(options, key, 'priority', 0, 255, 'an integer from 0 to 255');
  reader.boolean(options, key, 'ignoreResult');
  if (options.headers !== undefined) reader.mapping(options.headers, `${key}.headers`, 'a mapping of header names to values');
  for (const field of ['timeLimit', 'softTimeLimit', 'expires']) readPositiveNumber(reader, key, options, field, 'a number of seconds > 0');
  return options as PeriodicSendOptions;
}
