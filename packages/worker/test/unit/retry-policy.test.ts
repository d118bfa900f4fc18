import {
  MaxRetriesExceededError,
  Reject,
  Retry,
  SoftTimeLimitExceeded,
  TaskqError,
  TimeLimitExceeded,
  type RetryPolicy,
} from '@taskq/core';
import { DEFAULT_RETRY_POLICY, resolveRetryPolicy } from '@taskq/core/internal';
import { backoffSeconds, decideFailure, type FailureInput } from '../../src/retry-policy';

/** A small seeded PRNG (mulberry32), so jitter tests are reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class PaymentDeclined extends Error {
  override name = 'PaymentDeclined';
}
class CardExpired extends PaymentDeclined {
  override name = 'CardExpired';
}

const NOW = Date.parse('2026-11-23T18:00:00Z');

function decide(error: unknown, policy: Partial<RetryPolicy> = {}, retries = 0, random?: () => number) {
  const input: FailureInput = {
    error,
    policy: { ...DEFAULT_RETRY_POLICY, ...policy },
    retries,
    taskName: 'tasks.pay',
    taskId: 'id-1',
    now: NOW,
    ...(random ? { random } : {}),
  };
  return decideFailure(input);
}

describe('backoff', () => {
  it('doubles from the base without jitter, capped by the maximum', () => {
    const seconds = [0, 1, 2, 3, 4, 10].map((retries) => backoffSeconds({ retries, base: 3, max: 40, jitter: false, random: Math.random }));
    expect(seconds).toEqual([3, 6, 12, 24, 40, 40]);
  });

  it('with full jitter stays a whole number from 0 to the backoff, and covers that range', () => {
    const random = seeded(42);
    for (const retries of [0, 1, 2, 5, 9]) {
      const ceiling = Math.min(600, 2 ** retries);
      const seen = new Set<number>();
      for (let i = 0; i < 2000; i++) {
        const s = backoffSeconds({ retries, base: 1, max: 600, jitter: true, random });
        expect(Number.isInteger(s)).toBe(true);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(ceiling);
        seen.add(s);
      }
      expect(Math.min(...seen)).toBe(0);
      expect(Math.max(...seen)).toBe(ceiling);
    }
  });

  it('jitter is bounded at both ends of random()', () => {
    expect(backoffSeconds({ retries: 3, base: 1, max: 600, jitter: true, random: () => 0 })).toBe(0);
    expect(backoffSeconds({ retries: 3, base: 1, max: 600, jitter: true, random: () => 0.999999 })).toBe(8);
    expect(backoffSeconds({ retries: 20, base: 1, max: 600, jitter: true, random: () => 0.999999 })).toBe(600);
  });
});

describe('decideFailure', () => {
  it('an ordinary error is the result: fail, no retry', () => {
    const error = new Error('boom');
    expect(decide(error)).toEqual({ kind: 'fail', error });
  });

  it('Reject rejects, whatever the retry settings', () => {
    const reject = new Reject('poison');
    expect(decide(reject, { autoretryFor: ['Error'] })).toEqual({ kind: 'reject', error: reject });
  });

  it('an explicit Retry uses its countdown, else its eta, else defaultRetryDelay', () => {
    expect(decide(new Retry({ countdown: 5 }))).toMatchObject({ kind: 'retry', delayMs: 5000, explicit: true });
    expect(decide(new Retry({ eta: new Date(NOW + 7_500) }))).toMatchObject({ kind: 'retry', delayMs: 7500 });
    expect(decide(new Retry({ eta: new Date(NOW - 1000) }))).toMatchObject({ kind: 'retry', delayMs: 0 });
    expect(decide(new Retry(), { defaultRetryDelay: 180 })).toMatchObject({ kind: 'retry', delayMs: 180_000 });
  });

  it('an explicit Retry reports its error while retrying', () => {
    const cause = new TypeError('flaky');
    expect(decide(new Retry({ countdown: 1, error: cause }))).toMatchObject({ kind: 'retry', error: cause });
  });

  it('maxRetries=2 allows retries after runs 0 and 1, and gives up after run 2 (3 attempts)', () => {
    const policy = { autoretryFor: [PaymentDeclined], maxRetries: 2, defaultRetryDelay: 1 };
    const error = new PaymentDeclined('declined');
    expect(decide(error, policy, 0).kind).toBe('retry');
    expect(decide(error, policy, 1).kind).toBe('retry');
    expect(decide(error, policy, 2)).toEqual({ kind: 'exhausted', error, maxRetries: 2 });
  });

  it('an exhausted explicit Retry fails with its error, else MaxRetriesExceededError', () => {
    const cause = new Error('upstream down');
    expect(decide(new Retry({ error: cause }), { maxRetries: 1 }, 1)).toEqual({ kind: 'exhausted', error: cause, maxRetries: 1 });
    const decision = decide(new Retry(), { maxRetries: 1 }, 1);
    expect(decision.kind).toBe('exhausted');
    expect((decision as { error: unknown }).error).toBeInstanceOf(MaxRetriesExceededError);
    expect((decision as { error: Error }).error.message).toContain("Can't retry tasks.pay[id-1]");
  });

  it("a Retry's own maxRetries overrides the task's, and null retries forever", () => {
    expect(decide(new Retry({ maxRetries: 5 }), { maxRetries: 1 }, 3).kind).toBe('retry');
    expect(decide(new Retry({ maxRetries: 0 }), { maxRetries: 3 }, 0).kind).toBe('exhausted');
    expect(decide(new Retry(), { maxRetries: null }, 10_000).kind).toBe('retry');
  });

  it('autoretryFor matches classes with instanceof and names along the class chain', () => {
    const expired = new CardExpired('expired');
    expect(decide(expired, { autoretryFor: [PaymentDeclined] }).kind).toBe('retry');
    expect(decide(expired, { autoretryFor: ['PaymentDeclined'] }).kind).toBe('retry');
    expect(decide(expired, { autoretryFor: ['CardExpired'] }).kind).toBe('retry');
    expect(decide(expired, { autoretryFor: ['Error'] }).kind).toBe('retry');
    expect(decide(expired, { autoretryFor: [RangeError, 'TimeoutError'] }).kind).toBe('fail');
    expect(decide(new RangeError('x'), { autoretryFor: [PaymentDeclined] }).kind).toBe('fail');
    expect(decide('a string', { autoretryFor: ['Error'] }).kind).toBe('fail');
  });

  it('automatic retries use the backoff when set, else defaultRetryDelay', () => {
    const error = new PaymentDeclined('x');
    expect(decide(error, { autoretryFor: [PaymentDeclined], defaultRetryDelay: 30 })).toMatchObject({ delayMs: 30_000, explicit: false });
    const noJitter = { autoretryFor: [PaymentDeclined], backoffBase: 2, backoffMax: 600, jitter: false };
    expect(decide(error, noJitter, 0)).toMatchObject({ delayMs: 2000 });
    expect(decide(error, { ...noJitter, maxRetries: 10 }, 4)).toMatchObject({ delayMs: 32_000 });
    const jittered = decide(error, { ...noJitter, jitter: true, maxRetries: 10 }, 4, () => 0.5);
    expect(jittered).toMatchObject({ delayMs: 16_000 });
  });

  it('never retries a hard time limit automatically, but does retry a soft one', () => {
    expect(decide(new TimeLimitExceeded(1, 'tasks.pay'), { autoretryFor: ['Error'] }).kind).toBe('fail');
    expect(decide(new SoftTimeLimitExceeded(1, 'tasks.pay'), { autoretryFor: ['SoftTimeLimitExceeded'], defaultRetryDelay: 1 }).kind).toBe(
      'retry',
    );
  });

  it('recognises a Retry or Reject rebuilt from a worker thread by its code', () => {
    const rebuiltRetry = Object.assign(new Error('Retry requested'), { code: 'TASK_RETRY', countdown: 4 });
    expect(decide(rebuiltRetry)).toMatchObject({ kind: 'retry', delayMs: 4000 });
    const rebuiltReject = Object.assign(new Error('no'), { code: 'TASK_REJECTED' });
    expect(decide(rebuiltReject).kind).toBe('reject');
    expect(decide(new TaskqError('INVALID_OPTION', 'x')).kind).toBe('fail');
  });
});

describe('retry settings', () => {
  it("applies Celery's defaults", () => {
    expect(resolveRetryPolicy('t', {})).toEqual({
      maxRetries: 3,
      autoretryFor: [],
      backoffBase: 0,
      backoffMax: 600,
      jitter: true,
      defaultRetryDelay: 180,
    });
    expect(resolveRetryPolicy('t', { retryBackoff: true }).backoffBase).toBe(1);
    expect(resolveRetryPolicy('t', { retryBackoff: 5, retryJitter: false, maxRetries: null })).toMatchObject({
      backoffBase: 5,
      jitter: false,
      maxRetries: null,
    });
  });

  it('reports every invalid setting at once, naming the task', () => {
    const attempt = () =>
      resolveRetryPolicy('tasks.pay', {
        maxRetries: -1,
        autoretryFor: [42 as unknown as string],
        retryBackoff: -2,
        retryBackoffMax: 0,
        retryJitter: 'yes' as unknown as boolean,
        defaultRetryDelay: NaN,
      });
    expect(attempt).toThrow(TaskqError);
    try {
      attempt();
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain("task 'tasks.pay'");
      for (const key of ['maxRetries', 'autoretryFor[0]', 'retryBackoff ', 'retryBackoffMax', 'retryJitter', 'defaultRetryDelay'])
        expect(message).toContain(key);
    }
  });

  it('validates a Retry request', () => {
    expect(() => new Retry({ countdown: -1 })).toThrow(/countdown must be a number of seconds ≥ 0/);
    expect(() => new Retry({ countdown: 1, eta: new Date() })).toThrow(/either countdown or eta/);
    expect(() => new Retry({ eta: 'not a date' })).toThrow(/eta must be a Date or an ISO 8601 string/);
    expect(() => new Retry({ maxRetries: 1.5 })).toThrow(/maxRetries must be a whole number/);
    expect(new Retry({ eta: '2026-11-23T18:00:00Z' }).eta?.toISOString()).toBe('2026-11-23T18:00:00.000Z');
    expect(new Retry({ countdown: 30, error: new Error('gateway busy') }).message).toBe('Retry in 30s: gateway busy');
    expect(new Retry({ eta: '2026-11-23T18:00:00Z' }).message).toBe('Retry at 2026-11-23T18:00:00Z');
    expect(new Retry()).toMatchObject({ name: 'Retry', code: 'TASK_RETRY', message: 'Retry' });
  });
});
