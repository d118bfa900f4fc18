import { newTaskId } from '../../../src/protocol';

describe('task ids', () => {
  it('are version 4 UUIDs in the canonical lower-case form Celery uses', () => {
    for (let i = 0; i < 1000; i++) {
      expect(newTaskId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  it('do not repeat, across many refills of the random pool', () => {
    const ids = new Set(Array.from({ length: 20_000 }, () => newTaskId()));
    expect(ids.size).toBe(20_000);
  });
});
