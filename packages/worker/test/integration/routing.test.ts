import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, silentLogger, type TaskqApp } from '@taskq/core';
import { Worker } from '../../src';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';

/** Routing files, exchanges, dead letters and custom serializers, end to end on the real broker. */
describe('routing files and topology on the real broker', () => {
  const broker = new BrokerFixture();
  const cleanups: Array<() => Promise<void>> = [];
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskq-routing-'));
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await broker.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  function app(options: Parameters<typeof createApp>[0] = {}): TaskqApp {
    // A dead-letter queue of the test's own, so refused messages never reach the shared taskq.dead.
    const deadLetterQueue = broker.queue(uniqueName('r-dead'));
    const created = createApp({ brokerUrl: BROKER_URL, logger: silentLogger, config: dir, deadLetterQueue, ...options });
    cleanups.push(() => created.close());
    return created;
  }

  async function worker(of: TaskqApp, queues: string[]): Promise<Worker> {
    const started = new Worker(of, { queues, concurrency: 2, drainTimeoutMs: 2000 });
    cleanups.push(() => started.stop());
    await started.start();
    return started;
  }

  it('routes tasks by name through a topic exchange to the queue its file declares', async () => {
    const exchange = broker.exchange(uniqueName('media'));
    const reports = broker.queue(uniqueName('reports'));
    const other = broker.queue(uniqueName('other'));
    writeFileSync(
      join(dir, `${reports}.yaml`),
      `exchange: ${exchange}\nexchangeType: topic\nbindingKeys: ['reports.#']\nroutingKey: reports.pdf\ntasks: ['reports.*']\n`,
    );
    writeFileSync(
      join(dir, `${other}.yaml`),
      `exchange: ${exchange}\nexchangeType: topic\nbindingKeys: ['other.#']\ntasks: ['other.*']\nroutingKey: other.x\n`,
    );
    const producer = app();
    await producer.sendTask('reports.monthly', [1], { ignoreResult: true });
    await producer.sendTask('other.thing', [2], { ignoreResult: true });
    await producer.sendTask('reports.daily', [3], { ignoreResult: true });
    expect((await broker.counts(reports)).messageCount).toBe(2);
    expect((await broker.counts(other)).messageCount).toBe(1);
    const first = await broker.get(reports);
    expect(first?.fields).toMatchObject({ exchange, routingKey: 'reports.pdf' });
  });

  it('dead-letters a message the worker cannot read to the queue’s dead-letter target', async () => {
    const work = broker.queue(uniqueName('work'));
    const dead = broker.queue(uniqueName('dead'));
    const dlx = broker.exchange(uniqueName('dlx'));
    writeFileSync(join(dir, `${work}.yaml`), `deadLetter: { exchange: ${dlx}, routingKey: ${dead} }\n`);
    writeFileSync(join(dir, `${dead}.yaml`), `exchange: ${dlx}\nbindingKeys: [${dead}]\n`);
    const consumer = app();
    consumer.task('known', () => 1);
    await worker(consumer, [work]);
    await broker.withChannel(async (ch) => {
      ch.sendToQueue(work, Buffer.from('not json at all'), { contentType: 'application/json', headers: { task: 'known', id: 'poison-1' } });
    });
    await BrokerFixture.eventually(async () => (await broker.counts(dead)).messageCount === 1, 'the dead letter');
    const letter = await broker.get(dead);
    expect(letter?.properties.headers?.['id']).toBe('poison-1');
    expect((await broker.counts(work)).messageCount).toBe(0);
  });

  it('runs tasks encoded with a user-registered serializer, and refuses it where not accepted', async () => {
    const queue = broker.queue(uniqueName('custom'));
    const reversedJson = {
      name: 'reversed-json',
      contentType: 'application/x-reversed-json',
      contentEncoding: 'utf-8',
      encode: (value: unknown) => Buffer.from(JSON.stringify(value).split('').reverse().join('')),
      decode: (payload: Buffer) => JSON.parse(payload.toString().split('').reverse().join('')) as unknown,
    };
    const accepting = app({ serializers: [reversedJson], accept: ['json', 'reversed-json'] });
    accepting.task('tasks.echo', (text: string) => text.toUpperCase());
    await worker(accepting, [queue]);
    const producer = app({ serializers: [reversedJson] });
    const result = await producer.sendTask('tasks.echo', ['hello'], { queue, serializer: 'reversed-json' });
    await expect(result.get({ timeout: 10_000 })).resolves.toBe('HELLO');

    const strictQueue = broker.queue(uniqueName('strict'));
    const strict = app({ serializers: [reversedJson] }); // accept defaults to json, msgpack, yaml
    strict.task('tasks.echo', (text: string) => text);
    const strictWorker = await worker(strict, [strictQueue]);
    const refused: Error[] = [];
    strictWorker.on('message-rejected', (_q, reason) => refused.push(reason));
    await producer.sendTask('tasks.echo', ['x'], { queue: strictQueue, serializer: 'reversed-json', ignoreResult: true });
    await BrokerFixture.eventually(() => refused.length === 1, 'the refusal');
    expect(refused[0]).toMatchObject({ code: 'CONTENT_TYPE_REJECTED' });
  });

  it('one worker consumes several queues with one channel-wide prefetch', async () => {
    const a = broker.queue(uniqueName('a'));
    const b = broker.queue(uniqueName('b'));
    let running = 0;
    let peak = 0;
    const consumer = app();
    consumer.task('slow', async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 40));
      running--;
    });
    await worker(consumer, [a, b]); // concurrency 2
    const producer = app();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => producer.sendTask('slow', [], { queue: i % 2 ? a : b })));
    await Promise.all(results.map((r) => r.get({ timeout: 20_000 })));
    expect(peak).toBe(2);
  });
});
