import { Cron } from 'croner';
import { TaskqError } from '../errors';

/**
 * When a periodic task fires. `next(after)` is the first fire time strictly after `after`; every
 * beat process computes the same times from the same schedule, so a fire time (a slot) names the
 * same moment on every machine.
 */
export interface Schedule {
  /** The first fire time strictly after `after`. */
  next(after: Date): Date;
  /** The IANA zone the schedule is read in (`UTC` unless given). */
  readonly timezone: string;
  /** How `taskq schedule` shows it, e.g. `cron '0 3 * * *' (Europe/Berlin)`. */
  readonly description: string;
  /**
   * The same schedule read in `zone`, when it was made without a zone of its own (the app's
   * `timezone` option applies then); absent on schedules a zone does not apply to.
   */
  inDefaultZone?(zone: string): Schedule;
}

/** Options of {@link cron} and {@link crontab}. */
export interface ZoneOptions {
  /** IANA time zone the fields are read in, e.g. `Europe/Berlin`. @defaultValue `UTC` */
  timezone?: string;
}

/** A field of {@link crontab}: a number, a cron field string (`'*\/15'`, `'mon-fri'`, `'1,15'`) or a list of numbers. */
export type CrontabField = number | string | readonly number[];

/** Celery's `crontab()` fields (camelCase); each defaults to `'*'`. */
export interface CrontabFields {
  minute?: CrontabField;
  hour?: CrontabField;
  dayOfWeek?: CrontabField;
  dayOfMonth?: CrontabField;
  monthOfYear?: CrontabField;
}

/**
 * A standard cron expression: 5 fields (`minute hour day-of-month month day-of-week`) or 6 with
 * seconds first. Vixie cron semantics, as cron-parser and crontab(5): when both day-of-month and
 * day-of-week are restricted, a day matching EITHER fires (`0 0 1 * mon` = the 1st and every Monday).
 *
 * Daylight saving time, as Vixie cron: a fixed time of day that does not exist on a spring-forward
 * day fires once, right after the jump; one that occurs twice on a fall-back day fires once, at
 * the first occurrence. A schedule with a wildcard or step in its second, minute or hour field
 * (`*\/15 * * * *`) runs in real time: it skips the minutes that do not exist and runs through the
 * repeated hour, so "every 15 minutes" stays every 15 minutes.
 */
export function cron(expression: string, options: ZoneOptions = {}): Schedule {
  const where = `cron(${JSON.stringify(expression)})`;
  if (typeof expression !== 'string' || expression.trim() === '') {
    throw scheduleError(`${where}: the expression must be a cron string such as '0 3 * * *'.`);
  }
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    throw scheduleError(
      `${where}: expected 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), found ${fields.length}.`,
    );
  }
  const timezone = checkZone(options.timezone, where);
  const schedule = cronSchedule(fields.join(' '), timezone, false, `cron '${fields.join(' ')}'`, where);
  return options.timezone === undefined ? { ...schedule, inDefaultZone: (zone) => cron(expression, { timezone: zone }) } : schedule;
}

/**
 * Celery's `crontab()`: every given field must match — including day-of-month AND day-of-week when
 * both are given (Celery 5: `crontab(minute=0, hour=0, day_of_month=1, day_of_week=1)` fires only
 * on a 1st that is a Monday). This differs from {@link cron}'s either-day rule on purpose, so a
 * Celery `beat_schedule` moves over with its meaning. Days of the week: 0 or `sun` is Sunday, 6 or
 * `sat` Saturday. Time zones and daylight saving time as {@link cron}.
 */
export function crontab(fields: CrontabFields = {}, options: ZoneOptions = {}): Schedule {
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw scheduleError('crontab(fields): fields must be an object such as { minute: 30, hour: 7 }.');
  }
  const known = new Set(['minute', 'hour', 'dayOfWeek', 'dayOfMonth', 'monthOfYear']);
  for (const key of Object.keys(fields)) {
    if (!known.has(key)) {
      throw scheduleError(`crontab(): unknown field '${key}'. Fields are minute, hour, dayOfWeek, dayOfMonth, monthOfYear.`);
    }
  }
  const minute = fieldText(fields.minute, 'minute');
  const hour = fieldText(fields.hour, 'hour');
  const dayOfMonth = fieldText(fields.dayOfMonth, 'dayOfMonth');
  const monthOfYear = fieldText(fields.monthOfYear, 'monthOfYear');
  const dayOfWeek = fieldText(fields.dayOfWeek, 'dayOfWeek');
  const where = `crontab(${describeFields(fields)})`;
  const timezone = checkZone(options.timezone, where);
  const expression = `${minute} ${hour} ${dayOfMonth} ${monthOfYear} ${dayOfWeek}`;
  const schedule = cronSchedule(expression, timezone, true, `crontab(${describeFields(fields)})`, where);
  return options.timezone === undefined ? { ...schedule, inDefaultZone: (zone) => crontab(fields, { timezone: zone }) } : schedule;
}

/** Check an IANA zone name (the app's `timezone` option); returns it. */
export function checkTimezone(zone: string, where: string): string {
  return checkZone(zone, where);
}

/**
 * Every `seconds` seconds, on slots aligned to the Unix epoch (every(10) fires at :00, :10, :20 …),
 * so every beat process, whenever it started, computes the same slots. Time zones do not apply.
 */
export function every(seconds: number): Schedule {
  if (!(typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 1)) {
    throw scheduleError(`every(seconds): seconds must be a number ≥ 1, found ${String(seconds)}.`);
  }
  const periodMs = Math.round(seconds * 1000);
  return {
    timezone: 'UTC',
    description: `every ${seconds} s`,
    next(after: Date): Date {
      const at = after.getTime();
      return new Date((Math.floor(at / periodMs) + 1) * periodMs);
    },
  };
}

function cronSchedule(expression: string, timezone: string, allFieldsMatch: boolean, label: string, where: string): Schedule {
  let pattern: Cron;
  try {
    pattern = new Cron(expression, { timezone, domAndDow: allFieldsMatch, fixedTimeRule: 'no-wildcard', paused: true });
  } catch (err) {
    throw scheduleError(`${where}: ${(err as Error).message.replace(/^CronPattern: /, '')}.`);
  }
  return {
    timezone,
    description: `${label}${timezone === 'UTC' ? '' : ` (${timezone})`}`,
    next(after: Date): Date {
      const next = pattern.nextRun(after);
      if (!next) throw scheduleError(`${where} never fires after ${after.toISOString()}.`);
      // croner's resolution is one second: make "strictly after" hold for instants between seconds too.
      return next.getTime() > after.getTime() ? next : (pattern.nextRun(new Date(after.getTime() + 1000)) ?? next);
    },
  };
}

function fieldText(value: CrontabField | undefined, name: string): string {
  if (value === undefined) return '*';
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw scheduleError(`crontab(): ${name} must be a whole number ≥ 0, found ${value}.`);
    return String(value);
  }
  if (typeof value === 'string') {
    if (value.trim() === '' || /\s/.test(value.trim())) {
      throw scheduleError(
        `crontab(): ${name} must be one cron field such as '*', '*/15', '1-5' or 'mon-fri', found ${JSON.stringify(value)}.`,
      );
    }
    return value.trim();
  }
  if (Array.isArray(value) && value.length > 0 && value.every((v) => Number.isInteger(v) && v >= 0)) return value.join(',');
  throw scheduleError(`crontab(): ${name} must be a number, a cron field string or a list of numbers, found ${JSON.stringify(value)}.`);
}

function describeFields(fields: CrontabFields): string {
  const parts = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}: ${JSON.stringify(value)}`);
  return parts.length ? `{ ${parts.join(', ')} }` : '';
}

/** An IANA zone Node's Intl knows, or UTC when none is given. */
function checkZone(zone: string | undefined, where: string): string {
  if (zone === undefined) return 'UTC';
  try {
    if (typeof zone !== 'string' || zone === '') throw new RangeError('empty');
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone;
  } catch {
    throw scheduleError(
      `${where}: unknown time zone ${JSON.stringify(zone)}. Use an IANA zone name such as 'Europe/Berlin', 'America/New_York' or 'UTC'.`,
    );
  }
}

function scheduleError(message: string): TaskqError {
  return new TaskqError('INVALID_SCHEDULE', message);
}
