#!/usr/bin/env node
'use strict';
/**
 * The raw reference for the round trip: an amqplib consumer that decodes a task message, publishes
 * a Celery-shaped result to its reply_to queue, then acks. argv: queue
 */
const amqp = require('amqplib');

const [queue] = process.argv.slice(2);

(async () => {
  const connection = await amqp.connect(process.env.TASKQ_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672', { noDelay: true });
  const channel = await connection.createChannel();
  await channel.prefetch(2);
  await channel.consume(queue, (message) => {
    const [args] = JSON.parse(message.content.toString('utf8'));
    const id = message.properties.correlationId;
    const result = JSON.stringify({
      task_id: id,
      status: 'SUCCESS',
      result: args[0] + args[1],
      traceback: null,
      children: [],
      date_done: new Date().toISOString(),
    });
    channel.publish('', message.properties.replyTo, Buffer.from(result), {
      correlationId: id,
      contentType: 'application/json',
      contentEncoding: 'utf-8',
    });
    channel.ack(message);
  });
  process.on('SIGTERM', () => connection.close().finally(() => process.exit(0)));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
