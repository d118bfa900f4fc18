import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, silentLogger, type AppOptions, type TaskqApp } from '@taskq/core';
import type { GetMessage, Options } from 'amqplib';
import { Worker } from '../../src';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';

/** Every reason a worker refuses a message lands in the dead-letter queue, with headers saying why. */
describe('dead letters', () => {
  const broker = new BrokerFixture();
  const cleanups: Array<() => Promise<void>> = [];

  async function setup(
    options: AppOptions = {},
    queue = broker.queue(uniqueName('dl')),
  ): Promise<{ app: TaskqApp; worker: Worker; queue: string; dead: string; runs: string[]; rejected: Error[] }> {
    const dead = broker.queue(uniqueName('dl-dead'));
    const app = createApp({
      brokerUrl: BROKER_URL,
      logger: silentLogger,
      defaults: { defaultQueue: queue },
      deadLetterQueue: dead,
      ...options,
    });
    const runs: string[] = [];
    app.task('dl.known', (x: string) => {
      runs.push(x);
      return x;
    });
    const worker = new Worker(app, { queues: [queue], concurrency: 2, drainTimeoutMs: 2000 });
    const rejected: Error[] = [];
    worker.on('message-rejected', (_q, reason) => rejected.push(reason));
    cleanups.push(async () => {
      await worker.stop();
      await app.close();
    });
    await worker.start();
    return { app, worker, queue, dead, runs, rejected };
  }

  /** Wait for exactly one dead letter and take it. */
  async function oneDeadLetter(dead: string): Promise<GetMessage> {
    await BrokerFixture.eventually(
      async () => (await broker.counts(dead).catch(() => ({ messageCount: 0 }))).messageCount >= 1,
      `a dead letter in ${dead}`,
    );
    const letter = await broker.get(dead);
    expect(letter).toBeTruthy();
    await new Promise((r) => setTimeout(r, 100));
    expect((await broker.counts(dead)).messageCount).toBe(0); // only one
    return letter as GetMessage;
  }

  function send(queue: string, content: Buffer, properties: Options.Publish): Promise<void> {
    return broker.withChannel(async (ch) => {
      ch.sendToQueue(queue, content, properties);
    });
  }

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await broker.cleanup();
  });

  it.each([
    [
      'malformed',
      'a body that is not JSON',
      Buffer.from('{not json'),
      { contentType: 'application/json', headers: { task: 'dl.known', id: 'm-1' } },
      'dl.known',
      /SerializationError|ProtocolError/,
    ],
    [
      'malformed',
      'a message whose task header is not a string',
      Buffer.from('[[],{},{}]'),
      { contentType: 'application/json', headers: { task: 42, id: 'n-1' } },
      undefined,
      /ProtocolError: Message header 'task' must be a non-empty string/,
    ],
    [
      'content-type',
      'a pickle message',
      Buffer.from([0x80, 0x04, 0x95]),
      { contentType: 'application/x-python-serialize', headers: { task: 'dl.known', id: 'p-1' } },
      'dl.known',
      /pickle|Refusing|refused/i,
    ],
    [
      'content-type',
      'an unaccepted content type',
      Buffer.from('<xml/>'),
      { contentType: 'application/xml', headers: { task: 'dl.known', id: 'x-1' } },
      'dl.known',
      /ContentTypeRejectedError: Refusing message with content type 'application\/xml'/,
    ],
    [
      'unknown-task',
      'an unknown task',
      Buffer.from('[[1],{},{}]'),
      { contentType: 'application/json', headers: { task: 'dl.unknown', id: 'u-1', retries: 0 } },
      'dl.unknown',
      /NotRegisteredError: No task named 'dl.unknown'/,
    ],
  ])('%s: %s lands with its reason, never runs, and the worker keeps going', async (reason, _label, content, properties, task, error) => {
    const { app, queue, dead, runs, rejected } = await setup();
    const sentAt = Date.now();
    await send(queue, content, { ...properties, priority: 3, correlationId: 'corr-1' });
    const letter = await oneDeadLetter(dead);
    const headers = letter.properties.headers!;
    expect(headers['x-taskq-reason']).toBe(reason);
    expect(headers['x-taskq-error']).toMatch(error);
    expect(headers['x-taskq-task']).toBe(task);
    expect(headers['x-taskq-original-queue']).toBe(queue);
    expect(headers['x-taskq-attempts']).toBe(1);
    expect(Date.parse(headers['x-taskq-dead-lettered-at'] as string)).toBeGreaterThanOrEqual(sentAt - 1000);
    expect(letter.content.equals(content)).toBe(true);
    expect(letter.properties).toMatchObject({ contentType: properties.contentType, priority: 3, correlationId: 'corr-1', deliveryMode: 2 });
    expect(rejected).toHaveLength(1);
    expect(runs).toEqual([]);
    await expect((await app.sendTask('dl.known', ['still-working'])).get({ timeout: 10_000 })).resolves.toBe('still-working');
    expect((await broker.counts(queue)).messageCount).toBe(0);
  });

  it('too-large: a worker refuses a body over its maxMessageBytes before decoding it', async () => {
    const { queue, dead, runs } = await setup({ maxMessageBytes: 200 });
    const big = Buffer.from(JSON.stringify([['y'.repeat(500)], {}, {}]));
    await send(queue, big, { contentType: 'application/json', headers: { task: 'dl.known', id: 'big-1', retries: 4 } });
    const letter = await oneDeadLetter(dead);
    expect(letter.properties.headers).toMatchObject({
      'x-taskq-reason': 'too-large',
      'x-taskq-task': 'dl.known',
      'x-taskq-attempts': 5,
      'x-taskq-original-queue': queue,
    });
    expect(letter.properties.headers!['x-taskq-error']).toBe(
      `TaskqError: The message body has ${big.length} bytes, over this worker's limit of 200 bytes (maxMessageBytes).`,
    );
    expect(letter.content.length).toBe(big.length);
    expect(runs).toEqual([]);
  });

  it('too-large at the producer: the send rejects with MESSAGE_TOO_LARGE and nothing reaches the queue', async () => {
    const queue = broker.queue(uniqueName('dl-size'));
    const app = createApp({ brokerUrl: BROKER_URL, logger: silentLogger, maxMessageBytes: 1024 });
    cleanups.push(() => app.close());
    await expect(app.sendTask('dl.known', ['z'.repeat(2000)], { queue })).rejects.toMatchObject({
      code: 'MESSAGE_TOO_LARGE',
      limitBytes: 1024,
      message: expect.stringMatching(/encodes to \d{4} bytes, over the limit of 1024 bytes/),
    });
    await app.sendTask('dl.known', ['small'], { queue, ignoreResult: true });
    expect((await broker.counts(queue)).messageCount).toBe(1);
  });

  it("uses the queue's deadLetter target from its routing file instead of the default queue", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskq-dl-'));
    try {
      const work = broker.queue(uniqueName('dl-work'));
      const target = broker.queue(uniqueName('dl-target'));
      const dlx = broker.exchange(uniqueName('dl-dlx'));
      writeFileSync(join(dir, `${work}.yaml`), `deadLetter: { exchange: ${dlx}, routingKey: ${target} }\n`);
      writeFileSync(join(dir, `${target}.yaml`), `exchange: ${dlx}\nbindingKeys: [${target}]\nmaxPriority: 0\n`);
      const { dead } = await setup({ config: dir }, work);
      await send(work, Buffer.from('[[1],{},{}]'), { contentType: 'application/json', headers: { task: 'dl.missing', id: 'r-1' } });
      const letter = await oneDeadLetter(target);
      expect(letter.fields).toMatchObject({ exchange: dlx, routingKey: target });
      expect(letter.properties.headers).toMatchObject({ 'x-taskq-reason': 'unknown-task', 'x-taskq-original-queue': work });
      expect(await broker.exists(dead)).toBe(false); // the default dead-letter queue was not even declared
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('falls back to basic.reject (no requeue, no loop) when the dead letter cannot be published', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskq-dl-'));
    try {
      const work = broker.queue(uniqueName('dl-work'));
      const dlx = broker.exchange(uniqueName('dl-nowhere')); // declared, but no queue is bound: unroutable
      writeFileSync(join(dir, `${work}.yaml`), `deadLetter: { exchange: ${dlx}, routingKey: nowhere }\n`);
      const errors: string[] = [];
      const logger = { ...silentLogger, error: (message: string) => errors.push(message) };
      const { app, rejected, runs } = await setup({ config: dir, logger }, work);
      await send(work, Buffer.from('garbage'), { contentType: 'application/json', headers: { task: 'dl.known', id: 'g-1' } });
      await BrokerFixture.eventually(() => rejected.length === 1, 'the refusal');
      await expect((await app.sendTask('dl.known', ['after'])).get({ timeout: 10_000 })).resolves.toBe('after');
      await new Promise((r) => setTimeout(r, 300));
      expect(rejected).toHaveLength(1); // not redelivered
      expect(errors.join('\n')).toMatch(/Could not dead-letter task dl.known\[g-1\] .*rejecting it without requeue: .*reaches no queue/);
      expect(runs).toEqual(['after']);
      expect((await broker.counts(work)).messageCount).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
