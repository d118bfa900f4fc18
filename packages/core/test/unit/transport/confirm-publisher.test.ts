import { EventEmitter } from 'node:events';
import type { ConfirmChannel, Options } from 'amqplib';
import { BrokerError, PublishRejectedError } from '../../../src/errors';
import type { ChannelSource } from '../../../src/transport/channel-source';
import { ConfirmPublisher, NACK_REPUBLISHES } from '../../../src/transport/confirm-publisher';

type Confirm = (err: Error | null) => void;

/** A confirm channel whose write buffer holds `room` messages; confirms are released by the test. */
class FakeChannel extends EventEmitter {
  readonly published: string[] = [];
  readonly confirms: Confirm[] = [];
  constructor(private room: number) {
    super();
  }
  publish(_exchange: string, _routingKey: string, content: Buffer, _options: Options.Publish, confirm: Confirm): boolean {
    this.published.push(content.toString());
    this.confirms.push(confirm);
    this.room -= 1;
    return this.room > 0;
  }
  /** The socket took everything: room for `room` more, then 'drain'. */
  drain(room: number): void {
    this.room = room;
    this.emit('drain');
  }
  confirmAll(): void {
    for (const confirm of this.confirms.splice(0)) confirm(null);
  }
  /** basic.nack for every outstanding publish (amqplib's error for it). */
  nackAll(): void {
    for (const confirm of this.confirms.splice(0)) confirm(new Error('message nacked'));
  }
  closed = false;
  async waitForConfirms(): Promise<void> {}
  async close(): Promise<void> {
    this.closed = true;
  }
}

function publisherOver(channels: FakeChannel[], sendTimeoutMs = 30_000): ConfirmPublisher {
  const source = { createConfirmChannel: async () => channels.shift() as unknown as ConfirmChannel } as unknown as ChannelSource;
  return new ConfirmPublisher(async () => source, sendTimeoutMs);
}

const send = (publisher: ConfirmPublisher, body: string): Promise<void> =>
  publisher.publish('', 'q', Buffer.from(body), { correlationId: body });

describe('ConfirmPublisher with a full write buffer', () => {
  it('holds later publishes while the buffer is full and sends them in order on drain', async () => {
    const channel = new FakeChannel(2);
    const publisher = publisherOver([channel]);
    const warmUp = send(publisher, 'warm-up');
    await new Promise((resolve) => setImmediate(resolve)); // the channel opens
    channel.confirmAll();
    await warmUp;

    const sends = ['a', 'b', 'c', 'd', 'e'].map((body) => send(publisher, body));
    // 'warm-up' took one slot, 'a' the last: the rest wait, nothing published out of order.
    expect(channel.published).toEqual(['warm-up', 'a']);
    channel.drain(2);
    expect(channel.published).toEqual(['warm-up', 'a', 'b', 'c']);
    channel.drain(10);
    expect(channel.published).toEqual(['warm-up', 'a', 'b', 'c', 'd', 'e']);
    channel.confirmAll();
    await expect(Promise.all(sends)).resolves.toBeDefined();
  });

  it('rejects a publish still waiting for room at its deadline, as not sent', async () => {
    jest.useFakeTimers();
    try {
      const channel = new FakeChannel(1);
      const publisher = publisherOver([channel], 1000);
      const first = send(publisher, 'first');
      await jest.advanceTimersByTimeAsync(0); // the channel opens
      const waiting = send(publisher, 'waiting');
      expect(channel.published).toEqual(['first']);
      channel.confirmAll();
      await first;
      const outcome = waiting.catch((err: unknown) => err);
      await jest.advanceTimersByTimeAsync(1000);
      expect(await outcome).toMatchObject({ code: 'BROKER_UNAVAILABLE' });
      expect(await outcome).toBeInstanceOf(BrokerError);
      // Released later, the expired publish is not sent.
      channel.drain(10);
      expect(channel.published).toEqual(['first']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('sends the waiting publishes on a fresh channel when the full one closes', async () => {
    const full = new FakeChannel(1);
    const fresh = new FakeChannel(100);
    const publisher = publisherOver([full, fresh]);
    const first = send(publisher, 'first');
    await new Promise((resolve) => setImmediate(resolve)); // the channel opens
    const waiting = ['x', 'y'].map((body) => send(publisher, body));
    expect(full.published).toEqual(['first']);
    full.emit('close');
    // The confirm of 'first' fails with the channel: it is published again too.
    full.confirms[0]?.(new Error('channel closed'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect([...fresh.published].sort()).toEqual(['first', 'x', 'y']);
    fresh.confirmAll();
    await expect(Promise.all([first, ...waiting])).resolves.toBeDefined();
  });
});

describe('ConfirmPublisher and nacks (RabbitMQ 3.10 nacks every publish of a channel that raced a quorum leader election)', () => {
  it('retires a channel that nacked and publishes the nacked message again on a fresh one', async () => {
    jest.useFakeTimers();
    try {
      const nacking = new FakeChannel(100);
      const fresh = new FakeChannel(100);
      const publisher = publisherOver([nacking, fresh]);
      const sent = send(publisher, 'order-1');
      await jest.advanceTimersByTimeAsync(0);
      nacking.nackAll();
      await jest.advanceTimersByTimeAsync(0);
      expect(nacking.closed).toBe(true); // closed once the confirms it owed were in
      await jest.advanceTimersByTimeAsync(100); // the first re-publish waits 0.1 s
      expect(fresh.published).toEqual(['order-1']);
      fresh.confirmAll();
      await expect(sent).resolves.toBeUndefined();
      // Later publishes use the fresh channel, never the retired one.
      const next = send(publisher, 'order-2');
      expect(fresh.published).toEqual(['order-1', 'order-2']);
      expect(nacking.published).toEqual(['order-1']);
      fresh.confirmAll();
      await next;
    } finally {
      jest.useRealTimers();
    }
  });

  it('gives up after NACK_REPUBLISHES re-publishes that were all nacked: PublishRejectedError, no loop', async () => {
    jest.useFakeTimers();
    try {
      const channels = Array.from({ length: NACK_REPUBLISHES + 1 }, () => new FakeChannel(100));
      const publisher = publisherOver([...channels]);
      const outcome = send(publisher, 'full-queue').catch((err: unknown) => err);
      for (const channel of channels) {
        await jest.advanceTimersByTimeAsync(0);
        while (channel.confirms.length === 0) await jest.advanceTimersByTimeAsync(100);
        channel.nackAll();
      }
      const error = await outcome;
      expect(error).toBeInstanceOf(PublishRejectedError);
      expect(channels.map((channel) => channel.published.length)).toEqual(channels.map(() => 1));
    } finally {
      jest.useRealTimers();
    }
  });
});
