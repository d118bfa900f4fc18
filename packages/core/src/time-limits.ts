import { TaskqError, type TaskqErrorCode } from './errors';

/**
 * A pair of time limits in seconds, as task options, send options and worker options spell them
 * (Celery's `time_limit` / `soft_time_limit`).
 */
export interface TimeLimitSettings {
  /** Hard limit in seconds: the task is marked failed (`TimeLimitExceeded`) and its slot freed. */
  timeLimit?: number | undefined;
  /** Soft limit in seconds: `currentTask().signal` aborts with `SoftTimeLimitExceeded`. */
  softTimeLimit?: number | undefined;
}

/** The limits that apply to one run of a task, in seconds; `undefined` = no limit. */
export interface ResolvedTimeLimits {
  hard: number | undefined;
  soft: number | undefined;
}

/**
 * Which limits apply to a run, each of the pair on its own: the message's `timelimit` header
 * (`[hard, soft]`, from the caller) wins over the task's options, which win over the worker's
 * defaults — Celery's order.
 */
export function resolveTimeLimits(
  header: readonly [number | null, number | null],
  task: TimeLimitSettings = {},
  worker: TimeLimitSettings = {},
): ResolvedTimeLimits {
  return {
    hard: positive(header[0]) ?? positive(task.timeLimit) ?? positive(worker.timeLimit),
    soft: positive(header[1]) ?? positive(task.softTimeLimit) ?? positive(worker.softTimeLimit),
  };
}

/**
 * Check `timeLimit` / `softTimeLimit` where a user sets them: each absent, or a number of seconds
 * above 0. Throws a {@link TaskqError} with `code` naming `where`.
 */
export function checkTimeLimits(settings: TimeLimitSettings, where: string, code: TaskqErrorCode = 'INVALID_OPTION'): void {
  for (const key of ['timeLimit', 'softTimeLimit'] as const) {
    const value = settings[key];
    if (value !== undefined && positive(value) === undefined) {
      throw new TaskqError(code, `${where}: ${key} must be a number of seconds above 0 (fractions allowed), found ${describe(value)}.`);
    }
  }
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}
