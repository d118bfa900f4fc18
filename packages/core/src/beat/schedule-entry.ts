import { createHash } from 'node:crypto';
import { TaskqError } from '../errors';
import type { SendOptions } from '../send-options';
import type { Schedule } from './schedules';

/** What beat does with slots that passed while no beat was running (or during a long failover). */
export type MissedSlots = 'run-latest' | 'skip';

/** The send options a periodic task may carry (no id, countdown or eta: beat decides those). */
export type PeriodicSendOptions = Pick<
  SendOptions,
  'queue' | 'exchange' | 'routingKey' | 'priority' | 'serializer' | 'headers' | 'ignoreResult' | 'timeLimit' | 'softTimeLimit'
> & {
  /** Seconds after its slot a sent task expires (workers skip it after that). */
  expires?: number;
};

/** An entry of `app.schedule(name, entry)` or of a schedule file. */
export interface ScheduleEntryOptions {
  schedule: Schedule;
  /** The task's name (a taskq task or a Python Celery task). */
  task: string;
  args?: readonly unknown[];
  kwargs?: Record<string, unknown>;
  options?: PeriodicSendOptions;
  /**
   * Slots that passed while no beat was running: `run-latest` sends the latest of them once
   * (Celery's behaviour), `skip` drops them. @defaultValue 'run-latest'
   */
  missed?: MissedSlots;
  /** A missed slot older than this many seconds is dropped even under `run-latest`. @defaultValue none */
  startingDeadline?: number;
}

/** A validated entry. */
export interface ScheduleEntry {
  readonly name: string;
  readonly schedule: Schedule;
  readonly task: string;
  readonly args: readonly unknown[];
  readonly kwargs: Record<string, unknown>;
  readonly options: PeriodicSendOptions;
  readonly missed: MissedSlots;
  readonly startingDeadlineSeconds: number | undefined;
  /** `code`, or the schedule file it came from. */
  readonly source: string;
}

const ENTRY_KEYS = new Set(['schedule', 'task', 'args', 'kwargs', 'options', 'missed', 'startingDeadline']);
/** The send options a periodic task may carry (see {@link PeriodicSendOptions}). */
export const PERIODIC_OPTION_KEYS = [
  'queue',
  'exchange',
  'routingKey',
  'priority',
  'serializer',
  'headers',
  'ignoreResult',
  'timeLimit',
  'softTimeLimit',
  'expires',
] as const;
const OPTION_KEYS: ReadonlySet<string> = new Set(PERIODIC_OPTION_KEYS);

/** The periodic tasks of an app, by entry name. */
export class ScheduleRegistry {
  private readonly byName = new Map<string, ScheduleEntry>();

  /** @param defaultZone the app's `timezone`: schedules made without a zone are read in it */
  constructor(private readonly defaultZone: () => string | undefined = () => undefined) {}

  /** Add an entry; throws `INVALID_SCHEDULE` on a wrong field or a name used twice. */
  add(name: string, options: ScheduleEntryOptions, source = 'code'): ScheduleEntry {
    const zone = this.defaultZone();
    const inZone = zone && options?.schedule?.inDefaultZone ? { ...options, schedule: options.schedule.inDefaultZone(zone) } : options;
    const entry = validateEntry(name, inZone, source);
    const existing = this.byName.get(name);
    if (existing) {
      throw new TaskqError(
        'INVALID_SCHEDULE',
        `Schedule entry '${name}' is defined twice (${existing.source} and ${source}); entry names must be unique.`,
      );
    }
    this.byName.set(name, entry);
    return entry;
  }

  get(name: string): ScheduleEntry | undefined {
    return this.byName.get(name);
  }

  /** Every entry, in the order added. */
  entries(): ScheduleEntry[] {
    return [...this.byName.values()];
  }

  get size(): number {
    return this.byName.size;
  }
}

function validateEntry(name: string, options: ScheduleEntryOptions, source: string): ScheduleEntry {
  const where = `schedule entry ${JSON.stringify(name)}${source === 'code' ? '' : ` in ${source}`}`;
  const fail = (message: string): never => {
    throw new TaskqError('INVALID_SCHEDULE', `${where}: ${message}`);
  };
  if (typeof name !== 'string' || name.trim() === '') fail('the entry name must be a non-empty string.');
  if (options === null || typeof options !== 'object') return fail('expected an object with schedule and task.');
  for (const key of Object.keys(options)) {
    if (!ENTRY_KEYS.has(key)) fail(`unknown field '${key}'; fields are ${[...ENTRY_KEYS].join(', ')}.`);
  }
  const { schedule, task, args = [], kwargs = {}, missed = 'run-latest', startingDeadline } = options;
  if (!schedule || typeof schedule.next !== 'function') {
    fail('schedule must be made by cron(), crontab() or every() from @taskq/core.');
  }
  if (typeof task !== 'string' || task.trim() === '') fail(`task must be a task name, found ${JSON.stringify(task)}.`);
  if (!Array.isArray(args)) fail(`args must be a list, found ${typeof args}.`);
  if (kwargs === null || typeof kwargs !== 'object' || Array.isArray(kwargs)) fail('kwargs must be an object of named arguments.');
  if (missed !== 'run-latest' && missed !== 'skip') fail(`missed must be 'run-latest' or 'skip', found ${JSON.stringify(missed)}.`);
  if (
    startingDeadline !== undefined &&
    !(typeof startingDeadline === 'number' && Number.isFinite(startingDeadline) && startingDeadline > 0)
  ) {
    fail(`startingDeadline must be a number of seconds > 0, found ${String(startingDeadline)}.`);
  }
  const sendOptions = options.options ?? {};
  if (sendOptions === null || typeof sendOptions !== 'object' || Array.isArray(sendOptions)) fail('options must be an object.');
  for (const key of Object.keys(sendOptions)) {
    if (!OPTION_KEYS.has(key)) fail(`unknown send option '${key}'; periodic tasks take ${[...OPTION_KEYS].join(', ')}.`);
  }
  const { priority, expires } = sendOptions;
  if (priority !== undefined && !(Number.isInteger(priority) && priority >= 0 && priority <= 255)) {
    fail(`options.priority must be an integer from 0 to 255, found ${String(priority)}.`);
  }
  if (expires !== undefined && !(typeof expires === 'number' && Number.isFinite(expires) && expires > 0)) {
    fail(`options.expires must be a number of seconds after the slot, found ${String(expires)}.`);
  }
  return {
    name,
    schedule,
    task,
    args,
    kwargs,
    options: sendOptions,
    missed,
    startingDeadlineSeconds: startingDeadline,
    source,
  };
}

/** Namespace of slot ids (a fixed, random UUID: ids are UUID v5 of `entry@slot` in it). */
const SLOT_NAMESPACE = Buffer.from('5b0c6a4e2f7d4c1e9a3b8d6f1e2c4a7b', 'hex');

/**
 * The task id of one slot of one entry: a UUID (version 5) of `<entry>@<slot ISO time>`. Every beat
 * computes the same id for the same slot, so a slot sent twice (only possible for the one in flight
 * when a leader dies) is recognisable by its id.
 */
export function slotTaskId(entryName: string, slot: Date): string {
  const hash = createHash('sha1').update(SLOT_NAMESPACE).update(`${entryName}@${slot.toISOString()}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
