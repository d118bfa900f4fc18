import {
  DELAY_LEVELS,
  DELIVERY_EXCHANGE,
  MAX_DELAY_SECONDS,
  delayRoutingKey,
  deliveryBindingKey,
  ladderLevels,
  splitDelay,
} from '../../../src/transport';

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
