import { createApp, currentTask, silentLogger } from '@taskq/core';
import { Worker } from '../../src';
import { BROKER_URL, BrokerFixture } from '../../../../test/support/broker';
import { describeWithCelery, runCeleryClient, sendResult, uniqueCeleryQueue } from '../../../../test/celery/harness';

/** A real Celery 5.2 producer sending time_limit / soft_time_limit to tasks a taskq worker runs. */
describeWithCelery('Celery time limits → taskq', () => {
  const broker = new BrokerFixture();

  afterAll(async () => {
    await broker.cleanup();
  });

  it("honours apply_async(time_limit=…, soft_time_limit=…) and fails with Celery's own exception classes", async () => {
    const queue = broker.queue(uniqueCeleryQueue('tl'));
    broker.exchange(queue); // Celery's send_task(queue=…) declares a direct exchange named like the queue
    const app = createApp({ brokerUrl: BROKER_URL, logger: silentLogger });
    app.task('tasks.hang', () => new Promise<never>(() => undefined), { timeLimit: 30 });
    app.task('tasks.cooperative', () => {
      const { signal } = currentTask();
      return new Promise<never>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    });
    const worker = new Worker(app, { queues: [queue], concurrency: 2, drainTimeoutMs: 2000 });
    await worker.start();
    try {
      const [hard, soft] = (
        await runCeleryClient({
          ops: [
            { op: 'send', name: 'tasks.hang', queue, time_limit: 0.4, get: true, timeout: 10 },
            { op: 'send', name: 'tasks.cooperative', queue, time_limit: 10, soft_time_limit: 0.3, get: true, timeout: 10 },
          ],
        })
      ).map((r) => sendResult(r));
      // taskq writes exc_module 'celery.exceptions', which re-exports billiard's classes: the client
      // got Celery's real class (a class Celery synthesises would live in celery.backends.base).
      expect(hard).toMatchObject({ state: 'FAILURE', exc_type: 'TimeLimitExceeded', exc_module: 'billiard.exceptions' });
      expect(hard!.exc_message).toContain('hard time limit of 0.4 s');
      expect(soft).toMatchObject({ state: 'FAILURE', exc_type: 'SoftTimeLimitExceeded', exc_module: 'billiard.exceptions' });
      expect(soft!.exc_message).toContain('soft time limit of 0.3 s');
    } finally {
      await worker.stop();
      await app.close();
    }
  });
});
