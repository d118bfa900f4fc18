import { randomUUID } from 'node:crypto';
import type { ConfirmChannel } from 'amqplib';
import { TaskqError } from '../../../src/errors';
import type { ChannelSource } from '../../../src/transport/channel-source';
import { ConfirmPublisher } from '../../../src/transport/confirm-publisher';
import { connectMemoryBroker } from '../../../src/transport/memory';

/**
 * The confirm publisher against a scripted in-process peer (the memory:// broker, which answers
 * as RabbitMQ does: confirms, mandatory returns, 404 channel errors), so the paths that depend on
 * amqplib-level events are tested deterministically, without RabbitMQ.
 */
describe('ConfirmPublisher against an in-process peer', () => {
  const setup = async () => {
    const url = new URL(`memory://publisher-${randomUUID()}`);
    const connection = (await connectMemoryBroker(url)) as unknown as ChannelSource & { close(): Promise<void> };
    const admin = await connection.createChannel();
    const queue = `q-${randomUUID()}`;
    await admin.assertQueue(queue);
    const channels: ConfirmChannel[] = [];
    const source: ChannelSource = {
      createChannel: () => connection.createChannel(),
      createConfirmChannel: async () => {
        const channel = await connection.createConfirmChannel();
        channels.push(channel);
        return channel;
      },
    } as ChannelSource;
    const publisher = new ConfirmPublisher(async () => source, 5_000);
    return { connection, admin, queue, channels, publisher };
  };

  it('resolves once the peer confirmed, and the message is in the queue', async () => {
    const { admin, queue, publisher, connection } = await setup();
    await publisher.publish('', queue, Buffer.from('hello'), { persistent: true });
    expect((await admin.checkQueue(queue)).messageCount).toBe(1);
    await publisher.close();
    await connection.close();
  });

  it('rejects an unroutable mandatory publish as MESSAGE_UNROUTABLE (not sent), and keeps publishing', async () => {
    const { admin, queue, publisher, connection } = await setup();
    const options = { mandatory: true, correlationId: randomUUID() }; // as taskq publishes every task
    const error = await publisher.publish('', `no-such-queue-${randomUUID()}`, Buffer.from('x'), options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskqError);
    expect((error as TaskqError).code).toBe('MESSAGE_UNROUTABLE');
    await publisher.publish('', queue, Buffer.from('after'), {});
    expect((await admin.checkQueue(queue)).messageCount).toBe(1);
    await publisher.close();
    await connection.close();
  });

  it('rejects a publish to a missing exchange as EXCHANGE_NOT_FOUND, then publishes on a fresh channel', async () => {
    const { admin, queue, publisher, channels, connection } = await setup();
    const error = await publisher.publish(`no-such-exchange-${randomUUID()}`, 'k', Buffer.from('x'), {}).catch((e: unknown) => e);
    expect((error as TaskqError).code).toBe('EXCHANGE_NOT_FOUND');
    await publisher.publish('', queue, Buffer.from('after'), {});
    expect(channels.length).toBe(2); // the 404 closed the first channel
    expect((await admin.checkQueue(queue)).messageCount).toBe(1);
    await publisher.close();
    await connection.close();
  });
});
