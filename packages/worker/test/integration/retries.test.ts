import {
  createApp,
  currentTask,
  Reject,
  Retry,
  silentLogger,
  TaskFailedError,
  type AppOptions,
  type TaskqApp,
  type TaskRequest,
} from '@taskq/core';
import type { GetMessage } from 'amqplib';
import { Worker } from '../../src';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';

class PaymentDeclined extends Error {
  override name = 'PaymentDeclined';
}

/** Retries, Reject and running out of retries, against the real broker. */
describe('retries', () => {
  const broker = new BrokerFixture();
  const cleanups: Array<() => Promise<void>> = [];

  /** An app, a started worker on a fresh queue, and the test's own dead-letter queue. */
  async function setup(
    define: (app: TaskqApp) => void,
    options: AppOptions = {},
  ): Promise<{ app: TaskqApp; worker: Worker; queue: string; dead: string }> {
    const queue = broker.queue(uniqueName('retry'));
    const dead = broker.queue(uniqueName('retry-dead'));
    const app = createApp({
      brokerUrl: BROKER_URL,
      logger: silentLogger,
      defaults: { defaultQueue: queue },
      deadLetterQueue: dead,
      ...options,
    });
    define(app);
    const worker = new Worker(app, { queues: [queue], concurrency: 2, drainTimeoutMs: 2000 });
    cleanups.push(async () => {
      await worker.stop();
      await app.close();
    });
    await worker.start();
    return { app, worker, queue, dead };
  }

  async function deadLetters(queue: string, expected: number): Promise<GetMessage[]> {
    await BrokerFixture.eventually(
      // The dead-letter queue is declared with the first dead letter, a moment after the caller's result.
      async () => (await broker.exists(queue)) && (await broker.counts(queue)).messageCount >= expected,
      `${expected} dead letter(s) in ${queue}`,
    );
    const letters: GetMessage[] = [];
    for (let m = await broker.get(queue); m; m = await broker.get(queue)) letters.push(m);
    return letters;
  }

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await broker.cleanup();
  });

  it('runs a task again no earlier than its retry countdown, with retries incremented; the caller sees RETRY meanwhile', async () => {
    const runs: Array<{ at: number; retries: number; redelivered: boolean }> = [];
    const { app, worker } = await setup((app) => {
      app.task('retry.countdown', (x: number) => {
        const { retries, redelivered } = currentTask();
        runs.push({ at: Date.now(), retries, redelivered });
        if (retries === 0) currentTask().retry({ countdown: 2 });
        return x * retries;
      });
    });
    const retried: number[] = [];
    worker.on('task-retried', (_request, _error, delayMs) => retried.push(delayMs));
    const result = await app.sendTask<number>('retry.countdown', [21]);
    await BrokerFixture.eventually(() => result.state === 'RETRY', 'the RETRY state');
    expect(result.ready()).toBe(false);
    expect(worker.running).toBe(0); // the next attempt waits in the broker, not in this worker
    await expect(result.get({ timeout: 20_000 })).resolves.toBe(21);
    expect(runs.map((r) => r.retries)).toEqual([0, 1]);
    expect(runs[1]!.redelivered).toBe(false); // a new message, not a redelivery
    expect(runs[1]!.at - runs[0]!.at).toBeGreaterThanOrEqual(2000);
    expect(retried).toEqual([2000]);
    expect(result.state).toBe('SUCCESS');
  });

  it('autoretryFor + maxRetries=2: three attempts with backoff, then FAILURE at the caller and one dead letter saying why', async () => {
    const runs: number[] = [];
    const ids: string[] = [];
    const { app, queue, dead, worker } = await setup((app) => {
      app.task(
        'retry.pay',
        (orderId: number) => {
          runs.push(currentTask().retries);
          ids.push(currentTask().id);
          throw new PaymentDeclined(`card declined for order ${orderId}`);
        },
        { autoretryFor: [PaymentDeclined], maxRetries: 2, retryBackoff: true }, // waits 0–1 s, then 0–2 s (full jitter)
      );
    });
    const failed: TaskRequest[] = [];
    worker.on('task-failed', (request) => failed.push(request));
    const before = Date.now();
    const result = await app.sendTask('retry.pay', [42], { priority: 7 });
    const error = (await result.get({ timeout: 20_000 }).catch((e: unknown) => e)) as TaskFailedError;
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error.excType).toBe('PaymentDeclined');
    expect(error.message).toBe('PaymentDeclined: card declined for order 42');
    expect(result.state).toBe('FAILURE');
    expect(runs).toEqual([0, 1, 2]);
    expect(new Set(ids)).toEqual(new Set([result.id])); // same task id on every attempt
    expect(failed).toHaveLength(1);

    const [letter, ...more] = await deadLetters(dead, 1);
    expect(more).toHaveLength(0);
    const headers = letter!.properties.headers!;
    expect(headers).toMatchObject({
      'x-taskq-reason': 'max-retries',
      'x-taskq-error': 'PaymentDeclined: card declined for order 42',
      'x-taskq-task': 'retry.pay',
      'x-taskq-original-queue': queue,
      'x-taskq-attempts': 3,
      id: result.id,
      root_id: result.id,
      retries: 2,
    });
    const at = Date.parse(headers['x-taskq-dead-lettered-at'] as string);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
    expect(letter!.properties).toMatchObject({ correlationId: result.id, priority: 7, contentType: 'application/json', deliveryMode: 2 });
    expect(JSON.parse(letter!.content.toString())[0]).toEqual([42]); // the original body
    expect((await broker.counts(queue)).messageCount).toBe(0);
  });

  it('an explicit Retry past maxRetries fails with MaxRetriesExceededError and is dead-lettered', async () => {
    let runs = 0;
    const { app, dead } = await setup((app) => {
      app.task(
        'retry.always',
        () => {
          runs++;
          throw new Retry({ countdown: 0 });
        },
        { maxRetries: 1 },
      );
    });
    const result = await app.sendTask('retry.always', []);
    await expect(result.get({ timeout: 15_000 })).rejects.toMatchObject({ excType: 'MaxRetriesExceededError', state: 'FAILURE' });
    expect(runs).toBe(2);
    const [letter] = await deadLetters(dead, 1);
    expect(letter!.properties.headers).toMatchObject({ 'x-taskq-reason': 'max-retries', 'x-taskq-attempts': 2 });
    expect(letter!.properties.headers!['x-taskq-error']).toMatch(/^MaxRetriesExceededError: Can't retry retry\.always/);
  });

  it('Reject dead-letters the message at once (no retry), and the caller sees REJECTED', async () => {
    let runs = 0;
    const { app, queue, dead } = await setup((app) => {
      app.task(
        'retry.poison',
        () => {
          runs++;
          throw new Reject('payload references a deleted account');
        },
        { autoretryFor: ['Error'], maxRetries: 5, defaultRetryDelay: 0 },
      );
    });
    const result = await app.sendTask('retry.poison', ['acct-9']);
    await expect(result.get({ timeout: 15_000 })).rejects.toMatchObject({
      state: 'REJECTED',
      excType: 'Reject',
      message: 'Reject: payload references a deleted account',
    });
    const [letter] = await deadLetters(dead, 1);
    expect(letter!.properties.headers).toMatchObject({
      'x-taskq-reason': 'rejected',
      'x-taskq-error': 'Reject: payload references a deleted account',
      'x-taskq-task': 'retry.poison',
      'x-taskq-original-queue': queue,
      'x-taskq-attempts': 1,
    });
    expect(runs).toBe(1);
    expect((await broker.counts(queue)).messageCount).toBe(0);
  });

  it('signed retries: the next attempt is signed again, so a signing worker runs it', async () => {
    const key = 'retry-signing-key-0123456789abcdef';
    const retries: number[] = [];
    const { app, dead } = await setup(
      (app) => {
        app.task('retry.signed', () => {
          retries.push(currentTask().retries);
          if (currentTask().retries < 2) throw new Retry({ countdown: 0.1 });
          return 'done';
        });
      },
      { signing: { key } },
    );
    await expect((await app.sendTask('retry.signed', [])).get({ timeout: 15_000 })).resolves.toBe('done');
    expect(retries).toEqual([0, 1, 2]);
    expect((await broker.counts(dead).catch(() => ({ messageCount: 0 }))).messageCount).toBe(0);
  });
});
