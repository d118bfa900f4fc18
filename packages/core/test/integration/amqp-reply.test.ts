import * as amqp from 'amqplib';
import { AMQP_REPLY, isPublishNack, replyCodeOf } from '../../src/transport/amqp-reply';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';

/** Rejects with what a failed AMQP operation on a fresh channel rejects with. */
async function failure(broker: BrokerFixture, operation: (ch: amqp.Channel) => Promise<unknown>): Promise<unknown> {
  return broker.withChannel(operation).then(
    () => undefined,
    (err: unknown) => err,
  );
}

/** The errors amqplib 2.3.1 reports when the real broker refuses something, read by reply code. */
describe('AMQP reply codes from the real broker', () => {
  const broker = new BrokerFixture();
  const connections: amqp.ChannelModel[] = [];

  afterEach(async () => {
    for (const connection of connections.splice(0)) await connection.close().catch(() => undefined);
    await broker.cleanup();
  });

  it('a passive check of a missing queue rejects with code 404 on queue.declare (class 50, method 10)', async () => {
    const err = await failure(broker, (ch) => ch.checkQueue(uniqueName('missing')));
    expect(err).toMatchObject({ code: 404, classId: 50, methodId: 10 });
    expect(replyCodeOf(err)).toBe(AMQP_REPLY.NOT_FOUND);
  });

  it('redeclaring a queue with other arguments rejects with 406 PRECONDITION_FAILED', async () => {
    const queue = broker.queue(uniqueName('args'));
    await broker.withChannel((ch) => ch.assertQueue(queue, { arguments: { 'x-max-priority': 10 } }));
    const err = await failure(broker, (ch) => ch.assertQueue(queue, { arguments: { 'x-max-priority': 5 } }));
    expect(replyCodeOf(err)).toBe(AMQP_REPLY.PRECONDITION_FAILED);
  });

  it("another connection's exclusive queue rejects with 405 RESOURCE_LOCKED", async () => {
    const owner = await amqp.connect(BROKER_URL);
    connections.push(owner);
    const queue = uniqueName('exclusive');
    await (await owner.createChannel()).assertQueue(queue, { exclusive: true });
    const err = await failure(broker, (ch) => ch.checkQueue(queue));
    expect(replyCodeOf(err)).toBe(AMQP_REPLY.RESOURCE_LOCKED);
  });

  it("a publish to a missing exchange closes the channel with 404 on basic.publish (class 60, method 40) in its 'error' event", async () => {
    const connection = await broker.conn();
    const channel = await connection.createConfirmChannel();
    const closed = new Promise<unknown>((resolve) => channel.on('error', resolve));
    const confirm = new Promise<unknown>((resolve) => channel.publish(uniqueName('nowhere'), 'k', Buffer.from('x'), {}, resolve));
    const [error, confirmError] = await Promise.all([closed, confirm]);
    expect(error).toMatchObject({ code: 404, classId: 60, methodId: 40 });
    expect(replyCodeOf(error)).toBe(AMQP_REPLY.NOT_FOUND);
    // The publish's own callback only learns that the channel closed: no code.
    expect(confirmError).toMatchObject({ message: 'channel closed' });
    expect(replyCodeOf(confirmError)).toBeUndefined();
    expect(isPublishNack(confirmError)).toBe(false);
  });

  it("a nacked publish reports amqplib's fixed 'message nacked' error, which carries no reply code", async () => {
    const queue = broker.queue(uniqueName('full'));
    const connection = await broker.conn();
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, { arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } });
    const err = await new Promise<unknown>((resolve) => channel.sendToQueue(queue, Buffer.from('x'), {}, resolve));
    await channel.close();
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ message: 'message nacked' });
    expect((err as { code?: unknown }).code).toBeUndefined();
    expect(replyCodeOf(err)).toBeUndefined();
    expect(isPublishNack(err)).toBe(true);
  });
});
