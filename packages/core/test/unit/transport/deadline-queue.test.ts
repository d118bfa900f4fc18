import { DeadlineQueue } from '../../../src/transport/deadline-queue';

const expiredError = (): Error => new Error('expired');

describe('deadlines kept with one timer', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('expires each wait at its deadline, in order, unless it settled first', () => {
    const queue = new DeadlineQueue(expiredError);
    const expired: string[] = [];
    const now = Date.now();
    queue.add(now + 100, () => expired.push('a'));
    const b = queue.add(now + 150, () => expired.push('b'));
    queue.add(now + 200, (error) => expired.push(`c: ${error.message}`));
    queue.settle(b);
    jest.advanceTimersByTime(99);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual(['a']);
    jest.advanceTimersByTime(100);
    expect(expired).toEqual(['a', 'c: expired']);
    expect(queue.size).toBe(0);
  });

  it('uses a single timer however many waits are open, and none once all settled', () => {
    const queue = new DeadlineQueue(expiredError);
    const waits = Array.from({ length: 5000 }, (_, i) => queue.add(Date.now() + 30_000 + i, () => undefined));
    expect(jest.getTimerCount()).toBe(1);
    expect(queue.size).toBe(5000);
    for (const wait of waits) queue.settle(wait);
    expect(queue.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps expiring later waits after settled ones were dropped from the front', () => {
    const queue = new DeadlineQueue(expiredError);
    const expired: number[] = [];
    const waits = Array.from({ length: 3000 }, (_, i) => queue.add(Date.now() + 1000, () => expired.push(i)));
    // Confirms arrive in order for all but the last one.
    for (const wait of waits.slice(0, 2999)) queue.settle(wait);
    expect(queue.size).toBe(1);
    jest.advanceTimersByTime(1000);
    expect(expired).toEqual([2999]);
    // A settle after the wait expired changes nothing.
    queue.settle(waits[2999]!);
    expect(queue.size).toBe(0);
  });

  it('starts a new timer for waits added after it went idle', () => {
    const queue = new DeadlineQueue(expiredError);
    const expired: string[] = [];
    queue.add(Date.now() + 10, () => expired.push('first'));
    jest.advanceTimersByTime(10);
    queue.add(Date.now() + 10, () => expired.push('second'));
    jest.advanceTimersByTime(10);
    expect(expired).toEqual(['first', 'second']);
  });
});
