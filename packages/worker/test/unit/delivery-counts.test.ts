import { BrokerError, ClosedError, MAX_DELAY_SECONDS, PublishRejectedError, UnroutableError } from '@taskq/core';
import {
  countHeader,
  decideRedelivery,
  etaOutOfRange,
  internalRetryDelayMs,
  isBrokerSideFailure,
  MAX_INTERNAL_ATTEMPTS,
} from '../../src/delivery-counts';
import { ownHeaders } from '../../src/delivery-screen';

const REDELIVERIES = 'x-taskq-redeliveries';

describe('redelivery decisions (the count lives in the message, in the broker)', () => {
  it('runs a first delivery as usual', () => {
    expect(decideRedelivery(false, { task: 't' }, 3)).toEqual({ kind: 'run' });
    expect(decideRedelivery(false, undefined, 3)).toEqual({ kind: 'run' });
  });

  it('re-publishes a redelivered message with its count one higher, and runs that copy alone', () => {
    expect(decideRedelivery(true, {}, 3)).toEqual({ kind: 'recount', redeliveries: 1 });
    expect(decideRedelivery(false, { [REDELIVERIES]: 1 }, 3)).toEqual({ kind: 'run-alone', redeliveries: 1 });
    expect(decideRedelivery(true, { [REDELIVERIES]: 1 }, 3)).toEqual({ kind: 'recount', redeliveries: 2 });
  });

  it('gives up (worker-crash) on the redelivery that reaches the limit: N crashes, N runs', () => {
    expect(decideRedelivery(true, { [REDELIVERIES]: 2 }, 3)).toEqual({ kind: 'give-up', redeliveries: 3 });
    expect(decideRedelivery(true, { [REDELIVERIES]: 7 }, 3)).toEqual({ kind: 'give-up', redeliveries: 8 });
    expect(decideRedelivery(true, {}, 1)).toEqual({ kind: 'give-up', redeliveries: 1 });
  });

  it("on a quorum queue, trusts the broker's x-delivery-count: the message itself runs alone, no copy", () => {
    expect(decideRedelivery(true, { 'x-delivery-count': 1 }, 3, true)).toEqual({ kind: 'run-alone', redeliveries: 1 });
    expect(decideRedelivery(true, { 'x-delivery-count': 2 }, 3, true)).toEqual({ kind: 'run-alone', redeliveries: 2 });
    expect(decideRedelivery(true, { 'x-delivery-count': 3 }, 3, true)).toEqual({ kind: 'give-up', redeliveries: 3 });
    // A copy counted on a classic queue before adds its count.
    expect(decideRedelivery(true, { 'x-delivery-count': 1, [REDELIVERIES]: 2 }, 3, true)).toEqual({ kind: 'give-up', redeliveries: 3 });
    // First deliveries carry no broker count.
    expect(decideRedelivery(false, {}, 3, true)).toEqual({ kind: 'run' });
    // Without the broker's count (absent, or a classic queue where any publisher could write it): recount.
    expect(decideRedelivery(true, {}, 3, true)).toEqual({ kind: 'recount', redeliveries: 1 });
    expect(decideRedelivery(true, { 'x-delivery-count': 5 }, 3, false)).toEqual({ kind: 'recount', redeliveries: 1 });
  });

  it('reads hostile count headers as 0, and only own properties', () => {
    for (const value of ['2', -1, 1.5, NaN, null, { n: 2 }, Number.MAX_VALUE]) {
      expect(countHeader({ [REDELIVERIES]: value }, REDELIVERIES)).toBe(0);
    }
    const inherited = Object.create({ [REDELIVERIES]: 2 }) as Record<string, unknown>;
    expect(countHeader(inherited, REDELIVERIES)).toBe(0);
  });
});

describe('internal-error retries', () => {
  it('back off 2, 4, 8, 16 s and stop at a bounded number of attempts', () => {
    expect([1, 2, 3, 4].map(internalRetryDelayMs)).toEqual([2000, 4000, 8000, 16000]);
    expect(internalRetryDelayMs(100)).toBe(1024 * 1000);
    expect(MAX_INTERNAL_ATTEMPTS).toBeGreaterThan(1);
    expect(MAX_INTERNAL_ATTEMPTS).toBeLessThanOrEqual(10);
  });

  it('tell broker-side publish failures (try later) from local ones (never)', () => {
    expect(isBrokerSideFailure(new BrokerError('BROKER_UNAVAILABLE', 'down'))).toBe(true);
    expect(isBrokerSideFailure(new PublishRejectedError('', 'q'))).toBe(true);
    expect(isBrokerSideFailure(new ClosedError('The app'))).toBe(true);
    expect(isBrokerSideFailure(new UnroutableError('x', 'y'))).toBe(false);
    expect(isBrokerSideFailure(new TypeError('correlationId too long'))).toBe(false);
    expect(isBrokerSideFailure(new RangeError('delay'))).toBe(false);
  });
});

describe('eta range', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('accepts an eta the delay ladder can hold and refuses one beyond it', () => {
    expect(etaOutOfRange(new Date(now + MAX_DELAY_SECONDS * 1000), now)).toBe(false);
    expect(etaOutOfRange(new Date(now + (MAX_DELAY_SECONDS + 1) * 1000), now)).toBe(true);
    expect(etaOutOfRange(new Date('2100-01-01T00:00:00Z'), now)).toBe(true);
    expect(etaOutOfRange(new Date(now - 1000), now)).toBe(false);
  });
});

describe('ownHeaders', () => {
  it('returns ordinary headers as they are', () => {
    const headers = { task: 't', id: '1' };
    expect(ownHeaders(headers)).toBe(headers);
    expect(ownHeaders(undefined)).toBeUndefined();
  });

  it('drops what a __proto__ header smuggled in as the prototype (as amqplib decodes it)', () => {
    const headers: Record<string, unknown> = {};
    // biome-ignore lint/suspicious/noProto: the test is about exactly this assignment, as amqplib's table decoder makes it.
    headers['__proto__'] = { task: 'evil.task', id: 'evil' };
    headers['id'] = 'real';
    expect(headers['task']).toBe('evil.task'); // inherited
    const own = ownHeaders(headers)!;
    expect(own['task']).toBeUndefined();
    expect('task' in own).toBe(false);
    expect(own['id']).toBe('real');
    expect(({} as Record<string, unknown>)['task']).toBeUndefined();
  });
});
