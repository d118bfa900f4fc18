import type { ConsumeMessage, Message } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { connectMemoryBroker, memoryBroker, type MemoryChannel, type MemoryConnection } from '../../../../src/transport/memory';
import { DELIVERY_EXCHANGE, delayRoutingKey, deliveryBindingKey, ladderLevels } from '../../../../src/transport/delay-ladder';

/** RabbitMQ's semantics, as taskq relies on them, reproduced by the in-memory broker. Each test has its own broker. */
describe('memory broker', () => {
  let url: string;
  let connection: MemoryConnection;

  beforeEach(() => {
    url = `memory://unit-${randomUUID()}`;
    connection = connectMemoryBroker(new URL(url));
  });

  afterEach(async () => {
    await connection.close().catch(() => undefined);
  });

  const text = (messages: Array<{ content: Buffer }>): string[] => messages.map((m) => m.content.toString());
  const settle = (ms = 5): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  async function until(check: () => boolean): Promise<void> {
    const deadline = Date.now() + 3000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await settle(2);
    }
  }

  async function channel(): Promise<MemoryChannel> {
    const ch = await connection.createChannel();
    ch.on('error', () => undefined);
    return ch;
  }

  /** Consume `queue` with a prefetch window, recording deliveries (not acked). */
  async function collect(ch: MemoryChannel, queue: string, prefetch = 0): Promise<ConsumeMessage[]> {
    const got: ConsumeMessage[] = [];
    await ch.prefetch(prefetch);
    await ch.consume(queue, (m) => m && got.push(m));
    return got;
  }

  it('delivers by priority, then in publish order, capped at x-max-priority', async () => {
    const ch = await channel();
    await ch.assertQueue('q', { maxPriority: 5 });
    for (const [body, priority] of [
      ['low', 1],
      ['mid', 3],
      ['top-a', 9],
      ['none', undefined],
      ['top-b', 5],
    ] as const) {
      ch.sendToQueue('q', Buffer.from(body), priority === undefined ? {} : { priority });
    }
    const got = await collect(ch, 'q');
    await settle();
    expect(text(got)).toEqual(['top-a', 'top-b', 'mid', 'low', 'none']);
  });

  it('holds messages back while the prefetch window is full, then hands out the highest priority first', async () => {
    const ch = await channel();
    await ch.assertQueue('q', { maxPriority: 10 });
    ch.sendToQueue('q', Buffer.from('first'));
    const got = await collect(ch, 'q', 1);
    await settle();
    ch.sendToQueue('q', Buffer.from('low'), { priority: 1 });
    ch.sendToQueue('q', Buffer.from('high'), { priority: 9 });
    await settle(10);
    expect(text(got)).toEqual(['first']);
    ch.ack(got[0]!);
    await settle();
    expect(text(got)).toEqual(['first', 'high']);
    ch.ack(got[1]!);
    await settle();
    expect(text(got)).toEqual(['first', 'high', 'low']);
  });

  it('shares a global (channel-wide) window between consumers; a per-consumer window applies to later consumers', async () => {
    const ch = await channel();
    await ch.assertQueue('a');
    await ch.assertQueue('b');
    for (let i = 0; i < 3; i++) {
      ch.sendToQueue('a', Buffer.from(`a${i}`));
      ch.sendToQueue('b', Buffer.from(`b${i}`));
    }
    await ch.prefetch(3, true);
    const got: ConsumeMessage[] = [];
    await ch.consume('a', (m) => m && got.push(m));
    await ch.consume('b', (m) => m && got.push(m));
    await settle();
    expect(got).toHaveLength(3);
    ch.ack(got[0]!);
    await settle();
    expect(got).toHaveLength(4);
  });

  it('requeues a nacked message at its old position, flagged redelivered', async () => {
    const ch = await channel();
    await ch.assertQueue('q');
    for (const body of ['a', 'b', 'c', 'd']) ch.sendToQueue('q', Buffer.from(body));
    const got = await collect(ch, 'q', 2);
    await settle();
    expect(text(got)).toEqual(['a', 'b']);
    ch.nack(got[1]!, false, true); // b back first, then a: they still come back as a, b
    ch.nack(got[0]!, false, true);
    await settle();
    expect(text(got.slice(2))).toEqual(['a', 'b']);
    expect(got.slice(2).map((m) => m.fields.redelivered)).toEqual([true, true]);
    ch.ack(got[3]!, true); // multiple: acks a and b
    await settle();
    expect(text(got.slice(4))).toEqual(['c', 'd']);
    expect(got[4]!.fields.redelivered).toBe(false);
  });

  it('a quorum queue counts redeliveries in x-delivery-count and dead-letters past x-delivery-limit', async () => {
    const ch = await channel();
    await ch.assertQueue('dead');
    await ch.assertQueue('q', {
      arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 1, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dead' },
    });
    ch.sendToQueue('q', Buffer.from('poison'));
    const got = await collect(ch, 'q', 1);
    await until(() => got.length === 1);
    expect(got[0]!.properties.headers?.['x-delivery-count']).toBeUndefined(); // absent on the first delivery
    ch.nack(got[0]!, false, true);
    await until(() => got.length === 2);
    expect(got[1]!.fields.redelivered).toBe(true);
    expect(got[1]!.properties.headers?.['x-delivery-count']).toBe(1);
    ch.nack(got[1]!, false, true); // past the limit of 1: dead-lettered, not redelivered
    await settle();
    expect(got).toHaveLength(2);
    const letter = await ch.get('dead');
    expect(letter ? letter.properties.headers?.['x-first-death-reason'] : 'no dead letter').toBe('delivery_limit');
  });

  it('refuses x-max-priority on a quorum queue, as RabbitMQ 3.x does (406)', async () => {
    const ch = await channel();
    await expect(ch.assertQueue('q', { arguments: { 'x-queue-type': 'quorum', 'x-max-priority': 5 } })).rejects.toMatchObject({
      code: 406,
    });
  });

  it('puts unacked deliveries back, redelivered, when their channel closes; a new consumer gets them', async () => {
    const first = await channel();
    await first.assertQueue('q');
    first.sendToQueue('q', Buffer.from('work'));
    const got = await collect(first, 'q');
    await settle();
    expect(got[0]!.fields.redelivered).toBe(false);
    await first.close();
    const second = await channel();
    const again = await collect(second, 'q');
    await settle();
    expect(text(again)).toEqual(['work']);
    expect(again[0]!.fields.redelivered).toBe(true);
  });

  it('dead-letters a rejected message with x-death and x-first-death-* headers', async () => {
    const ch = await channel();
    await ch.assertExchange('dlx', 'direct');
    await ch.assertQueue('dead');
    await ch.bindQueue('dead', 'dlx', 'dead');
    await ch.assertQueue('q', { deadLetterExchange: 'dlx', deadLetterRoutingKey: 'dead' });
    ch.sendToQueue('q', Buffer.from('bad'), { headers: { keep: 'me' } });
    const got = await collect(ch, 'q');
    await settle();
    ch.reject(got[0]!, false);
    const dead = await ch.get('dead');
    expect(dead).not.toBe(false);
    const headers = (dead as Message).properties.headers!;
    expect(headers).toMatchObject({
      keep: 'me',
      'x-first-death-reason': 'rejected',
      'x-first-death-queue': 'q',
      'x-first-death-exchange': '',
    });
    expect(headers['x-death']).toEqual([expect.objectContaining({ count: 1, reason: 'rejected', queue: 'q', 'routing-keys': ['q'] })]);
  });

  it('expires messages on a timer (queue TTL and per-message expiration) into the dead-letter exchange', async () => {
    const ch = await channel();
    await ch.assertExchange('dlx', 'fanout');
    await ch.assertQueue('target');
    await ch.bindQueue('target', 'dlx', '');
    await ch.assertQueue('wait', { messageTtl: 300, deadLetterExchange: 'dlx' });
    const sent = Date.now();
    ch.sendToQueue('wait', Buffer.from('queue-ttl'));
    ch.sendToQueue('wait', Buffer.from('own-ttl'), { expiration: '20' });
    const got = await collect(ch, 'target');
    await until(() => got.length === 1);
    expect(text(got)).toEqual(['own-ttl']);
    expect(Date.now() - sent).toBeLessThan(250);
    await until(() => got.length === 2);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(295);
    expect(text(got)).toEqual(['own-ttl', 'queue-ttl']);
    expect(got[0]!.properties.expiration).toBeUndefined();
    expect(got[0]!.properties.headers!['x-death']).toEqual([
      expect.objectContaining({ reason: 'expired', queue: 'wait', 'original-expiration': '20' }),
    ]);
  });

  it('routes through the delay ladder: a 1 s delay arrives in its target after about a second', async () => {
    const ch = await channel();
    await ch.assertExchange(DELIVERY_EXCHANGE, 'topic');
    const levels = ladderLevels();
    for (const level of levels) await ch.assertExchange(level.name, 'topic');
    for (const level of levels) {
      await ch.assertQueue(level.name, { arguments: { 'x-message-ttl': level.ttlMs, 'x-dead-letter-exchange': level.next } });
      await ch.bindQueue(level.name, level.name, level.waitKey);
      await ch.bindExchange(level.next, level.name, level.passKey);
    }
    await ch.assertQueue('target');
    await ch.bindQueue('target', DELIVERY_EXCHANGE, deliveryBindingKey('target'));
    const got: ConsumeMessage[] = [];
    await ch.consume('target', (m) => m && got.push(m), { noAck: true });
    const sent = Date.now();
    ch.publish(levels[0]!.name, delayRoutingKey(1, 'target'), Buffer.from('later'));
    await expect(memoryBroker(url).idle({ timeout: 3000 })).resolves.toBeUndefined();
    expect(Date.now() - sent).toBeGreaterThanOrEqual(990);
    expect(text(got)).toEqual(['later']);
  });

  it('routes topic patterns, fanout and exchange-to-exchange bindings', async () => {
    const ch = await channel();
    await ch.assertExchange('t', 'topic');
    await ch.assertExchange('f', 'fanout');
    for (const q of ['star', 'hash', 'fan']) await ch.assertQueue(q);
    await ch.bindQueue('star', 't', 'a.*.c');
    await ch.bindQueue('hash', 't', 'a.#');
    await ch.bindExchange('f', 't', '#.z');
    await ch.bindQueue('fan', 'f', 'ignored');
    ch.publish('t', 'a.b.c', Buffer.from('1'));
    ch.publish('t', 'a', Buffer.from('2'));
    ch.publish('t', 'x.z', Buffer.from('3'));
    expect((await ch.checkQueue('star')).messageCount).toBe(1);
    expect((await ch.checkQueue('hash')).messageCount).toBe(2);
    expect((await ch.checkQueue('fan')).messageCount).toBe(1);
  });

  it('closes the channel with a 404 on a passive check of a missing queue, as amqplib reports it', async () => {
    const ch = await connection.createChannel();
    const events: string[] = [];
    let errorCode: unknown;
    ch.on('error', (err: { code: number }) => {
      events.push('error');
      errorCode = err.code;
    });
    ch.on('close', () => events.push('close'));
    await expect(ch.checkQueue('nope')).rejects.toMatchObject({
      code: 404,
      message: expect.stringMatching(/404 \(NOT-FOUND\).*NOT_FOUND - no queue 'nope'/),
    });
    await settle();
    expect(events).toEqual(['error', 'close']);
    expect(errorCode).toBe(404);
    await expect(ch.assertQueue('x')).rejects.toMatchObject({ name: 'IllegalOperationError' });
    expect(() => ch.publish('', 'x', Buffer.from(''))).toThrow(/Channel closed/);
  });

  it('refuses a re-declare with other arguments (406), and an unknown delivery tag closes the channel (406)', async () => {
    const ch = await channel();
    await ch.assertQueue('q', { maxPriority: 5 });
    await expect(ch.assertQueue('q', { maxPriority: 9 })).rejects.toMatchObject({ code: 406 });
    const other = await connection.createChannel();
    const closed = new Promise<unknown>((resolve) => other.on('error', resolve));
    other.ack({ fields: { deliveryTag: 42 } } as Message);
    await expect(closed).resolves.toMatchObject({ code: 406, message: expect.stringMatching(/unknown delivery tag 42/) });
  });

  it('returns an unroutable mandatory message before its confirm; a missing exchange fails the confirm with a 404', async () => {
    const ch = await connection.createConfirmChannel();
    const order: string[] = [];
    ch.on('return', () => order.push('return'));
    let reason: { code?: number } | undefined;
    ch.on('error', (err: { code: number }) => (reason = err));
    ch.publish('', 'no-such-queue', Buffer.from('x'), { mandatory: true }, (err) => order.push(err ? 'nack' : 'ack'));
    await ch.waitForConfirms();
    expect(order).toEqual(['return', 'ack']);
    const failed = new Promise<Error | null>((resolve) => ch.publish('no-such-exchange', 'k', Buffer.from('x'), {}, resolve));
    await expect(failed).resolves.toMatchObject({ message: 'channel closed' });
    expect(reason?.code).toBe(404);
  });

  it('deletes an exclusive queue with its connection, and keeps other connections out (405)', async () => {
    const ch = await channel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    expect(queue).toMatch(/^amq\.gen-/);
    const stranger = connectMemoryBroker(new URL(url));
    const theirs = await stranger.createChannel();
    theirs.on('error', () => undefined);
    await expect(theirs.checkQueue(queue)).rejects.toMatchObject({ code: 405 });
    await connection.close();
    const after = await stranger.createChannel();
    after.on('error', () => undefined);
    await expect(after.checkQueue(queue)).rejects.toMatchObject({ code: 404 });
    await stranger.close();
  });

  it('deletes an auto-delete queue when its last consumer leaves, and cancels consumers of a deleted queue', async () => {
    const ch = await channel();
    await ch.assertQueue('auto', { autoDelete: true });
    const { consumerTag } = await ch.consume('auto', () => undefined);
    await ch.cancel(consumerTag);
    await expect((await channel()).checkQueue('auto')).rejects.toMatchObject({ code: 404 });
    await ch.assertQueue('doomed');
    const calls: unknown[] = [];
    await ch.consume('doomed', (m) => calls.push(m));
    await ch.deleteQueue('doomed');
    await settle();
    expect(calls).toEqual([null]);
  });

  it('deletes a queue unused for its x-expires, and drops (dead-letters) from the head past x-max-length', async () => {
    const ch = await channel();
    await ch.assertQueue('short-lived', { expires: 30 });
    await settle(60);
    await expect((await channel()).checkQueue('short-lived')).rejects.toMatchObject({ code: 404 });
    const again = await channel();
    await again.assertQueue('overflow-dead');
    await again.assertQueue('bounded', { maxLength: 2, deadLetterExchange: '', deadLetterRoutingKey: 'overflow-dead' });
    for (const body of ['1', '2', '3']) again.sendToQueue('bounded', Buffer.from(body));
    expect((await again.checkQueue('bounded')).messageCount).toBe(2);
    const dropped = (await again.get('overflow-dead')) as Message;
    expect(dropped.content.toString()).toBe('1');
    expect(dropped.properties.headers!['x-first-death-reason']).toBe('maxlen');
  });

  it('idle() waits for unacked work, and reset() drops every message', async () => {
    const ch = await channel();
    await ch.assertQueue('q');
    await ch.assertQueue('parked'); // no consumer: does not keep the broker busy
    ch.sendToQueue('parked', Buffer.from('p'));
    ch.sendToQueue('q', Buffer.from('w'));
    const got = await collect(ch, 'q');
    const control = memoryBroker(url);
    await expect(control.idle({ timeout: 50 })).rejects.toMatchObject({ message: expect.stringMatching(/'q': 1 delivered and not acked/) });
    setTimeout(() => ch.ack(got[0]!), 20);
    await expect(control.idle({ timeout: 1000 })).resolves.toBeUndefined();
    control.reset();
    expect((await ch.checkQueue('parked')).messageCount).toBe(0);
    expect(() => memoryBroker('amqp://localhost')).toThrow(/memory:\/\//);
  });
});
