'use strict';
/** Broker helpers for the benchmarks: raw amqplib, so measuring never goes through taskq itself. */
const { randomUUID } = require('node:crypto');
const amqp = require('amqplib');
const { createApp } = require('@taskq/core');
const { buildTaskMessage, toPublishOptions } = require('@taskq/core/internal');

const BROKER_URL = process.env.TASKQ_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
/** taskq turns Nagle off on its sockets; the raw side gets the same setting unless a scenario says otherwise. */
const SOCKET = { noDelay: true };

/** A raw amqplib connection, to the main broker unless a scenario names another (the cluster scenario). */
const connect = async (options = SOCKET, url = BROKER_URL) => {
  const connection = await amqp.connect(url, options);
  // A lost connection (a cluster node killed mid-run) fails the pending calls instead of crashing the bench.
  connection.on('error', () => undefined);
  return connection;
};
const queueName = (what) => `bench.${what}.${randomUUID().slice(0, 8)}`;

async function withChannel(fn, url = BROKER_URL) {
  const connection = await connect(SOCKET, url);
  try {
    return await fn(await connection.createChannel());
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Delete a bench queue, and the direct exchange of the same name Celery declares for a queue it uses. */
const deleteQueue = async (queue, url = BROKER_URL) => {
  await withChannel((ch) => ch.deleteQueue(queue), url).catch(() => undefined);
  await withChannel((ch) => ch.deleteExchange(queue), url).catch(() => undefined);
};
const depth = (queue, url = BROKER_URL) => withChannel((ch) => ch.checkQueue(queue), url).then((q) => q.messageCount);

const serializers = createApp({ resultBackend: 'disabled' }).serializers;

/**
 * Fill `queue` with `count` taskq-built Celery protocol v2 messages (fresh ids, the given
 * serializer), through a raw confirm channel: the same bytes taskq sends, filled fast. The queue is
 * declared with `queueOptions` (taskq's default: durable, x-max-priority 10) on the broker at `url`.
 */
async function prefill(
  queue,
  count,
  {
    serializer = 'json',
    task = 'bench.noop',
    args = [1, 2],
    priority,
    url = BROKER_URL,
    queueOptions = { durable: true, maxPriority: 10 },
  } = {},
) {
  const connection = await connect(SOCKET, url);
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue(queue, queueOptions);
  const codec = serializers.get(serializer);
  for (let sent = 0; sent < count; ) {
    const batch = Math.min(1000, count - sent);
    for (let i = 0; i < batch; i++) {
      const message = buildTaskMessage(
        { id: randomUUID(), name: task, args, kwargs: {}, ignoreResult: true, ...(priority !== undefined ? { priority } : {}) },
        codec,
      );
      channel.publish('', queue, message.content, toPublishOptions(message));
    }
    await channel.waitForConfirms();
    sent += batch;
  }
  await connection.close();
}

/**
 * Watch a pre-filled queue being drained by another process: `started` when its depth first
 * drops below `count`, `finished` when it reaches 0 (polled every `everyMs`). `onStart`/`onEnd`
 * run at those moments (to read the consumer's CPU time).
 */
async function watchDrain(queue, count, { everyMs = 20, timeoutMs = 900_000, onStart, onEnd, alive = () => true, url = BROKER_URL } = {}) {
  const connection = await connect(SOCKET, url);
  const channel = await connection.createChannel();
  let started;
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const { messageCount } = await channel.checkQueue(queue);
      const now = performance.now();
      if (started === undefined && messageCount < count) {
        started = now;
        onStart?.();
      }
      if (messageCount === 0 && started !== undefined) {
        onEnd?.();
        return now - started;
      }
      if (Date.now() > deadline || !alive()) throw new Error(`queue ${queue} still holds ${messageCount} of ${count} messages`);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}

module.exports = { BROKER_URL, SOCKET, connect, queueName, withChannel, deleteQueue, depth, prefill, watchDrain };
