import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { silentLogger } from '../../src';
import { BrokerTransport, type QueueDeclaration } from '../../src/internal';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';

/**
 * One transport per role, one generation of declaration caches per connection: after the broker
 * drops the connection (here: `rabbitmqctl close_connection`, which closes one client connection
 * and leaves the broker running), the transport reconnects and starts a new generation, so a
 * queue deleted meanwhile is declared again on the next send instead of being trusted from a
 * stale cache.
 */
describe('BrokerTransport generations (real RabbitMQ)', () => {
  const broker = new BrokerFixture();
  afterEach(() => broker.cleanup());

  function queueDeclaration(name: string): QueueDeclaration {
    return { name, durable: true, autoDelete: false, maxPriority: undefined, exchange: undefined, bindingKeys: [] };
  }

  /** The broker's connections whose name contains `marker`, by Erlang pid (`<rabbit@host.N.M.K>`). */
  function connectionsNamed(marker: string): string[] {
    const listing = execFileSync('rabbitmqctl', ['list_connections', 'pid', 'client_properties', '-q'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    return listing
      .split('\n')
      .filter((line) => line.startsWith('<') && line.includes(`{"connection_name","taskq ${marker} (`))
      .map((line) => line.split('\t')[0]!);
  }

  /** Close every broker connection whose name contains `marker`, as the broker does on a forced close. */
  function closeConnectionsNamed(marker: string): number {
    const pids = connectionsNamed(marker);
    for (const pid of pids) execFileSync('rabbitmqctl', ['close_connection', pid, 'test: forced close'], { timeout: 30_000 });
    return pids.length;
  }

  it('declares again on a new connection generation, and publishes confirmed across the reconnect', async () => {
    const role = `generations-${randomUUID().slice(0, 8)}`;
    const transport = new BrokerTransport(
      { url: BROKER_URL, logger: silentLogger, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } },
      { role },
    );
    const queue = broker.queue(uniqueName('generations'));
    try {
      await transport.ensureQueue(queueDeclaration(queue));
      expect(transport.isQueueReady(queue)).toBe(true);
      await transport.publish('', queue, Buffer.from('before'), { persistent: true, mandatory: true, messageId: 'm1' });

      // The queue goes away while the connection is down; the old generation's cache would say it exists.
      await broker.withChannel((ch) => ch.deleteQueue(queue));
      const reconnected = new Promise<void>((resolve) => transport.onReconnect(resolve));
      expect(closeConnectionsNamed(role)).toBe(1);
      await reconnected;

      expect(transport.isQueueReady(queue)).toBe(false);
      await transport.ensureQueue(queueDeclaration(queue));
      expect(transport.isQueueReady(queue)).toBe(true);
      await transport.publish('', queue, Buffer.from('after'), { persistent: true, mandatory: true, messageId: 'm2' });
      const message = await broker.get(queue);
      expect(message ? message.content.toString() : 'queue empty').toBe('after');
    } finally {
      await transport.close();
    }
  });

  it('closes cleanly after a reconnect, and refuses work once closed', async () => {
    const role = `generations-${randomUUID().slice(0, 8)}`;
    const transport = new BrokerTransport(
      { url: BROKER_URL, logger: silentLogger, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } },
      { role },
    );
    await transport.connect();
    const reconnected = new Promise<void>((resolve) => transport.onReconnect(resolve));
    expect(closeConnectionsNamed(role)).toBe(1);
    await reconnected;
    await transport.close();
    await expect(transport.channels()).rejects.toMatchObject({ code: 'CLOSED' });
    // The broker lists a connection until it has finished closing it: poll, briefly.
    for (let tries = 0; tries < 50 && connectionsNamed(role).length > 0; tries++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(connectionsNamed(role)).toEqual([]);
  });

  it('keeps one connection per transport: a second role is a second connection', async () => {
    const marker = randomUUID().slice(0, 8);
    const producer = new BrokerTransport({ url: BROKER_URL, logger: silentLogger }, { role: `p-${marker}` });
    const consumer = new BrokerTransport({ url: BROKER_URL, logger: silentLogger }, { role: `c-${marker}` });
    try {
      await Promise.all([producer.connect(), consumer.connect(), producer.channels(), consumer.channels()]);
      expect(connectionsNamed(`p-${marker}`)).toHaveLength(1);
      expect(connectionsNamed(`c-${marker}`)).toHaveLength(1);
    } finally {
      await producer.close();
      await consumer.close();
    }
  });

  describe('a list of broker URLs', () => {
    /** A port nothing listens on: a node that is down. */
    const DOWN = 'amqp://guest:down-secret@127.0.0.1:5689';

    it('connects to the first URL that answers and publishes confirmed through it', async () => {
      const role = `list-${randomUUID().slice(0, 8)}`;
      const transport = new BrokerTransport({ url: `${DOWN},${BROKER_URL}`, logger: silentLogger }, { role });
      const queue = broker.queue(uniqueName('url-list'));
      try {
        await transport.ensureQueue(queueDeclaration(queue));
        await transport.publish('', queue, Buffer.from('via the second URL'), { persistent: true, mandatory: true, messageId: 'm1' });
        expect(connectionsNamed(role)).toHaveLength(1);
        const message = await broker.get(queue);
        expect(message ? message.content.toString() : 'queue empty').toBe('via the second URL');
      } finally {
        await transport.close();
      }
    });

    it('after the connection drops, reconnects to the NEXT URL of the list', async () => {
      const role = `list-${randomUUID().slice(0, 8)}`;
      const warnings: string[] = [];
      const logger = { ...silentLogger, warn: (message: string) => warnings.push(message) };
      // Two names for the same broker, so the move from one URL to the next shows in the log line.
      const first = BROKER_URL.replace('127.0.0.1', 'localhost');
      const transport = new BrokerTransport({ url: `${first},${BROKER_URL}`, logger, reconnect: { initialDelayMs: 50 } }, { role });
      try {
        await transport.connect();
        const reconnected = new Promise<void>((resolve) => transport.onReconnect(resolve));
        expect(closeConnectionsNamed(role)).toBe(1);
        await reconnected;
        expect(warnings.find((line) => line.startsWith('Reconnected'))).toBe(
          `Reconnected (taskq ${role}) to amqp://guest:****@127.0.0.1:5672.`,
        );
        expect(warnings.find((line) => line.startsWith('Lost'))).toMatch(
          /^Lost the broker connection \(taskq list-\w+\) to amqp:\/\/guest:\*\*\*\*@localhost:5672: /,
        );
      } finally {
        await transport.close();
      }
    });

    it('fails at once when no URL answers, naming each node with its password masked', async () => {
      const transport = new BrokerTransport(
        { url: `${DOWN},amqp://guest:other-secret@127.0.0.1:5688`, logger: silentLogger },
        { role: 'list-down' },
      );
      const error = await transport.connect().catch((err: Error & { code?: string }) => err);
      expect(error).toMatchObject({ code: 'BROKER_UNREACHABLE' });
      expect((error as Error).message).toMatch(
        /^None of the 2 brokers in the list accepted a connection:\n {2}- Cannot connect to RabbitMQ at amqp:\/\/guest:\*\*\*\*@127.0.0.1:5689: connection refused/,
      );
      expect((error as Error).message).toContain('amqp://guest:****@127.0.0.1:5688');
      expect((error as Error).message).not.toMatch(/down-secret|other-secret/);
      await transport.close();
    });
  });
});
