import type { Channel, ConsumeMessage, MessageProperties } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { TaskqError } from '../errors';
import { copyPublishOptions } from '../transport/amqp-arguments';
import { AMQP_REPLY, replyCodeOf } from '../transport/amqp-reply';
import type { ChannelSource } from '../transport/channel-source';
import { ConfirmPublisher } from '../transport/confirm-publisher';
import { readDeadLetter, withoutDeadLetterNote, type DeadLetterSummary } from './dead-letter-headers';

/**
 * Operator tools over a dead-letter queue: list, inspect, replay, purge. They need only a broker
 * connection (no app, no routing files): everything they show comes from the messages' headers.
 *
 * Reading without removing: the tools consume with manual acks and a prefetch of the number of
 * messages wanted, then close the channel without acking, so RabbitMQ puts every message back at
 * its place in the queue (flagged redelivered). Unlike basic.get + nack, this never shows one
 * message twice, and a tool that dies midway loses nothing. While a tool holds them, those
 * messages are invisible to other consumers of the dead-letter queue.
 */

/** One dead letter as read from its queue. */
export interface DeadLetter {
  summary: DeadLetterSummary;
  content: Buffer;
  properties: MessageProperties;
}

/** How many dead letters a listing shows. */
export const DEFAULT_LIST_LIMIT = 20;
/** How long a read waits for the broker to deliver the messages it counted. */
const DELIVERY_WAIT_MS = 3000;

/** The first `limit` dead letters (queue order) and the queue's message count. */
export async function listDeadLetters(
  source: ChannelSource,
  queue: string,
  limit = DEFAULT_LIST_LIMIT,
): Promise<{ total: number; letters: DeadLetter[] }> {
  if (!(Number.isInteger(limit) && limit >= 1)) {
    throw new TaskqError('INVALID_OPTION', `The listing limit must be a whole number ≥ 1, found ${String(limit)}.`);
  }
  return holdMessages(source, queue, limit, async (held, total) => ({ total, letters: held.map(toDeadLetter) }));
}

/** Every dead letter of task `taskId` (usually one). Reads the whole queue. */
export async function findDeadLetters(source: ChannelSource, queue: string, taskId: string): Promise<DeadLetter[]> {
  return holdMessages(source, queue, Infinity, async (held) => held.map(toDeadLetter).filter((letter) => letter.summary.id === taskId));
}

/** Outcome of a replay. */
export interface ReplayReport {
  /** Re-published (confirmed) to their original queue, then removed from the dead-letter queue. */
  replayed: Array<{ id: string | undefined; task: string | undefined; queue: string }>;
  /** Left in the dead-letter queue, with the reason. */
  failed: Array<{ id: string | undefined; error: string }>;
  /** Requested task ids with no dead letter. */
  notFound: string[];
}

/**
 * Re-publish dead letters to the queue they came from (`x-taskq-original-queue`, else RabbitMQ's
 * `x-first-death-queue`) — same body and properties, the `x-taskq-*` note removed, `retries`
 * unchanged (so a signed message stays valid: the signature covers `retries`) — and remove each
 * from the dead-letter queue once the broker confirmed its copy. `taskIds` undefined = all.
 */
export async function replayDeadLetters(
  source: ChannelSource,
  queue: string,
  taskIds: readonly string[] | undefined,
): Promise<ReplayReport> {
  const wanted = taskIds ? new Set(taskIds) : undefined;
  const publisher = new ConfirmPublisher(() => Promise.resolve(source));
  try {
    return await holdMessages(source, queue, Infinity, async (held, _total, channel) => {
      const report: ReplayReport = { replayed: [], failed: [], notFound: [] };
      const seen = new Set<string>();
      for (const message of held) {
        const summary = readDeadLetter(message.properties.headers, message.properties.correlationId);
        if (wanted && !(summary.id !== undefined && wanted.has(summary.id))) continue;
        if (summary.id !== undefined) seen.add(summary.id);
        const target = summary.originalQueue;
        if (!target) {
          report.failed.push({ id: summary.id, error: 'it does not say which queue it came from (no x-taskq-original-queue header)' });
          continue;
        }
        try {
          const options = copyPublishOptions(message.properties, withoutDeadLetterNote(message.properties.headers));
          // Lets the publisher tell an unroutable copy (the queue is gone) by its id.
          if (options.correlationId === undefined && options.messageId === undefined) options.messageId = randomUUID();
          await publisher.publish('', target, message.content, options);
          channel.ack(message);
          report.replayed.push({ id: summary.id, task: summary.task, queue: target });
        } catch (err) {
          report.failed.push({ id: summary.id, error: (err as Error).message });
        }
      }
      report.notFound = [...(wanted ?? [])].filter((id) => !seen.has(id));
      return report;
    });
  } finally {
    await publisher.close();
  }
}

/** How many messages the dead-letter queue holds (ready ones; not those a consumer holds right now). */
export async function countDeadLetters(source: ChannelSource, queue: string): Promise<number> {
  const channel = await openChannel(source);
  try {
    return await checkQueue(channel, queue);
  } finally {
    await channel.close().catch(() => undefined);
  }
}

/** Delete every message in the dead-letter queue; resolves with how many there were. */
export async function purgeDeadLetters(source: ChannelSource, queue: string): Promise<number> {
  const channel = await openChannel(source);
  try {
    await checkQueue(channel, queue);
    const { messageCount } = await channel.purgeQueue(queue);
    return messageCount;
  } finally {
    await channel.close().catch(() => undefined);
  }
}

/**
 * Consume up to `max` messages (as many as the queue holds when we start), hand them to `use`,
 * then close the channel: whatever `use` did not ack goes back to the queue.
 */
async function holdMessages<T>(
  source: ChannelSource,
  queue: string,
  max: number,
  use: (held: ConsumeMessage[], total: number, channel: Channel) => Promise<T>,
): Promise<T> {
  const channel = await openChannel(source);
  try {
    const total = await checkQueue(channel, queue);
    const want = Math.min(max, total);
    const held: ConsumeMessage[] = [];
    if (want > 0) {
      // basic.qos takes 16 bits; 0 means no limit (we stop at `want` ourselves).
      await channel.prefetch(want > 65535 ? 0 : want);
      let wake: () => void = () => undefined;
      const enough = new Promise<void>((resolve) => (wake = resolve));
      const { consumerTag } = await channel.consume(
        queue,
        (message) => {
          if (!message) return wake(); // consumer cancelled by the broker (queue deleted)
          if (held.length < want) held.push(message);
          if (held.length >= want) wake();
        },
        { noAck: false },
      );
      // Another consumer may take some of the counted messages: stop waiting when deliveries pause.
      let lastCount = -1;
      while (held.length < want && held.length !== lastCount) {
        lastCount = held.length;
        await Promise.race([enough, sleep(DELIVERY_WAIT_MS)]);
      }
      await channel.cancel(consumerTag);
    }
    return await use(held.slice(0, want), total, channel);
  } finally {
    await channel.close().catch(() => undefined);
  }
}

async function openChannel(source: ChannelSource): Promise<Channel> {
  const channel = await source.createChannel();
  channel.on('error', () => undefined); // a failed passive check closes the channel; its promise reports it
  return channel;
}

async function checkQueue(channel: Channel, queue: string): Promise<number> {
  try {
    return (await channel.checkQueue(queue)).messageCount;
  } catch (err) {
    if (replyCodeOf(err) === AMQP_REPLY.NOT_FOUND) {
      throw new TaskqError(
        'DEAD_LETTER_QUEUE_NOT_FOUND',
        `There is no queue '${queue}' on the broker: no message was dead-lettered there yet, or the name is wrong (pass it with --queue).`,
        { cause: err },
      );
    }
    throw err;
  }
}

function toDeadLetter(message: ConsumeMessage): DeadLetter {
  return {
    summary: readDeadLetter(message.properties.headers, message.properties.correlationId),
    content: message.content,
    properties: message.properties,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
