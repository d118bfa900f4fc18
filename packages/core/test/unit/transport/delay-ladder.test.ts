import {
  DELAY_LEVELS,
  DELIVERY_EXCHANGE,
  MAX_DELAY_SECONDS,
  delayRoutingKey,
  deliveryBindingKey,
  LADDER_ENTRY_EXCHANGE,
  ladderEntry,
  ladderLevels,
  splitDelay,
} from '../../../src/transport';
import { levelQueueArguments } from '../../../src/transport/delay-ladder';

/** AMQP topic matching, to simulate a message's path through the ladder. */
function topicMatches(pattern: string, key: string): boolean {
  const p = pattern.split('.');
  const k = key.split('.');
  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    if (p[i] === '#') return match(i + 1, j) || (j < k.length && match(i, j + 1));
    return j < k.length && (p[i] === '*' || p[i] === k[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

/** Follow a routing key from the top of the ladder; return the total wait and the final queue. */
function walk(key: string): { waitedMs: number; queue: string | undefined } {
  let waitedMs = 0;
  for (const level of ladderLevels()) {
    const waits = topicMatches(level.waitKey, key);
    const passes = topicMatches(level.passKey, key);
    expect(waits !== passes).toBe(true); // exactly one path at every level
    if (waits) waitedMs += level.ttlMs;
  }
  const queue = key.split('.').slice(DELAY_LEVELS).join('.');
  return { waitedMs, queue: topicMatches(deliveryBindingKey(queue), key) ? queue : undefined };
}

describe('delay ladder', () => {
  it('has 28 levels of power-of-two seconds, each dead-lettering to the next lower one', () => {
    const levels = ladderLevels();
    expect(levels).toHaveLength(DELAY_LEVELS);
    expect(levels[0]).toMatchObject({ name: 'taskq.delay.L27', ttlMs: 2 ** 27 * 1000, next: 'taskq.delay.L26' });
    expect(levels.at(-1)).toMatchObject({ name: 'taskq.delay.L0', ttlMs: 1000, next: DELIVERY_EXCHANGE });
  });

  it('has a quorum twin with its own names, ending in the same delivery exchange, dead-lettering at-least-once', () => {
    const levels = ladderLevels('quorum');
    expect(levels).toHaveLength(DELAY_LEVELS);
    expect(levels[0]).toMatchObject({ name: 'taskq.delay.q.L27', next: 'taskq.delay.q.L26' });
    expect(levels.at(-1)).toMatchObject({ name: 'taskq.delay.q.L0', ttlMs: 1000, next: DELIVERY_EXCHANGE });
    expect(ladderEntry('quorum')).toBe('taskq.delay.q.L27');
    expect(ladderEntry('classic')).toBe(LADDER_ENTRY_EXCHANGE);
    expect(ladderEntry(undefined)).toBe(LADDER_ENTRY_EXCHANGE);
    expect(levelQueueArguments(levels.at(-1)!, 'quorum')).toEqual({
      'x-message-ttl': 1000,
      'x-dead-letter-exchange': DELIVERY_EXCHANGE,
      'x-queue-type': 'quorum',
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    });
    expect(levelQueueArguments(ladderLevels()[0]!, 'classic')).toEqual({
      'x-message-ttl': 2 ** 27 * 1000,
      'x-dead-letter-exchange': 'taskq.delay.L26',
    });
  });

  it.each([1, 2, 3, 5, 60, 3600, 86_400 * 30, MAX_DELAY_SECONDS])('routes a %i s delay through exactly that much waiting', (seconds) => {
    const { waitedMs, queue } = walk(delayRoutingKey(seconds, 'orders.high'));
    expect(waitedMs).toBe(seconds * 1000);
    expect(queue).toBe('orders.high');
  });

  it('delivers only to the named queue, even when queue names share suffixes', () => {
    const key = delayRoutingKey(5, 'a.b');
    expect(topicMatches(deliveryBindingKey('a.b'), key)).toBe(true);
    expect(topicMatches(deliveryBindingKey('b'), key)).toBe(false);
  });

  it('rounds a wait up to whole ladder seconds (never early), and skips the ladder under a second', () => {
    expect(splitDelay(2500)).toEqual({ ladderSeconds: 3 });
    expect(splitDelay(2000)).toEqual({ ladderSeconds: 2 });
    expect(splitDelay(999)).toEqual({ ladderSeconds: 0 });
    expect(splitDelay(-5)).toEqual({ ladderSeconds: 0 });
    expect(() => splitDelay((MAX_DELAY_SECONDS + 1) * 1000)).toThrow(/longest supported delay/);
    expect(() => delayRoutingKey(1.5, 'q')).toThrow(RangeError);
  });
});
