import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Channel, GetMessage } from 'amqplib';
import { createApp, readDeadLetter, silentLogger, type TaskqApp } from '../../src';
import { toAssertQueueOptions } from '../../src/transport';
import { replyCodeOf } from '../../src/transport/amqp-reply';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';

/** Quorum queues and priority bands on the main broker (a single node accepts quorum queues). */
describe('quorum queues from a routing config', () => {
  const broker = new BrokerFixture();
  const apps: TaskqApp[] = [];
  const dirs: string[] = [];

  /** An app over a routing directory holding `files` (`{ 'name.yaml': 'yaml text' }`). */
  const appWith = (files: Record<string, string>, deadLetterQueue: string): TaskqApp => {
    const dir = mkdtempSync(join(tmpdir(), 'taskq-quorum-'));
    dirs.push(dir);
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    const app = createApp({ brokerUrl: BROKER_URL, logger: silentLogger, config: dir, deadLetterQueue });
    apps.push(app);
    return app;
  };

  /** What redeclaring `queue` with `args` does: `ok`, or the AMQP reply code of the refusal. */
  const redeclare = (queue: string, args: Record<string, unknown>): Promise<'ok' | number | undefined> =>
    broker.withChannel((ch: Channel) =>
      ch.assertQueue(queue, { durable: true, arguments: args }).then(
        () => 'ok' as const,
        (err: unknown) => replyCodeOf(err),
      ),
    );

  /** The next message of `queue` (unacked, on `ch`), waiting for it. */
  const nextMessage = async (ch: Channel, queue: string): Promise<GetMessage> => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const message = await ch.get(queue);
      if (message) return message;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for a message in ${queue}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await broker.cleanup();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('declares a quorum queue with its arguments, after the dead-letter queue, and dead-letters at the delivery limit', async () => {
    const queue = broker.queue(uniqueName('quorum'));
    const dead = broker.queue(uniqueName('quorum-dead'));
    const app = appWith({ 'q.yaml': `queue: ${queue}\nqueueType: quorum\ndeliveryLimit: 1\ntasks: [quorum.*]\n` }, dead);

    await app.sendTask('quorum.job', [1], { ignoreResult: true });

    const declaration = app.router.queue(queue);
    expect(await redeclare(queue, toAssertQueueOptions(declaration, dead).arguments ?? {})).toBe('ok');
    expect(await redeclare(queue, { 'x-queue-type': 'classic' })).toBe(406);
    expect(await broker.exists(dead)).toBe(true);

    // Returned twice (limit 1): RabbitMQ dead-letters it to the app's dead-letter queue, at least once.
    await broker.withChannel(async (ch) => {
      for (let i = 0; i < 2; i++) ch.nack(await nextMessage(ch, queue), false, true);
    });
    const letter = await broker.withChannel((ch) => nextMessage(ch, dead));
    expect(readDeadLetter(letter.properties.headers, letter.properties.correlationId)).toMatchObject({
      task: 'quorum.job',
      reason: 'broker:delivery_limit',
      originalQueue: queue,
    });
  });

  it('declares one quorum queue per priority band and sends priorities 0/5/9 to the right one', async () => {
    const queue = broker.queue(uniqueName('banded'));
    const exchange = broker.exchange(uniqueName('banded-x'));
    const dead = broker.queue(uniqueName('banded-dead'));
    const app = appWith(
      { 'b.yaml': `queue: ${queue}\nqueueType: quorum\nmaxPriority: 9\nexchange: ${exchange}\ntasks: [banded.*]\n` },
      dead,
    );
    const bands = app.router.consumeQueues(queue);
    expect(bands.map((q) => q.name)).toEqual([`${queue}.p7-9`, `${queue}.p4-6`, queue]);
    for (const band of bands) broker.queue(band.name);

    await app.producer().transport.declareQueues(bands);
    for (const band of bands) {
      expect(await broker.exists(band.name)).toBe(true);
      expect(await redeclare(band.name, { 'x-queue-type': 'classic' })).toBe(406);
    }

    for (const priority of [0, 5, 9]) await app.sendTask('banded.job', [priority], { priority, ignoreResult: true });
    await app.sendTask('banded.job', ['none'], { ignoreResult: true });

    const bodies = async (name: string): Promise<unknown[]> => {
      const found: unknown[] = [];
      for (let m = await broker.get(name); m; m = await broker.get(name))
        found.push((JSON.parse(m.content.toString()) as unknown[][])[0]?.[0]);
      return found;
    };
    expect(await bodies(queue)).toEqual([0, 'none']);
    expect(await bodies(`${queue}.p4-6`)).toEqual([5]);
    expect(await bodies(`${queue}.p7-9`)).toEqual([9]);
  });
});
