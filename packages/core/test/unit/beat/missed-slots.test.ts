import { dueSlots, every, type MissedSlots } from '../../../src';

const at = (iso: string): Date => new Date(iso);

function entry(missed: MissedSlots, startingDeadlineSeconds?: number) {
  return { schedule: every(60), missed, startingDeadlineSeconds };
}

describe('which due slots beat sends', () => {
  it('sends the one due slot, on time or a little late', () => {
    expect(dueSlots(entry('run-latest'), at('2026-05-01T00:01:00Z'), at('2026-05-01T00:01:00.200Z'))).toEqual({
      send: at('2026-05-01T00:01:00Z'),
      skipped: 0,
    });
    expect(dueSlots(entry('skip'), at('2026-05-01T00:01:00Z'), at('2026-05-01T00:01:59Z')).send).toEqual(at('2026-05-01T00:01:00Z'));
  });

  it('run-latest: of several missed slots, sends the latest once', () => {
    expect(dueSlots(entry('run-latest'), at('2026-05-01T00:01:00Z'), at('2026-05-01T00:05:30Z'))).toEqual({
      send: at('2026-05-01T00:05:00Z'),
      skipped: 4,
    });
  });

  it('skip: sends none of several missed slots', () => {
    expect(dueSlots(entry('skip'), at('2026-05-01T00:01:00Z'), at('2026-05-01T00:05:30Z'))).toEqual({ send: undefined, skipped: 5 });
  });

  it('startingDeadline: drops a slot older than the deadline, even the only one and under run-latest', () => {
    expect(dueSlots(entry('run-latest', 20), at('2026-05-01T00:01:00Z'), at('2026-05-01T00:01:30Z'))).toEqual({
      send: undefined,
      skipped: 1,
    });
    expect(dueSlots(entry('run-latest', 40), at('2026-05-01T00:01:00Z'), at('2026-05-01T00:05:30Z'))).toEqual({
      send: at('2026-05-01T00:05:00Z'),
      skipped: 4,
    });
    expect(dueSlots(entry('run-latest', 20), at('2026-05-01T00:01:00Z'), at('2026-05-01T00:05:30Z'))).toEqual({
      send: undefined,
      skipped: 5,
    });
  });
});
