import { createHmac } from 'node:crypto';
import { createApp, silentLogger, type AppOptions, type Logger, type TaskqApp } from '@taskq/core';
import { signingInput, SIGNATURE_HEADER } from '@taskq/core/internal';
import type { GetMessage } from 'amqplib';
import { Worker } from '../../src';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';

const KEY = 'integration-signing-key-5c1f0a9e7b';

/** Message signing end to end: signed round trips, and every forged or unsigned message refused unrun. */
describe('message signing', () => {
  const broker = new BrokerFixture();
  const cleanups: Array<() => Promise<void>> = [];

  function app(options: AppOptions = {}): TaskqApp {
    const created = createApp({ brokerUrl: BROKER_URL, logger: silentLogger, ...options });
    cleanups.push(() => created.close());
    return created;
  }

  /** A signing worker on a fresh queue with its own dead-letter queue; records what ran and what it logged. */
  async function signingWorker(options: AppOptions = {}): Promise<{ queue: string; dead: string; runs: unknown[]; logs: string[] }> {
    const queue = broker.queue(uniqueName('sig'));
    const dead = broker.queue(uniqueName('sig-dead'));
    const logs: string[] = [];
    const logger: Logger = { debug: (m) => logs.push(m), info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) };
    const consumer = app({ signing: { key: KEY }, deadLetterQueue: dead, logger, logLevel: 'debug', ...options });
    const runs: unknown[] = [];
    consumer.task('sig.echo', (value: unknown) => {
      runs.push(value);
      return value;
    });
    const worker = new Worker(consumer, { queues: [queue], concurrency: 2, drainTimeoutMs: 2000 });
    cleanups.push(() => worker.stop());
    await worker.start();
    return { queue, dead, runs, logs };
  }

  async function deadLetter(dead: string): Promise<GetMessage> {
    await BrokerFixture.eventually(
      async () => (await broker.counts(dead).catch(() => ({ messageCount: 0 }))).messageCount === 1,
      `a dead letter in ${dead}`,
    );
    return (await broker.get(dead)) as GetMessage;
  }

  /** A task message as the producer would publish it (signed or not), held in a side queue and fetched raw. */
  async function producedMessage(producer: TaskqApp, value: unknown): Promise<GetMessage> {
    const hold = broker.queue(uniqueName('sig-hold'));
    await producer.sendTask('sig.echo', [value], { queue: hold, ignoreResult: true });
    return (await broker.get(hold)) as GetMessage;
  }

  function republish(
    queue: string,
    message: GetMessage,
    change: { content?: Buffer; headers?: Record<string, unknown> } = {},
  ): Promise<void> {
    return broker.withChannel(async (ch) => {
      ch.sendToQueue(queue, change.content ?? message.content, {
        ...message.properties,
        headers: change.headers ?? message.properties.headers,
      });
    });
  }

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await broker.cleanup();
  });

  it('signs every sent task with HMAC-SHA256 over the documented input, and a signing worker runs it', async () => {
    const { queue, runs } = await signingWorker();
    const producer = app({ signing: { key: KEY } });
    const raw = await producedMessage(producer, 'peek');
    const signature = raw.properties.headers![SIGNATURE_HEADER] as string;
    expect(signature).toMatch(/^v1=[0-9a-f]{64}$/);
    // Recompute independently from what arrived over the wire: headers survive the AMQP round trip.
    const expected = createHmac('sha256', KEY)
      .update(signingInput(raw.properties.headers!, raw.properties, raw.content))
      .digest('hex');
    expect(signature).toBe(`v1=${expected}`);

    const result = await producer.sendTask('sig.echo', [{ amount: 42 }], { queue, expires: 60, priority: 5 });
    await expect(result.get({ timeout: 10_000 })).resolves.toEqual({ amount: 42 });
    expect(runs).toEqual([{ amount: 42 }]);
    // Through the broker's delay queues (which add x-death headers) the signature still holds.
    const delayed = await producer.sendTask('sig.echo', ['later'], { queue, countdown: 1 });
    await expect(delayed.get({ timeout: 15_000 })).resolves.toBe('later');
  });

  it('dead-letters an unsigned message unrun (bad-signature)', async () => {
    const { queue, dead, runs } = await signingWorker();
    const unsigned = app({ signing: false });
    const result = await unsigned.sendTask('sig.echo', ['unsigned'], { queue, ignoreResult: true });
    const letter = await deadLetter(dead);
    expect(letter.properties.headers).toMatchObject({
      'x-taskq-reason': 'bad-signature',
      'x-taskq-task': 'sig.echo',
      'x-taskq-original-queue': queue,
      id: result.id,
    });
    expect(letter.properties.headers!['x-taskq-error']).toMatch(/no x-taskq-signature header/);
    expect(runs).toEqual([]);
  });

  it.each([
    ['a tampered body', (m: GetMessage) => ({ content: Buffer.from(m.content.toString().replace('"transfer-10"', '"transfer-99"')) })],
    ['a tampered signed header (retries)', (m: GetMessage) => ({ headers: { ...m.properties.headers, retries: 7 } })],
    ['a tampered task name', (m: GetMessage) => ({ headers: { ...m.properties.headers, task: 'sig.other' } })],
    ['a forged signature', (m: GetMessage) => ({ headers: { ...m.properties.headers, [SIGNATURE_HEADER]: `v1=${'ab'.repeat(32)}` } })],
  ])('dead-letters %s unrun, and never logs the key', async (_label, tamper) => {
    const { queue, dead, runs, logs } = await signingWorker();
    const signed = await producedMessage(app({ signing: { key: KEY } }), 'transfer-10');
    const change = tamper(signed);
    if (change.content) expect(change.content.equals(signed.content)).toBe(false); // the tamper did change something
    await republish(queue, signed, change);
    const letter = await deadLetter(dead);
    expect(letter.properties.headers!['x-taskq-reason']).toBe('bad-signature');
    expect(letter.properties.headers!['x-taskq-error']).toMatch(/signature does not match/);
    expect(runs).toEqual([]);
    expect(logs.join('\n')).toMatch(/Dead-lettered .* \(bad-signature\)/);
    expect(logs.join('\n')).not.toContain(KEY);
  });

  it('dead-letters a message signed with another key', async () => {
    const { queue, dead, runs } = await signingWorker();
    const other = app({ signing: { key: 'another-key-entirely-0000000000' } });
    await other.sendTask('sig.echo', ['x'], { queue, ignoreResult: true });
    expect((await deadLetter(dead)).properties.headers!['x-taskq-reason']).toBe('bad-signature');
    expect(runs).toEqual([]);
  });

  it('with required: false, runs unsigned messages (e.g. from Python Celery) but still refuses wrong signatures', async () => {
    const { queue, dead, runs } = await signingWorker({ signing: { key: KEY, required: false } });
    await expect((await app({ signing: false }).sendTask('sig.echo', ['from-celery'], { queue })).get({ timeout: 10_000 })).resolves.toBe(
      'from-celery',
    );
    await app({ signing: { key: 'another-key-entirely-0000000000' } }).sendTask('sig.echo', ['forged'], { queue, ignoreResult: true });
    expect((await deadLetter(dead)).properties.headers!['x-taskq-reason']).toBe('bad-signature');
    expect(runs).toEqual(['from-celery']);
  });
});
