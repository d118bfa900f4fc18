import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GetMessage } from 'amqplib';
import { createApp, currentTask, silentLogger, type TaskqApp } from '@taskq/core';
import { Worker } from '../../src';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';

/**
 * Redeliveries on a quorum queue (the main broker: a single node takes quorum queues): the broker
 * counts them in `x-delivery-count`, so the worker runs the redelivered message itself alone — no
 * counted copy — and dead-letters it as `worker-crash` once the broker's count reaches
 * maxRedeliveries.
 */
describe('redeliveries counted by a quorum queue', () => {
  const broker = new BrokerFixture();
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await broker.cleanup();
  });

  function appFor(queue: string, dead: string): TaskqApp {
    const dir = mkdtempSync(join(tmpdir(), 'taskq-quorum-redelivery-'));
    writeFileSync(join(dir, 'q.yaml'), `queue: ${queue}\nqueueType: quorum\ntasks: ['qr.*']\n`);
    const app = createApp({ brokerUrl: BROKER_URL, logger: silentLogger, config: dir, deadLetterQueue: dead, resultBackend: 'disabled' });
    cleanups.push(async () => {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return app;
  }

  /** Take every message of `queue` on a consumer that dies without acking, `times` times over. */
  async function dieHolding(queue: string, count: number, times: number): Promise<void> {
    for (let i = 0; i < times; i++) {
      const connection = await broker.conn();
      const channel = await connection.createChannel();
      await channel.prefetch(100);
      let got = 0;
      await channel.consume(queue, () => got++, { noAck: false });
      await BrokerFixture.eventually(() => got === count, `${count} messages delivered to the consumer that dies`);
      await channel.close();
    }
  }

  it('runs a redelivered message itself, alone, and gives up at maxRedeliveries with the broker count', async () => {
    const queue = broker.queue(uniqueName('quorum-redelivery'));
    const dead = broker.queue(uniqueName('quorum-redelivery-dead'));
    const app = appFor(queue, dead);
    const runs: Array<{ id: string; redelivered: boolean; beside: number }> = [];
    let running = 0;
    app.task('qr.record', async (id: string) => {
      running++;
      runs.push({ id, redelivered: currentTask()?.redelivered ?? false, beside: running - 1 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      running--;
    });
    await app.sendTask('qr.record', ['hopeless'], { queue, taskId: 'hopeless', ignoreResult: true });
    await dieHolding(queue, 1, 2); // x-delivery-count 2 on its next delivery
    await app.sendTask('qr.record', ['suspect'], { queue, taskId: 'suspect', ignoreResult: true });
    await dieHolding(queue, 2, 1); // hopeless: 3, suspect: 1
    await Promise.all(['b1', 'b2', 'b3'].map((id) => app.sendTask('qr.record', [id], { queue, taskId: id, ignoreResult: true })));

    const worker = new Worker(app, { queues: [queue], concurrency: 4, maxRedeliveries: 3, drainTimeoutMs: 5000 });
    cleanups.unshift(() => worker.stop());
    await worker.start();
    await BrokerFixture.eventually(() => runs.length === 4, 'suspect and the three beside it to run');

    // The suspect ran once, flagged redelivered, with nothing beside it; hopeless never ran.
    expect(runs.filter((run) => run.id === 'suspect')).toEqual([{ id: 'suspect', redelivered: true, beside: 0 }]);
    expect(runs.map((run) => run.id)).not.toContain('hopeless');
    let letter: GetMessage | false = false;
    await BrokerFixture.eventually(async () => {
      letter = await broker.get(dead);
      return letter !== false;
    }, 'the dead letter');
    const headers = (letter as unknown as GetMessage).properties.headers!;
    expect(headers['id']).toBe('hopeless');
    expect(headers['x-taskq-reason']).toBe('worker-crash');
    // No counted copy was published: the queue holds nothing more, and nothing ran twice.
    await worker.stop();
    expect((await broker.counts(queue)).messageCount).toBe(0);
    expect(new Set(runs.map((run) => run.id)).size).toBe(runs.length);
  });
});
