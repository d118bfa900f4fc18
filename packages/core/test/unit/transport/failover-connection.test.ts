import type { ChannelModel } from 'amqplib';
import { EventEmitter } from 'node:events';
import { FailoverConnection, type FailoverTarget } from '../../../src/transport/failover-connection';

/** A stand-in for amqplib's ChannelModel: enough to open channels and to drop. */
class FakeModel extends EventEmitter {
  closed = false;
  constructor(readonly node: string) {
    super();
  }
  createChannel(): Promise<{ node: string }> {
    return Promise.resolve({ node: this.node });
  }
  createConfirmChannel(): Promise<{ node: string }> {
    return Promise.resolve({ node: this.node });
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
  /** The broker or the network dropped the connection. */
  drop(): void {
    this.emit('error', new Error('read ECONNRESET'));
    this.emit('close', new Error('read ECONNRESET'));
  }
}

/** Nodes whose `up` flag says whether they accept connections; every attempt is recorded. */
function nodes(...names: string[]) {
  const up = new Map(names.map((name) => [name, true]));
  const attempts: string[] = [];
  const models: FakeModel[] = [];
  const targets: FailoverTarget[] = names.map((name) => ({
    url: `amqp://guest:secret@${name}:5672`,
    open: async () => {
      attempts.push(name);
      if (!up.get(name)) throw Object.assign(new Error(`connect ECONNREFUSED ${name}`), { code: 'ECONNREFUSED' });
      const model = new FakeModel(name);
      models.push(model);
      return model as unknown as ChannelModel;
    },
  }));
  return { up, attempts, models, targets, last: () => models[models.length - 1]! };
}

const fast = { initialDelayMs: 1, maxDelayMs: 20, maxRetries: Infinity };
const explainAll = async (errors: unknown[]): Promise<Error> =>
  new Error(`all failed: ${errors.map((e) => (e as Error).message).join('; ')}`);

function once(emitter: EventEmitter, event: string): Promise<unknown[]> {
  return new Promise((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args)));
}

describe('FailoverConnection', () => {
  it('connects to the first node that answers, trying each once, in order', async () => {
    const cluster = nodes('n1', 'n2', 'n3');
    cluster.up.set('n1', false);
    const connection = await FailoverConnection.open(cluster.targets, fast, explainAll);
    expect(cluster.attempts).toEqual(['n1', 'n2']);
    expect(connection.url).toBe('amqp://guest:secret@n2:5672');
    expect(await connection.createChannel()).toEqual({ node: 'n2' });
    await connection.close();
  });

  it('fails at once when no node answers the first time, with every node’s error', async () => {
    const cluster = nodes('n1', 'n2');
    cluster.up.set('n1', false);
    cluster.up.set('n2', false);
    await expect(FailoverConnection.open(cluster.targets, fast, explainAll)).rejects.toThrow(
      'all failed: connect ECONNREFUSED n1; connect ECONNREFUSED n2',
    );
    expect(cluster.attempts).toEqual(['n1', 'n2']);
  });

  it('after a drop connects to the NEXT node, and channel requests made meanwhile get the new connection', async () => {
    const cluster = nodes('n1', 'n2', 'n3');
    const connection = await FailoverConnection.open(cluster.targets, fast, explainAll);
    const events: string[] = [];
    connection.on('disconnect', () => events.push('disconnect'));
    connection.on('error', () => events.push('error'));
    const reconnected = once(connection, 'connect');
    cluster.up.set('n1', false); // the node died
    cluster.last().drop();
    const waiting = connection.createConfirmChannel(); // asked while disconnected
    const [, url] = await reconnected;
    expect(url).toBe('amqp://guest:secret@n2:5672');
    expect(await waiting).toEqual({ node: 'n2' });
    expect(events).toEqual(['error', 'disconnect']);
    await connection.close();
  });

  it('goes round the list past dead nodes, back to the start', async () => {
    const cluster = nodes('n1', 'n2', 'n3');
    cluster.up.set('n1', false);
    const connection = await FailoverConnection.open(cluster.targets, fast, explainAll); // on n2
    cluster.up.set('n2', false);
    cluster.up.set('n3', false);
    cluster.up.set('n1', true);
    const reconnected = once(connection, 'connect');
    cluster.last().drop();
    await reconnected;
    expect(cluster.attempts).toEqual(['n1', 'n2', 'n3', 'n1']);
    expect(connection.url).toBe('amqp://guest:secret@n1:5672');
    await connection.close();
  });

  it('gives up after maxRetries attempts: reconnect-failed, and channel requests reject with the reason', async () => {
    const cluster = nodes('n1');
    const connection = await FailoverConnection.open(cluster.targets, { ...fast, maxRetries: 3 }, explainAll);
    const failed = once(connection, 'reconnect-failed');
    cluster.up.set('n1', false);
    cluster.last().drop();
    const [error] = await failed;
    expect((error as Error).message).toBe('connect ECONNREFUSED n1');
    expect(cluster.attempts).toEqual(['n1', 'n1', 'n1', 'n1']); // the first connection, then 3 retries
    await expect(connection.createChannel()).rejects.toThrow('connect ECONNREFUSED n1');
  });

  it('close() stops reconnecting, rejects waiting requests and closes a connection that arrives late', async () => {
    const cluster = nodes('n1', 'n2');
    const connection = await FailoverConnection.open(cluster.targets, { ...fast, initialDelayMs: 50 }, explainAll);
    cluster.last().drop();
    const waiting = connection.createChannel();
    await connection.close();
    await expect(waiting).rejects.toThrow('Connection closed');
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(cluster.attempts).toEqual(['n1']); // the scheduled reconnect never ran
  });
});
