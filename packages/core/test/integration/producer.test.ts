import { createApp, silentLogger, TaskqError, type TaskqApp } from '../../src';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';

describe('producer against the real broker', () => {
  const broker = new BrokerFixture();
  const apps: TaskqApp[] = [];
  const newApp = (options: Parameters<typeof createApp>[0] = {}): TaskqApp => {
    const app = createApp({ brokerUrl: BROKER_URL, logger: silentLogger, ...options });
    apps.push(app);
    return app;
  };

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await broker.cleanup();
  });

  it('publishes a Celery protocol v2 message that the broker confirmed', async () => {
    const app = newApp();
    const queue = broker.queue(uniqueName('v2'));
    const add = app.task('tasks.add', (x: number, y: number) => x + y);

    const result = await add.apply_async([2, 3], { queue, priority: 7, kwargs: { z: 1 }, headers: { tenant: 'acme' } });

    const message = await broker.get(queue);
    expect(message).not.toBe(false);
    if (!message) return;
    const { properties } = message;
    expect(properties.correlationId).toBe(result.id);
    expect(properties.contentType).toBe('application/json');
    expect(properties.contentEncoding).toBe('utf-8');
    expect(properties.deliveryMode).toBe(2);
    expect(properties.priority).toBe(7);
    expect(properties.replyTo).toEqual(expect.any(String));
    expect(properties.headers).toMatchObject({
      lang: 'js',
      task: 'tasks.add',
      id: result.id,
      root_id: result.id,
      parent_id: null,
      retries: 0,
      eta: null,
      expires: null,
      timelimit: [null, null],
      ignore_result: false,
      tenant: 'acme',
    });
    expect(properties.headers?.['origin']).toMatch(/^gen\d+@/);
    expect(JSON.parse(message.content.toString())).toEqual([
      [2, 3],
      { z: 1 },
      { callbacks: null, errbacks: null, chain: null, chord: null },
    ]);
  });

  it('declares new queues with x-max-priority 10, so higher priority is delivered first', async () => {
    const app = newApp();
    const queue = broker.queue(uniqueName('prio'));
    for (const priority of [1, 5, 9, 0, 10]) await app.sendTask('t', [priority], { queue, priority, ignoreResult: true });
    const order: number[] = [];
    for (let i = 0; i < 5; i++) {
      const message = await broker.get(queue);
      if (message) order.push(JSON.parse(message.content.toString())[0][0]);
    }
    expect(order).toEqual([10, 9, 5, 1, 0]);
  });

  it('uses an existing queue declared with other arguments instead of failing', async () => {
    const app = newApp();
    const queue = broker.queue(uniqueName('existing'));
    await broker.withChannel((ch) => ch.assertQueue(queue, { durable: false, arguments: { 'x-max-length': 100 } }));
    await app.sendTask('t', [1], { queue, ignoreResult: true });
    await app.sendTask('t', [2], { queue, ignoreResult: true });
    expect((await broker.counts(queue)).messageCount).toBe(2);
  });

  it('rejects a send that no queue receives, instead of reporting success', async () => {
    const app = newApp();
    const exchange = broker.exchange(uniqueName('x'));
    await broker.withChannel((ch) => ch.assertExchange(exchange, 'direct', { durable: false }));
    await expect(app.sendTask('t', [], { exchange, routingKey: 'nobody', ignoreResult: true })).rejects.toMatchObject({
      code: 'MESSAGE_UNROUTABLE',
    });
  });

  it('explains a missing exchange and keeps working afterwards', async () => {
    const app = newApp();
    const missing = uniqueName('missing');
    await expect(app.sendTask('t', [], { exchange: missing, routingKey: 'k', ignoreResult: true })).rejects.toMatchObject({
      code: 'EXCHANGE_NOT_FOUND',
      message: expect.stringContaining(missing),
    });
    const queue = broker.queue(uniqueName('after'));
    await app.sendTask('t', [], { queue, ignoreResult: true });
    expect((await broker.counts(queue)).messageCount).toBe(1);
  });

  it('confirms many sends in flight at once', async () => {
    const app = newApp();
    const queue = broker.queue(uniqueName('bulk'));
    await Promise.all(Array.from({ length: 2000 }, (_, i) => app.sendTask('t', [i], { queue, ignoreResult: true })));
    expect((await broker.counts(queue)).messageCount).toBe(2000);
  });

  it.each([
    ['msgpack', 'application/x-msgpack', 'binary'],
    ['yaml', 'application/x-yaml', 'utf-8'],
  ])('encodes with the %s serializer', async (serializer, contentType, encoding) => {
    const app = newApp();
    const queue = broker.queue(uniqueName(serializer));
    await app.sendTask('t', [1, 'a'], { queue, serializer, ignoreResult: true });
    const message = await broker.get(queue);
    expect(message?.properties.contentType).toBe(contentType);
    expect(message?.properties.contentEncoding).toBe(encoding);
    expect(app.serializers.get(serializer).decode((message as { content: Buffer }).content)).toEqual([[1, 'a'], {}, expect.any(Object)]);
  });

  it('keeps a countdown in the broker and delivers after it', async () => {
    const app = newApp();
    const queue = broker.queue(uniqueName('countdown'));
    const sentAt = Date.now();
    await app.sendTask('t', [], { queue, countdown: 2, ignoreResult: true });
    expect((await broker.counts(queue)).messageCount).toBe(0);
    await BrokerFixture.eventually(async () => (await broker.counts(queue)).messageCount === 1, 'the delayed message', 20_000);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(1900);
    const message = await broker.get(queue);
    expect(message?.properties.headers?.['eta']).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
  });

  it('rejects bad send options with a message naming the option', async () => {
    const app = newApp();
    await expect(app.sendTask('t', [], { priority: 300 })).rejects.toThrow(/priority.*0 to 255/);
    await expect(app.sendTask('t', [], { serializer: 'pickle' })).rejects.toBeInstanceOf(TaskqError);
    await expect(app.sendTask('t', [], { queue: 'q', prority: 1 } as never)).rejects.toThrow(/Unknown send option 'prority'/);
    await expect(app.sendTask('t', 5 as never)).rejects.toThrow(/must be an array/);
  });

  it('refuses arguments that cannot be serialized, naming where they are, before sending anything', async () => {
    const app = newApp();
    const queue = broker.queue(uniqueName('unserializable'));
    await expect(app.sendTask('t', [1, { callback: () => 1 }], { queue, ignoreResult: true })).rejects.toMatchObject({
      code: 'SERIALIZATION_FAILED',
      message: expect.stringContaining('callback'),
    });
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    await expect(app.sendTask('t', [circular], { queue, ignoreResult: true })).rejects.toMatchObject({ code: 'SERIALIZATION_FAILED' });
    expect(await broker.exists(queue)).toBe(false);
  });

  it('fails with a clear error when the broker is unreachable, without the password', async () => {
    const app = newApp({ brokerUrl: 'amqp://guest:s3cret-pw@127.0.0.1:1' });
    const error = await app.sendTask('t', [], { queue: 'q' }).catch((e: unknown) => e as TaskqError);
    expect(error).toMatchObject({ code: 'BROKER_UNREACHABLE' });
    expect(String((error as Error).message)).toContain('amqp://guest:****@127.0.0.1:1');
    expect(String((error as Error).message)).not.toContain('s3cret-pw');
  });

  it('names a virtual host that does not exist (530 NOT_ALLOWED), with how to fix it', async () => {
    const app = newApp({ brokerUrl: 'amqp://guest:guest@127.0.0.1:5672/nope' });
    const error = await app.sendTask('t', [], { queue: 'q' }).catch((e: unknown) => e as TaskqError);
    expect(error).toMatchObject({ code: 'BROKER_VHOST_DENIED' });
    const message = String((error as Error).message);
    expect(message).toContain(
      "RabbitMQ at amqp://guest:****@127.0.0.1:5672/nope refused virtual host 'nope' (530 NOT_ALLOWED - vhost nope not found)",
    );
    expect(message).toContain("user 'guest' is not permitted on it. Create it with 'rabbitmqctl add_vhost nope'");
  });

  it('reports a wrong password as an authentication failure', async () => {
    const app = newApp({ brokerUrl: 'amqp://guest:wrong-password@127.0.0.1:5672' });
    const error = await app.sendTask('t', [], { queue: 'q' }).catch((e: unknown) => e as TaskqError);
    expect(error).toMatchObject({ code: 'BROKER_AUTH_FAILED' });
    expect(String((error as Error).message)).not.toContain('wrong-password');
  });
});
