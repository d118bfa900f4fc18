import type { ScheduleEntry } from './schedule-entry';

/** What to do with the slots of one entry that are due: which one to send, how many to skip. */
export interface DueSlots {
  /** The slot to send now, or undefined to send none. */
  readonly send: Date | undefined;
  /** Slots not sent (missed, by the entry's policy or its starting deadline). */
  readonly skipped: number;
}

/** More missed slots than this are not counted one by one (an every(1) entry after a week away). */
const MAX_COUNTED = 100_000;

/**
 * Of an entry's slots from `first` (the next unsent one) up to `now`: normally only `first` is
 * due, and it is sent. When more have passed (no beat ran, a long failover, the broker was away),
 * `run-latest` sends the latest of them once and `skip` sends none; a slot older than the entry's
 * `startingDeadline` is never sent.
 */
export function dueSlots(entry: Pick<ScheduleEntry, 'schedule' | 'missed' | 'startingDeadlineSeconds'>, first: Date, now: Date): DueSlots {
  let latest = first;
  let count = 1;
  for (let next = entry.schedule.next(first); next <= now && count < MAX_COUNTED; next = entry.schedule.next(next)) {
    latest = next;
    count += 1;
  }
  const deadline = entry.startingDeadlineSeconds;
  const tooLate = deadline !== undefined && now.getTime() - latest.getTime() > deadline * 1000;
  if (count === 1 && !tooLate) return { send: first, skipped: 0 };
  if (entry.missed === 'skip' || tooLate) return { send: undefined, skipped: count };
  return { send: latest, skipped: count - 1 };
}
